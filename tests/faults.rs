//! Faults from outside, and what they leave: gdb killed, the connection
//! cut mid-packet, the server itself sent SIGTERM, SIGINT or SIGHUP (or
//! SIGKILL), the program killed behind gdb's back, a second client while
//! one is connected. Each test checks the program's real state afterwards:
//! gone and reaped if the server started it; running, untraced and without
//! breakpoints if it was attached to.

mod common;

use common::*;
use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

/// gdb commands that end with gdb blocked (reading `fifo`), so the test
/// acts while gdb is connected and idle.
fn then_wait(cmds: &[&str], fifo: &std::path::Path) -> Vec<String> {
    let mut all: Vec<String> = cmds.iter().map(|c| c.to_string()).collect();
    all.push(format!("shell cat {}", fifo.display()));
    all
}

#[test]
fn a_termination_signal_kills_the_launched_program_and_the_server_dies_of_it() {
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        let dir = TempDir::new("term-launch");
        let fifo = dir.bare_fifo("hold");
        let server = Server::launch(&program("basic"), &[]);
        let pid = server.inferior_pid;
        let cmds = then_wait(&["break add", "continue"], &fifo);
        let cmds: Vec<&str> = cmds.iter().map(String::as_str).collect();
        let gdb = BackgroundGdb::tcp(server.port, &server.program, &cmds);
        gdb.wait_for("the breakpoint", |t| t.contains("Breakpoint 1, add ("));
        server.signal(signal);
        let status = server.wait_exit(EVENT_TIMEOUT).expect("the server exits");
        assert_eq!(status.signal(), Some(signal), "{}", server.output());
        assert_gone(pid, &format!("signal {signal}"));
        assert!(
            server.wait_output("Terminated by SIG", EVENT_TIMEOUT),
            "{}",
            server.output()
        );
        drop(gdb);
    }
}

#[test]
fn a_termination_signal_releases_an_attached_program_without_its_breakpoints() {
    let dir = TempDir::new("term-attach");
    let fifo = dir.bare_fifo("hold");
    let ticker = Ticker::start(&dir, "ticker");
    let server = AttachServer::start(ticker.pid());
    // Breakpoints stay in the program's code while gdb waits.
    let cmds = then_wait(
        &[
            "set breakpoint always-inserted on",
            "break rare",
            "break tick",
            "continue",
        ],
        &fifo,
    );
    let cmds: Vec<&str> = cmds.iter().map(String::as_str).collect();
    let gdb = BackgroundGdb::tcp(server.port, &program("jobctl_ticker"), &cmds);
    gdb.wait_for("the breakpoint", |t| t.contains("Breakpoint 2, "));
    server.signal(libc::SIGTERM);
    let status = server.wait_exit(EVENT_TIMEOUT).expect("the server exits");
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{}", server.output());
    // Running, untraced, and rare() and tick() run without a trap.
    ticker.assert_runs_untraced("after SIGTERM to the server");
    drop(gdb);
    ticker.command(b'q');
}

#[test]
fn killing_the_server_with_sigkill_takes_the_launched_program_with_it() {
    let server = Server::launch(&program("spin"), &[]);
    let pid = server.inferior_pid;
    server.signal(libc::SIGKILL);
    server.wait_exit(EVENT_TIMEOUT).expect("the server exits");
    // PTRACE_O_EXITKILL: no stopped orphan.
    assert_gone(pid, "SIGKILL to the server");
}

#[test]
fn gdb_killed_while_the_program_is_stopped_or_running_leaves_nothing_behind() {
    // Stopped at a breakpoint.
    let server = Server::launch(&program("basic"), &[]);
    let pid = server.inferior_pid;
    let gdb = BackgroundGdb::tcp(server.port, &server.program, &["break add", "continue"]);
    gdb.wait_for("the breakpoint", |t| t.contains("Breakpoint 1, add ("));
    gdb.kill();
    server.assert_exits("gdb killed at a breakpoint");
    assert_gone(pid, "gdb killed at a breakpoint");

    // Running.
    let server = Server::launch(&program("spin"), &[]);
    let pid = server.inferior_pid;
    let gdb = BackgroundGdb::tcp(server.port, &server.program, &["continue"]);
    assert!(
        server.wait_output("spinning", EVENT_TIMEOUT),
        "{}",
        server.output()
    );
    gdb.kill();
    server.assert_exits("gdb killed while the program runs");
    assert_gone(pid, "gdb killed while the program runs");
}

#[test]
fn gdb_killed_while_attached_releases_the_program_without_its_breakpoints() {
    let dir = TempDir::new("gdb-killed-attach");
    let ticker = Ticker::start(&dir, "ticker");
    let server = AttachServer::start(ticker.pid());
    let gdb = BackgroundGdb::tcp(
        server.port,
        &program("jobctl_ticker"),
        &[
            "set breakpoint always-inserted on",
            "break rare",
            "break tick",
            "continue",
        ],
    );
    gdb.wait_for("the breakpoint", |t| t.contains("Breakpoint 2, "));
    gdb.kill();
    server.assert_exits("gdb killed");
    ticker.assert_runs_untraced("after gdb was killed");
    ticker.command(b'q');
}

