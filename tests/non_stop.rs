//! Non-stop mode (`set non-stop on`, `maint set target-non-stop on`): a
//! thread stops at a breakpoint while the others keep running, gdb reads
//! memory of the running program, resumes one thread alone, and sees the
//! process exit; over raw RSP, `vCont;t` stops one thread or all, each stop
//! comes as a `%Stop` notification drained with `vStopped`, and `vCtrlC`
//! interrupts the leader.

mod common;

use common::rsp::{RspClient, REPLY_TIMEOUT};
use common::*;
use std::time::{Duration, Instant};

/// The growth of `count` that proves the counter thread ran while the
/// stopper sat at its breakpoint.
const GROWTH: u64 = 1_000_000;

#[test]
fn one_thread_stays_at_its_breakpoint_while_the_others_run() {
    let dir = TempDir::new("non-stop-bp");
    let result = dir.file("result");
    let result_arg = result.to_string_lossy().into_owned();
    let server = Server::launch(&program("non_stop"), &[&result_arg]);
    // Busy-reads `count` (memory reads while the counter runs) until it
    // has grown by GROWTH; bounded, so a counter that does not run ends
    // the loop with False.
    let wait_growth = format!(
        "python exec(\"n0 = int(gdb.parse_and_eval('count'))\\ni = 0\\n\
         while int(gdb.parse_and_eval('count')) < n0 + {GROWTH} and i < 500000: i += 1\\n\
         print('count-grew', int(gdb.parse_and_eval('count')) >= n0 + {GROWTH})\")"
    );
    let mut cmds = vec!["break stop_here", "continue", "thread 2"];
    cmds.push(&wait_growth);
    let threads = marked("threads", &["info threads"]);
    cmds.extend(threads.iter().map(String::as_str));
    cmds.extend(["set var release = 1", "continue"]);
    let gdb = server.gdb_with(&["set non-stop on"], &cmds);

    gdb.assert_contains("hit Breakpoint 1, stop_here ()");
    gdb.assert_contains("count-grew True");
    let rows = gdb.section("threads");
    let row = |n: u32| -> String {
        rows.lines()
            .find(|l| {
                l.trim_start_matches(['*', ' '])
                    .starts_with(&format!("{n} "))
            })
            .unwrap_or_else(|| panic!("no thread {n} in:\n{rows}"))
            .to_string()
    };
    assert!(
        row(2).contains("stop_here"),
        "thread 2 not at the breakpoint:\n{rows}"
    );
    assert!(row(1).contains("(running)"), "main not running:\n{rows}");
    assert!(row(3).contains("(running)"), "counter not running:\n{rows}");
    // Only the stopper was resumed; the program finished on its own.
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        server.inferior_pid
    ));
    let text = read_result(&result);
    let count = text
        .trim()
        .strip_prefix("count=")
        .and_then(parse_u64)
        .unwrap_or_else(|| panic!("bad result {text:?}"));
    assert!(count >= GROWTH, "{text}");
    server.assert_exits("after the program exited");
    assert!(
        server.output().contains("Child exited with status 0"),
        "{}",
        server.output()
    );
}

/// The tid of a thread id `pPID.TID` or `TID` (hex).
fn parse_tid(id: &str) -> i32 {
    let tid = id.rsplit('.').next().unwrap_or(id);
    i32::from_str_radix(tid, 16).unwrap_or_else(|_| panic!("bad thread id {id:?}"))
}

/// The thread of a stop: its `thread:` field (`T05...;thread:pPID.TID;`),
/// or for a thread exit its last field (`w0;pPID.TID`).
fn stop_thread(stop: &str) -> i32 {
    let field = stop
        .split(';')
        .find_map(|f| f.strip_prefix("thread:"))
        .or_else(|| stop.strip_prefix('w').and_then(|w| w.rsplit(';').next()))
        .unwrap_or_else(|| panic!("no thread in {stop:?}"));
    parse_tid(field)
}

/// Sends `packet` and asserts that the reply is OK.
fn request_ok(client: &mut RspClient, packet: &str) {
    let reply = client
        .request(packet)
        .unwrap_or_else(|e| panic!("{packet}: {e:?}"));
    assert_eq!(reply, "OK", "reply to {packet}");
}

