//! `info os` (qXfer:osdata): the kinds of data the server lists, and its
//! machine's processes and threads, the debugged program among them.

mod common;

use common::*;

#[test]
fn info_os_lists_the_program_among_the_processes_and_threads() {
    let server = Server::launch(&program("basic"), &[]);
    let pid = server.inferior_pid;
    let gdb = server.gdb(&["info os", "info os processes", "info os threads"]);
    gdb.assert_contains("processes  Listing of all processes");
    gdb.assert_lacks("Can not fetch data now");
    let program = program("basic");
    let process_row = gdb
        .text
        .lines()
        .find(|l| l.split_whitespace().next() == Some(&pid.to_string()))
        .unwrap_or_else(|| panic!("no row for {pid}:\n{}", gdb.text));
    assert!(
        process_row.contains(&program.display().to_string()),
        "{process_row}"
    );
    // The thread table: pid, command (its comm), tid, core.
    assert!(
        gdb.text.lines().any(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            cols.len() >= 3
                && cols[0] == pid.to_string()
                && cols[1] == "basic"
                && cols[2] == pid.to_string()
        }),
        "no thread row for {pid}:\n{}",
        gdb.text
    );
}

#[test]
fn info_os_cpus_has_a_row_per_processor_with_cpuinfos_fields() {
    let server = Server::launch(&program("basic"), &[]);
    let gdb = server.gdb(&["info os", "info os cpus", "info os modules"]);
    gdb.assert_contains("cpus       Listing of all cpus/cores on the system");
    gdb.assert_contains("modules    Listing of all loaded kernel modules");
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").expect("cpuinfo");
    let processors = cpuinfo
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count();
    let header = gdb
        .text
        .lines()
        .find(|l| l.starts_with("processor "))
        .unwrap_or_else(|| panic!("no cpus table:\n{}", gdb.text));
    assert!(header.contains("model name"), "{header}");
    // One row per processor, numbered from 0.
    for n in 0..processors {
        assert!(
            gdb.text.lines().any(|l| l.split_whitespace().next() == Some(&n.to_string())
                && l.contains(" yes ")),
            "no row for cpu {n}:\n{}",
            gdb.text
        );
    }
}