#[test]
fn a_multi_server_outlives_a_killed_gdb_and_serves_the_next() {
    let server = MultiServer::start();
    let basic = program("basic");
    let run = format!("set remote exec-file {}", basic.display());
    let target =
        std::ffi::OsString::from(format!("target extended-remote 127.0.0.1:{}", server.port));
    let gdb = BackgroundGdb::start(&target, &basic, &[&run, "break add", "run"]);
    gdb.wait_for("the breakpoint", |t| t.contains("Breakpoint 1, add ("));
    gdb.kill();
    let first = server.created_pids();
    assert_eq!(first.len(), 1);
    // The next gdb is served (the first one's program, stopped, is still
    // the server's, as with gdbserver).
    let next = server.gdb(&basic, &[], &["info os processes"]);
    next.assert_contains(&basic.display().to_string());
    assert!(server.is_running());
}

#[test]
fn a_connection_cut_in_the_middle_of_a_packet_ends_the_session_cleanly() {
    let server = Server::launch(&program("basic"), &[]);
    let pid = server.inferior_pid;
    let mut client = server.rsp();
    client.request("?").expect("stop reason");
    client.send_raw(b"$m5555").expect("half a packet");
    drop(client);
    server.assert_exits("connection cut mid-packet");
    assert_gone(pid, "connection cut mid-packet");
}

#[test]
fn a_client_that_stops_reading_a_large_reply_does_not_hang_the_server() {
    let server = Server::launch(&program("bigbuf"), &[]);
    let pid = server.inferior_pid;
    let mut client = server.rsp();
    client.start_no_ack_mode().expect("no-ack");
    let stop = client.request("?").expect("stop reason");
    let pc = stop
        .split(';')
        .find_map(|f| f.strip_prefix("10:"))
        .expect("pc");
    let pc = u64::from_le_bytes(
        rsp::decode_hex(pc)
            .expect("hex")
            .try_into()
            .expect("8 bytes"),
    );
    // Far more reply than the socket buffers hold, never read.
    for _ in 0..400 {
        client
            .send_raw(&rsp::frame(format!("m{pc:x},10000").as_bytes()))
            .expect("send");
    }
    drop(client);
    server.assert_exits("a client that stopped reading");
    assert_gone(pid, "a client that stopped reading");
}

#[test]
fn the_program_killed_behind_gdbs_back_is_reported_killed() {
    // While stopped at a breakpoint: gdb learns it at its next resume.
    let dir = TempDir::new("killed-behind");
    let fifo = dir.bare_fifo("hold");
    let server = Server::launch(&program("basic"), &[]);
    let pid = server.inferior_pid;
    let cmds = then_wait(&["break add", "continue"], &fifo);
    let mut cmds: Vec<&str> = cmds.iter().map(String::as_str).collect();
    cmds.push("continue");
    let gdb = BackgroundGdb::tcp(server.port, &server.program, &cmds);
    gdb.wait_for("the breakpoint", |t| t.contains("Breakpoint 1, add ("));
    // SAFETY: kill(2) of the program, which is stopped and not reaped.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    std::fs::write(&fifo, b"go\n").expect("release gdb");
    let out = gdb.finish();
    out.assert_contains("Program terminated with signal SIGKILL");
    server.assert_exits("after the program was killed");
    assert_gone(pid, "killed while stopped");

    // While running.
    let server = Server::launch(&program("spin"), &[]);
    let pid = server.inferior_pid;
    let gdb = BackgroundGdb::tcp(server.port, &server.program, &["continue"]);
    assert!(server.wait_output("spinning", EVENT_TIMEOUT));
    // SAFETY: as above, the program runs.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    let out = gdb.finish_within(Duration::from_secs(30));
    out.assert_contains("Program terminated with signal SIGKILL");
    server.assert_exits("after the running program was killed");
    assert_gone(pid, "killed while running");
}

#[test]
fn a_second_client_waits_and_the_first_session_is_undisturbed() {
    let run = ResultRun::basic("second-client");
    let server = &run.server;
    let mut first = server.rsp();
    let stop = first.request("?").expect("stop reason");
    // A second connection while the first is served: queued, not answered.
    let mut second = server.rsp();
    second.send_raw(&rsp::frame(b"qSupported")).expect("send");
    assert!(
        second.read_packet(Duration::from_millis(300)).is_err(),
        "the second client was answered"
    );
    // The first session goes on: same stop, then the program runs to its end.
    assert_eq!(first.request("?").expect("?"), stop);
    let reply = first.request("vCont;c").expect("exit");
    assert!(reply.starts_with('W'), "{reply}");
    assert_eq!(read_result(&run.result), BASIC_RESULT);
}
