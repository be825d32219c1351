//! Signals: reporting, delivery on `continue`, suppression with `signal 0`,
//! injection with `signal SIGUSR1` (also into a thread that another one's
//! breakpoint stopped), a fatal SIGSEGV (the server exits with
//! the program), a real-time signal under gdb's own name, exit codes, and
//! the signal a reconnecting gdb is told of again.

mod common;

use common::*;

/// `signals MODE LOG`: the program logs the signals its handlers saw.
fn launch_signals(mode: &str) -> ResultRun {
    ResultRun::launch("sig", "signals", &[mode])
}

fn handler_log(run: &ResultRun) -> String {
    std::fs::read_to_string(&run.result).unwrap_or_default()
}

#[test]
fn sigusr1_is_reported_and_continue_delivers_it() {
    let run = launch_signals("usr1");
    let gdb = run.server.gdb(&["continue", "bt", "continue"]);
    gdb.assert_contains("Program received signal SIGUSR1, User defined signal 1.");
    // The stop is in raise(), called from main.
    gdb.assert_contains(" in main (argc=3, argv=0x");
    let pid = run.server.inferior_pid;
    // One handler run: the exit code counts them.
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) exited with code 01]"));
    assert_eq!(handler_log(&run), "usr1\n");
}

#[test]
fn signal_zero_suppresses_the_reported_signal() {
    let run = launch_signals("usr1");
    let gdb = run.server.gdb(&["continue", "signal 0"]);
    gdb.assert_contains("Program received signal SIGUSR1, User defined signal 1.");
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited normally]",
        run.server.inferior_pid
    ));
    assert_eq!(handler_log(&run), "");
}

#[test]
fn signal_command_injects_a_signal() {
    let run = launch_signals("quiet");
    let gdb = run.server.gdb(&[
        // Past the handler's installation; the program raises nothing.
        &format!("break {}", loc("signals", "SIGNALS_RETURN")),
        "continue",
        &format!("break {}", loc("signals", "USR1_HANDLER")),
        "signal SIGUSR1",
        "bt 2",
        "delete",
        "continue",
    ]);
    gdb.assert_contains("Breakpoint 1, main (");
    // The injected signal runs the handler, under gdb's eyes.
    gdb.assert_contains("Breakpoint 2, on_usr1 (sig=10) at ");
    gdb.assert_contains("<signal handler called>");
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited with code 01]",
        run.server.inferior_pid
    ));
    assert_eq!(handler_log(&run), "usr1\n");
}

#[test]
fn sigsegv_is_reported_then_terminates_the_program_and_the_server() {
    let run = launch_signals("segv");
    let gdb = run
        .server
        .gdb(&["continue", "p $_siginfo.si_signo", "continue"]);
    gdb.assert_contains("Program received signal SIGSEGV, Segmentation fault.");
    gdb.assert_contains(&format!(
        "\n{}\t\t\t*(volatile int *)0 = 1;",
        line_of("signals", "SEGV_HERE")
    ));
    gdb.assert_contains("Program terminated with signal SIGSEGV, Segmentation fault.");
    gdb.assert_contains("The program no longer exists.");
    let status = run.server.wait_exit(EVENT_TIMEOUT);
    assert!(
        status.is_some(),
        "server still running:\n{}",
        run.server.output()
    );
    let out = run.server.output();
    assert!(
        out.contains("Child terminated with signal = 0xb (SIGSEGV)"),
        "{out}"
    );
    assert_eq!(proc_state(run.server.inferior_pid), None);
}

#[test]
fn siginfo_describes_the_fault() {
    let run = launch_signals("segv");
    let gdb = run.server.gdb(&[
        "continue",
        "p $_siginfo.si_signo",
        "p $_siginfo._sifields._sigfault.si_addr",
        "p $_siginfo.si_code",
        "kill",
    ]);
    gdb.assert_contains("Program received signal SIGSEGV, Segmentation fault.");
    assert_eq!(gdb.value(1), "11", "{}", gdb.text);
    assert_eq!(gdb.value(2), "(void *) 0x0", "{}", gdb.text);
    // SEGV_MAPERR: nothing is mapped at address 0.
    assert_eq!(gdb.value(3), "1", "{}", gdb.text);
}

