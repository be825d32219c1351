//! Forks: a child inherits the parent's memory, breakpoints included; gdb
//! gets the fork event, removes its breakpoints from the child and detaches
//! it, so the child runs normally (no death by SIGTRAP). `catch fork` stops
//! at the fork. A vfork child that execs is not disturbed either.

mod common;

use common::*;

fn launch(dir: &TempDir, mode: &str) -> (Server, std::path::PathBuf) {
    let result = dir.file("result");
    let server = Server::launch(
        &program("forker"),
        &[result.to_str().expect("utf-8 path"), mode],
    );
    (server, result)
}

#[test]
fn breakpoints_do_not_reach_the_fork_child() {
    let dir = TempDir::new("fork");
    let (server, result) = launch(&dir, "fork");
    let gdb = server.gdb(&["break work", "continue", "continue"]);
    gdb.assert_contains("Breakpoint 1, work (x=1)");
    gdb.assert_contains("[Detaching after fork from child process ");
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        server.inferior_pid
    ));
    // The child hit no breakpoint: it returned work(21) = 42 as its status.
    assert_eq!(read_result(&result), "child=42 parent=2\n");
}

#[test]
fn catch_fork_stops_at_the_fork() {
    let dir = TempDir::new("catchfork");
    let (server, result) = launch(&dir, "fork");
    let gdb = server.gdb(&["catch fork", "continue", "continue"]);
    gdb.assert_contains("Catchpoint 1 (forked process ");
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        server.inferior_pid
    ));
    assert_eq!(read_result(&result), "child=42 parent=2\n");
}

#[test]
fn a_vfork_child_that_execs_is_not_disturbed() {
    let dir = TempDir::new("vfork");
    let (server, result) = launch(&dir, "vfork");
    let gdb = server.gdb(&["break work", "continue", "continue"]);
    gdb.assert_contains("Breakpoint 1, work (x=1)");
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        server.inferior_pid
    ));
    assert_eq!(read_result(&result), "child=0 parent=2\n");
}

#[test]
fn catch_vfork_stops_at_the_vfork_and_breakpoints_survive_it() {
    let dir = TempDir::new("catchvfork");
    let (server, result) = launch(&dir, "vfork");
    let gdb = server.gdb(&[
        "break work",
        "catch vfork",
        "continue",
        "continue",
        "continue",
    ]);
    gdb.assert_contains("Catchpoint 2 (vforked process ");
    gdb.assert_contains("[Detaching after vfork from child process ");
    // The parent's breakpoint is back in place after the child exec'd.
    gdb.assert_contains("Breakpoint 1, work (x=1)");
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        server.inferior_pid
    ));
    assert_eq!(read_result(&result), "child=0 parent=2\n");
}

/// The vfork child runs in its parent's memory while the parent stays
/// stopped at the vfork: a breakpoint gdb removes then (here on execve,
/// which the child calls) must leave that memory at once, not linger
/// until the parent runs, or the child may die of its SIGTRAP (whether it
/// reaches execve before gdb resumes the parent is a race, so this checks
/// the outcome, not the ordering).
#[test]
fn a_vfork_child_runs_clear_of_the_breakpoints_gdb_removed() {
    let dir = TempDir::new("vforkbp");
    let (server, result) = launch(&dir, "vfork");
    let gdb = server.gdb(&[
        "break main",
        "continue",
        "break execve",
        "catch vfork",
        "continue",
        "continue",
    ]);
    gdb.assert_contains("Catchpoint 3 (vforked process ");
    gdb.assert_contains("[Detaching after vfork from child process ");
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        server.inferior_pid
    ));
    // /bin/true's status, not a death by SIGTRAP.
    assert_eq!(read_result(&result), "child=0 parent=2\n");
}
