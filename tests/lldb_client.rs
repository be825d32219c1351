//! A second client: lldb (`gdb-remote`) and raw clients that resume with the
//! protocol's plain `c`/`s` packets without sending `Hc` first, which gdb
//! never does and lldb always does.

mod common;

use common::*;

/// The stop reply's thread, `pPID.TID` or `TID`, from a `T` packet.
fn stop_thread(reply: &str) -> Option<&str> {
    let start = reply.find("thread:")? + "thread:".len();
    let rest = &reply[start..];
    Some(&rest[..rest.find(';')?])
}

#[test]
fn plain_continue_without_hc_runs_the_program_to_its_exit() {
    let run = ResultRun::basic("plain-c");
    let mut client = run.server.rsp();
    client.request("?").expect("stop reason");
    let reply = client.request("c").expect("stop reply after c");
    assert!(reply.starts_with('W'), "{reply:?}");
    assert_eq!(read_result(&run.result), BASIC_RESULT);
}

#[test]
fn plain_step_without_hc_steps_one_instruction_of_the_current_thread() {
    let server = Server::launch(&program("basic"), &[]);
    let mut client = server.rsp();
    let first = client.request("?").expect("stop reason");
    let reply = client.request("s").expect("stop reply after s");
    assert!(reply.starts_with("T05"), "{reply:?}");
    assert_eq!(stop_thread(&reply), stop_thread(&first), "{reply:?}");
    // A malformed resume gets an error, and the session goes on (GNU
    // gdbserver reads `C;40` as a continue with signal 0 from 0x40).
    if !is_gnu_gdbserver() {
        assert!(client.request("C;40").expect("reply").starts_with('E'));
    }
    let pc = client.request("p10").expect("pc");
    assert_eq!(pc.len(), 16, "{pc:?}");
}

#[test]
fn lldb_debugs_a_program_end_to_end() {
    let run = ResultRun::basic("lldb");
    let server = &run.server;
    let out = run_lldb(
        server.port,
        &server.program,
        &[
            "breakpoint set --name add",
            "continue",
            "bt",
            "register read rip",
            "thread list",
            "p array[1]",
            "breakpoint set --name bump",
            "continue",
            "p counter",
            "next",
            "p counter",
            "step",
            "continue",
        ],
    );
    assert!(!out.timed_out(), "lldb hung:\n{}", out.text);
    out.assert_contains("stop reason = breakpoint 1.1");
    out.assert_contains("basic`add(a=2, b=3)");
    // The backtrace goes through main.
    out.assert_contains("basic`main(");
    out.assert_contains("rip = 0x");
    out.assert_contains(&format!("tid = {}", server.inferior_pid));
    out.assert_contains("(int) $0 = 34");
    out.assert_contains("stop reason = breakpoint 2.1");
    // Before `next` over `counter += 100`, and after it.
    out.assert_contains("(int) $1 = 10");
    out.assert_contains("(int) $2 = 110");
    out.assert_contains("stop reason = step over");
    out.assert_contains("exited with status = 0");
    // Only the first stop, at ld.so's entry, is a SIGTRAP: lldb's own
    // breakpoints are reported as breakpoints (GNU gdbserver leaves lldb with
    // a stray SIGTRAP in `_start`).
    assert_eq!(out.count("stop reason = signal SIGTRAP"), 1, "{}", out.text);
    assert_eq!(read_result(&run.result), BASIC_RESULT);
    server.assert_exits("after lldb's continue to the end");
}

#[test]
fn hc_naming_a_thread_that_is_gone_resumes_everything() {
    let run = ResultRun::basic("stale-hc");
    let mut client = run.server.rsp();
    client.request("?").expect("stop reason");
    // No such thread (any more): the continue is for every thread.
    client.request("Hc7ffffff0").expect("Hc reply");
    let reply = client.request("c").expect("stop reply after c");
    assert!(reply.starts_with('W'), "{reply:?}");
    assert_eq!(read_result(&run.result), BASIC_RESULT);
}
