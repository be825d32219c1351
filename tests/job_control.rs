//! Job control stays the program's own while rgdbserver traces it
//! (PTRACE_SEIZE + PTRACE_LISTEN): a job-stopped process stays stopped across
//! attach and detach; SIGSTOP/SIGCONT sent while gdb runs the program stop
//! and resume it for real (gdb passing SIGSTOP silently, or reporting it
//! exactly once); an interrupt during a group stop returns to it; and an
//! interactive shell's ^Z, `fg` and `bg` work on a program being debugged.
//!
//! "No progress" is never a guessed delay: the program's counter (read from
//! /proc/PID/mem) and its output must not move while a free-running twin, the
//! witness, makes ten ticks.
//!
//! The programs, the ticker and the attached server are tests/common's
//! (attach.rs there), shared with tests/attach.rs.

mod common;

use common::rsp::{RspClient, RspError, REPLY_TIMEOUT};
use common::*;
use std::fs;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::fs::FileExt;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

/// Reads the program's 8-byte `counter` from its memory: works whether the
/// program runs, is job-stopped or is traced by someone else (we are root).
/// None once the program is gone.
fn read_counter(pid: i32, addr: u64) -> Option<u64> {
    let mem = fs::File::open(format!("/proc/{pid}/mem")).ok()?;
    let mut buf = [0u8; 8];
    mem.read_exact_at(&mut buf, addr).ok()?;
    Some(u64::from_le_bytes(buf))
}

fn send_signal(pid: i32, sig: i32) {
    // SAFETY: plain kill(2) of a program this test started and still holds.
    let rc = unsafe { libc::kill(pid, sig) };
    assert_eq!(rc, 0, "kill({pid}, {sig}): {}", io::Error::last_os_error());
}

// ---------------------------------------------------------------------------
// No progress, measured against a witness
// ---------------------------------------------------------------------------

/// What `assert_frozen` watches: the program, and text to show on failure.
struct Watch<'a> {
    pid: i32,
    /// Address of its `counter`.
    counter: u64,
    /// Everything it printed so far.
    output: &'a dyn Fn() -> String,
    /// More context for a failure (gdb's transcript, say).
    context: &'a dyn Fn() -> String,
}

/// Asserts that the program makes no progress (its counter and its output
/// stay put) while the witness, a twin that runs freely, makes ten ticks (at
/// least 100 ms of its 10 ms poll timeouts): that real event, not a guessed
/// delay, says the program had every chance to move.
#[track_caller]
fn assert_frozen(what: &str, watch: &Watch, witness: &Ticker) {
    let pid = watch.pid;
    let fail = |msg: String| -> ! {
        panic!(
            "{what}: {msg}\nprogram output:\n{}\n{}",
            (watch.output)(),
            (watch.context)()
        )
    };
    let stopped = poll_until(EVENT_TIMEOUT, || matches!(proc_state(pid), Some('t' | 'T')));
    if !stopped {
        fail(format!("not stopped, state {:?}", proc_state(pid)));
    }
    let sample = || {
        let counter = read_counter(pid, watch.counter)
            .unwrap_or_else(|| fail("the program is gone".to_string()));
        (counter, last_tick(&(watch.output)()))
    };
    let before = sample();
    let w = witness.tick();
    assert!(
        witness.wait_tick_past(w + 10),
        "the witness stopped ticking:\n{}",
        witness.prog.text()
    );
    let after = sample();
    if before != after {
        fail(format!(
            "the program made progress: (counter, last tick) {before:?} -> {after:?}, state {:?}",
            proc_state(pid)
        ));
    }
    if !matches!(proc_state(pid), Some('t' | 'T')) {
        fail(format!("state {:?}", proc_state(pid)));
    }
}

// ---------------------------------------------------------------------------
// Stopping and continuing the job
// ---------------------------------------------------------------------------

/// SIGSTOP to the ticker: its real parent sees the job stop, as it would
/// without a debugger.
fn stop_job(ticker: &Ticker) {
    send_signal(ticker.pid(), libc::SIGSTOP);
    assert!(ticker.prog.wait_parent_lines(2), "{}", ticker.prog.text());
    assert_eq!(ticker.prog.parent_log()[1], "parent: stopped 19");
}

