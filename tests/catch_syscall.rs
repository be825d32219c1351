//! Syscall catchpoints (QCatchSyscalls): entry and return stops with the
//! right syscall, `$orig_rax` and return value; by name, by number, several
//! at once, by group; the right thread in a threaded program while another
//! thread sits blocked in a syscall; exit_group and execve; `delete` stops
//! the catching and the program runs to its end.

mod common;

use common::*;

fn launch(mode: &str) -> Server {
    Server::launch(&program("syscalls"), &[mode])
}

#[test]
fn write_is_caught_on_entry_and_return_with_its_registers() {
    let server = launch("basic");
    let gdb = server.gdb(&[
        "catch syscall write",
        "continue",
        "p $orig_rax",
        "continue",
        "p $rax",
        "delete",
        "continue",
    ]);
    gdb.assert_contains("Catchpoint 1 (call to syscall write)");
    gdb.assert_contains("Catchpoint 1 (returned from syscall write)");
    assert_eq!(gdb.value(1), "1", "{}", gdb.text);
    // write(1, "abc", 3) returned 3.
    assert_eq!(gdb.value(2), "3", "{}", gdb.text);
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        server.inferior_pid
    ));
}

#[test]
fn by_number_and_several_names() {
    let server = launch("basic");
    let gdb = server.gdb(&[
        // 39 is getpid on x86_64.
        "catch syscall 39",
        // getppid is never called: a list of names still works.
        "catch syscall getppid write",
        "continue",
        "continue",
        "continue",
        "continue",
        "continue",
        "delete",
        "continue",
    ]);
    assert_eq!(
        gdb.count("Catchpoint 1 (call to syscall getpid)"),
        2,
        "{}",
        gdb.text
    );
    assert_eq!(
        gdb.count("Catchpoint 1 (returned from syscall getpid)"),
        2,
        "{}",
        gdb.text
    );
    gdb.assert_contains("Catchpoint 2 (call to syscall write)");
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        server.inferior_pid
    ));
}

#[test]
fn a_syscall_group() {
    let server = launch("network");
    let gdb = server.gdb(&[
        "catch syscall group:network",
        "continue",
        "delete",
        "continue",
    ]);
    gdb.assert_contains("(call to syscall socket)");
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        server.inferior_pid
    ));
}

#[test]
fn the_calling_thread_is_reported_while_another_blocks() {
    let server = launch("threads");
    let gdb = server.gdb(&[
        "catch syscall getppid",
        "continue",
        "info threads",
        "continue",
        "delete",
        "continue",
    ]);
    gdb.assert_contains("(call to syscall getppid)");
    gdb.assert_contains("(returned from syscall getppid)");
    // The stop is in the thread named "caller" (gdb marks it with '*').
    let current = gdb
        .text
        .lines()
        .find(|l| l.trim_start().starts_with('*'))
        .unwrap_or_default()
        .to_string();
    assert!(current.contains("\"caller\""), "{}", gdb.text);
    // The blocked read() was not disturbed: it returned its byte (exit 0).
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        server.inferior_pid
    ));
}

#[test]
fn exit_group_and_execve_are_caught() {
    let server = launch("exec");
    let gdb = server.gdb(&[
        "catch syscall execve exit_group",
        // The program starts inside its first execve: its return comes
        // first, then the program's own execve and the new program's exit.
        "continue",
        "continue",
        "continue",
        "continue",
        "continue",
    ]);
    gdb.assert_contains("is executing new program: /usr/bin/true");
    gdb.assert_contains("(call to syscall execve)");
    gdb.assert_contains("(call to syscall exit_group)");
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        server.inferior_pid
    ));
}
