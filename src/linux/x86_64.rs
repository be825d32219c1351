//! x86_64: `user_regs_struct` + XSAVE area <-> gdb's amd64 or i386 `g`
//! packet.
//!
//! Owns the mapping from each register of an amd64 [`TargetDescription`] to
//! where the kernel keeps it: a `user_regs_struct` field (GPRs, rip, eflags,
//! segments, orig_rax, fs_base, gs_base; an i386 program's eax..eip and
//! orig_eax in their low halves), the FXSAVE legacy region (x87,
//! xmm0-15, mxcsr) or an XSAVE component (ymm upper halves, AVX-512, PKRU).
//! That mapping is one table, `locate`; whole-packet (`g`/`G`) and
//! single-register (`p`/`P`) access both go through it (`g` through its
//! results kept per description). No ptrace in this
//! file: `hooks` (the `linux::ArchHooks` implementation) fetches and stores
//! the buffers, and `debug_registers` owns DR0-DR7.
//!
//! Invariants, as GNU gdbserver's i387 code keeps them: a component whose
//! XSTATE_BV bit is clear reads as its init state (zeros; fctrl 0x37f, ftag
//! all-empty 0xffff, mxcsr 0x1f80 while both SSE and AVX are init); the x87
//! tag goes out as the full 16-bit i387 tag word and comes back abridged;
//! a write leaves unchanged registers alone, so writing back what was read
//! never turns an init component live.

mod debug_registers;
mod hooks;
mod siginfo32;
mod xsave;

pub use hooks::X86_64;

pub use xsave::{xcr0_from_xstate, xstate_buffer_len, XsaveLayout};

use std::cell::RefCell;

use libc::user_regs_struct;
use rgdbserver_arch::x86_64::xstate;
use rgdbserver_arch::{RegisterDesc, TargetDescription};

use xsave::{
    make_live, put, read_u16, read_u32, xstate_bv, FCTRL, FCTRL_INIT, FIOFF, FISEG, FOOFF, FOP,
    FOSEG, FSTAT, FTAG, FTAG_ALL_EMPTY, MXCSR, MXCSR_INIT, ST_SPACE, ST_STRIDE, XMM_SPACE,
};

/// The `user_regs_struct` fields gdb names; gdb's names are the field names.
macro_rules! gpr_fields {
    ($($field:ident)*) => {
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Gpr { $($field),* }

        impl Gpr {
            fn from_name(name: &str) -> Option<Gpr> {
                match name {
                    $(stringify!($field) => Some(Gpr::$field),)*
                    _ => None,
                }
            }

            fn get(self, regs: &user_regs_struct) -> u64 {
                match self { $(Gpr::$field => regs.$field),* }
            }

            fn slot(self, regs: &mut user_regs_struct) -> &mut u64 {
                match self { $(Gpr::$field => &mut regs.$field),* }
            }
        }
    };
}

gpr_fields!(
    rax rbx rcx rdx rsi rdi rbp rsp r8 r9 r10 r11 r12 r13 r14 r15 rip
    eflags cs ss ds es fs gs orig_rax fs_base gs_base
);

/// Where one gdb register lives in the kernel's register sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Location {
    /// A whole 64-bit `user_regs_struct` field.
    Gpr(Gpr),
    /// eflags and the segment selectors: gdb shows 32 bits of a 64-bit field.
    Gpr32(Gpr),
    /// An i386 register kept in a 64-bit field (eax in rax, eip in rip):
    /// 32 bits shown, the whole field written zero-extended, eax
    /// sign-extended, as gdbserver writes them (a negative eax is an error
    /// return the kernel's syscall restart looks at; it reads orig_eax as
    /// an int either way).
    Compat32 {
        gpr: Gpr,
        signed: bool,
    },
    /// Raw little-endian bytes of an XSAVE component (x87 and SSE included).
    Xsave {
        component: u64,
        offset: usize,
        len: usize,
    },
    /// A 16-bit x87 word (fctrl, fstat, fiseg, foseg) widened to 32 bits.
    X87Word {
        offset: usize,
        init: u16,
    },
    /// The 11-bit last opcode.
    Fop,
    /// The full tag word, rebuilt from the abridged FXSAVE tag.
    Ftag,
    Mxcsr,
}

