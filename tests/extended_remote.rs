//! `target extended-remote` with several processes on one connection: a
//! program run, another attached next to it, each debugged, one killed and
//! one detached, then run again; and processes exiting one after the other
//! under gdb's non-stop target (`maint set target-non-stop on`). The server
//! serves on while gdb is connected and after it leaves.

mod common;

use common::*;

#[test]
fn run_attach_kill_detach_then_run_again() {
    let dir = TempDir::new("extmulti");
    let ticker = Ticker::start(&dir, "ticker");
    let server = MultiServer::start();
    let basic = program("basic");
    let first = dir.file("first");
    let second = dir.file("second");
    let gdb = server.gdb(
        &basic,
        &[],
        &[
            &format!("set remote exec-file {}", basic.display()),
            "break add",
            &format!("run {}", first.display()),
            "print a + b",
            "add-inferior",
            "inferior 2",
            &format!("attach {}", ticker.pid()),
            "print counter > 0",
            "info inferiors",
            "inferior 1",
            "kill",
            "inferior 2",
            "detach",
            "inferior 1",
            &format!("run {}", second.display()),
            "print a * b",
            "continue",
        ],
    );
    let created = server.created_pids();
    assert_eq!(created.len(), 2, "{}\n{}", gdb.text, server.output());
    let (run1, run2) = (created[0], created[1]);
    assert_eq!(gdb.count("Breakpoint 1, add (a=2, b=3)"), 2, "{}", gdb.text);
    assert_eq!(gdb.value(1), "5");
    // The attached ticker is debugged next to the first run.
    assert_eq!(gdb.value(2), "1");
    gdb.assert_contains(&format!("1    process {run1} "));
    gdb.assert_contains(&format!("* 2    process {} ", ticker.pid()));
    gdb.assert_contains(&format!("[Inferior 1 (process {run1}) killed]"));
    gdb.assert_contains(&format!("[Inferior 2 (process {}) detached]", ticker.pid()));
    // The second run stops at the same breakpoint and finishes.
    assert_eq!(gdb.value(3), "6");
    gdb.assert_contains(&format!("[Inferior 1 (process {run2}) exited normally]"));
    assert_eq!(proc_state(run1), None, "the killed run is reaped");
    assert!(!first.exists(), "the killed run did not finish");
    assert_eq!(read_result(&second), "r=5 f=5 s=45 counter=110\n");
    ticker.assert_runs_untraced("after detach");
    // Serving on after gdb left.
    assert!(
        server.wait_output_for(EVENT_TIMEOUT, |t| t.matches("Listening on port").count()
            >= 2),
        "{}",
        server.output()
    );
    assert!(server.is_running());
}

#[test]
fn processes_exit_one_by_one_under_the_non_stop_target() {
    let dir = TempDir::new("extexit");
    let server = MultiServer::start();
    let basic = program("basic");
    let results: Vec<_> = (1..=3).map(|n| dir.file(&format!("r{n}"))).collect();
    let mut cmds = vec![
        format!("set remote exec-file {}", basic.display()),
        "break five".to_string(),
    ];
    for (n, result) in results.iter().enumerate() {
        if n > 0 {
            cmds.push("add-inferior".into());
            cmds.push(format!("inferior {}", n + 1));
            cmds.push(format!("file {}", basic.display()));
            cmds.push(format!("set remote exec-file {}", basic.display()));
        }
        cmds.push(format!("run {}", result.display()));
    }
    cmds.push("set schedule-multiple on".into());
    cmds.push("delete".into());
    // Each continue ends with one process's exit; gdb stops the others
    // (in non-stop, one `vCont;t` per thread) in between. The next
    // continue starts from a live inferior, as gdb.multi/multi-exit does
    // (gdb may not have taken in yet that the one it picks has exited too:
    // its frame then cannot be shown, and the continue reports the exit).
    for _ in 0..3 {
        cmds.push(
            "python next(gdb.execute(f'inferior {i.num}') for i in gdb.inferiors() if i.pid)"
                .into(),
        );
        cmds.push("continue".into());
    }
    cmds.push("info inferiors".into());
    let cmds: Vec<&str> = cmds.iter().map(String::as_str).collect();
    let gdb = server.gdb(&basic, &["maint set target-non-stop on"], &cmds);
    let hits = gdb
        .text
        .lines()
        .filter(|l| l.contains("Breakpoint 1") && l.contains(", five () at"))
        .count();
    assert_eq!(hits, 3, "{}", gdb.text);
    assert_eq!(gdb.count(") exited normally]"), 3, "{}", gdb.text);
    for result in &results {
        assert_eq!(read_result(result), "r=5 f=5 s=45 counter=110\n");
    }
    for pid in server.created_pids() {
        assert_eq!(proc_state(pid), None, "process {pid} reaped");
    }
    assert!(server.is_running());
}

