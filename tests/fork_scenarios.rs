//! Forks in the shapes real programs make them, with gdb following: from a
//! second thread, ten at once with every child kept, while another thread
//! keeps hitting a breakpoint, a child that execs (followed into the new
//! program with `catch exec`), and gdb killed while it holds a fork child.
//! Each asserts what the programs did (their result files and exit
//! statuses) and that no process of the tree is left behind.

mod common;

use common::*;

fn launch(dir: &TempDir, args: &[&str]) -> (Server, std::path::PathBuf) {
    let result = dir.file("result");
    let mut all = vec![result.to_str().expect("utf-8 path")];
    all.extend_from_slice(args);
    let server = Server::launch(&program("fork_modes"), &all);
    (server, result)
}

/// Every pid of gdb's "[New inferior N (process PID)]" lines.
fn new_inferior_pids(gdb: &GdbOutput) -> Vec<i32> {
    new_inferior_pids_in(&gdb.text)
}

fn new_inferior_pids_in(text: &str) -> Vec<i32> {
    text.lines()
        .filter_map(|l| {
            l.split_once("[New inferior ")?
                .1
                .split_once("(process ")?
                .1
                .split_once(')')
        })
        .filter_map(|(pid, _)| pid.parse().ok())
        .collect()
}

#[track_caller]
fn assert_all_gone(pids: &[i32]) {
    for &pid in pids {
        assert!(
            poll_until(EVENT_TIMEOUT, || proc_state(pid).is_none()),
            "process {pid} left behind: state {:?}",
            proc_state(pid)
        );
    }
}

#[test]
fn a_fork_from_a_second_thread_gives_a_child_with_that_thread_only() {
    let dir = TempDir::new("forkthread");
    let (server, result) = launch(&dir, &["thread"]);
    let gdb = server.gdb(&[
        "set follow-fork-mode child",
        "break child_work",
        "continue",
        "print x",
        "info threads",
        "continue",
    ]);
    let child = *new_inferior_pids(&gdb)
        .first()
        .unwrap_or_else(|| panic!("{}", gdb.text));
    gdb.assert_contains("Thread 2.1 \"fork_modes\" hit Breakpoint 1, child_work (x=1)");
    assert_eq!(gdb.value(1), "1", "the child has one thread");
    // `info threads` lists the child's one thread, nothing of the parent.
    gdb.assert_contains(&format!("* 2.1  Thread {child}.{child} "));
    gdb.assert_lacks("  2.2  Thread");
    gdb.assert_lacks("  1.1  Thread");
    gdb.assert_contains(&format!(
        "[Inferior 2 (process {child}) exited with code 051]"
    ));
    assert!(server.wait_output_eof(EVENT_TIMEOUT), "{}", server.output());
    assert_eq!(read_result(&result), "child=41\n");
    server.assert_exits("after the child exited");
}

#[test]
fn ten_children_forked_at_once_are_all_kept_and_run_to_their_end() {
    let dir = TempDir::new("forkloop");
    let (server, result) = launch(&dir, &["loop", "10"]);
    // Continue from a live inferior until none is left (the loop is bounded:
    // each continue ends at least one process).
    let run_all = script(
        &dir,
        "runall.gdb",
        &[
            "python",
            "for _ in range(40):",
            "    live = [i for i in gdb.inferiors() if i.pid]",
            "    if not live:",
            "        break",
            "    try:",
            "        gdb.execute('inferior %d' % live[0].num)",
            "    except gdb.error:",
            "        pass",
            "    gdb.execute('continue')",
            "end",
        ],
    );
    let gdb = server.gdb(&[
        "set detach-on-fork off",
        "set schedule-multiple on",
        &run_all,
        "info inferiors",
    ]);
    let children = new_inferior_pids(&gdb);
    assert_eq!(children.len(), 10, "{}", gdb.text);
    for code in 40..50 {
        assert_eq!(
            gdb.count(&format!(") exited with code 0{code:o}]")),
            1,
            "child exiting with {code}:\n{}",
            gdb.text
        );
    }
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        server.inferior_pid
    ));
    assert_eq!(read_result(&result), "sum=445\n");
    server.assert_exits("after every process exited");
    assert_all_gone(&children);
}

#[test]
fn forks_while_another_thread_hits_a_breakpoint_lose_no_hit() {
    let dir = TempDir::new("forkbusy");
    let (server, result) = launch(&dir, &["busy", "200"]);
    let count = hit_counting_script(&dir.file("count.gdb"), "break hit");
    let gdb = server.gdb(&[&count]);
    assert_eq!(gdb.value(1), "200", "{}", gdb.text);
    assert_eq!(read_result(&result), "hits=200 children=200\n");
    server.assert_exits("after the program exited");
}

