//! Classification of wait events: which are internal (handled here, the
//! thread resumes or stays stopped silently) and which are reportable (kept as
//! the thread's pending event until gdb is told).
//!
//! Traps are told apart by their cause (`linux::TrapCause`, from si_code):
//! a breakpoint instruction leaves the PC `PC_AFTER_BREAKPOINT` past it; a
//! SIGTRAP sent with kill or tgkill is a signal, never a breakpoint.

use anyhow::Result;

use super::registers::{trap_cause, TrapCause, PC_AFTER_BREAKPOINT};
use super::{BreakpointType, Process, ProcessExit, ResumeAction, RunState, StopEvent, Thread};
use crate::ptrace::wait::{PtraceEvent, WaitEvent};
use crate::ptrace::{self, Pid, PtraceError, Tid};

impl Process {
    /// Apply one wait status to the thread it belongs to.
    pub fn handle_wait(&mut self, tid: Tid, event: WaitEvent) -> Result<()> {
        log::debug!("wait: {tid} {event:?}");
        match event {
            WaitEvent::Exited { code } => self.thread_gone(tid, ProcessExit::Exited(code)),
            WaitEvent::Killed { signal, .. } => self.thread_gone(tid, ProcessExit::Killed(signal)),
            // Reported under the leader's tid, which may already be gone
            // from our list (it stopped in PTRACE_EVENT_EXIT first).
            WaitEvent::Event(PtraceEvent::Exec) => self.exec_stop(tid),
            _ if !self.threads.contains_key(&tid) => self.first_stop_of_unknown(tid),
            _ => {
                let thread = self.thread_mut(tid)?;
                thread.state = RunState::Stopped;
                thread.in_signal_stop = matches!(event, WaitEvent::SignalStop { .. });
                thread.invalidate_caches();
                let interrupted = std::mem::take(&mut thread.interrupt_sent);
                if let WaitEvent::SignalStop { signal } = event {
                    if thread.queued_signal == Some(signal) {
                        thread.queued_signal = None;
                        return self.deliver_queued_signal(tid, signal);
                    }
                }
                self.handle_stop(tid, event, interrupted)
            }
        }
        .or_else(|e| match e.downcast_ref::<PtraceError>() {
            // The thread died between its stop and our request: its exit
            // status is on its way and will be handled then.
            Some(PtraceError::Gone) => Ok(()),
            _ => Err(e),
        })
    }

    /// A stop from a tid we do not know: a new thread whose first stop came
    /// before its creator's PTRACE_EVENT_CLONE. (A fork child is a process
    /// of its own: the tracer keeps its early stop.)
    fn first_stop_of_unknown(&mut self, tid: Tid) -> Result<()> {
        self.early_stops.insert(tid);
        Ok(())
    }

    fn thread_gone(&mut self, tid: Tid, how: ProcessExit) -> Result<()> {
        // A signal that kills one thread kills them all.
        self.dying |= matches!(how, ProcessExit::Killed(_));
        let known = self.threads.remove(&tid).is_some();
        if known && tid != self.pid.leader() && self.report_thread_exits {
            let code = match how {
                ProcessExit::Exited(code) => code,
                ProcessExit::Killed(_) => 0,
            };
            self.exited_threads.push((tid, code));
        }
        if tid == self.pid.leader() {
            // The leader's status comes last: the whole process is gone.
            self.threads.clear();
            self.set_exit(how);
        } else if known && self.threads.is_empty() && self.exit.is_none() {
            // The last thread is gone and the leader left before it (a
            // hidden zombie): its final status is due now. Wait for it
            // here; its SIGCHLD can merge with the one already taken.
            self.reap_leader()?;
        }
        Ok(())
    }

