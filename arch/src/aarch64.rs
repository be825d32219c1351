//! aarch64 GNU/Linux: register layout, target description and trap facts.
//!
//! Owns the register table in gdb's remote numbering, in the order of gdb's
//! `aarch64_create_target_description`: core (x0-x30, sp, pc, cpsr), then
//! sve (z0-z31 of the vector length, fpsr, fpcr, p0-p15, ffr, vg) when the
//! CPU has scalable vectors, fpu (v0-v31, fpsr, fpcr) when it has not,
//! then pauth (the pointer-authentication masks) and tls (tpidr) when the
//! kernel offers them. gdb needs the sve feature on an SVE CPU: without
//! it, gdb 13 loops forever over the SVE record of a signal frame.
//!
//! Also the breakpoint instruction, `BRK #0`, after whose trap the PC is
//! left on the instruction itself.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use crate::tdesc::{build, numbered, run, DescriptionFacts, Feature, FeatureXml, Run, TdescType};
use crate::TargetDescription;

/// `BRK #0` (0xd4200000), little-endian.
pub const BREAKPOINT_INSN: &[u8] = &[0x00, 0x00, 0x20, 0xd4];
/// The PC is not advanced past a `BRK`.
pub const PC_AFTER_BREAKPOINT_ADJUST: u64 = 0;

pub const FP_REGNUM: usize = 29;
pub const SP_REGNUM: usize = 31;
pub const PC_REGNUM: usize = 32;
pub const CPSR_REGNUM: usize = 33;

pub const ARCHITECTURE: &str = "aarch64";
pub const OSABI: &str = "GNU/Linux";

pub const FEATURE_CORE: &str = "org.gnu.gdb.aarch64.core";
pub const FEATURE_FPU: &str = "org.gnu.gdb.aarch64.fpu";
pub const FEATURE_SVE: &str = "org.gnu.gdb.aarch64.sve";
pub const FEATURE_PAUTH: &str = "org.gnu.gdb.aarch64.pauth";
pub const FEATURE_TLS: &str = "org.gnu.gdb.aarch64.tls";

/// The optional register sets, as the kernel offers them (the register
/// sets NT_ARM_PAC_MASK and NT_ARM_TLS can be read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Aarch64Features {
    /// The SVE vector length in quadwords (128-bit units; 1 to 16), 0
    /// without SVE.
    pub sve_vq: u32,
    pub pauth: bool,
    pub tls: bool,
}

/// The most quadwords an SVE vector has (2048 bits).
pub const SVE_VQ_MAX: u32 = 16;

/// Builds the aarch64 GNU/Linux description for `features`.
pub fn target_description(features: Aarch64Features) -> TargetDescription {
    let mut chosen: Vec<&Feature> = vec![&CORE];
    match features.sve_vq {
        0 => chosen.push(&FPU),
        vq => chosen.push(sve_feature(vq.min(SVE_VQ_MAX))),
    }
    if features.pauth {
        chosen.push(&PAUTH);
    }
    if features.tls {
        chosen.push(&TLS);
    }
    build(
        ARCHITECTURE,
        OSABI,
        &chosen,
        DescriptionFacts {
            pc_regnum: PC_REGNUM,
            sp_regnum: SP_REGNUM,
            fp_regnum: FP_REGNUM,
            address_size: 8,
        },
    )
}

const X: &[&str] = numbered!("x", "";
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30);
const V: &[&str] = numbered!("v", "";
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31);

/// PSTATE as the kernel gives it, the single-bit fields gdb names.
const CPSR_TYPE: TdescType = TdescType::Flags {
    id: "cpsr_flags",
    size: 4,
    bits: &[
        ("SP", 0),
        ("nRW", 4),
        ("F", 6),
        ("I", 7),
        ("A", 8),
        ("D", 9),
        ("SSBS", 12),
        ("IL", 20),
        ("SS", 21),
        ("PAN", 22),
        ("UAO", 23),
        ("DIT", 24),
        ("TCO", 25),
        ("V", 28),
        ("C", 29),
        ("Z", 30),
        ("N", 31),
    ],
};

