//! Unit tests for the x86_64 register conversions, on synthetic buffers.

use super::*;
use rgdbserver_arch::x86_64::{target_description, X86Features};

const INTEL: XsaveLayout = XsaveLayout::INTEL;
/// Large enough for every component in Intel's layout.
const XSAVE_LEN: usize = 2696;
const BV: usize = 512;

fn all_features() -> TargetDescription {
    target_description(X86Features {
        avx: true,
        avx512: true,
        pkeys: true,
    })
}

fn variants() -> Vec<TargetDescription> {
    [0x3u64, 0x7, 0x207, 0x2e7]
        .into_iter()
        .map(|xcr0| target_description(X86Features::from_xcr0(xcr0)))
        .collect()
}

fn zero_gpr() -> user_regs_struct {
    // SAFETY: user_regs_struct is plain integers; all-zero is a valid value.
    unsafe { std::mem::zeroed() }
}

fn set_bv(buf: &mut [u8], bv: u64) {
    buf[BV..BV + 8].copy_from_slice(&bv.to_le_bytes());
}

fn bv_of(buf: &[u8]) -> u64 {
    xstate_bv(buf)
}

/// A buffer whose every byte is a position-derived pattern, all components live.
fn patterned_xstate() -> Vec<u8> {
    let mut buf: Vec<u8> = (0..XSAVE_LEN).map(|i| (i * 7 + 3) as u8).collect();
    set_bv(&mut buf, 0x2e7);
    // Keep the x87 words in their architectural widths so they round-trip.
    buf[FOP..FOP + 2].copy_from_slice(&0x05d9u16.to_le_bytes());
    buf[FSTAT..FSTAT + 2].copy_from_slice(&(3u16 << 11).to_le_bytes());
    buf
}

fn patterned_gpr() -> user_regs_struct {
    let mut gpr = zero_gpr();
    let mut n = 0x1111_1111_1111_1111u64;
    for name in [
        "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12",
        "r13", "r14", "r15", "rip", "orig_rax", "fs_base", "gs_base",
    ] {
        if let Some(g) = Gpr::from_name(name) {
            *g.slot(&mut gpr) = n;
        }
        n = n.wrapping_add(0x0101_0101_0101_0101);
    }
    gpr.eflags = 0x246;
    gpr.cs = 0x33;
    gpr.ss = 0x2b;
    gpr.fs = 0x10;
    gpr
}

fn slot<'g>(desc: &TargetDescription, g: &'g [u8], name: &str) -> &'g [u8] {
    let reg = desc
        .register_by_name(name)
        .expect("register in description");
    &g[reg.offset..reg.offset + reg.size()]
}

fn u32_slot(desc: &TargetDescription, g: &[u8], name: &str) -> u32 {
    u32::from_le_bytes(slot(desc, g, name).try_into().expect("4 bytes"))
}

#[test]
fn every_register_has_storage_of_its_size() {
    for desc in variants() {
        for reg in &desc.registers {
            let size = match locate(reg.name, &INTEL) {
                Some(Location::Gpr(_)) => 8,
                Some(Location::Gpr32(_)) => 4,
                Some(Location::Xsave { len, .. }) => len,
                Some(_) => 4,
                None => panic!("{} has no location", reg.name),
            };
            assert_eq!(size, reg.size(), "{}", reg.name);
        }
    }
}

#[test]
fn gprs_land_in_their_slots() {
    let desc = all_features();
    let mut gpr = patterned_gpr();
    gpr.rbx = 0x1122_3344_5566_7788;
    gpr.eflags = 0xffff_ffff_0000_0246;
    let mut g = Vec::new();
    regs_to_g_with(&desc, &INTEL, &gpr, &patterned_xstate(), &mut g);
    assert_eq!(g.len(), desc.g_packet_len);
    assert_eq!(
        slot(&desc, &g, "rbx"),
        &0x1122_3344_5566_7788u64.to_le_bytes()
    );
    assert_eq!(slot(&desc, &g, "rip"), &gpr.rip.to_le_bytes());
    assert_eq!(u32_slot(&desc, &g, "eflags"), 0x246);
    assert_eq!(u32_slot(&desc, &g, "cs"), 0x33);
    assert_eq!(slot(&desc, &g, "orig_rax"), &gpr.orig_rax.to_le_bytes());
    assert_eq!(slot(&desc, &g, "fs_base"), &gpr.fs_base.to_le_bytes());
    assert_eq!(slot(&desc, &g, "gs_base"), &gpr.gs_base.to_le_bytes());
}

