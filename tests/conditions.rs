//! Breakpoint conditions evaluated by the server (gdb's target-side
//! conditions: `ConditionalBreakpoints`, Z0 with agent expressions): a hit
//! whose condition is false never reaches gdb (the remote log shows one stop
//! reply per true hit), the program computes the same result, conditions on
//! locals, globals and registers hold exactly when gdb says they would,
//! threads keep every hit, and a process that exits while its threads step
//! over a false condition is reported as exited (all-stop and non-stop).

mod common;

use common::*;
use std::path::{Path, PathBuf};
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

/// Stop replies gdb received at `addr` that carry `reason` (the PC,
/// register 0x10, is among the registers of each stop reply).
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

/// A program under the server with its result file, and gdb sessions
/// that record the packets in `remote.log` next to it.
struct LoggedRun {
    run: ResultRun,
    log: PathBuf,
}

impl LoggedRun {
    fn launch(prog: &str, args: &[&str]) -> LoggedRun {
        let run = ResultRun::launch("cond", prog, args);
        let log = run.file("remote.log");
        LoggedRun { run, log }
    }

    /// gdb with the remote log on (the file is opened when gdb connects).
    fn gdb(&self, cmds: &[&str], timeout: Duration) -> GdbOutput {
        self.gdb_with(&[], cmds, timeout)
    }

    /// [`LoggedRun::gdb`] with more settings before the connection.
    fn gdb_with(&self, settings: &[&str], cmds: &[&str], timeout: Duration) -> GdbOutput {
        let log = format!("set remotelogfile {}", self.log.display());
        let mut settings = settings.to_vec();
        settings.push(&log);
        self.run.server.run_gdb_with(&settings, cmds, timeout)
    }

    /// Stop replies at the breakpoint gdb inserted with a condition that
    /// carry `reason` (`swbreak:`, `hwbreak:`).
    fn stops_at_conditional_breakpoint(&self, reason: &str) -> usize {
        let addr =
            conditional_breakpoint_in_log(&self.log).expect("gdb sent no Z0/Z1 with a condition");
        stops_in_log(&self.log, addr, reason)
    }

    #[track_caller]
    fn assert_exited_normally(&self, gdb: &GdbOutput) {
        gdb.assert_contains(&format!(
            "[Inferior 1 (process {}) exited normally]",
            self.run.server.inferior_pid
        ));
    }
}

#[test]
fn a_false_condition_never_reaches_gdb_and_a_true_one_stops_once() {
    let run = LoggedRun::launch("conditions", &["loop"]);
    let gdb = run.gdb(
        &[
            "break add_to_sum if i == 77777",
            "continue",
            "print i",
            "print sum",
            "info breakpoints",
            "continue",
        ],
        GDB_TIMEOUT,
    );
    gdb.assert_contains("Breakpoint 1, add_to_sum (i=77777) at ");
    assert_eq!(gdb.value(1), "77777", "{}", gdb.text);
    // sum of 0..77776
    assert_eq!(gdb.value(2), "3024591976", "{}", gdb.text);
    gdb.assert_contains("(target evals)");
    gdb.assert_contains("breakpoint already hit 1 time");
    run.assert_exited_normally(&gdb);
    assert_eq!(read_result(&run.run.result), LOOP_SUM);
    // 99,999 false hits were stepped over in the server.
    assert_eq!(
        run.stops_at_conditional_breakpoint("swbreak:"),
        1,
        "{}",
        gdb.text
    );
}

#[test]
fn a_hardware_breakpoint_condition_is_evaluated_in_the_server_too() {
    let run = LoggedRun::launch("conditions", &["loop"]);
    let gdb = run.gdb(
        &[
            "hbreak add_to_sum if i == 777",
            "continue",
            "print i",
            "continue",
        ],
        GDB_TIMEOUT,
    );
    assert_eq!(gdb.value(1), "777", "{}", gdb.text);
    run.assert_exited_normally(&gdb);
    assert_eq!(read_result(&run.run.result), LOOP_SUM);
    assert_eq!(
        run.stops_at_conditional_breakpoint("hwbreak:"),
        1,
        "{}",
        gdb.text
    );
}

#[test]
fn conditions_read_locals_globals_and_registers() {
    let run = ResultRun::launch("cond", "conditions", &["loop"]);
    let gdb = run.server.gdb(&[
        // A register ($rdi holds the argument), a global, and two
        // breakpoints at one place whose conditions gdb sends together.
        "break add_to_sum if $rdi == 300 && sum > 0",
        "continue",
        "info breakpoints",
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
    // Evaluated here, not by gdb.
    gdb.assert_contains("(target evals)");
    assert_eq!(gdb.value(1), "300", "{}", gdb.text);
    // 0 + ... + 499 = 124750: the first call that sees it is add_to_sum(500).
    assert_eq!(gdb.value(2), "500", "{}", gdb.text);
    assert_eq!(gdb.value(3), "1000", "{}", gdb.text);
    assert_eq!(gdb.value(4), "2000", "{}", gdb.text);
    // Both conditions false from here on: the program runs to its end.
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        run.server.inferior_pid
    ));
    assert_eq!(gdb.text.matches("$5 = ").count(), 0, "{}", gdb.text);
    assert_eq!(read_result(&run.result), LOOP_SUM);
}

#[test]
fn threads_report_exactly_the_hits_whose_condition_holds() {
    let run = LoggedRun::launch("threads_hits", &[]);
    let source = hit_counting_script(&run.run.file("hits.gdb"), "break hit if idx == 3");
    let gdb = run.gdb(&[&source], Duration::from_secs(120));
    assert!(!gdb.timed_out(), "{}", gdb.text);
    // A hit lost in a step over, or a trap left behind, shows here.
    gdb.assert_lacks("Program received signal");
    run.assert_exited_normally(&gdb);
    assert_eq!(gdb.value(1), "1000", "{}", gdb.text);
    assert_eq!(read_result(&run.run.result), "total=8000\n");
    // Only thread 3's thousand hits were reported.
    assert_eq!(run.stops_at_conditional_breakpoint("swbreak:"), 1000);
}

fn process_exit_while_threads_step_over(settings: &[&str]) {
    // `dies` ignores the result file argument.
    let run = LoggedRun::launch("conditions", &["dies"]);
    let server = &run.run.server;
    let gdb = run.gdb_with(
        settings,
        &[
            &format!("break {} if zero == 1", loc("conditions", "POLL_POINT")),
            "continue",
            "info threads",
        ],
        GDB_TIMEOUT,
    );
    assert!(!gdb.timed_out(), "{}", gdb.text);
    gdb.assert_lacks("Program received signal");
    gdb.assert_lacks("Cannot access memory");
    run.assert_exited_normally(&gdb);
    gdb.assert_contains("No threads.");
    // The condition went to the server, which stepped over every hit.
    assert_eq!(run.stops_at_conditional_breakpoint("swbreak:"), 0);
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