const fn vector(id: &'static str, element: &'static str, count: u32) -> TdescType {
    TdescType::Vector { id, element, count }
}

/// The V registers' union: the views gdb offers as `$v0.d.f[1]` and so on.
const VECTOR_TYPES: &[TdescType] = &[
    vector("v8bf16", "bfloat16", 8),
    vector("v2d", "ieee_double", 2),
    vector("v2u", "uint64", 2),
    vector("v2i", "int64", 2),
    vector("v4f", "ieee_single", 4),
    vector("v4u", "uint32", 4),
    vector("v4i", "int32", 4),
    vector("v8f", "ieee_half", 8),
    vector("v8u", "uint16", 8),
    vector("v8i", "int16", 8),
    vector("v16u", "uint8", 16),
    vector("v16i", "int8", 16),
    vector("v1u", "uint128", 1),
    vector("v1i", "int128", 1),
    TdescType::Union {
        id: "vnd",
        fields: &[("f", "v2d"), ("u", "v2u"), ("s", "v2i")],
    },
    TdescType::Union {
        id: "vns",
        fields: &[("f", "v4f"), ("u", "v4u"), ("s", "v4i")],
    },
    TdescType::Union {
        id: "vnh",
        fields: &[("bf", "v8bf16"), ("f", "v8f"), ("u", "v8u"), ("s", "v8i")],
    },
    TdescType::Union {
        id: "vnb",
        fields: &[("u", "v16u"), ("s", "v16i")],
    },
    TdescType::Union {
        id: "vnq",
        fields: &[("u", "v1u"), ("s", "v1i")],
    },
    TdescType::Union {
        id: "aarch64v",
        fields: &[
            ("d", "vnd"),
            ("s", "vns"),
            ("h", "vnh"),
            ("b", "vnb"),
            ("q", "vnq"),
        ],
    },
];

static CORE: Feature = Feature {
    xml: FeatureXml {
        name: FEATURE_CORE,
        types: &[&[CPSR_TYPE]],
    },
    runs: &[
        run(X, 64, "int"),
        run(&["sp"], 64, "data_ptr"),
        run(&["pc"], 64, "code_ptr"),
        run(&["cpsr"], 32, "cpsr_flags"),
    ],
};

static FPU: Feature = Feature {
    xml: FeatureXml {
        name: FEATURE_FPU,
        types: &[VECTOR_TYPES],
    },
    runs: &[run(V, 128, "aarch64v"), run(&["fpsr", "fpcr"], 32, "int")],
};

const Z: &[&str] = numbered!("z", "";
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31);
const P: &[&str] = numbered!("p", ""; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);

