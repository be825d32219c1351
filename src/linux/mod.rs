//! Per-architecture hooks: everything generic code (`process`, `tracer`)
//! must not know about a CPU, behind three traits, one implementation per
//! architecture in `linux/<arch>/`.
//!
//! - [`ArchHooks`]: the breakpoint instruction, the PC adjustment after its
//!   trap, and the target description read from a stopped thread;
//! - [`ThreadRegisters`]: one stopped thread's registers, cached from its
//!   stop until it runs, in gdb's layout (`g`/`G`/`p`/`P`), its PC, the
//!   syscall number it stopped in, its thread pointer;
//! - [`HwDebug`]: a process's hardware breakpoints and watchpoints, put in
//!   a thread's registers before it runs and asked which fired after a trap.
//!
//! The hooks take a tid and buffers and return values; they import nothing
//! from `process`, so the arrows run one way: process -> linux/<arch> ->
//! arch/ and ptrace/. `Native` is the architecture this server was built
//! for. The programs it can run in another mode of the same CPU (i386
//! programs under x86_64) are served by the same hooks: `describe` picks
//! the description from the stopped thread, and every hook that differs
//! between the modes is given that description.

use anyhow::Result;
use rgdbserver_arch::{HwKind, TargetDescription};

use crate::ptrace::{PtraceResult, Tid};

/// Its register mapping builds everywhere (unit-tested on any host), its
/// hooks on aarch64 only.
pub mod aarch64;
#[cfg(target_arch = "x86_64")]
pub mod x86_64;

/// What raised a SIGTRAP, as the kernel tells it for this architecture
/// (the siginfo's si_code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrapCause {
    /// A software breakpoint instruction; the PC is `PC_AFTER_BREAKPOINT`
    /// past it.
    Breakpoint,
    /// A single step finished.
    Step,
    /// A debug register fired (hardware breakpoint or watchpoint).
    Hardware,
    /// Sent with kill or tgkill, or anything else: a signal, never ours.
    Other,
}

/// One architecture.
pub trait ArchHooks {
    type Registers: ThreadRegisters;
    type HwDebug: HwDebug;
    /// The software breakpoint instruction gdb's Z0 asks for.
    const BREAKPOINT_INSN: &'static [u8];
    /// How far past a software breakpoint the PC is after its trap.
    const PC_AFTER_BREAKPOINT: u64;
    /// Can the debug registers watch reads alone (gdb's `rwatch`, Z3)?
    const READ_WATCHPOINTS: bool;

    /// A description to hold until the real one can be read.
    fn placeholder_description() -> TargetDescription;

    /// The program's register set, read from one of its stopped threads.
    fn describe(tid: Tid) -> Result<TargetDescription>;

    /// What raised a SIGTRAP with this si_code.
    fn trap_cause(si_code: i32) -> TrapCause;

    /// Where glibc keeps a thread's DTV (dynamic thread vector) pointer,
    /// relative to the thread pointer (its TCB layout for this CPU).
    fn dtv_offset_from_tp(desc: &TargetDescription) -> u64;

    /// glibc's `pthread_t` of a thread, from its thread pointer, where the
    /// one gives the other (gdb's thread handle); None where it does not.
    fn thread_handle(desc: &TargetDescription, thread_pointer: u64) -> Option<u64>;

    /// The siginfo gdb reads as `$_siginfo`, in the program's own layout,
    /// from the kernel's native one (a 32-bit program gets the 32-bit one).
    fn siginfo_to_gdb(desc: &TargetDescription, native: &[u8]) -> Vec<u8>;

    /// Back again, after gdb wrote to `$_siginfo`: `native` is what the
    /// kernel holds, updated in place.
    fn siginfo_from_gdb(desc: &TargetDescription, program: &[u8], native: &mut [u8]);
}

/// A stopped thread's registers: read from the kernel at most once per
/// stop, written through at once (so the cache is never dirty).
pub trait ThreadRegisters: Default + std::fmt::Debug {
    /// Forget what was read: the thread left its ptrace-stop.
    fn invalidate(&mut self) {
        *self = Self::default();
    }

    fn pc(&mut self, tid: Tid) -> PtraceResult<u64>;

    fn set_pc(&mut self, tid: Tid, pc: u64) -> PtraceResult<()>;

    /// The syscall the thread is in, at a syscall stop.
    fn syscall_number(&mut self, tid: Tid) -> PtraceResult<u64>;

    /// The thread pointer (the base of its thread-local storage).
    fn thread_pointer(&mut self, desc: &TargetDescription, tid: Tid) -> PtraceResult<u64>;

    /// The whole `g` packet payload (raw bytes).
    fn read_all(&mut self, desc: &TargetDescription, tid: Tid, out: &mut Vec<u8>) -> Result<()>;

    /// A `G` packet.
    fn write_all(&mut self, desc: &TargetDescription, tid: Tid, g: &[u8]) -> Result<()>;

    /// One register (`p`).
    fn read_one(
        &mut self,
        desc: &TargetDescription,
        tid: Tid,
        regnum: usize,
        out: &mut Vec<u8>,
    ) -> Result<()>;

    /// One register (`P`); `bytes` is its full size.
    fn write_one(
        &mut self,
        desc: &TargetDescription,
        tid: Tid,
        regnum: usize,
        bytes: &[u8],
    ) -> Result<()>;

    /// A register's value if it can be had cheaply (without the large
    /// extended-state read); None: use `read_one`.
    fn read_general(
        &mut self,
        desc: &TargetDescription,
        tid: Tid,
        regnum: usize,
    ) -> Result<Option<u64>>;
}

/// A process's hardware breakpoints and watchpoints: one table for the
/// process, given to each thread before it runs (the kernel copies debug
/// registers to no new thread or process).
pub trait HwDebug: Default + Clone + std::fmt::Debug {
    /// Take what the request needs, or nothing (false: no room).
    fn insert(&mut self, addr: u64, len: usize, kind: HwKind) -> bool;

    fn remove(&mut self, addr: u64, len: usize, kind: HwKind) -> bool;

    fn clear(&mut self);

    fn is_empty(&self) -> bool;

    /// Moves on with every change: a thread given an older generation is
    /// behind.
    fn generation(&self) -> u64;

    /// Put the table in a stopped thread's registers.
    fn apply(&self, tid: Tid) -> PtraceResult<()>;

    /// After a hardware trap: what fired, and the watched address.
    fn hit(&self, tid: Tid) -> PtraceResult<Option<(HwKind, u64)>>;
}

#[cfg(target_arch = "x86_64")]
pub type Native = x86_64::X86_64;
#[cfg(target_arch = "aarch64")]
pub type Native = aarch64::Aarch64;

/// The register cache of a thread of the native architecture.
pub type NativeRegisters = <Native as ArchHooks>::Registers;
/// The hardware debug table of a process of the native architecture.
pub type NativeHwDebug = <Native as ArchHooks>::HwDebug;
