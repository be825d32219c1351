//! The x86_64 hooks: int3, the register cache of a stopped thread (the
//! general-purpose `user_regs_struct` and the XSAVE area, each read only
//! when something needs it), and the target description from XCR0 and
//! the thread's code segment: a 32-bit program (the kernel runs it with
//! the compatibility-mode CS) gets the i386 description, its registers
//! converted from the same 64-bit register sets.
//!
//! A stop costs at most one PTRACE_GETREGS (the expedited registers of the
//! stop reply come from it); the XSAVE area is fetched only when gdb asks
//! for the full register set. Writes go through to the kernel at once.

use anyhow::{anyhow, Result};
use libc::user_regs_struct;
use rgdbserver_arch::x86_64 as arch;
use rgdbserver_arch::{i386, TargetDescription};

use super::debug_registers::DebugRegisters;
use crate::linux::{ArchHooks, ThreadRegisters, TrapCause};
use crate::ptrace::{self, PtraceError, PtraceResult, Tid};

/// The XSAVE area, as a register set (the same layout in both modes).
const NT_X86_XSTATE: u32 = 0x202;

/// `si_code` values of a SIGTRAP on x86: an int3 reports SI_KERNEL with
/// the PC one past it; a single step TRAP_TRACE; a debug-register hit
/// TRAP_HWBKPT. A SIGTRAP sent with kill or tgkill (SI_USER, SI_TKILL) is
/// a signal, never a breakpoint.
const SI_KERNEL: i32 = 0x80;
const TRAP_TRACE: i32 = 2;
const TRAP_HWBKPT: i32 = 4;

/// The code segment selector of 32-bit user code (GDT_ENTRY_DEFAULT_USER32_CS
/// with RPL 3), the same on every x86_64 kernel.
const USER32_CS: u64 = 0x23;

/// Is this description the one of a 32-bit program?
fn is_i386(desc: &TargetDescription) -> bool {
    desc.address_size == 4
}

pub struct X86_64;

impl ArchHooks for X86_64 {
    type Registers = X86Registers;
    type HwDebug = DebugRegisters;
    const BREAKPOINT_INSN: &'static [u8] = arch::BREAKPOINT_INSN;
    const PC_AFTER_BREAKPOINT: u64 = arch::PC_AFTER_BREAKPOINT_ADJUST;
    /// DR7 watches writes or accesses, never reads alone.
    const READ_WATCHPOINTS: bool = false;

    fn placeholder_description() -> TargetDescription {
        arch::target_description(arch::X86Features::from_xcr0(0))
    }

    /// From what the thread's XSAVE area says the kernel enabled (XCR0),
    /// and from its code segment, the mode the program runs in.
    fn describe(tid: Tid) -> Result<TargetDescription> {
        let mut xstate = vec![0u8; super::xstate_buffer_len()];
        let len = ptrace::regset(tid, NT_X86_XSTATE, &mut xstate)
            .map_err(|e| anyhow!("PTRACE_GETREGSET(NT_X86_XSTATE) on {tid}: {e}"))?;
        xstate.truncate(len);
        let features = arch::X86Features::from_xcr0(super::xcr0_from_xstate(&xstate));
        let gpr = read_gpr(tid).map_err(|e| anyhow!("PTRACE_GETREGS on {tid}: {e}"))?;
        Ok(match gpr.cs {
            USER32_CS => i386::target_description(features),
            _ => arch::target_description(features),
        })
    }

    /// tcbhead_t: `tcb`, then `dtv`, one pointer each.
    fn dtv_offset_from_tp(desc: &TargetDescription) -> u64 {
        desc.address_size as u64
    }

    /// The TCB is the `struct pthread` on x86 (both widths). 0: before
    /// the dynamic linker set the thread's TLS up.
    fn thread_handle(_desc: &TargetDescription, thread_pointer: u64) -> Option<u64> {
        Some(thread_pointer).filter(|&tp| tp != 0)
    }

    fn siginfo_to_gdb(desc: &TargetDescription, native: &[u8]) -> Vec<u8> {
        match is_i386(desc) {
            true => super::siginfo32::to_compat(native),
            false => native.to_vec(),
        }
    }

    fn siginfo_from_gdb(desc: &TargetDescription, program: &[u8], native: &mut [u8]) {
        match is_i386(desc) {
            true => super::siginfo32::from_compat(program, native),
            false => {
                let len = program.len().min(native.len());
                native[..len].copy_from_slice(&program[..len]);
            }
        }
    }

    fn trap_cause(si_code: i32) -> TrapCause {
        match si_code {
            SI_KERNEL => TrapCause::Breakpoint,
            TRAP_TRACE => TrapCause::Step,
            TRAP_HWBKPT => TrapCause::Hardware,
            _ => TrapCause::Other,
        }
    }
}

/// What has been read of a stopped thread's registers since its stop.
#[derive(Debug, Default)]
pub struct X86Registers {
    gpr: Option<user_regs_struct>,
    xstate: Option<Vec<u8>>,
}

