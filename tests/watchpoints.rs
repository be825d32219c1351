//! Hardware watchpoints and breakpoints (Z1, Z2, Z4 through the x86 debug
//! registers): old and new values, access watchpoints, read watchpoints (as
//! gdb emulates them), `hbreak`, a watchpoint firing in a thread created after
//! it was set, the four-register limit, and that deleting them lets the
//! program run to its end.

mod common;

use common::*;

fn launch() -> Server {
    Server::launch(&program("watch"), &[])
}

fn exit_line(server: &Server, code: &str) -> String {
    format!(
        "[Inferior 1 (process {}) exited with code {code}]",
        server.inferior_pid
    )
}

#[test]
fn write_watchpoint_reports_old_and_new_values() {
    let server = launch();
    let gdb = server.gdb(&[
        "break main",
        "continue",
        "watch shared",
        "continue",
        "continue",
        "delete",
        "continue",
    ]);
    gdb.assert_contains("Hardware watchpoint 2: shared");
    gdb.assert_contains("Old value = 0\nNew value = 1");
    gdb.assert_contains("Old value = 1\nNew value = 2");
    gdb.assert_contains(&exit_line(&server, "011"));
}

#[test]
fn access_and_read_watchpoints() {
    let server = launch();
    let gdb = server.gdb(&[
        "break main",
        "continue",
        // Writes of 1 and 2 change the value: gdb only reports the read.
        "rwatch shared",
        "continue",
        "delete",
        "awatch wide[1]",
        "continue",
        "delete",
        "continue",
    ]);
    // `int reader = shared` reads 2.
    gdb.assert_contains("Hardware read watchpoint 2: shared\n\nValue = 2");
    gdb.assert_contains("Hardware access (read/write) watchpoint 3: wide[1]");
    gdb.assert_contains("Old value = 0\nNew value = 5");
    gdb.assert_contains(&exit_line(&server, "011"));
}

#[test]
fn watchpoint_fires_in_a_thread_created_later_and_hbreak_works() {
    let server = launch();
    let gdb = server.gdb(&[
        "break main",
        "continue",
        "hbreak writer",
        "continue",
        "watch shared",
        "continue",
        "delete",
        "continue",
    ]);
    gdb.assert_contains("Hardware assisted breakpoint 2 at");
    gdb.assert_contains("hit Breakpoint 2, writer");
    gdb.assert_contains("hit Hardware watchpoint 3: shared\n\nOld value = 2\nNew value = 7");
    gdb.assert_contains(&exit_line(&server, "011"));
}

#[test]
fn only_four_debug_registers() {
    let server = launch();
    let gdb = server.gdb(&[
        "break main",
        "continue",
        "watch a",
        "watch b",
        "watch c",
        "watch d",
        "watch e",
        "continue",
        "delete",
        "continue",
    ]);
    // The fifth cannot be inserted when the program resumes.
    gdb.assert_contains("Could not insert hardware watchpoint 6.");
    gdb.assert_contains(&exit_line(&server, "011"));
}
