//! RSP framing: turns the byte stream from gdb into packets, acks and
//! interrupts, and frames our replies.
//!
//! We own framing (not gdbstub) so that acknowledgements, retransmission on
//! `-`, bad checksums and over-long packets are handled in one place and can
//! never end the session.

use super::hex;

/// One unit of input from gdb.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A packet payload (still escaped), and whether its checksum matched.
    Packet { payload: Vec<u8>, checksum_ok: bool },
    /// `+`
    Ack,
    /// `-`: resend the last packet.
    Nack,
    /// 0x03: the user pressed Ctrl-C.
    Interrupt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    Payload,
    Checksum1,
    Checksum2(u8),
}

/// Incremental parser; feed it whatever `read` returned.
pub struct Deframer {
    state: State,
    payload: Vec<u8>,
    sum: u8,
    max_len: usize,
    overflow: bool,
}

impl Deframer {
    pub fn new(max_len: usize) -> Deframer {
        Deframer {
            state: State::Idle,
            payload: Vec::new(),
            sum: 0,
            max_len,
            overflow: false,
        }
    }

    /// Parse `bytes`, pushing every complete unit to `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<Incoming>) {
        let mut rest = bytes;
        while !rest.is_empty() {
            if self.state == State::Payload {
                // The body up to the next `#` or `$`, in one piece.
                let end = rest
                    .iter()
                    .position(|&b| b == b'#' || b == b'$')
                    .unwrap_or(rest.len());
                self.take_body(&rest[..end]);
                rest = &rest[end..];
            }
            let Some((&b, tail)) = rest.split_first() else {
                break;
            };
            rest = tail;
            self.feed_byte(b, out);
        }
    }

    fn take_body(&mut self, chunk: &[u8]) {
        self.sum = chunk.iter().fold(self.sum, |a, &b| a.wrapping_add(b));
        let room = self.max_len.saturating_sub(self.payload.len());
        if chunk.len() > room {
            self.overflow = true;
        }
        self.payload
            .extend_from_slice(&chunk[..chunk.len().min(room)]);
    }

    fn feed_byte(&mut self, b: u8, out: &mut Vec<Incoming>) {
        match self.state {
            State::Idle => match b {
                b'$' => self.start_packet(),
                b'+' => out.push(Incoming::Ack),
                b'-' => out.push(Incoming::Nack),
                0x03 => out.push(Incoming::Interrupt),
                _ => log::debug!(target: "remote", "discarding stray byte {b:#04x}"),
            },
            State::Payload => match b {
                b'#' => self.state = State::Checksum1,
                // A new start inside a packet: the old one was cut off.
                b'$' => self.start_packet(),
                _ => self.take_body(&[b]),
            },
            State::Checksum1 => self.state = State::Checksum2(b),
            State::Checksum2(first) => {
                let expected = hex::digit(first)
                    .zip(hex::digit(b))
                    .map(|(h, l)| (h << 4) | l);
                let checksum_ok = expected == Some(self.sum) && !self.overflow;
                out.push(Incoming::Packet {
                    payload: std::mem::take(&mut self.payload),
                    checksum_ok,
                });
                self.state = State::Idle;
            }
        }
    }

    fn start_packet(&mut self) {
        self.payload.clear();
        self.sum = 0;
        self.overflow = false;
        self.state = State::Payload;
    }
}

pub fn checksum(payload: &[u8]) -> u8 {
    payload.iter().fold(0u8, |a, &b| a.wrapping_add(b))
}

/// `$payload#xx` (payload already escaped as needed).
pub fn frame(payload: &[u8], out: &mut Vec<u8>) {
    frame_with(payload, out, |p, out| out.extend_from_slice(p));
}

/// `frame`, run-length encoded as gdbserver does: a register file or a page
/// of zeros in hex shrinks to a few bytes. Only for hex replies (g, p, m):
/// binary replies (vFile, qXfer) go out as they are.
pub fn frame_compressed(payload: &[u8], out: &mut Vec<u8>) {
    frame_with(payload, out, run_length_encode);
}

/// An asynchronous notification (`%Stop:...#cs`, non-stop mode): framed like
/// a packet but with `%`, and never acknowledged.
pub fn frame_notification(payload: &[u8], out: &mut Vec<u8>) {
    frame_marked(b'%', payload, out, |p, out| out.extend_from_slice(p));
}

fn frame_with(payload: &[u8], out: &mut Vec<u8>, body: impl FnOnce(&[u8], &mut Vec<u8>)) {
    frame_marked(b'$', payload, out, body)
}