/// SIGCONT to the job-stopped ticker: its real parent sees the continue
/// and the ticker makes progress again.
fn continue_job(ticker: &Ticker) {
    send_signal(ticker.pid(), libc::SIGCONT);
    assert!(ticker.prog.wait_parent_lines(3), "{}", ticker.prog.text());
    assert_eq!(ticker.prog.parent_log()[2], "parent: continued");
    let n = ticker.tick();
    assert!(
        ticker.wait_tick_past(n + 2),
        "no progress after SIGCONT:\n{}",
        ticker.prog.text()
    );
}

/// Waits until the ticker launched by `server` prints a tick past `n`;
/// panics with `what` and the server's output if it does not.
#[track_caller]
fn assert_ticks_past(server: &Server, n: u64, what: &str) {
    assert!(
        server.wait_output_for(EVENT_TIMEOUT, |t| last_tick(t) > n),
        "{what}:\n{}",
        server.output()
    );
}

/// SIGCONT to the ticker launched by `server`: it makes progress again.
fn continue_launched(server: &Server) {
    send_signal(server.inferior_pid, libc::SIGCONT);
    let n = last_tick(&server.output());
    assert_ticks_past(server, n + 2, "no progress after SIGCONT");
}

// ---------------------------------------------------------------------------
// 4. A job-stopped process stays job-stopped across attach and detach
// ---------------------------------------------------------------------------

#[test]
fn job_stopped_process_stays_stopped_across_attach_and_detach() {
    let dir = TempDir::new("jc-stopped");
    let witness = Ticker::start(&dir, "witness");
    let ticker = Ticker::start(&dir, "t");
    let pid = ticker.pid();
    stop_job(&ticker);
    assert_eq!(proc_state(pid), Some('T'));
    let before = read_counter(pid, ticker.counter).expect("read counter");

    let server = AttachServer::start(pid);
    let gdb = server.gdb(&program("jobctl_ticker"), &["print counter", "detach"]);
    assert_eq!(gdb.value(1), before.to_string(), "{}", gdb.text);
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) detached]"));
    server.assert_exits("after detach");

    // Job-stopped as before (T, not traced), and really not running.
    assert_eq!(proc_state(pid), Some('T'), "state after detach");
    assert_eq!(tracer_pid(pid), Some(0));
    let watch = Watch {
        pid,
        counter: ticker.counter,
        output: &|| ticker.prog.text(),
        context: &|| server.output(),
    };
    assert_frozen("after detach", &watch, &witness);
    assert_eq!(read_counter(pid, ticker.counter), Some(before));
    // The parent saw no continue (and no second stop) from attach/detach.
    assert_eq!(
        ticker.prog.parent_log(),
        vec![format!("parent: child {pid}"), "parent: stopped 19".into()]
    );

    continue_job(&ticker);
}

// ---------------------------------------------------------------------------
// 5. SIGSTOP / SIGCONT while gdb runs the program
// ---------------------------------------------------------------------------

#[test]
fn sigstop_passed_silently_stops_the_attached_program_until_sigcont() {
    let dir = TempDir::new("jc-pass");
    let witness = Ticker::start(&dir, "witness");
    let ticker = Ticker::start(&dir, "t");
    let pid = ticker.pid();
    let server = AttachServer::start(pid);
    let at_attach = ticker.tick();
    let gdb = BackgroundGdb::tcp(
        server.port,
        &program("jobctl_ticker"),
        &[
            "handle SIGSTOP nostop noprint pass",
            "handle SIGCONT nostop noprint pass",
            "continue",
        ],
    );
    assert!(
        ticker.wait_tick_past(at_attach + 2),
        "gdb did not resume it:\n{}",
        ticker.prog.text()
    );

    stop_job(&ticker);
    let watch = Watch {
        pid,
        counter: ticker.counter,
        output: &|| ticker.prog.text(),
        context: &|| gdb.text(),
    };
    assert_frozen("after SIGSTOP", &watch, &witness);

    continue_job(&ticker);

    ticker.command(b'q');
    let gdb = gdb.finish();
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) exited normally]"));
    gdb.assert_lacks("received signal");
    assert_eq!(
        ticker.prog.parent_log(),
        vec![
            format!("parent: child {pid}"),
            "parent: stopped 19".into(),
            "parent: continued".into(),
            "parent: exited 0".into(),
        ]
    );
}

