//! Following forks: gdb debugs the child (`follow-fork-mode child`) or
//! keeps both processes (`detach-on-fork off`). Each process is one of the
//! server's own, with its own breakpoints, stops, exit, kill and detach;
//! the process gdb lets go runs on unharmed (no breakpoint byte left in
//! it), and the session ends with the last process.

mod common;

use common::*;

/// forker in fork mode: the child returns work(21) = 42 as its status, the
/// parent waits for it, then writes "child=STATUS parent=work(1)".
fn launch(dir: &TempDir) -> (Server, std::path::PathBuf) {
    let result = dir.file("result");
    let server = Server::launch(
        &program("forker"),
        &[result.to_str().expect("utf-8 path"), "fork"],
    );
    (server, result)
}

/// The child's pid from gdb's "[New inferior 2 (process N)]".
fn new_inferior_pid(gdb: &GdbOutput) -> i32 {
    let start = gdb
        .text
        .find("[New inferior 2 (process ")
        .unwrap_or_else(|| panic!("no new inferior:\n{}", gdb.text));
    let rest = &gdb.text[start + "[New inferior 2 (process ".len()..];
    rest[..rest.find(')').expect("closing paren")]
        .parse()
        .expect("pid")
}

#[test]
fn follow_fork_mode_child_debugs_the_child_and_frees_the_parent() {
    let dir = TempDir::new("followchild");
    let (server, result) = launch(&dir);
    let parent = server.inferior_pid;
    let gdb = server.gdb(&[
        "set follow-fork-mode child",
        "break work",
        "continue",
        "info inferiors",
        "print x",
        "continue",
    ]);
    let child = new_inferior_pid(&gdb);
    gdb.assert_contains(&format!("[Inferior 1 (process {parent}) detached]"));
    gdb.assert_contains("Thread 2.1 \"forker\" hit Breakpoint 1, work (x=21)");
    gdb.assert_contains(&format!("* 2    process {child}"));
    assert_eq!(gdb.value(1), "21");
    gdb.assert_contains(&format!(
        "[Inferior 2 (process {child}) exited with code 052]"
    ));
    // The parent ran work(1) after the detach: a breakpoint left in it
    // would have killed it with SIGTRAP before it wrote its result.
    assert!(server.wait_output_eof(EVENT_TIMEOUT), "{}", server.output());
    assert_eq!(read_result(&result), "child=42 parent=2\n");
    assert!(server.output().contains("Child exited with status 42"));
    server.assert_exits("after the child exited");
}

/// The parent ran under a hardware breakpoint before the fork: gdb removes
/// it before its detach, and the parent must leave with clear debug
/// registers, or its work(1) traps with nobody to catch the SIGTRAP
/// (gdb.threads/watchpoint-fork.exp).
#[test]
fn a_parent_detached_at_a_fork_keeps_no_hardware_breakpoint() {
    let dir = TempDir::new("followchildhw");
    let (server, result) = launch(&dir);
    let parent = server.inferior_pid;
    let gdb = server.gdb(&[
        "set follow-fork-mode child",
        "break main",
        "continue",
        "hbreak work",
        "continue",
        "continue",
    ]);
    gdb.assert_contains(&format!("[Inferior 1 (process {parent}) detached]"));
    gdb.assert_contains("Thread 2.1 \"forker\" hit Breakpoint 2, work (x=21)");
    assert!(server.wait_output_eof(EVENT_TIMEOUT), "{}", server.output());
    assert_eq!(read_result(&result), "child=42 parent=2\n");
    server.assert_exits("after the child exited");
}

#[test]
fn detach_on_fork_off_keeps_both_processes_with_their_breakpoints() {
    let dir = TempDir::new("detachoff");
    let (server, result) = launch(&dir);
    let parent = server.inferior_pid;
    let gdb = server.gdb(&[
        "set detach-on-fork off",
        "set schedule-multiple on",
        "break work",
        "continue",
        "info inferiors",
        "print x",
        "continue",
        "inferior 1",
        "continue",
        "print x",
        "continue",
    ]);
    let child = new_inferior_pid(&gdb);
    // The breakpoint set before the fork hits in the child (location 1.2)...
    gdb.assert_contains("Thread 2.1 \"forker\" hit Breakpoint 1.2, work (x=21)");
    gdb.assert_contains(&format!("1    process {parent} "));
    gdb.assert_contains(&format!("2    process {child} "));
    assert_eq!(gdb.value(1), "21");
    gdb.assert_contains(&format!(
        "[Inferior 2 (process {child}) exited with code 052]"
    ));
    // ... and in the parent, once its child is gone.
    gdb.assert_contains("Thread 1.1 \"forker\" hit Breakpoint 1.1, work (x=1)");
    assert_eq!(gdb.value(2), "1");
    gdb.assert_contains(&format!("[Inferior 1 (process {parent}) exited normally]"));
    assert_eq!(read_result(&result), "child=42 parent=2\n");
    let out = server.output();
    assert!(out.contains("Child exited with status 42"), "{out}");
    assert!(out.contains("Child exited with status 0"), "{out}");
    server.assert_exits("after both processes exited");
}

