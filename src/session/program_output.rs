//! The launched program's output in stdio mode, forwarded to gdb as console
//! output (`O` packets) instead of through our stderr.
//!
//! Why: with `target remote | rgdbserver - prog`, gdb 13 does a non-blocking
//! read of the server's stderr pipe for every byte it receives, until that
//! pipe reaches EOF. With the pipe closed (our stderr gone to /dev/null after
//! the startup messages, the program writing into this pipe instead), gdb
//! stops polling and memory transfers run several times faster.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

pub struct ProgramOutput {
    read: File,
}

impl ProgramOutput {
    /// A pipe: our non-blocking read end, and the write end for the program.
    pub fn new() -> io::Result<(ProgramOutput, OwnedFd)> {
        let mut fds = [0; 2];
        // SAFETY: pipe2 fills two descriptors we then own.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: both descriptors were just created and are owned here.
        let (read, write) = unsafe { (File::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        // The program must get a blocking stdout.
        // SAFETY: fcntl on a descriptor we own.
        unsafe { libc::fcntl(write.as_raw_fd(), libc::F_SETFL, 0) };
        Ok((ProgramOutput { read }, write))
    }

    pub fn fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    /// Whatever the program wrote so far. `None` at end of file (it closed
    /// its output, usually because it exited).
    pub fn take(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match self.read.read(&mut buf) {
                Ok(0) => return if out.is_empty() { None } else { Some(out) },
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return Some(out),
            }
        }
    }
}

/// An `O` packet: console output for gdb, hex-encoded.
pub fn console_packet(bytes: &[u8]) -> Vec<u8> {
    let mut packet = Vec::with_capacity(1 + bytes.len() * 2);
    packet.push(b'O');
    crate::rsp::hex::encode_into(bytes, &mut packet);
    packet
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_packets_are_hex() {
        assert_eq!(console_packet(b"hi\n"), b"O68690a".to_vec());
    }

    #[test]
    fn pipe_carries_output_and_ends() {
        let (mut output, write) = ProgramOutput::new().unwrap_or_else(|e| panic!("pipe: {e}"));
        // SAFETY: writing to the pipe we own.
        unsafe { libc::write(write.as_raw_fd(), b"abc".as_ptr().cast(), 3) };
        assert_eq!(output.take(), Some(b"abc".to_vec()));
        assert_eq!(output.take(), Some(Vec::new()), "nothing new, not closed");
        drop(write);
        assert_eq!(output.take(), None);
    }
}
