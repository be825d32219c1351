//! Attaching to a running process (`--attach COMM PID`), refusals, detach and
//! dropped connections.
//!
//! The programs run under `attach_parent`, their real parent, which logs
//! every stop/continue notification it gets: a transparent attach leaves that
//! log with the child's start and end only. `attach_blockers` has named
//! threads blocked in read(2), nanosleep(2), a raw FUTEX_WAIT and
//! pthread_cond_wait, plus a thread spawner, and reports after its release
//! how often each call returned before it was released (EINTR or an extra
//! wakeup). `jobctl_ticker` prints `tick N` every ~10 ms and calls rare()
//! only on request, so breakpoints left behind would show.
//!
//! The programs, the ticker and the attached server are tests/common's
//! (attach.rs there), shared with tests/job_control.rs.

mod common;

use common::rsp::RspClient;
use common::*;
use std::ffi::OsStr;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The system call a sleeping thread is blocked in (/proc/PID/task/TID/
/// syscall), or None if it runs or is gone.
fn blocked_in(pid: i32, tid: i32) -> Option<i64> {
    let text = fs::read_to_string(format!("/proc/{pid}/task/{tid}/syscall")).ok()?;
    text.split_whitespace().next()?.parse().ok()
}

// ---------------------------------------------------------------------------
// 1. Attach: every thread with its name, no signal reaches the program
// ---------------------------------------------------------------------------

/// Blocker threads of `attach_blockers`: name and the system calls
/// (x86_64 numbers via libc) it must be sleeping in.
const BLOCKERS: &[(&str, &[i64])] = &[
    ("ab-main", &[libc::SYS_read]),
    // After a ptrace stop the kernel resumes an interrupted nanosleep as
    // restart_syscall(2), transparently to the program.
    (
        "ab-sleep",
        &[
            libc::SYS_nanosleep,
            libc::SYS_clock_nanosleep,
            libc::SYS_restart_syscall,
        ],
    ),
    ("ab-futex", &[libc::SYS_futex]),
    ("ab-cond", &[libc::SYS_futex]),
];

/// `attach_blockers` under its parent, every blocker asleep in its call.
fn start_blockers() -> (Program, Vec<(&'static str, i32)>) {
    let prog = Program::start(&program("attach_blockers"), &[]);
    let text = prog.text();
    let tids: Vec<(&str, i32)> = BLOCKERS
        .iter()
        .map(|(name, _)| {
            let tid = line_field(&text, &format!("thread {name} "), "tid")
                .and_then(|t| t.parse().ok())
                .unwrap_or_else(|| panic!("no tid for {name}:\n{text}"));
            (*name, tid)
        })
        .collect();
    assert_blocked(&prog, &tids, "before attach");
    (prog, tids)
}

/// Every blocker sleeps in its system call (what attach must not disturb).
fn assert_blocked(prog: &Program, tids: &[(&str, i32)], when: &str) {
    for ((name, tid), (_, calls)) in tids.iter().zip(BLOCKERS) {
        let ok = poll_until(EVENT_TIMEOUT, || {
            blocked_in(prog.pid, *tid).is_some_and(|nr| calls.contains(&nr))
                && proc_state(*tid) == Some('S')
        });
        assert!(
            ok,
            "{when}: {name} ({tid}) not blocked in {calls:?}: syscall {:?}, state {:?}",
            blocked_in(prog.pid, *tid),
            proc_state(*tid)
        );
    }
}

/// Releases the blockers and checks that none of them returned before its
/// release, and that the real parent saw no stop or continue.
fn release_and_check_blockers(mut prog: Program) {
    prog.write_stdin(b"x");
    assert!(
        prog.wait_for(EVENT_TIMEOUT, |t| t.contains("parent: exited")),
        "program did not finish after its release:\n{}",
        prog.text()
    );
    let text = prog.text();
    let result = |name: &str, key: &str| -> i64 {
        line_field(&text, &format!("result {name} "), key)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no result {name} {key}:\n{text}"))
    };
    for name in ["read", "sleep", "futex", "cond"] {
        assert_eq!(
            result(name, "spurious"),
            0,
            "{name} returned before its release (EINTR or extra wakeup):\n{text}"
        );
    }
    assert_eq!(result("read", "ret"), 1, "{text}");
    // nanosleep ends with the SIGUSR1 of the release, and only that.
    assert_eq!(
        (result("sleep", "ret"), result("sleep", "errno")),
        (-1, libc::EINTR as i64),
        "{text}"
    );
    // FUTEX_WAIT ends woken (0) or, if the word changed first, EAGAIN.
    assert!(
        matches!(
            (result("futex", "ret"), result("futex", "errno")),
            (0, 0) | (-1, 11)
        ),
        "{text}"
    );
    assert_eq!(result("cond", "ret"), 0, "{text}");
    assert!(result("spawner", "kids") > 0, "{text}");
    assert_eq!(
        prog.parent_log(),
        vec![
            format!("parent: child {}", prog.pid),
            "parent: exited 0".to_string()
        ],
        "the real parent saw a stop or continue:\n{text}"
    );
}

#[test]
fn attach_sees_named_threads_and_sends_no_signal() {
    let (prog, tids) = start_blockers();
    let pid = prog.pid;
    let server = AttachServer::start(pid);
    // Attached: every thread is traced, by the server.
    for tid in tasks(pid) {
        let tracer = status_field(tid, "TracerPid");
        assert!(
            tracer == Some(server.pid().to_string()) || tracer.is_none(),
            "thread {tid} has TracerPid {tracer:?}, server is {}",
            server.pid()
        );
    }
    list_threads_and_detach(&server, &prog, &tids, &[]);
    // Still asleep in the same calls, traced by nobody.
    for tid in tasks(pid) {
        // None: a short-lived "ab-kid" thread that is gone by now.
        let tracer = tracer_pid(tid);
        assert!(
            matches!(tracer, Some(0) | None),
            "thread {tid} still traced by {tracer:?}"
        );
    }
    release_and_check_blockers(prog);
}

/// gdb's all-stop on top of a non-stop target (`maint set target-non-stop
/// on`): after the attach gdb stops each thread itself with `vCont;t`.
#[test]
fn attach_with_a_non_stop_target_stops_every_thread_and_sends_no_signal() {
    let (prog, tids) = start_blockers();
    let pid = prog.pid;
    let server = AttachServer::start(pid);
    list_threads_and_detach(&server, &prog, &tids, &["maint set target-non-stop on"]);
    release_and_check_blockers(prog);
}

/// gdb (with `settings`) on the attached blockers: every named thread is
/// listed and stopped, the spawner creates no thread between two reads of
/// `kids` (a thread missed by the attach would keep running), and after
/// `detach` the server exits and every blocker still sleeps in its call.
fn list_threads_and_detach(
    server: &AttachServer,
    prog: &Program,
    tids: &[(&str, i32)],
    settings: &[&str],
) {
    let pid = prog.pid;
    let gdb = server.gdb_with(
        &program("attach_blockers"),
        settings,
        &[
            "info threads",
            "print kids",
            "info threads",
            "print kids",
            "detach",
        ],
    );
    for (name, tid) in tids {
        gdb.assert_contains(&format!("Thread {pid}.{tid} \"{name}\""));
    }
    gdb.assert_contains("\"ab-spawner\"");
    gdb.assert_lacks("(running)");
    assert_eq!(gdb.value(1), gdb.value(2), "{}", gdb.text);
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) detached]"));
    server.assert_exits("after detach");
    assert_blocked(prog, tids, "after detach");
}

