//! The XSAVE area as PTRACE_GETREGSET(NT_X86_XSTATE) returns it.
//!
//! Owns the buffer geometry (legacy FXSAVE region, XSAVE header, component
//! offsets from CPUID) and the init-state rules. The kernel always hands
//! ptrace the *standard* (non-compacted) format, whose component offsets are
//! CPUID.(EAX=0xD, ECX=i).EBX; they differ between vendors (AMD Zen puts PKRU
//! at 2432, Intel at 2688), so they are read from CPUID, never hard-coded.
//!
//! Invariant: a component whose XSTATE_BV bit is clear is in its init state
//! whatever bytes the buffer holds; before writing into such a component we
//! first store its init values, then set the bit, so no stale byte becomes
//! live.

use std::sync::OnceLock;

use rgdbserver_arch::x86_64::xstate;

/// FXSAVE legacy region: control words, then st0-7, then xmm0-15.
pub(super) const FCTRL: usize = 0;
pub(super) const FSTAT: usize = 2;
/// Abridged tag: one bit per physical register, 1 = not empty.
pub(super) const FTAG: usize = 4;
pub(super) const FOP: usize = 6;
pub(super) const FIOFF: usize = 8;
pub(super) const FISEG: usize = 12;
pub(super) const FOOFF: usize = 16;
pub(super) const FOSEG: usize = 20;
pub(super) const MXCSR: usize = 24;
pub(super) const ST_SPACE: usize = 32;
pub(super) const ST_STRIDE: usize = 16;
pub(super) const XMM_SPACE: usize = 160;
const LEGACY_END: usize = 416;
/// The kernel stores XCR0 in the software-usable bytes of the legacy area
/// (asm/user.h: "bytes[464..471] ... OS enabled xstate mask").
const SW_XCR0: usize = 464;
/// XSAVE header: XSTATE_BV, then XCOMP_BV (zero in the standard format).
const XSTATE_BV: usize = 512;
/// The legacy area plus the header: the smallest XSAVE buffer.
pub(super) const XSAVE_HEADER_END: usize = 576;

pub(super) const FCTRL_INIT: u16 = 0x037f;
pub(super) const MXCSR_INIT: u32 = 0x1f80;
/// Full tag word with all eight registers empty.
pub(super) const FTAG_ALL_EMPTY: u16 = 0xffff;

/// Where the extended components start in the standard-format XSAVE area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XsaveLayout {
    /// Upper halves of ymm0-15 (component 2).
    pub avx: usize,
    /// k0-k7 (component 5).
    pub opmask: usize,
    /// Upper 256 bits of zmm0-15 (component 6).
    pub zmm_hi256: usize,
    /// zmm16-31, 64 bytes each (component 7).
    pub hi16_zmm: usize,
    /// PKRU (component 9).
    pub pkru: usize,
}

impl XsaveLayout {
    /// The offsets Intel CPUs report (and gdb 13 hard-codes).
    pub const INTEL: XsaveLayout = XsaveLayout {
        avx: 576,
        opmask: 1088,
        zmm_hi256: 1152,
        hi16_zmm: 1664,
        pkru: 2688,
    };

    /// This CPU's layout, read once from CPUID.
    pub fn host() -> &'static XsaveLayout {
        static HOST: OnceLock<XsaveLayout> = OnceLock::new();
        HOST.get_or_init(|| {
            let offset = |component: u32, default: usize| match cpuid(0xd, component) {
                // EAX = size, EBX = offset; a zero size means "not supported",
                // and then the offset does not matter: keep Intel's.
                Some((size, offset, _)) if size != 0 => offset as usize,
                _ => default,
            };
            let intel = XsaveLayout::INTEL;
            XsaveLayout {
                avx: offset(2, intel.avx),
                opmask: offset(5, intel.opmask),
                zmm_hi256: offset(6, intel.zmm_hi256),
                hi16_zmm: offset(7, intel.hi16_zmm),
                pkru: offset(9, intel.pkru),
            }
        })
    }

    /// Start and size of a component's storage in the buffer.
    pub(super) fn area(&self, component: u64) -> Option<(usize, usize)> {
        match component {
            xstate::AVX => Some((self.avx, 256)),
            xstate::OPMASK => Some((self.opmask, 64)),
            xstate::ZMM_HI256 => Some((self.zmm_hi256, 512)),
            xstate::HI16_ZMM => Some((self.hi16_zmm, 1024)),
            xstate::PKRU => Some((self.pkru, 8)),
            _ => None,
        }
    }
}

