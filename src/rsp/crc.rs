//! The CRC gdb's `qCRC` asks for (`compare-sections`): CRC-32 with the
//! polynomial 0x04c11db7, most significant bit first, started at
//! 0xffffffff and not inverted at the end, as gdb's (libiberty's) xcrc32.

const POLYNOMIAL: u32 = 0x04c1_1db7;

const TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u32) << 24;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 0x8000_0000 != 0 {
                (c << 1) ^ POLYNOMIAL
            } else {
                c << 1
            };
            bit += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// The CRC so far after `bytes` more (start with 0xffffffff).
pub fn update(crc: u32, bytes: &[u8]) -> u32 {
    bytes.iter().fold(crc, |crc, &b| {
        (crc << 8) ^ TABLE[((crc >> 24) ^ u32::from(b)) as usize]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_xcrc32() {
        // xcrc32("123456789", 9, 0xffffffff): the CRC-32/MPEG-2 check value.
        assert_eq!(update(0xffff_ffff, b"123456789"), 0x0376_e6e7);
        // Chunks give the same as one piece.
        let whole = update(0xffff_ffff, b"hello, world");
        let parts = update(update(0xffff_ffff, b"hello"), b", world");
        assert_eq!(whole, parts);
    }
}