/// A program whose threads keep making threads (each makes its successor
/// and exits): every attach must hold all of them, or a thread left
/// untraced dies of the first breakpoint it meets and takes the process
/// with it (SIGTRAP). Five attach, break, continue, detach rounds.
#[test]
fn attach_holds_every_thread_of_a_process_that_keeps_making_them() {
    let prog = Program::start(&program("thread_chains"), &[]);
    for round in 1..=5 {
        // Its real parent logs a death (a thread left untraced in the
        // previous round that met a breakpoint).
        assert_eq!(
            prog.parent_log().len(),
            1,
            "before round {round}: {}",
            prog.text()
        );
        let server = AttachServer::start(prog.pid);
        let gdb = server.gdb(
            &program("thread_chains"),
            &[
                "break chain_link",
                "continue",
                "continue",
                "continue",
                "delete",
                "detach",
            ],
        );
        assert_eq!(
            gdb.count("hit Breakpoint 1, chain_link"),
            3,
            "round {round}: {}",
            gdb.text
        );
        gdb.assert_lacks("SIGTRAP");
        gdb.assert_contains(&format!("[Inferior 1 (process {}) detached]", prog.pid));
        server.assert_exits("after detach");
    }
    // Alive, and its real parent saw no stop and no death.
    assert_eq!(
        prog.parent_log(),
        vec![format!("parent: child {}", prog.pid)],
        "{}",
        prog.text()
    );
}

