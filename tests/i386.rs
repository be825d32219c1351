//! 32-bit (i386) programs under the x86_64 server: the same test programs
//! built with `gcc -m32`, debugged as with GNU gdbserver. Breakpoints,
//! step/next/finish, the i386 register set (general, x87/SSE/AVX, writes),
//! inferior calls, signals with `$_siginfo` in the 32-bit layout, threads
//! and their handles, hardware watchpoints, `catch syscall` through both
//! system-call gates, exec from 64 to 32 bits and back, fork, attach and job
//! control, and thread-local storage.

mod common;

use common::*;

fn exit_line(server: &Server, code: &str) -> String {
    format!(
        "[Inferior 1 (process {}) exited with code {code}]",
        server.inferior_pid
    )
}

#[test]
fn breakpoints_step_next_and_finish() {
    let run = ResultRun::launch("i386-bp", "basic-m32", &[]);
    let gdb = run.server.gdb(&[
        "break add",
        "continue",
        "bt",
        "finish",
        "next",
        "step",
        "p sizeof(void *)",
        &format!("break {}", loc("basic", "LOOP_BODY")),
        "continue",
        "continue",
        "p i",
        "delete",
        "continue",
    ]);
    gdb.assert_contains("Breakpoint 1, add (a=2, b=3) at ");
    gdb.assert_contains(" in main (argc=2, argv=0x");
    gdb.assert_contains("Value returned is $1 = 5");
    // next reaches the call of five(); step enters it.
    gdb.assert_contains(&format!("{}\t\treturn 5;", line_of("basic", "FIVE_BODY")));
    assert_eq!(gdb.value(2), "4");
    assert_eq!(gdb.count("Breakpoint 2, sum_to (n=10)"), 2, "{}", gdb.text);
    assert_eq!(gdb.value(3), "1");
    gdb.assert_contains(&exit_line_normal(&run.server));
    assert_eq!(read_result(&run.result), BASIC_RESULT);
}

fn exit_line_normal(server: &Server) -> String {
    format!(
        "[Inferior 1 (process {}) exited normally]",
        server.inferior_pid
    )
}

#[test]
fn registers_have_i386_names_sizes_and_values() {
    let run = ResultRun::launch("i386-regs", "basic-m32", &[]);
    let gdb = run.server.gdb(&[
        "break add",
        "continue",
        "info registers",
        "p $eip == $pc",
        "p sizeof($eax)",
        "p/x $cs",
        "p $orig_eax",
        "p $sp == $esp",
        "p $rip",
        "kill",
    ]);
    for name in [
        "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags", "cs", "ss", "ds",
        "es", "fs", "gs",
    ] {
        assert!(
            gdb.text.lines().any(|l| l.starts_with(&format!("{name} "))),
            "no {name} in info registers:\n{}",
            gdb.text
        );
    }
    assert_eq!(gdb.value(1), "1");
    assert_eq!(gdb.value(2), "4");
    // A 32-bit program runs with the compatibility-mode code segment.
    assert_eq!(gdb.value(3), "0x23");
    // Stopped at a breakpoint, not in a syscall.
    assert_eq!(gdb.value(4), "-1");
    assert_eq!(gdb.value(5), "1");
    // No amd64 register leaks into the i386 description.
    assert_eq!(gdb.value(6), "void", "{}", gdb.text);
}

#[test]
fn register_writes_reach_the_program() {
    let run = ResultRun::launch("i386-regw", "basic-m32", &[]);
    let gdb = run.server.gdb(&[
        "break add",
        "continue",
        "set var $xmm1.v4_int32 = {1, 2, 3, 4}",
        "p $xmm1.v4_int32",
        "set var $st0 = 2.5",
        "p $st0",
        "set var $ecx = 0x12345678",
        "p/x $ecx",
        // add(a, b) returns a + b: the result goes out in eax.
        "finish",
        "p $eax",
        "kill",
    ]);
    assert_eq!(gdb.value(1), "{1, 2, 3, 4}", "{}", gdb.text);
    assert_eq!(gdb.value(2), "2.5", "{}", gdb.text);
    assert_eq!(gdb.value(3), "0x12345678", "{}", gdb.text);
    gdb.assert_contains("Value returned is $4 = 5");
    assert_eq!(gdb.value(5), "5");
}

