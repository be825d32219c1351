//! x86 debug registers as data: which DR7 bits enable a slot for a kind and
//! length, and how a watched region splits into aligned pieces (a debug
//! register watches 1, 2, 4 or 8 bytes at an address aligned to that size).
//! Four slots (DR0-DR3); DR6 says which slot fired.

use crate::HwKind;

pub const SLOTS: usize = 4;
/// Byte offset of `u_debugreg[0]` in `struct user` (x86_64 Linux).
pub const USER_DEBUGREG_OFFSET: usize = 848;
/// DR6: the low four bits say which slot triggered.
pub const DR6_SLOT_MASK: u64 = 0xf;

/// The DR7 bits that enable `slot` (local enable, R/W and LEN fields).
pub fn dr7_bits(slot: usize, kind: HwKind, len: usize) -> Option<u64> {
    if slot >= SLOTS {
        return None;
    }
    let rw: u64 = match kind {
        HwKind::Execute => 0b00,
        HwKind::Write => 0b01,
        HwKind::Access => 0b11,
        // x86 cannot watch reads alone.
        HwKind::Read => return None,
    };
    let len_bits: u64 = match (kind, len) {
        (HwKind::Execute, _) => 0b00,
        (_, 1) => 0b00,
        (_, 2) => 0b01,
        (_, 4) => 0b11,
        (_, 8) => 0b10,
        _ => return None,
    };
    let enable = 1u64 << (slot * 2);
    let control = (rw | (len_bits << 2)) << (16 + slot * 4);
    Some(enable | control)
}

/// All DR7 bits belonging to `slot` (to clear it).
pub fn dr7_slot_mask(slot: usize) -> u64 {
    (0b11u64 << (slot * 2)) | (0b1111u64 << (16 + slot * 4))
}

/// Split [addr, addr+len) into naturally aligned pieces of 1, 2, 4 or 8 bytes.
pub fn aligned_pieces(mut addr: u64, len: usize) -> Vec<(u64, usize)> {
    let end = addr.saturating_add(len as u64);
    let mut pieces = Vec::new();
    // Four debug registers: a fifth piece already says "does not fit", so
    // the list stops there (a 4 GiB request once built half a billion).
    while addr < end && pieces.len() <= MAX_PIECES {
        let size = [8u64, 4, 2, 1]
            .into_iter()
            .find(|&s| addr.is_multiple_of(s) && addr.checked_add(s).is_some_and(|e| e <= end))
            .unwrap_or(1);
        pieces.push((addr, size as usize));
        addr = addr.saturating_add(size);
    }
    pieces
}

/// The most pieces a watched range can need and still fit (DR0-DR3).
const MAX_PIECES: usize = 4;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_range_is_cut_short() {
        // The live fuzzer's `Z2,77,ffffffff`: five pieces say it cannot fit.
        assert_eq!(aligned_pieces(0x77, 0xffff_ffff).len(), 5);
        assert_eq!(aligned_pieces(u64::MAX - 2, 8).len(), 2);
    }

    #[test]
    fn dr7_encodes_enable_rw_and_len() {
        // Slot 0, write, 4 bytes: L0 = bit 0, RW0 = 01 at bit 16, LEN0 = 11 at bit 18.
        assert_eq!(dr7_bits(0, HwKind::Write, 4), Some(0b1 | (0b1101 << 16)));
        // Slot 3, access, 8 bytes: L3 = bit 6, RW3 = 11, LEN3 = 10 at bits 28-31.
        assert_eq!(
            dr7_bits(3, HwKind::Access, 8),
            Some((1 << 6) | (0b1011 << 28))
        );
        assert_eq!(dr7_bits(1, HwKind::Execute, 1), Some(1 << 2));
        assert_eq!(dr7_bits(0, HwKind::Write, 3), None);
        assert_eq!(dr7_bits(4, HwKind::Write, 1), None);
        assert_eq!(
            dr7_slot_mask(1) & dr7_bits(1, HwKind::Access, 8).unwrap_or(0),
            dr7_bits(1, HwKind::Access, 8).unwrap_or(1)
        );
    }

    #[test]
    fn regions_split_into_aligned_pieces() {
        assert_eq!(aligned_pieces(0x1000, 8), vec![(0x1000, 8)]);
        assert_eq!(
            aligned_pieces(0x1001, 4),
            vec![(0x1001, 1), (0x1002, 2), (0x1004, 1)]
        );
        assert_eq!(aligned_pieces(0x1004, 12), vec![(0x1004, 4), (0x1008, 8)]);
        assert!(aligned_pieces(0x1000, 0).is_empty());
    }
}
