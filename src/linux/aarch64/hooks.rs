//! The aarch64 hooks: `BRK #0`, the register cache of a stopped thread
//! (each register set read only when something needs it), and the target
//! description from the register sets the kernel offers.
//!
//! A stop costs at most one PTRACE_GETREGSET(NT_PRSTATUS) (the expedited
//! registers of the stop reply come from it); the FP/SIMD set, the masks
//! and tpidr are fetched when gdb asks for them. Writes go through to the
//! kernel at once.

use anyhow::{anyhow, Result};
use rgdbserver_arch::aarch64 as arch;
use rgdbserver_arch::TargetDescription;

use super::hw_debug::HwDebugRegisters;
use super::{RegisterSet, RegisterSets, FPSIMD_LEN, GPR_WORDS};
use crate::linux::{ArchHooks, ThreadRegisters, TrapCause};
use crate::ptrace::{self, PtraceError, PtraceResult, Tid};

const NT_PRSTATUS: u32 = 1;
const NT_PRFPREG: u32 = 2;
const NT_ARM_TLS: u32 = 0x401;
const NT_ARM_SVE: u32 = 0x405;
/// Room for the NT_ARM_SVE set of the longest vectors (2048 bits: about
/// 9 KiB).
const SVE_SET_MAX: usize = 16 * 1024;
const NT_ARM_PAC_MASK: u32 = 0x406;

/// `si_code` values of a SIGTRAP on arm64: a `BRK` reports TRAP_BRKPT with
/// the PC on it; a single step TRAP_TRACE; a debug-register hit
/// TRAP_HWBKPT (si_addr: the address accessed, or the breakpoint's).
const TRAP_BRKPT: i32 = 1;
const TRAP_TRACE: i32 = 2;
const TRAP_HWBKPT: i32 = 4;

/// x8 carries the syscall number.
const SYSCALL_NUMBER_REGISTER: usize = 8;

pub struct Aarch64;

impl ArchHooks for Aarch64 {
    type Registers = Aarch64Registers;
    type HwDebug = HwDebugRegisters;
    const BREAKPOINT_INSN: &'static [u8] = arch::BREAKPOINT_INSN;
    const PC_AFTER_BREAKPOINT: u64 = arch::PC_AFTER_BREAKPOINT_ADJUST;
    /// The watchpoint control registers select loads alone.
    const READ_WATCHPOINTS: bool = true;

    fn placeholder_description() -> TargetDescription {
        arch::target_description(arch::Aarch64Features::default())
    }

    /// sve (with the thread's vector length), pauth and tls when their
    /// register sets can be read.
    fn describe(tid: Tid) -> Result<TargetDescription> {
        let mut gpr = [0u8; GPR_WORDS * 8];
        ptrace::regset(tid, NT_PRSTATUS, &mut gpr)
            .map_err(|e| anyhow!("PTRACE_GETREGSET(NT_PRSTATUS) on {tid}: {e}"))?;
        let mut probe = [0u8; 16];
        let sve_vq = match ptrace::regset(tid, NT_ARM_SVE, &mut probe) {
            Ok(len) if len >= super::sve::HEADER => super::sve::vq(&probe) as u32,
            _ => 0,
        };
        if let Err(e) = super::hw_debug::probe_capacity(tid) {
            log::debug!("hardware debug slots of {tid}: {e}");
        }
        let features = arch::Aarch64Features {
            sve_vq,
            pauth: ptrace::regset(tid, NT_ARM_PAC_MASK, &mut probe).is_ok(),
            tls: ptrace::regset(tid, NT_ARM_TLS, &mut probe).is_ok(),
        };
        Ok(arch::target_description(features))
    }

    fn trap_cause(si_code: i32) -> TrapCause {
        match si_code {
            TRAP_BRKPT => TrapCause::Breakpoint,
            TRAP_TRACE => TrapCause::Step,
            TRAP_HWBKPT => TrapCause::Hardware,
            _ => TrapCause::Other,
        }
    }

    /// tcbhead_t on aarch64 (TLS_DTV_AT_TP): `dtv` first, at the thread
    /// pointer.
    fn dtv_offset_from_tp(_desc: &TargetDescription) -> u64 {
        0
    }

    /// glibc's aarch64 TCB sits after the `struct pthread`, whose size
    /// depends on the glibc build: no handle, as gdbserver without
    /// libthread_db gives none.
    fn thread_handle(_desc: &TargetDescription, _thread_pointer: u64) -> Option<u64> {
        None
    }

