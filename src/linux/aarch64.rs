//! aarch64: the kernel's register sets <-> gdb's aarch64 `g` packet.
//!
//! Owns the mapping from each register of an aarch64 [`TargetDescription`]
//! to where the kernel keeps it: NT_PRSTATUS (`struct user_pt_regs`: x0-x30,
//! sp, pc, pstate), NT_PRFPREG (`struct user_fpsimd_state`: v0-v31, fpsr,
//! fpcr), NT_ARM_SVE (z0-z31, p0-p15, ffr and the vector length, in the
//! kernel's SVE layout, or in the FP/SIMD one while the thread has not
//! used SVE since its last system call), NT_ARM_PAC_MASK (the
//! pointer-authentication masks, read only) and NT_ARM_TLS (tpidr). aarch64 has no PTRACE_GETREGS: every set goes
//! through PTRACE_GETREGSET. No ptrace in this file: `hooks` fetches and
//! stores the buffers, `hw_debug` owns the debug registers.
//!
//! This mapping is pure, so it is built and unit-tested on every host; the
//! hooks that call ptrace are built for aarch64 only.
#![cfg_attr(not(target_arch = "aarch64"), allow(dead_code))]

#[cfg(target_arch = "aarch64")]
mod hooks;
#[cfg(target_arch = "aarch64")]
pub mod hw_debug;

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
    /// The NT_ARM_SVE set as the kernel gave it (header included).
    pub sve: Option<Vec<u8>>,
    /// data mask, instruction mask.
    pub pac_mask: Option<[u64; 2]>,
    pub tpidr: Option<u64>,
}

/// The NT_ARM_SVE register set (`struct user_sve_header`, then the
/// registers), as the kernel's uapi ptrace.h lays it out.
pub mod sve {
    /// size (u32), max_size (u32), vl (u16), max_vl (u16), flags (u16), reserved.
    pub const HEADER: usize = 16;
    /// `flags`: the registers that follow are in the SVE layout (else a
    /// `user_fpsimd_state`).
    pub const REGS_SVE: u16 = 1;

    pub fn vector_length(set: &[u8]) -> usize {
        usize::from(u16::from_le_bytes([set[8], set[9]]))
    }

    pub fn flags(set: &[u8]) -> u16 {
        u16::from_le_bytes([set[12], set[13]])
    }

    /// Quadwords in a vector of the set's length.
    pub fn vq(set: &[u8]) -> usize {
        vector_length(set) / 16
    }

    pub fn z_offset(vq: usize, n: usize) -> usize {
        HEADER + n * vq * 16
    }

    pub fn p_offset(vq: usize, n: usize) -> usize {
        HEADER + 32 * vq * 16 + n * vq * 2
    }

    pub fn ffr_offset(vq: usize) -> usize {
        p_offset(vq, 16)
    }

    /// fpsr, then fpcr: after ffr, aligned to 16 bytes.
    pub fn fpsr_offset(vq: usize) -> usize {
        (ffr_offset(vq) + vq * 2).div_ceil(16) * 16
    }

    /// The whole set in the SVE layout, padded to 16 bytes.
    pub fn sve_layout_size(vq: usize) -> usize {
        (fpsr_offset(vq) + 8).div_ceil(16) * 16
    }

    /// The same registers in the SVE layout: from the FP/SIMD layout, each
    /// V register becomes the low 128 bits of its Z register, the rest
    /// (upper bits, predicates, ffr) zero, as the CPU has them after an
    /// FP/SIMD instruction.
    pub fn to_sve_layout(set: &[u8]) -> Vec<u8> {
        if flags(set) & REGS_SVE != 0 {
            return set.to_vec();
        }
        let vq = vq(set).max(1);
        let size = sve_layout_size(vq);
        let mut out = vec![0u8; size];
        out[..HEADER].copy_from_slice(&set[..HEADER]);
        out[0..4].copy_from_slice(&(size as u32).to_le_bytes());
        out[12..14].copy_from_slice(&(flags(set) | REGS_SVE).to_le_bytes());
        for n in 0..32 {
            let from = HEADER + n * 16;
            if let Some(v) = set.get(from..from + 16) {
                out[z_offset(vq, n)..z_offset(vq, n) + 16].copy_from_slice(v);
            }
        }
        // user_fpsimd_state: fpsr and fpcr after the 32 V registers.
        if let Some(fp) = set.get(HEADER + 512..HEADER + 520) {
            out[fpsr_offset(vq)..fpsr_offset(vq) + 8].copy_from_slice(fp);
        }
        out
    }
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
    SveZ(usize),
    SveP(usize),
    SveFfr,
    SveVg,
    /// fpsr (0) or fpcr (1), in the SVE set.
    SveFpControl(usize),
}

/// Which register set a location is in, to read only the one needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterSet {
    General,
    Fpsimd,
    Sve,
    PacMask,
    Tls,
}

