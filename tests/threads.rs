//! Multi-threaded all-stop debugging: threads appear (`[New Thread ...]`),
//! carry their names (qXfer:threads:read) and vanish once exited; `thread N`
//! shows that thread's registers and backtrace; 8000 breakpoint hits from 8
//! threads are each counted exactly once; scheduler locking keeps the other
//! threads stopped through `step`, `next` and `continue`; one thread steps
//! over a breakpoint the other threads sit on; and Ctrl-C (raw RSP client)
//! stops every thread of a busy program, which then runs again.

mod common;

use common::rsp::{RspClient, REPLY_TIMEOUT};
use common::*;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// One row of `info threads`.
#[derive(Debug)]
struct ThreadRow {
    /// gdb's thread number.
    num: u32,
    /// The kernel thread id (LWP).
    tid: i32,
    /// The name gdb shows in quotes, if any.
    name: Option<String>,
    /// The rest of the row: the frame.
    frame: String,
}

/// Parses the rows of `info threads` output. gdb shows a remote thread as
/// `Thread PID.TID` (or `Thread 0x... (LWP TID)` when it uses libthread_db).
fn thread_rows(text: &str) -> Vec<ThreadRow> {
    let mut rows = Vec::new();
    for line in text.lines() {
        let rest = line.trim_start_matches(['*', ' ']);
        let Some((num, rest)) = rest.split_once(' ') else {
            continue;
        };
        let Ok(num) = num.parse::<u32>() else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix("Thread ") else {
            continue;
        };
        let (target_id, rest) = match rest.find(" (LWP ") {
            Some(i) => {
                let after = &rest[i + " (LWP ".len()..];
                let close = after.find(')').expect("LWP closing paren");
                (&after[..close], &after[close + 1..])
            }
            None => {
                let end = rest.find(' ').unwrap_or(rest.len());
                let id = &rest[..end];
                (id.rsplit('.').next().unwrap_or(id), &rest[end..])
            }
        };
        let tid = target_id
            .parse::<i32>()
            .unwrap_or_else(|_| panic!("no thread id in row {line:?}"));
        let rest = rest.trim_start();
        let (name, frame) = match rest.strip_prefix('"') {
            Some(quoted) => {
                let close = quoted.find('"').expect("closing quote of thread name");
                (
                    Some(quoted[..close].to_string()),
                    quoted[close + 1..].trim().to_string(),
                )
            }
            None => (None, rest.to_string()),
        };
        rows.push(ThreadRow {
            num,
            tid,
            name,
            frame,
        });
    }
    rows
}

/// Parses a printed array of integers, `{1, 2, 3}`.
#[track_caller]
fn int_array(value: &str) -> Vec<u64> {
    value
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .split(',')
        .map(|v| {
            v.trim()
                .parse()
                .unwrap_or_else(|_| panic!("not an integer array: {value:?}"))
        })
        .collect()
}