/// Splits "ymm12h" into ("ymm", 12, "h").
fn numbered(name: &str) -> Option<(&str, usize, &str)> {
    let start = name.find(|c: char| c.is_ascii_digit())?;
    let len = name[start..]
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(name.len() - start);
    let n = name[start..start + len].parse().ok()?;
    Some((&name[..start], n, &name[start + len..]))
}

/// The one table from register name to storage.
fn locate(name: &str, layout: &XsaveLayout) -> Option<Location> {
    let xsave = |component, offset, len| {
        Some(Location::Xsave {
            component,
            offset,
            len,
        })
    };
    let word = |offset, init| Some(Location::X87Word { offset, init });
    let compat = |gpr, signed| Some(Location::Compat32 { gpr, signed });
    match name {
        "eax" => return compat(Gpr::rax, true),
        "orig_eax" => return compat(Gpr::orig_rax, false),
        "ecx" => return compat(Gpr::rcx, false),
        "edx" => return compat(Gpr::rdx, false),
        "ebx" => return compat(Gpr::rbx, false),
        "esp" => return compat(Gpr::rsp, false),
        "ebp" => return compat(Gpr::rbp, false),
        "esi" => return compat(Gpr::rsi, false),
        "edi" => return compat(Gpr::rdi, false),
        "eip" => return compat(Gpr::rip, false),
        "eflags" | "cs" | "ss" | "ds" | "es" | "fs" | "gs" => {
            return Gpr::from_name(name).map(Location::Gpr32)
        }
        "fctrl" => return word(FCTRL, FCTRL_INIT),
        "fstat" => return word(FSTAT, 0),
        "fiseg" => return word(FISEG, 0),
        "foseg" => return word(FOSEG, 0),
        "fioff" => return xsave(xstate::X87, FIOFF, 4),
        "fooff" => return xsave(xstate::X87, FOOFF, 4),
        "fop" => return Some(Location::Fop),
        "ftag" => return Some(Location::Ftag),
        "mxcsr" => return Some(Location::Mxcsr),
        "pkru" => return xsave(xstate::PKRU, layout.pkru, 4),
        _ => {}
    }
    if let Some(gpr) = Gpr::from_name(name) {
        return Some(Location::Gpr(gpr));
    }
    match numbered(name)? {
        ("st", n @ 0..=7, "") => xsave(xstate::X87, ST_SPACE + n * ST_STRIDE, 10),
        ("xmm", n @ 0..=15, "") => xsave(xstate::SSE, XMM_SPACE + n * 16, 16),
        ("ymm", n @ 0..=15, "h") => xsave(xstate::AVX, layout.avx + n * 16, 16),
        ("k", n @ 0..=7, "") => xsave(xstate::OPMASK, layout.opmask + n * 8, 8),
        ("zmm", n @ 0..=15, "h") => xsave(xstate::ZMM_HI256, layout.zmm_hi256 + n * 32, 32),
        // zmm16-31 are stored whole: xmm part, ymm upper half, zmm upper half.
        ("xmm", n @ 16..=31, "") => xsave(xstate::HI16_ZMM, layout.hi16_zmm + (n - 16) * 64, 16),
        ("ymm", n @ 16..=31, "h") => {
            xsave(xstate::HI16_ZMM, layout.hi16_zmm + (n - 16) * 64 + 16, 16)
        }
        ("zmm", n @ 16..=31, "h") => {
            xsave(xstate::HI16_ZMM, layout.hi16_zmm + (n - 16) * 64 + 32, 32)
        }
        _ => None,
    }
}

