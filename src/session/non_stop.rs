//! Non-stop mode (`QNonStop:1`): gdb resumes and stops threads one at a
//! time with `vCont` while the others run on, and each stop is told as it
//! happens with a `%Stop` notification. Stops wait in a queue that gdb
//! drains with `vStopped`, one reply per stop, until we answer OK.
//!
//! gdbstub knows nothing of this mode: while it is on, gdbstub stays in
//! its idle state and answers only register, memory and query packets;
//! resuming, stopping and reporting happen here.

use std::collections::VecDeque;

use anyhow::Result;

use super::{thread_stop_text, Session, SessionEnd};
use crate::process::{Report, RunState, StopEvent};
use crate::ptrace::{Pid, Tid};
use crate::rsp::framing::frame_notification;
use crate::rsp::stop_reply;
use crate::rsp::vcont::{self, VContAction};

/// The session's non-stop state.
#[derive(Default)]
pub(super) struct NonStop {
    pub enabled: bool,
    /// Stops gdb has not acknowledged; the first was sent (as a
    /// notification or as the reply to `?` or `vStopped`).
    queue: VecDeque<QueuedStop>,
    /// The last process's exit went out (not `--multi`): nothing more
    /// to report; the session ends when gdb hangs up.
    exit_reported: bool,
}

struct QueuedStop {
    /// The thread whose stop this is (None: the process exit).
    tid: Option<Tid>,
    text: String,
    /// The fork child gdb learns of with this stop. Until gdb takes the
    /// stop out of the queue (`vStopped`) it may not know the child yet:
    /// a wildcard vCont sent meanwhile must leave the child stopped, as
    /// gdbserver does.
    child: Option<Pid>,
}

impl QueuedStop {
    fn new(tid: Option<Tid>, text: String, event: Option<StopEvent>) -> QueuedStop {
        let child = match event {
            Some(StopEvent::Fork { child } | StopEvent::Vfork { child }) => Some(child),
            _ => None,
        };
        QueuedStop { tid, text, child }
    }
}

impl NonStop {
    /// Is a stop of `tid` waiting for gdb? A wildcard resume must not run
    /// a thread that gdb does not know has stopped.
    fn is_queued(&self, tid: Tid) -> bool {
        self.queue.iter().any(|q| q.tid == Some(tid))
    }
}

