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
//!
//! A statically linked program has no link maps: gdb sends 0 for `lm`,
//! and the program's own block is module 1, as gdbserver asks libthread_db
//! for it (`td_thr_tlsbase` of module 1).

use std::collections::BTreeMap;

use anyhow::{bail, Result};

use super::solibs::{L_ADDR, L_NEXT, L_PREV};
use super::Process;
use crate::ptrace::Tid;

const PT_TLS: u32 = 7;
/// The `lm` gdb sends for a program without link maps (statically linked).
const STATIC_PROGRAM: u64 = 0;
/// glibc numbers TLS modules from 1, and the program, when it has a TLS
/// segment, is always the first.
const PROGRAM_MODULE_ID: u64 = 1;
/// A DTV entry (dtv_t): the block pointer and what to free, two words.
const DTV_ENTRY_WORDS: u64 = 2;
/// More link maps than any program has: a loop in a corrupt list ends.
const MAX_MODULES: usize = 100_000;

impl Process {
    /// The address of `offset` in thread `tid`'s TLS block of the module
    /// whose link_map is at `lm` (0: the program, statically linked).
    pub fn tls_address(&mut self, tid: Tid, offset: u64, lm: u64) -> Result<u64> {
        let modid = match lm {
            STATIC_PROGRAM => PROGRAM_MODULE_ID,
            lm => self.cached_tls_module_id(lm)?,
        };
        let tp = self.thread_pointer(tid)?;
        let dtv = self.read_word(tp.wrapping_add(self.dtv_offset_from_tp()))?;
        let block = self.read_field(dtv, modid * DTV_ENTRY_WORDS)?;
        // glibc's TLS_DTV_UNALLOCATED: (void *) -1.
        if block == 0 || block == self.elf_class().all_ones() {
            bail!("the TLS block of module {modid} is not allocated in thread {tid}");
        }
        Ok(block.wrapping_add(offset))
    }

    /// `tls_module_id`, remembered while no thread runs: `thread apply
    /// all print` asks it once per thread, and each walk reads every link
    /// map and its program headers (20 system calls). Any thread that runs
    /// may dlopen or dlclose, so a run forgets it, and with threads running
    /// (non-stop) it is never kept.
    fn cached_tls_module_id(&mut self, lm: u64) -> Result<u64> {
        let epoch = super::thread::run_epoch();
        let all_stopped = self.all_threads_stopped();
        if all_stopped && self.tls_module_ids.epoch == epoch {
            if let Some(&modid) = self.tls_module_ids.ids.get(&lm) {
                return Ok(modid);
            }
        }
        let modid = self.tls_module_id(lm)?;
        if all_stopped {
            if self.tls_module_ids.epoch != epoch {
                self.tls_module_ids = TlsModuleIds {
                    epoch,
                    ids: BTreeMap::new(),
                };
            }
            self.tls_module_ids.ids.insert(lm, modid);
        }
        Ok(modid)
    }

    /// The module's TLS id: its rank among the link maps with a PT_TLS
    /// segment, the first map (the program) first.
    fn tls_module_id(&mut self, lm: u64) -> Result<u64> {
        let mut head = lm;
        for _ in 0..MAX_MODULES {
            let prev = self.read_field(head, L_PREV)?;
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
            map = self.read_field(map, L_NEXT)?;
        }
        bail!("link map {lm:#x} not found in its own list")
    }

    /// Does the module of this link map have a PT_TLS segment? The program
    /// (the first map) has its program headers where the auxiliary vector
    /// says; a shared object's are found from its ELF header at l_addr.
    fn has_tls_segment(&mut self, map: u64, is_program: bool) -> Result<bool> {
        let (phdr, phnum) = match is_program {
            true => self.program_headers()?,
            false => {
                let base = self.read_field(map, L_ADDR)?;
                match self.program_headers_at(base)? {
                    Some(headers) => headers,
                    // No ELF header there (l_addr is a bias, not where it
                    // is mapped): such a module is not one glibc gave TLS.
                    None => return Ok(false),
                }
            }
        };
        for i in 0..phnum.min(512) {
            if self.program_header(phdr, i)?.0 == PT_TLS {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Module ids by link map address, as read during one run epoch.
#[derive(Debug, Default, Clone)]
pub struct TlsModuleIds {
    epoch: u64,
    ids: BTreeMap<u64, u64>,
}
