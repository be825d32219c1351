//! Breakpoint conditions evaluated by the server (gdb's target-side
//! conditions: `ConditionalBreakpoints`, Z0 with agent expressions): a hit
//! whose condition is false never reaches gdb (the remote log shows one stop
//! reply per true hit), the program computes the same result, conditions on
//! locals, globals and registers hold exactly when gdb says they would,
//! threads keep every hit, and a process that exits while its threads step
//! over a false condition is reported as exited (all-stop and non-stop).

mod common;

use common::*;
use std::path::Path;
use std::time::Duration;

/// 0 + 1 + ... + 99999, what `conditions loop` computes.
const LOOP_SUM: &str = "sum=4999950000\n";

/// The address of the first breakpoint gdb inserted with a condition
/// (`Z0,ADDR,KIND;X...`, or Z1), as its `set remotelogfile` recorded it.
fn conditional_breakpoint_in_log(log: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter(|l| l.starts_with("w ") && l.contains(";X"))
        .find_map(|l| {
            let rest = &l[l.find("$Z")? + 4..];
            u64::from_str_radix(rest.split(',').next()?, 16).ok()
        })
}

/// Stop replies gdb received for a software breakpoint at `addr` (the PC,
/// register 0x10, is among the registers of each stop reply).
fn breakpoint_stops_in_log(log: &Path, addr: u64) -> usize {
    stops_in_log(log, addr, "swbreak:")
}

/// Stop replies gdb received at `addr` that carry `reason`.
fn stops_in_log(log: &Path, addr: u64, reason: &str) -> usize {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let pc: String = addr
        .to_le_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let pc = format!(";10:{pc};");
    text.lines()
        .filter(|l| l.starts_with("r "))
        .map(expand_run_lengths)
        .filter(|l| l.contains(reason) && l.contains(&pc))
        .count()
}

/// Undo the protocol's run-length encoding (`X*N`: X repeated N - 29 more
/// times), which GNU gdbserver uses in its stop replies.
fn expand_run_lengths(packet: &str) -> String {
    let mut out = String::new();
    let mut chars = packet.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' => {
                let count = chars.next().map_or(0, |n| (n as usize).saturating_sub(29));
                let last = out.chars().last().unwrap_or(' ');
                out.extend(std::iter::repeat_n(last, count));
            }
            c => out.push(c),
        }
    }
    out
}

#[test]
fn a_false_condition_never_reaches_gdb_and_a_true_one_stops_once() {
    let dir = TempDir::new("cond");
    let result = dir.file("result");
    let log = dir.file("remote.log");
    let server = Server::launch(
        &program("conditions"),
        &["loop", result.to_str().expect("utf-8 temp path")],
    );
    // The log file is opened when gdb connects.
    let log_setting = format!("set remotelogfile {}", log.display());
    let gdb = server.gdb_with(
        &[&log_setting],
        &[
            "break add_to_sum if i == 77777",
            "continue",
            "print i",
            "print sum",
            "info breakpoints",
            "continue",
        ],
    );
    gdb.assert_contains("Breakpoint 1, add_to_sum (i=77777) at ");
    assert_eq!(gdb.value(1), "77777", "{}", gdb.text);
    // sum of 0..77776
    assert_eq!(gdb.value(2), "3024591976", "{}", gdb.text);
    gdb.assert_contains("breakpoint already hit 1 time");
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        server.inferior_pid
    ));
    assert_eq!(read_result(&result), LOOP_SUM);
    let addr = conditional_breakpoint_in_log(&log).expect("gdb sent no Z0 with a condition");
    // 99,999 false hits were stepped over in the server.
    assert_eq!(breakpoint_stops_in_log(&log, addr), 1, "{}", gdb.text);
}

#[test]
fn a_hardware_breakpoint_condition_is_evaluated_in_the_server_too() {
    let dir = TempDir::new("cond");
    let result = dir.file("result");
    let log = dir.file("remote.log");
    let server = Server::launch(
        &program("conditions"),
        &["loop", result.to_str().expect("utf-8 temp path")],
    );
    let log_setting = format!("set remotelogfile {}", log.display());
    let gdb = server.gdb_with(
        &[&log_setting],
        &[
            "hbreak add_to_sum if i == 777",
            "continue",
            "print i",
            "continue",
        ],
    );
    assert_eq!(gdb.value(1), "777", "{}", gdb.text);
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        server.inferior_pid
    ));
    assert_eq!(read_result(&result), LOOP_SUM);
    let addr = conditional_breakpoint_in_log(&log).expect("gdb sent no Z1 with a condition");
    assert_eq!(stops_in_log(&log, addr, "hwbreak:"), 1, "{}", gdb.text);
}

