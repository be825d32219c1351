//! Stopping and resuming: stop-all with PTRACE_INTERRUPT, resume plans that
//! honour pending events and scheduler locking, choosing what to report, and
//! the ends of a session (kill, detach).

use anyhow::{Context, Result};

use super::memory::Memory;
use super::registers;
use super::{Process, ProcessExit, ResumeAction, RunState, StopEvent};
use crate::linux::HwDebug;
use crate::proc_status::ProcStatus;
use crate::ptrace::wait::{self, WaitEvent, Waited};
use crate::ptrace::{self, Pid, PtraceError, Tid};

/// Send one PTRACE_INTERRUPT to `thread` unless one is on its way.
pub(super) fn interrupt(thread: &mut super::Thread) -> Result<()> {
    if !thread.interrupt_sent {
        match ptrace::interrupt(thread.tid) {
            Ok(()) | Err(PtraceError::Gone) => thread.interrupt_sent = true,
            Err(e) => return Err(e).context("cannot stop the program"),
        }
    }
    Ok(())
}

/// How far a drain of ready wait statuses goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drain {
    /// Every status that is ready.
    All,
    /// Until every thread is stopped (nothing more can be ready then).
    UntilQuiescent,
    /// Until a thread gdb resumed has an event for it, or the process ended.
    UntilReport,
}

/// What the session must tell gdb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    Stop { tid: Tid, event: StopEvent },
    ProcessExit(ProcessExit),
}

/// Whether a resume request actually let threads run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResumeOutcome {
    Running,
    /// A thread to be resumed still owes gdb an event: nothing was resumed.
    ReportPending,
}

impl Process {
    /// Restart one stopped thread as `action` says. ESRCH is not an error: the
    /// thread's exit status will arrive through waitpid.
    pub(super) fn resume_thread(
        &mut self,
        tid: Tid,
        action: ResumeAction,
        signal: i32,
    ) -> Result<()> {
        match self.sync_debug_registers(tid) {
            Ok(()) | Err(PtraceError::Gone) => {}
            Err(e) => log::warn!("debug registers of {tid}: {e}"),
        }
        self.restore_lingering_breakpoints();
        let thread = self.thread_mut(tid)?;
        let deferred = std::mem::take(&mut thread.deferred_signal);
        let signal = if signal != 0 { signal } else { deferred };
        if thread.group_stop && signal == 0 {
            // Job-stopped: PTRACE_CONT would silently undo the stop the
            // program's job control asked for. Listen instead.
            let result = ptrace::listen(tid);
            let thread = self.thread_mut(tid)?;
            thread.last_action = Some(action);
            thread.invalidate_caches();
            thread.state = RunState::Listening;
            return match result {
                Ok(()) | Err(PtraceError::Gone) => Ok(()),
                Err(e) => Err(e).with_context(|| format!("cannot resume thread {tid}")),
            };
        }
        thread.group_stop = false;
        let signal = match signal {
            0 => 0,
            _ if thread.in_signal_stop => signal,
            // A restart would drop it here: queue it, and deliver it at
            // the delivery stop it brings (see `deliver_queued_signal`).
            _ => {
                thread.queued_signal = Some(signal);
                match ptrace::queue_signal(self.pid, tid, signal) {
                    Ok(()) | Err(PtraceError::Gone) => 0,
                    Err(e) => return Err(e).with_context(|| format!("cannot signal thread {tid}")),
                }
            }
        };
        let result = match action {
            // PTRACE_SYSCALL only while gdb catches syscalls: it costs two
            // stops per syscall.
            ResumeAction::Continue { .. } if self.catch_syscalls.is_some() => {
                ptrace::syscall(tid, signal)
            }
            ResumeAction::Continue { .. } => ptrace::cont(tid, signal),
            ResumeAction::Step { .. } | ResumeAction::RangeStep { .. } => ptrace::step(tid, signal),
        };
        let thread = self.thread_mut(tid)?;
        thread.last_action = Some(action);
        thread.stop_signal = None;
        thread.invalidate_caches();
        thread.state = RunState::Running;
        match result {
            Ok(()) => Ok(()),
            Err(PtraceError::Gone) => {
                // Killed from outside while we thought it stopped: its exit
                // may already be waitable with its SIGCHLD consumed (see
                // `drain_events`), so look for it explicitly.
                self.missed_exit = true;
                Ok(())
            }
            Err(e) => Err(e).with_context(|| format!("cannot resume thread {tid}")),
        }
    }