fn frame_marked(
    marker: u8,
    payload: &[u8],
    out: &mut Vec<u8>,
    body: impl FnOnce(&[u8], &mut Vec<u8>),
) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let start = out.len();
    out.reserve(payload.len() + 4);
    out.push(marker);
    body(payload, out);
    let sum = checksum(&out[start + 1..]);
    out.push(b'#');
    out.push(HEX[(sum >> 4) as usize]);
    out.push(HEX[(sum & 15) as usize]);
}

/// RSP run-length encoding: `c*N` stands for c repeated N-29+1 more times.
/// The count byte must be printable and must not be `#` or `$` (6 or 7
/// repeats), and the repeated byte must not itself be `*`, `#`, `$` or `}`.
fn run_length_encode(payload: &[u8], out: &mut Vec<u8>) {
    // Bytes that start no run worth encoding are copied in spans: a
    // register file is mostly such bytes, and a copy per byte cost more
    // than the rest of the reply.
    let mut literal_from = 0;
    let mut at = 0;
    while at + 3 < payload.len() {
        // A run of four from `at`, `at + 1` or `at + 2` holds the bytes
        // at `at + 2` and `at + 3`: when those differ, none starts there.
        if payload[at + 2] != payload[at + 3] {
            at += 3;
            continue;
        }
        let c = payload[at];
        if payload[at + 1] != c || payload[at + 2] != c || matches!(c, b'*' | b'#' | b'$' | b'}') {
            at += 1;
            continue;
        }
        out.extend_from_slice(&payload[literal_from..at]);
        let run = run_length(&payload[at..], c, 98);
        let repeats = run - 1;
        // 6 and 7 repeats would encode as '#' and '$': encode 5, then
        // send the rest as they are.
        let literal = match repeats {
            6 | 7 => repeats - 5,
            _ => 0,
        };
        out.extend_from_slice(&[c, b'*', (repeats - literal) as u8 + 29]);
        out.extend_from_slice(&payload[at + run - literal..at + run]);
        at += run;
        literal_from = at;
    }
    out.extend_from_slice(&payload[literal_from..]);
}

/// How many of the first `limit` bytes of `bytes` are `c`, eight at a
/// time: a register file's zeros make runs of thousands of digits.
fn run_length(bytes: &[u8], c: u8, limit: usize) -> usize {
    let bytes = &bytes[..bytes.len().min(limit)];
    let eight = u64::from_ne_bytes([c; 8]);
    let whole = bytes
        .chunks_exact(8)
        .take_while(|word| <[u8; 8]>::try_from(*word).is_ok_and(|w| u64::from_ne_bytes(w) == eight))
        .count()
        * 8;
    whole + bytes[whole..].iter().take_while(|&&b| b == c).count()
}

/// Undo run-length encoding (for tests and for reading our own frames).
#[cfg(test)]
fn run_length_decode(data: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'*' && i + 1 < data.len() {
            let last = out.last().copied().unwrap_or(0);
            for _ in 0..(data[i + 1] - 29) {
                out.push(last);
            }
            i += 2;
        } else {
            out.push(data[i]);
            i += 1;
        }
    }
    out
}

