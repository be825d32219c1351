//! rgdbserver-arch: pure per-architecture data, no ptrace and no `cfg(target_arch)`
//! (x86_64 and its i386 mode, aarch64).
//!
//! Owns, for each architecture, the register layout in gdb's numbering, the
//! target-description XML that gdbserver would send, the breakpoint instruction,
//! the PC adjustment after a breakpoint trap, and the gdb <-> Linux signal
//! numbering. Everything here compiles and is unit-tested on any host.
//!
//! Invariant: for every `TargetDescription`, the registers appear in `regnum`
//! order, `offset` is the running sum of the sizes before them, and
//! `g_packet_len` is the sum of all sizes: exactly the `g` packet gdb expects
//! for `xml`.

pub mod aarch64;
pub mod i386;
pub mod signals;
mod tdesc;
pub mod x86_64;

/// What a hardware breakpoint or watchpoint fires on, whatever the
/// architecture's registers for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HwKind {
    /// Instruction execution (hardware breakpoint); length 1.
    Execute,
    /// Data writes.
    Write,
    /// Data reads (not on x86, whose debug registers watch writes or
    /// accesses only).
    Read,
    /// Data reads or writes.
    Access,
}

/// One register as gdb numbers it in the target description and the `g` packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterDesc {
    pub name: &'static str,
    pub bitsize: u32,
    /// gdb's register number: the position in the target description and the `g` packet.
    pub regnum: usize,
    /// Byte offset of this register's raw little-endian bytes in the `g` packet.
    pub offset: usize,
    /// The tdesc type ("int64", "code_ptr", "data_ptr", "i387_ext", "vec128", ...).
    pub type_name: &'static str,
    /// The tdesc group ("float", "vector", ...), when it has one.
    pub group: Option<&'static str>,
    /// The tdesc feature it belongs to ("org.gnu.gdb.i386.core", ...).
    pub feature: &'static str,
}

impl RegisterDesc {
    /// Size of the register in the `g` packet, in bytes.
    pub fn size(&self) -> usize {
        (self.bitsize as usize).div_ceil(8)
    }

    /// A value for this register (`P`, a slice of `G`) must be its full size.
    pub fn check_size(&self, bytes: &[u8]) -> Result<(), String> {
        match bytes.len() == self.size() {
            true => Ok(()),
            false => Err(format!(
                "{}: {} bytes given, {} expected",
                self.name,
                bytes.len(),
                self.size()
            )),
        }
    }
}

/// A complete target description: the XML gdb reads and the layout it implies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetDescription {
    pub registers: Vec<RegisterDesc>,
    /// The whole `target.xml` document, self-contained (no xi:include).
    pub xml: String,
    pub g_packet_len: usize,
    pub pc_regnum: usize,
    pub sp_regnum: usize,
    pub fp_regnum: usize,
    /// Bytes in the program's addresses and pointers (8 or 4): how its
    /// link maps, TLS blocks and thread handles are laid out.
    pub address_size: usize,
}

impl TargetDescription {
    pub fn register(&self, regnum: usize) -> Option<&RegisterDesc> {
        self.registers.get(regnum)
    }

    pub fn register_by_name(&self, name: &str) -> Option<&RegisterDesc> {
        self.registers.iter().find(|r| r.name == name)
    }
}
