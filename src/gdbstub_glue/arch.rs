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

    /// gdbstub asks a register file for its PC only on paths we do not
    /// take (the packet layer and the process answer for the PC, which
    /// the description places); the raw bytes do not know where it is.
    fn pc(&self) -> u64 {
        0
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

/// The one `Arch` for every architecture: the description says the rest.
pub enum LinuxTarget {}

impl Arch for LinuxTarget {
    type Usize = u64;
    type Registers = RawRegisters;
    type BreakpointKind = usize;
    type RegId = RegNum;
}