/// (EAX, EBX, ECX) of CPUID leaf/sub-leaf, or `None` past the highest leaf.
fn cpuid(leaf: u32, sub_leaf: u32) -> Option<(u32, u32, u32)> {
    use core::arch::x86_64::__cpuid_count;
    // `__cpuid_count` is safe on recent toolchains and `unsafe` on older ones;
    // CPUID itself exists on every x86_64 CPU.
    #[allow(unused_unsafe)]
    let max_leaf = unsafe { __cpuid_count(0, 0) }.eax;
    if leaf > max_leaf {
        return None;
    }
    #[allow(unused_unsafe)]
    let r = unsafe { __cpuid_count(leaf, sub_leaf) };
    Some((r.eax, r.ebx, r.ecx))
}

/// Size of the XSAVE area to pass to PTRACE_GETREGSET(NT_X86_XSTATE).
///
/// CPUID.(0xD,0).EBX is the size for the features enabled in XCR0 and ECX the
/// size for all supported ones; the larger is always enough (the kernel
/// truncates the iovec to what it writes).
pub fn xstate_buffer_len() -> usize {
    const FALLBACK: usize = 4096;
    const MIN: usize = XSAVE_HEADER_END + 256;
    match cpuid(0xd, 0) {
        Some((_, ebx, ecx)) if ebx.max(ecx) != 0 => (ebx.max(ecx) as usize).max(MIN),
        _ => FALLBACK,
    }
}

/// The XCR0 mask the kernel stored at byte 464; 0 if the buffer is too short.
pub fn xcr0_from_xstate(xstate: &[u8]) -> u64 {
    read_u64(xstate, SW_XCR0).unwrap_or(0)
}

pub(super) fn read_u16(buf: &[u8], at: usize) -> Option<u16> {
    let b = buf.get(at..at + 2)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

pub(super) fn read_u32(buf: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = buf.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_le_bytes(b))
}

fn read_u64(buf: &[u8], at: usize) -> Option<u64> {
    let b: [u8; 8] = buf.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(b))
}

/// Copies `bytes` into `buf` at `at`, or fails if the buffer is too short.
pub(super) fn put(buf: &mut [u8], at: usize, bytes: &[u8]) -> Result<(), String> {
    match buf.get_mut(at..at + bytes.len()) {
        Some(dst) => {
            dst.copy_from_slice(bytes);
            Ok(())
        }
        None => Err(format!(
            "XSAVE buffer of {} bytes too short for offset {at}+{}",
            buf.len(),
            bytes.len()
        )),
    }
}

/// XSTATE_BV of the buffer. A buffer without a header is a bare FXSAVE image
/// (no XSAVE on this CPU), whose x87 and SSE state is always live.
pub(super) fn xstate_bv(buf: &[u8]) -> u64 {
    read_u64(buf, XSTATE_BV).unwrap_or(xstate::X87 | xstate::SSE)
}

