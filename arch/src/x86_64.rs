//! amd64 GNU/Linux: register layout, target description and trap facts.
//!
//! Owns the register table in gdb's remote numbering for every feature set GNU
//! gdbserver 13 chooses from XCR0: core, sse, linux (orig_rax), segments
//! (fs_base, gs_base), then avx, avx512 and pkeys when the CPU has them, in the
//! order of gdb's `amd64_create_target_description`. MPX is not offered (the
//! kernel dropped MPX support in 5.6).
//!
//! Invariants: the static feature tables below are the single source of truth;
//! [`target_description`] derives the regnums, the `g` packet offsets and the XML
//! from them, so the three always agree. Register names and types are the ones
//! gdb's i386 tdep code validates: a wrong name makes gdb reject the whole
//! description, a wrong size shifts every later register in the `g` packet.

pub mod debugregs;
mod xml;

pub(crate) use xml::{EFLAGS_TYPE, MXCSR_TYPE, V2UI128_TYPE, VEC128_TYPES};

use crate::tdesc::{build, grouped, numbered, run, DescriptionFacts, Feature, FeatureXml};
use crate::TargetDescription;

/// XCR0 / XSTATE_BV component bits (Intel SDM vol. 1, 13.1).
pub mod xstate {
    pub const X87: u64 = 1 << 0;
    pub const SSE: u64 = 1 << 1;
    pub const AVX: u64 = 1 << 2;
    /// AVX-512 opmask registers k0-k7.
    pub const OPMASK: u64 = 1 << 5;
    /// Upper 256 bits of zmm0-zmm15.
    pub const ZMM_HI256: u64 = 1 << 6;
    /// All 512 bits of zmm16-zmm31.
    pub const HI16_ZMM: u64 = 1 << 7;
    pub const AVX512: u64 = OPMASK | ZMM_HI256 | HI16_ZMM;
    pub const PKRU: u64 = 1 << 9;
}

/// The optional register sets of the description, as read from XCR0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct X86Features {
    pub avx: bool,
    pub avx512: bool,
    pub pkeys: bool,
}

impl X86Features {
    pub fn from_xcr0(xcr0: u64) -> Self {
        X86Features {
            avx: xcr0 & xstate::AVX != 0,
            // The three AVX-512 components are enabled together by any OS that
            // supports AVX-512; a partial set would leave registers without storage.
            avx512: xcr0 & xstate::AVX512 == xstate::AVX512,
            pkeys: xcr0 & xstate::PKRU != 0,
        }
    }
}

/// `int3`.
pub const BREAKPOINT_INSN: &[u8] = &[0xcc];
/// After `int3` traps, the PC points one byte past the breakpoint.
pub const PC_AFTER_BREAKPOINT_ADJUST: u64 = 1;

pub const RBP_REGNUM: usize = 6;
pub const RSP_REGNUM: usize = 7;
pub const RIP_REGNUM: usize = 16;
pub const EFLAGS_REGNUM: usize = 17;
pub const PC_REGNUM: usize = RIP_REGNUM;
pub const SP_REGNUM: usize = RSP_REGNUM;
pub const FP_REGNUM: usize = RBP_REGNUM;
/// orig_rax follows core (40 registers) and sse (17) in every Linux description.
pub const ORIG_RAX_REGNUM: usize = 57;
pub const FS_BASE_REGNUM: usize = 58;
pub const GS_BASE_REGNUM: usize = 59;
/// The register that holds the syscall number at a syscall stop.
pub const SYSCALL_NUMBER_REGNUM: usize = ORIG_RAX_REGNUM;

/// Registers GNU gdbserver puts in every amd64 stop reply: rbp, rsp, rip.
pub const EXPEDITED_REGNUMS: &[usize] = &[RBP_REGNUM, RSP_REGNUM, RIP_REGNUM];

pub const ARCHITECTURE: &str = "i386:x86-64";
pub const OSABI: &str = "GNU/Linux";

pub const FEATURE_CORE: &str = "org.gnu.gdb.i386.core";
pub const FEATURE_SSE: &str = "org.gnu.gdb.i386.sse";
pub const FEATURE_LINUX: &str = "org.gnu.gdb.i386.linux";
pub const FEATURE_SEGMENTS: &str = "org.gnu.gdb.i386.segments";
pub const FEATURE_AVX: &str = "org.gnu.gdb.i386.avx";
pub const FEATURE_AVX512: &str = "org.gnu.gdb.i386.avx512";
pub const FEATURE_PKEYS: &str = "org.gnu.gdb.i386.pkeys";