#[test]
fn realtime_signal_is_reported_with_gdbs_name() {
    let run = launch_signals("rt");
    let gdb = run.server.gdb(&["continue", "continue"]);
    // SIGRTMIN+2 is Linux signal 36, which gdb calls SIG36.
    gdb.assert_contains("Program received signal SIG36, Real-time event 36.");
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited with code 01]",
        run.server.inferior_pid
    ));
    assert_eq!(handler_log(&run), "rt\n");
}

#[test]
fn exit_code_three_is_reported() {
    let run = launch_signals("exit3");
    let gdb = run.server.gdb(&["continue"]);
    gdb.assert_contains(&format!(
        "[Inferior 1 (process {}) exited with code 03]",
        run.server.inferior_pid
    ));
    assert!(run.server.wait_exit(EVENT_TIMEOUT).is_some());
    let out = run.server.output();
    assert!(out.contains("Child exited with status 3"), "{out}");
}

/// `signal SIGUSR1` on a thread that stopped only because another thread
/// hit a breakpoint: the kernel drops a signal given with a restart from
/// such a stop (PTRACE_INTERRUPT's), so it must be queued to that very
/// thread, and its delivery stop passed on as gdb asked, not reported.
#[test]
fn signal_command_reaches_a_thread_stopped_by_another_ones_breakpoint() {
    let run = ResultRun::launch("sig-other", "signal_other_thread", &[]);
    let pid = run.server.inferior_pid;
    let gdb = run.server.gdb(&[
        "break worker_ready",
        "continue",
        "break in_handler",
        "thread 1",
        "signal SIGUSR1",
        "delete",
        "continue",
    ]);
    gdb.assert_contains("hit Breakpoint 1, worker_ready () at ");
    // Thread 1 runs the handler and stops in it: the signal was neither
    // lost nor reported back as a new SIGUSR1.
    gdb.assert_contains("Thread 1 \"signal_other_th\" hit Breakpoint 2, in_handler () at ");
    gdb.assert_lacks("received signal SIGUSR1");
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) exited normally]"));
    let result = std::fs::read_to_string(&run.result).unwrap_or_default();
    assert_eq!(result, "main\n", "{}", gdb.text);
}

/// gdb disconnects while the program is stopped with a signal and
/// reconnects: it is told of that signal again (`info program`), as
/// gdbserver keeps its last status, and `continue` delivers it.
#[test]
fn a_reconnecting_gdb_is_told_of_the_signal_and_continue_delivers_it() {
    let run = ResultRun::launch_with(&[], "sig-reconnect", "signals", &["usr1"]);
    let server = &run.server;
    let first = server.gdb(&["continue", "disconnect"]);
    first.assert_contains("Program received signal SIGUSR1, User defined signal 1.");
    assert!(
        server.wait_listening(2, EVENT_TIMEOUT),
        "{}",
        server.output()
    );
    let second = server.gdb(&["info program", "continue"]);
    second.assert_contains("It stopped with signal SIGUSR1, User defined signal 1.");
    let pid = server.inferior_pid;
    // One handler run: the exit code counts them.
    second.assert_contains(&format!("[Inferior 1 (process {pid}) exited with code 01]"));
    assert_eq!(handler_log(&run), "usr1\n");
}

/// A ^C that reaches the server while the program is stopped (gdb sends
/// it as it resumes: breakpoint commands that `continue`, a ^C typed just
/// then) is not lost: the program stops with SIGINT as soon as it runs, as
/// with gdbserver (gdb.base/bp-cmds-continue-ctrl-c.exp).
#[test]
fn an_interrupt_sent_while_the_program_is_stopped_stops_it_once_resumed() {
    let server = Server::launch(&program("spin"), &[]);
    let mut client = server.rsp();
    let first = client.request("?").expect("? reply");
    assert!(first.starts_with("T05"), "{first:?}");
    client.send_interrupt().expect("send ^C");
    client.send_packet("vCont;c").expect("send vCont;c");
    let stop = client
        .read_packet(common::rsp::REPLY_TIMEOUT)
        .expect("a stop after the resume");
    // gdb's SIGINT is 2.
    assert!(stop.starts_with("T02"), "{stop:?}");
    assert_eq!(proc_state(server.inferior_pid), Some('t'));
}
