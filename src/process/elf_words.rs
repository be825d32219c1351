//! The program's word size applied to what we read of its memory: the
//! ELF structures (program headers, dynamic section, auxiliary vector) of
//! a 64-bit or 32-bit program, and pointers of its width.
//!
//! glibc's own structures we walk (`struct r_debug`, `struct link_map`,
//! the TCB and DTV) are sequences of pointer-sized slots in both widths,
//! so their users give offsets in words and this module turns them into
//! bytes.

use anyhow::{bail, Context, Result};

use super::Process;

/// Where the fields we need sit in an ELF class's structures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ElfClass {
    /// Bytes in an address (4 or 8).
    pub word: u64,
    /// Size of one program header (Elf32_Phdr 32, Elf64_Phdr 56).
    pub phdr_size: u64,
    /// Offset of p_vaddr in a program header (p_type is at 0 in both).
    pub p_vaddr: usize,
    /// Offsets of e_phoff and e_phnum in the ELF header.
    pub e_phoff: usize,
    pub e_phnum: usize,
}

impl ElfClass {
    pub const ELF64: ElfClass = ElfClass {
        word: 8,
        phdr_size: 56,
        p_vaddr: 16,
        e_phoff: 32,
        e_phnum: 56,
    };
    pub const ELF32: ElfClass = ElfClass {
        word: 4,
        phdr_size: 32,
        p_vaddr: 8,
        e_phoff: 28,
        e_phnum: 44,
    };

    fn for_address_size(size: usize) -> ElfClass {
        match size {
            4 => ElfClass::ELF32,
            _ => ElfClass::ELF64,
        }
    }

    /// A word of the program from its little-endian bytes (missing bytes 0).
    pub fn word_from(&self, bytes: &[u8]) -> u64 {
        let mut raw = [0u8; 8];
        let len = (self.word as usize).min(bytes.len());
        raw[..len].copy_from_slice(&bytes[..len]);
        u64::from_le_bytes(raw)
    }

    /// The all-ones word (glibc's "unallocated" marks, `(void *) -1`).
    pub fn all_ones(&self) -> u64 {
        u64::MAX >> (64 - 8 * self.word)
    }
}

const AT_PHDR: u64 = 3;
const AT_PHNUM: u64 = 5;

impl Process {
    pub(super) fn elf_class(&self) -> ElfClass {
        ElfClass::for_address_size(self.desc.address_size)
    }

    /// The pointer-sized word at `addr`.
    pub(super) fn read_word(&mut self, addr: u64) -> Result<u64> {
        let [word] = self.read_fields(addr)?;
        Ok(word)
    }

    /// The word `index` words past `addr` (a field of a glibc structure).
    pub(super) fn read_field(&mut self, addr: u64, index: u64) -> Result<u64> {
        let word = self.elf_class().word;
        self.read_word(addr.wrapping_add(index * word))
    }

    /// The N consecutive words at `addr` (the leading fields of a glibc
    /// structure), in one read.
    pub(super) fn read_fields<const N: usize>(&mut self, addr: u64) -> Result<[u64; N]> {
        let class = self.elf_class();
        let word = class.word as usize;
        // Up to 8 words of 8 bytes on the stack; more is a caller's bug.
        let mut bytes = [0u8; 64];
        let bytes = bytes
            .get_mut(..N * word)
            .ok_or_else(|| anyhow::anyhow!("read_fields: {N} words do not fit"))?;
        self.read_exact(addr, bytes)?;
        let mut fields = [0u64; N];
        for (field, chunk) in fields.iter_mut().zip(bytes.chunks_exact(word)) {
            *field = class.word_from(chunk);
        }
        Ok(fields)
    }

    /// p_type and p_vaddr of program header `index` of the table at `phdr`.
    pub(super) fn program_header(&mut self, phdr: u64, index: u64) -> Result<(u32, u64)> {
        let class = self.elf_class();
        let mut header = [0u8; 24];
        let len = class.p_vaddr + class.word as usize;
        self.read_exact(
            phdr.wrapping_add(index * class.phdr_size),
            &mut header[..len],
        )?;
        let p_type = u32::from_le_bytes(header[..4].try_into()?);
        Ok((p_type, class.word_from(&header[class.p_vaddr..len])))
    }

    /// Where the program headers of the ELF image mapped at `base` are,
    /// and how many; None without an ELF header there.
    pub(super) fn program_headers_at(&mut self, base: u64) -> Result<Option<(u64, u64)>> {
        let class = self.elf_class();
        let mut ehdr = [0u8; 64];
        self.read_exact(base, &mut ehdr[..class.e_phnum + 2])?;
        if &ehdr[..4] != b"\x7fELF" {
            return Ok(None);
        }
        let phoff = class.word_from(&ehdr[class.e_phoff..]);
        let phnum = u16::from_le_bytes(ehdr[class.e_phnum..class.e_phnum + 2].try_into()?);
        Ok(Some((base.wrapping_add(phoff), u64::from(phnum))))
    }

    /// Where the program's headers are and how many: from the auxiliary
    /// vector, read once per program (an exec forgets it).
    pub(super) fn program_headers(&mut self) -> Result<(u64, u64)> {
        if let Some(found) = self.program_headers {
            return Ok(found);
        }
        let found = self.program_headers_from_auxv()?;
        self.program_headers = Some(found);
        Ok(found)
    }

    /// The program's own program headers, as the auxiliary vector gives
    /// them (AT_PHDR, AT_PHNUM); its entries are pairs of words.
    fn program_headers_from_auxv(&self) -> Result<(u64, u64)> {
        let auxv = std::fs::read(format!("/proc/{}/auxv", self.pid))
            .with_context(|| format!("reading /proc/{}/auxv", self.pid))?;
        let class = self.elf_class();
        let mut phdr = None;
        let mut phnum = None;
        for pair in auxv.chunks_exact(2 * class.word as usize) {
            let (key, value) = pair.split_at(class.word as usize);
            match class.word_from(key) {
                AT_PHDR => phdr = Some(class.word_from(value)),
                AT_PHNUM => phnum = Some(class.word_from(value)),
                _ => {}
            }
        }
        Ok((
            phdr.context("no AT_PHDR in the auxiliary vector")?,
            phnum.context("no AT_PHNUM in the auxiliary vector")?,
        ))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_of_each_class() {
        let bytes = 0x1122_3344_5566_7788u64.to_le_bytes();
        assert_eq!(ElfClass::ELF64.word_from(&bytes), 0x1122_3344_5566_7788);
        assert_eq!(ElfClass::ELF32.word_from(&bytes), 0x5566_7788);
        assert_eq!(ElfClass::ELF32.word_from(&bytes[..2]), 0x7788);
        assert_eq!(ElfClass::ELF32.all_ones(), 0xffff_ffff);
        assert_eq!(ElfClass::ELF64.all_ones(), u64::MAX);
    }
}