fn locate(reg: &RegisterDesc) -> Option<Location> {
    let name = reg.name;
    // With SVE, fpsr and fpcr are read with the Z registers, from the
    // same set: two views of the registers would each undo the other's
    // writes.
    let in_sve = reg.feature == rgdbserver_arch::aarch64::FEATURE_SVE;
    match name {
        "fpsr" if in_sve => return Some(Location::SveFpControl(0)),
        "fpcr" if in_sve => return Some(Location::SveFpControl(1)),
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
        "ffr" => return Some(Location::SveFfr),
        "vg" => return Some(Location::SveVg),
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
        ("z", 0..=31) => Some(Location::SveZ(n)),
        ("p", 0..=15) => Some(Location::SveP(n)),
        _ => None,
    }
}

/// The register set a register of the description is kept in.
pub fn set_of(reg: &RegisterDesc) -> Option<RegisterSet> {
    Some(match locate(reg)? {
        Location::Gpr(_) | Location::Pstate => RegisterSet::General,
        Location::Fpsimd { .. } => RegisterSet::Fpsimd,
        Location::PacMask(_) => RegisterSet::PacMask,
        Location::Tpidr => RegisterSet::Tls,
        Location::SveZ(_)
        | Location::SveP(_)
        | Location::SveFfr
        | Location::SveVg
        | Location::SveFpControl(_) => RegisterSet::Sve,
    })
}

/// Appends the register's bytes as gdb expects them (little-endian); a
/// set not read (or not offered) reads as zeros.
fn read_register(reg: &RegisterDesc, sets: &RegisterSets, out: &mut Vec<u8>) {
    let start = out.len();
    match locate(reg) {
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
        Some(
            location @ (Location::SveZ(_)
            | Location::SveP(_)
            | Location::SveFfr
            | Location::SveFpControl(_)),
        ) => {
            if let Some(set) = &sets.sve {
                read_sve(location, set, out);
            }
        }
        Some(Location::SveVg) => {
            if let Some(set) = &sets.sve {
                // vg: the vector length in 64-bit granules.
                out.extend_from_slice(&(sve::vector_length(set) as u64 / 8).to_le_bytes());
            }
        }
        None => {}
    }
    // The description decides the size; a mismatch would shift the packet.
    out.resize(start + reg.size(), 0);
}

/// Where a Z or P register, ffr, fpsr or fpcr sits in the SVE layout of
/// vectors of `vq` quadwords, and its size.
fn sve_slot(location: Location, vq: usize) -> (usize, usize) {
    match location {
        Location::SveZ(n) => (sve::z_offset(vq, n), vq * 16),
        Location::SveP(n) => (sve::p_offset(vq, n), vq * 2),
        Location::SveFpControl(k) => (sve::fpsr_offset(vq) + 4 * k, 4),
        _ => (sve::ffr_offset(vq), vq * 2),
    }
}

/// The bytes of a Z or P register or ffr: from the SVE layout as they are,
/// from the FP/SIMD layout a V register (the low 128 bits of Z) and zeros.
fn read_sve(location: Location, set: &[u8], out: &mut Vec<u8>) {
    let (offset, len) = sve_slot(location, sve::vq(set));
    if let (Location::SveFpControl(k), false) = (location, sve::flags(set) & sve::REGS_SVE != 0) {
        // user_fpsimd_state: fpsr and fpcr after the 32 V registers.
        let at = sve::HEADER + 512 + 4 * k;
        if let Some(bytes) = set.get(at..at + 4) {
            out.extend_from_slice(bytes);
        }
    } else if sve::flags(set) & sve::REGS_SVE != 0 {
        if let Some(bytes) = set.get(offset..offset + len) {
            out.extend_from_slice(bytes);
        }
    } else if let Location::SveZ(n) = location {
        let at = sve::HEADER + n * 16;
        if let Some(v) = set.get(at..at + 16) {
            out.extend_from_slice(v);
        }
    }
}

