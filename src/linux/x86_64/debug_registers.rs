//! The x86 debug registers of a process: four slots (DR0-DR3) shared by
//! every thread, enabled in DR7, the one that fired read from DR6. The
//! table is process-wide; each thread's own registers are brought up to
//! date just before it runs (see `HwDebug::generation`).

use rgdbserver_arch::x86_64::debugregs::{
    aligned_pieces, dr7_bits, DR6_SLOT_MASK, SLOTS, USER_DEBUGREG_OFFSET,
};
use rgdbserver_arch::HwKind;

use crate::linux::HwDebug;
use crate::ptrace::{self, PtraceResult, Tid};

/// One debug register in use: the piece it watches and the gdb request
/// (start, length, kind) it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    addr: u64,
    len: usize,
    kind: HwKind,
    request: (u64, usize, HwKind),
}

#[derive(Debug, Default, Clone)]
pub struct DebugRegisters {
    slots: [Option<Slot>; SLOTS],
    /// Bumped on every change; threads remember the one they were given.
    generation: u64,
}

impl HwDebug for DebugRegisters {
    /// Take slots for every aligned piece of the request, or none at all.
    fn insert(&mut self, addr: u64, len: usize, kind: HwKind) -> bool {
        let request = (addr, len, kind);
        if self.slots.iter().flatten().any(|s| s.request == request) {
            return true;
        }
        let pieces = if kind == HwKind::Execute {
            vec![(addr, 1)]
        } else {
            aligned_pieces(addr, len)
        };
        let free: Vec<usize> = (0..SLOTS).filter(|&i| self.slots[i].is_none()).collect();
        if pieces.is_empty() || pieces.len() > free.len() {
            return false;
        }
        for ((addr, len), slot) in pieces.into_iter().zip(free) {
            self.slots[slot] = Some(Slot {
                addr,
                len,
                kind,
                request,
            });
        }
        self.generation += 1;
        true
    }

    fn remove(&mut self, addr: u64, len: usize, kind: HwKind) -> bool {
        let request = (addr, len, kind);
        let mut found = false;
        for slot in self.slots.iter_mut() {
            if slot.is_some_and(|s| s.request == request) {
                *slot = None;
                found = true;
            }
        }
        if found {
            self.generation += 1;
        }
        found
    }

    fn clear(&mut self) {
        self.slots = [None; SLOTS];
        self.generation += 1;
    }

    fn is_empty(&self) -> bool {
        self.slots.iter().all(Option::is_none)
    }

    fn generation(&self) -> u64 {
        self.generation
    }

    fn apply(&self, tid: Tid) -> PtraceResult<()> {
        // Disable first, so no half-written slot is ever live.
        ptrace::poke_user(tid, debugreg_offset(7), 0)?;
        for (i, slot) in self.slots.iter().enumerate() {
            if let Some(slot) = slot {
                ptrace::poke_user(tid, debugreg_offset(i), slot.addr)?;
            }
        }
        let dr7 = self.dr7();
        if dr7 != 0 {
            ptrace::poke_user(tid, debugreg_offset(7), dr7)?;
        }
        Ok(())
    }

    fn hit(&self, tid: Tid) -> PtraceResult<Option<(HwKind, u64)>> {
        let dr6 = ptrace::peek_user(tid, debugreg_offset(6))?;
        let Some(slot) = (0..SLOTS).find(|i| dr6 & DR6_SLOT_MASK & (1 << i) != 0) else {
            return Ok(None);
        };
        // The kernel leaves DR6 bits set: clear them for the next trap.
        ptrace::poke_user(tid, debugreg_offset(6), 0)?;
        Ok(self.slots[slot].map(|fired| (fired.kind, fired.addr)))
    }
}

impl DebugRegisters {
    fn dr7(&self) -> u64 {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.and_then(|s| dr7_bits(i, s.kind, s.len)))
            .fold(0, |acc, bits| acc | bits)
    }
}

fn debugreg_offset(n: usize) -> usize {
    USER_DEBUGREG_OFFSET + n * 8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_take_all_their_pieces_or_nothing() {
        let mut regs = DebugRegisters::default();
        assert!(regs.insert(0x1000, 8, HwKind::Write));
        // Three pieces (1 + 2 + 1 bytes) fit in the three free slots.
        assert!(regs.insert(0x2001, 4, HwKind::Access));
        assert!(!regs.insert(0x3000, 4, HwKind::Write), "no slot left");
        assert!(regs.remove(0x2001, 4, HwKind::Access));
        assert!(regs.insert(0x3000, 4, HwKind::Write));
        assert!(!regs.remove(0x9999, 1, HwKind::Write));
        assert_ne!(regs.dr7(), 0);
    }

    #[test]
    fn generation_moves_on_change_only() {
        let mut regs = DebugRegisters::default();
        let g = regs.generation;
        assert!(regs.insert(0x1000, 1, HwKind::Execute));
        assert!(regs.insert(0x1000, 1, HwKind::Execute));
        assert_eq!(regs.generation, g + 1);
    }
}