/// The sve feature for vectors of `vq` quadwords: register sizes and the
/// vector types depend on it, so each length's feature is made once and
/// kept (at most sixteen).
fn sve_feature(vq: u32) -> &'static Feature {
    static MADE: OnceLock<Mutex<HashMap<u32, &'static Feature>>> = OnceLock::new();
    let mut made = MADE
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    made.entry(vq).or_insert_with(|| {
        let bytes = vq * 16;
        let types: Vec<TdescType> = vec![
            vector("svevqu", "uint128", bytes / 16),
            vector("svevqs", "int128", bytes / 16),
            vector("svevdf", "ieee_double", bytes / 8),
            vector("svevdu", "uint64", bytes / 8),
            vector("svevds", "int64", bytes / 8),
            vector("svevsf", "ieee_single", bytes / 4),
            vector("svevsu", "uint32", bytes / 4),
            vector("svevss", "int32", bytes / 4),
            vector("svevhf", "ieee_half", bytes / 2),
            vector("svevhu", "uint16", bytes / 2),
            vector("svevhs", "int16", bytes / 2),
            vector("svevbu", "uint8", bytes),
            vector("svevbs", "int8", bytes),
            TdescType::Union {
                id: "svevnq",
                fields: &[("u", "svevqu"), ("s", "svevqs")],
            },
            TdescType::Union {
                id: "svevnd",
                fields: &[("f", "svevdf"), ("u", "svevdu"), ("s", "svevds")],
            },
            TdescType::Union {
                id: "svevns",
                fields: &[("f", "svevsf"), ("u", "svevsu"), ("s", "svevss")],
            },
            TdescType::Union {
                id: "svevnh",
                fields: &[("f", "svevhf"), ("u", "svevhu"), ("s", "svevhs")],
            },
            TdescType::Union {
                id: "svevnb",
                fields: &[("u", "svevbu"), ("s", "svevbs")],
            },
            TdescType::Union {
                id: "svev",
                fields: &[
                    ("q", "svevnq"),
                    ("d", "svevnd"),
                    ("s", "svevns"),
                    ("h", "svevnh"),
                    ("b", "svevnb"),
                ],
            },
            vector("svep", "uint8", bytes / 8),
        ];
        let types: &'static [TdescType] = Box::leak(types.into_boxed_slice());
        let runs: &'static [Run] = Box::leak(
            vec![
                run(Z, bytes * 8, "svev"),
                run(&["fpsr", "fpcr"], 32, "int"),
                run(P, bytes, "svep"),
                run(&["ffr"], bytes, "svep"),
                run(&["vg"], 64, "int"),
            ]
            .into_boxed_slice(),
        );
        Box::leak(Box::new(Feature {
            xml: FeatureXml {
                name: FEATURE_SVE,
                types: Box::leak(Box::new([types])),
            },
            runs,
        }))
    })
}

static PAUTH: Feature = Feature {
    xml: FeatureXml {
        name: FEATURE_PAUTH,
        types: &[],
    },
    runs: &[run(&["pauth_dmask", "pauth_cmask"], 64, "int")],
};

static TLS: Feature = Feature {
    xml: FeatureXml {
        name: FEATURE_TLS,
        types: &[],
    },
    runs: &[run(&["tpidr"], 64, "data_ptr")],
};

/// Hardware breakpoints and watchpoints as the kernel's NT_ARM_HW_BREAK
/// and NT_ARM_HW_WATCH register sets take them (`struct
/// user_hwdebug_state`): a word of information, then one (address,
/// control) pair per slot; the control word is the CPU's DBGBCR/DBGWCR.
pub mod hwdebug {
    use crate::HwKind;

    /// dbg_info and its padding, before the slots.
    pub const HEADER: usize = 8;
    /// One slot: address (u64), control (u32), padding.
    pub const SLOT_SIZE: usize = 16;
    /// The most slots the structure has room for.
    pub const MAX_SLOTS: usize = 16;
    /// An instruction is 4 bytes: a breakpoint selects all four.
    pub const INSTRUCTION_BYTES: u8 = 0x0f;

    /// How many slots the CPU has, from dbg_info (its low byte).
    pub fn slot_count(dbg_info: u32) -> usize {
        ((dbg_info & 0xff) as usize).min(MAX_SLOTS)
    }

    /// The control word: enabled, for EL0 (user space) only, the access
    /// kind (load/store control, watchpoints only), the selected bytes of
    /// the 8-byte block (4 bytes of an instruction for a breakpoint).
    pub fn control(kind: HwKind, byte_select: u8) -> u32 {
        let load_store: u32 = match kind {
            HwKind::Execute => 0b00,
            HwKind::Read => 0b01,
            HwKind::Write => 0b10,
            HwKind::Access => 0b11,
        };
        const ENABLE: u32 = 1;
        const EL0_ONLY: u32 = 0b10 << 1;
        (u32::from(byte_select) << 5) | (load_store << 3) | EL0_ONLY | ENABLE
    }

