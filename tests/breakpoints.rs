//! Breakpoints: break, conditional break, tbreak, until, advance, finish, and
//! that a program hit many times at a breakpoint still computes the right
//! result (the step over the breakpoint does not disturb it).

mod common;

use common::*;

#[test]
fn break_at_function_reports_arguments_and_location() {
    let run = ResultRun::basic("bp");
    let gdb = run
        .server
        .gdb(&["break add", "continue", "bt", "p a + b", "continue"]);
    gdb.assert_contains("Breakpoint 1, add (a=2, b=3) at ");
    gdb.assert_contains(&format!(
        "{}\t\treturn a + b;",
        line_of("basic", "ADD_BODY")
    ));
    gdb.assert_contains("#0  add (a=2, b=3) at ");
    gdb.assert_contains("#1  0x");
    gdb.assert_contains(" in main (argc=2, argv=0x");
    assert_eq!(gdb.value(1), "5");
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        run.server.inferior_pid
    ));
    assert_eq!(read_result(&run.result), BASIC_RESULT);
}

#[test]
fn breakpoint_in_a_loop_hits_every_iteration() {
    let run = ResultRun::basic("bp");
    let body = format!("break {}", loc("basic", "LOOP_BODY"));
    let gdb = run.server.gdb(&[
        &body,
        "continue",
        "continue",
        "continue",
        "p i",
        "p s",
        "info breakpoints",
        "delete",
        "continue",
    ]);
    assert_eq!(gdb.count("Breakpoint 1, sum_to (n=10)"), 3, "{}", gdb.text);
    assert_eq!(gdb.value(1), "2");
    assert_eq!(gdb.value(2), "1");
    gdb.assert_contains("breakpoint already hit 3 times");
    gdb.assert_contains("exited normally");
    assert_eq!(read_result(&run.result), BASIC_RESULT);
}

#[test]
fn breakpoint_hit_all_iterations_leaves_the_computation_intact() {
    let run = ResultRun::basic("bp");
    let body = format!("break {}", loc("basic", "LOOP_BODY"));
    let mut cmds = vec![body.as_str()];
    cmds.extend(std::iter::repeat_n("continue", 11));
    let gdb = run.server.gdb(&cmds);
    assert_eq!(gdb.count("Breakpoint 1, sum_to (n=10)"), 10, "{}", gdb.text);
    gdb.assert_contains("exited normally");
    assert_eq!(read_result(&run.result), BASIC_RESULT);
}

#[test]
fn conditional_breakpoint_stops_only_when_true() {
    let run = ResultRun::basic("bp");
    let body = format!("break {} if i == 7", loc("basic", "LOOP_BODY"));
    let gdb = run
        .server
        .gdb(&[&body, "continue", "p i", "p s", "p counter", "continue"]);
    assert_eq!(gdb.count("Breakpoint 1, sum_to (n=10)"), 1, "{}", gdb.text);
    assert_eq!(gdb.value(1), "7");
    assert_eq!(gdb.value(2), "21");
    assert_eq!(gdb.value(3), "7");
    gdb.assert_contains("exited normally");
    assert_eq!(read_result(&run.result), BASIC_RESULT);
}

#[test]
fn tbreak_stops_once_and_disappears() {
    let run = ResultRun::basic("bp");
    let gdb = run
        .server
        .gdb(&["tbreak five", "continue", "info breakpoints", "continue"]);
    gdb.assert_contains("Temporary breakpoint 1, five () at ");
    gdb.assert_contains(&format!("{}\t\treturn 5;", line_of("basic", "FIVE_BODY")));
    gdb.assert_contains("No breakpoints or watchpoints.");
    gdb.assert_contains("exited normally");
    assert_eq!(read_result(&run.result), BASIC_RESULT);
}