#[test]
fn inferior_calls_run_in_the_program() {
    let run = ResultRun::launch("i386-call", "basic-m32", &[]);
    let gdb = run.server.gdb(&[
        "break add",
        "continue",
        // Without the breakpoint, which the call of add() would hit.
        "delete",
        "p add(40, 2)",
        "p five()",
        "call bump()",
        "p counter",
        "continue",
    ]);
    assert_eq!(gdb.value(1), "42");
    assert_eq!(gdb.value(2), "5");
    assert_eq!(gdb.value(3), "100");
    gdb.assert_contains(&exit_line_normal(&run.server));
    // The call's bump() shows in the program's own result.
    assert_eq!(read_result(&run.result), "r=5 f=5 s=45 counter=210\n");
}

#[test]
fn signals_and_siginfo_in_the_32_bit_layout() {
    let run = ResultRun::launch("i386-sig", "signals-m32", &["usr1"]);
    let gdb = run.server.gdb(&[
        "continue",
        "p $_siginfo.si_signo",
        "p $_siginfo._sifields._kill.si_pid",
        "p sizeof($_siginfo)",
        "continue",
    ]);
    gdb.assert_contains("Program received signal SIGUSR1, User defined signal 1.");
    assert_eq!(gdb.value(1), "10");
    // raise() is tgkill from the program itself: the sender is its pid.
    assert_eq!(gdb.value(2), run.server.inferior_pid.to_string());
    assert_eq!(gdb.value(3), "128");
    gdb.assert_contains(&exit_line(&run.server, "01"));
    assert_eq!(
        std::fs::read_to_string(&run.result).unwrap_or_default(),
        "usr1\n"
    );
}

#[test]
fn a_fault_address_reads_and_writes_through_siginfo() {
    let run = ResultRun::launch("i386-segv", "signals-m32", &["segv123"]);
    let gdb = run.server.gdb(&[
        "continue",
        "p $_siginfo._sifields._sigfault.si_addr",
        "p $_siginfo.si_code",
        "set var $_siginfo._sifields._sigfault.si_addr = (void *) 0x456",
        "p $_siginfo._sifields._sigfault.si_addr",
        "kill",
    ]);
    gdb.assert_contains("Program received signal SIGSEGV, Segmentation fault.");
    assert_eq!(gdb.value(1), "(void *) 0x7b", "{}", gdb.text);
    // SEGV_MAPERR.
    assert_eq!(gdb.value(2), "1");
    assert_eq!(gdb.value(3), "(void *) 0x456", "{}", gdb.text);
}

#[test]
fn threads_are_listed_with_names_and_handles() {
    let server = Server::launch(&program("threads_names-m32"), &[]);
    let gdb = server.gdb(&[
        "break all_named",
        "continue",
        "info threads",
        "thread apply all bt",
        "python print('HANDLE ' + gdb.selected_thread().handle().hex())",
        "set scheduler-locking on",
        "python print('SELF %x' % int(gdb.parse_and_eval('(unsigned long) pthread_self()')))",
        "set scheduler-locking off",
        "delete",
        "continue",
    ]);
    for n in 0..3 {
        gdb.assert_contains(&format!("\"worker-{n}\""));
    }
    assert_eq!(gdb.count(" in park ("), 3, "{}", gdb.text);
    let field = |tag: &str| gdb.field(tag);
    // A 32-bit pthread_t: four bytes, the thread's own pthread_self().
    let handle = rsp::decode_hex(&field("HANDLE ")).expect("hex handle");
    let handle = u32::from_le_bytes(handle.try_into().expect("4 bytes"));
    assert_eq!(format!("{handle:x}"), field("SELF "), "{}", gdb.text);
    gdb.assert_contains(&exit_line_normal(&server));
}

#[test]
fn hardware_watchpoints_fire_in_every_thread() {
    let server = Server::launch(&program("watch-m32"), &[]);
    let gdb = server.gdb(&[
        "break main",
        "continue",
        "watch shared",
        "continue",
        "continue",
        "delete",
        "continue",
    ]);
    gdb.assert_contains("Hardware watchpoint 2: shared");
    gdb.assert_contains("Old value = 0\nNew value = 1");
    gdb.assert_contains("Old value = 1\nNew value = 2");
    gdb.assert_contains(&exit_line(&server, "011"));
}