    /// Let one stopped thread run to its very next stop (a queued signal's
    /// delivery stop comes before it runs any instruction of its own) and
    /// return that stop, unhandled; None when the thread is gone.
    pub(super) fn run_to_next_stop(&mut self, tid: Tid) -> Result<Option<WaitEvent>> {
        self.restore_lingering_breakpoints();
        match ptrace::cont(tid, 0) {
            Ok(()) => {}
            Err(PtraceError::Gone) => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot resume thread {tid}")),
        }
        let thread = self.thread_mut(tid)?;
        thread.state = RunState::Running;
        thread.invalidate_caches();
        loop {
            match wait::block_on(tid).context("waitpid")? {
                Waited::Event(_, event) => return Ok(Some(event)),
                Waited::Nothing => {}
                Waited::NoChildren => return Ok(None),
            }
        }
    }

    /// Handle a status as during stop-all: the thread stays stopped.
    pub(super) fn handle_wait_held(&mut self, tid: Tid, event: WaitEvent) -> Result<()> {
        let stopping = std::mem::replace(&mut self.stopping, true);
        let handled = self.handle_wait(tid, event);
        self.stopping = stopping;
        handled
    }

    /// Drop a pending breakpoint event that no longer holds: gdb removed the
    /// breakpoint, or moved the PC (jump, inferior call). The program's own
    /// breakpoint instruction stays.
    pub(super) fn pending_is_valid(&mut self, tid: Tid) -> bool {
        let Some(event) = self.threads.get(&tid).and_then(|t| t.pending) else {
            return false;
        };
        let valid = match event {
            StopEvent::SwBreakpoint { pc } => {
                (self.has_breakpoint(pc) || self.program_breakpoint_at(pc))
                    && self.pc(tid).map(|now| now == pc).unwrap_or(false)
            }
            _ => true,
        };
        if !valid {
            log::debug!("dropping stale pending event of {tid}: {event:?}");
            if let Some(t) = self.threads.get_mut(&tid) {
                t.pending = None;
            }
        }
        valid
    }

    /// The threads gdb's resume starts, with their actions (taken from
    /// `Thread::action`); they count as resumed for gdb from now on.
    pub fn plan_resume(&mut self, others_continue: bool) -> Vec<(Tid, ResumeAction)> {
        let mut plan: Vec<(Tid, ResumeAction)> = self
            .threads
            .values_mut()
            .filter(|t| t.state == RunState::Stopped)
            .filter_map(|t| {
                let action = t
                    .action
                    .take()
                    .or(others_continue.then_some(ResumeAction::Continue { signal: 0 }));
                action.map(|a| (t.tid, a))
            })
            .collect();
        self.sort_for_resume(&mut plan);
        for (tid, _) in &plan {
            if let Some(t) = self.threads.get_mut(tid) {
                t.resumed = true;
            }
        }
        plan
    }

    /// Does a thread of the plan still owe gdb an event? Then nothing may
    /// run; what gdb asked to deliver is kept for when the thread runs.
    pub fn plan_has_pending(&mut self, plan: &[(Tid, ResumeAction)]) -> bool {
        if !plan.iter().any(|&(tid, _)| self.pending_is_valid(tid)) {
            return false;
        }
        for (tid, action) in plan {
            if let Some(t) = self.threads.get_mut(tid) {
                if action.signal() != 0 && t.pending.is_none() {
                    t.deferred_signal = action.signal();
                }
            }
        }
        true
    }

    pub fn carry_out(&mut self, plan: Vec<(Tid, ResumeAction)>) -> Result<()> {
        for (tid, action) in plan {
            self.resume_thread(tid, action, action.signal())?;
        }
        if std::mem::take(&mut self.missed_exit) {
            self.drain_all()?;
        }
        Ok(())
    }