    /// Block for the leader's final status once it has no threads left.
    ///
    /// The kernel holds that status back until every other thread is
    /// reaped, including threads this table never saw: clones whose events
    /// had not come yet when the process was killed (a SIGKILL while a
    /// thousand threads start), and threads sitting in a stop whose status
    /// was set aside. Waiting on the leader alone would then wait for ever,
    /// so while /proc still lists other threads they are resumed (to die)
    /// and any status is taken: theirs are let finish, other processes'
    /// are deferred.
    fn reap_leader(&mut self) -> Result<()> {
        use crate::ptrace::wait::{self, Waited};
        let leader = self.pid.leader();
        while self.exit.is_none() {
            let others = self.kernel_threads_besides_leader();
            for &tid in &others {
                // One may sit in a stop whose status was taken and set
                // aside (its exit stop, seen by a loop that waited for
                // another thread): it dies only once resumed.
                while wait::take_deferred(tid).is_some() {}
                let _ = crate::ptrace::cont(tid, 0);
            }
            let waited = match wait::take_deferred(leader) {
                Some(event) => Waited::Event(leader, event),
                None if others.is_empty() => wait::block_on(leader)?,
                None => wait::from_kernel(true)?,
            };
            match waited {
                Waited::Event(tid, event) if tid == leader => match event {
                    WaitEvent::Exited { code } => self.set_exit(ProcessExit::Exited(code)),
                    WaitEvent::Killed { signal, .. } => self.set_exit(ProcessExit::Killed(signal)),
                    _ => {}
                },
                Waited::Event(tid, event) if others.contains(&tid) => {
                    if !matches!(event, WaitEvent::Exited { .. } | WaitEvent::Killed { .. }) {
                        // Its exit stop: let it finish dying.
                        let _ = crate::ptrace::cont(tid, 0);
                    }
                }
                Waited::Event(tid, event) => wait::defer(tid, event),
                Waited::NoChildren => self.set_exit(ProcessExit::Killed(libc::SIGKILL)),
                Waited::Nothing => {}
            }
        }
        Ok(())
    }

