//! The arm64 debug registers of a process: breakpoint and watchpoint slots
//! shared by every thread, given to each through the NT_ARM_HW_BREAK and
//! NT_ARM_HW_WATCH register sets; how many there are is what the kernel
//! says in dbg_info. Which one fired comes from the trap's si_addr (the
//! address accessed, or the breakpoint's).
//!
//! A watchpoint traps before the access completes; gdb knows aarch64
//! watchpoints are not steppable and steps over the access itself with the
//! watchpoint removed.

use std::sync::OnceLock;

use rgdbserver_arch::aarch64::hwdebug::{
    control, covers, slot_count, watch_pieces, HEADER, INSTRUCTION_BYTES, MAX_SLOTS, SLOT_SIZE,
};
use rgdbserver_arch::HwKind;

use crate::linux::HwDebug;
use crate::ptrace::{self, PtraceResult, Tid};

const NT_ARM_HW_BREAK: u32 = 0x402;
const NT_ARM_HW_WATCH: u32 = 0x403;

/// One slot in use: the 8-byte block it watches (or the instruction's
/// address), the bytes selected, and the gdb request it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    addr: u64,
    byte_select: u8,
    kind: HwKind,
    request: (u64, usize, HwKind),
}

#[derive(Debug, Default, Clone)]
pub struct HwDebugRegisters {
    breakpoints: Vec<Slot>,
    watchpoints: Vec<Slot>,
    /// Bumped on every change; threads remember the one they were given.
    generation: u64,
}

/// How many breakpoint and watchpoint slots this CPU has, once asked.
static CAPACITY: OnceLock<(usize, usize)> = OnceLock::new();

/// Asks the kernel (the same count on every core), unless known: when a
/// program is described, so that a Z packet beyond the CPU's slots is
/// refused, as gdbserver refuses it. A failed read (the thread gone) is
/// not kept.
pub fn probe_capacity(tid: Tid) -> PtraceResult<(usize, usize)> {
    if let Some(&known) = CAPACITY.get() {
        return Ok(known);
    }
    let count = |note| -> PtraceResult<usize> {
        let mut buf = [0u8; HEADER];
        ptrace::regset(tid, note, &mut buf)?;
        Ok(slot_count(u32::from_le_bytes([
            buf[0], buf[1], buf[2], buf[3],
        ])))
    };
    let capacity = (count(NT_ARM_HW_BREAK)?, count(NT_ARM_HW_WATCH)?);
    Ok(*CAPACITY.get_or_init(|| capacity))
}

/// Slots a request may take: the CPU's, once known (a program is always
/// described before gdb can ask), else the architecture's most.
fn limit(kind: HwKind) -> usize {
    match CAPACITY.get() {
        Some(&(breaks, watches)) => match kind {
            HwKind::Execute => breaks,
            _ => watches,
        },
        None => MAX_SLOTS,
    }
}

impl HwDebug for HwDebugRegisters {
    /// Take slots for every piece of the request, or none at all.
    fn insert(&mut self, addr: u64, len: usize, kind: HwKind) -> bool {
        let request = (addr, len, kind);
        let table = match kind {
            HwKind::Execute => &mut self.breakpoints,
            _ => &mut self.watchpoints,
        };
        if table.iter().any(|s| s.request == request) {
            return true;
        }
        let pieces = match kind {
            // An A64 instruction is 4 bytes, 4-aligned.
            HwKind::Execute if addr % 4 == 0 => vec![(addr, INSTRUCTION_BYTES)],
            HwKind::Execute => return false,
            _ => watch_pieces(addr, len),
        };
        if pieces.is_empty() || table.len() + pieces.len() > limit(kind) {
            return false;
        }
        table.extend(pieces.into_iter().map(|(addr, byte_select)| Slot {
            addr,
            byte_select,
            kind,
            request,
        }));
        self.generation += 1;
        true
    }

    fn remove(&mut self, addr: u64, len: usize, kind: HwKind) -> bool {
        let request = (addr, len, kind);
        let before = self.breakpoints.len() + self.watchpoints.len();
        self.breakpoints.retain(|s| s.request != request);
        self.watchpoints.retain(|s| s.request != request);
        let found = self.breakpoints.len() + self.watchpoints.len() != before;
        if found {
            self.generation += 1;
        }
        found
    }

    fn clear(&mut self) {
        self.breakpoints.clear();
        self.watchpoints.clear();
        self.generation += 1;
    }

    fn is_empty(&self) -> bool {
        self.breakpoints.is_empty() && self.watchpoints.is_empty()
    }

    fn generation(&self) -> u64 {
        self.generation
    }

    /// Both sets, each with every slot the CPU has (unused ones zeroed,
    /// which disables them).
    fn apply(&self, tid: Tid) -> PtraceResult<()> {
        let (breaks, watches) = probe_capacity(tid)?;
        write_slots(tid, NT_ARM_HW_BREAK, &self.breakpoints, breaks)?;
        write_slots(tid, NT_ARM_HW_WATCH, &self.watchpoints, watches)
    }

    fn hit(&self, tid: Tid) -> PtraceResult<Option<(HwKind, u64)>> {
        // SAFETY: si_addr reads the union's first field, the fault address
        // the kernel gives with TRAP_HWBKPT.
        let addr = unsafe { ptrace::siginfo(tid)?.si_addr() } as u64;
        if let Some(bp) = self.breakpoints.iter().find(|s| s.addr == addr) {
            return Ok(Some((bp.kind, bp.addr)));
        }
        // The address accessed may start below the watched bytes (a wide
        // store over them): its 8-byte block is what the hardware matched.
        let fired = self
            .watchpoints
            .iter()
            .find(|s| covers(s.addr, s.byte_select, addr))
            .or_else(|| self.watchpoints.iter().find(|s| s.addr == addr & !7));
        Ok(fired.map(|s| (s.kind, addr.max(s.request.0))))
    }
}

fn write_slots(tid: Tid, note: u32, slots: &[Slot], count: usize) -> PtraceResult<()> {
    if slots.len() > count {
        // Never silently drop one: gdb was told it is in place.
        return Err(ptrace::PtraceError::Os {
            request: "PTRACE_SETREGSET(NT_ARM_HW_*)",
            errno: libc::ENOSPC,
        });
    }
    if count == 0 {
        return Ok(());
    }
    let mut buf = vec![0u8; HEADER + count * SLOT_SIZE];
    for (i, slot) in slots.iter().enumerate() {
        let at = HEADER + i * SLOT_SIZE;
        buf[at..at + 8].copy_from_slice(&slot.addr.to_le_bytes());
        buf[at + 8..at + 12].copy_from_slice(&control(slot.kind, slot.byte_select).to_le_bytes());
    }
    ptrace::set_regset(tid, note, &buf)
}