    /// Start with the threads after the one last reported: resuming in
    /// plain tid order would give the lowest tid a head start every time,
    /// and it would win every race to the next breakpoint.
    pub(super) fn sort_for_resume(&self, plan: &mut [(Tid, ResumeAction)]) {
        let last = self.last_reported;
        plan.sort_by_key(|&(tid, _)| (tid <= last, tid));
    }

    /// PTRACE_INTERRUPT every thread that runs and has none on its way.
    /// A thread already gone counts as interrupted: its exit status comes.
    pub(crate) fn interrupt_running(&mut self) -> Result<()> {
        for thread in self.threads.values_mut() {
            if thread.state != RunState::Stopped {
                interrupt(thread)?;
            }
        }
        Ok(())
    }

    /// May it still tell gdb something (all-stop)? Yes while a thread gdb
    /// resumed lives, and while it is dying: a fatal signal was seen; with
    /// no thread left its exit is due; a thread that left its exit stop,
    /// or that the kernel has woken (not in a tracing stop) or marked to
    /// die (SIGKILL pending: a fatal signal or exit_group), has a status
    /// to come.
    pub fn may_still_report(&self) -> bool {
        self.dying
            || self.threads.is_empty()
            || self
                .threads
                .values()
                .any(|t| t.resumed || t.state == RunState::Running)
            || self.threads.keys().any(|&tid| dying(self.pid, tid))
    }

    /// Is there anything to tell gdb right now? Only threads gdb resumed
    /// may report; a stale breakpoint event is dropped here.
    pub fn has_report(&mut self) -> bool {
        if self.exit.is_some() {
            return true;
        }
        let tids: Vec<Tid> = self
            .threads
            .values()
            .filter(|t| t.resumed && t.pending.is_some())
            .map(|t| t.tid)
            .collect();
        tids.into_iter().any(|tid| self.pending_is_valid(tid))
    }

    /// After a stop-all that found nothing to report (stale events only):
    /// let every thread gdb resumed go on as it was going.
    pub fn resume_again(&mut self) -> Result<()> {
        let plan: Vec<(Tid, ResumeAction)> = self
            .threads
            .values()
            .filter(|t| t.resumed && t.state == RunState::Stopped && t.pending.is_none())
            .map(|t| {
                (
                    t.tid,
                    t.last_action
                        .unwrap_or(ResumeAction::Continue { signal: 0 }),
                )
            })
            .collect();
        for (tid, action) in plan {
            self.resume_thread(tid, action, 0)?;
        }
        if std::mem::take(&mut self.missed_exit) {
            self.drain_all()?;
        }
        Ok(())
    }

    /// Stop every running thread with PTRACE_INTERRUPT (never SIGSTOP) and wait
    /// until each is stopped or gone. Events found meanwhile stay pending.
    pub fn stop_all(&mut self) -> Result<()> {
        self.stopping = true;
        let result = self.stop_all_inner();
        self.stopping = false;
        result
    }

    /// Every thread is seen stopped.
    pub(super) fn all_threads_stopped(&self) -> bool {
        self.threads.values().all(|t| t.state == RunState::Stopped)
    }

    /// Threads not seen stopped: the ones a stop-all will interrupt.
    pub fn running_tids(&self) -> Vec<Tid> {
        self.threads
            .values()
            .filter(|t| t.state != RunState::Stopped)
            .map(|t| t.tid)
            .collect()
    }