#[test]
fn until_and_advance_run_to_a_location() {
    let run = ResultRun::basic("bp");
    let done = line_of("basic", "LOOP_DONE");
    let gdb = run.server.gdb(&[
        "break sum_to",
        "continue",
        &format!("until {done}"),
        "p s",
        "p counter",
        // advance also stops when the current frame (sum_to) returns...
        "advance bump",
        "p s",
        // ...and from main it runs to bump().
        "advance bump",
        "p counter",
        "continue",
    ]);
    gdb.assert_contains("Breakpoint 1, sum_to (n=10)");
    gdb.assert_contains("sum_to (n=10) at ");
    gdb.assert_contains(&format!("{done}\t\treturn s;"));
    assert_eq!(gdb.value(1), "45");
    assert_eq!(gdb.value(2), "10");
    gdb.assert_contains(&format!(
        "{}\t\tint s = sum_to(10);",
        line_of("basic", "CALL_SUM")
    ));
    gdb.assert_contains("bump () at ");
    gdb.assert_contains(&format!(
        "{}\t\tcounter += 100;",
        line_of("basic", "BUMP_BODY")
    ));
    assert_eq!(gdb.value(4), "10");
    gdb.assert_contains("exited normally");
    assert_eq!(read_result(&run.result), BASIC_RESULT);
}

#[test]
fn finish_prints_the_returned_value() {
    let run = ResultRun::basic("bp");
    let gdb = run.server.gdb(&[
        "break five",
        "continue",
        "finish",
        "p f",
        "next",
        "p f",
        "continue",
    ]);
    // ("Run till exit from ..." is printed only when gdb reads commands from
    // a terminal, never in batch mode.)
    gdb.assert_contains("Value returned is $1 = 5");
    gdb.assert_contains(" in main (argc=2, argv=0x");
    // Back in main, after the call, before the assignment; then assigned.
    assert_eq!(gdb.value(3), "5");
    gdb.assert_contains("exited normally");
    assert_eq!(read_result(&run.result), BASIC_RESULT);
}

#[test]
fn a_breakpoint_in_a_library_loaded_again_hits_again() {
    let dir = TempDir::new("reload");
    let result = dir.file("result");
    let server = Server::launch(&program("reload"), &[result.to_str().expect("utf-8")]);
    // gdb drops the breakpoint from its view when the library goes (its
    // memory is gone, nothing is removed) and inserts it again when the
    // library comes back, often at the same address.
    let count = hit_counting_script(&dir.file("count.gdb"), "break j0");
    let gdb = server.gdb(&["set breakpoint pending on", &count]);
    assert_eq!(gdb.value(1), "2", "{}", gdb.text);
    assert_eq!(read_result(&result), "calls=2 sum=2\n");
}

/// A breakpoint instruction in the program's own code: a trap there is a
/// breakpoint hit at its address, as gdbserver reports it. gdb then applies
/// its own breakpoint there (here a false condition: `next` goes on over
/// the call) and steps past the instruction itself; without one it reports
/// the SIGTRAP (gdb.base/bp-permanent.exp).
#[test]
fn a_breakpoint_instruction_of_the_program_is_a_breakpoint_gdb_can_condition() {
    let permanent = line_of("permanent_bp", "PERMANENT");
    let server = Server::launch(&program("permanent_bp"), &[]);
    let gdb = server.gdb(&[
        "break main",
        "continue",
        &format!("break permanent_bp.c:{permanent}"),
        "condition 2 0",
        "next",
        "print counter",
        "delete",
        "continue",
        "print counter",
        "continue",
        "continue",
    ]);
    // The false condition: the first call ran in full, no stop.
    gdb.assert_contains(&format!(
        "{}\t\ttest(); /* SECOND_CALL */",
        line_of("permanent_bp", "SECOND_CALL")
    ));
    assert_eq!(gdb.value(1), "2");
    // No breakpoint of gdb's: the program's trap is a SIGTRAP for gdb, and
    // the program goes on after the instruction.
    gdb.assert_contains("Program received signal SIGTRAP");
    assert_eq!(gdb.value(2), "3");
    gdb.assert_contains("exited with code 06]");
}
