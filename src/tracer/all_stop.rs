//! All-stop across processes: stop every thread of every process, collect
//! their statuses, choose the one event gdb is told, and resume what gdb
//! resumes (scheduler locking, and `vCont;c:pPID.-1` resuming one process
//! while the others stay stopped).

use anyhow::Result;

use super::Tracer;
use crate::process::{Report, ResumeAction, ResumeOutcome, StopEvent};
use crate::ptrace::{Pid, Tid};

impl Tracer {
    /// Stop every running thread of every process (PTRACE_INTERRUPT, never
    /// SIGSTOP) and wait until each is stopped or gone.
    pub fn stop_all(&mut self) -> Result<()> {
        // Interrupt everyone first, then collect: the processes stop in
        // parallel, not one after the other.
        for process in self.processes.values_mut().filter(|p| p.is_alive()) {
            process.interrupt_running()?;
        }
        for process in self.processes.values_mut().filter(|p| p.is_alive()) {
            process.stop_all()?;
        }
        self.settle()?;
        // A child adopted meanwhile is stopped already (its first stop).
        Ok(())
    }

    /// All-stop, to report an event to gdb: `stop_all`, then the traps
    /// our interrupts overtook (see process/queued_traps.rs).
    pub fn stop_all_to_report(&mut self) -> Result<()> {
        let running: Vec<(Pid, Vec<Tid>)> = self
            .processes
            .iter()
            .filter(|(_, p)| p.is_alive())
            .map(|(pid, p)| (*pid, p.running_tids()))
            .collect();
        self.stop_all()?;
        for (pid, tids) in running {
            if let Some(process) = self.processes.get_mut(&pid).filter(|p| p.is_alive()) {
                process.take_overtaken_traps(tids)?;
            }
        }
        Ok(())
    }

    /// Collect every ready status (non-stop: the others run on).
    pub fn drain_events(&mut self) -> Result<()> {
        for process in self.processes.values_mut() {
            process.drain_events()?;
        }
        self.settle()
    }

    /// All-stop: collect statuses until one is an event for gdb.
    pub fn drain_events_until_report(&mut self) -> Result<()> {
        for process in self.processes.values_mut() {
            process.drain_events_until_report()?;
            if process.has_report() {
                break;
            }
        }
        self.settle()
    }

    /// May a process still tell gdb something (all-stop)? See
    /// `Process::may_still_report`.
    pub fn may_still_report(&self) -> bool {
        self.processes
            .values()
            .any(|p| p.is_alive() && p.may_still_report())
    }

    pub fn has_report(&mut self) -> bool {
        self.processes.values_mut().any(|p| p.has_report())
    }

    /// The one event to report, with its process: a process exit first
    /// (the earliest), else a thread event, taking the processes in turn
    /// so that none starves. Every thread of every process is then
    /// stopped for gdb.
    pub fn take_report(&mut self) -> Option<(Pid, Report)> {
        let pids = self.rotated_pids();
        let found = self
            .processes
            .values()
            .filter(|p| p.announced)
            .filter_map(|p| Some((p.exit_order, p.pid, p.exit?)))
            .min_by_key(|&(order, _, _)| order)
            .map(|(_, pid, exit)| (pid, Report::ProcessExit(exit)));
        let found = found.or_else(|| {
            pids.iter().find_map(|&pid| {
                let process = self.processes.get_mut(&pid).filter(|p| p.announced)?;
                Some((pid, process.take_report()?))
            })
        });
        if let Some((pid, report)) = &found {
            self.announce_children(report);
            self.last_pid = Some(*pid);
            self.processes
                .values_mut()
                .for_each(|p| p.all_stopped_for_gdb());
        }
        found
    }

    /// Ctrl-C: an event if one is pending, else the interrupt itself in
    /// gdb's current process.
    pub fn interrupt_report(&mut self) -> Option<(Pid, Report)> {
        if let Some(found) = self.take_report() {
            return Some(found);
        }
        let process = self.current_mut()?;
        let pid = process.pid;
        let report = process.interrupt_report()?;
        self.announce_children(&report);
        self.processes
            .values_mut()
            .for_each(|p| p.all_stopped_for_gdb());
        Some((pid, report))
    }

    /// A fork event goes to gdb: its child is gdb's from now on.
    pub fn announce_children(&mut self, report: &Report) {
        if let Report::Stop {
            event: StopEvent::Fork { child } | StopEvent::Vfork { child },
            ..
        } = report
        {
            self.announce(*child);
        }
    }

    /// Fork children of `pid` that gdb does not know of yet: their parent's
    /// fork event is still pending in the server.
    pub fn unannounced_children_of(&self, pid: Pid) -> Vec<Pid> {
        (self.processes.values())
            .filter(|p| !p.announced && p.forked_from == Some(pid))
            .map(|p| p.pid)
            .collect()
    }

    /// gdb knows of the fork child `pid` (it has its parent's fork event).
    pub fn announce(&mut self, pid: Pid) {
        if let Some(child) = self.processes.get_mut(&pid) {
            child.announced = true;
        }
    }

    fn rotated_pids(&mut self) -> Vec<Pid> {
        let mut pids = self.pids();
        if pids.len() > 1 {
            self.rotation = self.rotation.wrapping_add(1);
            let n = pids.len();
            pids.rotate_left((self.rotation % n as u64) as usize);
        }
        pids
    }

    /// Carry out gdb's resume. Threads with an action do it; the others
    /// continue when `others_continue` covers their process (`scope`:
    /// None for every process, or the one `vCont;c:pPID.-1` names), else
    /// stay stopped. Nothing runs while a thread to be resumed still owes
    /// gdb an event.
    pub fn resume(&mut self, others_continue: bool, scope: Option<Pid>) -> Result<ResumeOutcome> {
        let plans: Vec<(Pid, Vec<(Tid, ResumeAction)>)> = self
            .processes
            .values_mut()
            .filter(|p| p.is_alive() && p.announced)
            .map(|p| {
                let wildcard = others_continue && scope.is_none_or(|s| s == p.pid);
                (p.pid, p.plan_resume(wildcard))
            })
            .collect();
        let mut pending = false;
        for (pid, plan) in &plans {
            if let Some(process) = self.processes.get_mut(pid) {
                pending |= process.plan_has_pending(plan);
            }
        }
        if pending {
            return Ok(ResumeOutcome::ReportPending);
        }
        for (pid, plan) in plans {
            if let Some(process) = self.processes.get_mut(&pid) {
                process.carry_out(plan)?;
            }
        }
        self.settle()?;
        Ok(ResumeOutcome::Running)
    }

    /// After a stop-all that found nothing to report: let every thread gdb
    /// resumed go on.
    pub fn resume_again(&mut self) -> Result<()> {
        for process in self.processes.values_mut().filter(|p| p.is_alive()) {
            process.resume_again()?;
        }
        self.settle()
    }

    /// Kill every process (launched or attached: gdb's `kill`), reaping
    /// everything.
    pub fn kill_all(&mut self) -> Result<()> {
        for process in self.processes.values_mut() {
            process.kill()?;
        }
        self.settle()
    }

    /// The end of a session: launched processes (and the fork children we
    /// hold for them) are killed, attached ones let go running.
    pub fn release_all(&mut self) -> Result<()> {
        let any_attached = self.processes.values().any(|p| p.attached && p.is_alive());
        if any_attached {
            self.stop_all()?;
        }
        for process in self.processes.values_mut() {
            if process.attached {
                process.detach()?;
            } else {
                process.kill()?;
            }
        }
        self.processes.clear();
        self.settle()
    }
}
