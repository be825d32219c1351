//! Lifecycle: `kill` kills and reaps the program, `detach` lets it finish on
//! its own with every breakpoint removed, and Ctrl-C (0x03 on the wire, sent
//! by the raw RSP client while the program spins) stops it with SIGINT.

mod common;

use common::rsp::REPLY_TIMEOUT;
use common::*;

#[test]
fn kill_kills_and_reaps_the_program() {
    let server = Server::launch(&program("basic"), &[]);
    let pid = server.inferior_pid;
    let gdb = server.gdb(&[
        "break add",
        "continue",
        "kill",
        // Right after the kill reply: the process must be gone, not a zombie.
        &format!("shell if test -e /proc/{pid}; then echo still-there; cat /proc/{pid}/stat; else echo gone-{pid}; fi"),
        "info registers rip",
    ]);
    gdb.assert_contains("Breakpoint 1, add (a=2, b=3)");
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) killed]"));
    gdb.assert_contains(&format!("gone-{pid}"));
    gdb.assert_contains("The program has no registers now.");
    server.assert_exits("after kill");
    assert_eq!(proc_state(pid), None);
    // Killed before it could print anything.
    assert!(
        !server.output().contains("basic done"),
        "{}",
        server.output()
    );
}

#[test]
fn without_multiprocess_kill_and_qattached_are_about_the_current_process() {
    let server = Server::launch(&program("basic"), &[]);
    let pid = server.inferior_pid;
    let gdb = server.gdb_with(
        &["set remote multiprocess-feature-packet off"],
        &["break add", "continue", "kill"],
    );
    gdb.assert_contains("Breakpoint 1, add (a=2, b=3)");
    // gdb names its placeholder pid in vKill; gdb asked qAttached without
    // a pid and heard "started by the server", so it kills, not detaches.
    gdb.assert_contains("[Inferior 1 (Remote target) killed]");
    gdb.assert_lacks("Can't kill process");
    server.assert_exits("after kill");
    assert_eq!(proc_state(pid), None);
}

#[test]
fn stop_replies_without_t_are_plain_signals_and_gdb_still_finds_the_thread() {
    let server = Server::launch_with(
        &["--once", "--disable-packet=T,qfThreadInfo"],
        "127.0.0.1:0",
        &program("basic"),
        &[],
    );
    let mut client = server.rsp();
    assert_eq!(client.request("?").expect("stop reason"), "S05");
    assert_eq!(client.request("qAttached").expect("qAttached"), "0");
    drop(client);
    let server = Server::launch_with(
        &["--once", "--disable-packet=T,qfThreadInfo"],
        "127.0.0.1:0",
        &program("basic"),
        &[],
    );
    let gdb = server.gdb_with(
        &[
            "set remote threads-packet off",
            "set remote multiprocess-feature-packet off",
        ],
        &["info threads", "break add", "continue", "info threads"],
    );
    gdb.assert_contains("Breakpoint 1, add (a=2, b=3)");
    gdb.assert_contains(&format!("Thread {}", server.inferior_pid));
    gdb.assert_lacks("No threads.");
}

#[test]
fn detach_lets_the_program_finish_without_breakpoints() {
    let run = ResultRun::basic("detach");
    let server = &run.server;
    let pid = server.inferior_pid;
    // bump() and the loop run after the detach: a breakpoint left behind
    // would kill the program with SIGTRAP before it writes its result.
    let gdb = server.gdb(&[
        "break add",
        "break bump",
        &format!("break {}", loc("basic", "LOOP_BODY")),
        "continue",
        "detach",
    ]);
    gdb.assert_contains("Breakpoint 1, add (a=2, b=3)");
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) detached]"));
    // The program holds the server's output pipe: EOF means it has exited.
    assert!(
        server.wait_output_eof(EVENT_TIMEOUT),
        "program did not finish after detach:\n{}",
        server.output()
    );
    let out = server.output();
    assert!(out.contains("basic done r=5 f=5 s=45 counter=110"), "{out}");
    assert_eq!(read_result(&run.result), BASIC_RESULT);
    server.assert_exits("after the program finished");
}

