//! SIGTERM, SIGINT and SIGHUP end the server as `monitor exit` does: a
//! program it started is killed and reaped, one it attached to is released
//! running with its breakpoints removed. Dying at once would leave attached
//! programs with breakpoint bytes in their code (SIGKILL cannot be helped:
//! launched programs still die with us, through PTRACE_O_EXITKILL).
//!
//! The handler only notes the signal. It is installed without SA_RESTART,
//! so the blocking call the server sleeps in (read from gdb, poll, accept)
//! returns EINTR and the server looks at the note; the places that sleep
//! check it before they block, which leaves a window of a few instructions
//! in which a signal is only seen at the next wake-up.

use std::io;
use std::sync::atomic::{AtomicI32, Ordering};

/// The signals that end the server cleanly.
pub const SIGNALS: [i32; 3] = [libc::SIGTERM, libc::SIGINT, libc::SIGHUP];

static REQUESTED: AtomicI32 = AtomicI32::new(0);

extern "C" fn note(signal: libc::c_int) {
    // Async-signal-safe: one atomic store.
    REQUESTED.store(signal, Ordering::SeqCst);
}

/// Install the handler for [`SIGNALS`]. A launched program gets the
/// default dispositions back at its exec.
pub fn install() -> io::Result<()> {
    for signal in SIGNALS {
        // SAFETY: a zeroed sigaction with our handler, an empty mask and no
        // SA_RESTART, installed with sigaction(2).
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = note as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            if libc::sigaction(signal, &action, std::ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

/// The termination signal received, if any.
pub fn requested() -> Option<i32> {
    match REQUESTED.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// After cleaning up: die of the signal, so our parent sees what it sent.
pub fn die_of(signal: i32) -> ! {
    crate::terminal::take_back();
    // SAFETY: restoring the default disposition and raising the signal;
    // exit is the fallback if it is somehow not fatal.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
        libc::_exit(128 + signal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_requested_until_a_signal_comes() {
        assert_eq!(requested(), None);
        note(libc::SIGHUP);
        assert_eq!(requested(), Some(libc::SIGHUP));
        REQUESTED.store(0, Ordering::SeqCst);
    }
}