/// The i387 tag of one 80-bit register: 0 valid, 1 zero, 2 special.
fn tag_of(raw: &[u8]) -> u16 {
    let byte = |i: usize| raw.get(i).copied().unwrap_or(0);
    let exponent = u16::from(byte(9) & 0x7f) << 8 | u16::from(byte(8));
    let integer_bit = byte(7) & 0x80 != 0;
    let fraction_zero = (0..7).all(|i| byte(i) == 0) && byte(7) & 0x7f == 0;
    match exponent {
        0x7fff => 2,
        0 if fraction_zero && !integer_bit => 1,
        0 => 2,
        _ if integer_bit => 0,
        // An unnormal: exponent set but no integer bit.
        _ => 2,
    }
}

/// Full 16-bit tag word from the FXSAVE abridged tag. Tags are indexed by
/// physical register; st(i) is physical register (TOP + i) mod 8.
fn full_ftag(xstate: &[u8]) -> u16 {
    let abridged = xstate.get(FTAG).copied().unwrap_or(0);
    let top = usize::from(read_u16(xstate, FSTAT).unwrap_or(0) >> 11) & 7;
    (0..8).fold(0u16, |word, phys| {
        let tag = if abridged & (1 << phys) == 0 {
            3
        } else {
            let st = (phys + 8 - top) % 8;
            let at = ST_SPACE + st * ST_STRIDE;
            tag_of(xstate.get(at..at + 10).unwrap_or(&[]))
        };
        word | tag << (2 * phys)
    })
}

/// Abridged FXSAVE tag from a full tag word: bit set unless the tag is empty.
fn abridged_ftag(full: u16) -> u8 {
    (0..8).fold(0u8, |bits, phys| {
        if (full >> (2 * phys)) & 3 == 3 {
            bits
        } else {
            bits | 1 << phys
        }
    })
}

/// Appends the register's bytes as gdb expects them in the `g` packet.
fn read_register(
    reg: &RegisterDesc,
    layout: &XsaveLayout,
    gpr: &user_regs_struct,
    xstate: &[u8],
    out: &mut Vec<u8>,
) {
    read_located(reg, locate(reg.name, layout), gpr, xstate, out)
}

thread_local! {
    /// Every register's location, in register order, for each description
    /// and XSAVE layout met so far (a handful): `locate` matches names, and
    /// doing that for each register of each `g` was a third of the
    /// server's instructions in a thousand threads' `info threads`. Keyed
    /// by the description's XML: the same XML, the same registers.
    static LOCATIONS: RefCell<Vec<LocationTable>> = const { RefCell::new(Vec::new()) };
}

/// A description's XML, the XSAVE layout, and where each register lives.
type LocationTable = (String, XsaveLayout, Vec<Option<Location>>);

fn with_locations<R>(
    desc: &TargetDescription,
    layout: &XsaveLayout,
    then: impl FnOnce(&[Option<Location>]) -> R,
) -> R {
    LOCATIONS.with(|tables| {
        let mut tables = tables.borrow_mut();
        let known = tables
            .iter()
            .position(|(xml, seen, _)| seen == layout && *xml == desc.xml);
        let index = known.unwrap_or_else(|| {
            let table = desc
                .registers
                .iter()
                .map(|reg| locate(reg.name, layout))
                .collect();
            tables.push((desc.xml.clone(), *layout, table));
            tables.len() - 1
        });
        then(&tables[index].2)
    })
}

