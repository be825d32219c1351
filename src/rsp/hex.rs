//! The protocol's hex: the one codec every packet's hex-encoded data goes
//! through (memory, registers, `vRun` and environment arguments, `qRcmd`
//! commands and their `O` output, checksums, agent expressions, exec paths
//! in stop replies).

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// The value of one hex digit, either case.
pub fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Append the lower-case hex of `bytes` to `out`.
pub fn encode_into(bytes: &[u8], out: &mut Vec<u8>) {
    // Sized once, then filled in place: a register file or a page of
    // memory is thousands of digits, and a push per digit costs a
    // capacity check each.
    let start = out.len();
    out.resize(start + bytes.len() * 2, 0);
    for (pair, &b) in out[start..].chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&PAIRS[usize::from(b)]);
    }
}

/// Both digits of every byte value: one two-byte store per byte.
const PAIRS: [[u8; 2]; 256] = {
    let mut table = [[0u8; 2]; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = [DIGITS[b >> 4], DIGITS[b & 15]];
        b += 1;
    }
    table
};

/// Lower-case hex of `bytes`.
pub fn encode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    encode_into(bytes, &mut out);
    out
}

/// Lower-case hex of `bytes`, as text.
pub fn encode_string(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    encode_into_string(bytes, &mut text);
    text
}

/// Append the lower-case hex of `bytes` to `text`.
pub fn encode_into_string(bytes: &[u8], text: &mut String) {
    text.reserve(bytes.len() * 2);
    for &b in bytes {
        let [high, low] = PAIRS[usize::from(b)];
        text.push(char::from(high));
        text.push(char::from(low));
    }
}

/// Decode pairs of hex digits; None for an odd length or a non-hex digit.
pub fn decode(hex: &[u8]) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    hex.chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        assert_eq!(encode(&[0, 0xff, 0x1a]), b"00ff1a".to_vec());
        assert_eq!(encode_string(b"/a"), "2f61");
        assert_eq!(decode(b"00fF1a"), Some(vec![0, 0xff, 0x1a]));
    }

    #[test]
    fn refuses_what_is_not_hex() {
        assert_eq!(decode(b"abc"), None);
        assert_eq!(decode(b"zz"), None);
        assert_eq!(decode(b"+1"), None);
        assert_eq!(digit(b'g'), None);
    }
}
