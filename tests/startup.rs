//! Startup: the command line, the messages the server prints, where the
//! program first stops, re-listening without `--once`, exiting after the
//! program, the program's own process group, and ASLR control.
//!
//! Reference behaviour is GNU gdbserver's (`RGDB_TEST_SERVER=/usr/bin/gdbserver`).

mod common;

use common::*;
use std::net::TcpListener;

/// `ADDR_NO_RANDOMIZE` from <sys/personality.h>.
const ADDR_NO_RANDOMIZE: u32 = 0x0040000;

fn personality(pid: i32) -> u32 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/personality")).expect("personality");
    u32::from_str_radix(text.trim(), 16).expect("hex personality")
}

#[test]
fn port_zero_picks_a_port_and_prints_it() {
    let prog = program("basic");
    let server = Server::launch(&prog, &[]);
    let out = server.output();
    assert_ne!(server.port, 0);
    // The printed port is really the one listening: gdb connects through it.
    let gdb = server.gdb(&["info registers rip"]);
    gdb.assert_contains("rip            0x");
    assert!(
        out.contains(&format!("Listening on port {}\n", server.port)),
        "{out}"
    );
}

#[test]
fn process_created_line_names_the_stopped_program() {
    let prog = program("basic");
    let server = Server::launch(&prog, &[]);
    let out = server.output();
    let line = format!(
        "Process {} created; pid = {}\n",
        prog.display(),
        server.inferior_pid
    );
    assert!(out.contains(&line), "expected {line:?} in:\n{out}");
    // That pid is our program, stopped under ptrace, a child of the server.
    let exe = std::fs::read_link(format!("/proc/{}/exe", server.inferior_pid)).expect("exe");
    assert_eq!(exe, prog);
    assert_eq!(proc_state(server.inferior_pid), Some('t'));
    assert_eq!(proc_ppid(server.inferior_pid), Some(server.pid()));
}

#[test]
fn explicit_host_and_port() {
    // Find a free port, release it, and ask the server for exactly that one.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().unwrap().port()
    };
    let prog = program("basic");
    let server = Server::launch_with(&["--once"], &format!("127.0.0.1:{port}"), &prog, &[]);
    assert_eq!(server.port, port);
    let gdb = run_gdb_at(port, Some(&prog), &["p 6*7"], GDB_TIMEOUT);
    gdb.assert_contains("$1 = 42");
    gdb.assert_contains("in _start ()");
}

#[test]
fn remote_debugging_from_line_names_the_client_port() {
    let prog = program("basic");
    let server = Server::launch(&prog, &[]);
    let mut client = server.rsp();
    let line = format!(
        "Remote debugging from host 127.0.0.1, port {}\n",
        client.local_port()
    );
    assert!(
        server.wait_output(&line, EVENT_TIMEOUT),
        "expected {line:?} in:\n{}",
        server.output()
    );
    let reply = client.request("?").expect("stop reply");
    assert!(reply.starts_with('T') || reply.starts_with('S'), "{reply}");
}

#[test]
fn first_stop_is_the_dynamic_loaders_entry() {
    let prog = program("basic");
    let server = Server::launch(&prog, &[]);
    // No local executable: everything gdb knows comes from the server.
    let gdb = run_gdb_at(
        server.port,
        None,
        &["info symbol $pc", "x/i $pc"],
        GDB_TIMEOUT,
    );
    gdb.assert_contains("_start in section .text of ");
    let sym_line = gdb
        .text
        .lines()
        .find(|l| l.starts_with("_start in section .text of "))
        .unwrap();
    assert!(sym_line.contains("ld-linux-x86-64.so.2"), "{}", gdb.text);
    gdb.assert_contains("=> 0x");
    gdb.assert_contains("<_start>:");
}

#[test]
fn stdio_mode_runs_the_program_and_passes_its_output() {
    let dir = TempDir::new("stdio");
    let prog = program("basic");
    let result = dir.file("result");
    let result_s = result.to_str().unwrap();
    let gdb = run_gdb_stdio(
        &prog,
        &[result_s],
        &["break add", "continue", "p a + b", "continue"],
        GDB_TIMEOUT,
    );
    gdb.assert_contains("Remote debugging using stdio");
    gdb.assert_contains(&format!("Process {} created; pid = ", prog.display()));
    gdb.assert_contains("Breakpoint 1, add (a=2, b=3)");
    assert_eq!(gdb.value(1), "5", "{}", gdb.text);
    // The program's stdout travels over the server's stderr, not the
    // protocol channel, and gdb still works after it.
    gdb.assert_contains("basic done r=5 f=5 s=45 counter=110");
    let pid = parse_created_pid(&gdb.text).unwrap();
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) exited normally]"));
    assert_eq!(read_result(&result), "r=5 f=5 s=45 counter=110\n");
}