#[test]
fn threads_appear_with_their_names_and_vanish_once_exited() {
    let server = Server::launch(&program("threads_names"), &[]);
    let pid = server.inferior_pid;
    let mut cmds: Vec<String> = ["break all_named", "break all_joined", "continue"]
        .map(String::from)
        .to_vec();
    // The kernel's own names, read while gdb shows its list, to compare.
    cmds.extend(marked(
        "named",
        &[
            "info threads",
            &format!(
                "shell for t in /proc/{pid}/task/*; do echo \"comm $(basename $t) $(cat $t/comm)\"; done"
            ),
        ],
    ));
    for n in 1..=4 {
        cmds.extend(marked(
            &format!("thread{n}"),
            &[&format!("thread {n}"), "info registers rip", "bt"],
        ));
    }
    cmds.extend(marked("applyall", &["thread apply all bt"]));
    cmds.push("continue".into());
    cmds.extend(marked("joined", &["info threads"]));
    cmds.push("continue".into());
    let cmds: Vec<&str> = cmds.iter().map(String::as_str).collect();
    let gdb = server.gdb(&cmds);

    // gdb announced each worker as it learnt about it.
    let new_tids: BTreeSet<i32> = gdb
        .text
        .lines()
        .filter_map(|l| l.strip_prefix("[New Thread "))
        .filter_map(|t| {
            // `PID.TID]`, or `0x... (LWP TID)]` with libthread_db.
            let t = t.trim_end_matches(']');
            let tid = match t.split_once("(LWP ") {
                Some((_, lwp)) => lwp.trim_end_matches(')'),
                None => t.strip_prefix(&format!("{pid}."))?,
            };
            tid.parse().ok()
        })
        .collect();
    assert_eq!(new_tids.len(), 3, "[New Thread] lines:\n{}", gdb.text);
    gdb.assert_contains("hit Breakpoint 1, all_named () at ");

    // Every live thread is listed once, with the name the kernel has.
    let named = gdb.section("named");
    let rows = thread_rows(&named);
    assert_eq!(rows.len(), 4, "info threads:\n{named}");
    let comm: Vec<(i32, String)> = named
        .lines()
        .filter_map(|l| l.strip_prefix("comm "))
        .filter_map(|l| {
            let (tid, name) = l.split_once(' ')?;
            Some((tid.parse().ok()?, name.to_string()))
        })
        .collect();
    assert_eq!(comm.len(), 4, "/proc task names:\n{named}");
    for row in &rows {
        let real = comm
            .iter()
            .find(|(t, _)| *t == row.tid)
            .unwrap_or_else(|| panic!("gdb lists {row:?}, not a task of {pid}:\n{named}"));
        assert_eq!(row.name.as_deref(), Some(real.1.as_str()), "{named}");
    }
    let mut names: Vec<&str> = rows.iter().filter_map(|r| r.name.as_deref()).collect();
    names.sort();
    assert_eq!(
        names,
        ["threads_names", "worker-0", "worker-1", "worker-2"],
        "{named}"
    );
    let leader = rows.iter().find(|r| r.tid == pid).expect("leader listed");
    assert_eq!(leader.num, 1, "{named}");
    assert!(leader.frame.starts_with("all_named () at "), "{named}");
    let worker_tids: BTreeSet<i32> = rows
        .iter()
        .filter(|r| r.tid != pid)
        .map(|r| r.tid)
        .collect();
    assert_eq!(worker_tids, new_tids, "{}", gdb.text);

    // `thread N` switches to that very thread: its registers and stack are
    // its own (the worker's index in its frame matches its name).
    let mut seen_idx = BTreeSet::new();
    for row in &rows {
        let n = row.num;
        let sec = gdb.section(&format!("thread{n}"));
        assert!(
            sec.contains(&format!(
                "[Switching to thread {n} (Thread {pid}.{})]",
                row.tid
            )) || sec.contains(&format!("(LWP {}))]", row.tid)),
            "thread {n}:\n{sec}"
        );
        let rip = sec
            .lines()
            .find(|l| l.starts_with("rip "))
            .unwrap_or_else(|| panic!("no rip for thread {n}:\n{sec}"));
        if row.tid == pid {
            assert!(rip.contains("<all_named+"), "{rip}");
            assert!(sec.contains("#0  all_named () at "), "{sec}");
            assert!(sec.contains(" in main () at "), "{sec}");
        } else {
            assert!(!rip.contains("<all_named"), "{rip}");
            let name = row.name.as_deref().expect("worker name");
            let idx: u32 = name
                .strip_prefix("worker-")
                .and_then(|i| i.parse().ok())
                .expect("worker-N");
            assert!(sec.contains(&format!(" in park (idx={idx}) at ")), "{sec}");
            assert!(sec.contains(" in worker (arg=0x"), "{sec}");
            seen_idx.insert(idx);
        }
    }
    assert_eq!(seen_idx, BTreeSet::from([0, 1, 2]));

    // `thread apply all bt` walks every thread's stack.
    let all = gdb.section("applyall");
    let headers = all.lines().filter(|l| l.starts_with("Thread ")).count();
    assert_eq!(headers, 4, "{all}");
    assert_eq!(all.matches(" in park (idx=").count(), 3, "{all}");
    assert_eq!(all.matches("#0  all_named () at ").count(), 1, "{all}");

    // Once the workers are joined, only the leader is left.
    gdb.assert_contains("hit Breakpoint 2, all_joined () at ");
    let joined = gdb.section("joined");
    let rows = thread_rows(&joined);
    assert_eq!(rows.len(), 1, "info threads after join:\n{joined}");
    assert_eq!(rows[0].tid, pid, "{joined}");
    assert!(rows[0].frame.starts_with("all_joined () at "), "{joined}");
    assert!(!joined.contains("worker-"), "{joined}");
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) exited normally]"));
    assert!(server.output().contains("threads_names done"));
}