/// Split gdbstub's output (a sequence of `$...#xx` frames) into payloads.
pub fn payloads(framed: &[u8]) -> Vec<&[u8]> {
    let mut result = Vec::new();
    let mut rest = framed;
    while let Some(start) = rest.iter().position(|&b| b == b'$') {
        let body = &rest[start + 1..];
        match body.iter().position(|&b| b == b'#') {
            Some(end) => {
                result.push(&body[..end]);
                rest = body.get(end + 3..).unwrap_or(&[]);
            }
            None => break,
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Vec<Incoming> {
        let mut d = Deframer::new(64);
        let mut out = Vec::new();
        d.feed(bytes, &mut out);
        out
    }

    #[test]
    fn notification_is_framed_with_percent() {
        let mut out = Vec::new();
        frame_notification(b"Stop:T05", &mut out);
        let sum = checksum(b"Stop:T05");
        assert_eq!(out, format!("%Stop:T05#{sum:02x}").into_bytes());
    }

    #[test]
    fn parses_packets_acks_and_interrupts() {
        let out = parse(b"+$g#67\x03-");
        assert_eq!(
            out,
            vec![
                Incoming::Ack,
                Incoming::Packet {
                    payload: b"g".to_vec(),
                    checksum_ok: true
                },
                Incoming::Interrupt,
                Incoming::Nack
            ]
        );
    }

    #[test]
    fn flags_bad_checksum_and_overflow() {
        assert_eq!(
            parse(b"$g#00"),
            vec![Incoming::Packet {
                payload: b"g".to_vec(),
                checksum_ok: false
            }]
        );
        // Built by hand: frame() would run-length encode it short.
        let long = [b'a'; 100];
        let mut pkt = vec![b'$'];
        pkt.extend_from_slice(&long);
        pkt.extend_from_slice(format!("#{:02x}", checksum(&long)).as_bytes());
        match &parse(&pkt)[0] {
            Incoming::Packet { checksum_ok, .. } => assert!(!checksum_ok),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn split_across_reads() {
        let mut d = Deframer::new(64);
        let mut out = Vec::new();
        d.feed(b"$m10", &mut out);
        assert!(out.is_empty());
        d.feed(b",4#2e", &mut out);
        assert_eq!(
            out,
            vec![Incoming::Packet {
                payload: b"m10,4".to_vec(),
                checksum_ok: true
            }]
        );
    }

    #[test]
    fn run_length_encoding_round_trips_and_avoids_special_counts() {
        for len in 0..300 {
            for c in [b'0', b'f', b'}'] {
                let payload = vec![c; len];
                let mut framed = Vec::new();
                frame_compressed(&payload, &mut framed);
                let body = &framed[1..framed.len() - 3];
                assert!(!body.contains(&b'#') && !body.contains(&b'$'), "len {len}");
                assert_eq!(run_length_decode(body), payload, "len {len} char {c}");
            }
        }
        let mut framed = Vec::new();
        frame_compressed(b"00000000", &mut framed);
        // Eight zeros: '0' plus 7 repeats, sent as '0*"' (5 repeats) + "00".
        assert_eq!(&framed[1..framed.len() - 3], b"0*\"00");
    }

    #[test]
    fn run_length_encoding_of_mixed_runs_round_trips() {
        // Runs of every length from 1 to 120, of ordinary and of special
        // bytes, between literal bytes: what a register file looks like.
        // (No '*': the decoder could not tell it from a count.)
        let mut payload = Vec::new();
        for (i, len) in (1..=120).enumerate() {
            let c = b"0f}ca#$9"[i % 8];
            payload.extend(std::iter::repeat_n(c, len));
            payload.extend_from_slice(b"1a");
        }
        let mut framed = Vec::new();
        frame_compressed(&payload, &mut framed);
        let body = &framed[1..framed.len() - 3];
        assert!(run_length_decode(body) == payload, "round trip differs");
        // The special bytes (3 in 8) go out as they are.
        assert!(body.len() < payload.len() / 2, "{} bytes", body.len());
        let mut framed = Vec::new();
        frame_compressed(b"ab0000c", &mut framed);
        assert_eq!(&framed[1..framed.len() - 3], b"ab0* c");
    }

    /// The encoding, one run at a time: what the span-copying encoder
    /// must produce byte for byte.
    fn run_length_encode_one_run_at_a_time(payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut rest = payload;
        while let Some(&c) = rest.first() {
            let run = rest.iter().take(98).take_while(|&&b| b == c).count();
            let repeats = run - 1;
            if repeats < 3 || matches!(c, b'*' | b'#' | b'$' | b'}') {
                out.extend_from_slice(&rest[..run]);
            } else {
                let literal = if matches!(repeats, 6 | 7) {
                    repeats - 5
                } else {
                    0
                };
                out.extend_from_slice(&[c, b'*', (repeats - literal) as u8 + 29]);
                out.extend_from_slice(&rest[run - literal..run]);
            }
            rest = &rest[run..];
        }
        out
    }

    #[test]
    fn run_length_encoding_matches_the_run_at_a_time_encoding() {
        // Pseudo-random payloads over a few bytes, so that runs of every
        // length and in every position occur.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 300) as usize;
            let payload: Vec<u8> = (0..len)
                .map(|i| {
                    let bits = state.rotate_left((i % 64) as u32) >> 61;
                    b"000000f}"[(bits as usize + i / 7) % 8]
                })
                .collect();
            let mut framed = Vec::new();
            frame_compressed(&payload, &mut framed);
            let body = &framed[1..framed.len() - 3];
            assert!(
                body == run_length_encode_one_run_at_a_time(&payload),
                "differs on {:?}",
                String::from_utf8_lossy(&payload)
            );
        }
    }

    #[test]
    fn frames_and_splits() {
        let mut buf = Vec::new();
        frame(b"OK", &mut buf);
        assert_eq!(buf, b"$OK#9a");
        frame(b"", &mut buf);
        assert_eq!(payloads(&buf), vec![&b"OK"[..], &b""[..]]);
    }
}