#[test]
fn attach_over_stdio() {
    let (prog, tids) = start_blockers();
    let pid = prog.pid;
    let pid_arg = pid.to_string();
    let target = stdio_target(&[
        OsStr::new("--attach"),
        OsStr::new("-"),
        OsStr::new(&pid_arg),
    ]);
    let gdb = BackgroundGdb::start(
        &target,
        &program("attach_blockers"),
        &["info threads", "detach"],
    )
    .finish();
    gdb.assert_contains("Remote debugging using stdio");
    gdb.assert_contains(&format!("Attached; pid = {pid}"));
    for (name, tid) in &tids {
        gdb.assert_contains(&format!("Thread {pid}.{tid} \"{name}\""));
    }
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) detached]"));
    assert_blocked(&prog, &tids, "after detach");
    release_and_check_blockers(prog);
}

// ---------------------------------------------------------------------------
// 2. Attach refused, clearly, with the target untouched
// ---------------------------------------------------------------------------

/// Runs `PREFIX... SERVER --once --attach 127.0.0.1:0 PID` to its exit.
fn refused_attach(prefix: &[&str], pid: i32) -> (Option<std::process::ExitStatus>, String) {
    let mut cmd = match prefix.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(server_path());
            c
        }
        None => Command::new(server_path()),
    };
    cmd.args(["--once", "--attach", "127.0.0.1:0", &pid.to_string()]);
    let (proc, out) = spawn_captured(cmd).expect("spawn the server");
    let status = proc.wait_timeout(EVENT_TIMEOUT);
    if status.is_none() {
        proc.kill(true);
    }
    out.wait_eof(Duration::from_secs(5));
    (status, out.text())
}

#[track_caller]
fn assert_refused(
    status: Option<std::process::ExitStatus>,
    text: &str,
    pid: i32,
    needles: &[&str],
) {
    let status = status.unwrap_or_else(|| panic!("server did not exit:\n{text}"));
    assert!(!status.success(), "server exited 0:\n{text}");
    assert!(
        !text.contains("Listening on port"),
        "server listened:\n{text}"
    );
    assert!(
        text.contains(&format!("{pid}")),
        "message does not name pid {pid}:\n{text}"
    );
    for n in needles {
        assert!(text.contains(n), "message lacks {n:?}:\n{text}");
    }
}

/// The ticker was not disturbed: never stopped (its parent saw nothing),
/// runs on, untraced.
fn assert_untouched(ticker: &Ticker, what: &str) {
    ticker.assert_runs_untraced(what);
    assert_eq!(
        ticker.prog.parent_log(),
        vec![format!("parent: child {}", ticker.pid())],
        "{what}: the real parent saw a stop or continue"
    );
}

