//! Thread-local storage through the server (`qGetTLSAddr`): `__thread`
//! variables of the program and `errno` (libc's), each thread its own
//! copy, read and written.

mod common;

use common::*;

#[test]
fn thread_local_variables_and_errno_are_each_threads_own() {
    let server = Server::launch(&program("tls"), &[]);
    let gdb = server.gdb(&[
        "break stop_here",
        "continue",
        "print tls_var",
        "print errno",
        "print tls_big[2]",
        "thread 1",
        "print tls_var",
        "print errno",
        "print tls_big[2]",
        "continue",
        "print tls_var",
        "set var tls_var = 5",
        "continue",
    ]);
    gdb.assert_contains("hit Breakpoint 1, stop_here (n=2)");
    // The second thread's copies...
    assert_eq!(gdb.value(1), "42");
    assert_eq!(gdb.value(2), "7");
    assert_eq!(gdb.value(3), "70");
    // ... and the main thread's.
    assert_eq!(gdb.value(4), "11");
    assert_eq!(gdb.value(5), "3");
    assert_eq!(gdb.value(6), "7");
    assert_eq!(gdb.value(7), "11");
    // The write went to the main thread's copy: the program returns it.
    gdb.assert_contains("exited with code 05]");
    gdb.assert_lacks("Cannot find thread-local");
}

/// A statically linked program has no link maps: gdb asks with `lm` 0, and
/// the program's own TLS block is the answer.
#[test]
fn thread_local_variables_of_a_static_program_are_each_threads_own() {
    let server = Server::launch(&program("tls-static"), &[]);
    let gdb = server.gdb(&[
        "break stop_here",
        "continue",
        "print tls_var",
        "print tls_big[2]",
        "thread 1",
        "print tls_var",
        "set var tls_var = 5",
        "continue",
        "print tls_var",
        "continue",
    ]);
    gdb.assert_contains("hit Breakpoint 1, stop_here (n=2)");
    assert_eq!(gdb.value(1), "42");
    assert_eq!(gdb.value(2), "70");
    assert_eq!(gdb.value(3), "11");
    // Written in the main thread's block while the other thread ran.
    assert_eq!(gdb.value(4), "5");
    gdb.assert_contains("exited with code 05]");
    gdb.assert_lacks("Cannot find thread-local");
}

#[test]
fn a_thread_db_path_without_libthread_db_turns_tls_off_as_in_gdbserver() {
    let server = Server::launch(&program("tls"), &[]);
    let gdb = server.gdb(&[
        "break stop_here",
        "continue",
        "monitor set libthread-db-search-path /nonexistent",
        "print tls_var",
        "monitor set libthread-db-search-path",
        "print tls_var",
    ]);
    gdb.assert_contains("libthread-db-search-path set to `/nonexistent'");
    gdb.assert_contains("Remote target failed to process qGetTLSAddr request");
    gdb.assert_contains("libthread-db-search-path set to `$sdir:$pdir'");
    // The default path again: TLS is back.
    assert_eq!(gdb.value(1), "42");
}
