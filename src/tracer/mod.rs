//! The tracer: every process we trace, and the one stream of wait statuses
//! they share (waitpid(-1, __WALL) on the one tracing thread).
//!
//! Each status goes to the process whose thread it is (`Process::owns`;
//! a loop waiting for one process defers the others' statuses, see
//! `ptrace::wait::defer`). A fork child is a process of its own: its first
//! stop can come before its parent's fork event, so it is kept until the
//! parent's event makes it known (`adopt_children`). All-stop operations
//! (stop everything, collect, choose one report, resume) span every
//! process.
//!
//! Invariants: a pid names at most one `Process`; after every operation
//! here the deferred queue is empty (the session sleeps in poll() only
//! then, since no SIGCHLD will announce a deferred status).

mod all_stop;

use std::collections::BTreeMap;

use anyhow::Result;

use crate::process::memory::Memory;
use crate::process::{Process, Thread};
use crate::ptrace::wait::{self, PtraceEvent, WaitEvent, Waited};
use crate::ptrace::{self, Pid, PtraceError, Tid};

#[derive(Default)]
pub struct Tracer {
    processes: BTreeMap<Pid, Process>,
    /// The process of the last stop reported to gdb.
    pub last_pid: Option<Pid>,
    /// Where the search for the next report starts (no process starves).
    rotation: u64,
}

impl Tracer {
    pub fn new(process: Option<Process>) -> Tracer {
        let mut tracer = Tracer::default();
        if let Some(process) = process {
            tracer.add(process);
        }
        tracer
    }

    pub fn add(&mut self, process: Process) {
        self.last_pid = Some(process.pid);
        self.processes.insert(process.pid, process);
    }

    pub fn remove(&mut self, pid: Pid) -> Option<Process> {
        if self.last_pid == Some(pid) {
            self.last_pid = None;
        }
        self.processes.remove(&pid)
    }

    pub fn is_empty(&self) -> bool {
        self.processes.is_empty()
    }

    pub fn get(&self, pid: Pid) -> Option<&Process> {
        self.processes.get(&pid)
    }

    pub fn get_mut(&mut self, pid: Pid) -> Option<&mut Process> {
        self.processes.get_mut(&pid)
    }

    pub fn processes(&self) -> impl Iterator<Item = &Process> {
        self.processes.values()
    }

    pub fn processes_mut(&mut self) -> impl Iterator<Item = &mut Process> {
        self.processes.values_mut()
    }

    pub fn pids(&self) -> Vec<Pid> {
        self.processes.keys().copied().collect()
    }

    /// The process gdb works with when a packet names none: the one of the
    /// last report, else the first.
    pub fn current(&self) -> Option<&Process> {
        self.last_pid
            .and_then(|pid| self.processes.get(&pid))
            .or_else(|| self.processes.values().next())
    }

    pub fn current_mut(&mut self) -> Option<&mut Process> {
        let pid = self.current()?.pid;
        self.processes.get_mut(&pid)
    }

    /// The process one of whose threads is `tid` (thread ids are unique
    /// across processes).
    pub fn owner_of(&self, tid: Tid) -> Option<Pid> {
        if self.processes.contains_key(&tid.as_leader_of()) {
            return Some(tid.as_leader_of());
        }
        self.processes
            .values()
            .find(|p| p.has_thread(tid))
            .map(|p| p.pid)
    }

    pub fn owner_mut(&mut self, tid: Tid) -> Option<&mut Process> {
        let pid = self.owner_of(tid)?;
        self.processes.get_mut(&pid)
    }

    pub fn thread_mut(&mut self, tid: Tid) -> Option<&mut Thread> {
        self.owner_mut(tid)?.threads.get_mut(&tid)
    }

    pub fn has_thread(&self, tid: Tid) -> bool {
        self.processes.values().any(|p| p.has_thread(tid))
    }

