//! Registers, memory, thread list and resume actions: gdbstub's multi-thread
//! base traits mapped onto [`Process`](crate::process::Process).

use gdbstub::common::{Signal, Tid as GdbTid};
use gdbstub::target::ext::base::multithread::{
    MultiThreadBase, MultiThreadRangeStepping, MultiThreadRangeSteppingOps, MultiThreadResume,
    MultiThreadResumeOps, MultiThreadSchedulerLocking, MultiThreadSchedulerLockingOps,
    MultiThreadSingleStep, MultiThreadSingleStepOps,
};
use gdbstub::target::ext::base::single_register_access::{
    SingleRegisterAccess, SingleRegisterAccessOps,
};
use gdbstub::target::{TargetError, TargetResult};
use rgdbserver_arch::signals::linux_from_gdb;

use super::arch::{RawRegisters, RegNum};
use super::{from_gdb_tid, to_gdb_tid, DebugTarget};
use crate::process::{Process, ResumeAction};

/// EIO-like error code for gdb (`E01`), what gdbserver answers for bad memory.
const E_ACCESS: u8 = 1;

impl DebugTarget {
    /// The live process whose thread `tid` is (memory: the selected one).
    fn live(&mut self, tid: GdbTid) -> TargetResult<&mut Process, Self> {
        self.tracer
            .owner_mut(from_gdb_tid(tid))
            .filter(|i| i.is_alive())
            .ok_or(TargetError::Errno(E_ACCESS))
    }

    fn live_selected(&mut self) -> TargetResult<&mut Process, Self> {
        self.selected_mut()
            .filter(|i| i.is_alive())
            .ok_or(TargetError::Errno(E_ACCESS))
    }

    fn set_action(&mut self, tid: GdbTid, action: ResumeAction) -> Result<(), anyhow::Error> {
        if let Some(thread) = self.tracer.thread_mut(from_gdb_tid(tid)) {
            thread.action = Some(action);
        }
        Ok(())
    }
}

fn linux_signal(signal: Option<Signal>) -> i32 {
    signal.and_then(|s| linux_from_gdb(s.0)).unwrap_or(0)
}

fn nonfatal<T>(result: anyhow::Result<T>) -> TargetResult<T, DebugTarget> {
    result.map_err(|e| {
        log::debug!("request failed: {e:#}");
        TargetError::Errno(E_ACCESS)
    })
}

impl MultiThreadBase for DebugTarget {
    fn read_registers(&mut self, regs: &mut RawRegisters, tid: GdbTid) -> TargetResult<(), Self> {
        let inferior = self.live(tid)?;
        nonfatal(inferior.read_all_registers(from_gdb_tid(tid), &mut regs.bytes))
    }

    fn write_registers(&mut self, regs: &RawRegisters, tid: GdbTid) -> TargetResult<(), Self> {
        let inferior = self.live(tid)?;
        if regs.bytes.len() != inferior.desc.g_packet_len {
            return Err(TargetError::Errno(E_ACCESS));
        }
        nonfatal(inferior.write_all_registers(from_gdb_tid(tid), &regs.bytes))
    }

    fn support_single_register_access(
        &mut self,
    ) -> Option<SingleRegisterAccessOps<'_, GdbTid, Self>> {
        Some(self)
    }

    fn read_addrs(
        &mut self,
        start_addr: u64,
        data: &mut [u8],
        _tid: GdbTid,
    ) -> TargetResult<usize, Self> {
        match self.live_selected()?.read_memory(start_addr, data) {
            Ok(0) | Err(_) => Err(TargetError::Errno(E_ACCESS)),
            Ok(n) => Ok(n),
        }
    }

    fn write_addrs(
        &mut self,
        start_addr: u64,
        data: &[u8],
        _tid: GdbTid,
    ) -> TargetResult<(), Self> {
        self.live_selected()?
            .write_memory(start_addr, data)
            .map_err(|_| TargetError::Errno(E_ACCESS))
    }

    fn list_active_threads(&mut self, register: &mut dyn FnMut(GdbTid)) -> Result<(), Self::Error> {
        for process in self.tracer.processes() {
            process
                .thread_ids()
                .filter_map(to_gdb_tid)
                .for_each(&mut *register);
        }
        Ok(())
    }

    fn is_thread_alive(&mut self, tid: GdbTid) -> Result<bool, Self::Error> {
        Ok(self.tracer.has_thread(from_gdb_tid(tid)))
    }

    fn support_resume(&mut self) -> Option<MultiThreadResumeOps<'_, Self>> {
        Some(self)
    }
}

impl SingleRegisterAccess<GdbTid> for DebugTarget {
    fn read_register(
        &mut self,
        tid: GdbTid,
        reg: RegNum,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        let mut bytes = Vec::new();
        nonfatal(
            self.live(tid)?
                .read_register(from_gdb_tid(tid), reg.0, &mut bytes),
        )?;
        let dst = buf
            .get_mut(..bytes.len())
            .ok_or(TargetError::Errno(E_ACCESS))?;
        dst.copy_from_slice(&bytes);
        Ok(bytes.len())
    }

    fn write_register(&mut self, tid: GdbTid, reg: RegNum, val: &[u8]) -> TargetResult<(), Self> {
        nonfatal(
            self.live(tid)?
                .write_register(from_gdb_tid(tid), reg.0, val),
        )
    }
}

impl MultiThreadResume for DebugTarget {
    fn resume(&mut self) -> Result<(), Self::Error> {
        let others_continue = self.others_continue;
        let scope = self.continue_scope.take();
        let outcome = self.tracer.resume(others_continue, scope)?;
        self.resumed = outcome == crate::process::ResumeOutcome::Running;
        Ok(())
    }

    fn clear_resume_actions(&mut self) -> Result<(), Self::Error> {
        self.others_continue = true;
        for process in self.tracer.processes_mut() {
            process.threads.values_mut().for_each(|t| t.action = None);
        }
        Ok(())
    }

    fn set_resume_action_continue(
        &mut self,
        tid: GdbTid,
        signal: Option<Signal>,
    ) -> Result<(), Self::Error> {
        self.set_action(
            tid,
            ResumeAction::Continue {
                signal: linux_signal(signal),
            },
        )
    }

    fn support_single_step(&mut self) -> Option<MultiThreadSingleStepOps<'_, Self>> {
        Some(self)
    }

    fn support_range_step(&mut self) -> Option<MultiThreadRangeSteppingOps<'_, Self>> {
        Some(self)
    }

    fn support_scheduler_locking(&mut self) -> Option<MultiThreadSchedulerLockingOps<'_, Self>> {
        Some(self)
    }
}

impl MultiThreadSingleStep for DebugTarget {
    fn set_resume_action_step(
        &mut self,
        tid: GdbTid,
        signal: Option<Signal>,
    ) -> Result<(), Self::Error> {
        self.set_action(
            tid,
            ResumeAction::Step {
                signal: linux_signal(signal),
            },
        )
    }
}

impl MultiThreadRangeStepping for DebugTarget {
    fn set_resume_action_range_step(
        &mut self,
        tid: GdbTid,
        start: u64,
        end: u64,
    ) -> Result<(), Self::Error> {
        self.set_action(tid, ResumeAction::RangeStep { start, end })
    }
}

impl MultiThreadSchedulerLocking for DebugTarget {
    fn set_resume_action_scheduler_lock(&mut self) -> Result<(), Self::Error> {
        // Threads that the vCont did not name stay where they are.
        self.others_continue = false;
        Ok(())
    }
}