#[test]
fn sigstop_is_reported_once_and_the_program_stays_stopped_until_sigcont() {
    let dir = TempDir::new("jc-report");
    let witness = Ticker::start(&dir, "witness");
    let (server, ctl) = launch_ticker(&dir);
    let pid = server.inferior_pid;
    // The `shell echo` marks reach the output at once (gdb's own stdout is
    // buffered while it waits for the program).
    let gdb = BackgroundGdb::tcp(
        server.port,
        &server.program,
        &[
            "handle SIGCONT nostop noprint pass",
            "continue",
            "shell echo @@first-continue-returned",
            "continue",
            "shell echo @@second-continue-returned",
        ],
    );
    assert_ticks_past(&server, 1, "not running");
    let counter = ready_addr(&server.output(), "counter");

    send_signal(pid, libc::SIGSTOP);
    gdb.wait_for("SIGSTOP report", |t| {
        t.contains("@@first-continue-returned")
    });
    // gdb continues with SIGSTOP: the program enters the group stop and
    // must stay there, unreported, until SIGCONT.
    let watch = Watch {
        pid,
        counter,
        output: &|| server.output(),
        context: &|| format!("gdb:\n{}", gdb.text()),
    };
    assert_frozen("after continuing with SIGSTOP", &watch, &witness);
    assert!(
        !gdb.text().contains("@@second-continue-returned"),
        "gdb's continue ended while the program was job-stopped:\n{}",
        gdb.text()
    );

    continue_launched(&server);
    ticker_command(&ctl, b'q');
    let gdb = gdb.finish();
    assert_eq!(
        gdb.count("received signal SIGSTOP"),
        1,
        "SIGSTOP reported other than once:\n{}",
        gdb.text
    );
    gdb.assert_contains("Program received signal SIGSTOP, Stopped (signal).");
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) exited normally]"));
}

// ---------------------------------------------------------------------------
// 7. Ctrl-C during a group stop, then continue: back in the group stop
// ---------------------------------------------------------------------------

/// The `thread:` value of a stop reply.
fn stop_thread(reply: &str) -> String {
    reply
        .split(';')
        .find_map(|f| f.strip_prefix("thread:"))
        .unwrap_or_else(|| panic!("no thread in stop reply {reply:?}"))
        .to_string()
}

/// Asserts that no stop reply is waiting. Called right after
/// `assert_frozen`, whose witness window (100 ms or more) is when a wrong
/// reply would have been sent; the short read only collects it.
#[track_caller]
fn assert_no_reply(client: &mut RspClient, what: &str) {
    match client.read_packet(Duration::from_millis(100)) {
        Err(RspError::Timeout) => {}
        other => panic!("{what}: unexpected {other:?}"),
    }
}

#[test]
fn interrupt_during_a_group_stop_then_continue_returns_to_it() {
    let dir = TempDir::new("jc-interrupt");
    let witness = Ticker::start(&dir, "witness");
    let (server, ctl) = launch_ticker(&dir);
    let pid = server.inferior_pid;
    let mut client = server.rsp();
    let first = client.request("?").expect("? reply");
    assert!(first.starts_with("T05"), "{first:?}");
    // SIGCONT (gdb's 19) passes silently, as with `handle SIGCONT nostop
    // noprint pass`.
    assert_eq!(client.request("QPassSignals:13").expect("reply"), "OK");
    client.send_packet("vCont;c").expect("send vCont;c");
    assert_ticks_past(&server, 1, "not running");
    let counter = ready_addr(&server.output(), "counter");

    send_signal(pid, libc::SIGSTOP);
    let stop = client.read_packet(REPLY_TIMEOUT).expect("SIGSTOP report");
    assert!(stop.starts_with("T11"), "{stop:?}");
    // Deliver it: the program enters the group stop.
    client
        .send_packet(&format!("vCont;C11:{};c", stop_thread(&stop)))
        .expect("send vCont;C11");
    let watch = Watch {
        pid,
        counter,
        output: &|| server.output(),
        context: &String::new,
    };
    assert_frozen("group stop", &watch, &witness);
    assert_no_reply(&mut client, "group stop");

    client.send_interrupt().expect("send ^C");
    let stop = client.read_packet(REPLY_TIMEOUT).expect("stop reply to ^C");
    assert!(stop.starts_with('T'), "{stop:?}");
    client.send_packet("vCont;c").expect("send vCont;c");
    assert_frozen("continued after ^C", &watch, &witness);
    assert_no_reply(&mut client, "continued after ^C");

    continue_launched(&server);
    ticker_command(&ctl, b'q');
    let end = client.read_packet(REPLY_TIMEOUT).expect("exit reply");
    assert!(end.starts_with("W00"), "{end:?}");
}