#[test]
fn run_takes_gdbs_environment_and_working_directory() {
    let dir = TempDir::new("extenv");
    let server = MultiServer::start();
    let envcwd = program("envcwd");
    let first = dir.file("first");
    let second = dir.file("second");
    let workdir = dir.file("work");
    std::fs::create_dir(&workdir).expect("mkdir");
    let gdb = server.gdb(
        &envcwd,
        &[],
        &[
            &format!("set remote exec-file {}", envcwd.display()),
            "set environment RGDB_TEST_VAR=hello world",
            "unset environment RGDB_TEST_UNSET",
            &format!("set cwd {}", workdir.display()),
            &format!("run {}", first.display()),
            // Back to the server's own environment and directory.
            "unset environment RGDB_TEST_VAR",
            "set cwd",
            &format!("run {}", second.display()),
        ],
    );
    assert_eq!(gdb.count("exited normally]"), 2, "{}", gdb.text);
    assert_eq!(
        read_result(&first),
        format!("var=hello world unset=(none) cwd={}\n", workdir.display())
    );
    let ours = std::env::current_dir().expect("cwd");
    assert_eq!(
        read_result(&second),
        format!("var=(none) unset=(none) cwd={}\n", ours.display())
    );
}

#[test]
fn run_in_a_missing_directory_is_refused_with_the_reason() {
    let dir = TempDir::new("extnodir");
    let server = MultiServer::start();
    let envcwd = program("envcwd");
    let missing = dir.file("missing");
    let gdb = server.gdb(
        &envcwd,
        &[],
        &[
            &format!("set remote exec-file {}", envcwd.display()),
            &format!("set cwd {}", missing.display()),
            "run /dev/null",
            "set cwd",
            &format!("run {}", dir.file("after").display()),
        ],
    );
    assert!(
        server
            .output()
            .contains(&format!("{}: No such file or directory", missing.display())),
        "{}",
        server.output()
    );
    // The session goes on: the next run works. (GNU gdbserver 13's next
    // vRun fails: gdb gets "Unknown remote qXfer reply: OK".)
    if !is_gnu_gdbserver() {
        gdb.assert_contains("exited normally]");
        assert!(dir.file("after").exists());
    }
}

#[test]
fn run_without_the_run_packet_restarts_the_program_with_r() {
    let server = MultiServer::start();
    let basic = program("basic");
    let gdb = server.gdb_running(
        &basic,
        &[
            "break add",
            "run",
            "set var counter = 77",
            // gdb now restarts with `R`, which has no reply: the server
            // kills the program and starts it again.
            "set remote run-packet off",
            "set remote exec-file",
            "run",
            "print counter",
            "continue",
            "continue",
        ],
    );
    assert_eq!(gdb.count("Breakpoint 1, add ("), 2, "{}", gdb.text);
    // A new process: the old one's change is gone.
    assert_eq!(gdb.value(1), "0");
    gdb.assert_contains("exited normally]");
    assert!(
        server.output().contains("GDBserver restarting"),
        "{}",
        server.output()
    );
    let pids = server.created_pids();
    assert_eq!(pids.len(), 2, "{}", server.output());
    assert!(
        !std::path::Path::new(&format!("/proc/{}", pids[0])).exists(),
        "the first process is left"
    );
}

#[test]
fn run_follows_gdbs_disable_randomization_setting() {
    let server = MultiServer::start();
    let basic = program("basic");
    let gdb = server.gdb_running(
        &basic,
        &[
            "start",
            "print/x $pc",
            "kill",
            "set disable-randomization off",
            "start",
            "print/x $pc",
            "kill",
            "start",
            "print/x $pc",
            "kill",
        ],
    );
    gdb.assert_lacks("unsupported on");
    let fixed = gdb.value(1);
    // With ASLR on, the program (PIE) loads elsewhere, each run anew.
    assert_ne!(gdb.value(2), fixed, "{}", gdb.text);
    assert_ne!(gdb.value(3), gdb.value(2), "{}", gdb.text);
}
