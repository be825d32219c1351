//! `qSearch:memory` (gdb's `find`): look for a byte pattern in the
//! program's memory in the server, a chunk at a time, instead of gdb
//! reading the whole range with `m` packets. Breakpoints are hidden, as in
//! every read.

use anyhow::{bail, Context, Result};

use super::Process;

/// How much memory one read covers.
const CHUNK: usize = 64 * 1024;

impl Process {
    /// The first address in `[addr, addr + len)` where `pattern` starts,
    /// the whole pattern inside the range. An unreadable byte before a
    /// match is an error, as in gdbserver.
    pub fn search_memory(&mut self, addr: u64, len: u64, pattern: &[u8]) -> Result<Option<u64>> {
        if pattern.is_empty() || (pattern.len() as u64) > len {
            return Ok(None);
        }
        // Each chunk after the first starts with the previous chunk's last
        // `pattern.len() - 1` bytes, so a match across the seam is found.
        let overlap = pattern.len() - 1;
        let mut buf = vec![0u8; CHUNK.max(pattern.len() * 2)];
        let mut kept = 0;
        let mut at = addr;
        let end = addr.saturating_add(len);
        while at < end {
            let room = buf.len() - kept;
            let n = (end - at).min(room as u64) as usize;
            let read = self
                .read_memory(at, &mut buf[kept..kept + n])
                .with_context(|| format!("reading {n:#x} bytes at {at:#x}"))?;
            if read != n {
                bail!("cannot read memory at {:#x}", at + read as u64);
            }
            let have = kept + n;
            let start = at - kept as u64;
            if let Some(i) = buf[..have]
                .windows(pattern.len())
                .position(|w| w == pattern)
            {
                return Ok(Some(start + i as u64));
            }
            kept = overlap.min(have);
            buf.copy_within(have - kept..have, 0);
            at += n as u64;
        }
        Ok(None)
    }
}