    /// Fork children the processes announced: held for gdb as processes of
    /// their own when it takes fork events, else let go. Then statuses
    /// nobody took: the early first stop of a fork child, or of a clone
    /// child in a thread group of its own, is kept for its creator's event; anything else (the exit of a thread already
    /// forgotten) is dropped.
    pub fn settle(&mut self) -> Result<()> {
        loop {
            let children: Vec<(Pid, Pid, bool)> = self
                .processes
                .values_mut()
                .flat_map(|p| {
                    let pid = p.pid;
                    std::mem::take(&mut p.new_children)
                        .into_iter()
                        .map(move |(child, vfork)| (pid, child, vfork))
                })
                .collect();
            for (parent, child, is_vfork) in &children {
                self.adopt(*parent, *child, *is_vfork)?;
            }
            let leftover = wait::take_deferred_matching(|_| true);
            let Some((tid, event)) = leftover else {
                if children.is_empty() {
                    wait::forget_deferred_exit_numbers();
                    return Ok(());
                }
                continue;
            };
            match self.processes.values().find(|p| p.owns(tid)).map(|p| p.pid) {
                Some(pid) => {
                    if let Some(process) = self.processes.get_mut(&pid) {
                        process.handle_wait(tid, event)?;
                    }
                }
                // A thread of a process we let go, on its way out: another
                // thread's exit woke it from its stop before it was detached
                // (ESRCH), and now it waits for us at PTRACE_EVENT_EXIT. Let
                // it finish dying, or its process never ends.
                None if event == WaitEvent::Event(PtraceEvent::Exit) => release_exiting(tid),
                // Its creator's event comes later and takes it.
                None if is_stop(event) => wait::note_early_stop(tid),
                None => log::debug!("dropping status of unknown {tid}: {event:?}"),
            }
        }
    }

    /// Wait for the child's first stop (it comes at once: auto-attached
    /// children start in PTRACE_EVENT_STOP), then hold or release it.
    fn adopt(&mut self, parent: Pid, child: Pid, is_vfork: bool) -> Result<()> {
        if !wait::take_early_stop(child.leader()) {
            loop {
                match wait::block_on(child.leader())? {
                    Waited::Event(_, WaitEvent::Exited { .. } | WaitEvent::Killed { .. })
                    | Waited::NoChildren => return Ok(()),
                    Waited::Event(..) => break,
                    Waited::Nothing => {}
                }
            }
        }
        let Some(parent) = self.processes.get(&parent) else {
            return release_child(child, &[], is_vfork);
        };
        if parent.report_forks {
            log::debug!("holding fork child {child} of {}", parent.pid);
            let process = Process::forked(child, parent, is_vfork)?;
            self.processes.insert(child, process);
            Ok(())
        } else {
            release_child(child, &parent.breakpoint_originals(), is_vfork)
        }
    }
}

fn release_exiting(tid: Tid) {
    log::debug!("letting {tid} of a process we let go finish its exit");
    match ptrace::detach(tid, 0) {
        Ok(()) | Err(PtraceError::Gone) => {}
        Err(e) => log::warn!("detaching exiting thread {tid}: {e}"),
    }
}

fn is_stop(event: WaitEvent) -> bool {
    !matches!(event, WaitEvent::Exited { .. } | WaitEvent::Killed { .. })
}

/// gdb does not follow forks: the child leaves with our breakpoints removed
/// from its copy of memory (a vfork child shares the parent's memory, so
/// its breakpoints stay) and runs on its own.
fn release_child(child: Pid, originals: &[(u64, Vec<u8>)], is_vfork: bool) -> Result<()> {
    if !is_vfork {
        match Memory::open(child) {
            Ok(mem) => {
                for (addr, original) in originals {
                    if let Err(e) = mem.write_raw(*addr, original) {
                        log::warn!(
                            "fork child {child}: cannot remove breakpoint at {addr:#x}: {e}"
                        );
                    }
                }
            }
            Err(e) => log::warn!("fork child {child}: {e}"),
        }
    }
    log::debug!("detaching fork child {child}");
    match ptrace::detach(child.leader(), 0) {
        Ok(()) | Err(PtraceError::Gone) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
