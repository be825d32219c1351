//! Thread-local storage addresses for gdb (`qGetTLSAddr`): the address of
//! a `__thread` variable (or `errno`) of one thread, given the module's
//! `struct link_map` and the variable's offset in the module's TLS block.
//!
//! gdbserver asks libthread_db; we read what glibc itself uses: the
//! module's TLS id is its rank among the modules with a PT_TLS segment in
//! link-map order (glibc numbers them so as it loads them at startup:
//! the program first), and the thread's DTV (dynamic thread vector, found
//! from the thread pointer) holds each module's block address. A module
//! whose block is not allocated yet in this thread (dlopen'ed, not
//! touched) is an error, as with libthread_db.

use anyhow::{bail, Context, Result};

use super::solibs::{L_ADDR, L_NEXT, L_PREV};
use super::Process;
use crate::linux::{ArchHooks, Native, ThreadRegisters};
use crate::ptrace::Tid;

const PT_TLS: u32 = 7;
const AT_PHDR: u64 = 3;
const AT_PHNUM: u64 = 5;
/// A DTV entry (dtv_t): the block pointer and what to free, 16 bytes.
const DTV_ENTRY: u64 = 16;
/// glibc's mark for a block not allocated yet.
const TLS_DTV_UNALLOCATED: u64 = u64::MAX;
/// More link maps than any program has: a loop in a corrupt list ends.
const MAX_MODULES: usize = 100_000;

impl Process {
    /// The address of `offset` in thread `tid`'s TLS block of the module
    /// whose link_map is at `lm`.
    pub fn tls_address(&mut self, tid: Tid, offset: u64, lm: u64) -> Result<u64> {
        let modid = self.tls_module_id(lm)?;
        let tp = self.thread_mut(tid)?.regs.thread_pointer(tid)?;
        let dtv = self.read_u64(tp.wrapping_add(Native::DTV_OFFSET_FROM_TP))?;
        let block = self.read_u64(dtv.wrapping_add(modid * DTV_ENTRY))?;
        if block == 0 || block == TLS_DTV_UNALLOCATED {
            bail!("the TLS block of module {modid} is not allocated in thread {tid}");
        }
        Ok(block.wrapping_add(offset))
    }

    /// The module's TLS id: its rank among the link maps with a PT_TLS
    /// segment, the first map (the program) first.
    fn tls_module_id(&mut self, lm: u64) -> Result<u64> {
        let mut head = lm;
        for _ in 0..MAX_MODULES {
            let prev = self.read_u64(head.wrapping_add(L_PREV))?;
            if prev == 0 {
                break;
            }
            head = prev;
        }
        let mut map = head;
        let mut modid = 0;
        for _ in 0..MAX_MODULES {
            if map == 0 {
                break;
            }
            if self.has_tls_segment(map, map == head)? {
                modid += 1;
            }
            if map == lm {
                if modid == 0 {
                    bail!("module at {lm:#x} has no TLS segment");
                }
                return Ok(modid);
            }
            map = self.read_u64(map.wrapping_add(L_NEXT))?;
        }
        bail!("link map {lm:#x} not found in its own list")
    }

    /// Does the module of this link map have a PT_TLS segment? The program
    /// (the first map) has its program headers where the auxiliary vector
    /// says; a shared object's are found from its ELF header at l_addr.
    fn has_tls_segment(&mut self, map: u64, is_program: bool) -> Result<bool> {
        let (phdr, phnum) = match is_program {
            true => self.program_headers_from_auxv()?,
            false => {
                let base = self.read_u64(map.wrapping_add(L_ADDR))?;
                let mut ehdr = [0u8; 64];
                self.read_exact(base, &mut ehdr)?;
                if &ehdr[..4] != b"\x7fELF" {
                    // No ELF header there (l_addr is a bias, not where it
                    // is mapped): such a module is not one glibc gave TLS.
                    return Ok(false);
                }
                let phoff = u64::from_le_bytes(ehdr[32..40].try_into()?);
                let phnum = u16::from_le_bytes(ehdr[56..58].try_into()?);
                (base + phoff, u64::from(phnum))
            }
        };
        for i in 0..phnum.min(512) {
            let mut p_type = [0u8; 4];
            // Elf64_Phdr is 56 bytes, p_type first.
            self.read_exact(phdr.wrapping_add(i * 56), &mut p_type)?;
            if u32::from_le_bytes(p_type) == PT_TLS {
                return Ok(true);
            }
        }
        Ok(false)
    }

    pub(super) fn program_headers_from_auxv(&self) -> Result<(u64, u64)> {
        let auxv = std::fs::read(format!("/proc/{}/auxv", self.pid))
            .with_context(|| format!("reading /proc/{}/auxv", self.pid))?;
        let mut phdr = None;
        let mut phnum = None;
        for pair in auxv.chunks_exact(16) {
            let key = u64::from_le_bytes(pair[..8].try_into()?);
            let value = u64::from_le_bytes(pair[8..].try_into()?);
            match key {
                AT_PHDR => phdr = Some(value),
                AT_PHNUM => phnum = Some(value),
                _ => {}
            }
        }
        Ok((
            phdr.context("no AT_PHDR in the auxiliary vector")?,
            phnum.context("no AT_PHNUM in the auxiliary vector")?,
        ))
    }

    pub(super) fn read_u64(&mut self, addr: u64) -> Result<u64> {
        let mut bytes = [0u8; 8];
        self.read_exact(addr, &mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    pub(super) fn read_exact(&mut self, addr: u64, buf: &mut [u8]) -> Result<()> {
        let n = self
            .read_memory(addr, buf)
            .with_context(|| format!("reading {:#x} bytes at {addr:#x}", buf.len()))?;
        if n != buf.len() {
            bail!("short read at {addr:#x}");
        }
        Ok(())
    }
}
