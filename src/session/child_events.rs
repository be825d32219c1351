//! Readiness of child (tracee) events as a file descriptor: SIGCHLD through a
//! signalfd.
//!
//! Why not a waiter thread (as DESIGN.md first sketched): a thread blocked in
//! waitpid must hand every status to the tracer thread, a cross-CPU wake-up
//! (25-50 us here) on every stop. With SIGCHLD blocked and read through a
//! signalfd, the tracer thread itself polls {connection, signalfd} and then
//! drains waitpid(-1, WNOHANG|__WALL): one wake-up per stop, no handoff.
//! Order matters: the signalfd is read (cleared) before waitpid is drained, so
//! a stop that lands after the drain raises it again.

use std::io;
use std::os::fd::RawFd;

pub struct ChildEvents {
    fd: RawFd,
}

impl ChildEvents {
    /// Block SIGCHLD in this (the only) thread and open its signalfd. Must be
    /// called before any child exists.
    pub fn new() -> io::Result<ChildEvents> {
        // SAFETY: sigset manipulation on a local set, then signalfd(2).
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGCHLD);
            if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error());
            }
            let fd = libc::signalfd(-1, &set, libc::SFD_NONBLOCK | libc::SFD_CLOEXEC);
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(ChildEvents { fd })
        }
    }

    pub fn fd(&self) -> RawFd {
        self.fd
    }

    /// Consume the pending notification (it carries nothing we need:
    /// waitpid tells us everything). SIGCHLD is a standard signal, so at most
    /// one is ever pending: one read clears it.
    pub fn clear(&self) {
        let mut buf = [0u8; 128];
        // SAFETY: non-blocking read into a local buffer.
        unsafe { libc::read(self.fd, buf.as_mut_ptr().cast(), buf.len()) };
    }
}

impl Drop for ChildEvents {
    fn drop(&mut self) {
        // SAFETY: closing the fd we own.
        unsafe { libc::close(self.fd) };
    }
}

/// Which of the sources is ready.
#[derive(Debug)]
pub struct Ready {
    pub connection: bool,
    pub children: bool,
    pub output: bool,
}

impl Ready {
    /// Statuses to collect, nothing else looked at.
    pub fn children_only() -> Ready {
        Ready {
            connection: false,
            children: true,
            output: false,
        }
    }
}

/// Block until gdb sent something, a child changed state, or the program
/// wrote output we forward (`output`, when there is such a pipe; poll
/// ignores a negative fd). Spins for up to `spin` before sleeping.
pub fn wait_ready(
    connection: RawFd,
    children: &ChildEvents,
    output: Option<RawFd>,
    spin: std::time::Duration,
) -> io::Result<Ready> {
    let pollfd = |fd| libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let mut fds = [
        pollfd(connection),
        pollfd(children.fd()),
        pollfd(output.unwrap_or(-1)),
    ];
    let mut spin = spin;
    loop {
        let polled = match spin.is_zero() {
            // The spin is spent once; then sleep.
            false => super::spin::poll_briefly(&mut fds, std::mem::take(&mut spin)),
            // SAFETY: poll over a local array of three pollfds.
            true => match unsafe { libc::poll(fds.as_mut_ptr(), 3, -1) } {
                n if n >= 0 => Ok(n as usize),
                _ => Err(io::Error::last_os_error()),
            },
        };
        match polled {
            Ok(0) => continue,
            Ok(_) => {
                let ready = Ready {
                    connection: fds[0].revents != 0,
                    children: fds[1].revents != 0,
                    output: fds[2].revents != 0,
                };
                log::debug!(target: "event-loop", "woke: {ready:?}");
                return Ok(ready);
            }
            Err(err) if err.raw_os_error() != Some(libc::EINTR) => return Err(err),
            Err(_) if crate::termination::requested().is_some() => {
                // Nothing ready: the session sees the signal and ends.
                return Ok(Ready {
                    connection: false,
                    children: false,
                    output: false,
                });
            }
            Err(_) => {}
        }
    }
}