#[test]
fn without_once_the_server_listens_again_and_keeps_the_program() {
    let run = ResultRun::launch_with(&[], "relisten", "basic", &[]);
    let server = &run.server;
    let first = server.gdb(&[
        "break add",
        "continue",
        "set var counter = 1000",
        "disconnect",
    ]);
    first.assert_contains("Breakpoint 1, add (a=2, b=3)");
    // The server announces the port again once the first session is gone.
    assert!(
        server.wait_listening(2, EVENT_TIMEOUT),
        "server did not listen again:\n{}",
        server.output()
    );
    assert_eq!(parse_listening_port(&server.output()), Some(server.port));
    assert_eq!(server.exit_status(), None, "server exited after disconnect");
    // A second session finds the program still stopped in add(), with the
    // value the first session wrote.
    let second = server.gdb(&["info symbol $pc", "p counter", "p a", "continue"]);
    second.assert_contains("add + ");
    assert_eq!(second.value(1), "1000", "{}", second.text);
    assert_eq!(second.value(2), "2", "{}", second.text);
    second.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        server.inferior_pid
    ));
    assert_eq!(read_result(&run.result), "r=5 f=5 s=45 counter=1110\n");
    assert_eq!(exit_code(server.wait_exit(EVENT_TIMEOUT)), 0);
}

#[test]
fn server_exits_after_the_program_exits() {
    let prog = program("signals");
    let server = Server::launch(&prog, &["exit3"]);
    let gdb = server.gdb(&["continue"]);
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited with code 03]",
        server.inferior_pid
    ));
    server.assert_exits("after the program exited");
    assert!(
        server.output().contains("Child exited with status 3\n"),
        "{}",
        server.output()
    );
    assert_eq!(proc_state(server.inferior_pid), None);
}