/// Connects to a launched program and turns non-stop mode on: the
/// stopped program's one stop is the reply to `?`, then `vStopped` says
/// OK. Returns the client and the server's qSupported reply.
fn connect_non_stop(server: &Server) -> (RspClient, String) {
    let mut client = server.rsp();
    let features = client
        .request("qSupported:multiprocess+")
        .expect("qSupported");
    client.start_no_ack_mode().expect("no-ack");
    request_ok(&mut client, "QNonStop:1");
    let status = client.request("?").expect("?");
    assert!(status.starts_with("T05"), "{status}");
    assert_eq!(stop_thread(&status), server.inferior_pid);
    request_ok(&mut client, "vStopped");
    (client, features)
}

/// Reads the thread list (qfThreadInfo/qsThreadInfo) as tids.
fn thread_list(client: &mut RspClient) -> Vec<i32> {
    let mut tids = Vec::new();
    let mut reply = client.request("qfThreadInfo").expect("qfThreadInfo");
    while let Some(list) = reply.strip_prefix('m') {
        for id in list.split(',') {
            tids.push(parse_tid(id));
        }
        reply = client.request("qsThreadInfo").expect("qsThreadInfo");
    }
    tids
}

/// Every stop a vCont;t produced: the notification, then each `vStopped`
/// reply until OK.
fn drain_stops(client: &mut RspClient) -> Vec<String> {
    let first = client
        .read_notification(REPLY_TIMEOUT)
        .expect("stop notification");
    let mut stops = vec![first
        .strip_prefix("Stop:")
        .unwrap_or_else(|| panic!("not a stop notification: {first:?}"))
        .to_string()];
    loop {
        let reply = client.request("vStopped").expect("vStopped");
        if reply == "OK" {
            return stops;
        }
        stops.push(reply);
    }
}

/// QThreadEvents: each thread that exits is reported (`w`), then the
/// process exit, each as a notification.
#[test]
fn thread_exits_and_the_process_exit_are_notified() {
    let server = Server::launch(&program("non_stop"), &["", "quick"]);
    let pid = server.inferior_pid;
    let (mut client, _) = connect_non_stop(&server);
    request_ok(&mut client, "QThreadEvents:1");
    request_ok(&mut client, "vCont;c");
    let mut events = Vec::new();
    while !events.iter().any(|e: &String| e.starts_with('W')) {
        events.extend(drain_stops(&mut client));
    }
    let exits: Vec<&String> = events.iter().filter(|e| e.starts_with("w0;")).collect();
    assert_eq!(exits.len(), 2, "{events:?}");
    let mut tids: Vec<i32> = exits.iter().map(|e| stop_thread(e)).collect();
    tids.dedup();
    assert_eq!(tids.len(), 2, "{events:?}");
    assert!(!tids.contains(&pid), "{events:?}");
    assert_eq!(
        events.last().map(String::as_str),
        Some(format!("W00;process:{pid:x}").as_str())
    );
    drop(client);
    server.assert_exits("after the program exited");
}

