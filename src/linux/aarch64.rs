//! aarch64: the kernel's register sets <-> gdb's aarch64 `g` packet.
//!
//! Owns the mapping from each register of an aarch64 [`TargetDescription`]
//! to where the kernel keeps it: NT_PRSTATUS (`struct user_pt_regs`: x0-x30,
//! sp, pc, pstate), NT_PRFPREG (`struct user_fpsimd_state`: v0-v31, fpsr,
//! fpcr), NT_ARM_PAC_MASK (the pointer-authentication masks, read only) and
//! NT_ARM_TLS (tpidr). aarch64 has no PTRACE_GETREGS: every set goes
//! through PTRACE_GETREGSET. No ptrace in this file: `hooks` fetches and
//! stores the buffers, `hw_debug` owns the debug registers.
//!
//! This mapping is pure, so it is built and unit-tested on every host; the
//! hooks that call ptrace are built for aarch64 only.
#![cfg_attr(not(target_arch = "aarch64"), allow(dead_code))]

#[cfg(target_arch = "aarch64")]
mod hooks;
#[cfg(target_arch = "aarch64")]
mod hw_debug;

#[cfg(target_arch = "aarch64")]
pub use hooks::Aarch64;

use rgdbserver_arch::{RegisterDesc, TargetDescription};

/// `struct user_pt_regs`: 31 general registers, sp, pc, pstate.
pub const GPR_WORDS: usize = 34;
/// `struct user_fpsimd_state`: 32 V registers, fpsr, fpcr, two reserved words.
pub const FPSIMD_LEN: usize = 32 * 16 + 16;
const FPSR_OFFSET: usize = 512;
const FPCR_OFFSET: usize = 516;

/// The register sets of one stopped thread, as read so far.
#[derive(Debug, Default, Clone)]
pub struct RegisterSets {
    pub gpr: Option<[u64; GPR_WORDS]>,
    pub fpsimd: Option<Vec<u8>>,
    /// data mask, instruction mask.
    pub pac_mask: Option<[u64; 2]>,
    pub tpidr: Option<u64>,
}

/// Where one gdb register lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Location {
    /// A word of `user_pt_regs` (x0-x30, sp, pc); pstate shown as 32 bits.
    Gpr(usize),
    Pstate,
    /// Bytes of `user_fpsimd_state`.
    Fpsimd {
        offset: usize,
        len: usize,
    },
    /// One of the two pointer-authentication masks.
    PacMask(usize),
    Tpidr,
}

/// Which register set a location is in, to read only the one needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterSet {
    General,
    Fpsimd,
    PacMask,
    Tls,
}

fn locate(name: &str) -> Option<Location> {
    match name {
        "sp" => return Some(Location::Gpr(31)),
        "pc" => return Some(Location::Gpr(32)),
        "cpsr" => return Some(Location::Pstate),
        "fpsr" => {
            return Some(Location::Fpsimd {
                offset: FPSR_OFFSET,
                len: 4,
            })
        }
        "fpcr" => {
            return Some(Location::Fpsimd {
                offset: FPCR_OFFSET,
                len: 4,
            })
        }
        "pauth_dmask" => return Some(Location::PacMask(0)),
        "pauth_cmask" => return Some(Location::PacMask(1)),
        "tpidr" => return Some(Location::Tpidr),
        _ => {}
    }
    let (prefix, number) = name.split_at(1);
    let n: usize = number.parse().ok()?;
    match (prefix, n) {
        ("x", 0..=30) => Some(Location::Gpr(n)),
        ("v", 0..=31) => Some(Location::Fpsimd {
            offset: n * 16,
            len: 16,
        }),
        _ => None,
    }
}

/// The register set a register of the description is kept in.
pub fn set_of(reg: &RegisterDesc) -> Option<RegisterSet> {
    Some(match locate(reg.name)? {
        Location::Gpr(_) | Location::Pstate => RegisterSet::General,
        Location::Fpsimd { .. } => RegisterSet::Fpsimd,
        Location::PacMask(_) => RegisterSet::PacMask,
        Location::Tpidr => RegisterSet::Tls,
    })
}