#[test]
fn kill_one_inferior_and_detach_the_other() {
    let dir = TempDir::new("killdetach");
    let (server, result) = launch(&dir);
    let parent = server.inferior_pid;
    let gdb = server.gdb(&[
        "set detach-on-fork off",
        "set schedule-multiple on",
        "break work",
        "continue",
        "kill inferiors 2",
        "detach inferiors 1",
    ]);
    let child = new_inferior_pid(&gdb);
    gdb.assert_contains("hit Breakpoint 1.2, work (x=21)");
    gdb.assert_contains(&format!("[Inferior 1 (process {parent}) detached]"));
    assert_eq!(proc_state(child), None, "the killed child is reaped");
    // The parent, detached with its breakpoint removed, saw its child die
    // of SIGKILL and finished normally.
    assert!(server.wait_output_eof(EVENT_TIMEOUT), "{}", server.output());
    assert_eq!(read_result(&result), "child=-9 parent=2\n");
    server.assert_exits("after its last process was detached");
}

/// A thread forks while gdb steps another: the step's end is reported,
/// and the fork's event often waits in the server, unknown to gdb. A
/// `detach` then lets the child go with its parent: held for gdb, it would
/// never run (gdb.threads/pending-fork-event-detach.exp). Several runs, as
/// the fork lands in the step only most of the time.
#[test]
fn a_fork_child_gdb_has_not_heard_of_is_detached_with_its_parent() {
    const ROUNDS: usize = 6;
    let dir = TempDir::new("pendingfork");
    let server = MultiServer::start();
    let prog = program("fork_during_step");
    let results: Vec<_> = (0..ROUNDS)
        .map(|i| dir.file(&format!("child-{i}")))
        .collect();
    let mut cmds = vec![format!("set remote exec-file {}", prog.display())];
    for result in &results {
        cmds.extend([
            "break stepped_here".to_string(),
            format!("run {}", result.display()),
            // No breakpoint to step over: gdb lets the other thread run.
            "delete".to_string(),
            "set var release = 1".to_string(),
            "stepi".to_string(),
            "detach".to_string(),
        ]);
    }
    let cmds: Vec<&str> = cmds.iter().map(String::as_str).collect();
    let gdb = server.gdb(&prog, &[], &cmds);
    assert_eq!(gdb.count("detached]"), ROUNDS, "{}", gdb.text);
    for result in &results {
        assert!(
            poll_until(EVENT_TIMEOUT, || result.exists()),
            "no fork child wrote {}:\n{}\n{}",
            result.display(),
            gdb.text,
            server.output()
        );
        assert!(poll_until(EVENT_TIMEOUT, || read_result(result) == "child\n"));
    }
}

/// Detaching a fork child while its threads exit it: threads that another
/// thread's _exit woke from their stop are not detached (ESRCH) and stop
/// once more on their way out; left there, the child never ends and its
/// parent waits forever (gdb.threads/process-dies-while-detaching.exp).
#[test]
fn a_child_detached_while_its_threads_exit_it_ends_for_its_parent() {
    let server = Server::launch(&program("exit_while_detached"), &[]);
    let parent = server.inferior_pid;
    let gdb = server.gdb(&[
        "set detach-on-fork off",
        "set follow-fork-mode child",
        "break _exit",
        "continue",
        "delete",
        "detach",
        "inferior 1",
        "continue",
    ]);
    gdb.assert_contains("__GI__exit (status=0)");
    gdb.assert_contains(&format!("[Inferior 1 (process {parent}) exited normally]"));
    server.assert_exits("after the parent exited");
}
