//! Non-stop mode: gdb resumes and stops threads one by one, and each stop
//! is reported as it happens while the other threads run on.
//!
//! The all-stop invariants of `process` hold per thread here: a thread gdb
//! resumed (`resumed`) reports its next event and is then stopped in gdb's
//! view; a thread gdb believes stopped never runs. Stop-all is not used.

use anyhow::Result;

use super::control::interrupt;
use super::{Process, Report, ResumeAction, RunState, StopEvent};
use crate::ptrace::Tid;

impl Process {
    /// Resume the given threads (stopped in gdb's view) as each action says.
    /// A thread with an event still pending stays stopped: the event is
    /// reported by the next `take_stop_reports`, as gdbserver does.
    pub fn resume_threads(&mut self, mut plan: Vec<(Tid, ResumeAction)>) -> Result<()> {
        self.sort_for_resume(&mut plan);
        for (tid, action) in plan {
            let Some(thread) = self.threads.get_mut(&tid) else {
                continue;
            };
            // A parked thread (running for gdb, stopped here, nothing to
            // report) is resumed like a stopped one.
            let parked = thread.resumed && thread.pending.is_none();
            if thread.state != RunState::Stopped || (thread.resumed && !parked) {
                continue;
            }
            thread.resumed = true;
            thread.stop_requested = None;
            let signal = action.signal();
            if self.pending_is_valid(tid) {
                if let Some(thread) = self.threads.get_mut(&tid) {
                    if signal != 0 {
                        thread.deferred_signal = signal;
                    }
                }
                continue;
            }
            self.resume_thread(tid, action, signal)?;
        }
        if std::mem::take(&mut self.missed_exit) {
            self.drain_all()?;
        }
        Ok(())
    }

    /// gdb wants `tid` stopped (`vCont;t`, `vCtrlC`). Its next stop is
    /// reported; if that stop is only our interrupt, as `event`.
    pub fn request_stop(&mut self, tid: Tid, event: StopEvent) -> Result<()> {
        let Some(thread) = self.threads.get_mut(&tid) else {
            return Ok(());
        };
        if !thread.resumed {
            // Stopped in gdb's view already: nothing new to report.
            return Ok(());
        }
        if thread.state == RunState::Stopped {
            // Stopped for us (an event gdb has not seen yet): report that.
            if thread.pending.is_none() {
                thread.pending = Some(event);
            }
            return Ok(());
        }
        thread.stop_requested = Some(event);
        interrupt(thread)
    }

    /// Every stop gdb must be told of now, each thread's at most once; the
    /// threads reported are stopped in gdb's view from here on. The process
    /// exit, once it happened, is the only report.
    pub fn take_stop_reports(&mut self) -> Result<Vec<Report>> {
        if let Some(exit) = self.exit {
            return Ok(vec![Report::ProcessExit(exit)]);
        }
        let candidates: Vec<Tid> = self
            .threads
            .values()
            .filter(|t| t.resumed && t.state == RunState::Stopped && t.pending.is_some())
            .map(|t| t.tid)
            .collect();
        let mut reports = Vec::new();
        for tid in candidates {
            let valid = self.pending_is_valid(tid);
            let thread = self.thread_mut(tid)?;
            let event = match valid {
                true => thread.pending.take(),
                // A stale breakpoint event was dropped: the stop gdb asked
                // for, if it did, or else the thread runs on.
                false => thread.stop_requested.take(),
            };
            match event {
                Some(event) => {
                    thread.resumed = false;
                    thread.stop_requested = None;
                    self.last_reported = tid;
                    reports.push(Report::Stop { tid, event });
                }
                None => self.resume_internal(tid)?,
            }
        }
        if std::mem::take(&mut self.missed_exit) {
            self.drain_all()?;
        }
        Ok(reports)
    }

    /// The stops gdb's `?` reports in non-stop mode, as gdbserver makes
    /// them: the current thread's (the first stop of a launched program is
    /// a SIGTRAP, an attached one was simply stopped) and any event a
    /// thread gdb resumed still holds. gdb takes every other thread as
    /// running; they stay stopped ("parked") until gdb stops them, which
    /// reports them at once, or resumes them.
    pub fn stopped_threads_for_gdb(&mut self) -> Vec<(Tid, StopEvent)> {
        let current = match self.threads.contains_key(&self.last_reported) {
            true => self.last_reported,
            false => self
                .threads
                .keys()
                .next()
                .copied()
                .unwrap_or(self.pid.leader()),
        };
        let attached = self.attached;
        let tids: Vec<Tid> = self.threads.keys().copied().collect();
        let mut stops = Vec::new();
        for tid in tids {
            let valid = self.pending_is_valid(tid);
            let Some(thread) = self.threads.get_mut(&tid) else {
                continue;
            };
            let event = if tid == current && (!thread.resumed || valid) {
                Some(thread.pending.take().unwrap_or(match attached {
                    true => StopEvent::Stopped,
                    false => StopEvent::Signal {
                        signal: libc::SIGTRAP,
                    },
                }))
            } else if thread.resumed && valid {
                thread.pending.take()
            } else {
                None
            };
            match event {
                Some(event) => {
                    thread.resumed = false;
                    stops.push((tid, event));
                }
                None if thread.state == RunState::Stopped && thread.pending.is_none() => {
                    thread.resumed = true;
                }
                None => {}
            }
        }
        // The current thread first: gdb makes the first stop's thread current.
        stops.sort_by_key(|&(tid, _)| tid != current);
        stops
    }

    /// After a non-stop vAttach gdb considers every thread running until it
    /// stops them with `vCont;t` (they are stopped already: each reports
    /// that it stopped).
    pub fn mark_running_for_gdb(&mut self) {
        self.threads.values_mut().for_each(|t| t.resumed = true);
    }

    /// gdb changed a hardware breakpoint or watchpoint while threads run:
    /// interrupt them so they take the new debug registers now (the
    /// interrupt is internal: each resumes at once with the registers set).
    pub fn refresh_running_debug_registers(&mut self) -> Result<()> {
        self.interrupt_running()
    }
}
