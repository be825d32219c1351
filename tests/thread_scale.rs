//! Scale: a program with 1000 threads parked on a condition variable and one
//! thread hitting a breakpoint. gdb lists all of them (`info threads`),
//! backtraces each (`thread apply all bt 1`) and continues to the next hit;
//! the raw RSP client interrupts the whole lot with Ctrl-C. The elapsed
//! times of `continue` to the next hit and of `info threads` are printed
//! (eprintln, a measurement, not an assertion); with RGDB_COMPARE=1 the same
//! measurement runs against /usr/bin/gdbserver in the same test.

mod common;

use common::rsp::RspClient;
use common::*;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

/// Parked threads; with main and the hitter the program has two more.
const PARKED: usize = 1000;
const PARKED_ARG: &str = "1000";
/// Safety net for one gdb session of the scale test (it takes a few
/// seconds; a hang or a quadratic slowdown must fail, not wait a minute).
const SCALE_GDB_TIMEOUT: Duration = Duration::from_secs(45);

/// What one run of [`check_and_time`] measured (None: not printed).
struct Timings {
    continue_to_hit: Option<f64>,
    info_threads: Option<f64>,
    bt_all: Option<f64>,
}

/// The number printed by gdb's Python as `elapsed-NAME SECONDS`.
fn elapsed(text: &str, name: &str) -> Option<f64> {
    let prefix = format!("elapsed-{name} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
}

/// gdb commands that run `cmd` between `MARK-begin`/`MARK-end` echoes and
/// print its wall-clock time (gdb's Python clock: no shell in the path).
fn timed(mark: &str, cmd: &str) -> Vec<String> {
    vec![
        format!("echo {mark}-begin\\n"),
        "python t0 = time.perf_counter()".into(),
        cmd.into(),
        format!("python print('elapsed-{mark} %.6f' % (time.perf_counter() - t0))"),
        format!("echo {mark}-end\\n"),
    ]
}

/// Rows of `info threads` output: lines `[*] N  Thread ...`.
fn thread_rows(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| {
            let rest = l.trim_start_matches(['*', ' ']);
            let mut words = rest.split_whitespace();
            words.next().is_some_and(|n| n.parse::<u32>().is_ok()) && words.next() == Some("Thread")
        })
        .collect()
}

/// Runs the scale session against `server` listening on `port` whose
/// program (threads_parked 1000) has process id `pid`; prints the times
/// (before any assertion, so a failure still shows them) and asserts what
/// gdb shows.
fn check_and_time(server: &Path, port: u16, prog: &Path, pid: i32) {
    let mut cmds: Vec<String> = vec![
        "python import time".into(),
        "break hit".into(),
        "continue".into(),
    ];
    cmds.extend(timed("info-threads", "info threads"));
    cmds.extend(timed("bt-all", "thread apply all bt 1"));
    cmds.extend(timed("continue", "continue"));
    cmds.push("kill".into());
    let gdb = run_gdb_at(port, Some(prog), &cmds, SCALE_GDB_TIMEOUT);
    report(
        server,
        &Timings {
            continue_to_hit: elapsed(&gdb.text, "continue"),
            info_threads: elapsed(&gdb.text, "info-threads"),
            bt_all: elapsed(&gdb.text, "bt-all"),
        },
    );
    assert!(!gdb.timed_out(), "gdb timed out:\n{}", gdb.text);
    gdb.assert_contains("hit Breakpoint 1, hit (n=1) at ");

    // Every thread is listed once: the parked ones, main and the hitter.
    let info = gdb.section("info-threads");
    let rows = thread_rows(&info);
    assert_eq!(rows.len(), PARKED + 2, "info threads rows");
    let ids: BTreeSet<&str> = rows
        .iter()
        .filter_map(|r| r.split_whitespace().nth(2))
        .collect();
    assert_eq!(ids.len(), PARKED + 2, "duplicate thread ids listed");
    assert!(
        ids.contains(format!("{pid}.{pid}").as_str()),
        "leader missing"
    );
    let in_hit = rows.iter().filter(|r| r.contains(" hit (n=1) at ")).count();
    assert_eq!(in_hit, 1, "one thread at the breakpoint");

    // One frame per thread, each walked.
    let bt = gdb.section("bt-all");
    let headers = bt.lines().filter(|l| l.starts_with("Thread ")).count();
    let frames = bt.lines().filter(|l| l.starts_with("#0  ")).count();
    assert_eq!(headers, PARKED + 2, "thread apply all bt 1 headers");
    assert_eq!(frames, PARKED + 2, "thread apply all bt 1 frames");
    // The parked threads' innermost frame is the futex wait of
    // pthread_cond_wait (main's, in pthread_join, is one too).
    let waiting = bt
        .lines()
        .filter(|l| l.starts_with("#0  ") && l.contains("futex"))
        .count();
    assert!(waiting >= PARKED, "only {waiting} threads in a futex wait");

    // The hitter goes on to its next call while 1000 threads stay parked.
    let cont = gdb.section("continue");
    assert!(cont.contains("hit Breakpoint 1, hit (n=2) at "), "{cont}");
    gdb.assert_lacks("Program received signal");
    // gdb prints this when the kill's reply does not come in time.
    gdb.assert_lacks("Ignoring packet error");
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) killed]"));
}

