//! Signal filtering (QPassSignals): a signal gdb lets through with
//! `handle SIG nostop noprint pass` reaches the program without a round trip
//! to gdb (no stop reply for it in gdb's packet log), and one gdb swallows
//! with `nopass` never reaches the program's handler.

mod common;

use common::*;

#[test]
fn passed_signals_reach_the_program_without_a_round_trip() {
    let dir = TempDir::new("pass");
    let result = dir.file("result");
    let server = Server::launch(
        &program("pass_signals"),
        &[result.to_str().expect("utf-8 path"), "10000"],
    );
    let gdb = server.gdb(&[
        "handle SIGUSR1 nostop noprint pass",
        "handle SIGALRM nostop noprint pass",
        // gdb traces every packet it receives from here on.
        "set debug remote 1",
        "continue",
    ]);
    gdb.assert_lacks("received signal");
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        server.inferior_pid
    ));
    assert_eq!(read_result(&result), "usr1=10000 alrm=1\n");
    // The trace is really there (the exit reply), and gdb numbers SIGUSR1
    // 30 (0x1e): a stop reply T1e would mean the server asked gdb.
    gdb.assert_contains("Packet received: W");
    gdb.assert_lacks("Packet received: T1e");
}

#[test]
fn nopass_swallows_the_signal() {
    let dir = TempDir::new("nopass");
    let result = dir.file("result");
    let server = Server::launch(
        &program("pass_signals"),
        &[result.to_str().expect("utf-8 path"), "3"],
    );
    let gdb = server.gdb(&[
        "handle SIGUSR1 nostop noprint pass",
        "handle SIGALRM nostop noprint nopass",
        "continue",
    ]);
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        server.inferior_pid
    ));
    // SIGUSR1 went through three times; SIGALRM never reached its handler.
    assert_eq!(read_result(&result), "usr1=3 alrm=0\n");
}

/// gdb's inferior call returns to a breakpoint gdb put on the stack, where
/// the return raises SIGSEGV (the stack is not executable): that SIGSEGV
/// is gdb's, and must reach gdb even when gdb passes SIGSEGV silently
/// (gdb.base/catch-gdb-caused-signals.exp). Passed, it killed the program.
#[test]
fn an_inferior_call_returns_while_sigsegv_and_sigill_are_passed_silently() {
    let server = Server::launch(&program("basic"), &[]);
    let gdb = server.gdb(&[
        "break main",
        "continue",
        "handle SIGSEGV nostop noprint pass",
        "handle SIGILL nostop noprint pass",
        "print add(20, 22)",
        "print add(1, 2)",
        "continue",
    ]);
    assert_eq!(gdb.value(1), "42");
    assert_eq!(gdb.value(2), "3");
    gdb.assert_lacks("Program terminated");
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        server.inferior_pid
    ));
}