fn read_located(
    reg: &RegisterDesc,
    location: Option<Location>,
    gpr: &user_regs_struct,
    xstate: &[u8],
    out: &mut Vec<u8>,
) {
    let start = out.len();
    let bv = xstate_bv(xstate);
    let x87_live = bv & xstate::X87 != 0;
    match location {
        Some(Location::Gpr(g)) => out.extend_from_slice(&g.get(gpr).to_le_bytes()),
        Some(Location::Gpr32(g) | Location::Compat32 { gpr: g, .. }) => {
            out.extend_from_slice(&(g.get(gpr) as u32).to_le_bytes())
        }
        Some(Location::Xsave {
            component,
            offset,
            len,
        }) => {
            match xstate.get(offset..offset + len) {
                Some(bytes) if bv & component != 0 => out.extend_from_slice(bytes),
                // Init state, or storage the buffer does not have.
                _ => out.resize(start + len, 0),
            }
        }
        Some(Location::X87Word { offset, init }) => {
            let word = if x87_live {
                read_u16(xstate, offset).unwrap_or(0)
            } else {
                init
            };
            out.extend_from_slice(&u32::from(word).to_le_bytes());
        }
        Some(Location::Fop) => {
            let fop = if x87_live {
                read_u16(xstate, FOP).unwrap_or(0) & 0x7ff
            } else {
                0
            };
            out.extend_from_slice(&u32::from(fop).to_le_bytes());
        }
        Some(Location::Ftag) => {
            let tag = if x87_live {
                full_ftag(xstate)
            } else {
                FTAG_ALL_EMPTY
            };
            out.extend_from_slice(&u32::from(tag).to_le_bytes());
        }
        Some(Location::Mxcsr) => {
            let mxcsr = if bv & (xstate::SSE | xstate::AVX) != 0 {
                read_u32(xstate, MXCSR).unwrap_or(MXCSR_INIT)
            } else {
                MXCSR_INIT
            };
            out.extend_from_slice(&mxcsr.to_le_bytes());
        }
        None => {}
    }
    // The description decides the size; a mismatch would shift the packet.
    out.resize(start + reg.size(), 0);
}

/// Stores `bytes` (the register's `g` packet bytes) where the kernel keeps it,
/// unless the register already holds that value.
fn write_register(
    reg: &RegisterDesc,
    layout: &XsaveLayout,
    bytes: &[u8],
    gpr: &mut user_regs_struct,
    xstate: &mut [u8],
) -> Result<(), String> {
    reg.check_size(bytes)?;
    let mut current = Vec::with_capacity(bytes.len());
    read_register(reg, layout, gpr, xstate, &mut current);
    if current == bytes {
        return Ok(());
    }
    let location = locate(reg.name, layout)
        .ok_or_else(|| format!("{}: no storage known for this register", reg.name))?;
    let mut word = [0u8; 8];
    word[..bytes.len().min(8)].copy_from_slice(&bytes[..bytes.len().min(8)]);
    let value = u64::from_le_bytes(word);
    match location {
        Location::Gpr(g) => *g.slot(gpr) = value,
        Location::Gpr32(g) => {
            let slot = g.slot(gpr);
            *slot = (*slot & !0xffff_ffff) | (value & 0xffff_ffff);
        }
        Location::Compat32 { gpr: g, signed } => {
            *g.slot(gpr) = match signed {
                true => value as u32 as i32 as i64 as u64,
                false => value & 0xffff_ffff,
            };
        }
        Location::Xsave {
            component,
            offset,
            len,
        } => {
            make_live(xstate, layout, component)?;
            put(xstate, offset, &bytes[..len.min(bytes.len())])?;
        }
        Location::X87Word { offset, .. } => {
            make_live(xstate, layout, xstate::X87)?;
            put(xstate, offset, &(value as u16).to_le_bytes())?;
        }
        Location::Fop => {
            make_live(xstate, layout, xstate::X87)?;
            // Only the low 11 bits are the opcode; keep the rest as stored.
            let old = read_u16(xstate, FOP).unwrap_or(0);
            let fop = (value as u16 & 0x7ff) | (old & !0x7ff);
            put(xstate, FOP, &fop.to_le_bytes())?;
        }
        Location::Ftag => {
            make_live(xstate, layout, xstate::X87)?;
            put(xstate, FTAG, &[abridged_ftag(value as u16)])?;
        }
        Location::Mxcsr => {
            if xstate_bv(xstate) & (xstate::SSE | xstate::AVX) == 0 {
                make_live(xstate, layout, xstate::SSE)?;
            }
            put(xstate, MXCSR, &(value as u32).to_le_bytes())?;
        }
    }
    Ok(())
}