    /// Linear in the number of threads: with a thousand threads, a sweep
    /// over all of them after each of their statuses cost more than the
    /// ptrace calls. Threads are interrupted in one sweep, and again only
    /// when a clone added one; whether all are stopped is checked from the
    /// first thread not yet seen stopped (the ones before it stay stopped:
    /// during a stop-all nothing resumes a thread). Statuses are taken by
    /// tid where they can be (see `wait::poll_thread`).
    fn stop_all_inner(&mut self) -> Result<()> {
        let mut swept_len = None;
        let mut first_unstopped: Option<Tid> = None;
        loop {
            if swept_len.is_none_or(|len| self.threads.len() > len) {
                self.interrupt_running()?;
                swept_len = Some(self.threads.len());
                first_unstopped = None;
            }
            // An exit shrinks the table: a later clone must still count
            // as new.
            swept_len = swept_len.map(|len| len.min(self.threads.len()));
            if self.exit.is_some() {
                return Ok(());
            }
            let from = first_unstopped.unwrap_or(Tid::new(0));
            first_unstopped = self
                .threads
                .range(from..)
                .find(|(_, t)| t.state != RunState::Stopped)
                .map(|(&tid, _)| tid);
            let Some(awaited) = first_unstopped else {
                return Ok(());
            };
            // Its own status if it is there (cheap), else whichever of
            // ours comes first: a zombie leader reports only once the
            // others are gone, so it must not be waited on alone.
            let waited = match wait::poll_thread(awaited).context("waitpid")? {
                Some(event) => Waited::Event(awaited, event),
                None => self.next_event(true).context("waitpid")?,
            };
            match waited {
                Waited::Event(tid, event) => self.handle_wait(tid, event)?,
                Waited::Nothing => {}
                Waited::NoChildren => {
                    self.threads.clear();
                    if self.exit.is_none() {
                        self.set_exit(ProcessExit::Killed(libc::SIGKILL));
                    }
                    return Ok(());
                }
            }
        }
    }

    /// Collect every status that is ready, without blocking.
    ///
    /// Once every thread is stopped no status can be pending except the exit
    /// of a thread SIGKILLed from outside, so the drain ends there without
    /// the extra empty waitpid (it is on the path of every breakpoint hit).
    /// Such an exit is found when resuming that thread fails with ESRCH.
    pub fn drain_events(&mut self) -> Result<()> {
        self.drain(Drain::UntilQuiescent)
    }

    /// All-stop: collect statuses until one is an event for gdb. The stop-all
    /// that follows collects the rest; draining on while the other threads
    /// run would let a busy program (one that keeps making threads) run on
    /// for as long as it keeps producing statuses.
    pub fn drain_events_until_report(&mut self) -> Result<()> {
        self.drain(Drain::UntilReport)
    }

    pub(super) fn drain_all(&mut self) -> Result<()> {
        self.drain(Drain::All)
    }

    /// The next status of one of our threads: a deferred one first, then
    /// from the kernel. Statuses of other processes' threads (and of fork
    /// children not adopted yet) are deferred for the tracer.
    pub(crate) fn next_event(&self, blocking: bool) -> std::io::Result<Waited> {
        if let Some((tid, event)) = wait::take_deferred_matching(|tid| self.owns(tid)) {
            return Ok(Waited::Event(tid, event));
        }
        loop {
            match wait::from_kernel(blocking)? {
                Waited::Event(tid, event) if !self.owns(tid) => wait::defer(tid, event),
                other => return Ok(other),
            }
        }
    }

    /// All-stop: like `next_event(false)`, but a status of another process
    /// ends this drain (Nothing) once it is deferred. That status may be
    /// gdb's event (a fork child's exit); taking more of ours would let
    /// this process run on meanwhile (pass a signal, leave its exit stop,
    /// even exit), and gdb would find it gone when it switches to it. The
    /// session drains again (`wait::must_drain`) before it sleeps.
    fn next_event_before_others(&self) -> std::io::Result<Waited> {
        if let Some((tid, event)) = wait::take_deferred_matching(|tid| self.owns(tid)) {
            return Ok(Waited::Event(tid, event));
        }
        match wait::from_kernel(false)? {
            Waited::Event(tid, event) if !self.owns(tid) => {
                wait::defer(tid, event);
                // Ours may follow it in the kernel's queue, their SIGCHLD
                // taken: the session drains again before it sleeps.
                wait::note_statuses_left();
                Ok(Waited::Nothing)
            }
            other => Ok(other),
        }
    }

    fn quiescent(&self) -> bool {
        // No thread left but no exit yet: the leader's final status (it
        // left early as a zombie) is still to come.
        !self.threads.is_empty()
            && self.early_stops.is_empty()
            && self.threads.values().all(|t| t.state == RunState::Stopped)
    }