impl X86Registers {
    fn gpr(&mut self, tid: Tid) -> PtraceResult<&mut user_regs_struct> {
        if self.gpr.is_none() {
            self.gpr = Some(read_gpr(tid)?);
        }
        // Just filled above.
        self.gpr.as_mut().ok_or(PtraceError::Gone)
    }

    fn xstate(&mut self, tid: Tid) -> PtraceResult<&mut Vec<u8>> {
        if self.xstate.is_none() {
            let mut buf = vec![0u8; super::xstate_buffer_len()];
            let len = ptrace::regset(tid, NT_X86_XSTATE, &mut buf)?;
            buf.truncate(len);
            self.xstate = Some(buf);
        }
        self.xstate.as_mut().ok_or(PtraceError::Gone)
    }

    /// Read both sets, let `change` edit them, write both back and keep
    /// them. Register writes are rare (G, P, `set var $reg`): writing both
    /// sets keeps this simple.
    fn modify(
        &mut self,
        tid: Tid,
        change: impl FnOnce(&mut user_regs_struct, &mut [u8]) -> Result<(), String>,
    ) -> Result<()> {
        let mut gpr = *self.gpr(tid)?;
        let mut xstate = self.xstate(tid)?.clone();
        change(&mut gpr, &mut xstate).map_err(|e| anyhow!(e))?;
        write_gpr(tid, &gpr)?;
        ptrace::set_regset(tid, NT_X86_XSTATE, &xstate)?;
        self.gpr = Some(gpr);
        self.xstate = Some(xstate);
        Ok(())
    }
}

/// The general registers in the 64-bit layout, whatever the program's
/// mode: PTRACE_GETREGS, since PTRACE_GETREGSET(NT_PRSTATUS) answers a
/// 32-bit program in its own, shorter layout.
fn read_gpr(tid: Tid) -> PtraceResult<user_regs_struct> {
    // SAFETY: user_regs_struct is plain old data; all-zero is a valid value.
    let mut gpr: user_regs_struct = unsafe { std::mem::zeroed() };
    // SAFETY: user_regs_struct is what PTRACE_GETREGS writes on x86_64.
    unsafe { ptrace::get_regs(tid, &mut gpr)? };
    Ok(gpr)
}

fn write_gpr(tid: Tid, gpr: &user_regs_struct) -> PtraceResult<()> {
    // SAFETY: user_regs_struct is what PTRACE_SETREGS reads on x86_64.
    unsafe { ptrace::set_regs(tid, gpr) }
}

impl ThreadRegisters for X86Registers {
    fn pc(&mut self, tid: Tid) -> PtraceResult<u64> {
        Ok(self.gpr(tid)?.rip)
    }

    fn set_pc(&mut self, tid: Tid, pc: u64) -> PtraceResult<()> {
        let gpr = self.gpr(tid)?;
        gpr.rip = pc;
        let copy = *gpr;
        write_gpr(tid, &copy)
    }

    /// orig_rax: rax itself becomes the return value on the way out.
    fn syscall_number(&mut self, tid: Tid) -> PtraceResult<u64> {
        Ok(self.gpr(tid)?.orig_rax)
    }

    /// glibc points %fs at the thread's TCB on amd64; on i386 %gs selects
    /// a GDT entry (set with set_thread_area) whose base is the TCB.
    fn thread_pointer(&mut self, desc: &TargetDescription, tid: Tid) -> PtraceResult<u64> {
        let gpr = self.gpr(tid)?;
        match is_i386(desc) {
            true => {
                let entry = (gpr.gs >> 3) as u32;
                ptrace::thread_area(tid, entry).map(u64::from)
            }
            false => Ok(gpr.fs_base),
        }
    }

    fn read_all(&mut self, desc: &TargetDescription, tid: Tid, out: &mut Vec<u8>) -> Result<()> {
        let gpr = *self.gpr(tid)?;
        let xstate = self.xstate(tid)?;
        super::regs_to_g(desc, &gpr, xstate, out);
        Ok(())
    }

    fn write_all(&mut self, desc: &TargetDescription, tid: Tid, g: &[u8]) -> Result<()> {
        self.modify(tid, |gpr, xstate| super::g_to_regs(desc, g, gpr, xstate))
    }

    fn read_one(
        &mut self,
        desc: &TargetDescription,
        tid: Tid,
        regnum: usize,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        if desc.register(regnum).is_none() {
            return Err(anyhow!("no register {regnum}"));
        }
        let gpr = *self.gpr(tid)?;
        let xstate = self.xstate(tid)?;
        super::register_to_bytes(desc, regnum, &gpr, xstate, out).map_err(|e| anyhow!(e))
    }

    fn write_one(
        &mut self,
        desc: &TargetDescription,
        tid: Tid,
        regnum: usize,
        bytes: &[u8],
    ) -> Result<()> {
        self.modify(tid, |gpr, xstate| {
            super::bytes_to_register(desc, regnum, bytes, gpr, xstate)
        })
    }

    fn read_general(
        &mut self,
        desc: &TargetDescription,
        tid: Tid,
        regnum: usize,
    ) -> Result<Option<u64>> {
        let gpr = *self.gpr(tid)?;
        Ok(super::general_register(desc, regnum, &gpr))
    }
}
