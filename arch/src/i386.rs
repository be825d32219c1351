//! i386 GNU/Linux (a 32-bit program on an x86_64 kernel): register layout,
//! target description and trap facts.
//!
//! Owns the register table GNU gdbserver 13 sends for a 32-bit inferior,
//! chosen from XCR0 as for amd64 but in the order of gdb's
//! `i386_create_target_description`: core (eight 32-bit GPRs, eip, eflags,
//! segments, x87), sse (xmm0-7, mxcsr), linux (orig_eax), then avx (ymm0h-7h),
//! avx512 (k0-7, zmm0h-7h: a 32-bit program has no xmm16-31) and pkeys. There
//! is no segments feature (fs_base/gs_base): gdbserver offers it to amd64
//! programs only.
//!
//! The breakpoint instruction, its PC adjustment and the XCR0 features are
//! the amd64 ones: the same CPU, in compatibility mode.

use crate::tdesc::{build, grouped, numbered, run, DescriptionFacts, Feature, FeatureXml};
use crate::x86_64::{
    X86Features, EFLAGS_TYPE, FEATURE_AVX, FEATURE_AVX512, FEATURE_CORE, FEATURE_LINUX,
    FEATURE_SSE, K, MXCSR_TYPE, OSABI, PKEYS, ST, V2UI128_TYPE, VEC128_TYPES, X87_CONTROL,
};
use crate::TargetDescription;

pub const ESP_REGNUM: usize = 4;
pub const EBP_REGNUM: usize = 5;
pub const EIP_REGNUM: usize = 8;
pub const EFLAGS_REGNUM: usize = 9;
/// orig_eax follows core (32 registers) and sse (9).
pub const ORIG_EAX_REGNUM: usize = 41;

/// What gdb calls the architecture in `<architecture>`.
pub const ARCHITECTURE: &str = "i386";

/// Builds the i386 GNU/Linux description for `features`.
pub fn target_description(features: X86Features) -> TargetDescription {
    let mut chosen: Vec<&Feature> = vec![&CORE, &SSE, &LINUX];
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
            pc_regnum: EIP_REGNUM,
            sp_regnum: ESP_REGNUM,
            fp_regnum: EBP_REGNUM,
            address_size: 4,
        },
    )
}

const XMM: &[&str] = numbered!("xmm", ""; 0 1 2 3 4 5 6 7);
const YMMH: &[&str] = numbered!("ymm", "h"; 0 1 2 3 4 5 6 7);
const ZMMH: &[&str] = numbered!("zmm", "h"; 0 1 2 3 4 5 6 7);

static CORE: Feature = Feature {
    xml: FeatureXml {
        name: FEATURE_CORE,
        types: &[&[EFLAGS_TYPE]],
    },
    runs: &[
        run(&["eax", "ecx", "edx", "ebx"], 32, "int32"),
        run(&["esp", "ebp"], 32, "data_ptr"),
        run(&["esi", "edi"], 32, "int32"),
        run(&["eip"], 32, "code_ptr"),
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
        run(XMM, 128, "vec128"),
        grouped(run(&["mxcsr"], 32, "i386_mxcsr"), "vector"),
    ],
};

static LINUX: Feature = Feature {
    xml: FeatureXml {
        name: FEATURE_LINUX,
        types: &[],
    },
    runs: &[run(&["orig_eax"], 32, "int")],
};

static AVX: Feature = Feature {
    xml: FeatureXml {
        name: FEATURE_AVX,
        types: &[],
    },
    runs: &[run(YMMH, 128, "uint128")],
};