/// Makes `component` live before a write: if its XSTATE_BV bit is clear,
/// store its init values first, then set the bit.
pub(super) fn make_live(
    buf: &mut [u8],
    layout: &XsaveLayout,
    component: u64,
) -> Result<(), String> {
    let bv = xstate_bv(buf);
    if bv & component != 0 {
        return Ok(());
    }
    let zero = |buf: &mut [u8], start: usize, len: usize| put(buf, start, &vec![0; len]);
    match component {
        xstate::X87 => {
            // Control words and pointers (0..24), then st0-7; mxcsr sits between.
            zero(buf, FCTRL, MXCSR)?;
            put(buf, FCTRL, &FCTRL_INIT.to_le_bytes())?;
            zero(buf, ST_SPACE, XMM_SPACE - ST_SPACE)?;
        }
        xstate::SSE => zero(buf, XMM_SPACE, LEGACY_END - XMM_SPACE)?,
        _ => match layout.area(component) {
            Some((start, len)) => zero(buf, start, len)?,
            None => return Err(format!("unknown XSAVE component {component:#x}")),
        },
    }
    // MXCSR belongs to both SSE and AVX: it is in its init state only while
    // both are, so the first of them to become live brings it along.
    if component & (xstate::SSE | xstate::AVX) != 0 && bv & (xstate::SSE | xstate::AVX) == 0 {
        put(buf, MXCSR, &MXCSR_INIT.to_le_bytes())?;
    }
    // A bare FXSAVE image has no header to update; its state is always live.
    if buf.len() >= XSAVE_HEADER_END {
        put(buf, XSTATE_BV, &(bv | component).to_le_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_layout_is_sane() {
        let layout = XsaveLayout::host();
        assert_eq!(layout.avx, 576, "AVX is architecturally at 576");
        assert!(xstate_buffer_len() >= XSAVE_HEADER_END + 256);
        // Whatever the vendor, every component ends inside the buffer we request
        // when the CPU has it.
        for (component, bit) in [(2, xstate::AVX), (9, xstate::PKRU)] {
            if let Some((size, _, _)) = cpuid(0xd, component) {
                if size != 0 {
                    let (start, len) = layout.area(bit).unwrap_or((usize::MAX, 0));
                    assert!(start + len <= xstate_buffer_len() + 8);
                }
            }
        }
    }

    #[test]
    fn make_live_writes_init_values_and_sets_bit() {
        let layout = XsaveLayout::INTEL;
        let mut buf = vec![0xaa; 2696];
        put(&mut buf, XSTATE_BV, &0u64.to_le_bytes()).unwrap_or(());
        make_live(&mut buf, &layout, xstate::X87).unwrap_or(());
        assert_eq!(read_u16(&buf, FCTRL), Some(FCTRL_INIT));
        assert_eq!(read_u16(&buf, FSTAT), Some(0));
        assert!(buf[ST_SPACE..XMM_SPACE].iter().all(|&b| b == 0));
        assert_eq!(xstate_bv(&buf), xstate::X87);
        // mxcsr is not part of x87.
        assert_eq!(read_u32(&buf, MXCSR), Some(0xaaaa_aaaa));

        make_live(&mut buf, &layout, xstate::AVX).unwrap_or(());
        assert_eq!(read_u32(&buf, MXCSR), Some(MXCSR_INIT));
        assert!(buf[576..832].iter().all(|&b| b == 0));
        assert!(buf[XMM_SPACE..LEGACY_END].iter().all(|&b| b == 0xaa));
        assert_eq!(xstate_bv(&buf), xstate::X87 | xstate::AVX);

        // Already live: untouched.
        put(&mut buf, MXCSR, &0x1234u32.to_le_bytes()).unwrap_or(());
        make_live(&mut buf, &layout, xstate::SSE).unwrap_or(());
        assert_eq!(read_u32(&buf, MXCSR), Some(0x1234), "AVX was live");
        make_live(&mut buf, &layout, xstate::SSE).unwrap_or(());
        assert_eq!(xstate_bv(&buf), xstate::X87 | xstate::SSE | xstate::AVX);
    }

    #[test]
    fn short_buffers() {
        assert_eq!(xcr0_from_xstate(&[0; 100]), 0);
        let mut fx = vec![0u8; 512];
        assert_eq!(xstate_bv(&fx), xstate::X87 | xstate::SSE);
        assert!(make_live(&mut fx, &XsaveLayout::INTEL, xstate::SSE).is_ok());
        assert!(make_live(&mut fx, &XsaveLayout::INTEL, xstate::AVX).is_err());
        let mut xcr0 = vec![0u8; 576];
        xcr0[464..472].copy_from_slice(&0x207u64.to_le_bytes());
        assert_eq!(xcr0_from_xstate(&xcr0), 0x207);
    }
}
