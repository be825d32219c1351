//! The byte pipe to gdb: a TCP socket or our stdin/stdout. Reads are one
//! syscall into a large buffer; each reply is written with one syscall
//! (gdbstub's own TcpStream connection writes one byte per syscall).

use std::io;
use std::net::TcpStream;
use std::os::fd::{AsRawFd, RawFd};

pub struct Transport {
    read_fd: RawFd,
    write_fd: RawFd,
    /// Keeps the socket open for as long as the transport lives.
    _socket: Option<TcpStream>,
    buf: Vec<u8>,
}

impl Transport {
    pub fn tcp(stream: TcpStream) -> io::Result<Transport> {
        // Replies are small and latency-bound: never wait for Nagle.
        stream.set_nodelay(true)?;
        let fd = stream.as_raw_fd();
        Ok(Transport {
            read_fd: fd,
            write_fd: fd,
            _socket: Some(stream),
            buf: vec![0; 1 << 16],
        })
    }

    pub fn stdio() -> Transport {
        Transport {
            read_fd: 0,
            write_fd: 1,
            _socket: None,
            buf: vec![0; 1 << 16],
        }
    }

    pub fn read_fd(&self) -> RawFd {
        self.read_fd
    }

    /// One read; an empty slice means gdb closed the connection.
    pub fn read(&mut self) -> io::Result<&[u8]> {
        loop {
            // SAFETY: reading into our own buffer of the given length.
            let n =
                unsafe { libc::read(self.read_fd, self.buf.as_mut_ptr().cast(), self.buf.len()) };
            if n >= 0 {
                return Ok(&self.buf[..n as usize]);
            }
            let err = io::Error::last_os_error();
            match err.raw_os_error() {
                // A termination signal: the caller ends the session.
                Some(libc::EINTR) if crate::termination::requested().is_some() => return Err(err),
                Some(libc::EINTR) => continue,
                Some(libc::ECONNRESET) => return Ok(&[]),
                _ => return Err(err),
            }
        }
    }

    /// Spin (see `spin`) until gdb's bytes are ready to read or `budget`
    /// is spent; the read that follows blocks if they are not. False when
    /// a signal came (the caller looks for a termination request before
    /// it blocks in the read).
    pub fn await_readable_briefly(&self, budget: std::time::Duration) -> bool {
        let mut fds = [libc::pollfd {
            fd: self.read_fd,
            events: libc::POLLIN,
            revents: 0,
        }];
        match super::spin::poll_briefly(&mut fds, budget) {
            Err(e) => e.raw_os_error() != Some(libc::EINTR),
            // Not ready: the blocking read waits, or reports the error.
            Ok(_) => true,
        }
    }

    pub fn write_all(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            // SAFETY: writing from a live slice.
            let n = unsafe { libc::write(self.write_fd, data.as_ptr().cast(), data.len()) };
            if n < 0 {
                let err = io::Error::last_os_error();
                if err.raw_os_error() == Some(libc::EINTR)
                    && crate::termination::requested().is_none()
                {
                    continue;
                }
                return Err(err);
            }
            data = &data[n as usize..];
        }
        Ok(())
    }
}

impl Drop for Transport {
    /// Bytes gdb sent that we never read make close() answer with a reset,
    /// and a reset can destroy our last reply before gdb reads it: a ^C
    /// that crossed the program's exit lost gdb its `X09`. So read what is
    /// already queued (without waiting for more) before the socket closes.
    fn drop(&mut self) {
        if self._socket.is_none() {
            return;
        }
        loop {
            // SAFETY: a non-blocking read into our own buffer.
            let n = unsafe {
                libc::recv(
                    self.read_fd,
                    self.buf.as_mut_ptr().cast(),
                    self.buf.len(),
                    libc::MSG_DONTWAIT,
                )
            };
            if n <= 0 {
                return;
            }
        }
    }
}
