//! The gdbstub `Arch` we present: registers are carried as the raw `g` packet
//! bytes, because the layout (AVX, AVX-512, PKU) is only known at run time
//! from XCR0. The target description itself is served through
//! `TargetDescriptionXmlOverride` from arch/'s runtime description.

use std::num::NonZeroUsize;

use gdbstub::arch::{Arch, RegId, Registers};

/// The whole register file in `g` packet order (raw little-endian bytes).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RawRegisters {
    pub bytes: Vec<u8>,
}

impl Registers for RawRegisters {
    type ProgramCounter = u64;

    fn pc(&self) -> u64 {
        // rip is register 16, after sixteen 8-byte registers.
        self.bytes
            .get(128..136)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
            .unwrap_or(0)
    }

    fn gdb_serialize(&self, mut write_byte: impl FnMut(Option<u8>)) {
        for &b in &self.bytes {
            write_byte(Some(b));
        }
    }

    fn gdb_deserialize(&mut self, bytes: &[u8]) -> Result<(), ()> {
        self.bytes = bytes.to_vec();
        Ok(())
    }
}

/// A register by gdb's number; its size comes from the runtime description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegNum(pub usize);

impl RegId for RegNum {
    fn from_raw_id(id: usize) -> Option<(Self, Option<NonZeroUsize>)> {
        Some((RegNum(id), None))
    }
}

pub enum LinuxX86_64 {}

impl Arch for LinuxX86_64 {
    type Usize = u64;
    type Registers = RawRegisters;
    type BreakpointKind = usize;
    type RegId = RegNum;
}