#[test]
fn program_runs_in_its_own_process_group() {
    let prog = program("basic");
    let server = Server::launch(&prog, &[]);
    let pid = server.inferior_pid;
    let gdb = server.gdb(&[
        "break main",
        "continue",
        "echo stat-begin\\n",
        &format!("shell cat /proc/{pid}/stat"),
        "echo stat-end\\n",
    ]);
    gdb.assert_contains("Breakpoint 1, main (");
    let stat = gdb.section("stat");
    let after = &stat[stat.rfind(')').expect("stat line") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // State, ppid, pgrp: traced-stopped, child of the server, own group.
    assert_eq!(fields[0], "t", "{stat}");
    assert_eq!(fields[1], server.pid().to_string(), "{stat}");
    assert_eq!(fields[2], pid.to_string(), "{stat}");
    assert_ne!(proc_pgrp(server.pid()), Some(pid));
}

#[test]
fn aslr_is_disabled_by_default() {
    let prog = program("basic");
    let a = Server::launch(&prog, &[]);
    assert_ne!(
        personality(a.inferior_pid) & ADDR_NO_RANDOMIZE,
        0,
        "ADDR_NO_RANDOMIZE not set"
    );
    let sp_a = a.gdb(&["break main", "continue", "p/x &stack_marker"]);
    let b = Server::launch(&prog, &[]);
    let sp_b = b.gdb(&["break main", "continue", "p/x &stack_marker"]);
    let (va, vb) = (sp_a.value(1), sp_b.value(1));
    assert!(va.starts_with("0x7ff"), "{}", sp_a.text);
    assert_eq!(va, vb, "stack address differs between two runs");
}

#[test]
fn no_disable_randomization_keeps_aslr() {
    let prog = program("basic");
    let server = Server::launch_with(
        &["--once", "--no-disable-randomization"],
        "127.0.0.1:0",
        &prog,
        &[],
    );
    assert_eq!(
        personality(server.inferior_pid) & ADDR_NO_RANDOMIZE,
        0,
        "ADDR_NO_RANDOMIZE set despite --no-disable-randomization"
    );
    let gdb = server.gdb(&["p 1"]);
    gdb.assert_contains("$1 = 1");
}

#[test]
fn a_wrapper_starts_the_program_and_gdb_takes_it_at_its_exec() {
    let dir = TempDir::new("wrapper");
    let result = dir.file("result");
    let server = Server::launch_with(
        &["--once", "--wrapper", "env", "RGDB_TEST_VAR=wrapped", "--"],
        "127.0.0.1:0",
        &program("envcwd"),
        &[result.to_str().expect("utf-8 path")],
    );
    // gdb has the program itself (its main), not the wrapper.
    let gdb = server.gdb(&["break main", "continue", "info inferiors", "continue"]);
    gdb.assert_contains("Breakpoint 1, main (");
    gdb.assert_contains("exited normally]");
    let cwd = std::env::current_dir().expect("cwd");
    assert_eq!(
        read_result(&result),
        format!("var=wrapped unset=(none) cwd={}\n", cwd.display())
    );
    server.assert_exits("after the program exited");
}

#[test]
fn remote_debug_writes_no_control_bytes_to_the_terminal() {
    let server = Server::launch_with(
        &["--once", "--remote-debug"],
        "127.0.0.1:0",
        &program("basic"),
        &[],
    );
    // gdb reads the program and its libraries through vFile: binary replies.
    let gdb = server.gdb(&["break main", "continue"]);
    gdb.assert_contains("Breakpoint 1, main (");
    drop(gdb);
    let log = server.output();
    assert!(log.contains("putpkt (\"F"), "no vFile reply logged:\n{log}");
    let bad: Vec<char> = log
        .chars()
        .filter(|&c| c.is_control() && c != '\n' && c != '\t')
        .collect();
    assert!(
        bad.is_empty(),
        "{} control characters in the log, the first: {:?}",
        bad.len(),
        &bad[..bad.len().min(20)]
    );
}

#[test]
fn debug_file_takes_the_logs_with_gdbservers_timestamps() {
    let dir = TempDir::new("debugfile");
    let log_file = dir.file("server.log");
    let flag = format!("--debug-file={}", log_file.display());
    let server = Server::launch_with(
        &[
            "--once",
            "--remote-debug",
            "--debug-format=timestamp",
            &flag,
        ],
        "127.0.0.1:0",
        &program("basic"),
        &[],
    );
    let gdb = server.gdb(&["break main", "continue"]);
    gdb.assert_contains("Breakpoint 1, main (");
    drop(gdb);
    assert!(!server.output().contains("[remote]"), "{}", server.output());
    let log = std::fs::read_to_string(&log_file).expect("debug file");
    let packets: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("[remote] getpkt"))
        .collect();
    assert!(packets.len() > 10, "{log}");
    for line in packets {
        // `SECONDS.MICROS [remote] ...`, as gdbserver's --debug-format=timestamp.
        let (stamp, _) = line.split_once(' ').expect("stamp");
        let (seconds, micros) = stamp.split_once('.').expect("seconds.micros");
        assert!(
            seconds.parse::<u64>().is_ok() && micros.len() == 6,
            "{line}"
        );
    }
}

#[test]
fn monitor_commands_answer_as_gdbservers() {
    let server = Server::launch(&program("basic"), &[]);
    let gdb = server.gdb(&[
        "monitor help",
        "monitor",
        "monitor set debug-format all",
        "monitor set debug-format none",
        "monitor set debug-hw-points 1",
        "monitor set event-loop-debug 0",
        "monitor set debug 2",
        "print 1",
    ]);
    gdb.assert_contains("set debug-format option1[,option2,...]");
    gdb.assert_contains("Unknown monitor command.");
    // An unknown command fails the packet, as gdbserver's does.
    assert_eq!(gdb.count("Protocol error with Rcmd"), 2, "{}", gdb.text);
    gdb.assert_contains("All extra debug format options enabled.");
    gdb.assert_contains("All extra debug format options disabled.");
    gdb.assert_contains("H/W point debugging output enabled.");
    gdb.assert_contains("Event loop debug output disabled.");
    // The session went on.
    assert_eq!(gdb.value(1), "1");
}

#[test]
fn listening_beyond_loopback_warns_once_and_loopback_does_not() {
    let prog = program("basic");
    let open = Server::launch_with(&["--once"], ":0", &prog, &[]);
    let out = open.output();
    assert_eq!(
        out.matches("reachable from the network").count(),
        1,
        "{out}"
    );
    assert!(out.contains(&format!("0.0.0.0:{}", open.port)), "{out}");
    // `:PORT` still means every interface, as with gdbserver: gdb connects.
    open.gdb(&["info registers rip"])
        .assert_contains("rip            0x");
    for address in ["127.0.0.1:0", "localhost:0"] {
        let local = Server::launch_with(&["--once"], address, &prog, &[]);
        assert!(
            !local.output().contains("reachable from the network"),
            "{address}: {}",
            local.output()
        );
    }
}