#[test]
fn all_stop_counts_each_of_8000_breakpoint_hits_from_8_threads_once() {
    let dir = TempDir::new("hits");
    let result = dir.file("result");
    let server = Server::launch(
        &program("threads_hits"),
        &[result.to_str().expect("utf-8 temp path")],
    );
    let pid = server.inferior_pid;
    let source = hit_counting_script(&dir.file("hits.gdb"), "break hit");
    let start = Instant::now();
    // 16000 resumes on a loaded 2-core machine: a wide safety net.
    let gdb = server.run_gdb(&[&source], Duration::from_secs(120));
    eprintln!("8000 breakpoint hits took {:?}", start.elapsed());
    assert!(!gdb.timed_out(), "{}", gdb.text);
    // A hit reported twice, lost, or turned into a stray SIGTRAP shows here.
    gdb.assert_lacks("Program received signal");
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) exited normally]"));
    assert_eq!(gdb.value(1), "8000", "{}", gdb.text);
    assert_eq!(read_result(&result), "total=8000\n");
}

#[test]
fn scheduler_locking_keeps_other_threads_stopped() {
    let server = Server::launch(&program("threads_spin"), &[]);
    let gdb = server.gdb(&[
        &format!("break {}", loc("threads_spin", "LINE_A")),
        "break reached_by_main",
        &format!("break {}", loc("threads_spin", "LINE_BUSY2")),
        "break main_done",
        "continue",
        "set scheduler-locking on",
        "print counters",
        "next",
        "step",
        "print counters",
        // main runs a busy loop on the way: unlocked spinners would move.
        "continue",
        "print counters",
        "continue",
        "print counters",
        "set scheduler-locking step",
        "next",
        "print counters",
        // In `step` mode `continue` resumes everyone: the counters move,
        // which shows they would have moved above had the others run.
        "continue",
        "print counters",
        "kill",
    ]);
    gdb.assert_contains(&format!(
        "{}\t\ta = step_into(a); /* LINE_CALL */",
        line_of("threads_spin", "LINE_CALL")
    ));
    gdb.assert_contains(&format!(
        "threads_spin.c:{}\n{0}\t\tint y = x * 2; /* STEP_INTO_BODY */",
        line_of("threads_spin", "STEP_INTO_BODY")
    ));
    gdb.assert_contains("step_into (x=1) at ");
    gdb.assert_contains("hit Breakpoint 2, reached_by_main () at ");
    gdb.assert_contains("hit Breakpoint 3, main () at ");
    gdb.assert_contains(&format!(
        "{}\t\tbusy(); /* LINE_BUSY2 */",
        line_of("threads_spin", "LINE_BUSY2")
    ));
    gdb.assert_contains(&format!(
        "{}\t\ta++; /* LINE_AFTER_BUSY2 */",
        line_of("threads_spin", "LINE_AFTER_BUSY2")
    ));
    gdb.assert_contains("hit Breakpoint 4, main_done () at ");
    let values: Vec<Vec<u64>> = (1..=6).map(|n| int_array(&gdb.value(n))).collect();
    assert!(values[0].iter().all(|&c| c > 0), "{}", gdb.text);
    let steps = [
        "next + step (locked)",
        "continue (locked)",
        "continue (locked)",
        "next (locked for step)",
    ];
    for (i, what) in steps.iter().enumerate() {
        assert_eq!(
            values[i + 1],
            values[i],
            "other threads ran during {what}:\n{}",
            gdb.text
        );
    }
    for (after, before) in values[5].iter().zip(&values[4]) {
        assert!(
            after > before,
            "spinners did not run on an unlocked continue:\n{}",
            gdb.text
        );
    }
    // gdb prints this when the kill's reply does not come in time.
    gdb.assert_lacks("Ignoring packet error");
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) killed]",
        server.inferior_pid
    ));
}

