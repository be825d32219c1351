//! Z0/z0: software breakpoints, inserted into memory at once (gdb keeps them
//! inserted across stops, so a hit costs no extra packets).

use gdbstub::target::ext::breakpoints::{Breakpoints, HwWatchpoint, HwWatchpointOps, WatchKind};
use gdbstub::target::{TargetError, TargetResult};
use rgdbserver_arch::HwKind;

use super::DebugTarget;

impl Breakpoints for DebugTarget {
    fn support_hw_watchpoint(&mut self) -> Option<HwWatchpointOps<'_, Self>> {
        Some(self)
    }
}

/// Where the architecture cannot watch reads alone (x86), the packet layer
/// answers Z3 as unsupported, as gdbserver does, and gdb uses access
/// watchpoints; Z3 reaches here only where it can (aarch64).
fn debug_kind(kind: WatchKind) -> HwKind {
    match kind {
        WatchKind::Write => HwKind::Write,
        WatchKind::Read => HwKind::Read,
        WatchKind::ReadWrite => HwKind::Access,
    }
}

impl HwWatchpoint for DebugTarget {
    fn add_hw_watchpoint(
        &mut self,
        addr: u64,
        len: u64,
        kind: WatchKind,
    ) -> TargetResult<bool, Self> {
        let inferior = self.selected_mut().ok_or(TargetError::Errno(1))?;
        Ok(inferior.insert_hw(addr, len as usize, debug_kind(kind)))
    }

    fn remove_hw_watchpoint(
        &mut self,
        addr: u64,
        len: u64,
        kind: WatchKind,
    ) -> TargetResult<bool, Self> {
        let inferior = self.selected_mut().ok_or(TargetError::Errno(1))?;
        Ok(inferior.remove_hw(addr, len as usize, debug_kind(kind)))
    }
}
