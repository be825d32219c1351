//! Memory of the traced process through /proc/PID/mem, with our software
//! breakpoints hidden.
//!
//! /proc/PID/mem (pread/pwrite) reads and writes in one syscall per request,
//! works while threads run, and writes read-only text (the kernel uses
//! FOLL_FORCE for ptracers). Invariant: what gdb reads never shows an inserted
//! breakpoint byte, and what gdb writes over one updates the saved original so
//! removing the breakpoint restores gdb's bytes.
//!
//! gdb removes every breakpoint at each stop and inserts them all again
//! before it resumes (z0 ... Z0 ... vCont). A breakpoint removed while the
//! whole process is stopped therefore lingers: its instruction stays in
//! memory, hidden like an inserted one, until the process next runs; a Z0
//! at the same address takes it back at no cost. Only what is still
//! removed when a thread is about to run is written back
//! (`restore_lingering`), so a hit costs no memory access for the pair.

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use crate::ptrace::Pid;

/// Inserted software breakpoints: address -> the original bytes under them.
#[derive(Debug, Default, Clone)]
pub struct Breakpoints {
    inserted: BTreeMap<u64, Vec<u8>>,
    /// Removed by gdb, still in memory until the process runs.
    lingering: BTreeMap<u64, Vec<u8>>,
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

    /// (address, original bytes) of every breakpoint instruction in
    /// memory, lingering ones included.
    pub fn originals(&self) -> Vec<(u64, Vec<u8>)> {
        self.inserted
            .iter()
            .chain(&self.lingering)
            .map(|(a, o)| (*a, o.clone()))
            .collect()
    }

    pub fn clear(&mut self) {
        self.inserted.clear();
        self.lingering.clear();
    }

    /// Breakpoint instructions overlapping [addr, addr+len), lingering ones
    /// included, with their original bytes.
    fn overlapping(&mut self, addr: u64, len: usize) -> impl Iterator<Item = (&u64, &mut Vec<u8>)> {
        let end = addr.saturating_add(len as u64);
        // A breakpoint starting up to 15 bytes before `addr` may still overlap.
        let range = addr.saturating_sub(15)..end;
        self.inserted
            .range_mut(range.clone())
            .chain(self.lingering.range_mut(range))
            .filter(move |(bp, orig)| bp.saturating_add(orig.len() as u64) > addr)
    }

    /// Is a breakpoint instruction of ours in memory at `addr` (inserted,
    /// or removed by gdb and lingering)?
    pub fn in_memory_at(&self, addr: u64) -> bool {
        self.inserted.contains_key(&addr) || self.lingering.contains_key(&addr)
    }

    /// No breakpoint instruction of ours is in memory.
    pub fn none_in_memory(&self) -> bool {
        self.inserted.is_empty() && self.lingering.is_empty()
    }

    /// Has gdb removed breakpoints whose instruction is still in memory?
    pub fn any_lingering(&self) -> bool {
        !self.lingering.is_empty()
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
        if let Some(orig) = bps.lingering.remove(&addr) {
            // Removed and inserted again within one stop: still in memory.
            bps.inserted.insert(addr, orig);
            return Ok(());
        }
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

    /// gdb's z0. `linger`: every thread is stopped, so the instruction
    /// may stay in memory until one runs (see the module comment).
    pub fn remove_breakpoint(
        &self,
        bps: &mut Breakpoints,
        addr: u64,
        linger: bool,
    ) -> io::Result<bool> {
        match bps.inserted.remove(&addr) {
            Some(orig) if linger => {
                bps.lingering.insert(addr, orig);
                Ok(true)
            }
            Some(orig) => {
                self.write_raw(addr, &orig)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Before a thread runs: write back what lingering breakpoints hide.
    pub fn restore_lingering(&self, bps: &mut Breakpoints) {
        for (addr, orig) in std::mem::take(&mut bps.lingering) {
            if let Err(e) = self.write_raw(addr, &orig) {
                log::warn!("cannot remove breakpoint at {addr:#x}: {e}");
            }
        }
    }

    /// Put every original byte back (detach).
    pub fn remove_all_breakpoints(&self, bps: &mut Breakpoints) {
        self.restore_lingering(bps);
        for addr in bps.addresses() {
            if let Err(e) = self.remove_breakpoint(bps, addr, false) {
                log::warn!("cannot remove breakpoint at {addr:#x}: {e}");
            }
        }
        bps.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Our own memory through /proc/self/mem stands in for a tracee's.
    fn own_memory() -> Memory {
        match Memory::open(Pid::new(std::process::id() as i32)) {
            Ok(memory) => memory,
            Err(e) => panic!("open our own /proc/PID/mem: {e}"),
        }
    }

    #[test]
    fn a_breakpoint_removed_while_stopped_lingers_until_restored() {
        let memory = own_memory();
        let code = Box::new([0x90u8; 16]);
        let addr = code.as_ptr() as u64 + 4;
        // Any bytes do: the table hides whatever instruction it wrote.
        let insn = [0xab];
        let mut bps = Breakpoints::default();
        let raw = |memory: &Memory| {
            let mut byte = [0u8];
            memory
                .read_raw(addr, &mut byte)
                .map(|_| byte[0])
                .unwrap_or(0)
        };
        let shown = |memory: &Memory, bps: &mut Breakpoints| {
            let mut byte = [0u8];
            memory
                .read(bps, addr, &mut byte)
                .map(|_| byte[0])
                .unwrap_or(0)
        };
        assert!(memory.insert_breakpoint(&mut bps, addr, &insn).is_ok());
        assert_eq!(raw(&memory), 0xab);
        assert!(matches!(
            memory.remove_breakpoint(&mut bps, addr, true),
            Ok(true)
        ));
        // Still in memory, hidden from gdb, not a breakpoint any more.
        assert_eq!(raw(&memory), 0xab);
        assert_eq!(shown(&memory, &mut bps), 0x90);
        assert!(!bps.contains(addr));
        assert!(bps.any_lingering());
        // gdb writes over it: the saved byte takes the write.
        assert!(memory.write(&mut bps, addr, &[0x91], &insn).is_ok());
        assert_eq!(raw(&memory), 0xab);
        assert_eq!(shown(&memory, &mut bps), 0x91);
        // Inserted again: taken back, no write needed.
        assert!(memory.insert_breakpoint(&mut bps, addr, &insn).is_ok());
        assert!(bps.contains(addr) && !bps.any_lingering());
        // Removed for good, then the process runs: the byte is back.
        assert!(matches!(
            memory.remove_breakpoint(&mut bps, addr, true),
            Ok(true)
        ));
        memory.restore_lingering(&mut bps);
        assert_eq!(raw(&memory), 0x91);
        assert!(!bps.any_lingering());
        // SAFETY: reads a byte of the live buffer; volatile, since it was
        // changed behind the compiler's back.
        assert_eq!(
            unsafe { std::ptr::read_volatile(code.as_ptr().add(4)) },
            0x91
        );
        // Removed while threads run: written back at once.
        assert!(memory.insert_breakpoint(&mut bps, addr, &insn).is_ok());
        assert!(matches!(
            memory.remove_breakpoint(&mut bps, addr, false),
            Ok(true)
        ));
        assert_eq!(raw(&memory), 0x91);
    }
}