#[test]
fn one_thread_steps_over_a_breakpoint_the_others_sit_on() {
    let dir = TempDir::new("meet");
    let result = dir.file("result");
    let server = Server::launch(
        &program("threads_meet"),
        &[result.to_str().expect("utf-8 temp path")],
    );
    let pid = server.inferior_pid;
    // Put each worker (gdb threads 2-5; 1 is main, blocked in join) on the
    // breakpoint in meet(): the first by an unlocked continue, the others
    // by a locked continue each, skipping the one already there.
    let mut lines = vec![
        "break meet",
        "continue",
        "set $first = $_thread",
        "set scheduler-locking on",
    ];
    let threads = ["thread 2", "thread 3", "thread 4", "thread 5"];
    for t in &threads {
        lines.extend([t, "if $_thread != $first", "continue", "end"]);
    }
    lines.extend([
        "echo at-meet-begin\\n",
        "thread apply 2-5 frame",
        "echo at-meet-end\\n",
        "eval \"thread %d\", $first",
        "next",
        "echo after-next-begin\\n",
        "thread apply 2-5 frame",
        "echo after-next-end\\n",
        "set scheduler-locking off",
        "delete",
        "continue",
    ]);
    let source = script(&dir, "meet.gdb", &lines);
    let gdb = server.gdb(&[&source]);
    let bp_line = line_of("threads_meet", "MEET_BP");
    let next_line = line_of("threads_meet", "MEET_NEXT");
    // `#0  meet (idx=K) at PATH/threads_meet.c:LINE` lines, as (K, LINE).
    let frames = |text: &str| -> Vec<(u32, usize)> {
        text.lines()
            .filter_map(|l| {
                let rest = l.strip_prefix("#0  meet (idx=")?;
                let (idx, rest) = rest.split_once(") at ")?;
                let (_, line) = rest.rsplit_once("threads_meet.c:")?;
                Some((idx.parse().ok()?, line.parse().ok()?))
            })
            .collect()
    };
    let at_meet = frames(&gdb.section("at-meet"));
    let idx: BTreeSet<u32> = at_meet.iter().map(|&(i, _)| i).collect();
    assert_eq!(idx, BTreeSet::from([0, 1, 2, 3]), "{}", gdb.text);
    assert!(
        at_meet.iter().all(|&(_, l)| l == bp_line),
        "not every worker at meet's breakpoint:\n{}",
        gdb.text
    );
    // The stepped thread left the breakpoint line; the others stayed on it.
    let after = frames(&gdb.section("after-next"));
    assert_eq!(after.len(), 4, "{}", gdb.text);
    let stepped = after.iter().filter(|&&(_, l)| l == next_line).count();
    let stayed = after.iter().filter(|&&(_, l)| l == bp_line).count();
    assert_eq!((stepped, stayed), (1, 3), "{}", gdb.text);
    gdb.assert_lacks("Program received signal");
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) exited normally]"));
    // Each worker ran meet()'s body exactly once.
    assert_eq!(read_result(&result), "meets=4\n");
}

/// A `progress SUM` line from threads_busy.
fn progress(line: &str) -> u64 {
    line.strip_prefix("progress ")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a progress line: {line:?}"))
}

/// Reads the FIFO until a progress line above `above` arrives: the spinners
/// ran after that value was taken. Stale lines (written before) are skipped.
#[track_caller]
fn wait_progress_above(fifo: &mut Fifo, above: u64) -> u64 {
    let deadline = Instant::now() + EVENT_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = fifo
            .read_line(left)
            .unwrap_or_else(|| panic!("no progress above {above} from the program"));
        let sum = progress(&line);
        if sum > above {
            return sum;
        }
    }
}