fn regs_to_g_with(
    desc: &TargetDescription,
    layout: &XsaveLayout,
    gpr: &user_regs_struct,
    xstate: &[u8],
    out: &mut Vec<u8>,
) {
    out.clear();
    out.reserve(desc.g_packet_len);
    with_locations(desc, layout, |locations| {
        for (reg, &location) in desc.registers.iter().zip(locations) {
            read_located(reg, location, gpr, xstate, out);
        }
    });
}

fn g_to_regs_with(
    desc: &TargetDescription,
    layout: &XsaveLayout,
    g: &[u8],
    gpr: &mut user_regs_struct,
    xstate: &mut [u8],
) -> Result<(), String> {
    if g.len() != desc.g_packet_len {
        return Err(format!(
            "G packet of {} bytes, the description has {}",
            g.len(),
            desc.g_packet_len
        ));
    }
    for reg in &desc.registers {
        let bytes = g
            .get(reg.offset..reg.offset + reg.size())
            .ok_or_else(|| format!("{}: outside the G packet", reg.name))?;
        write_register(reg, layout, bytes, gpr, xstate)?;
    }
    Ok(())
}

fn register(desc: &TargetDescription, regnum: usize) -> Result<&RegisterDesc, String> {
    desc.register(regnum)
        .ok_or_else(|| format!("no register {regnum} in the description"))
}

/// Fills `out` with the whole `g` packet (resized to `desc.g_packet_len`).
pub fn regs_to_g(
    desc: &TargetDescription,
    gpr: &user_regs_struct,
    xstate: &[u8],
    out: &mut Vec<u8>,
) {
    regs_to_g_with(desc, XsaveLayout::host(), gpr, xstate, out);
}

/// Applies a `G` packet. Registers whose value is unchanged are left alone;
/// an XSAVE component that gets a new value has its XSTATE_BV bit set.
/// On error, registers before the failing one may already be updated.
pub fn g_to_regs(
    desc: &TargetDescription,
    g: &[u8],
    gpr: &mut user_regs_struct,
    xstate: &mut [u8],
) -> Result<(), String> {
    g_to_regs_with(desc, XsaveLayout::host(), g, gpr, xstate)
}

/// One register's bytes, for a `p` packet.
pub fn register_to_bytes(
    desc: &TargetDescription,
    regnum: usize,
    gpr: &user_regs_struct,
    xstate: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let reg = register(desc, regnum)?;
    out.clear();
    read_register(reg, XsaveLayout::host(), gpr, xstate, out);
    Ok(())
}

/// A register kept in the general-purpose set, read without the xstate
/// (which costs a PTRACE_GETREGSET of several kB); None for the others.
pub fn general_register(
    desc: &TargetDescription,
    regnum: usize,
    gpr: &user_regs_struct,
) -> Option<u64> {
    let reg = register(desc, regnum).ok()?;
    match locate(reg.name, XsaveLayout::host()) {
        Some(Location::Gpr(g)) => Some(g.get(gpr)),
        Some(Location::Gpr32(g) | Location::Compat32 { gpr: g, .. }) => {
            Some(u64::from(g.get(gpr) as u32))
        }
        _ => None,
    }
}

/// Writes one register, for a `P` packet; `bytes` must be its full size.
pub fn bytes_to_register(
    desc: &TargetDescription,
    regnum: usize,
    bytes: &[u8],
    gpr: &mut user_regs_struct,
    xstate: &mut [u8],
) -> Result<(), String> {
    let reg = register(desc, regnum)?;
    write_register(reg, XsaveLayout::host(), bytes, gpr, xstate)
}

#[cfg(test)]
mod tests;
