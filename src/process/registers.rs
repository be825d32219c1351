//! Register access for stopped threads, with a per-stop cache.
//!
//! A stop costs at most one PTRACE_GETREGS (the expedited registers of the stop
//! reply come from it); the XSAVE area is fetched only when gdb asks for the
//! full register set. Writes go through to the kernel at once, so the cache is
//! never dirty and a resume needs no flush.

use anyhow::{anyhow, Result};
use rgdbserver_arch::x86_64 as arch;
use rgdbserver_arch::TargetDescription;

use super::{Process, Thread};
use crate::linux::x86_64 as conv;
use crate::ptrace::{self, PtraceResult, Tid};

pub const BREAKPOINT_INSN: &[u8] = arch::BREAKPOINT_INSN;
/// How far past a software breakpoint the PC is after its trap.
pub const PC_AFTER_BREAKPOINT: u64 = arch::PC_AFTER_BREAKPOINT_ADJUST;
const NT_X86_XSTATE: u32 = 0x202;

/// A description to hold until the real one can be read.
pub fn placeholder() -> TargetDescription {
    arch::target_description(arch::X86Features::from_xcr0(0))
}

/// Work out the register set of the program from what its thread's XSAVE
/// area says the kernel enabled (XCR0).
pub fn describe(tid: Tid) -> Result<TargetDescription> {
    let mut xstate = vec![0u8; conv::xstate_buffer_len()];
    let len = ptrace::regset(tid, NT_X86_XSTATE, &mut xstate)
        .map_err(|e| anyhow!("PTRACE_GETREGSET(NT_X86_XSTATE) on {tid}: {e}"))?;
    xstate.truncate(len);
    let xcr0 = conv::xcr0_from_xstate(&xstate);
    Ok(arch::target_description(arch::X86Features::from_xcr0(xcr0)))
}

fn gpr(thread: &mut Thread) -> PtraceResult<&mut libc::user_regs_struct> {
    if thread.regs.is_none() {
        thread.regs = Some(ptrace::regs(thread.tid)?);
    }
    // Just filled above.
    thread.regs.as_mut().ok_or(ptrace::PtraceError::Gone)
}

fn xstate(thread: &mut Thread) -> PtraceResult<&mut Vec<u8>> {
    if thread.xstate.is_none() {
        let mut buf = vec![0u8; conv::xstate_buffer_len()];
        let len = ptrace::regset(thread.tid, NT_X86_XSTATE, &mut buf)?;
        buf.truncate(len);
        thread.xstate = Some(buf);
    }
    thread.xstate.as_mut().ok_or(ptrace::PtraceError::Gone)
}

impl Process {
    pub fn pc(&mut self, tid: Tid) -> Result<u64> {
        Ok(gpr(self.thread_mut(tid)?)?.rip)
    }

    pub fn set_pc(&mut self, tid: Tid, pc: u64) -> Result<()> {
        let thread = self.thread_mut(tid)?;
        let regs = gpr(thread)?;
        regs.rip = pc;
        let copy = *regs;
        ptrace::set_regs(tid, &copy)?;
        Ok(())
    }

    /// The syscall a thread is in (orig_rax).
    pub fn syscall_number(&mut self, tid: Tid) -> Result<u64> {
        Ok(gpr(self.thread_mut(tid)?)?.orig_rax)
    }

    /// The registers gdb wants in every stop reply: (regnum, value).
    pub fn expedited(&mut self, tid: Tid) -> Result<[(usize, u64); 3]> {
        let r = gpr(self.thread_mut(tid)?)?;
        Ok([(6, r.rbp), (7, r.rsp), (16, r.rip)])
    }

    /// The whole `g` packet payload (raw bytes, not hex).
    pub fn read_all_registers(&mut self, tid: Tid, out: &mut Vec<u8>) -> Result<()> {
        let desc = &self.desc;
        let thread = self
            .threads
            .get_mut(&tid)
            .ok_or_else(|| anyhow!("no thread {tid}"))?;
        let regs = *gpr(thread)?;
        let xs = xstate(thread)?;
        conv::regs_to_g(desc, &regs, xs, out);
        Ok(())
    }

    pub fn write_all_registers(&mut self, tid: Tid, g: &[u8]) -> Result<()> {
        self.modify_registers(tid, |desc, regs, xs| conv::g_to_regs(desc, g, regs, xs))
    }

    /// Read both register sets, let `change` edit them, write both back and
    /// keep them as the cache. Register writes are rare (G, P, `set var
    /// $reg`): writing both sets keeps this simple.
    fn modify_registers(
        &mut self,
        tid: Tid,
        change: impl FnOnce(
            &TargetDescription,
            &mut libc::user_regs_struct,
            &mut [u8],
        ) -> Result<(), String>,
    ) -> Result<()> {
        let desc = &self.desc;
        let thread = self
            .threads
            .get_mut(&tid)
            .ok_or_else(|| anyhow!("no thread {tid}"))?;
        let mut regs = *gpr(thread)?;
        let mut xs = xstate(thread)?.clone();
        change(desc, &mut regs, &mut xs).map_err(|e| anyhow!(e))?;
        ptrace::set_regs(tid, &regs)?;
        ptrace::set_regset(tid, NT_X86_XSTATE, &xs)?;
        thread.regs = Some(regs);
        thread.xstate = Some(xs);
        Ok(())
    }

    /// A general-purpose register's value without reading the xstate
    /// (None: the register is elsewhere; use `read_register`).
    pub fn read_general_register(&mut self, tid: Tid, regnum: usize) -> Result<Option<u64>> {
        let thread = self
            .threads
            .get_mut(&tid)
            .ok_or_else(|| anyhow!("no thread {tid}"))?;
        let regs = *gpr(thread)?;
        Ok(conv::general_register(&self.desc, regnum, &regs))
    }

    pub fn read_register(&mut self, tid: Tid, regnum: usize, out: &mut Vec<u8>) -> Result<()> {
        let desc = &self.desc;
        if desc.register(regnum).is_none() {
            return Err(anyhow!("no register {regnum}"));
        }
        let thread = self
            .threads
            .get_mut(&tid)
            .ok_or_else(|| anyhow!("no thread {tid}"))?;
        let regs = *gpr(thread)?;
        let xs = xstate(thread)?;
        conv::register_to_bytes(desc, regnum, &regs, xs, out).map_err(|e| anyhow!(e))?;
        Ok(())
    }

    pub fn write_register(&mut self, tid: Tid, regnum: usize, bytes: &[u8]) -> Result<()> {
        self.modify_registers(tid, |desc, regs, xs| {
            conv::bytes_to_register(desc, regnum, bytes, regs, xs)
        })
    }
}