/// Stores `bytes` (the register's `g` packet bytes) in the sets; returns
/// which set changed (None: unchanged). The masks are read only.
fn write_register(
    reg: &RegisterDesc,
    bytes: &[u8],
    sets: &mut RegisterSets,
) -> Result<Option<RegisterSet>, String> {
    reg.check_size(bytes)?;
    let mut current = Vec::with_capacity(bytes.len());
    read_register(reg, sets, &mut current);
    if current == bytes {
        return Ok(None);
    }
    let mut word = [0u8; 8];
    word[..bytes.len().min(8)].copy_from_slice(&bytes[..bytes.len().min(8)]);
    let value = u64::from_le_bytes(word);
    let unread = || format!("{}: its register set was not read", reg.name);
    match locate(reg) {
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
        Some(
            location @ (Location::SveZ(_)
            | Location::SveP(_)
            | Location::SveFfr
            | Location::SveFpControl(_)),
        ) => {
            let set = sets.sve.as_mut().ok_or_else(unread)?;
            // A write needs the SVE layout (the FP/SIMD one has no room).
            *set = sve::to_sve_layout(set);
            let (offset, _) = sve_slot(location, sve::vq(set));
            let len = bytes.len().min(set.len().saturating_sub(offset));
            set[offset..offset + len].copy_from_slice(&bytes[..len]);
            Ok(Some(RegisterSet::Sve))
        }
        Some(Location::PacMask(_) | Location::SveVg) => {
            Err(format!("{} cannot be written", reg.name))
        }
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
        if matches!(reg.name, "pauth_dmask" | "pauth_cmask" | "vg") {
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
            sve: None,
            pac_mask: Some([0x007f_0000_0000_0000, 0x007f_0000_0000_0000]),
            tpidr: Some(0xffff_8000_1234),
        }
    }

    fn all() -> TargetDescription {
        target_description(Aarch64Features {
            sve_vq: 0,
            pauth: true,
            tls: true,
        })
    }

    /// An NT_ARM_SVE set of `vq` quadwords in the FP/SIMD layout, V
    /// register n filled with n.
    fn sve_fpsimd_set(vq: usize) -> Vec<u8> {
        let mut set = vec![0u8; sve::HEADER + FPSIMD_LEN];
        set[8..10].copy_from_slice(&((vq * 16) as u16).to_le_bytes());
        for n in 0..32 {
            set[sve::HEADER + n * 16..sve::HEADER + n * 16 + 16].fill(n as u8);
        }
        set[sve::HEADER + 512..sve::HEADER + 516].copy_from_slice(&0x11u32.to_le_bytes());
        set
    }

    #[test]
    fn sve_registers_from_either_layout() {
        let desc = target_description(Aarch64Features {
            sve_vq: 4,
            pauth: false,
            tls: false,
        });
        let mut regs = sets();
        regs.sve = Some(sve_fpsimd_set(4));
        let z1 = desc.register_by_name("z1").map(|r| r.regnum).unwrap_or(0);
        let mut out = Vec::new();
        assert_eq!(register_to_bytes(&desc, z1, &regs, &mut out), Ok(()));
        assert_eq!(out.len(), 64);
        assert_eq!(&out[..16], &[1u8; 16]);
        assert!(out[16..].iter().all(|&b| b == 0));
        let vg = desc.register_by_name("vg").map(|r| r.regnum).unwrap_or(0);
        assert_eq!(register_to_bytes(&desc, vg, &regs, &mut out), Ok(()));
        assert_eq!(out, 8u64.to_le_bytes());
        // A write turns the set into the SVE layout, the rest kept.
        let p3 = desc.register_by_name("p3").map(|r| r.regnum).unwrap_or(0);
        assert_eq!(
            bytes_to_register(&desc, p3, &[0xaa; 8], &mut regs),
            Ok(Some(RegisterSet::Sve))
        );
        let set = regs.sve.clone().unwrap_or_default();
        assert_eq!(sve::flags(&set) & sve::REGS_SVE, sve::REGS_SVE);
        assert_eq!(set.len(), sve::sve_layout_size(4));
        assert_eq!(
            u32::from_le_bytes(set[0..4].try_into().unwrap_or_default()) as usize,
            set.len()
        );
        assert_eq!(
            &set[sve::p_offset(4, 3)..sve::p_offset(4, 3) + 8],
            &[0xaa; 8]
        );
        assert_eq!(
            &set[sve::z_offset(4, 1)..sve::z_offset(4, 1) + 16],
            &[1u8; 16]
        );
        assert_eq!(
            &set[sve::fpsr_offset(4)..sve::fpsr_offset(4) + 4],
            &0x11u32.to_le_bytes()
        );
        assert_eq!(register_to_bytes(&desc, p3, &regs, &mut out), Ok(()));
        assert_eq!(out, [0xaa; 8]);
        assert!(bytes_to_register(&desc, vg, &16u64.to_le_bytes(), &mut regs).is_err());
        // fpsr comes from the same set, in either layout.
        let fpsr = desc.register_by_name("fpsr").map(|r| r.regnum).unwrap_or(0);
        assert_eq!(register_to_bytes(&desc, fpsr, &regs, &mut out), Ok(()));
        assert_eq!(out, 0x11u32.to_le_bytes());
        regs.sve = Some(sve_fpsimd_set(4));
        assert_eq!(register_to_bytes(&desc, fpsr, &regs, &mut out), Ok(()));
        assert_eq!(out, 0x11u32.to_le_bytes());
        assert_eq!(
            bytes_to_register(&desc, fpsr, &0x22u32.to_le_bytes(), &mut regs),
            Ok(Some(RegisterSet::Sve))
        );
        assert_eq!(register_to_bytes(&desc, fpsr, &regs, &mut out), Ok(()));
        assert_eq!(out, 0x22u32.to_le_bytes());
    }

    /// The uapi macros' values for vq 4 (512-bit vectors).
    #[test]
    fn sve_layout_offsets() {
        assert_eq!(sve::z_offset(4, 0), 16);
        assert_eq!(sve::p_offset(4, 0), 16 + 32 * 64);
        assert_eq!(sve::ffr_offset(4), 16 + 32 * 64 + 16 * 8);
        // ffr ends at 2200; fpsr is aligned up to 2208, fpcr ends at 2216.
        assert_eq!(sve::fpsr_offset(4), 2208);
        assert_eq!(sve::sve_layout_size(4), 2224);
        // vq 1: ffr ends at 16 + 512 + 34 = 562, fpsr aligned up to 576.
        assert_eq!(sve::fpsr_offset(1), 576);
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