/// Appends the register's bytes as gdb expects them (little-endian); a
/// set not read (or not offered) reads as zeros.
fn read_register(reg: &RegisterDesc, sets: &RegisterSets, out: &mut Vec<u8>) {
    let start = out.len();
    match locate(reg.name) {
        Some(Location::Gpr(i)) => {
            if let Some(gpr) = &sets.gpr {
                out.extend_from_slice(&gpr[i].to_le_bytes());
            }
        }
        Some(Location::Pstate) => {
            if let Some(gpr) = &sets.gpr {
                out.extend_from_slice(&(gpr[33] as u32).to_le_bytes());
            }
        }
        Some(Location::Fpsimd { offset, len }) => {
            if let Some(bytes) = sets
                .fpsimd
                .as_ref()
                .and_then(|f| f.get(offset..offset + len))
            {
                out.extend_from_slice(bytes);
            }
        }
        Some(Location::PacMask(i)) => {
            if let Some(masks) = &sets.pac_mask {
                out.extend_from_slice(&masks[i].to_le_bytes());
            }
        }
        Some(Location::Tpidr) => {
            if let Some(tpidr) = sets.tpidr {
                out.extend_from_slice(&tpidr.to_le_bytes());
            }
        }
        None => {}
    }
    // The description decides the size; a mismatch would shift the packet.
    out.resize(start + reg.size(), 0);
}

/// Stores `bytes` (the register's `g` packet bytes) in the sets; returns
/// which set changed (None: unchanged). The masks are read only.
fn write_register(
    reg: &RegisterDesc,
    bytes: &[u8],
    sets: &mut RegisterSets,
) -> Result<Option<RegisterSet>, String> {
    if bytes.len() != reg.size() {
        return Err(format!(
            "{}: {} bytes given, {} expected",
            reg.name,
            bytes.len(),
            reg.size()
        ));
    }
    let mut current = Vec::with_capacity(bytes.len());
    read_register(reg, sets, &mut current);
    if current == bytes {
        return Ok(None);
    }
    let mut word = [0u8; 8];
    word[..bytes.len().min(8)].copy_from_slice(&bytes[..bytes.len().min(8)]);
    let value = u64::from_le_bytes(word);
    let unread = || format!("{}: its register set was not read", reg.name);
    match locate(reg.name) {
        Some(Location::Gpr(i)) => {
            sets.gpr.as_mut().ok_or_else(unread)?[i] = value;
            Ok(Some(RegisterSet::General))
        }
        Some(Location::Pstate) => {
            let gpr = sets.gpr.as_mut().ok_or_else(unread)?;
            gpr[33] = (gpr[33] & !0xffff_ffff) | (value & 0xffff_ffff);
            Ok(Some(RegisterSet::General))
        }
        Some(Location::Fpsimd { offset, len }) => {
            let fpsimd = sets.fpsimd.as_mut().ok_or_else(unread)?;
            fpsimd
                .get_mut(offset..offset + len)
                .ok_or_else(unread)?
                .copy_from_slice(&bytes[..len]);
            Ok(Some(RegisterSet::Fpsimd))
        }
        Some(Location::Tpidr) => {
            sets.tpidr = Some(value);
            Ok(Some(RegisterSet::Tls))
        }
        Some(Location::PacMask(_)) => Err(format!("{} cannot be written", reg.name)),
        None => Err(format!("{}: no storage known for this register", reg.name)),
    }
}

/// The sets a description's registers are kept in.
pub fn sets_of(desc: &TargetDescription) -> Vec<RegisterSet> {
    let mut sets = Vec::new();
    for reg in &desc.registers {
        if let Some(set) = set_of(reg) {
            if !sets.contains(&set) {
                sets.push(set);
            }
        }
    }
    sets
}

/// Fills `out` with the whole `g` packet.
pub fn regs_to_g(desc: &TargetDescription, sets: &RegisterSets, out: &mut Vec<u8>) {
    out.clear();
    out.reserve(desc.g_packet_len);
    for reg in &desc.registers {
        read_register(reg, sets, out);
    }
}

/// Applies a `G` packet; returns the sets that changed. The read-only
/// masks are left alone whatever the packet says.
pub fn g_to_regs(
    desc: &TargetDescription,
    g: &[u8],
    sets: &mut RegisterSets,
) -> Result<Vec<RegisterSet>, String> {
    if g.len() != desc.g_packet_len {
        return Err(format!(
            "G packet of {} bytes, the description has {}",
            g.len(),
            desc.g_packet_len
        ));
    }
    let mut changed = Vec::new();
    for reg in &desc.registers {
        if set_of(reg) == Some(RegisterSet::PacMask) {
            continue;
        }
        let bytes = g
            .get(reg.offset..reg.offset + reg.size())
            .ok_or_else(|| format!("{}: outside the G packet", reg.name))?;
        if let Some(set) = write_register(reg, bytes, sets)? {
            if !changed.contains(&set) {
                changed.push(set);
            }
        }
    }
    Ok(changed)
}