    fn siginfo_to_gdb(_desc: &TargetDescription, native: &[u8]) -> Vec<u8> {
        native.to_vec()
    }

    fn siginfo_from_gdb(_desc: &TargetDescription, program: &[u8], native: &mut [u8]) {
        let len = program.len().min(native.len());
        native[..len].copy_from_slice(&program[..len]);
    }
}

/// What has been read of a stopped thread's registers since its stop.
#[derive(Debug, Default)]
pub struct Aarch64Registers {
    sets: RegisterSets,
}

fn read_gpr(tid: Tid) -> PtraceResult<[u64; GPR_WORDS]> {
    let mut bytes = [0u8; GPR_WORDS * 8];
    let len = ptrace::regset(tid, NT_PRSTATUS, &mut bytes)?;
    if len != bytes.len() {
        return Err(PtraceError::Os {
            request: "PTRACE_GETREGSET(NT_PRSTATUS)",
            errno: libc::EIO,
        });
    }
    let mut gpr = [0u64; GPR_WORDS];
    for (word, chunk) in gpr.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut raw = [0u8; 8];
        raw.copy_from_slice(chunk);
        *word = u64::from_le_bytes(raw);
    }
    Ok(gpr)
}

fn write_gpr(tid: Tid, gpr: &[u64; GPR_WORDS]) -> PtraceResult<()> {
    let bytes: Vec<u8> = gpr.iter().flat_map(|w| w.to_le_bytes()).collect();
    ptrace::set_regset(tid, NT_PRSTATUS, &bytes)
}

impl Aarch64Registers {
    fn gpr(&mut self, tid: Tid) -> PtraceResult<&mut [u64; GPR_WORDS]> {
        if self.sets.gpr.is_none() {
            self.sets.gpr = Some(read_gpr(tid)?);
        }
        self.sets.gpr.as_mut().ok_or(PtraceError::Gone)
    }

    /// Reads the sets the description has that are not cached yet.
    fn fill(&mut self, desc: &TargetDescription, tid: Tid) -> PtraceResult<()> {
        self.fill_sets(&super::sets_of(desc), tid)
    }

    /// Reads the set one register is kept in, unless cached.
    fn fill_for(&mut self, desc: &TargetDescription, regnum: usize, tid: Tid) -> PtraceResult<()> {
        match desc.register(regnum).and_then(super::set_of) {
            Some(set) => self.fill_sets(&[set], tid),
            None => Ok(()),
        }
    }