/// Builds the amd64 GNU/Linux description for `features`.
pub fn target_description(features: X86Features) -> TargetDescription {
    let mut chosen: Vec<&Feature> = vec![&CORE, &SSE, &LINUX, &SEGMENTS];
    if features.avx {
        chosen.push(&AVX);
    }
    if features.avx512 {
        chosen.push(&AVX512);
    }
    if features.pkeys {
        chosen.push(&PKEYS);
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

/// The x87 control and status registers, after st0-st7 in both descriptions.
pub(crate) const X87_CONTROL: &[&str] = &[
    "fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop",
];

pub(crate) const ST: &[&str] = numbered!("st", ""; 0 1 2 3 4 5 6 7);
const XMM_LO: &[&str] = numbered!("xmm", ""; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
const XMM_HI: &[&str] = numbered!("xmm", ""; 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31);
const YMMH_LO: &[&str] = numbered!("ymm", "h"; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
const YMMH_HI: &[&str] = numbered!("ymm", "h"; 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31);
pub(crate) const K: &[&str] = numbered!("k", ""; 0 1 2 3 4 5 6 7);
const ZMMH: &[&str] = numbered!("zmm", "h";
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31);

static CORE: Feature = Feature {
    xml: FeatureXml {
        name: FEATURE_CORE,
        types: &[&[EFLAGS_TYPE]],
    },
    runs: &[
        run(&["rax", "rbx", "rcx", "rdx", "rsi", "rdi"], 64, "int64"),
        run(&["rbp", "rsp"], 64, "data_ptr"),
        run(
            &["r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"],
            64,
            "int64",
        ),
        run(&["rip"], 64, "code_ptr"),
        run(&["eflags"], 32, "i386_eflags"),
        run(&["cs", "ss", "ds", "es", "fs", "gs"], 32, "int32"),
        run(ST, 80, "i387_ext"),
        grouped(run(X87_CONTROL, 32, "int"), "float"),
    ],
};

static SSE: Feature = Feature {
    xml: FeatureXml {
        name: FEATURE_SSE,
        types: &[VEC128_TYPES, &[MXCSR_TYPE]],
    },
    runs: &[
        run(XMM_LO, 128, "vec128"),
        grouped(run(&["mxcsr"], 32, "i386_mxcsr"), "vector"),
    ],
};

static LINUX: Feature = Feature {
    xml: FeatureXml {
        name: FEATURE_LINUX,
        types: &[],
    },
    runs: &[run(&["orig_rax"], 64, "int")],
};

static SEGMENTS: Feature = Feature {
    xml: FeatureXml {
        name: FEATURE_SEGMENTS,
        types: &[],
    },
    runs: &[run(&["fs_base", "gs_base"], 64, "int")],
};

static AVX: Feature = Feature {
    xml: FeatureXml {
        name: FEATURE_AVX,
        types: &[],
    },
    runs: &[run(YMMH_LO, 128, "uint128")],
};

static AVX512: Feature = Feature {
    xml: FeatureXml {
        name: FEATURE_AVX512,
        types: &[VEC128_TYPES, &[V2UI128_TYPE]],
    },
    runs: &[
        run(XMM_HI, 128, "vec128"),
        run(YMMH_HI, 128, "uint128"),
        run(K, 64, "uint64"),
        run(ZMMH, 256, "v2ui128"),
    ],
};

pub(crate) static PKEYS: Feature = Feature {
    xml: FeatureXml {
        name: FEATURE_PKEYS,
        types: &[],
    },
    runs: &[run(&["pkru"], 32, "uint32")],
};

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: X86Features = X86Features {
        avx: false,
        avx512: false,
        pkeys: false,
    };
    const AVX_ONLY: X86Features = X86Features {
        avx: true,
        avx512: false,
        pkeys: false,
    };
    /// What this development machine (AMD EPYC, XCR0 = 0x207) has.
    const AVX_PKEYS: X86Features = X86Features {
        avx: true,
        avx512: false,
        pkeys: true,
    };
    const ALL: X86Features = X86Features {
        avx: true,
        avx512: true,
        pkeys: true,
    };

    fn all_variants() -> Vec<TargetDescription> {
        [PLAIN, AVX_ONLY, AVX_PKEYS, ALL]
            .into_iter()
            .map(target_description)
            .collect()
    }

    fn regnum(desc: &TargetDescription, name: &str) -> usize {
        match desc.register_by_name(name) {
            Some(r) => r.regnum,
            None => panic!("{name} missing"),
        }
    }

    #[test]
    fn features_from_xcr0() {
        assert_eq!(X86Features::from_xcr0(0x3), PLAIN);
        assert_eq!(X86Features::from_xcr0(0x7), AVX_ONLY);
        assert_eq!(X86Features::from_xcr0(0x207), AVX_PKEYS);
        assert_eq!(X86Features::from_xcr0(0x2e7), ALL);
        // Intel Skylake-SP also reports MPX (bits 3, 4): ignored.
        assert_eq!(X86Features::from_xcr0(0x2ff), ALL);
        // A partial AVX-512 set is not AVX-512.
        assert_eq!(X86Features::from_xcr0(0x67), AVX_ONLY);
    }

    #[test]
    fn offsets_are_running_sums_and_regnums_consecutive() {
        for desc in all_variants() {
            let mut offset = 0;
            for (i, reg) in desc.registers.iter().enumerate() {
                assert_eq!(reg.regnum, i, "{}", reg.name);
                assert_eq!(reg.offset, offset, "{}", reg.name);
                assert_eq!(desc.register(i), Some(reg));
                offset += reg.size();
            }
            assert_eq!(desc.g_packet_len, offset);
        }
    }

    #[test]
    fn names_are_unique() {
        for desc in all_variants() {
            let mut names = std::collections::HashSet::new();
            for reg in &desc.registers {
                assert!(names.insert(reg.name), "{} twice", reg.name);
            }
        }
    }

    /// Register counts and `g` sizes as gdb computes them. The avx+pkeys row is
    /// what GNU gdbserver 13.1 sends on the development machine (77 registers,
    /// pkru at offset 816); the others were checked with gdb's
    /// `set tdesc filename` + `maint print remote-registers`.
    #[test]
    fn variant_sizes() {
        let cases = [
            (PLAIN, 60, 560),
            (AVX_ONLY, 76, 816),
            (AVX_PKEYS, 77, 820),
            (ALL, 149, 2420),
        ];
        for (features, count, g_len) in cases {
            let desc = target_description(features);
            assert_eq!(desc.registers.len(), count, "{features:?}");
            assert_eq!(desc.g_packet_len, g_len, "{features:?}");
        }
    }

    #[test]
    fn fixed_regnums() {
        for desc in all_variants() {
            assert_eq!(regnum(&desc, "rbp"), FP_REGNUM);
            assert_eq!(regnum(&desc, "rsp"), SP_REGNUM);
            assert_eq!(regnum(&desc, "rip"), PC_REGNUM);
            assert_eq!(regnum(&desc, "eflags"), EFLAGS_REGNUM);
            assert_eq!(regnum(&desc, "orig_rax"), ORIG_RAX_REGNUM);
            assert_eq!(regnum(&desc, "fs_base"), FS_BASE_REGNUM);
            assert_eq!(regnum(&desc, "gs_base"), GS_BASE_REGNUM);
            assert_eq!(regnum(&desc, "st0"), 24);
            assert_eq!(regnum(&desc, "fctrl"), 32);
            assert_eq!(regnum(&desc, "xmm0"), 40);
            assert_eq!(regnum(&desc, "mxcsr"), 56);
            assert_eq!(desc.pc_regnum, 16);
            assert_eq!(desc.sp_regnum, 7);
            assert_eq!(desc.fp_regnum, 6);
        }
        assert_eq!(EXPEDITED_REGNUMS, &[6, 7, 16]);
    }

    /// Matches GNU gdbserver's `maint print remote-registers` on this machine.
    #[test]
    fn avx_pkeys_layout() {
        let desc = target_description(AVX_PKEYS);
        let at = |name: &str| desc.register_by_name(name).map(|r| (r.regnum, r.offset));
        assert_eq!(at("eflags"), Some((17, 136)));
        assert_eq!(at("st0"), Some((24, 164)));
        assert_eq!(at("fop"), Some((39, 272)));
        assert_eq!(at("xmm0"), Some((40, 276)));
        assert_eq!(at("mxcsr"), Some((56, 532)));
        assert_eq!(at("orig_rax"), Some((57, 536)));
        assert_eq!(at("fs_base"), Some((58, 544)));
        assert_eq!(at("gs_base"), Some((59, 552)));
        assert_eq!(at("ymm0h"), Some((60, 560)));
        assert_eq!(at("ymm15h"), Some((75, 800)));
        assert_eq!(at("pkru"), Some((76, 816)));
    }

    #[test]
    fn avx512_numbering() {
        let desc = target_description(ALL);
        let at = |name: &str| {
            desc.register_by_name(name)
                .map(|r| (r.regnum, r.offset, r.bitsize))
        };
        assert_eq!(at("ymm15h"), Some((75, 800, 128)));
        assert_eq!(at("xmm16"), Some((76, 816, 128)));
        assert_eq!(at("xmm31"), Some((91, 1056, 128)));
        assert_eq!(at("ymm16h"), Some((92, 1072, 128)));
        assert_eq!(at("ymm31h"), Some((107, 1312, 128)));
        assert_eq!(at("k0"), Some((108, 1328, 64)));
        assert_eq!(at("k7"), Some((115, 1384, 64)));
        assert_eq!(at("zmm0h"), Some((116, 1392, 256)));
        assert_eq!(at("zmm31h"), Some((147, 2384, 256)));
        assert_eq!(at("pkru"), Some((148, 2416, 32)));
        for name in ["xmm16", "xmm31"] {
            assert_eq!(
                desc.register_by_name(name).map(|r| r.type_name),
                Some("vec128")
            );
        }
        for name in ["zmm0h", "zmm31h"] {
            assert_eq!(
                desc.register_by_name(name).map(|r| r.type_name),
                Some("v2ui128")
            );
        }
        for name in ["k0", "k7"] {
            assert_eq!(
                desc.register_by_name(name).map(|r| r.type_name),
                Some("uint64")
            );
        }
    }

    /// Every `<reg>` of the XML, as (name, bitsize, type, regnum, group).
    fn xml_regs(xml: &str) -> Vec<(String, u32, String, usize, Option<String>)> {
        let attr = |line: &str, key: &str| -> Option<String> {
            let start = line.find(&format!(" {key}=\""))? + key.len() + 3;
            let len = line[start..].find('"')?;
            Some(line[start..start + len].to_string())
        };
        xml.lines()
            .filter(|l| l.trim_start().starts_with("<reg "))
            .map(|l| {
                let num = |key: &str| attr(l, key).and_then(|v| v.parse().ok());
                (
                    attr(l, "name").unwrap_or_default(),
                    num("bitsize").unwrap_or(0) as u32,
                    attr(l, "type").unwrap_or_default(),
                    num("regnum").unwrap_or(usize::MAX),
                    attr(l, "group"),
                )
            })
            .collect()
    }

    #[test]
    fn xml_lists_every_register_once_in_order() {
        for desc in all_variants() {
            let regs = xml_regs(&desc.xml);
            assert_eq!(regs.len(), desc.registers.len());
            for (reg, (name, bitsize, ty, regnum, group)) in desc.registers.iter().zip(regs) {
                assert_eq!(reg.name, name);
                assert_eq!(reg.bitsize, bitsize, "{name}");
                assert_eq!(reg.type_name, ty, "{name}");
                assert_eq!(reg.regnum, regnum, "{name}");
                assert_eq!(reg.group.map(str::to_string), group, "{name}");
            }
        }
    }

    #[test]
    fn xml_header_and_features() {
        let desc = target_description(ALL);
        let xml = &desc.xml;
        assert!(xml.starts_with("<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM"));
        assert!(xml.contains("<architecture>i386:x86-64</architecture>"));
        assert!(xml.contains("<osabi>GNU/Linux</osabi>"));
        assert!(!xml.contains("xi:include"));
        let order: Vec<usize> = [
            FEATURE_CORE,
            FEATURE_SSE,
            FEATURE_LINUX,
            FEATURE_SEGMENTS,
            FEATURE_AVX,
            FEATURE_AVX512,
            FEATURE_PKEYS,
        ]
        .iter()
        .filter_map(|f| xml.find(&format!("<feature name=\"{f}\">")))
        .collect();
        assert_eq!(order.len(), 7);
        assert!(order.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            xml.matches("<feature ").count(),
            xml.matches("</feature>").count()
        );
        // Both vector features declare their own vec128; avx512 adds v2ui128.
        assert_eq!(xml.matches("<union id=\"vec128\">").count(), 2);
        assert!(xml.contains("<vector id=\"v2ui128\" type=\"uint128\" count=\"2\"/>"));
        assert!(xml.contains("<flags id=\"i386_eflags\" size=\"4\">"));
        assert!(xml.contains("<flags id=\"i386_mxcsr\" size=\"4\">"));
        assert!(xml.contains("<field name=\"\" start=\"1\" end=\"1\" type=\"bool\"/>"));

        let plain = target_description(PLAIN).xml;
        for absent in [FEATURE_AVX, FEATURE_AVX512, FEATURE_PKEYS] {
            assert!(!plain.contains(absent));
        }
    }

    /// GNU gdbserver 13.1 sent an 8068-byte target.xml on the development
    /// machine (avx+pkeys); ours was byte-identical when compared with
    /// `gdbserver --remote-debug`. The length guards against silent drift.
    #[test]
    fn avx_pkeys_xml_matches_gdbserver_length() {
        assert_eq!(target_description(AVX_PKEYS).xml.len(), 8068);
    }

    #[test]
    fn xml_needs_no_escaping() {
        for desc in all_variants() {
            for reg in &desc.registers {
                assert!(reg
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_'));
            }
        }
    }
}