#[test]
fn attach_to_missing_process_is_refused() {
    // A PID that existed a moment ago: our own reaped child.
    let child = Command::new("true").spawn().expect("spawn true");
    let w = Watched::new(child);
    w.wait_timeout(EVENT_TIMEOUT).expect("true exits");
    let pid = w.pid();
    assert!(!Path::new(&format!("/proc/{pid}")).exists(), "pid reused");
    let (status, text) = refused_attach(&[], pid);
    assert_refused(status, &text, pid, &["No such process"]);
}

#[test]
fn attach_to_process_held_by_another_server_is_refused() {
    let dir = TempDir::new("attach-held");
    let ticker = Ticker::start(&dir, "t");
    let first = AttachServer::start(ticker.pid());
    let (status, text) = refused_attach(&[], ticker.pid());
    assert_refused(
        status,
        &text,
        ticker.pid(),
        &[&format!("already traced by process {}", first.pid())],
    );
    // Still the first server's, which can still use it.
    assert_eq!(tracer_pid(ticker.pid()), Some(first.pid()));
    let gdb = first.gdb(&program("jobctl_ticker"), &["print &counter", "detach"]);
    assert!(
        gdb.value(1)
            .ends_with(&format!("{:#x} <counter>", ticker.counter)),
        "{}",
        gdb.text
    );
    first.assert_exits("after detach");
    assert_untouched(&ticker, "after the refusal and the first server's detach");
}

#[test]
fn attach_to_process_under_strace_is_refused() {
    if Command::new("strace").arg("-V").output().is_err() {
        eprintln!("strace is not installed: skipped");
        return;
    }
    let dir = TempDir::new("attach-strace");
    let ticker = Ticker::start(&dir, "t");
    let mut cmd = Command::new("strace");
    cmd.args(["-o", "/dev/null", "-p", &ticker.pid().to_string()]);
    let (strace, strace_out) = spawn_captured(cmd).expect("spawn strace");
    assert!(
        strace_out.wait_for(EVENT_TIMEOUT, |t| t.contains("attached")),
        "strace did not attach:\n{}",
        strace_out.text()
    );
    let (status, text) = refused_attach(&[], ticker.pid());
    assert_refused(
        status,
        &text,
        ticker.pid(),
        &[&format!("already traced by process {}", strace.pid())],
    );
    // strace detaches on SIGTERM.
    strace.signal(libc::SIGTERM, false);
    assert!(
        strace.wait_timeout(EVENT_TIMEOUT).is_some(),
        "strace did not exit"
    );
    assert_untouched(&ticker, "after the refusal and strace's detach");
}

#[test]
fn attach_without_permission_is_refused() {
    if Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("setpriv is not installed: skipped");
        return;
    }
    // SAFETY: getuid has no failure mode.
    if unsafe { libc::getuid() } != 0 {
        eprintln!("not root: cannot run the server as another user: skipped");
        return;
    }
    let dir = TempDir::new("attach-perm");
    let ticker = Ticker::start(&dir, "t");
    let (status, text) = refused_attach(
        &[
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ],
        ticker.pid(),
    );
    // The reason, in the user's terms: who owns the process.
    assert_refused(
        status,
        &text,
        ticker.pid(),
        &["Operation not permitted", "belongs to user 0"],
    );
    assert_untouched(&ticker, "after the refusal");
}

// ---------------------------------------------------------------------------
// 3. Detach and disconnect
// ---------------------------------------------------------------------------

#[test]
fn detach_leaves_the_process_running_without_breakpoints() {
    let dir = TempDir::new("attach-detach");
    let ticker = Ticker::start(&dir, "t");
    let server = AttachServer::start(ticker.pid());
    let gdb = server.gdb(
        &program("jobctl_ticker"),
        &["break tick", "break rare", "continue", "continue", "detach"],
    );
    assert_eq!(gdb.count("Breakpoint 1, tick (n="), 2, "{}", gdb.text);
    gdb.assert_contains(&format!("[Inferior 1 (process {}) detached]", ticker.pid()));
    server.assert_exits("after detach");
    // tick() and rare() run again: a breakpoint left behind would kill it
    // with SIGTRAP.
    assert_untouched(&ticker, "after detach");
}