    fn fill_sets(&mut self, sets: &[RegisterSet], tid: Tid) -> PtraceResult<()> {
        for &set in sets {
            match set {
                RegisterSet::General => {
                    self.gpr(tid)?;
                }
                RegisterSet::Fpsimd if self.sets.fpsimd.is_none() => {
                    let mut buf = vec![0u8; FPSIMD_LEN];
                    let len = ptrace::regset(tid, NT_PRFPREG, &mut buf)?;
                    buf.truncate(len);
                    buf.resize(FPSIMD_LEN, 0);
                    self.sets.fpsimd = Some(buf);
                }
                RegisterSet::Sve if self.sets.sve.is_none() => {
                    let mut buf = vec![0u8; SVE_SET_MAX];
                    let len = ptrace::regset(tid, NT_ARM_SVE, &mut buf)?;
                    buf.truncate(len);
                    if buf.len() < super::sve::HEADER {
                        return Err(PtraceError::Os {
                            request: "PTRACE_GETREGSET(NT_ARM_SVE)",
                            errno: libc::EIO,
                        });
                    }
                    self.sets.sve = Some(buf);
                }
                RegisterSet::PacMask if self.sets.pac_mask.is_none() => {
                    let mut buf = [0u8; 16];
                    ptrace::regset(tid, NT_ARM_PAC_MASK, &mut buf)?;
                    let word = |at: usize| {
                        let mut raw = [0u8; 8];
                        raw.copy_from_slice(&buf[at..at + 8]);
                        u64::from_le_bytes(raw)
                    };
                    self.sets.pac_mask = Some([word(0), word(8)]);
                }
                RegisterSet::Tls if self.sets.tpidr.is_none() => {
                    self.sets.tpidr = Some(read_tpidr(tid)?);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Writes the changed sets back to the kernel.
    fn store(&mut self, tid: Tid, changed: &[RegisterSet]) -> PtraceResult<()> {
        for set in changed {
            match set {
                RegisterSet::General => {
                    if let Some(gpr) = &self.sets.gpr {
                        write_gpr(tid, gpr)?;
                    }
                }
                // The FP/SIMD and SVE sets are two views of the same
                // registers: after writing one, the other is read afresh.
                RegisterSet::Fpsimd => {
                    if let Some(fpsimd) = &self.sets.fpsimd {
                        ptrace::set_regset(tid, NT_PRFPREG, fpsimd)?;
                    }
                    self.sets.sve = None;
                }
                RegisterSet::Sve => {
                    if let Some(sve) = &self.sets.sve {
                        ptrace::set_regset(tid, NT_ARM_SVE, sve)?;
                    }
                    self.sets.fpsimd = None;
                }
                RegisterSet::Tls => {
                    if let Some(tpidr) = self.sets.tpidr {
                        ptrace::set_regset(tid, NT_ARM_TLS, &tpidr.to_le_bytes())?;
                    }
                }
                RegisterSet::PacMask => {}
            }
        }
        Ok(())
    }
}

/// tpidr_el0, the thread pointer (the kernel may append tpidr2).
fn read_tpidr(tid: Tid) -> PtraceResult<u64> {
    let mut buf = [0u8; 16];
    ptrace::regset(tid, NT_ARM_TLS, &mut buf)?;
    let mut raw = [0u8; 8];
    raw.copy_from_slice(&buf[..8]);
    Ok(u64::from_le_bytes(raw))
}

impl ThreadRegisters for Aarch64Registers {
    fn pc(&mut self, tid: Tid) -> PtraceResult<u64> {
        Ok(self.gpr(tid)?[32])
    }

    fn set_pc(&mut self, tid: Tid, pc: u64) -> PtraceResult<()> {
        let gpr = self.gpr(tid)?;
        gpr[32] = pc;
        let copy = *gpr;
        write_gpr(tid, &copy)
    }

    fn syscall_number(&mut self, tid: Tid) -> PtraceResult<u64> {
        Ok(self.gpr(tid)?[SYSCALL_NUMBER_REGISTER])
    }

    fn thread_pointer(&mut self, _desc: &TargetDescription, tid: Tid) -> PtraceResult<u64> {
        if self.sets.tpidr.is_none() {
            self.sets.tpidr = Some(read_tpidr(tid)?);
        }
        self.sets.tpidr.ok_or(PtraceError::Gone)
    }

    fn read_all(&mut self, desc: &TargetDescription, tid: Tid, out: &mut Vec<u8>) -> Result<()> {
        self.fill(desc, tid)?;
        super::regs_to_g(desc, &self.sets, out);
        Ok(())
    }

    fn write_all(&mut self, desc: &TargetDescription, tid: Tid, g: &[u8]) -> Result<()> {
        self.fill(desc, tid)?;
        let changed = super::g_to_regs(desc, g, &mut self.sets).map_err(|e| anyhow!(e))?;
        Ok(self.store(tid, &changed)?)
    }

    fn read_one(
        &mut self,
        desc: &TargetDescription,
        tid: Tid,
        regnum: usize,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        self.fill_for(desc, regnum, tid)?;
        super::register_to_bytes(desc, regnum, &self.sets, out).map_err(|e| anyhow!(e))
    }

    fn write_one(
        &mut self,
        desc: &TargetDescription,
        tid: Tid,
        regnum: usize,
        bytes: &[u8],
    ) -> Result<()> {
        self.fill_for(desc, regnum, tid)?;
        let changed = super::bytes_to_register(desc, regnum, bytes, &mut self.sets)
            .map_err(|e| anyhow!(e))?;
        Ok(self.store(tid, changed.as_slice())?)
    }

    /// x0-x30, sp and pc come from the general set alone.
    fn read_general(
        &mut self,
        desc: &TargetDescription,
        tid: Tid,
        regnum: usize,
    ) -> Result<Option<u64>> {
        let Some(reg) = desc.register(regnum) else {
            return Ok(None);
        };
        if super::set_of(reg) != Some(RegisterSet::General) || reg.size() != 8 {
            return Ok(None);
        }
        self.gpr(tid)?;
        let mut out = Vec::with_capacity(8);
        super::register_to_bytes(desc, regnum, &self.sets, &mut out).map_err(|e| anyhow!(e))?;
        let mut raw = [0u8; 8];
        raw.copy_from_slice(&out[..8]);
        Ok(Some(u64::from_le_bytes(raw)))
    }
}
