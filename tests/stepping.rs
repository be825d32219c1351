//! Stepping and inferior calls: stepi/nexti at instruction level, step/next
//! at line level (into, over a call, around a loop's back edge), `print f()`
//! and `call f()` with side effects the program keeps, and inferior calls
//! made while the thread is stopped inside an interrupted blocking system
//! call (waiting for a pipe), or in a signal handler that interrupted read().

mod common;

use common::*;
use std::time::Duration;

/// Addresses of the instructions listed by `x/Ni` (lines `   0xADDR <...>:`
/// or `=> 0xADDR <...>:`).
fn insn_addresses(listing: &str) -> Vec<u64> {
    listing
        .lines()
        .filter_map(|l| {
            let l = l.trim_start_matches("=>").trim_start();
            let addr = l.split_whitespace().next()?;
            addr.strip_prefix("0x")
                .and_then(|h| u64::from_str_radix(h.trim_end_matches(':'), 16).ok())
        })
        .collect()
}

#[test]
fn stepi_executes_exactly_one_instruction() {
    let run = ResultRun::basic("step");
    let gdb = run.server.gdb(&[
        "break main",
        "continue",
        "echo insns-begin\\n",
        "x/3i $pc",
        "echo insns-end\\n",
        "stepi",
        "p/x $pc",
        "stepi",
        "p/x $pc",
    ]);
    let addrs = insn_addresses(&gdb.section("insns"));
    assert_eq!(addrs.len(), 3, "{}", gdb.text);
    assert_eq!(parse_u64(&gdb.value(1)), Some(addrs[1]), "{}", gdb.text);
    assert_eq!(parse_u64(&gdb.value(2)), Some(addrs[2]), "{}", gdb.text);
}

#[test]
fn stepi_enters_a_call_and_nexti_steps_over_it() {
    let run = ResultRun::basic("step");
    let call_add = format!("break {}", loc("basic", "CALL_ADD"));
    // At CALL_ADD: mov $3,%esi; mov $2,%edi; call add.
    let gdb = run.server.gdb(&[
        &call_add,
        "continue",
        "nexti 2",
        "echo call-begin\\n",
        "x/2i $pc",
        "echo call-end\\n",
        "nexti",
        "p/x $pc",
        "p $eax",
        "info symbol $pc",
    ]);
    let call = gdb.section("call");
    assert!(
        call.contains("call   0x") && call.contains("<add>"),
        "{call}"
    );
    let addrs = insn_addresses(&call);
    assert_eq!(parse_u64(&gdb.value(1)), Some(addrs[1]), "{}", gdb.text);
    assert_eq!(gdb.value(2), "5", "{}", gdb.text);
    gdb.assert_contains("main + ");

    let run = ResultRun::basic("step");
    let gdb = run.server.gdb(&[
        &call_add,
        "continue",
        "nexti 2",
        "stepi",
        "p $pc == add",
        "bt 2",
    ]);
    assert_eq!(gdb.value(1), "1", "{}", gdb.text);
    gdb.assert_contains("#0  add (a=");
    gdb.assert_contains("#1  0x");
}

#[test]
fn step_enters_a_function() {
    let run = ResultRun::basic("step");
    let gdb = run.server.gdb(&[
        &format!("break {}", loc("basic", "CALL_ADD")),
        "continue",
        "step",
        "bt 1",
        "continue",
    ]);
    gdb.assert_contains("add (a=2, b=3) at ");
    gdb.assert_contains(&format!(
        "{}\t\treturn a + b;",
        line_of("basic", "ADD_BODY")
    ));
    gdb.assert_contains("#0  add (a=2, b=3) at ");
    gdb.assert_contains("exited normally");
    assert_eq!(read_result(&run.result), BASIC_RESULT);
}

#[test]
fn next_steps_over_calls_and_loops() {
    let run = ResultRun::basic("step");
    let gdb = run.server.gdb(&[
        &format!("break {}", loc("basic", "CALL_ADD")),
        "continue",
        "next",
        "p r",
        "next",
        // The next `next` runs all of sum_to(10), a 10-iteration loop.
        "next",
        "p s",
        "p counter",
        "bt 1",
        "continue",
    ]);
    let five = line_of("basic", "CALL_FIVE");
    let sum = line_of("basic", "CALL_SUM");
    let bump = line_of("basic", "CALL_BUMP");
    gdb.assert_contains(&format!("{five}\t\tint f = five();"));
    gdb.assert_contains(&format!("{sum}\t\tint s = sum_to(10);"));
    gdb.assert_contains(&format!("{bump}\t\tbump();"));
    assert_eq!(gdb.value(1), "5");
    assert_eq!(gdb.value(2), "45");
    assert_eq!(gdb.value(3), "10");
    gdb.assert_contains("#0  main (argc=2, argv=0x");
    gdb.assert_lacks("sum_to (n=10) at ");
    gdb.assert_contains("exited normally");
    assert_eq!(read_result(&run.result), BASIC_RESULT);
}

#[test]
fn next_follows_a_loop_around_its_back_edge() {
    let run = ResultRun::basic("step");
    let body = line_of("basic", "LOOP_BODY");
    let gdb = run.server.gdb(&[
        &format!("break {body}"),
        "continue",
        "delete",
        "p i",
        // s += i; counter++; i++ (loop head); back to the body.
        "next",
        "next",
        "next",
        "p i",
        "p s",
        "continue",
    ]);
    assert_eq!(gdb.value(1), "0");
    assert_eq!(gdb.value(2), "1");
    assert_eq!(gdb.value(3), "0");
    // The body line shows up once at the breakpoint and once after the
    // loop went round.
    assert_eq!(
        gdb.count(&format!("{body}\t\t\ts += i;")),
        2,
        "{}",
        gdb.text
    );
    gdb.assert_contains("exited normally");
    assert_eq!(read_result(&run.result), BASIC_RESULT);
}

