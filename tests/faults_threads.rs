//! Faults in the middle of the server's own work: the program killed while
//! the server steps it over a breakpoint or stops a thousand threads, a
//! thousand threads exiting at once while gdb steps another, a fork bomb
//! under `catch fork`. No hang, no zombie, the right exit seen by gdb.

mod common;

use common::*;
use std::time::Duration;

#[test]
fn sigkill_while_the_server_steps_over_a_breakpoint() {
    // A condition that never holds on a line the loop runs all the time:
    // the server evaluates it and steps over the breakpoint, again and
    // again, without a word to gdb. The kill lands in one of those.
    let server = Server::launch(&program("spin"), &[]);
    let pid = server.inferior_pid;
    let line = line_of("spin", "SPIN");
    let gdb = BackgroundGdb::tcp(
        server.port,
        &server.program,
        &[&format!("break spin.c:{line} if stop == 2"), "continue"],
    );
    assert!(
        server.wait_output("spinning", EVENT_TIMEOUT),
        "{}",
        server.output()
    );
    // SAFETY: kill(2) of the running program, not reaped yet.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    let out = gdb.finish_within(Duration::from_secs(30));
    out.assert_contains("Program terminated with signal SIGKILL");
    server.assert_exits("after the kill");
    assert_gone(pid, "killed during a step-over");
}

#[test]
fn sigkill_while_a_thousand_threads_are_being_stopped() {
    let server = Server::launch(&program("threads_parked"), &["1000"]);
    let pid = server.inferior_pid;
    let mut client = server.rsp();
    client.request("?").expect("stop reason");
    client.send_packet("vCont;c").expect("continue");
    assert!(
        poll_until(EVENT_TIMEOUT, || tasks(pid).len() >= 1000),
        "the threads did not start"
    );
    // Stop them all, and kill the program while that is in flight.
    client.send_interrupt().expect("interrupt");
    // SAFETY: kill(2) of the program, not reaped yet.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    let mut reply = client
        .read_packet(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("a stop or exit reply: {e:?}\n{}", server.output()));
    if reply.starts_with('T') || reply.starts_with('S') {
        // The interrupt won the race: the kill is seen at the next resume.
        reply = client.request("vCont;c").expect("exit reply");
    }
    assert!(reply.starts_with("X09"), "{reply}");
    server.assert_exits("after the kill");
    assert_gone(pid, "killed while 1000 threads were stopped");
}

#[test]
fn a_thousand_threads_exit_at_once_while_gdb_steps_main() {
    let run = ResultRun::launch("mass-exit", "mass_exit", &["1000"]);
    let work = line_of("mass_exit", "WORK");
    let gdb = run.server.gdb(&[
        "set print thread-events off",
        "break release",
        "continue",
        // The barrier lets every thread go; main steps on while they exit.
        "finish",
        "next",
        "next",
        "stepi 50",
        &format!("until {}", work + 2),
        "info threads",
        "continue",
    ]);
    gdb.assert_contains("Breakpoint 1, release ()");
    gdb.assert_contains("exited normally]");
    assert_eq!(
        read_result(&run.result),
        "joined=1000 sum=4999950000\n",
        "{}",
        gdb.text
    );
    run.server.assert_exits("after the program ended");
}

#[test]
fn a_fork_bomb_under_catch_fork_stops_at_every_fork_and_leaves_nothing() {
    let run = ResultRun::launch("fork-bomb", "fork_bomb", &["200"]);
    let pid = run.server.inferior_pid;
    let count = hit_counting_script(&run.file("count.gdb"), "catch fork");
    let gdb = run.server.run_gdb(&[&count], Duration::from_secs(120));
    assert!(!gdb.timed_out(), "{}", gdb.text);
    gdb.assert_contains("exited normally]");
    // gdb stopped at every fork.
    assert_eq!(gdb.value(1), "200", "{}", gdb.text);
    assert_eq!(read_result(&run.result), "forked=200 ok=200\n");
    run.server.assert_exits("after the program ended");
    assert_gone(pid, "fork bomb");
    // No child is left either: every one exited and was reaped by its parent.
    assert_eq!(
        pids_running(&program("fork_bomb")),
        Vec::<i32>::new(),
        "children left behind"
    );
}

#[test]
fn a_thread_execs_while_the_server_stops_and_resumes_the_others_for_every_hit() {
    // A breakpoint in the spinner's loop: every iteration is a reported
    // stop, so the worker's exec lands while all threads are being stopped
    // or resumed for one of them. (It used to hang: the stop-all held a
    // thread in its exit stop, and the exec waits for it to be gone.)
    let target = program("threads_exec_target");
    let target = target.to_str().expect("utf-8 path").to_string();
    let run = ResultRun::launch("exec-stop-all", "threads_exec", &[&target]);
    let pid = run.server.inferior_pid;
    let header = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs/common.h"),
    )
    .expect("common.h");
    let line = header
        .lines()
        .position(|l| l.contains("counters[idx]++"))
        .expect("the spinner's loop")
        + 1;
    let count = hit_counting_script(&run.file("count.gdb"), &format!("break common.h:{line}"));
    let gdb = run.server.run_gdb(&[&count], Duration::from_secs(120));
    assert!(!gdb.timed_out(), "{}", gdb.text);
    gdb.assert_contains(&format!("process {pid} is executing new program: {target}"));
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) exited with code 03]"));
    assert_eq!(read_result(&run.result), format!("exec target pid={pid}\n"));
    let hits: u64 = gdb.value(1).parse().expect("a hit count");
    assert!(hits >= 1000, "{hits} hits:\n{}", gdb.text);
}