// ---------------------------------------------------------------------------
// 6. An interactive shell's ^Z, fg and bg on a program being debugged
// ---------------------------------------------------------------------------

/// An interactive bash on a pseudo-terminal (its session and controlling
/// terminal), with everything it and its jobs print captured.
struct Shell {
    master: fs::File,
    out: Output,
    bash: Watched,
}

impl Shell {
    fn start() -> Shell {
        let (mut master, mut slave) = (-1, -1);
        // SAFETY: out-pointers to two ints; no name, termios or winsize.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(rc, 0, "openpty: {}", io::Error::last_os_error());
        // SAFETY: both descriptors are fresh and owned from here on.
        let (master, slave) =
            unsafe { (fs::File::from_raw_fd(master), fs::File::from_raw_fd(slave)) };
        // SAFETY: setting FD_CLOEXEC on our own descriptor: bash must not
        // hold the master, or the pty would never report EOF.
        unsafe { libc::fcntl(master.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
        let mut cmd = Command::new("bash");
        cmd.args(["--norc", "--noprofile", "-i"])
            .env("PS1", "jc$ ")
            .env("TERM", "dumb")
            .env("HISTFILE", "/dev/null")
            .env_remove("PROMPT_COMMAND")
            .stdin(slave.try_clone().expect("dup slave"))
            .stdout(slave.try_clone().expect("dup slave"))
            .stderr(slave);
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                // A new session whose controlling terminal is the pty, so
                // that bash does job control and ^Z reaches its jobs.
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn();
        drop(cmd); // our copies of the slave side
        let bash = Watched::new(child.expect("spawn bash"));
        let out = Output::from_reader(master.try_clone().expect("dup master"));
        let shell = Shell { master, out, bash };
        shell.wait("the prompt", |t| t.contains("jc$ "));
        shell
    }

    fn send(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).expect("write to the pty");
    }

    #[track_caller]
    fn wait(&self, what: &str, pred: impl Fn(&str) -> bool) {
        assert!(
            self.out.wait_for(EVENT_TIMEOUT, pred),
            "shell: no {what}:\n{}",
            self.out.text()
        );
    }

    fn tick(&self) -> u64 {
        last_tick(&self.out.text())
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        self.bash.kill(false);
    }
}

/// Kills a process by PID on drop if it is still the one that started at
/// the recorded time (the shell's job is not our child).
struct KillOnDrop {
    pid: i32,
    start: Option<u64>,
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        kill_if_same(self.pid, self.start);
    }
}

#[test]
fn shell_job_control_works_on_a_debugged_program() {
    let dir = TempDir::new("jc-shell");
    let witness = Ticker::start(&dir, "witness");
    let ctl = dir.bare_fifo("t.ctl");
    let mut shell = Shell::start();
    let prog = program("jobctl_ticker");
    shell.send(format!("{} {}\n", prog.display(), ctl.display()).as_bytes());
    shell.wait("ready line", |t| line_field(t, "ready ", "pid").is_some());
    let text = shell.out.text();
    let pid: i32 = line_field(&text, "ready ", "pid")
        .and_then(|p| p.parse().ok())
        .expect("pid in ready line");
    let _job = KillOnDrop {
        pid,
        start: proc_start_time(pid),
    };
    let counter = ready_addr(&text, "counter");

    let server = AttachServer::start(pid);
    let gdb = BackgroundGdb::tcp(
        server.port,
        &prog,
        &[
            "handle SIGTSTP nostop noprint pass",
            "handle SIGCONT nostop noprint pass",
            "continue",
        ],
    );
    let n = shell.tick();
    shell.wait("ticks under gdb", |t| last_tick(t) > n + 2);

    for (round, resume) in [(1, "fg"), (2, "bg")] {
        shell.send(b"\x1a");
        shell.wait("Stopped line", |t| t.matches("Stopped").count() >= round);
        let watch = Watch {
            pid,
            counter,
            output: &|| shell.out.text(),
            context: &|| format!("gdb:\n{}", gdb.text()),
        };
        assert_frozen(&format!("^Z #{round}"), &watch, &witness);
        shell.send(format!("{resume}\n").as_bytes());
        let n = shell.tick();
        shell.wait(&format!("ticks after {resume}"), |t| last_tick(t) > n + 2);
    }

    ticker_command(&ctl, b'q');
    let gdb = gdb.finish();
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) exited normally]"));
    gdb.assert_lacks("received signal");
}

