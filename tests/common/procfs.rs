//! What /proc says about a process or thread: its state, parent, group,
//! start time (which, with the PID, names one process), tracer and threads,
//! and the CPU's feature flags; plus [`poll_until`] for states the kernel
//! exposes there without any notification.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

/// Fields of /proc/PID/stat after the command name: index 0 is the state.
pub fn proc_stat_fields(pid: i32) -> Option<Vec<String>> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    Some(after.split_whitespace().map(str::to_string).collect())
}

/// Process state letter (R, S, t, Z, ...) or None if /proc/PID is gone.
pub fn proc_state(pid: i32) -> Option<char> {
    proc_stat_fields(pid)?.first()?.chars().next()
}

/// Process group of PID.
pub fn proc_pgrp(pid: i32) -> Option<i32> {
    proc_stat_fields(pid)?.get(2)?.parse().ok()
}

/// Parent PID.
pub fn proc_ppid(pid: i32) -> Option<i32> {
    proc_stat_fields(pid)?.get(1)?.parse().ok()
}

/// Start time (clock ticks since boot): with the PID it names one process.
pub fn proc_start_time(pid: i32) -> Option<u64> {
    proc_stat_fields(pid)?.get(19)?.parse().ok()
}

/// PIDs of live (non-zombie) processes whose command line mentions `needle`.
pub fn pids_running(needle: &Path) -> Vec<i32> {
    let needle = needle.as_os_str().as_bytes();
    let mut found = Vec::new();
    let Ok(dir) = fs::read_dir("/proc") else {
        return found;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() as i32 {
            continue;
        }
        let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        if cmdline.windows(needle.len()).any(|w| w == needle) && proc_state(pid) != Some('Z') {
            found.push(pid);
        }
    }
    found
}

/// The value of field `name` in /proc/PID/status (`Name:\tvalue`).
pub fn status_field(pid: i32, name: &str) -> Option<String> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(|v| v.trim().to_string())
}

/// The PID tracing PID (0 when none), from /proc/PID/status.
pub fn tracer_pid(pid: i32) -> Option<i32> {
    status_field(pid, "TracerPid")?.parse().ok()
}

/// Thread ids of `pid` from /proc, sorted (empty if it is gone).
pub fn tasks(pid: i32) -> Vec<i32> {
    let mut tids: Vec<i32> = fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    tids.sort_unstable();
    tids
}

/// State letter of thread TID of process PID, or None if it is gone.
pub fn task_state(pid: i32, tid: i32) -> Option<char> {
    let stat = fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
    stat[stat.rfind(')')? + 2..].chars().next()
}

/// The threads of `pid` with their state letters, sorted by thread id.
pub fn task_states(pid: i32) -> Vec<(i32, Option<char>)> {
    tasks(pid)
        .into_iter()
        .map(|tid| (tid, task_state(pid, tid)))
        .collect()
}

/// CPU feature flags from /proc/cpuinfo.
pub fn cpu_has(flag: &str) -> bool {
    static FLAGS: OnceLock<Vec<String>> = OnceLock::new();
    FLAGS
        .get_or_init(|| {
            let info = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
            info.lines()
                .find(|l| l.starts_with("flags"))
                .map(|l| l.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default()
        })
        .iter()
        .any(|f| f == flag)
}

/// Polls `cond` until it holds or `timeout` passes. Only for states the
/// kernel exposes in /proc without any notification (a thread entering a
/// blocking system call): the short pause is a poll interval, never a guess
/// at how long something takes.
pub fn poll_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(2));
    }
}

/// The process is gone and reaped (no zombie), soon: what a server must
/// leave of a program it started once its session ends.
#[track_caller]
pub fn assert_gone(pid: i32, what: &str) {
    assert!(
        poll_until(super::EVENT_TIMEOUT, || proc_state(pid).is_none()),
        "{what}: the program is still there, state {:?}",
        proc_state(pid)
    );
}