    fn drain(&mut self, until: Drain) -> Result<()> {
        loop {
            let waited = match until {
                Drain::UntilReport => self.next_event_before_others(),
                _ => self.next_event(false),
            };
            match waited.context("waitpid")? {
                Waited::Event(tid, event) => {
                    self.handle_wait(tid, event)?;
                    let done = match until {
                        Drain::All => false,
                        Drain::UntilQuiescent => self.exit.is_none() && self.quiescent(),
                        // A valid event only: after a stale one is dropped
                        // the session sleeps in poll(), and the statuses
                        // still queued here would have no SIGCHLD to wake it.
                        Drain::UntilReport => {
                            self.exit.is_some()
                                || self.quiescent()
                                || (self.threads.get(&tid).is_some_and(|t| t.resumed)
                                    && self.pending_is_valid(tid))
                        }
                    };
                    if done {
                        return Ok(());
                    }
                }
                Waited::Nothing => return Ok(()),
                Waited::NoChildren => {
                    if self.exit.is_none() && !self.threads.is_empty() {
                        self.threads.clear();
                        self.set_exit(ProcessExit::Killed(libc::SIGKILL));
                    }
                    return Ok(());
                }
            }
        }
    }

    /// Choose the one event to report (the stepping thread first, then the
    /// next thread after the last reported one, so no thread starves).
    pub fn take_report(&mut self) -> Option<Report> {
        if let Some(exit) = self.exit {
            return Some(Report::ProcessExit(exit));
        }
        let tids: Vec<Tid> = self
            .threads
            .values()
            .filter(|t| t.resumed)
            .map(|t| t.tid)
            .collect();
        let candidates: Vec<Tid> = tids
            .into_iter()
            .filter(|&t| self.pending_is_valid(t))
            .collect();
        let stepping = candidates.iter().copied().find(|t| {
            self.threads
                .get(t)
                .map(|th| th.is_stepping())
                .unwrap_or(false)
        });
        // Otherwise a random one, as gdbserver does: any fixed order lets
        // one thread's events starve another's when both keep hitting.
        let random = (!candidates.is_empty())
            .then(|| candidates[(self.next_random() % candidates.len() as u64) as usize]);
        let tid = stepping.or(random)?;
        let event = self.threads.get_mut(&tid)?.pending.take()?;
        self.last_reported = tid;
        self.all_stopped_for_gdb();
        Some(Report::Stop { tid, event })
    }

    /// xorshift64: cheap, and good enough to spread choices between threads.
    fn next_random(&mut self) -> u64 {
        let mut x = self.random_state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.random_state = x;
        x
    }

    /// All-stop: once a stop is reported, gdb sees every thread stopped.
    pub(crate) fn all_stopped_for_gdb(&mut self) {
        self.threads.values_mut().for_each(|t| t.resumed = false);
    }

    /// Ctrl-C: everything is stopped already (stop_all); report an event if one
    /// is pending, else the interrupt itself on gdb's current thread.
    pub fn interrupt_report(&mut self) -> Option<Report> {
        if let Some(report) = self.take_report() {
            return Some(report);
        }
        // gdbserver's Ctrl-C is a SIGINT to the process, which the kernel
        // hands to the main thread when it can: report it there too, if gdb
        // resumed it. Under scheduler locking it must be a thread gdb
        // resumed, or gdb's next `continue` would run the wrong one.
        let resumed = |tid: &Tid| self.threads.get(tid).is_some_and(|t| t.resumed);
        let tid = [self.pid.leader(), self.last_reported]
            .into_iter()
            .find(resumed)
            .or_else(|| self.threads.keys().copied().find(resumed))
            .or_else(|| self.threads.keys().next().copied())?;
        self.last_reported = tid;
        self.all_stopped_for_gdb();
        Some(Report::Stop {
            tid,
            event: StopEvent::Interrupted,
        })
    }