/// One register's bytes, for a `p` packet.
pub fn register_to_bytes(
    desc: &TargetDescription,
    regnum: usize,
    sets: &RegisterSets,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let reg = desc
        .register(regnum)
        .ok_or_else(|| format!("no register {regnum} in the description"))?;
    out.clear();
    read_register(reg, sets, out);
    Ok(())
}

/// Writes one register, for a `P` packet; returns the set that changed.
pub fn bytes_to_register(
    desc: &TargetDescription,
    regnum: usize,
    bytes: &[u8],
    sets: &mut RegisterSets,
) -> Result<Option<RegisterSet>, String> {
    let reg = desc
        .register(regnum)
        .ok_or_else(|| format!("no register {regnum} in the description"))?;
    write_register(reg, bytes, sets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rgdbserver_arch::aarch64::{target_description, Aarch64Features};

    fn sets() -> RegisterSets {
        let mut gpr = [0u64; GPR_WORDS];
        for (i, word) in gpr.iter_mut().enumerate() {
            *word = 0x1111_0000_0000_0000 + i as u64;
        }
        gpr[33] = 0x6000_0000;
        RegisterSets {
            gpr: Some(gpr),
            fpsimd: Some((0..FPSIMD_LEN).map(|i| i as u8).collect()),
            pac_mask: Some([0x007f_0000_0000_0000, 0x007f_0000_0000_0000]),
            tpidr: Some(0xffff_8000_1234),
        }
    }

    fn all() -> TargetDescription {
        target_description(Aarch64Features {
            pauth: true,
            tls: true,
        })
    }

    #[test]
    fn g_packet_places_every_set() {
        let desc = all();
        let mut g = Vec::new();
        regs_to_g(&desc, &sets(), &mut g);
        assert_eq!(g.len(), desc.g_packet_len);
        let word = |at: usize| u64::from_le_bytes(g[at..at + 8].try_into().unwrap_or_default());
        assert_eq!(word(0), 0x1111_0000_0000_0000);
        assert_eq!(word(29 * 8), 0x1111_0000_0000_001d);
        assert_eq!(word(256), 0x1111_0000_0000_0020, "pc");
        assert_eq!(&g[264..268], &0x6000_0000u32.to_le_bytes(), "cpsr");
        assert_eq!(g[268], 0, "v0 byte 0");
        assert_eq!(g[268 + 16], 16, "v1 byte 0");
        assert_eq!(&g[780..784], &[0, 1, 2, 3], "fpsr at 512 of the fpsimd set");
        assert_eq!(word(788), 0x007f_0000_0000_0000);
        assert_eq!(word(804), 0xffff_8000_1234);
    }

    #[test]
    fn a_g_packet_read_back_changes_nothing_and_writes_land() {
        let desc = all();
        let mut regs = sets();
        let mut g = Vec::new();
        regs_to_g(&desc, &regs, &mut g);
        assert_eq!(g_to_regs(&desc, &g, &mut regs), Ok(vec![]));
        g[8..16].copy_from_slice(&42u64.to_le_bytes());
        g[268..284].copy_from_slice(&[7u8; 16]);
        assert_eq!(
            g_to_regs(&desc, &g, &mut regs),
            Ok(vec![RegisterSet::General, RegisterSet::Fpsimd])
        );
        assert_eq!(regs.gpr.map(|r| r[1]), Some(42));
        assert_eq!(
            regs.fpsimd.as_deref().map(|f| &f[..16]),
            Some(&[7u8; 16][..])
        );
    }

    #[test]
    fn single_registers() {
        let desc = all();
        let mut regs = sets();
        let mut out = Vec::new();
        assert_eq!(register_to_bytes(&desc, 32, &regs, &mut out), Ok(()));
        assert_eq!(out, 0x1111_0000_0000_0020u64.to_le_bytes());
        assert_eq!(
            bytes_to_register(&desc, 32, &0x4000u64.to_le_bytes(), &mut regs),
            Ok(Some(RegisterSet::General))
        );
        assert_eq!(regs.gpr.map(|r| r[32]), Some(0x4000));
        assert!(bytes_to_register(&desc, 68, &[1; 8], &mut regs).is_err());
        assert!(bytes_to_register(&desc, 1, &[1; 4], &mut regs).is_err());
        assert!(register_to_bytes(&desc, 500, &regs, &mut out).is_err());
    }

    #[test]
    fn every_register_has_storage() {
        let desc = all();
        for reg in &desc.registers {
            assert!(set_of(reg).is_some(), "{}", reg.name);
        }
        assert_eq!(
            sets_of(&desc),
            vec![
                RegisterSet::General,
                RegisterSet::Fpsimd,
                RegisterSet::PacMask,
                RegisterSet::Tls
            ]
        );
    }
}
