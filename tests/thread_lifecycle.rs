//! How a multi-threaded process ends or changes under the debugger: the
//! leader exits with pthread_exit while others run (still debuggable, no
//! zombie leader listed, the process's own exit code reported); a non-leader
//! thread calls exit(7) (exit_group); a non-leader thread execs another
//! program (`catch exec`, and a breakpoint re-set in the new program); and a
//! SIGKILL from outside, while stopped at a breakpoint and while running
//! (`Program terminated with signal SIGKILL`, server exits, nothing left);
//! clone children in thread groups of their own, run as threads; and the
//! one thread gdb let run (scheduler-locking) exiting: nothing left to wait
//! for.

mod common;

use common::*;
use std::thread;
use std::time::Duration;

/// A hang here is the failure being tested for: fail well before the
/// harness's general safety net.
const SHORT_GDB_TIMEOUT: Duration = Duration::from_secs(30);

/// The kernel thread ids of the rows of `info threads` output (gdb shows a
/// remote thread as `Thread PID.TID`, or `Thread 0x... (LWP TID)`).
fn listed_tids(text: &str, pid: i32) -> Vec<i32> {
    text.lines()
        .filter(|l| {
            let rest = l.trim_start_matches(['*', ' ']);
            rest.split(' ')
                .next()
                .is_some_and(|n| n.parse::<u32>().is_ok())
        })
        .filter_map(|l| {
            if let Some((_, rest)) = l.split_once(&format!("Thread {pid}.")) {
                return rest.split(' ').next()?.parse().ok();
            }
            let (_, rest) = l.split_once("(LWP ")?;
            rest.split(')').next()?.parse().ok()
        })
        .collect()
}

/// The shell command for gdb that reports whether /proc/PID still exists
/// (a zombie counts as existing: it must have been reaped).
fn proc_probe(pid: i32) -> String {
    format!("shell if test -e /proc/{pid}; then echo present-{pid}; else echo gone-{pid}; fi")
}

/// Runs gdb with `cmds` (owned strings) under the short timeout.
fn run(server: &Server, cmds: &[String]) -> GdbOutput {
    let cmds: Vec<&str> = cmds.iter().map(String::as_str).collect();
    server.run_gdb(&cmds, SHORT_GDB_TIMEOUT)
}

#[test]
fn leader_pthread_exit_keeps_the_process_debuggable() {
    let server = Server::launch(&program("threads_leader_exit"), &[]);
    let pid = server.inferior_pid;
    let mut cmds: Vec<String> = vec!["break after_leader_exit".into(), "continue".into()];
    cmds.extend(marked("threads", &["info threads"]));
    cmds.extend(marked("bt", &["bt", "print counters[0]"]));
    cmds.push("continue".into());
    let gdb = run(&server, &cmds);
    assert!(!gdb.timed_out(), "gdb hung:\n{}", gdb.text);
    // The worker saw the leader as a zombie ('Z' is 90) before the hit.
    gdb.assert_contains("hit Breakpoint 1, after_leader_exit (state=90 'Z') at ");
    // GNU gdbserver drops the exited leader from the thread list: the
    // worker and the spinner remain, and both can be inspected.
    let threads = gdb.section("threads");
    let tids = listed_tids(&threads, pid);
    assert_eq!(tids.len(), 2, "info threads:\n{threads}");
    assert!(!tids.contains(&pid), "zombie leader listed:\n{threads}");
    assert!(threads.contains(" after_leader_exit (state=90 'Z') at "));
    assert!(threads.contains(" in spinner (arg=0x0) at "), "{threads}");
    let bt = gdb.section("bt");
    assert!(bt.contains(" in worker (arg=0x0) at "), "{bt}");
    assert!(bt.contains("$1 = "), "{bt}");
    // exit(5) from the worker: the process's code, not the leader's 0.
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) exited with code 05]"));
    server.assert_exits("after the program ended");
    assert_eq!(proc_state(pid), None);
}

#[test]
fn exit_group_from_a_non_leader_thread_ends_the_process() {
    let server = Server::launch(&program("threads_exit_group"), &[]);
    let pid = server.inferior_pid;
    let cmds: Vec<String> = vec![
        "break worker_exits".into(),
        "continue".into(),
        "info threads".into(),
        "continue".into(),
        proc_probe(pid),
    ];
    let gdb = run(&server, &cmds);
    assert!(!gdb.timed_out(), "gdb hung:\n{}", gdb.text);
    // The worker is not thread 1: the exit really comes from a non-leader.
    gdb.assert_contains("hit Breakpoint 1, worker_exits () at ");
    gdb.assert_lacks("Thread 1 \"threads_exit_gr\" hit Breakpoint 1");
    assert_eq!(listed_tids(&gdb.text, pid).len(), 3, "{}", gdb.text);
    gdb.assert_lacks("Program received signal");
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) exited with code 07]"));
    gdb.assert_contains(&format!("gone-{pid}"));
    server.assert_exits("after the program ended");
}