/// Sum of the program's counters, read with `m` while it is stopped.
fn read_counters(client: &mut RspClient, addr: u64, n: usize) -> u64 {
    let reply = client
        .request(&format!("m{addr:x},{:x}", n * 8))
        .expect("m reply");
    let bytes = rsp::decode_hex(&reply).unwrap_or_else(|| panic!("m reply {reply:?}"));
    assert_eq!(bytes.len(), n * 8, "{reply}");
    bytes
        .chunks(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .sum()
}

/// Sends 0x03 and checks the stop: SIGINT, a thread of the program, and
/// every thread of the program in traced stop.
fn interrupt_and_check(client: &mut RspClient, pid: i32) {
    client.send_interrupt().expect("send 0x03");
    let reply = client
        .read_packet(REPLY_TIMEOUT)
        .expect("stop reply to 0x03");
    assert!(reply.starts_with("T02"), "{reply}");
    let thread = reply
        .split(';')
        .find_map(|f| f.split_once("thread:").map(|(_, t)| t))
        .unwrap_or_else(|| panic!("no thread in {reply}"));
    let tid = i32::from_str_radix(thread.rsplit('.').next().unwrap_or(thread), 16)
        .unwrap_or_else(|_| panic!("bad thread id in {reply}"));
    let tasks = task_states(pid);
    assert!(
        tasks.iter().any(|&(t, _)| t == tid),
        "{reply}: not a thread of {pid}: {tasks:?}"
    );
    // Main, three spinners and the reporter.
    assert_eq!(tasks.len(), 5, "{tasks:?}");
    assert!(
        tasks.iter().all(|&(_, s)| s == Some('t')),
        "not every thread is in traced stop: {tasks:?}"
    );
}

#[test]
fn ctrl_c_stops_every_thread_of_a_busy_program_and_it_runs_again() {
    let dir = TempDir::new("busy");
    let mut fifo = dir.fifo("progress");
    let fifo_path: PathBuf = fifo.path().to_path_buf();
    let server = Server::launch(
        &program("threads_busy"),
        &[fifo_path.to_str().expect("utf-8 temp path")],
    );
    let pid = server.inferior_pid;
    let mut client = server.rsp();
    let first = client.request("?").expect("initial stop reply");
    assert!(first.starts_with("T05"), "{first}");
    client.send_packet("vCont;c").expect("send vCont;c");
    let header = fifo
        .read_line(EVENT_TIMEOUT)
        .unwrap_or_else(|| panic!("program wrote nothing:\n{}", server.output()));
    let fields: Vec<&str> = header.split(' ').collect();
    assert_eq!(fields.len(), 3, "{header}");
    assert_eq!(fields[0], "counters", "{header}");
    let addr = parse_u64(fields[1]).expect("counters address");
    let n: usize = fields[2].parse().expect("counter count");
    // The spinners run before the interrupt.
    wait_progress_above(&mut fifo, 0);

    interrupt_and_check(&mut client, pid);
    let stopped = read_counters(&mut client, addr, n);
    // Nothing runs while stopped: a second read sees the same counters.
    assert_eq!(read_counters(&mut client, addr, n), stopped);

    client.send_packet("vCont;c").expect("send vCont;c");
    let moved = wait_progress_above(&mut fifo, stopped);
    assert!(moved > stopped);

    interrupt_and_check(&mut client, pid);
    let stopped_again = read_counters(&mut client, addr, n);
    assert!(stopped_again >= moved, "{stopped_again} < {moved}");

    let kill = client
        .request(&format!("vKill;{pid:x}"))
        .expect("vKill reply");
    assert_eq!(kill, "OK");
    // The reply comes after the kill and the reap: no zombie either.
    assert_eq!(proc_state(pid), None, "program left behind after vKill");
    // gdb closes the connection after vKill in `target remote` mode (GNU
    // gdbserver waits for that; rgdbserver may close first); with --once
    // the server then exits.
    drop(client);
    assert!(
        server.wait_exit(EVENT_TIMEOUT).is_some(),
        "server still running after vKill and disconnect:\n{}",
        server.output()
    );
}

#[test]
fn each_thread_has_its_pthread_handle() {
    let server = Server::launch(&program("threads_hits"), &[]);
    let gdb = server.gdb(&[
        "break hit",
        "continue",
        "python print('HANDLE ' + gdb.selected_thread().handle().hex())",
        "python print('TP %x' % int(gdb.parse_and_eval('(unsigned long) $fs_base')))",
        // The inferior call runs this thread alone.
        "set scheduler-locking on",
        "python print('SELF %x' % int(gdb.parse_and_eval('(unsigned long) pthread_self()')))",
        "python print('FOUND %d' % gdb.selected_inferior().thread_from_handle(gdb.selected_thread().handle()).num)",
        "python print('CURRENT %d' % gdb.selected_thread().num)",
        "kill",
    ]);
    let field = |tag: &str| gdb.field(tag);
    let handle = rsp::decode_hex(&field("HANDLE ")).expect("hex handle");
    let handle = u64::from_le_bytes(handle.try_into().expect("8 bytes"));
    // The handle is the thread's pthread_t: its thread pointer.
    assert_eq!(format!("{handle:x}"), field("TP "), "{}", gdb.text);
    assert_eq!(format!("{handle:x}"), field("SELF "), "{}", gdb.text);
    // gdb finds the thread by it.
    assert_eq!(field("FOUND "), field("CURRENT "));
}