impl Session<'_> {
    /// `QNonStop:1|0`.
    pub(super) fn set_non_stop(&mut self, on: bool) -> Result<()> {
        if !on && self.non_stop.enabled {
            // Back to all-stop: every thread of every process stopped, as
            // gdb now expects.
            let tracer = &mut self.target.tracer;
            tracer.stop_all()?;
            for process in tracer.processes_mut() {
                process.threads.values_mut().for_each(|t| t.resumed = false);
            }
            self.clear_queue();
        }
        self.non_stop.enabled = on;
        self.send(b"OK");
        Ok(())
    }

    /// `?` in non-stop mode: a stop for every thread that is stopped, in
    /// every process, the first as the reply, the others through
    /// `vStopped`. The selected process comes first: gdb makes the first
    /// stop's thread current.
    pub(super) fn non_stop_status(&mut self) -> Result<()> {
        self.clear_queue();
        let multiprocess = self.stub.multiprocess;
        let exec_events = self.exec_events;
        let mut pids = self.target.tracer.pids();
        let selected = self.target.selected().map(|p| p.pid);
        pids.sort_by_key(|&pid| Some(pid) != selected);
        for pid in pids {
            let Some(process) = self.target.tracer.get_mut(pid).filter(|p| p.announced) else {
                continue;
            };
            if let Some(exit) = process.exit {
                let text = stop_reply::process_exit(pid, exit, multiprocess);
                self.non_stop
                    .queue
                    .push_back(QueuedStop::new(None, text, None));
                continue;
            }
            for (tid, event) in process.stopped_threads_for_gdb() {
                let text = thread_stop_text(process, tid, event, multiprocess, exec_events);
                self.non_stop
                    .queue
                    .push_back(QueuedStop::new(Some(tid), text, Some(event)));
            }
        }
        self.send_queue_head();
        Ok(())
    }

    /// `vStopped`: gdb has the first queued stop; send the next one.
    pub(super) fn vstopped(&mut self) {
        if let Some(acked) = self.non_stop.queue.pop_front() {
            self.announce(acked.child);
        }
        self.send_queue_head();
    }

    /// Forget the queued stops (gdb asks for them all again, or leaves
    /// non-stop mode); their fork children are gdb's from now on.
    fn clear_queue(&mut self) {
        for stop in std::mem::take(&mut self.non_stop.queue) {
            self.announce(stop.child);
        }
    }

    fn send_queue_head(&mut self) {
        match self.non_stop.queue.front() {
            Some(head) => {
                let text = self.without_disabled_fields(head.text.clone());
                self.send(text.as_bytes());
            }
            None => self.send(b"OK"),
        }
    }

    /// A stop gdb has to hear of: notified at once if nothing is waiting
    /// for gdb's `vStopped`, else queued behind the waiting ones.
    fn push_stop(&mut self, stop: QueuedStop) {
        let text = self.without_disabled_fields(stop.text);
        if self.non_stop.queue.is_empty() {
            let payload = format!("Stop:{text}");
            log::debug!(target: "remote", "putnotif (\"{payload}\")");
            frame_notification(payload.as_bytes(), &mut self.out);
        }
        self.non_stop.queue.push_back(QueuedStop { text, ..stop });
    }

    /// gdb has a fork event: its child is gdb's to resume from now on.
    fn announce(&mut self, child: Option<Pid>) {
        if let Some(child) = child {
            self.target.tracer.announce(child);
        }
    }

    /// `vCont` in non-stop mode: resume or stop the threads it names, in
    /// whichever process they are; the others keep doing what they do.
    /// Replies OK; stops follow as notifications.
    pub(super) fn non_stop_vcont(&mut self, payload: &[u8]) -> Result<()> {
        let Some(actions) = vcont::parse(payload) else {
            self.send(b"E01");
            return Ok(());
        };
        for pid in self.target.tracer.pids() {
            let Some(process) = self.target.tracer.get_mut(pid).filter(|p| p.announced) else {
                continue;
            };
            let mut plan = Vec::new();
            let mut stops = Vec::new();
            for thread in process.threads.values() {
                let Some(&(action, _)) = actions
                    .iter()
                    .find(|(_, spec)| spec.matches(pid, thread.tid))
                else {
                    continue;
                };
                let resume = match action {
                    VContAction::Stop => {
                        stops.push(thread.tid);
                        continue;
                    }
                    VContAction::Resume(resume) => resume,
                };
                // Stopped in gdb's view, or parked (see
                // `stopped_threads_for_gdb`): nothing to report, not running.
                let startable = thread.state == RunState::Stopped
                    && (!thread.resumed || thread.pending.is_none());
                if startable && !self.non_stop.is_queued(thread.tid) {
                    plan.push((thread.tid, resume));
                }
            }
            if plan.is_empty() && stops.is_empty() {
                continue;
            }
            process.resume_threads(plan)?;
            for tid in stops {
                process.request_stop(tid, StopEvent::Stopped)?;
            }
        }
        self.target.tracer.settle()?;
        self.send(b"OK");
        self.report_non_stop_events()
    }

    /// `vCtrlC` (or a 0x03 byte) in non-stop mode: stop one running thread
    /// with SIGINT, in gdb's selected process if one of its threads runs,
    /// else in the first process that runs; the leader when it runs (the
    /// kernel would pick it for a SIGINT to the process).
    pub(super) fn non_stop_interrupt(&mut self, reply: bool) -> Result<()> {
        let mut pids = self.target.tracer.pids();
        let selected = self.target.selected().map(|p| p.pid);
        pids.sort_by_key(|&pid| Some(pid) != selected);
        for pid in pids {
            let Some(process) = self.target.tracer.get_mut(pid) else {
                continue;
            };
            let running = |tid: &Tid| process.threads.get(tid).is_some_and(|t| t.resumed);
            let target = [process.pid.leader()]
                .into_iter()
                .find(running)
                .or_else(|| process.threads.keys().copied().find(running));
            if let Some(tid) = target {
                process.request_stop(tid, StopEvent::Interrupted)?;
                break;
            }
        }
        if reply {
            self.send(b"OK");
        }
        self.report_non_stop_events()
    }

    /// Should the loop wait for the programs as well as for gdb?
    pub(super) fn non_stop_waits(&self) -> bool {
        self.non_stop.enabled
            && !self.non_stop.exit_reported
            && self.target.tracer.processes().any(|p| {
                p.exit.is_some() || p.threads.values().any(|t| t.state != RunState::Stopped)
            })
    }

    /// Tell gdb of every stop that happened in any process (after waitpid,
    /// or after a resume found events pending).
    pub(super) fn report_non_stop_events(&mut self) -> Result<()> {
        if !self.non_stop.enabled || self.non_stop.exit_reported {
            return Ok(());
        }
        let multiprocess = self.stub.multiprocess;
        let exec_events = self.exec_events;
        let mut stops = Vec::new();
        let mut exits = Vec::new();
        for process in self.target.tracer.processes_mut() {
            if !process.announced {
                continue;
            }
            let pid = process.pid;
            // Threads that left (before the process exit, if it came).
            for (tid, code) in std::mem::take(&mut process.exited_threads) {
                let text = stop_reply::thread_exit(pid, tid, code, multiprocess);
                stops.push(QueuedStop::new(Some(tid), text, None));
            }
            for report in process.take_stop_reports()? {
                match report {
                    Report::Stop { tid, event } => {
                        let text = thread_stop_text(process, tid, event, multiprocess, exec_events);
                        stops.push(QueuedStop::new(Some(tid), text, Some(event)));
                    }
                    Report::ProcessExit(how) => {
                        exits.push((pid, how));
                        let text = stop_reply::process_exit(pid, how, multiprocess);
                        stops.push(QueuedStop::new(None, text, None));
                    }
                }
            }
        }
        // Fork children of the stops above become processes (gdb's once
        // it has the stop, see `QueuedStop::child`).
        self.target.tracer.settle()?;
        for stop in stops {
            self.push_stop(stop);
        }
        for (pid, exit) in exits {
            let last = self.target.tracer.pids() == [pid];
            if self.config.multi || !last {
                self.process_gone(pid, Some(exit));
            } else {
                // gdb closes the connection once it has the last exit.
                self.non_stop.exit_reported = true;
                self.exited = Some(exit);
            }
        }
        Ok(())
    }

    /// How the session ends when gdb hangs up after a non-stop exit report.
    pub(super) fn end_after_close(&self) -> SessionEnd {
        match self.exited {
            Some(exit) => SessionEnd::ProcessExited(exit),
            None => SessionEnd::ConnectionClosed,
        }
    }
}