    /// Kill with SIGKILL and reap every thread, leaving no zombie.
    pub fn kill(&mut self) -> Result<()> {
        if self.exit.is_some() {
            return Ok(());
        }
        // SAFETY: plain kill(2) on our tracee's pid.
        unsafe { libc::kill(self.pid.raw(), libc::SIGKILL) };
        while self.exit.is_none() {
            match self.next_event(true).context("waitpid after SIGKILL")? {
                Waited::Event(
                    tid,
                    event @ (WaitEvent::Exited { .. } | WaitEvent::Killed { .. }),
                ) => {
                    self.handle_wait(tid, event)?;
                }
                // A dying thread may still stop once (PTRACE_EVENT_EXIT, or
                // a stop that was already queued): let it go on dying.
                Waited::Event(tid, _) => match ptrace::cont(tid, 0) {
                    Ok(()) | Err(PtraceError::Gone) => {}
                    Err(e) => log::debug!("kill: resuming {tid}: {e}"),
                },
                Waited::Nothing => {}
                Waited::NoChildren => self.set_exit(ProcessExit::Killed(libc::SIGKILL)),
            }
        }
        Ok(())
    }

    /// Leave the process running on its own: breakpoints removed, every thread
    /// detached, signals it was about to receive delivered.
    pub fn detach(&mut self) -> Result<()> {
        if self.exit.is_some() {
            return Ok(());
        }
        self.stop_all()?;
        self.memory.remove_all_breakpoints(&mut self.breakpoints);
        self.disarm_debug_registers();
        self.discard_queued_traps()?;
        let mut woken = Vec::new();
        for thread in self.threads.values() {
            let signal = match thread.pending {
                Some(StopEvent::Signal { signal }) => signal,
                _ => thread.stop_signal.unwrap_or(0),
            };
            match ptrace::detach(thread.tid, signal) {
                Ok(()) => {}
                Err(PtraceError::Gone) => woken.push(thread.tid),
                Err(e) => log::warn!("detach {}: {e}", thread.tid),
            }
        }
        self.let_exiting_threads_go(woken);
        self.threads.clear();
        Ok(())
    }

    /// Threads that were not in their stop any more when detached (ESRCH):
    /// a thread already detached exited the whole process, and its SIGKILL
    /// woke them. Each stops once more, at PTRACE_EVENT_EXIT, and the
    /// process cannot end until its tracer lets it go: wait for that stop
    /// and detach, as gdbserver reaps such threads in its detach. A zombie
    /// (a leader gone before its threads) has no stop to come and is left
    /// to the event loop.
    fn let_exiting_threads_go(&mut self, woken: Vec<Tid>) {
        for tid in woken {
            loop {
                let state = ProcStatus::of_thread(self.pid, tid).and_then(|s| s.state());
                if matches!(state, None | Some('Z') | Some('X')) {
                    break;
                }
                match wait::block_on(tid) {
                    Ok(Waited::Event(_, WaitEvent::Exited { .. } | WaitEvent::Killed { .. }))
                    | Ok(Waited::NoChildren)
                    | Ok(Waited::Nothing) => break,
                    Ok(Waited::Event(..)) => match ptrace::detach(tid, 0) {
                        Ok(()) => break,
                        Err(PtraceError::Gone) => continue,
                        Err(e) => {
                            log::warn!("detach {tid} on its way out: {e}");
                            break;
                        }
                    },
                    Err(e) => {
                        log::warn!("waiting for {tid} on its way out: {e}");
                        break;
                    }
                }
            }
        }
    }

    pub(super) fn reopen_after_exec(&mut self) -> Result<()> {
        self.breakpoints.clear();
        self.conditions.clear();
        // The kernel clears debug registers on exec.
        self.debug_registers.clear();
        self.memory = Memory::open(self.pid)?;
        self.r_debug = None;
        self.program_headers = None;
        self.tls_module_ids = Default::default();
        self.desc = registers::describe(self.pid.leader())?;
        Ok(())
    }
}

/// Is this stopped thread on its way out: not in a tracing stop any more,
/// or with SIGKILL pending (/proc; gone counts as dying too)?
fn dying(pid: Pid, tid: Tid) -> bool {
    ProcStatus::of_thread(pid, tid)
        .is_none_or(|status| status.state() != Some('t') || status.pending(libc::SIGKILL))
}
