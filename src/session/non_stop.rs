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
use crate::ptrace::Tid;
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
    /// The process exit went out: the process has nothing more to report.
    exit_reported: bool,
}

struct QueuedStop {
    /// The thread whose stop this is (None: the process exit).
    tid: Option<Tid>,
    text: String,
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
            // Back to all-stop: every thread stopped, as gdb now expects.
            if let Some(inferior) = self.target.selected_mut() {
                if inferior.is_alive() {
                    inferior.stop_all()?;
                }
                inferior
                    .threads
                    .values_mut()
                    .for_each(|t| t.resumed = false);
            }
            self.non_stop.queue.clear();
        }
        self.non_stop.enabled = on;
        self.send(b"OK");
        Ok(())
    }

    /// `?` in non-stop mode: a stop for every thread that is stopped, the
    /// first as the reply, the others through `vStopped`.
    pub(super) fn non_stop_status(&mut self) -> Result<()> {
        self.non_stop.queue.clear();
        let multiprocess = self.stub.multiprocess;
        let exec_events = self.exec_events;
        if let Some(inferior) = self.target.selected_mut() {
            if let Some(exit) = inferior.exit {
                let text = stop_reply::process_exit(inferior.pid, exit, multiprocess);
                self.non_stop
                    .queue
                    .push_back(QueuedStop { tid: None, text });
            } else {
                for (tid, event) in inferior.stopped_threads_for_gdb() {
                    let text = thread_stop_text(inferior, tid, event, multiprocess, exec_events);
                    self.non_stop.queue.push_back(QueuedStop {
                        tid: Some(tid),
                        text,
                    });
                }
            }
        }
        self.send_queue_head();
        Ok(())
    }

    /// `vStopped`: gdb has the first queued stop; send the next one.
    pub(super) fn vstopped(&mut self) {
        self.non_stop.queue.pop_front();
        self.send_queue_head();
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
    fn push_stop(&mut self, tid: Option<Tid>, text: String) {
        let text = self.without_disabled_fields(text);
        if self.non_stop.queue.is_empty() {
            let payload = format!("Stop:{text}");
            log::debug!(target: "remote", "putnotif (\"{payload}\")");
            frame_notification(payload.as_bytes(), &mut self.out);
        }
        self.non_stop.queue.push_back(QueuedStop { tid, text });
    }

    /// `vCont` in non-stop mode: resume or stop the threads it names; the
    /// others keep doing what they do. Replies OK; stops follow as
    /// notifications.
    pub(super) fn non_stop_vcont(&mut self, payload: &[u8]) -> Result<()> {
        let Some(actions) = vcont::parse(payload) else {
            self.send(b"E01");
            return Ok(());
        };
        let Some(inferior) = self.target.selected_mut() else {
            self.send(b"E01");
            return Ok(());
        };
        let pid = inferior.pid;
        let mut plan = Vec::new();
        let mut stops = Vec::new();
        for thread in inferior.threads.values() {
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
            let startable =
                thread.state == RunState::Stopped && (!thread.resumed || thread.pending.is_none());
            if startable && !self.non_stop.is_queued(thread.tid) {
                plan.push((thread.tid, resume));
            }
        }
        inferior.resume_threads(plan)?;
        for tid in stops {
            inferior.request_stop(tid, StopEvent::Stopped)?;
        }
        self.send(b"OK");
        self.report_non_stop_events()
    }

    /// `vCtrlC` (or a 0x03 byte) in non-stop mode: stop one running thread
    /// with SIGINT, the leader when it runs (the kernel would pick it for
    /// a SIGINT to the process).
    pub(super) fn non_stop_interrupt(&mut self, reply: bool) -> Result<()> {
        if let Some(inferior) = self.target.selected_mut() {
            let running = |tid: &Tid| inferior.threads.get(tid).is_some_and(|t| t.resumed);
            let target = [inferior.pid]
                .into_iter()
                .find(running)
                .or_else(|| inferior.threads.keys().copied().find(running));
            if let Some(tid) = target {
                inferior.request_stop(tid, StopEvent::Interrupted)?;
            }
        }
        if reply {
            self.send(b"OK");
        }
        self.report_non_stop_events()
    }

    /// Should the loop wait for the program as well as for gdb?
    pub(super) fn non_stop_waits(&self) -> bool {
        self.non_stop.enabled
            && !self.non_stop.exit_reported
            && self.target.selected().is_some_and(|i| {
                i.exit.is_some() || i.threads.values().any(|t| t.state != RunState::Stopped)
            })
    }

    /// Tell gdb of every stop that happened (after waitpid, or after a
    /// resume found events pending).
    pub(super) fn report_non_stop_events(&mut self) -> Result<()> {
        if !self.non_stop.enabled || self.non_stop.exit_reported {
            return Ok(());
        }
        let multiprocess = self.stub.multiprocess;
        let exec_events = self.exec_events;
        let Some(inferior) = self.target.selected_mut() else {
            return Ok(());
        };
        let pid = inferior.pid;
        let mut stops = Vec::new();
        // Threads that left (before the process exit, if it came).
        for (tid, code) in std::mem::take(&mut inferior.exited_threads) {
            let text = stop_reply::thread_exit(pid, tid, code, multiprocess);
            stops.push((Some(tid), text));
        }
        let mut exit = None;
        for report in inferior.take_stop_reports()? {
            match report {
                Report::Stop { tid, event } => {
                    let text = thread_stop_text(inferior, tid, event, multiprocess, exec_events);
                    stops.push((Some(tid), text));
                }
                Report::ProcessExit(how) => {
                    exit = Some(how);
                    stops.push((None, stop_reply::process_exit(pid, how, multiprocess)));
                }
            }
        }
        for (tid, text) in stops {
            self.push_stop(tid, text);
        }
        if let Some(exit) = exit {
            self.non_stop.exit_reported = true;
            if self.config.multi {
                self.process_gone(pid, Some(exit));
                self.non_stop.exit_reported = false;
            } else {
                // gdb closes the connection once it has the exit.
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
