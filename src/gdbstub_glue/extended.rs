//! gdbstub's extended-mode hooks. We implement them so that gdbstub reports
//! the real pid in thread ids (`pPID.TID`) and answers `qAttached`
//! truthfully (gdb kills a program it ran and detaches from one it attached
//! to). `vRun`, `vAttach`, `vKill`, `k` and `qC` are answered by the packet
//! layer (`session`), so gdbstub's run and attach hooks, which the trait
//! requires, are never called.

use gdbstub::common::Pid;
use gdbstub::target::ext::extended_mode::{
    Args, AttachKind, CurrentActivePid, CurrentActivePidOps, ExtendedMode, ShouldTerminate,
};
use gdbstub::target::{TargetError, TargetResult};

use super::{to_gdb_pid, DebugTarget};

impl ExtendedMode for DebugTarget {
    fn run(&mut self, _filename: Option<&[u8]>, _args: Args<'_, '_>) -> TargetResult<Pid, Self> {
        // Required by the trait; `vRun` never reaches gdbstub.
        Err(TargetError::Errno(1))
    }

    fn attach(&mut self, _pid: Pid) -> TargetResult<(), Self> {
        // Required by the trait; `vAttach` never reaches gdbstub.
        Err(TargetError::Errno(1))
    }

    /// Required by the trait; every `qAttached` is answered by the packet
    /// layer (`session/owned.rs`), which also covers the form without a pid
    /// that gdbstub would answer "attached".
    fn query_if_attached(&mut self, _pid: Pid) -> TargetResult<AttachKind, Self> {
        Err(TargetError::Errno(1))
    }

    fn kill(&mut self, _pid: Option<Pid>) -> TargetResult<ShouldTerminate, Self> {
        // The packet layer handles k and vKill itself; this is a fallback.
        self.tracer.kill_all().map_err(TargetError::Fatal)?;
        Ok(ShouldTerminate::Yes)
    }

    fn restart(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }

    fn support_current_active_pid(&mut self) -> Option<CurrentActivePidOps<'_, Self>> {
        Some(self)
    }
}

impl CurrentActivePid for DebugTarget {
    fn current_active_pid(&mut self) -> Result<Pid, Self::Error> {
        self.selected()
            .and_then(|i| to_gdb_pid(i.pid))
            .or_else(|| Pid::new(1))
            .ok_or_else(|| anyhow::anyhow!("no process"))
    }
}