#[test]
fn threads_stop_one_at_a_time_with_notifications() {
    let server = Server::launch(&program("non_stop"), &[]);
    let pid = server.inferior_pid;
    let (mut client, features) = connect_non_stop(&server);
    assert!(features.contains("QNonStop+"), "{features}");
    let actions = client.request("vCont?").expect("vCont?");
    let mut actions: Vec<&str> = actions.split(';').collect();
    actions.sort_unstable();
    assert_eq!(actions, ["C", "S", "c", "r", "s", "t", "vCont"]);
    request_ok(&mut client, "vCont;c");
    // Wait for the two threads to exist (the program creates them).
    let deadline = Instant::now() + EVENT_TIMEOUT;
    let mut tids = thread_list(&mut client);
    while tids.len() < 3 && Instant::now() < deadline {
        tids = thread_list(&mut client);
    }
    assert_eq!(tids.len(), 3, "threads: {tids:?}");
    let worker = *tids.iter().find(|&&t| t != pid).expect("a worker thread");

    // Stop one thread: it alone reports, with no signal, and only it stops.
    request_ok(&mut client, &format!("vCont;t:p{pid:x}.{worker:x}"));
    let stops = drain_stops(&mut client);
    assert_eq!(stops.len(), 1, "{stops:?}");
    assert!(stops[0].starts_with("T00"), "{stops:?}");
    assert_eq!(stop_thread(&stops[0]), worker);
    assert_eq!(proc_state(worker), Some('t'));
    let others: Vec<i32> = tids.iter().copied().filter(|&t| t != worker).collect();
    for &tid in &others {
        assert_ne!(proc_state(tid), Some('t'), "thread {tid} stopped too");
    }

    // Stop the rest: one report each, the stopped thread not again.
    request_ok(&mut client, &format!("vCont;t:p{pid:x}.-1"));
    // The stops may come in more than one batch of notifications.
    let mut expected = others.clone();
    expected.sort_unstable();
    let mut stops = Vec::new();
    let mut reported: Vec<i32> = Vec::new();
    while reported.len() < expected.len() {
        stops.extend(drain_stops(&mut client));
        reported = stops.iter().map(|s| stop_thread(s)).collect();
        reported.sort_unstable();
    }
    assert_eq!(reported, expected, "{stops:?}");
    for &tid in &tids {
        assert_eq!(proc_state(tid), Some('t'), "thread {tid} not stopped");
    }

    // Resume everything, then Ctrl-C: SIGINT reported on the leader.
    request_ok(&mut client, &format!("vCont;c:p{pid:x}.-1"));
    let running = poll_until(EVENT_TIMEOUT, || proc_state(worker) != Some('t'));
    assert!(running, "worker still stopped after vCont;c");
    request_ok(&mut client, "vCtrlC");
    let stops = drain_stops(&mut client);
    assert_eq!(stops.len(), 1, "{stops:?}");
    assert!(stops[0].starts_with("T02"), "{stops:?}");
    assert_eq!(stop_thread(&stops[0]), pid);

    request_ok(&mut client, &format!("vKill;{pid:x}"));
    // gdb hangs up after a kill (gdbserver waits for that to exit).
    drop(client);
    server.assert_exits("after vKill");
    assert!(
        poll_until(Duration::from_secs(5), || proc_state(pid).is_none()),
        "program still there after vKill"
    );
}

/// A step that gdb's `vCont;t` cuts short may finish as the interrupt
/// comes; its SIGTRAP then waits behind the interrupt's stop. Left there,
/// the next continue would stop at once with a SIGTRAP nobody asked for
/// (gdb.threads/interrupt-while-step-over.exp waited for such a thread's
/// stop in vain). Each round: step and stop at once, then continue and
/// stop: that second stop must be the interrupt (T00), never a SIGTRAP.
#[test]
fn a_step_cut_short_by_vcont_t_leaves_no_sigtrap_for_the_next_continue() {
    let server = Server::launch(&program("spin"), &[]);
    let pid = server.inferior_pid;
    let thread = format!("p{pid:x}.{pid:x}");
    let (mut client, _) = connect_non_stop(&server);
    for round in 0..300 {
        client
            .send_packet(&format!("vCont;s:{thread}"))
            .expect("send vCont;s");
        client
            .send_packet(&format!("vCont;t:{thread}"))
            .expect("send vCont;t");
        for packet in ["vCont;s", "vCont;t"] {
            let reply = client.read_packet(REPLY_TIMEOUT).expect("reply");
            assert_eq!(reply, "OK", "round {round}: reply to {packet}");
        }
        // The step's end or the interrupt: either is a stop of its own.
        let stops = drain_stops(&mut client);
        assert_eq!(stops.len(), 1, "round {round}: {stops:?}");
        request_ok(&mut client, &format!("vCont;c:{thread}"));
        request_ok(&mut client, &format!("vCont;t:{thread}"));
        let stops = drain_stops(&mut client);
        assert_eq!(stops.len(), 1, "round {round}: {stops:?}");
        assert!(
            stops[0].starts_with("T00"),
            "round {round}: the continue stopped with {stops:?}"
        );
    }
    request_ok(&mut client, &format!("vKill;{pid:x}"));
    drop(client);
    server.assert_exits("after vKill");
}