#[test]
fn xsave_components_land_in_their_slots() {
    let desc = all_features();
    let x = patterned_xstate();
    let mut g = Vec::new();
    regs_to_g_with(&desc, &INTEL, &zero_gpr(), &x, &mut g);
    assert_eq!(slot(&desc, &g, "st0"), &x[32..42]);
    assert_eq!(slot(&desc, &g, "st7"), &x[144..154]);
    assert_eq!(slot(&desc, &g, "xmm0"), &x[160..176]);
    assert_eq!(slot(&desc, &g, "xmm15"), &x[400..416]);
    assert_eq!(slot(&desc, &g, "ymm0h"), &x[576..592]);
    assert_eq!(slot(&desc, &g, "ymm15h"), &x[816..832]);
    assert_eq!(slot(&desc, &g, "k0"), &x[1088..1096]);
    assert_eq!(slot(&desc, &g, "k7"), &x[1144..1152]);
    assert_eq!(slot(&desc, &g, "zmm0h"), &x[1152..1184]);
    assert_eq!(slot(&desc, &g, "zmm15h"), &x[1632..1664]);
    assert_eq!(slot(&desc, &g, "xmm16"), &x[1664..1680]);
    assert_eq!(slot(&desc, &g, "ymm16h"), &x[1680..1696]);
    assert_eq!(slot(&desc, &g, "zmm16h"), &x[1696..1728]);
    assert_eq!(slot(&desc, &g, "xmm31"), &x[2624..2640]);
    assert_eq!(slot(&desc, &g, "zmm31h"), &x[2656..2688]);
    assert_eq!(slot(&desc, &g, "pkru"), &x[2688..2692]);
    assert_eq!(slot(&desc, &g, "mxcsr"), &x[24..28]);
    assert_eq!(slot(&desc, &g, "fioff"), &x[8..12]);
    assert_eq!(slot(&desc, &g, "fooff"), &x[16..20]);
    assert_eq!(
        u32_slot(&desc, &g, "fctrl"),
        u32::from(read_u16(&x, 0).unwrap_or(0))
    );
    assert_eq!(
        u32_slot(&desc, &g, "fiseg"),
        u32::from(read_u16(&x, 12).unwrap_or(0))
    );
    assert_eq!(
        u32_slot(&desc, &g, "foseg"),
        u32::from(read_u16(&x, 20).unwrap_or(0))
    );
    assert_eq!(u32_slot(&desc, &g, "fop"), 0x5d9);
}

#[test]
fn another_vendor_layout_moves_pkru() {
    // AMD Zen (no MPX area) puts PKRU at 2432.
    let amd = XsaveLayout {
        pkru: 2432,
        ..INTEL
    };
    let desc = target_description(X86Features::from_xcr0(0x207));
    let mut x = vec![0u8; 2440];
    set_bv(&mut x, 0x207);
    x[2432..2436].copy_from_slice(&0x5555_5554u32.to_le_bytes());
    let mut g = Vec::new();
    regs_to_g_with(&desc, &amd, &zero_gpr(), &x, &mut g);
    assert_eq!(u32_slot(&desc, &g, "pkru"), 0x5555_5554);
    // Intel's offset is past this buffer: read as zero, never a panic.
    regs_to_g_with(&desc, &INTEL, &zero_gpr(), &x, &mut g);
    assert_eq!(u32_slot(&desc, &g, "pkru"), 0);
}

#[test]
fn round_trip_g_regs_g() {
    for desc in variants() {
        let mut g1 = Vec::new();
        regs_to_g_with(
            &desc,
            &INTEL,
            &patterned_gpr(),
            &patterned_xstate(),
            &mut g1,
        );

        let mut gpr = zero_gpr();
        let mut x = vec![0u8; XSAVE_LEN];
        g_to_regs_with(&desc, &INTEL, &g1, &mut gpr, &mut x).expect("G applies");
        let mut g2 = Vec::new();
        regs_to_g_with(&desc, &INTEL, &gpr, &x, &mut g2);
        assert_eq!(g1, g2, "{} registers", desc.registers.len());
    }
}

#[test]
fn init_components_read_as_init_values() {
    let desc = all_features();
    let mut x = vec![0xaau8; XSAVE_LEN];
    set_bv(&mut x, 0);
    let mut g = Vec::new();
    regs_to_g_with(&desc, &INTEL, &patterned_gpr(), &x, &mut g);
    for name in [
        "st0", "st7", "xmm0", "xmm15", "ymm0h", "ymm15h", "xmm16", "ymm31h", "k0", "k7", "zmm0h",
        "zmm31h", "pkru", "fstat", "fiseg", "fioff", "foseg", "fooff", "fop",
    ] {
        assert!(slot(&desc, &g, name).iter().all(|&b| b == 0), "{name}");
    }
    assert_eq!(u32_slot(&desc, &g, "fctrl"), 0x37f);
    assert_eq!(u32_slot(&desc, &g, "ftag"), 0xffff);
    assert_eq!(u32_slot(&desc, &g, "mxcsr"), 0x1f80);
    assert_eq!(slot(&desc, &g, "rax"), &patterned_gpr().rax.to_le_bytes());

    // mxcsr is live as soon as SSE or AVX is.
    set_bv(&mut x, xstate::AVX);
    regs_to_g_with(&desc, &INTEL, &zero_gpr(), &x, &mut g);
    assert_eq!(u32_slot(&desc, &g, "mxcsr"), 0xaaaa_aaaa);
    assert!(slot(&desc, &g, "xmm0").iter().all(|&b| b == 0));
    assert!(slot(&desc, &g, "ymm0h").iter().all(|&b| b == 0xaa));
}

