//! Attaching to a running process with PTRACE_SEIZE: no SIGSTOP is sent, so
//! the program sees no EINTR and its parent no stop notification.
//!
//! Every thread is seized, re-reading /proc/PID/task until a pass finds no new
//! thread (threads can be created meanwhile; those cloned by an already
//! seized thread are auto-attached). Then stop-all (PTRACE_INTERRUPT) brings
//! every thread to a ptrace-stop. A refused attach says why: no such process,
//! already traced (and by whom), or not permitted (ptrace scope, owner).

use std::collections::BTreeSet;

use anyhow::{bail, Result};

use super::{Process, RunState, Thread};
use crate::proc_status::ProcStatus;
use crate::ptrace::{self, Pid, PtraceError, Tid};

/// The threads of `pid` listed in /proc that are not `known` yet, with
/// zombies left out (a zombie leader cannot be seized and never stops).
/// Known threads are skipped before their stat file is read: the listing
/// repeats until it settles, and each pass would re-read every thread.
fn new_live_tasks(pid: Pid, known: impl Fn(Tid) -> bool) -> std::io::Result<Vec<Tid>> {
    let mut tids = Vec::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let Some(tid) = entry?
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
            .map(Tid::new)
        else {
            continue;
        };
        if known(tid) {
            continue;
        }
        let zombie = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat"))
            .ok()
            .and_then(|s| {
                s.rsplit_once(')')
                    .map(|(_, rest)| rest.trim_start().starts_with('Z'))
            })
            .unwrap_or(true);
        if !zombie {
            tids.push(tid);
        }
    }
    Ok(tids)
}

/// A field of /proc/ID/status, for a process or one of its threads (the
/// kernel lists threads under /proc too).
fn status_field(id: impl std::fmt::Display, field: &str) -> Option<String> {
    ProcStatus::of(id)?.field(field).map(str::to_string)
}

fn process_name(pid: Pid) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "?".into())
}

/// Explain an EPERM from PTRACE_SEIZE in the user's terms.
fn why_not_permitted(pid: Pid) -> String {
    if let Some(tracer) = status_field(pid, "TracerPid:").and_then(|t| t.parse::<i32>().ok()) {
        if tracer != 0 {
            return format!(
                "it is already traced by process {tracer} ({})",
                process_name(Pid::new(tracer))
            );
        }
    }
    let mut reasons = Vec::new();
    if let Ok(scope) = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope") {
        let scope = scope.trim();
        if scope != "0" {
            reasons.push(format!(
                "/proc/sys/kernel/yama/ptrace_scope is {scope} (only {} may attach; see ptrace(2))",
                match scope {
                    "1" => "a parent process or CAP_SYS_PTRACE",
                    "2" => "CAP_SYS_PTRACE",
                    _ => "nobody",
                }
            ));
        }
    }
    // SAFETY: getuid has no failure mode.
    let uid = unsafe { libc::getuid() };
    let owner = status_field(pid, "Uid:").and_then(|u| {
        u.split_whitespace()
            .next()
            .and_then(|v| v.parse::<u32>().ok())
    });
    if let Some(owner) = owner {
        if owner != uid && uid != 0 {
            reasons.push(format!(
                "the process belongs to user {owner}, we run as user {uid} without CAP_SYS_PTRACE"
            ));
        }
    }
    if status_field(pid, "State:").is_some_and(|s| s.starts_with('Z')) {
        reasons.push("the process is a zombie".into());
    }
    if reasons.is_empty() {
        "Operation not permitted".into()
    } else {
        format!("Operation not permitted: {}", reasons.join("; "))
    }
}

/// Undo a partial attach: a seized thread must be in a ptrace-stop before
/// PTRACE_DETACH, so interrupt it and wait for that stop first.
fn release(seized: &BTreeSet<Tid>) {
    for &tid in seized {
        if ptrace::interrupt(tid).is_ok() {
            ptrace::wait::reap_one(tid);
        }
        let _ = ptrace::detach(tid, 0);
    }
}

/// Seize every thread of `pid` and stop them all. On failure nothing is left
/// traced.
pub fn attach(pid: Pid) -> Result<Process> {
    if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
        bail!("Cannot attach to process {pid}: No such process");
    }
    // SAFETY: getpid has no failure mode.
    if pid.raw() == unsafe { libc::getpid() } {
        bail!("Cannot attach to process {pid}: that is rgdbserver itself");
    }
    let mut seized: BTreeSet<Tid> = BTreeSet::new();
    let mut failure: Option<String> = None;
    'passes: loop {
        let tasks = match new_live_tasks(pid, |tid| seized.contains(&tid)) {
            Ok(t) => t,
            Err(_) if seized.is_empty() => bail!("Cannot attach to process {pid}: No such process"),
            Err(_) => break,
        };
        let mut added = false;
        for tid in tasks {
            match ptrace::seize(tid, ptrace::TRACE_OPTIONS) {
                Ok(()) => {
                    // Stop it at once: a running thread could keep creating
                    // threads, and the listing would never settle.
                    let _ = ptrace::interrupt(tid);
                    seized.insert(tid);
                    added = true;
                }
                // It exited between the listing and now.
                Err(PtraceError::Gone) => {}
                // A thread cloned by a seized one is auto-attached already.
                Err(PtraceError::Os {
                    errno: libc::EPERM, ..
                }) if !seized.is_empty() => {
                    // SAFETY: getpid has no failure mode.
                    let me = unsafe { libc::getpid() }.to_string();
                    if status_field(tid, "TracerPid:").as_deref() == Some(me.as_str()) {
                        seized.insert(tid);
                        added = true;
                    }
                }
                Err(PtraceError::Os {
                    errno: libc::EPERM, ..
                }) => {
                    failure = Some(why_not_permitted(pid));
                    break 'passes;
                }
                Err(e) => {
                    failure = Some(e.to_string());
                    break 'passes;
                }
            }
        }
        if !added {
            break;
        }
    }
    if let Some(reason) = failure {
        release(&seized);
        bail!("Cannot attach to process {pid}: {reason}");
    }
    if seized.is_empty() {
        bail!("Cannot attach to process {pid}: No such process");
    }
    let tids: Vec<(Tid, RunState)> = seized.iter().map(|&t| (t, RunState::Running)).collect();
    let mut inferior = Process::from_threads(pid, tids, true)?;
    // Interrupted above, or auto-attached (which stop on their own): one
    // stop each is coming.
    inferior
        .threads
        .values_mut()
        .for_each(|t| t.interrupt_sent = true);
    inferior.stop_all()?;
    seize_late_threads(&mut inferior)?;
    inferior.describe_registers()?;
    inferior.take_pending_signals()?;
    Ok(inferior)
}