static AVX512: Feature = Feature {
    xml: FeatureXml {
        name: FEATURE_AVX512,
        types: &[&[V2UI128_TYPE]],
    },
    runs: &[run(K, 64, "uint64"), run(ZMMH, 256, "v2ui128")],
};

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: X86Features = X86Features {
        avx: false,
        avx512: false,
        pkeys: false,
    };
    /// What the development machine has today (XCR0 0xe7).
    const AVX_AVX512: X86Features = X86Features {
        avx: true,
        avx512: true,
        pkeys: false,
    };
    const ALL: X86Features = X86Features {
        avx: true,
        avx512: true,
        pkeys: true,
    };

    fn at(desc: &TargetDescription, name: &str) -> Option<(usize, usize, u32)> {
        desc.register_by_name(name)
            .map(|r| (r.regnum, r.offset, r.bitsize))
    }

    #[test]
    fn offsets_are_running_sums() {
        for features in [PLAIN, AVX_AVX512, ALL] {
            let desc = target_description(features);
            let mut offset = 0;
            for (i, reg) in desc.registers.iter().enumerate() {
                assert_eq!(reg.regnum, i, "{}", reg.name);
                assert_eq!(reg.offset, offset, "{}", reg.name);
                offset += reg.size();
            }
            assert_eq!(desc.g_packet_len, offset);
            assert_eq!(desc.address_size, 4);
        }
    }

    /// The numbering GNU gdbserver 13.1 sent for a `gcc -m32` program on the
    /// development machine (avx + avx512), read from gdb's remote log.
    #[test]
    fn numbering_matches_gdbserver() {
        let desc = target_description(AVX_AVX512);
        assert_eq!(at(&desc, "eax"), Some((0, 0, 32)));
        assert_eq!(at(&desc, "esp"), Some((4, 16, 32)));
        assert_eq!(at(&desc, "ebp"), Some((5, 20, 32)));
        assert_eq!(at(&desc, "eip"), Some((8, 32, 32)));
        assert_eq!(at(&desc, "eflags"), Some((9, 36, 32)));
        assert_eq!(at(&desc, "gs"), Some((15, 60, 32)));
        assert_eq!(at(&desc, "st0"), Some((16, 64, 80)));
        assert_eq!(at(&desc, "fctrl"), Some((24, 144, 32)));
        assert_eq!(at(&desc, "fop"), Some((31, 172, 32)));
        assert_eq!(at(&desc, "xmm0"), Some((32, 176, 128)));
        assert_eq!(at(&desc, "mxcsr"), Some((40, 304, 32)));
        assert_eq!(at(&desc, "orig_eax"), Some((41, 308, 32)));
        assert_eq!(at(&desc, "ymm0h"), Some((42, 312, 128)));
        assert_eq!(at(&desc, "k0"), Some((50, 440, 64)));
        assert_eq!(at(&desc, "zmm0h"), Some((58, 504, 256)));
        assert_eq!(at(&desc, "zmm7h"), Some((65, 728, 256)));
        assert_eq!(desc.registers.len(), 66);
        assert_eq!(desc.g_packet_len, 760);
        assert_eq!(at(&desc, "xmm8"), None);
        assert_eq!(at(&desc, "fs_base"), None);
        assert_eq!(
            (desc.pc_regnum, desc.sp_regnum, desc.fp_regnum),
            (EIP_REGNUM, ESP_REGNUM, EBP_REGNUM)
        );
        assert_eq!(at(&desc, "orig_eax").map(|r| r.0), Some(ORIG_EAX_REGNUM));
        assert_eq!(at(&desc, "eflags").map(|r| r.0), Some(EFLAGS_REGNUM));
    }

    #[test]
    fn pkeys_come_last() {
        let desc = target_description(ALL);
        assert_eq!(at(&desc, "pkru"), Some((66, 760, 32)));
        let plain = target_description(PLAIN);
        assert_eq!(plain.registers.len(), 42);
        assert_eq!(plain.g_packet_len, 312);
    }

    /// GNU gdbserver 13.1 sent a 7356-byte target.xml for a 32-bit program
    /// on the development machine (avx + avx512); ours was byte-identical
    /// when compared through gdb's remote log.
    #[test]
    fn xml_matches_gdbserver_length() {
        let xml = target_description(AVX_AVX512).xml;
        assert!(xml.contains("<architecture>i386</architecture>"));
        assert!(xml.contains("<reg name=\"orig_eax\" bitsize=\"32\" type=\"int\" regnum=\"41\"/>"));
        assert!(!xml.contains("org.gnu.gdb.i386.segments"));
        assert_eq!(xml.len(), 7356);
    }
}