#[test]
fn catch_syscall_uses_i386_numbers() {
    let server = Server::launch(&program("syscalls-m32"), &["basic"]);
    let gdb = server.gdb(&[
        "catch syscall write",
        "continue",
        "p $orig_eax",
        "continue",
        "p $eax",
        "delete",
        "continue",
    ]);
    gdb.assert_contains("Catchpoint 1 (call to syscall write)");
    gdb.assert_contains("Catchpoint 1 (returned from syscall write)");
    // write is syscall 4 on i386 (1 on amd64).
    assert_eq!(gdb.value(1), "4", "{}", gdb.text);
    assert_eq!(gdb.value(2), "3", "{}", gdb.text);
    gdb.assert_contains(&exit_line_normal(&server));
}

#[test]
fn catch_syscall_sees_both_the_vdso_and_the_int80_gate() {
    let server = Server::launch(&program("syscalls-m32"), &["int80"]);
    let gdb = server.gdb(&[
        "catch syscall getpid",
        "continue",
        "continue",
        "continue",
        "x/2i $pc - 2",
        "continue",
        "delete",
        "continue",
    ]);
    assert_eq!(
        gdb.count("Catchpoint 1 (call to syscall getpid)"),
        2,
        "{}",
        gdb.text
    );
    assert_eq!(
        gdb.count("Catchpoint 1 (returned from syscall getpid)"),
        2,
        "{}",
        gdb.text
    );
    // The second call stops just past the `int $0x80` of the program.
    gdb.assert_contains("int    $0x80");
    gdb.assert_contains(&exit_line_normal(&server));
}

#[test]
fn exec_from_64_to_32_bits_and_back() {
    let dir = TempDir::new("i386-exec");
    let result = dir.file("result");
    let wide = program("exec_modes");
    let narrow = program("exec_modes-m32");
    let server = Server::launch(
        &wide,
        &[
            narrow.to_str().expect("utf-8"),
            wide.to_str().expect("utf-8"),
            result.to_str().expect("utf-8"),
        ],
    );
    let gdb = server.gdb(&[
        "break reported",
        "continue",
        "p sizeof(void *)",
        "p $pc == $rip",
        "continue",
        "p sizeof(void *)",
        "p $pc == $eip",
        "bt",
        "continue",
        "p sizeof(void *)",
        "p $pc == $rip",
        "continue",
    ]);
    assert_eq!(gdb.count("is executing new program: "), 2, "{}", gdb.text);
    assert_eq!(gdb.value(1), "8", "{}", gdb.text);
    assert_eq!(gdb.value(2), "1");
    assert_eq!(gdb.value(3), "4", "{}", gdb.text);
    assert_eq!(gdb.value(4), "1");
    gdb.assert_contains("reported (pointer_size=4)");
    assert_eq!(gdb.value(5), "8", "{}", gdb.text);
    assert_eq!(gdb.value(6), "1");
    gdb.assert_contains(&exit_line_normal(&server));
    assert_eq!(read_result(&result), "ptr=8\nptr=4\nptr=8\n");
}

#[test]
fn fork_keeps_both_processes_with_their_breakpoints() {
    let dir = TempDir::new("i386-fork");
    let result = dir.file("result");
    let server = Server::launch(
        &program("forker-m32"),
        &[result.to_str().expect("utf-8 path"), "fork"],
    );
    let gdb = server.gdb(&[
        "set detach-on-fork off",
        "set schedule-multiple on",
        "break work",
        "continue",
        "print x",
        "continue",
        "inferior 1",
        "continue",
        "print x",
        "continue",
    ]);
    // The breakpoint set before the fork hits in the child, then in the
    // parent once its child is gone.
    gdb.assert_contains("Thread 2.1 \"forker-m32\" hit Breakpoint 1.2, work (x=21)");
    assert_eq!(gdb.value(1), "21", "{}", gdb.text);
    gdb.assert_contains("exited with code 052]");
    gdb.assert_contains("Thread 1.1 \"forker-m32\" hit Breakpoint 1.1, work (x=1)");
    assert_eq!(gdb.value(2), "1", "{}", gdb.text);
    gdb.assert_contains(&exit_line_normal(&server));
    assert_eq!(read_result(&result), "child=42 parent=2\n");
    server.assert_exits("after both processes exited");
}