/// A thread that was inside clone() when we seized it makes an untraced
/// child (the kernel decides on tracing when the call begins), and that
/// child can appear after the listing settled: it would run on untraced
/// and die of the first breakpoint it meets. Once every thread we hold is
/// stopped no such call is in flight, so list again, until the kernel
/// counts no thread that we do not hold. A listing alone cannot tell:
/// /proc/PID/task is read by position, and an untraced thread that exits
/// during the read makes it skip the thread after it, which is the child
/// it just made.
fn seize_late_threads(inferior: &mut Process) -> Result<()> {
    let deadline = std::time::Instant::now() + LATE_THREADS_PATIENCE;
    loop {
        let Ok(tasks) = new_live_tasks(inferior.pid, |tid| inferior.threads.contains_key(&tid))
        else {
            return Ok(());
        };
        let mut added = false;
        for tid in tasks {
            // Fails for a child we trace already (its clone event is
            // being handled) or one that just exited.
            if ptrace::seize(tid, ptrace::TRACE_OPTIONS).is_ok() {
                log::debug!("attach: late thread {tid}");
                let mut thread = Thread::new(tid, RunState::Running);
                thread.interrupt_sent = ptrace::interrupt(tid).is_ok();
                inferior.threads.insert(tid, thread);
                added = true;
            }
        }
        if added {
            inferior.stop_all()?;
            continue;
        }
        if !untraced_threads_remain(inferior) {
            return Ok(());
        }
        log::debug!("attach: the kernel counts threads we do not hold; listing again");
        if std::time::Instant::now() > deadline {
            log::warn!("attach: the process has threads that could not be found in /proc");
            return Ok(());
        }
    }
}

/// How long the attach keeps looking for untraced threads the kernel
/// counts but /proc did not list. Each look takes microseconds; a thread
/// shows up within a few.
const LATE_THREADS_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

/// Does the kernel count threads in the process that we do not hold?
/// A leader that left early (a zombie we do not hold) still counts.
fn untraced_threads_remain(inferior: &Process) -> bool {
    let Some(count) = status_field(inferior.pid, "Threads:").and_then(|n| n.parse::<usize>().ok())
    else {
        return false;
    };
    let zombie_leader = usize::from(!inferior.threads.contains_key(&inferior.pid.leader()));
    count > inferior.threads.len() + zombie_leader
}

/// A signal mask field of /proc/PID/task/TID/status (hex).
fn sigmask(status: &str, field: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .unwrap_or(0)
}

impl Process {
    /// A signal already queued for the program when we attached is what
    /// gdb should see first (as with gdbserver's attach, where the program
    /// takes it before the SIGSTOP). Our PTRACE_INTERRUPT stop came first,
    /// so let each thread with such a signal run to its signal-delivery stop.
    fn take_pending_signals(&mut self) -> Result<()> {
        let bit = |s: i32| 1u64 << (s - 1);
        // Job-control signals act without being delivered; leave them.
        let ignore = bit(libc::SIGSTOP)
            | bit(libc::SIGTSTP)
            | bit(libc::SIGTTIN)
            | bit(libc::SIGTTOU)
            | bit(libc::SIGCONT)
            | bit(libc::SIGKILL);
        let mut shared_taken = false;
        let tids: Vec<Tid> = self.threads.keys().copied().collect();
        for tid in tids {
            let Ok(status) =
                std::fs::read_to_string(format!("/proc/{}/task/{tid}/status", self.pid))
            else {
                continue;
            };
            let open = !sigmask(&status, "SigBlk:") & !ignore;
            let own = sigmask(&status, "SigPnd:") & open;
            let shared = if shared_taken {
                0
            } else {
                sigmask(&status, "ShdPnd:") & open
            };
            if own | shared == 0 {
                continue;
            }
            shared_taken |= shared != 0;
            // It stops at once, before running any instruction of its own.
            if let Some(event) = self.run_to_next_stop(tid)? {
                self.handle_wait_held(tid, event)?;
            }
            if let Some(thread) = self.threads.get_mut(&tid) {
                // gdb is told about it as the attach stop.
                thread.resumed = thread.pending.is_some();
            }
        }
        Ok(())
    }
}
