//! A tiny raw GDB Remote Serial Protocol client for the tests batch gdb cannot
//! express: Ctrl-C at a chosen moment, garbage on the wire, single packets.
//!
//! It frames packets (`$payload#cs`), handles `+`/`-` acknowledgements while
//! in ack mode (acking every reply it reads, resending on `-`), can switch to
//! no-ack mode with `QStartNoAckMode`, and reads replies with a timeout.
//! Replies are returned with run-length encoding expanded. Everything is
//! synchronous on one `TcpStream`; a timeout is an error, never a retry.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Safety net for one reply.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(15);

/// Modulo-256 sum of the payload bytes.
pub fn checksum(payload: &[u8]) -> u8 {
    payload.iter().fold(0u8, |a, &b| a.wrapping_add(b))
}

/// `$payload#cs` for a payload that needs no escaping.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(payload.len() + 4);
    v.push(b'$');
    v.extend_from_slice(payload);
    v.extend_from_slice(format!("#{:02x}", checksum(payload)).as_bytes());
    v
}

/// Expands RSP run-length encoding: `X*n` repeats X `n - 29` more times.
pub fn expand_rle(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'*' && i + 1 < data.len() && !out.is_empty() {
            let last = *out.last().unwrap();
            let n = data[i + 1].saturating_sub(29) as usize;
            out.extend(std::iter::repeat_n(last, n));
            i += 2;
        } else {
            out.push(data[i]);
            i += 1;
        }
    }
    out
}

/// [`expand_rle`] of a reply as text.
pub fn expand_rle_str(data: &str) -> String {
    String::from_utf8_lossy(&expand_rle(data.as_bytes())).into_owned()
}

/// Decodes a hex string into bytes.
pub fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// What went wrong reading from the server.
#[derive(Debug)]
pub enum RspError {
    Timeout,
    /// The server closed the connection.
    Closed,
    Io(io::Error),
    /// Something other than what was expected arrived.
    Unexpected(String),
}

/// One connection to a server.
pub struct RspClient {
    stream: TcpStream,
    ack_mode: bool,
    buf: Vec<u8>,
    /// Notifications (`%...`) that arrived while a reply was awaited.
    notifications: std::collections::VecDeque<String>,
}

impl RspClient {
    /// Connects to 127.0.0.1:PORT (in ack mode, as every session starts).
    pub fn connect(port: u16) -> RspClient {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to server");
        stream.set_nodelay(true).ok();
        RspClient {
            stream,
            ack_mode: true,
            buf: Vec::new(),
            notifications: Default::default(),
        }
    }

    /// Our end's port (the server prints it in `Remote debugging from host`).
    pub fn local_port(&self) -> u16 {
        self.stream.local_addr().expect("local addr").port()
    }

    /// Writes bytes as they are: garbage, a lone `+`, a hand-made packet.
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Sends the interrupt byte 0x03 (what gdb sends on Ctrl-C).
    pub fn send_interrupt(&mut self) -> io::Result<()> {
        self.send_raw(&[0x03])
    }

    /// Sends a packet; in ack mode waits for `+` (resending on `-`, a few
    /// times at most).
    pub fn send_packet(&mut self, payload: &str) -> Result<(), RspError> {
        let framed = frame(payload.as_bytes());
        for _ in 0..3 {
            self.stream.write_all(&framed).map_err(RspError::Io)?;
            if !self.ack_mode {
                return Ok(());
            }
            match self.read_ack(REPLY_TIMEOUT)? {
                b'+' => return Ok(()),
                _ => continue,
            }
        }
        Err(RspError::Unexpected(format!("{payload:?} nacked 3 times")))
    }