#[test]
fn attach_to_a_job_stopped_program_and_leave_it_stopped() {
    let dir = TempDir::new("i386-attach");
    let ticker = Ticker::start_built(&dir, "t", "jobctl_ticker-m32");
    let pid = ticker.pid();
    assert!(ticker.wait_tick_past(1), "{}", ticker.prog.text());
    signal(pid, libc::SIGSTOP);
    assert!(ticker.prog.wait_parent_lines(2), "{}", ticker.prog.text());
    assert_eq!(ticker.prog.parent_log()[1], "parent: stopped 19");
    let server = AttachServer::start(pid);
    let gdb = server.gdb(
        &program("jobctl_ticker-m32"),
        &["p sizeof(counter)", "p counter", "bt", "detach"],
    );
    assert_eq!(gdb.value(1), "4", "{}", gdb.text);
    // What the program's memory holds, 4 bytes read by the test itself.
    let mem = std::fs::File::open(format!("/proc/{pid}/mem")).expect("open mem");
    let mut counter = [0u8; 4];
    std::os::unix::fs::FileExt::read_exact_at(&mem, &mut counter, ticker.counter)
        .expect("read counter");
    let counter = u32::from_le_bytes(counter);
    assert!(counter > 0);
    assert_eq!(gdb.value(2), counter.to_string(), "{}", gdb.text);
    gdb.assert_contains(" in main (");
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) detached]"));
    server.assert_exits("after detach");
    // Still job-stopped, untraced; SIGCONT runs it again, its parent sees it.
    assert_eq!(proc_state(pid), Some('T'), "state after detach");
    assert_eq!(tracer_pid(pid), Some(0));
    signal(pid, libc::SIGCONT);
    assert!(ticker.prog.wait_parent_lines(3), "{}", ticker.prog.text());
    assert_eq!(ticker.prog.parent_log()[2], "parent: continued");
    let n = ticker.tick();
    assert!(ticker.wait_tick_past(n + 2), "{}", ticker.prog.text());
}

fn signal(pid: i32, sig: i32) {
    // SAFETY: plain kill(2) of a program this test started and still holds.
    let rc = unsafe { libc::kill(pid, sig) };
    assert_eq!(rc, 0, "kill({pid}, {sig})");
}

#[test]
fn attach_to_a_running_program_breaks_and_releases_it() {
    let dir = TempDir::new("i386-attach-run");
    let ticker = Ticker::start_built(&dir, "t", "jobctl_ticker-m32");
    let pid = ticker.pid();
    let server = AttachServer::start(pid);
    let gdb = server.gdb(
        &program("jobctl_ticker-m32"),
        &["break tick", "continue", "p $eip == $pc", "bt 1", "detach"],
    );
    gdb.assert_contains("Breakpoint 1, tick (");
    assert_eq!(gdb.value(1), "1", "{}", gdb.text);
    gdb.assert_contains(&format!("[Inferior 1 (process {pid}) detached]"));
    server.assert_exits("after detach");
    ticker.assert_runs_untraced("after detach");
}

#[test]
fn thread_local_variables_and_errno() {
    let server = Server::launch(&program("tls-m32"), &[]);
    let gdb = server.gdb(&[
        "break stop_here",
        "continue",
        "print tls_var",
        // The 32-bit libc has no debug information: errno needs its type.
        "print *(int *) &errno",
        "print tls_big[2]",
        "thread 1",
        "print tls_var",
        // The 32-bit libc has no debug information: errno needs its type.
        "print *(int *) &errno",
        "continue",
        "set var tls_var = 5",
        "continue",
    ]);
    gdb.assert_contains("hit Breakpoint 1, stop_here (n=2)");
    assert_eq!(gdb.value(1), "42", "{}", gdb.text);
    assert_eq!(gdb.value(2), "7");
    assert_eq!(gdb.value(3), "70");
    assert_eq!(gdb.value(4), "11");
    assert_eq!(gdb.value(5), "3");
    gdb.assert_contains("exited with code 05]");
    gdb.assert_lacks("Cannot find thread-local");
}
