//! The shared-library list (`qXfer:libraries-svr4`): gdb gets every loaded
//! library in one packet, with the addresses it needs for symbols,
//! breakpoints and thread-local storage.

mod common;

use common::*;

#[test]
fn gdb_gets_the_library_list_in_one_packet_and_uses_it() {
    let server = Server::launch_with(
        &["--once", "--remote-debug"],
        "127.0.0.1:0",
        &program("basic"),
        &[],
    );
    let gdb = server.gdb(&[
        "break add",
        "continue",
        "info sharedlibrary",
        "break write",
        "continue",
        "bt 1",
    ]);
    gdb.assert_contains("Breakpoint 1, add (a=2, b=3)");
    // libc, from the list, with its symbols: a breakpoint in it hits.
    assert!(
        gdb.text
            .lines()
            .any(|l| l.contains("Yes") && l.contains("/libc.so.6")),
        "{}",
        gdb.text
    );
    gdb.assert_contains("Breakpoint 2, ");
    gdb.assert_contains("write (");
    // The list went out as one reply (GNU gdbserver logs packets in
    // another form).
    if is_gnu_gdbserver() {
        return;
    }
    let log = server.output();
    let reply = log
        .lines()
        .rfind(|l| l.contains("putpkt (\"l<library-list-svr4"))
        .unwrap_or_else(|| panic!("no library list sent:\n{log}"));
    assert!(reply.contains("main-lm=\"0x"), "{reply}");
    assert!(reply.contains("/libc.so.6\" lm=\"0x"), "{reply}");
}

#[test]
fn a_library_in_another_namespace_is_listed_and_its_code_is_known() {
    let run = ResultRun::launch("dlmopen", "namespaces", &[]);
    let gdb = run.server.gdb(&[
        "break stop_here",
        "continue",
        "info sharedlibrary",
        // A breakpoint in the namespaced copy of libm (gdb knows its
        // symbols only if the server listed it).
        "info symbol j0",
        "continue",
    ]);
    gdb.assert_contains("Breakpoint 1, stop_here ()");
    assert!(
        gdb.text
            .lines()
            .any(|l| l.contains("Yes") && l.contains("/libm.so.6")),
        "libm (loaded with dlmopen) is not listed:\n{}",
        gdb.text
    );
    gdb.assert_contains("in section .text of target:/lib/x86_64-linux-gnu/libm.so.6");
    gdb.assert_contains("exited normally");
    assert_eq!(read_result(&run.result), "j0=1\n");
}