#[test]
fn writing_back_unchanged_values_keeps_init_state() {
    let desc = all_features();
    let mut x = vec![0xaau8; XSAVE_LEN];
    set_bv(&mut x, 0);
    let before = x.clone();
    let mut gpr = zero_gpr();
    let mut g = Vec::new();
    regs_to_g_with(&desc, &INTEL, &gpr, &x, &mut g);
    g_to_regs_with(&desc, &INTEL, &g, &mut gpr, &mut x).expect("G applies");
    assert_eq!(x, before);
}

#[test]
fn writing_into_an_init_component_clears_stale_bytes() {
    let desc = all_features();
    let mut x = vec![0xaau8; XSAVE_LEN];
    set_bv(&mut x, xstate::X87 | xstate::SSE);
    let mut gpr = zero_gpr();
    let reg = desc.register_by_name("ymm3h").expect("ymm3h").clone();
    write_register(&reg, &INTEL, &[0x5a; 16], &mut gpr, &mut x).expect("write");
    assert_eq!(bv_of(&x), xstate::X87 | xstate::SSE | xstate::AVX);
    assert_eq!(&x[624..640], &[0x5a; 16]);
    assert!(x[576..624].iter().chain(&x[640..832]).all(|&b| b == 0));
    assert_eq!(&x[24..28], &[0xaa; 4], "SSE was live: mxcsr untouched");

    let reg = desc.register_by_name("zmm17h").expect("zmm17h").clone();
    write_register(&reg, &INTEL, &[0x11; 32], &mut gpr, &mut x).expect("write");
    assert_eq!(bv_of(&x) & xstate::HI16_ZMM, xstate::HI16_ZMM);
    assert_eq!(&x[1760..1792], &[0x11; 32]);
    assert!(x[1664..1760].iter().all(|&b| b == 0));
}

#[test]
fn mxcsr_write_makes_sse_live() {
    let desc = all_features();
    let mut x = vec![0xaau8; XSAVE_LEN];
    set_bv(&mut x, 0);
    let reg = desc.register_by_name("mxcsr").expect("mxcsr").clone();
    write_register(
        &reg,
        &INTEL,
        &0x1fa0u32.to_le_bytes(),
        &mut zero_gpr(),
        &mut x,
    )
    .expect("write");
    assert_eq!(bv_of(&x), xstate::SSE);
    assert_eq!(read_u32(&x, MXCSR), Some(0x1fa0));
    assert!(x[160..416].iter().all(|&b| b == 0));
}

#[test]
fn x87_words_keep_their_widths() {
    let desc = all_features();
    let mut x = patterned_xstate();
    let mut gpr = zero_gpr();
    let fop = desc.register_by_name("fop").expect("fop").clone();
    x[FOP..FOP + 2].copy_from_slice(&0xf800u16.to_le_bytes());
    write_register(
        &fop,
        &INTEL,
        &0xffff_f123u32.to_le_bytes(),
        &mut gpr,
        &mut x,
    )
    .expect("fop");
    assert_eq!(read_u16(&x, FOP), Some(0xf800 | 0x123));
    let fctrl = desc.register_by_name("fctrl").expect("fctrl").clone();
    write_register(
        &fctrl,
        &INTEL,
        &0x0001_027fu32.to_le_bytes(),
        &mut gpr,
        &mut x,
    )
    .expect("fctrl");
    assert_eq!(read_u16(&x, FCTRL), Some(0x027f));
    let cs = desc.register_by_name("cs").expect("cs").clone();
    gpr.cs = 0xdead_0000_0000_0000;
    write_register(&cs, &INTEL, &0x33u32.to_le_bytes(), &mut gpr, &mut x).expect("cs");
    assert_eq!(gpr.cs, 0xdead_0000_0000_0033);
}

/// 80-bit extended values, little-endian: 64-bit significand then sign+exponent.
fn ext(significand: u64, sign_exponent: u16) -> [u8; 10] {
    let mut raw = [0u8; 10];
    raw[..8].copy_from_slice(&significand.to_le_bytes());
    raw[8..].copy_from_slice(&sign_exponent.to_le_bytes());
    raw
}