fn report(server: &Path, t: &Timings) {
    let ms = |v: Option<f64>| match v {
        Some(s) => format!("{:.1} ms", s * 1000.0),
        None => "n/a (no Python in gdb)".into(),
    };
    eprintln!(
        "scale {} ({PARKED} parked threads): continue to next hit {}, info threads {}, thread apply all bt 1 {}",
        server.display(),
        ms(t.continue_to_hit),
        ms(t.info_threads),
        ms(t.bt_all),
    );
}

#[test]
fn a_thousand_parked_threads_are_listed_backtraced_and_continued() {
    let prog = program("threads_parked");
    let started = Instant::now();
    let server = Server::launch(&prog, &[PARKED_ARG]);
    check_and_time(&server_path(), server.port, &prog, server.inferior_pid);
    drop(server);
    if std::env::var_os("RGDB_COMPARE").is_some_and(|v| v == "1") {
        let gnu = Path::new("/usr/bin/gdbserver");
        let other = Server::launch_binary(gnu, &prog, &[PARKED_ARG]);
        check_and_time(gnu, other.port, &prog, other.inferior_pid);
    }
    eprintln!("scale test took {:?}", started.elapsed());
}

#[test]
fn ctrl_c_stops_a_thousand_and_two_threads() {
    let dir = TempDir::new("scale-ctrlc");
    let mut fifo = dir.fifo("ready");
    let fifo_path = fifo.path().to_str().expect("utf-8 path").to_string();
    let server = Server::launch(&program("threads_parked"), &[PARKED_ARG, &fifo_path]);
    let pid = server.inferior_pid;
    let mut client: RspClient = server.rsp();
    let first = client.request("?").expect("initial stop reply");
    assert!(first.starts_with("T05"), "{first}");
    client.send_packet("vCont;c").expect("send vCont;c");
    let ready = fifo.read_line(EVENT_TIMEOUT);
    assert_eq!(
        ready.as_deref(),
        Some(format!("ready {PARKED}").as_str()),
        "{}",
        server.output()
    );
    let start = Instant::now();
    client.send_interrupt().expect("send 0x03");
    let reply = client
        .read_packet(rsp::REPLY_TIMEOUT)
        .expect("stop reply to 0x03");
    let took = start.elapsed();
    eprintln!(
        "scale {}: Ctrl-C to stop reply with {} threads: {took:?}",
        server_path().display(),
        PARKED + 2
    );
    assert!(reply.starts_with("T02"), "{reply}");
    assert!(reply.contains("thread:"), "{reply}");
    // Every thread of the program (all exist once it says ready) is in
    // traced stop.
    let tasks = task_states(pid);
    assert_eq!(tasks.len(), PARKED + 2, "tasks of the program");
    let running: Vec<_> = tasks.iter().filter(|(_, s)| *s != Some('t')).collect();
    assert!(
        running.is_empty(),
        "threads not in traced stop: {running:?}"
    );
    let kill = client
        .request(&format!("vKill;{pid:x}"))
        .expect("vKill reply");
    assert_eq!(kill, "OK");
    assert_eq!(proc_state(pid), None, "program left behind after vKill");
}