    /// Reads the next byte that is `+` or `-`, skipping nothing else: a
    /// packet start here is an error.
    pub fn read_ack(&mut self, timeout: Duration) -> Result<u8, RspError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(&b) = self.buf.first() {
                self.buf.remove(0);
                return match b {
                    b'+' | b'-' => Ok(b),
                    other => Err(RspError::Unexpected(format!(
                        "expected an ack, got byte {other:#04x}"
                    ))),
                };
            }
            self.fill(deadline)?;
        }
    }

    /// Reads the next packet's payload (acks in ack mode skipped; the packet
    /// is acked with `+` in ack mode, or `-` and re-read if its checksum is
    /// wrong). Notifications (`%...`) are kept for [`Self::read_notification`].
    pub fn read_packet(&mut self, timeout: Duration) -> Result<String, RspError> {
        loop {
            match self.read_message(timeout)? {
                (false, payload) => return Ok(payload),
                (true, payload) => self.notifications.push_back(payload),
            }
        }
    }

    /// The next notification's payload (`Stop:T05...` of `%Stop:T05...`),
    /// one that arrived earlier first. A packet arriving instead is an error.
    pub fn read_notification(&mut self, timeout: Duration) -> Result<String, RspError> {
        if let Some(n) = self.notifications.pop_front() {
            return Ok(n);
        }
        match self.read_message(timeout)? {
            (true, payload) => Ok(payload),
            (false, payload) => Err(RspError::Unexpected(format!(
                "packet {payload:?} while waiting for a notification"
            ))),
        }
    }

    /// The next packet or notification: (is_notification, payload).
    fn read_message(&mut self, timeout: Duration) -> Result<(bool, String), RspError> {
        let deadline = Instant::now() + timeout;
        loop {
            // Drop stray acks before a packet.
            while matches!(self.buf.first(), Some(b'+') | Some(b'-')) {
                self.buf.remove(0);
            }
            if let Some(start) = self.buf.iter().position(|&b| b == b'$' || b == b'%') {
                if let Some(hash) = self.buf[start..].iter().position(|&b| b == b'#') {
                    let hash = start + hash;
                    if self.buf.len() >= hash + 3 {
                        let is_notification = self.buf[start] == b'%';
                        let payload = self.buf[start + 1..hash].to_vec();
                        let cs_text =
                            String::from_utf8_lossy(&self.buf[hash + 1..hash + 3]).into_owned();
                        self.buf.drain(..hash + 3);
                        if is_notification {
                            let text = String::from_utf8_lossy(&payload).into_owned();
                            return Ok((true, text));
                        }
                        let ok = u8::from_str_radix(&cs_text, 16) == Ok(checksum(&payload));
                        if self.ack_mode {
                            let ack: &[u8] = if ok { b"+" } else { b"-" };
                            self.stream.write_all(ack).map_err(RspError::Io)?;
                        }
                        if !ok && self.ack_mode {
                            continue;
                        }
                        let expanded = expand_rle(&payload);
                        return Ok((false, String::from_utf8_lossy(&expanded).into_owned()));
                    }
                }
            }
            self.fill(deadline)?;
        }
    }

    /// Sends a packet and reads its reply.
    pub fn request(&mut self, payload: &str) -> Result<String, RspError> {
        self.send_packet(payload)?;
        self.read_packet(REPLY_TIMEOUT)
    }

    /// Sends `QStartNoAckMode`; on `OK` stops sending and expecting acks.
    pub fn start_no_ack_mode(&mut self) -> Result<(), RspError> {
        let reply = self.request("QStartNoAckMode")?;
        if reply == "OK" {
            self.ack_mode = false;
            Ok(())
        } else {
            Err(RspError::Unexpected(format!(
                "QStartNoAckMode -> {reply:?}"
            )))
        }
    }

    /// True while acks are exchanged.
    pub fn ack_mode(&self) -> bool {
        self.ack_mode
    }

    /// Waits until the server closes the connection (anything it still sends
    /// is discarded). Err(Timeout) if it stays open.
    pub fn wait_closed(&mut self, timeout: Duration) -> Result<(), RspError> {
        let deadline = Instant::now() + timeout;
        loop {
            self.buf.clear();
            match self.fill(deadline) {
                Ok(()) => continue,
                Err(RspError::Closed) => return Ok(()),
                Err(RspError::Io(e)) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }

    fn fill(&mut self, deadline: Instant) -> Result<(), RspError> {
        let left = deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or(RspError::Timeout)?;
        self.stream
            .set_read_timeout(Some(left))
            .map_err(RspError::Io)?;
        let mut tmp = [0u8; 65536];
        match self.stream.read(&mut tmp) {
            Ok(0) => Err(RspError::Closed),
            Ok(n) => {
                self.buf.extend_from_slice(&tmp[..n]);
                Ok(())
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Err(RspError::Timeout)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(e) => Err(RspError::Io(e)),
        }
    }
}