#[test]
fn tag_classification() {
    assert_eq!(tag_of(&ext(0, 0)), 1, "zero");
    assert_eq!(tag_of(&ext(0, 0x8000)), 1, "negative zero");
    assert_eq!(tag_of(&ext(1 << 63, 0x3fff)), 0, "1.0");
    assert_eq!(tag_of(&ext(1 << 63, 0x7fff)), 2, "infinity");
    assert_eq!(tag_of(&ext(3 << 62, 0xffff)), 2, "NaN");
    assert_eq!(tag_of(&ext(1, 0)), 2, "denormal");
    assert_eq!(tag_of(&ext(1 << 63, 0)), 2, "pseudo-denormal");
    assert_eq!(tag_of(&ext(1, 0x3fff)), 2, "unnormal");
}

#[test]
fn ftag_conversion() {
    let mut x = vec![0u8; XSAVE_LEN];
    set_bv(&mut x, xstate::X87);
    // Nothing pushed: all empty.
    assert_eq!(full_ftag(&x), 0xffff);

    // Two pushes from TOP=0 leave TOP=6: st0 is physical 6, st1 physical 7.
    x[FSTAT..FSTAT + 2].copy_from_slice(&(6u16 << 11).to_le_bytes());
    x[FTAG] = 0b1100_0000;
    x[ST_SPACE..ST_SPACE + 10].copy_from_slice(&ext(1 << 63, 0x3fff));
    x[ST_SPACE + 16..ST_SPACE + 26].copy_from_slice(&ext(0, 0));
    // Physical 6 valid (00), physical 7 zero (01), the rest empty (11).
    assert_eq!(full_ftag(&x), 0x4fff);
    assert_eq!(abridged_ftag(0x4fff), 0b1100_0000);
    assert_eq!(abridged_ftag(0xffff), 0);
    assert_eq!(abridged_ftag(0x0000), 0xff);
    assert_eq!(abridged_ftag(0xbfff), 0b1000_0000, "special counts as used");

    // Written back through the register path, the abridged byte is restored.
    let desc = all_features();
    let ftag = desc.register_by_name("ftag").expect("ftag").clone();
    x[FTAG] = 0;
    write_register(
        &ftag,
        &INTEL,
        &0x4fffu32.to_le_bytes(),
        &mut zero_gpr(),
        &mut x,
    )
    .expect("ftag");
    assert_eq!(x[FTAG], 0b1100_0000);
}

/// Through the public API, i.e. with this CPU's XSAVE layout. AVX-512 is left
/// out: on a CPU without it the host layout mixes vendors (AMD's PKRU offset
/// falls inside Intel's zmm16-31 area), a combination no real CPU reports.
#[test]
fn single_register_access_matches_g() {
    for desc in variants()
        .into_iter()
        .filter(|d| d.register_by_name("k0").is_none())
    {
        let gpr = patterned_gpr();
        let x = patterned_xstate();
        let mut g = Vec::new();
        regs_to_g(&desc, &gpr, &x, &mut g);
        let mut one = Vec::new();
        for reg in &desc.registers {
            register_to_bytes(&desc, reg.regnum, &gpr, &x, &mut one).expect("p");
            assert_eq!(one, &g[reg.offset..reg.offset + reg.size()], "{}", reg.name);
        }
        let (mut gpr2, mut x2) = (zero_gpr(), vec![0u8; XSAVE_LEN]);
        for reg in &desc.registers {
            let bytes = &g[reg.offset..reg.offset + reg.size()];
            bytes_to_register(&desc, reg.regnum, bytes, &mut gpr2, &mut x2).expect("P");
        }
        let mut g2 = Vec::new();
        regs_to_g(&desc, &gpr2, &x2, &mut g2);
        assert_eq!(g, g2);
    }
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let desc = all_features();
    let mut gpr = zero_gpr();
    let mut x = vec![0u8; XSAVE_LEN];
    let mut out = Vec::new();
    assert!(register_to_bytes(&desc, 9999, &gpr, &x, &mut out).is_err());
    assert!(bytes_to_register(&desc, 9999, &[0; 8], &mut gpr, &mut x).is_err());
    assert!(bytes_to_register(&desc, 0, &[0; 7], &mut gpr, &mut x).is_err());
    assert!(g_to_regs(&desc, &[0; 10], &mut gpr, &mut x).is_err());
    // A component past the end of a short buffer cannot be written...
    let mut short = vec![0u8; 576];
    let k0 = desc.register_by_name("k0").map(|r| r.regnum).unwrap_or(0);
    assert!(bytes_to_register(&desc, k0, &[1; 8], &mut gpr, &mut short).is_err());
    // ...and reads as zero.
    register_to_bytes(&desc, k0, &gpr, &short, &mut out).expect("p");
    assert_eq!(out, vec![0; 8]);
}