    /// The process's threads other than the leader, as /proc lists them.
    fn kernel_threads_besides_leader(&self) -> Vec<Tid> {
        let leader = self.pid.leader();
        std::fs::read_dir(format!("/proc/{}/task", self.pid))
            .map(|dir| {
                dir.flatten()
                    .filter_map(|e| e.file_name().to_str()?.parse().ok())
                    .map(Tid::new)
                    .filter(|&tid| tid != leader)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The delivery stop of a signal queued for gdb's resume: deliver it,
    /// as gdb asked, going on as gdb asked. During stop-all it waits for
    /// the thread's next resume.
    fn deliver_queued_signal(&mut self, tid: Tid, signal: i32) -> Result<()> {
        let stopping = self.stopping;
        let thread = self.thread_mut(tid)?;
        if stopping {
            thread.deferred_signal = signal;
            return Ok(());
        }
        let action = thread
            .last_action
            .unwrap_or(ResumeAction::Continue { signal: 0 });
        self.resume_thread(tid, action, signal)
    }

    fn handle_stop(&mut self, tid: Tid, event: WaitEvent, interrupted: bool) -> Result<()> {
        match event {
            WaitEvent::SignalStop { signal } if signal == libc::SIGTRAP => self.classify_trap(tid),
            WaitEvent::SignalStop { signal }
                if self.passes(signal)
                    && !self.threads.get(&tid).is_some_and(|t| t.is_stepping()) =>
            {
                // gdb said `handle SIG nostop noprint pass`: deliver it here,
                // with no round trip to gdb. During stop-all it waits for the
                // thread's next resume. Not while the thread steps: gdb must
                // see the signal then, to step into or over its handler (as
                // gdbserver does).
                if self.stopping {
                    self.thread_mut(tid)?.deferred_signal = signal;
                    Ok(())
                } else {
                    let action = self
                        .thread_mut(tid)?
                        .last_action
                        .unwrap_or(ResumeAction::Continue { signal: 0 });
                    self.resume_thread(tid, action, signal)
                }
            }
            WaitEvent::SignalStop { signal } => {
                let thread = self.thread_mut(tid)?;
                thread.stop_signal = Some(signal);
                thread.pending = Some(StopEvent::Signal { signal });
                Ok(())
            }
            WaitEvent::GroupStop { .. } => {
                // Job control stop: it stays stopped for the program's job
                // control (PTRACE_LISTEN, never PTRACE_CONT) until SIGCONT.
                let thread = self.thread_mut(tid)?;
                thread.group_stop = true;
                if let Some(event) = thread.stop_requested.take() {
                    // gdb asked it to stop (non-stop): it is stopped now.
                    thread.pending = Some(event);
                    return Ok(());
                }
                self.resume_internal(tid)
            }
            WaitEvent::InterruptStop => {
                // For a thread in a group stop, this trap announces that
                // SIGCONT ended the group stop.
                let thread = self.thread_mut(tid)?;
                thread.group_stop = false;
                if let Some(event) = thread.stop_requested.take() {
                    // Non-stop `vCont;t`: a step it was making may have
                    // finished as the interrupt came (queued_traps.rs).
                    // A breakpoint hit found so is the stop gdb gets.
                    self.take_overtaken_traps(vec![tid])?;
                    let thread = self.thread_mut(tid)?;
                    thread.pending.get_or_insert(event);
                    return Ok(());
                }
                self.resume_internal(tid)
            }
            WaitEvent::SyscallStop => self.syscall_stop(tid, interrupted),
            WaitEvent::Event(PtraceEvent::Clone) => {
                let new_tid = Tid::new(ptrace::event_msg(tid)? as i32);
                if self.threads.contains_key(&new_tid) {
                    // Known already (found in /proc while attaching): its
                    // state is tracked; do not reset it.
                    return self.resume_internal(tid);
                }
                // gdb resumed the parent, so it considers the child running too.
                let resumed = self.threads.get(&tid).map(|t| t.resumed).unwrap_or(true);
                // A child in a thread group of its own (clone without
                // CLONE_THREAD) was nobody's when its first stop came.
                let early = self.early_stops.remove(&new_tid)
                    || crate::ptrace::wait::take_early_stop(new_tid);
                let state = if early {
                    RunState::Stopped
                } else {
                    RunState::Running
                };
                let mut thread = Thread::new(new_tid, state);
                thread.resumed = resumed;
                self.threads.insert(new_tid, thread);
                if early {
                    // Its first stop came already; otherwise it follows.
                    self.resume_internal(new_tid)?;
                }
                self.resume_internal(tid)
            }
            WaitEvent::Event(kind @ (PtraceEvent::Fork | PtraceEvent::Vfork)) => {
                // The tracer takes the child from `new_children`: held for
                // gdb as a process of its own when gdb takes fork events,
                // else let go with our breakpoints removed.
                let child = Pid::new(ptrace::event_msg(tid)? as i32);
                let is_vfork = kind == PtraceEvent::Vfork;
                self.new_children.push((child, is_vfork));
                if self.report_forks {
                    if is_vfork {
                        self.vforks_in_flight += 1;
                    }
                    self.thread_mut(tid)?.pending = Some(if is_vfork {
                        StopEvent::Vfork { child }
                    } else {
                        StopEvent::Fork { child }
                    });
                    return Ok(());
                }
                self.resume_internal(tid)
            }
            WaitEvent::Event(PtraceEvent::Exec) => self.exec_stop(tid),
            WaitEvent::Event(PtraceEvent::VforkDone) if self.report_forks => {
                // The vfork child exec'd or exited: gdb puts its breakpoints
                // back into the (no longer shared) memory of the parent.
                self.vforks_in_flight = self.vforks_in_flight.saturating_sub(1);
                self.thread_mut(tid)?.pending = Some(StopEvent::VforkDone);
                Ok(())
            }
            WaitEvent::Event(PtraceEvent::Exit)
                if tid == self.pid.leader() && self.threads.len() > 1 =>
            {
                // The leader leaves (pthread_exit) while others live on: it
                // becomes a zombie that never stops again, so it must not be
                // waited for or listed. Its final status, when the last
                // thread goes, still ends the process (`thread_gone`).
                // Unless a fatal signal took it: then the others follow.
                let status = ptrace::event_msg(tid).unwrap_or(0) as i32;
                self.dying |= libc::WIFSIGNALED(status);
                self.threads.remove(&tid);
                match ptrace::cont(tid, 0) {
                    Ok(()) | Err(PtraceError::Gone) => Ok(()),
                    Err(e) => Err(e.into()),
                }
            }
            WaitEvent::Event(PtraceEvent::Exit) => {
                // A dying thread is never held, not even by a stop-all: a
                // thread that execs waits (de_thread) until every other
                // thread is gone, and the stop-all would wait for the
                // execing thread for ever. Its exit status comes next.
                let thread = self.thread_mut(tid)?;
                thread.state = RunState::Running;
                thread.interrupt_sent = true;
                match ptrace::cont(tid, 0) {
                    Ok(()) | Err(PtraceError::Gone) => Ok(()),
                    Err(e) => Err(e.into()),
                }
            }
            WaitEvent::Event(_) => self.resume_internal(tid),
            WaitEvent::Exited { .. } | WaitEvent::Killed { .. } => Ok(()),
        }
    }

    /// After an internal stop: let the thread go on as it was going, unless a
    /// stop-all is in progress (then it simply counts as stopped).
    pub(super) fn resume_internal(&mut self, tid: Tid) -> Result<()> {
        if self.stopping {
            return Ok(());
        }
        let action = self
            .thread_mut(tid)?
            .last_action
            .unwrap_or(ResumeAction::Continue { signal: 0 });
        self.resume_thread(tid, action, 0)
    }

    /// A syscall entry or exit under PTRACE_SYSCALL (we only use it while
    /// gdb catches syscalls).
    fn syscall_stop(&mut self, tid: Tid, interrupted: bool) -> Result<()> {
        /// -ERESTARTSYS, -ERESTARTNOINTR, -ERESTARTNOHAND, -ERESTART_RESTARTBLOCK
        const RESTART: [i64; 4] = [-512, -513, -514, -516];
        let event = match ptrace::syscall_info(tid)? {
            // Our PTRACE_INTERRUPT cut a blocking call short; the kernel
            // restarts it when the thread resumes. Not an event.
            ptrace::SyscallStopInfo::Exit { value } if interrupted && RESTART.contains(&value) => {
                None
            }
            ptrace::SyscallStopInfo::Entry { number } => Some(StopEvent::SyscallEntry { number }),
            ptrace::SyscallStopInfo::Exit { .. } => {
                let number = self.syscall_number(tid)?;
                Some(StopEvent::SyscallReturn { number })
            }
            ptrace::SyscallStopInfo::Other => None,
        };
        match event {
            Some(event) if self.catches(event) => {
                self.thread_mut(tid)?.pending = Some(event);
                Ok(())
            }
            _ => self.resume_internal(tid),
        }
    }

    /// PTRACE_EVENT_EXEC: rebuild the process view, then the new program's
    /// first stop is an event for gdb.
    fn exec_stop(&mut self, tid: Tid) -> Result<()> {
        self.handle_exec(tid)?;
        let thread = self.thread_mut(self.pid.leader())?;
        thread.stop_signal = None;
        thread.pending = Some(StopEvent::Exec);
        Ok(())
    }

    /// A breakpoint trap whose instruction is no longer in memory.
    pub(super) fn trapped_on_removed_breakpoint(&mut self, pc: u64) -> bool {
        let addr = pc.wrapping_sub(PC_AFTER_BREAKPOINT);
        self.breakpoint_instruction_at(addr, MemoryView::Raw) == Some(false)
    }

    /// Is there a breakpoint instruction of the program's own at `addr` (in
    /// memory as gdb sees it, ours taken out): a permanent breakpoint?
    pub(super) fn program_breakpoint_at(&mut self, addr: u64) -> bool {
        self.breakpoint_instruction_at(addr, MemoryView::Gdb) == Some(true)
    }

    /// Does `addr` hold a breakpoint instruction (None: unreadable)?
    fn breakpoint_instruction_at(&mut self, addr: u64, view: MemoryView) -> Option<bool> {
        let insn = super::registers::BREAKPOINT_INSN;
        let mut bytes = [0u8; 8];
        let bytes = &mut bytes[..insn.len()];
        let read = match view {
            MemoryView::Raw => self.memory.read_raw(addr, bytes),
            MemoryView::Gdb => self.read_memory(addr, bytes),
        };
        match read {
            Ok(n) if n == insn.len() => Some(bytes == insn),
            _ => None,
        }
    }

    /// What raised a SIGTRAP. A thread that was continued (not stepped)
    /// and stopped just past one of our breakpoint instructions executed
    /// it: no other trap leaves the PC there (an instruction that ends
    /// where the breakpoint's begins is the breakpoint itself), so the
    /// siginfo read is spared on the hottest stop. With debug registers
    /// in use the kernel's word is asked, as always for steps.
    fn trap_cause_of(&mut self, tid: Tid, pc: u64) -> Result<TrapCause> {
        let continued = matches!(
            self.thread_mut(tid)?.last_action,
            Some(ResumeAction::Continue { .. })
        );
        if continued
            && self.debug_registers_empty()
            && self.has_breakpoint(pc.wrapping_sub(PC_AFTER_BREAKPOINT))
        {
            return Ok(TrapCause::Breakpoint);
        }
        Ok(trap_cause(ptrace::siginfo(tid)?.si_code))
    }

    fn classify_trap(&mut self, tid: Tid) -> Result<()> {
        let pc = self.pc(tid)?;
        let cause = self.trap_cause_of(tid, pc)?;
        let thread = self.thread_mut(tid)?;
        let stepping = thread.is_stepping();
        let last = thread.last_action;

        if cause == TrapCause::Breakpoint
            && self.has_breakpoint(pc.wrapping_sub(PC_AFTER_BREAKPOINT))
        {
            let bp = pc - PC_AFTER_BREAKPOINT;
            // Rewind now: if this event is later dropped as stale, the thread
            // re-executes the original instruction.
            self.set_pc(tid, bp)?;
            if !self.breakpoint_condition_holds(tid, BreakpointType::Software, bp) {
                // During a stop-all it stays at the breakpoint, not an
                // event: once resumed it hits it again and steps over then.
                return match self.stopping {
                    true => Ok(()),
                    false => self.step_over_false_condition(tid, bp),
                };
            }
            self.thread_mut(tid)?.pending = Some(StopEvent::SwBreakpoint { pc: bp });
            return Ok(());
        }
        if cause == TrapCause::Hardware {
            match self.debug_trap(tid)? {
                Some(StopEvent::HwBreakpoint)
                    if !self.breakpoint_condition_holds(tid, BreakpointType::Hardware, pc) =>
                {
                    // The kernel set the resume flag (RF) for this trap:
                    // resumed, the thread executes the instruction without
                    // trapping again, so no step over is needed.
                    return self.resume_internal(tid);
                }
                Some(event) => self.thread_mut(tid)?.pending = Some(event),
                // A watchpoint gdb removed after it fired (its trap was
                // queued behind our PTRACE_INTERRUPT): nothing to report.
                // A data watchpoint traps after the access, so the thread
                // simply goes on.
                None => {
                    log::debug!("{tid}: trap from a removed hardware watchpoint");
                    return self.resume_internal(tid);
                }
            }
            return Ok(());
        }
        if cause == TrapCause::Step && stepping && !self.debug_registers_empty() {
            if let Some(event) = self.debug_trap(tid)? {
                let event = match event {
                    StopEvent::HwBreakpoint
                        if !self.breakpoint_condition_holds(tid, BreakpointType::Hardware, pc) =>
                    {
                        StopEvent::StepDone
                    }
                    event => event,
                };
                self.thread_mut(tid)?.pending = Some(event);
                return Ok(());
            }
        }
        if cause == TrapCause::Breakpoint && self.trapped_on_removed_breakpoint(pc) {
            // The breakpoint that trapped is gone: it was ours, and gdb removed it
            // after the trap was queued (PTRACE_INTERRUPT's stop is reported
            // before a queued SIGTRAP). Undo the trap and go on as if the
            // thread had never reached it.
            log::debug!(
                "{tid}: trap from a removed breakpoint at {:#x}",
                pc - PC_AFTER_BREAKPOINT
            );
            self.set_pc(tid, pc - PC_AFTER_BREAKPOINT)?;
            return self.resume_internal(tid);
        }
        if cause == TrapCause::Breakpoint
            && !stepping
            && self.program_breakpoint_at(pc.wrapping_sub(PC_AFTER_BREAKPOINT))
        {
            // The program's own breakpoint instruction (a permanent
            // breakpoint: gdb inserts none where one is already): a
            // breakpoint hit at its address, as gdbserver reports it, so
            // that gdb applies its breakpoint there (condition, commands)
            // and steps past the instruction itself.
            let bp = pc.wrapping_sub(PC_AFTER_BREAKPOINT);
            self.set_pc(tid, bp)?;
            self.thread_mut(tid)?.pending = Some(StopEvent::SwBreakpoint { pc: bp });
            return Ok(());
        }
        if stepping && cause != TrapCause::Other {
            if let Some(ResumeAction::RangeStep { start, end }) = last {
                if pc >= start && pc < end && !self.has_breakpoint(pc) && !self.stopping {
                    // Still inside the line gdb is stepping: step again without
                    // a round trip to gdb.
                    return self.resume_thread(tid, ResumeAction::RangeStep { start, end }, 0);
                }
            }
            self.thread_mut(tid)?.pending = Some(StopEvent::StepDone);
            return Ok(());
        }
        let thread = self.thread_mut(tid)?;
        thread.stop_signal = Some(libc::SIGTRAP);
        thread.pending = Some(StopEvent::Signal {
            signal: libc::SIGTRAP,
        });
        Ok(())
    }

    /// After exec the execing thread owns the leader's tid, the other threads
    /// are gone without a report, and the address space is new.
    /// The event is reported under the leader's tid; PTRACE_GETEVENTMSG
    /// names the thread that really called exec, whose state (resumed by
    /// gdb, its last action) the new leader inherits.
    fn handle_exec(&mut self, tid: Tid) -> Result<()> {
        let pid = self.pid.leader();
        let former = ptrace::event_msg(tid)
            .map(|t| Tid::new(t as i32))
            .unwrap_or(tid);
        let mut leader = self
            .threads
            .remove(&former)
            .or_else(|| self.threads.remove(&tid))
            .unwrap_or_else(|| Thread::new(pid, RunState::Stopped));
        leader.tid = pid;
        // Its name file belonged to the old tid; its pthread_t to the old
        // program.
        leader.comm = None;
        leader.handle = None;
        leader.state = RunState::Stopped;
        leader.in_signal_stop = false;
        leader.invalidate_caches();
        self.threads.clear();
        self.threads.insert(pid, leader);
        self.reopen_after_exec()
    }
}

/// Which bytes to look at: memory as it is (our breakpoints in it), or as
/// gdb sees it (their original bytes in their place).
#[derive(Clone, Copy)]
enum MemoryView {
    Raw,
    Gdb,
}