/// A program started from a terminal has the terminal, as without gdb: its
/// process group (its own) is the foreground, so it reads its input and
/// sets the terminal's modes instead of stopping with SIGTTIN or SIGTTOU
/// (gdb.base/interrupt.exp, gdb.base/execution-termios.exp).
#[test]
fn a_program_started_from_a_terminal_reads_it_and_sets_its_modes() {
    let dir = TempDir::new("jc-terminal");
    let result = dir.file("result");
    let mut shell = Shell::start();
    let prog = program("terminal_reader");
    shell.send(
        format!(
            "{} --once 127.0.0.1:0 {} {}\n",
            server_path().display(),
            prog.display(),
            result.display()
        )
        .as_bytes(),
    );
    shell.wait("Listening on port", |t| parse_listening_port(t).is_some());
    let text = shell.out.text();
    let port = parse_listening_port(&text).expect("port");
    let pid: i32 = complete_lines(&text)
        .find_map(|l| l.split_once(" created; pid = "))
        .and_then(|(_, pid)| pid.trim().parse().ok())
        .expect("the program's pid");
    let _program = KillOnDrop {
        pid,
        start: proc_start_time(pid),
    };
    let gdb = BackgroundGdb::tcp(port, &prog, &["continue"]);
    shell.wait("the program's ready line", |t| t.contains("ready"));
    shell.send(b"typed at the terminal\n");
    let gdb = gdb.finish();
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) exited normally]"));
    gdb.assert_lacks("received signal");
    assert_eq!(
        read_result(&result),
        "fg=1 modes=1 line=typed at the terminal\n"
    );
}

// ---------------------------------------------------------------------------
// A fork child gdb holds keeps the same transparency
// ---------------------------------------------------------------------------

#[test]
fn a_held_fork_child_stays_job_stopped_until_sigcont() {
    let dir = TempDir::new("jc-held");
    let witness = Ticker::start(&dir, "witness");
    let ctl = dir.bare_fifo("ctl");
    let ticker = program("jobctl_ticker");
    // attach_parent forks the ticker: gdb keeps the child as inferior 2.
    let server = Server::launch(
        &program("attach_parent"),
        &[
            ticker.to_str().expect("utf-8"),
            ctl.to_str().expect("utf-8"),
        ],
    );
    let gdb = BackgroundGdb::tcp(
        server.port,
        &program("attach_parent"),
        &[
            "set detach-on-fork off",
            "set schedule-multiple on",
            "handle SIGSTOP nostop noprint pass",
            "handle SIGCONT nostop noprint pass",
            "continue",
        ],
    );
    assert_ticks_past(&server, 2, "the held child does not run");
    let text = server.output();
    let child: i32 = line_field(&text, "ready ", "pid")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no ready line:\n{text}"));
    let counter = ready_addr(&text, "counter");
    gdb.wait_for("the child as inferior 2", |t| {
        t.contains(&format!("[New inferior 2 (process {child})]"))
    });

    send_signal(child, libc::SIGSTOP);
    assert!(
        server.wait_output("parent: stopped 19", EVENT_TIMEOUT),
        "the real parent did not see the stop:\n{}",
        server.output()
    );
    let watch = Watch {
        pid: child,
        counter,
        output: &|| server.output(),
        context: &|| gdb.text(),
    };
    assert_frozen("the held child after SIGSTOP", &watch, &witness);

    send_signal(child, libc::SIGCONT);
    assert!(
        server.wait_output("parent: continued", EVENT_TIMEOUT),
        "{}",
        server.output()
    );
    let n = last_tick(&server.output());
    assert_ticks_past(&server, n + 2, "no progress after SIGCONT");

    ticker_command(&ctl, b'q');
    let gdb = gdb.finish();
    gdb.assert_contains(&format!("[Inferior 2 (process {child}) exited normally]"));
    gdb.assert_lacks("received signal");
}
