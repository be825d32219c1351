//! A short run of the live fuzzer (`scripts/fuzz/live_fuzz.py`; 10 million
//! packets when run by hand): mutated gdb packets and random bytes to a
//! server holding a traced program, with `?`, a memory read and the
//! program checked after every thousand.

mod common;

use common::*;
use std::process::Command;
use std::time::Duration;

#[test]
fn fifty_thousand_mutated_packets_leave_the_server_answering_and_the_program_there() {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/fuzz/live_fuzz.py");
    let mut cmd = Command::new("python3");
    cmd.arg(&script)
        .arg("--server")
        .arg(server_path())
        .args(["--packets", "50000", "--seed", "7"]);
    let (proc, out) = spawn_captured(cmd).expect("spawn the fuzzer");
    let status = proc.wait_timeout(Duration::from_secs(300));
    if status.is_none() {
        proc.kill(true);
    }
    let text = out.text();
    assert!(
        status.is_some_and(|s| s.success()),
        "fuzzing failed ({status:?}):\n{text}"
    );
    assert!(text.contains("packets/s; no failure"), "{text}");
}