#[test]
fn inferior_calls_return_values_and_keep_side_effects() {
    let run = ResultRun::basic("step");
    let gdb = run.server.gdb(&[
        "break main",
        "continue",
        "print add(2, 3)",
        "print add(-40, 2)",
        "print five()",
        "call bump()",
        "p counter",
        "p $pc == main || $pc > main",
        "continue",
    ]);
    assert_eq!(gdb.value(1), "5");
    assert_eq!(gdb.value(2), "-38");
    assert_eq!(gdb.value(3), "5");
    assert_eq!(gdb.value(4), "100");
    assert_eq!(gdb.value(5), "1");
    gdb.assert_contains("exited normally");
    // bump() ran once more than the program itself calls it.
    assert_eq!(read_result(&run.result), "r=5 f=5 s=45 counter=210\n");
}

/// Runs `blocking MODE` under gdb with `cmds`, answering the program's
/// "ready" with one SIGUSR1 from a helper thread. Returns gdb's output, the
/// result file's text, the inferior's PID and how many signals were sent.
fn run_blocking(mode: &str, cmds: &[&str]) -> (GdbOutput, String, i32, usize) {
    let dir = TempDir::new("blocking");
    let mut ready = dir.fifo("ready");
    let result = dir.file("result");
    let server = Server::launch(
        &program("blocking"),
        &[
            mode,
            ready.path().to_str().unwrap(),
            result.to_str().unwrap(),
        ],
    );
    let pid = server.inferior_pid;
    // Answer each "ready" with a SIGUSR1, until the program closes the FIFO
    // (it exits) or the safety net runs out.
    let signaller = std::thread::spawn(move || {
        let mut sent = 0;
        while let Some(line) = ready.read_line(Duration::from_secs(60)) {
            if line == "ready" {
                // SAFETY: kill(2) on the inferior, which is alive: it has
                // just written to the FIFO and still holds it open.
                unsafe { libc::kill(pid, libc::SIGUSR1) };
                sent += 1;
            }
        }
        sent
    });
    let gdb = server.gdb(cmds);
    drop(server);
    let sent = signaller.join().unwrap();
    let text = std::fs::read_to_string(&result).unwrap_or_default();
    (gdb, text, pid, sent)
}

#[test]
fn inferior_call_while_stopped_inside_an_interrupted_system_call() {
    // The signal always interrupts ppoll() (see blocking.c), so the stop is
    // inside the system call: orig_rax is ppoll's number, rax says the
    // kernel would restart it. gdb must write orig_rax = -1 for the call
    // (or the kernel rewinds the PC into the called function), and the
    // call must leave the interrupted system call exactly as it was.
    let (gdb, result, pid, sent) = run_blocking(
        "ppoll",
        &[
            "continue",
            "p $orig_rax",
            "p $rax",
            "p/x $pc",
            "print add(2, 3)",
            "p/x $pc",
            "p $orig_rax",
            "p $rax",
            "print add(40, 2)",
            // gdb re-injects SIGUSR1 here; the calls' return restored the
            // mask that blocks it, so the kernel requeues it, ppoll()
            // restarts and the signal interrupts it again (reported once
            // more); the next continue delivers it.
            "continue",
            "continue",
        ],
    );
    gdb.assert_contains("Program received signal SIGUSR1, User defined signal 1.");
    assert_eq!(gdb.value(1), "271", "orig_rax is not ppoll:\n{}", gdb.text);
    // -ERESTARTNOHAND.
    assert_eq!(gdb.value(2), "-514", "{}", gdb.text);
    assert_eq!(gdb.value(4), "5", "{}", gdb.text);
    assert_eq!(gdb.value(3), gdb.value(5), "{}", gdb.text);
    assert_eq!(gdb.value(6), "271", "{}", gdb.text);
    assert_eq!(gdb.value(7), "-514", "{}", gdb.text);
    assert_eq!(gdb.value(8), "42", "{}", gdb.text);
    assert_eq!(
        gdb.count("Program received signal SIGUSR1"),
        2,
        "{}",
        gdb.text
    );
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) exited normally]"));
    assert_eq!(sent, 1);
    // The signal was delivered after the calls: the handler ran once and
    // ppoll() failed with EINTR.
    assert_eq!(result, "ppoll=-1 eintr=1 handled=1\n", "{}", gdb.text);
}

#[test]
fn inferior_call_in_a_signal_handler_that_interrupted_a_blocking_read() {
    let (gdb, result, pid, sent) = run_blocking(
        "read",
        &[
            "break on_usr1",
            "continue",
            "continue",
            "print add(2, 3)",
            "bt",
            "continue",
        ],
    );
    gdb.assert_contains("Program received signal SIGUSR1, User defined signal 1.");
    gdb.assert_contains("Breakpoint 1, on_usr1 (sig=10) at ");
    assert_eq!(gdb.value(1), "5", "{}", gdb.text);
    gdb.assert_contains("<signal handler called>");
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) exited normally]"));
    assert_eq!(sent, 1);
    // The handler's byte reached the read() the signal had interrupted
    // (or was about to enter): the program still completes correctly.
    assert_eq!(result, "read=1 byte=x handled=1\n", "{}", gdb.text);
}