/// Launches threads_exec with the exec target (returned as text) and a
/// result file for it.
fn launch_exec(tag: &str) -> (ResultRun, String) {
    let target = program("threads_exec_target");
    let target = target.to_str().expect("utf-8 path").to_string();
    (ResultRun::launch(tag, "threads_exec", &[&target]), target)
}

/// Checks that the exec target ran in process `pid` from its main() to its
/// end (exit code 3, its result file written), with no signal on the way.
#[track_caller]
fn assert_exec_target_ran(gdb: &GdbOutput, exec: &ResultRun, pid: i32) {
    gdb.assert_contains(&format!(
        "threads_exec_target.c:{}",
        line_of("threads_exec_target", "TARGET_MAIN")
    ));
    gdb.assert_lacks("Program received signal");
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) exited with code 03]"));
    assert_eq!(
        read_result(&exec.result),
        format!("exec target pid={pid}\n")
    );
}

#[test]
fn exec_from_a_non_leader_thread_is_caught_and_reaches_the_new_main() {
    let (exec, target) = launch_exec("exec");
    let server = &exec.server;
    let pid = server.inferior_pid;
    let mut cmds: Vec<String> = vec!["catch exec".into(), "continue".into()];
    cmds.extend(marked("after-exec", &["info threads"]));
    cmds.extend(["break main".into(), "continue".into(), "bt".into()]);
    cmds.push("continue".into());
    let gdb = run(server, &cmds);
    assert!(!gdb.timed_out(), "gdb hung:\n{}", gdb.text);
    gdb.assert_contains(&format!("process {pid} is executing new program: {target}"));
    gdb.assert_contains(&format!("Catchpoint 1 (exec'd {target}), "));
    // The execing thread took over the leader's id; the others are gone.
    let after = gdb.section("after-exec");
    assert_eq!(listed_tids(&after, pid), [pid], "{after}");
    gdb.assert_contains("Breakpoint 2, main (argc=2, argv=0x");
    assert_exec_target_ran(&gdb, &exec, pid);
}

#[test]
fn breakpoint_on_main_is_hit_again_in_the_program_a_thread_execs() {
    let (exec, target) = launch_exec("exec-bp");
    let server = &exec.server;
    let pid = server.inferior_pid;
    // No catchpoint: gdb follows the exec silently and re-sets `main` in
    // the new program, which needs the exec event and a working new
    // address space from the server.
    let cmds: Vec<String> = vec![
        "break main".into(),
        "continue".into(),
        "continue".into(),
        "info threads".into(),
        "continue".into(),
    ];
    let gdb = run(server, &cmds);
    assert!(!gdb.timed_out(), "gdb hung:\n{}", gdb.text);
    gdb.assert_contains("Breakpoint 1, main (argc=3, argv=0x");
    gdb.assert_contains(&format!("process {pid} is executing new program: {target}"));
    gdb.assert_contains("Breakpoint 1, main (argc=2, argv=0x");
    assert_exec_target_ran(&gdb, &exec, pid);
}

/// Checks the end of a program killed from outside: gdb's report, the
/// program reaped (checked by gdb right after the report), the server gone.
fn assert_killed_from_outside(server: &Server, gdb: &GdbOutput) {
    let pid = server.inferior_pid;
    assert!(!gdb.timed_out(), "gdb hung:\n{}", gdb.text);
    gdb.assert_contains("Program terminated with signal SIGKILL, Killed.");
    gdb.assert_contains("The program no longer exists.");
    gdb.assert_contains(&format!("gone-{pid}"));
    server.assert_exits("after the program ended");
    assert_eq!(proc_state(pid), None);
}