#[test]
fn quit_detaches_from_an_attached_process() {
    let dir = TempDir::new("attach-quit");
    let ticker = Ticker::start(&dir, "t");
    let server = AttachServer::start(ticker.pid());
    // gdb quits while stopped at a breakpoint: the thread must go on with
    // the original instruction.
    let gdb = server.gdb(
        &program("jobctl_ticker"),
        &["break tick", "break rare", "continue", "quit"],
    );
    gdb.assert_contains("Breakpoint 1, tick (n=");
    server.assert_exits("after quit");
    assert_untouched(&ticker, "after quit");
}

#[test]
fn gdb_killed_while_running_leaves_the_process_running() {
    let dir = TempDir::new("attach-gdbkill");
    let ticker = Ticker::start(&dir, "t");
    let server = AttachServer::start(ticker.pid());
    let at_attach = ticker.tick();
    let gdb = BackgroundGdb::tcp(
        server.port,
        &program("jobctl_ticker"),
        &["break rare", "continue"],
    );
    // Ticks again: gdb resumed it, so its breakpoint is in memory now.
    // (gdb's own "Continuing." may sit in its stdout buffer.)
    assert!(
        ticker.wait_tick_past(at_attach + 2),
        "not resumed:\n{}",
        ticker.prog.text()
    );
    gdb.kill();
    server.assert_exits("after gdb died");
    // rare() runs: the server removed the breakpoint before detaching.
    assert_untouched(&ticker, "after gdb died");
}

#[test]
fn closed_connection_leaves_the_process_running() {
    let dir = TempDir::new("attach-close");
    let ticker = Ticker::start(&dir, "t");
    let server = AttachServer::start(ticker.pid());
    let at_attach = ticker.tick();
    {
        let mut client = RspClient::connect(server.port);
        let stop = client.request("?").expect("? reply");
        assert!(stop.starts_with('T'), "{stop:?}");
        let reply = client
            .request(&format!("Z0,{:x},1", ticker.rare))
            .expect("Z0 reply");
        assert_eq!(reply, "OK");
        client.send_packet("vCont;c").expect("send vCont;c");
        assert!(
            ticker.wait_tick_past(at_attach + 2),
            "not resumed:\n{}",
            ticker.prog.text()
        );
        // The socket closes here, with the program running and the
        // breakpoint inserted.
    }
    server.assert_exits("after the connection closed");
    assert_untouched(&ticker, "after the connection closed");
}

#[test]
fn killed_server_leaves_the_attached_process_alive() {
    let dir = TempDir::new("attach-srvkill");
    let ticker = Ticker::start(&dir, "t");
    let server = AttachServer::start(ticker.pid());
    let mut client = RspClient::connect(server.port);
    assert!(client.request("?").expect("? reply").starts_with('T'));
    // The debug server dies (a crash, kill -9): the kernel detaches the
    // program; it must not take the program with it (an attached process
    // belongs to someone else; PTRACE_O_EXITKILL is for launched ones).
    server.kill();
    let now = ticker.tick();
    ticker.prog.wait_for(EVENT_TIMEOUT, |t| {
        last_tick(t) > now + 3 || t.contains("parent: killed")
    });
    assert!(
        !ticker.prog.text().contains("parent: killed"),
        "the program died with the server:\n{}",
        ticker.prog.text()
    );
    assert_untouched(&ticker, "after the server was killed");
}

#[test]
fn launched_process_is_killed_by_gdb_kill() {
    let dir = TempDir::new("attach-launchkill");
    let (server, _ctl) = launch_ticker(&dir);
    let pid = server.inferior_pid;
    let gdb = server.gdb(&["break tick", "continue", "kill"]);
    gdb.assert_contains("Breakpoint 1, tick (n=1)");
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) killed]"));
    server.assert_exits("after kill");
    assert_eq!(proc_state(pid), None, "program still there");
}
