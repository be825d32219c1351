//! Register access for stopped threads, through the architecture's
//! register cache (`linux::ThreadRegisters`): read at most once per stop,
//! written through at once.

use anyhow::{anyhow, Result};
use rgdbserver_arch::TargetDescription;

use super::Process;
pub use crate::linux::TrapCause;
use crate::linux::{ArchHooks, Native, ThreadRegisters};
use crate::ptrace::Tid;

pub const BREAKPOINT_INSN: &[u8] = Native::BREAKPOINT_INSN;
/// How far past a software breakpoint the PC is after its trap.
pub const PC_AFTER_BREAKPOINT: u64 = Native::PC_AFTER_BREAKPOINT;

/// A description to hold until the real one can be read.
pub fn placeholder() -> TargetDescription {
    Native::placeholder_description()
}

/// The program's register set, from one of its stopped threads.
pub fn describe(tid: Tid) -> Result<TargetDescription> {
    Native::describe(tid)
}

/// What raised a SIGTRAP with this si_code.
pub fn trap_cause(si_code: i32) -> TrapCause {
    Native::trap_cause(si_code)
}

impl Process {
    pub fn pc(&mut self, tid: Tid) -> Result<u64> {
        Ok(self.thread_mut(tid)?.regs.pc(tid)?)
    }

    pub fn set_pc(&mut self, tid: Tid, pc: u64) -> Result<()> {
        Ok(self.thread_mut(tid)?.regs.set_pc(tid, pc)?)
    }

    /// The syscall a thread is in.
    pub fn syscall_number(&mut self, tid: Tid) -> Result<u64> {
        Ok(self.thread_mut(tid)?.regs.syscall_number(tid)?)
    }

    /// The registers gdb wants in every stop reply (frame pointer, stack
    /// pointer, PC, as gdbserver sends them): (regnum, value), each of the
    /// program's address size.
    pub fn expedited(&mut self, tid: Tid) -> Result<[(usize, u64); 3]> {
        let regnums = [
            self.desc.fp_regnum,
            self.desc.sp_regnum,
            self.desc.pc_regnum,
        ];
        let mut expedited = [(0, 0); 3];
        for (slot, regnum) in expedited.iter_mut().zip(regnums) {
            let value = self
                .read_general_register(tid, regnum)?
                .ok_or_else(|| anyhow!("register {regnum} is not a general register"))?;
            *slot = (regnum, value);
        }
        Ok(expedited)
    }

    /// The thread pointer of a stopped thread (its TLS block, glibc's
    /// `pthread_t`).
    pub fn thread_pointer(&mut self, tid: Tid) -> Result<u64> {
        let (desc, thread) = self.desc_and_thread(tid)?;
        Ok(thread.regs.thread_pointer(desc, tid)?)
    }

    /// Where the DTV pointer is, from the thread pointer.
    pub fn dtv_offset_from_tp(&self) -> u64 {
        Native::dtv_offset_from_tp(&self.desc)
    }

    /// The whole `g` packet payload (raw bytes, not hex).
    pub fn read_all_registers(&mut self, tid: Tid, out: &mut Vec<u8>) -> Result<()> {
        let (desc, thread) = self.desc_and_thread(tid)?;
        thread.regs.read_all(desc, tid, out)
    }

    pub fn write_all_registers(&mut self, tid: Tid, g: &[u8]) -> Result<()> {
        let (desc, thread) = self.desc_and_thread(tid)?;
        thread.regs.write_all(desc, tid, g)
    }

    /// A register's value when it is cheap to read (None: use
    /// `read_register`).
    pub fn read_general_register(&mut self, tid: Tid, regnum: usize) -> Result<Option<u64>> {
        let (desc, thread) = self.desc_and_thread(tid)?;
        thread.regs.read_general(desc, tid, regnum)
    }

    pub fn read_register(&mut self, tid: Tid, regnum: usize, out: &mut Vec<u8>) -> Result<()> {
        let (desc, thread) = self.desc_and_thread(tid)?;
        thread.regs.read_one(desc, tid, regnum, out)
    }

    pub fn write_register(&mut self, tid: Tid, regnum: usize, bytes: &[u8]) -> Result<()> {
        let (desc, thread) = self.desc_and_thread(tid)?;
        thread.regs.write_one(desc, tid, regnum, bytes)
    }

    /// The register description with one thread, borrowed together.
    fn desc_and_thread(&mut self, tid: Tid) -> Result<(&TargetDescription, &mut super::Thread)> {
        let thread = self
            .threads
            .get_mut(&tid)
            .ok_or_else(|| anyhow!("no thread {tid}"))?;
        Ok((&self.desc, thread))
    }
}