#[test]
fn each_child_exit_leaves_its_parent_stopped_where_gdb_can_read_it() {
    // gdb switches to the parent after every child's exit report and reads
    // its registers. The parent had its SIGCHLD pending then (and, after
    // the last child, its own exit close behind): it must still be stopped,
    // not run on to its exit while the child's exit was being reported
    // (gdb failed with "Could not read registers; remote failure reply
    // 'E01'", most often on a loaded machine).
    let dir = TempDir::new("forkserial");
    let (server, result) = launch(&dir, &["serial", "30"]);
    let each_exit = script(
        &dir,
        "each.gdb",
        &[
            "inferior 1",
            "while $_inferior_thread_count > 0",
            "  continue",
            "  inferior 1",
            "  if $_inferior_thread_count > 0",
            "    printf \"parent pc ok %d\\n\", $pc != 0",
            "  end",
            "end",
        ],
    );
    let gdb = server.gdb(&[
        "set detach-on-fork off",
        "set schedule-multiple on",
        "break main",
        "continue",
        "delete",
        &each_exit,
    ]);
    gdb.assert_lacks("Could not read registers");
    let children = new_inferior_pids(&gdb);
    assert_eq!(children.len(), 30, "{}", gdb.text);
    assert_eq!(gdb.count(") exited with code 050]"), 30, "{}", gdb.text);
    // The parent was readable after each of its children's exits.
    assert!(gdb.count("parent pc ok 1") >= 30, "{}", gdb.text);
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        server.inferior_pid
    ));
    assert_eq!(read_result(&result), "children=1200\n");
    server.assert_exits("after every process exited");
    assert_all_gone(&children);
}

#[test]
fn a_fork_among_starting_threads_reaches_its_catchpoint() {
    // Threads start and end while another thread forks, so the server is
    // collecting statuses when the child's first stop arrives, often before
    // its parent's fork event. The child's status must not end the
    // collecting with the parent's event left unread (its SIGCHLD taken):
    // the session slept and gdb never saw the fork (gdb's own
    // gdb.threads/fork-thread-pending.exp timed out).
    for round in 0..3 {
        let dir = TempDir::new("forkcrowd");
        let (server, result) = launch(&dir, &["crowd", "32"]);
        let gdb = server.gdb(&[
            "set follow-fork-mode child",
            "catch fork",
            "continue",
            "continue",
        ]);
        gdb.assert_contains("(forked process ");
        gdb.assert_contains(") exited with code 051]");
        // The parent, detached, writes its result and exits on its own.
        assert!(server.wait_output_eof(EVENT_TIMEOUT), "{}", server.output());
        assert_eq!(
            read_result(&result),
            "child=41 threads=32\n",
            "round {round}"
        );
        let children = new_inferior_pids(&gdb);
        server.assert_exits("after the child exited");
        assert_all_gone(&children);
        assert_all_gone(&[server.inferior_pid]);
    }
}

#[test]
fn a_child_that_execs_is_followed_into_the_new_program() {
    let dir = TempDir::new("forkexec");
    let basic = program("basic");
    let basic_result = dir.file("basic-result");
    let (server, result) = launch(
        &dir,
        &[
            "exec",
            basic.to_str().expect("utf-8"),
            basic_result.to_str().expect("utf-8"),
        ],
    );
    let gdb = server.gdb(&[
        "set follow-fork-mode child",
        "catch exec",
        "continue",
        "break add",
        "continue",
        "print a + b",
        "info inferiors",
        "continue",
    ]);
    let child = *new_inferior_pids(&gdb)
        .first()
        .unwrap_or_else(|| panic!("{}", gdb.text));
    gdb.assert_contains(&format!(
        "process {child} is executing new program: {}",
        basic.display()
    ));
    gdb.assert_contains("hit Breakpoint 2, add (a=2, b=3)");
    assert_eq!(gdb.value(1), "5");
    gdb.assert_contains(&format!("* 2    process {child} "));
    gdb.assert_contains(&format!("[Inferior 2 (process {child}) exited normally]"));
    assert_eq!(read_result(&basic_result), "r=5 f=5 s=45 counter=110\n");
    assert!(server.wait_output_eof(EVENT_TIMEOUT), "{}", server.output());
    assert_eq!(read_result(&result), "child=0\n");
    server.assert_exits("after the child exited");
}

#[test]
fn gdb_killed_while_holding_a_fork_child_leaves_no_process() {
    let dir = TempDir::new("forkgdbkill");
    let (server, _result) = launch(&dir, &["loop", "2"]);
    let parent = server.inferior_pid;
    let gdb = BackgroundGdb::tcp(
        server.port,
        &program("fork_modes"),
        &[
            "set detach-on-fork off",
            "set schedule-multiple on",
            "break child_work",
            "continue",
            "info inferiors",
            "shell sleep 600",
        ],
    );
    gdb.wait_for("both processes held", |t| {
        t.contains("[New inferior ") && t.contains("2    process ")
    });
    let text = gdb.text();
    let children: Vec<i32> = text
        .lines()
        .filter_map(|l| {
            l.split_once("[New inferior ")?
                .1
                .split_once("(process ")?
                .1
                .split_once(')')
        })
        .filter_map(|(pid, _)| pid.parse().ok())
        .collect();
    assert!(!children.is_empty(), "{text}");
    gdb.kill();
    server.assert_exits("after gdb died");
    // The launched parent and every child held for gdb are killed and
    // reaped; a child not yet known to gdb dies with its parent's group
    // or runs to its exit: none stays stopped or a zombie.
    let mut all = children.clone();
    all.push(parent);
    assert_all_gone(&all);
}
