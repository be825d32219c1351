//! Two minutes of the soak (`scripts/soak/soak.py`, an hour when run by
//! hand): breakpoint hits, steps and thread churn, with the server's RSS
//! and descriptors sampled every 10 s; both must stay flat.

mod common;

use common::*;
use std::process::Command;
use std::time::Duration;

#[test]
fn two_minutes_of_hits_steps_and_thread_churn_leave_memory_and_descriptors_flat() {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/soak/soak.py");
    let mut cmd = Command::new("python3");
    cmd.arg(&script)
        .arg(server_path())
        .env("SOAK_SECONDS", "120")
        .env("SOAK_INTERVAL", "10");
    let (proc, out) = spawn_captured(cmd).expect("spawn the soak");
    let status = proc.wait_timeout(Duration::from_secs(400));
    if status.is_none() {
        proc.kill(true);
    }
    let text = out.text();
    assert!(
        status.is_some_and(|s| s.success()),
        "soak failed ({status:?}):\n{text}"
    );
    assert!(text.contains(" iterations (breakpoint hit"), "{text}");
}
