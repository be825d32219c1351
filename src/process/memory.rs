//! Memory of the traced process through /proc/PID/mem, with our software
//! breakpoints hidden.
//!
//! /proc/PID/mem (pread/pwrite) reads and writes in one syscall per request,
//! works while threads run, and writes read-only text (the kernel uses
//! FOLL_FORCE for ptracers). Invariant: what gdb reads never shows an inserted
//! breakpoint byte, and what gdb writes over one updates the saved original so
//! removing the breakpoint restores gdb's bytes.

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use crate::ptrace::Pid;

/// Inserted software breakpoints: address -> the original bytes under them.
#[derive(Debug, Default, Clone)]
pub struct Breakpoints {
    inserted: BTreeMap<u64, Vec<u8>>,
}

/// At most this many software breakpoints per process (about 30 MB of
/// table): a client asking for millions gets errors, not our memory. gdb's
/// `rbreak .` on a large program sets tens of thousands.
pub const MAX_BREAKPOINTS: usize = 1 << 18;

impl Breakpoints {
    pub fn contains(&self, addr: u64) -> bool {
        self.inserted.contains_key(&addr)
    }

    pub fn addresses(&self) -> Vec<u64> {
        self.inserted.keys().copied().collect()
    }

    /// (address, original bytes) of every inserted breakpoint.
    pub fn originals(&self) -> Vec<(u64, Vec<u8>)> {
        self.inserted.iter().map(|(a, o)| (*a, o.clone())).collect()
    }

    pub fn clear(&mut self) {
        self.inserted.clear();
    }

    /// Breakpoints overlapping [addr, addr+len), with their original bytes.
    fn overlapping(&mut self, addr: u64, len: usize) -> impl Iterator<Item = (&u64, &mut Vec<u8>)> {
        let end = addr.saturating_add(len as u64);
        // A breakpoint starting up to 15 bytes before `addr` may still overlap.
        self.inserted
            .range_mut(addr.saturating_sub(15)..end)
            .filter(move |(bp, orig)| bp.saturating_add(orig.len() as u64) > addr)
    }
}

pub struct Memory {
    file: File,
}

impl Memory {
    pub fn open(pid: Pid) -> io::Result<Memory> {
        let path = format!("/proc/{pid}/mem");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("cannot open {path}: {e}")))?;
        Ok(Memory { file })
    }

    /// Read raw bytes (breakpoints visible). Returns how many bytes were
    /// readable from `addr` on; 0 means none.
    pub fn read_raw(&self, addr: u64, buf: &mut [u8]) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            match self
                .file
                .read_at(&mut buf[done..], addr.wrapping_add(done as u64))
            {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(done)
    }

    pub fn write_raw(&self, addr: u64, data: &[u8]) -> io::Result<()> {
        let mut done = 0;
        while done < data.len() {
            match self
                .file
                .write_at(&data[done..], addr.wrapping_add(done as u64))
            {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "short write")),
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Read as gdb sees memory: original bytes where our breakpoints are.
    pub fn read(&self, bps: &mut Breakpoints, addr: u64, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.read_raw(addr, buf)?;
        for (&bp, orig) in bps.overlapping(addr, n) {
            for (i, byte) in orig.iter().enumerate() {
                let a = bp + i as u64;
                if a >= addr && a < addr + n as u64 {
                    buf[(a - addr) as usize] = *byte;
                }
            }
        }
        Ok(n)
    }

    /// Write as gdb means it: bytes under a breakpoint go to its saved copy,
    /// the breakpoint instruction stays in memory.
    pub fn write(
        &self,
        bps: &mut Breakpoints,
        addr: u64,
        data: &[u8],
        insn: &[u8],
    ) -> io::Result<()> {
        let mut patched: Option<Vec<u8>> = None;
        for (&bp, orig) in bps.overlapping(addr, data.len()) {
            let out = patched.get_or_insert_with(|| data.to_vec());
            for (i, saved) in orig.iter_mut().enumerate() {
                let a = bp + i as u64;
                if a >= addr && a < addr + data.len() as u64 {
                    let idx = (a - addr) as usize;
                    *saved = data[idx];
                    out[idx] = insn.get(i).copied().unwrap_or(data[idx]);
                }
            }
        }
        self.write_raw(addr, patched.as_deref().unwrap_or(data))
    }

    pub fn insert_breakpoint(
        &self,
        bps: &mut Breakpoints,
        addr: u64,
        insn: &[u8],
    ) -> io::Result<()> {
        if bps.contains(addr) {
            // Still ours, unless the code under it was replaced: a library
            // unloaded (gdb forgets its breakpoints without removing them)
            // and another mapped at the same address. Then the breakpoint
            // is set anew over the new code.
            let mut current = vec![0u8; insn.len()];
            if self.read_raw(addr, &mut current).ok() == Some(insn.len()) && current == insn {
                return Ok(());
            }
            bps.inserted.remove(&addr);
        }
        if bps.inserted.len() >= MAX_BREAKPOINTS {
            return Err(io::Error::new(
                io::ErrorKind::OutOfMemory,
                format!("more than {MAX_BREAKPOINTS} breakpoints"),
            ));
        }
        let mut orig = vec![0u8; insn.len()];
        // Read through the shadow so an overlapping breakpoint's byte is not
        // saved as "original".
        let n = self.read(bps, addr, &mut orig)?;
        if n != insn.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "breakpoint address not readable",
            ));
        }
        self.write_raw(addr, insn)?;
        bps.inserted.insert(addr, orig);
        Ok(())
    }

    pub fn remove_breakpoint(&self, bps: &mut Breakpoints, addr: u64) -> io::Result<bool> {
        match bps.inserted.remove(&addr) {
            Some(orig) => {
                self.write_raw(addr, &orig)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Put every original byte back (detach).
    pub fn remove_all_breakpoints(&self, bps: &mut Breakpoints) {
        for addr in bps.addresses() {
            if let Err(e) = self.remove_breakpoint(bps, addr) {
                log::warn!("cannot remove breakpoint at {addr:#x}: {e}");
            }
        }
        bps.clear();
    }
}