    /// [addr, addr+len) as pieces a watchpoint can take: an 8-byte
    /// aligned block and the contiguous bytes of it watched. Stops after
    /// `MAX_SLOTS + 1` pieces: more cannot fit anyway.
    pub fn watch_pieces(addr: u64, len: usize) -> Vec<(u64, u8)> {
        let end = addr.saturating_add(len as u64);
        let mut at = addr;
        let mut pieces = Vec::new();
        while at < end && pieces.len() <= MAX_SLOTS {
            let block = at & !7;
            let offset = at - block;
            let size = (8 - offset).min(end - at);
            let mask = (((1u16 << size) - 1) << offset) as u8;
            pieces.push((block, mask));
            // The top of the address space ends the range.
            match block.checked_add(8) {
                Some(next) => at = next,
                None => break,
            }
        }
        pieces
    }

    /// Does the piece (block, mask) cover the byte at `addr`?
    pub fn covers(block: u64, mask: u8, addr: u64) -> bool {
        addr >= block && addr - block < 8 && mask & (1 << (addr - block)) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HwKind;

    #[test]
    fn hardware_debug_encoding() {
        use hwdebug::*;
        // gdb's own encoding of a 4-byte write watchpoint at offset 4.
        assert_eq!(control(HwKind::Write, 0xf0), 0x1e15);
        assert_eq!(control(HwKind::Execute, INSTRUCTION_BYTES), 0x1e5);
        assert_eq!(control(HwKind::Read, 0x01), 0x2d);
        assert_eq!(control(HwKind::Access, 0xff), 0x1ffd);
        assert_eq!(watch_pieces(0x1004, 4), vec![(0x1000, 0xf0)]);
        assert_eq!(watch_pieces(0x1000, 8), vec![(0x1000, 0xff)]);
        assert_eq!(
            watch_pieces(0x1006, 4),
            vec![(0x1000, 0xc0), (0x1008, 0x03)]
        );
        assert_eq!(watch_pieces(0x1000, 1 << 32).len(), MAX_SLOTS + 1);
        // The range ends at the top of the address space (saturated).
        assert_eq!(watch_pieces(u64::MAX - 7, 8), vec![(u64::MAX - 7, 0x7f)]);
        assert!(covers(u64::MAX - 7, 0x80, u64::MAX));
        assert!(covers(0x1000, 0xf0, 0x1005));
        assert!(!covers(0x1000, 0xf0, 0x1003));
        assert!(!covers(0x1000, 0xff, 0x1008));
        assert_eq!(slot_count(0x0604), 4);
    }

    const ALL: Aarch64Features = Aarch64Features {
        sve_vq: 0,
        pauth: true,
        tls: true,
    };

    fn at(desc: &TargetDescription, name: &str) -> Option<(usize, usize, u32)> {
        desc.register_by_name(name)
            .map(|r| (r.regnum, r.offset, r.bitsize))
    }

    #[test]
    fn numbering_and_g_layout() {
        let desc = target_description(ALL);
        assert_eq!(at(&desc, "x0"), Some((0, 0, 64)));
        assert_eq!(at(&desc, "x29"), Some((FP_REGNUM, 232, 64)));
        assert_eq!(at(&desc, "x30"), Some((30, 240, 64)));
        assert_eq!(at(&desc, "sp"), Some((SP_REGNUM, 248, 64)));
        assert_eq!(at(&desc, "pc"), Some((PC_REGNUM, 256, 64)));
        assert_eq!(at(&desc, "cpsr"), Some((CPSR_REGNUM, 264, 32)));
        assert_eq!(at(&desc, "v0"), Some((34, 268, 128)));
        assert_eq!(at(&desc, "v31"), Some((65, 764, 128)));
        assert_eq!(at(&desc, "fpsr"), Some((66, 780, 32)));
        assert_eq!(at(&desc, "fpcr"), Some((67, 784, 32)));
        assert_eq!(at(&desc, "pauth_dmask"), Some((68, 788, 64)));
        assert_eq!(at(&desc, "pauth_cmask"), Some((69, 796, 64)));
        assert_eq!(at(&desc, "tpidr"), Some((70, 804, 64)));
        assert_eq!(desc.g_packet_len, 812);
        let mut offset = 0;
        for (i, reg) in desc.registers.iter().enumerate() {
            assert_eq!((reg.regnum, reg.offset), (i, offset), "{}", reg.name);
            offset += reg.size();
        }
    }

    #[test]
    fn optional_features() {
        let plain = target_description(Aarch64Features::default());
        assert_eq!(plain.registers.len(), 68);
        assert_eq!(plain.g_packet_len, 788);
        assert!(!plain.xml.contains(FEATURE_PAUTH));
        assert!(!plain.xml.contains(FEATURE_TLS));
        let tls_only = target_description(Aarch64Features {
            sve_vq: 0,
            pauth: false,
            tls: true,
        });
        assert_eq!(at(&tls_only, "tpidr"), Some((68, 788, 64)));
    }

    #[test]
    fn xml_declares_every_type_it_uses() {
        let desc = target_description(ALL);
        let xml = &desc.xml;
        assert!(xml.contains("<architecture>aarch64</architecture>"));
        assert!(xml.contains("<flags id=\"cpsr_flags\" size=\"4\">"));
        assert!(xml.contains("<union id=\"aarch64v\">"));
        assert!(xml.contains("<reg name=\"v0\" bitsize=\"128\" type=\"aarch64v\" regnum=\"34\"/>"));
        for reg in &desc.registers {
            assert_eq!(
                xml.matches(&format!("<reg name=\"{}\" ", reg.name)).count(),
                1,
                "{}",
                reg.name
            );
        }
        // Each union field names a declared vector or union.
        for ty in VECTOR_TYPES {
            if let TdescType::Union { fields, .. } = ty {
                for (_, field_type) in fields.iter() {
                    assert!(
                        xml.contains(&format!("id=\"{field_type}\"")),
                        "{field_type}"
                    );
                }
            }
        }
    }

    /// qemu's `-cpu max` runs Linux programs with 512-bit vectors (vq 4).
    #[test]
    fn sve_replaces_the_fpu_feature() {
        let desc = target_description(Aarch64Features {
            sve_vq: 4,
            pauth: true,
            tls: true,
        });
        assert_eq!(at(&desc, "z0"), Some((34, 268, 512)));
        assert_eq!(at(&desc, "z31"), Some((65, 268 + 31 * 64, 512)));
        let after_z = 268 + 32 * 64;
        assert_eq!(at(&desc, "fpsr"), Some((66, after_z, 32)));
        assert_eq!(at(&desc, "fpcr"), Some((67, after_z + 4, 32)));
        assert_eq!(at(&desc, "p0"), Some((68, after_z + 8, 64)));
        assert_eq!(at(&desc, "ffr"), Some((84, after_z + 8 + 16 * 8, 64)));
        assert_eq!(at(&desc, "vg"), Some((85, after_z + 8 + 17 * 8, 64)));
        assert_eq!(at(&desc, "pauth_dmask").map(|r| r.0), Some(86));
        assert_eq!(at(&desc, "v0"), None);
        assert!(desc
            .xml
            .contains("<feature name=\"org.gnu.gdb.aarch64.sve\">"));
        assert!(!desc.xml.contains(FEATURE_FPU));
        assert!(desc
            .xml
            .contains("<vector id=\"svevqu\" type=\"uint128\" count=\"4\"/>"));
        assert!(desc
            .xml
            .contains("<vector id=\"svep\" type=\"uint8\" count=\"8\"/>"));
        // The same length twice: the same feature, not a second one.
        let again = target_description(Aarch64Features {
            sve_vq: 4,
            pauth: true,
            tls: true,
        });
        assert_eq!(again, desc);
        let longest = target_description(Aarch64Features {
            sve_vq: 99,
            pauth: false,
            tls: false,
        });
        assert_eq!(at(&longest, "z0").map(|r| r.2), Some(2048));
    }

    #[test]
    fn brk_zero_encoding() {
        assert_eq!(u32::from_le_bytes([0x00, 0x00, 0x20, 0xd4]), 0xd420_0000);
        assert_eq!(BREAKPOINT_INSN.len(), 4);
    }
}