#[test]
fn detach_removes_breakpoints_gdb_left_inserted() {
    // gdb itself removes its breakpoints before `D`; a raw client does not,
    // so this checks that the server removes what is still inserted.
    let run = ResultRun::launch_with(&[], "rawdetach", "basic", &[]);
    let server = &run.server;
    let gdb = server.gdb(&[
        "break main",
        "continue",
        "p/x &bump",
        "p/x &sum_to",
        "disconnect",
    ]);
    let bump = gdb.value(1);
    let sum_to = gdb.value(2);
    assert!(
        bump.starts_with("0x") && sum_to.starts_with("0x"),
        "{}",
        gdb.text
    );
    assert!(
        server.wait_listening(2, EVENT_TIMEOUT),
        "{}",
        server.output()
    );
    let mut client = server.rsp();
    let stop = client.request("?").expect("? reply");
    assert!(stop.starts_with('T'), "{stop}");
    for addr in [&bump, &sum_to] {
        let z = format!("Z0,{},1", addr.trim_start_matches("0x"));
        assert_eq!(client.request(&z).expect("Z0 reply"), "OK");
    }
    let d = client.request("D").expect("D reply");
    assert_eq!(d, "OK");
    assert!(
        server.wait_output_eof(EVENT_TIMEOUT),
        "program did not finish after detach:\n{}",
        server.output()
    );
    assert!(
        server
            .output()
            .contains(&format!("Detaching from process {}", server.inferior_pid)),
        "{}",
        server.output()
    );
    // GNU gdbserver 13 leaves breakpoints that are still inserted at `D` in
    // the program, which then dies of SIGTRAP in bump() without writing its
    // result. rgdbserver must remove them (DESIGN.md section 5, Detach).
    if is_gnu_gdbserver() {
        return;
    }
    assert_eq!(read_result(&run.result), BASIC_RESULT);
}

#[test]
fn ctrl_c_stops_a_running_program_with_sigint() {
    let server = Server::launch(&program("spin"), &[]);
    let pid = server.inferior_pid;
    let mut client = server.rsp();
    let first = client.request("?").expect("initial stop reply");
    assert!(first.starts_with("T05"), "{first}");
    client.send_packet("vCont;c").expect("send vCont;c");
    // The program announces that it is spinning; then interrupt it.
    assert!(
        server.wait_output("spinning\n", EVENT_TIMEOUT),
        "program did not start spinning:\n{}",
        server.output()
    );
    assert_eq!(proc_state(pid).map(|s| s == 'R' || s == 'S'), Some(true));
    client.send_interrupt().expect("send 0x03");
    let reply = client
        .read_packet(REPLY_TIMEOUT)
        .expect("stop reply after 0x03");
    assert!(reply.starts_with("T02"), "{reply}");
    // The reply names the stopped thread: the only one, tid == pid.
    let thread = reply
        .split(';')
        .find_map(|f| f.strip_prefix("thread:"))
        .unwrap_or_else(|| panic!("no thread in {reply}"));
    let tid_hex = thread.rsplit('.').next().unwrap();
    assert_eq!(
        i64::from_str_radix(tid_hex, 16).ok(),
        Some(pid as i64),
        "{reply}"
    );
    assert_eq!(proc_state(pid), Some('t'), "program not stopped");
    // The program is really stopped where it spins: in main.
    let regs = client.request("g").expect("g reply");
    assert!(regs.len() >= 17 * 16, "{regs}");
    client.send_packet("k").expect("send k");
    client
        .wait_closed(EVENT_TIMEOUT)
        .expect("server closes after k");
    server.assert_exits("after k");
    assert_eq!(proc_state(pid), None);
}