#[test]
fn conditions_read_locals_globals_and_registers() {
    let dir = TempDir::new("cond");
    let result = dir.file("result");
    let server = Server::launch(
        &program("conditions"),
        &["loop", result.to_str().expect("utf-8 temp path")],
    );
    let gdb = server.gdb(&[
        // A register ($rdi holds the argument), a global, and two
        // breakpoints at one place whose conditions gdb sends together.
        "break add_to_sum if $rdi == 300 && sum > 0",
        "continue",
        "print i",
        "delete",
        "break add_to_sum if sum == 124750",
        "continue",
        "print i",
        "delete",
        "break add_to_sum if i == 1000",
        "break add_to_sum if i == 2000 || i == 3",
        "continue",
        "print i",
        "continue",
        "print i",
        "continue",
        "print i",
        "delete",
        "continue",
    ]);
    assert_eq!(gdb.value(1), "300", "{}", gdb.text);
    // 0 + ... + 499 = 124750: the first call that sees it is add_to_sum(500).
    assert_eq!(gdb.value(2), "500", "{}", gdb.text);
    assert_eq!(gdb.value(3), "1000", "{}", gdb.text);
    assert_eq!(gdb.value(4), "2000", "{}", gdb.text);
    // Both conditions false from here on: the program runs to its end.
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        server.inferior_pid
    ));
    assert_eq!(gdb.text.matches("$5 = ").count(), 0, "{}", gdb.text);
    assert_eq!(read_result(&result), LOOP_SUM);
}

#[test]
fn threads_report_exactly_the_hits_whose_condition_holds() {
    let dir = TempDir::new("cond");
    let result = dir.file("result");
    let log = dir.file("remote.log");
    let server = Server::launch(
        &program("threads_hits"),
        &[result.to_str().expect("utf-8 temp path")],
    );
    let source = script(
        &dir,
        "hits.gdb",
        &[
            "set $hits = 0",
            "break hit if idx == 3",
            "commands",
            "silent",
            "set $hits = $hits + 1",
            "continue",
            "end",
            "continue",
            "print $hits",
        ],
    );
    let log_setting = format!("set remotelogfile {}", log.display());
    let gdb = run_gdb_at_with(
        server.port,
        Some(&program("threads_hits")),
        &[&log_setting],
        &[&source],
        Duration::from_secs(120),
    );
    assert!(!gdb.timed_out(), "{}", gdb.text);
    // A hit lost in a step over, or a trap left behind, shows here.
    gdb.assert_lacks("Program received signal");
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        server.inferior_pid
    ));
    assert_eq!(gdb.value(1), "1000", "{}", gdb.text);
    assert_eq!(read_result(&result), "total=8000\n");
    // Only thread 3's thousand hits were reported.
    let addr = conditional_breakpoint_in_log(&log).expect("gdb sent no Z0 with a condition");
    assert_eq!(breakpoint_stops_in_log(&log, addr), 1000);
}

fn process_exit_while_threads_step_over(settings: &[&str]) {
    let server = Server::launch(&program("conditions"), &["dies"]);
    let gdb = server.gdb_with(
        settings,
        &[
            &format!("break {} if zero == 1", loc("conditions", "POLL_POINT")),
            "continue",
            "info threads",
        ],
    );
    assert!(!gdb.timed_out(), "{}", gdb.text);
    gdb.assert_lacks("Program received signal");
    gdb.assert_lacks("Cannot access memory");
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        server.inferior_pid
    ));
    gdb.assert_contains("No threads.");
    server.assert_exits("after the program exited");
    assert!(
        server.output().contains("Child exited with status 0"),
        "{}",
        server.output()
    );
}

#[test]
fn the_process_exits_while_its_threads_step_over_a_false_condition() {
    process_exit_while_threads_step_over(&[]);
}

#[test]
fn the_process_exits_while_its_threads_step_over_a_false_condition_in_non_stop() {
    process_exit_while_threads_step_over(&["set non-stop on"]);
}