#[test]
fn sigkill_from_outside_while_stopped_at_a_breakpoint() {
    let server = Server::launch(&program("threads_parked"), &["4"]);
    let pid = server.inferior_pid;
    let cmds: Vec<String> = vec![
        "break hit".into(),
        "continue".into(),
        // gdb's shell is "the test" here: the kill happens while stopped.
        format!("shell kill -9 {pid}"),
        "continue".into(),
        proc_probe(pid),
    ];
    let gdb = run(&server, &cmds);
    gdb.assert_contains("hit Breakpoint 1, hit (n=1) at ");
    if is_gnu_gdbserver() {
        // GNU gdbserver 13 answers this `continue` with an error instead of
        // the exit report (its wait finds the process already reaped); it
        // does reap the program. rgdbserver must report the SIGKILL.
        gdb.assert_contains("No unwaited-for children left.");
        gdb.assert_contains(&format!("gone-{pid}"));
        return;
    }
    assert_killed_from_outside(&server, &gdb);
}

#[test]
fn sigkill_from_outside_while_running() {
    let dir = TempDir::new("kill-running");
    let mut fifo = dir.fifo("ready");
    let fifo_path = fifo.path().to_str().expect("utf-8 path").to_string();
    let server = Server::launch(&program("threads_parked"), &["4", &fifo_path]);
    let pid = server.inferior_pid;
    let start = proc_start_time(pid);
    // Kill once the program, resumed by gdb's `continue`, says all its
    // threads run (none is being created: that is a different race).
    let killer = thread::spawn(move || {
        let line = fifo.read_line(SHORT_GDB_TIMEOUT);
        // Only the very process the server started (same start time).
        if line.is_some() && proc_start_time(pid) == start {
            // SAFETY: plain kill(2) of the identified inferior.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        line
    });
    let cmds: Vec<String> = vec!["continue".into(), proc_probe(pid)];
    let gdb = run(&server, &cmds);
    let line = killer.join().expect("killer thread");
    assert_eq!(line.as_deref(), Some("ready 4"), "{}", gdb.text);
    assert_killed_from_outside(&server, &gdb);
}

/// A clone without CLONE_THREAD makes a thread group of its own, which the
/// kernel reports as a clone event, so gdb sees a thread of the same
/// program (gdb.threads/current-lwp-dead.exp). Its first stop often comes
/// before its creator's event, from a tid no process owned yet: it must
/// still count as that thread's first stop, or the thread never runs.
#[test]
fn a_clone_in_a_thread_group_of_its_own_runs_as_a_thread() {
    let server = Server::launch(&program("clone_group"), &[]);
    let pid = server.inferior_pid;
    let mut cmds: Vec<String> = vec!["break middle".into(), "break last_reached".into()];
    // Five rounds, two breakpoint hits each, then the exit.
    cmds.extend(std::iter::repeat_n("continue".to_string(), 11));
    let gdb = run(&server, &cmds);
    assert!(!gdb.timed_out(), "gdb hung:\n{}", gdb.text);
    assert_eq!(gdb.count("hit Breakpoint 1, middle "), 5, "{}", gdb.text);
    assert_eq!(
        gdb.count("hit Breakpoint 2, last_reached "),
        5,
        "{}",
        gdb.text
    );
    // Exit code 3 would say a clone child never ran.
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) exited normally]"));
    server.assert_exits("after the program ended");
}

/// With scheduler-locking, gdb resumes one thread; when that thread exits
/// nothing is left to wait for. The server says so (`N`, as gdbserver
/// does: "No unwaited-for children left.") instead of waiting for ever,
/// and the program, its other thread intact, then runs to its end.
#[test]
fn the_only_resumed_thread_exiting_leaves_nothing_to_wait_for() {
    let server = Server::launch(&program("lone_thread_exit"), &[]);
    let pid = server.inferior_pid;
    let mut cmds: Vec<String> = vec![
        "break worker_ready".into(),
        "continue".into(),
        "set scheduler-locking on".into(),
        "continue".into(),
    ];
    cmds.extend(marked("left", &["info threads"]));
    cmds.extend([
        "thread 1".into(),
        "set scheduler-locking off".into(),
        "continue".into(),
    ]);
    let gdb = run(&server, &cmds);
    assert!(!gdb.timed_out(), "gdb hung:\n{}", gdb.text);
    gdb.assert_contains("hit Breakpoint 1, worker_ready () at ");
    gdb.assert_contains("No unwaited-for children left.");
    let left = gdb.section("left");
    assert_eq!(listed_tids(&left, pid), vec![pid], "info threads:\n{left}");
    assert!(
        left.contains("The current thread <Thread ID 2> has terminated"),
        "{left}"
    );
    // main joined the worker and returned 9.
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {pid}) exited with code 011]"
    ));
    server.assert_exits("after the program ended");
}
