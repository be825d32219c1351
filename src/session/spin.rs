//! Staying awake briefly before the session sleeps: a bounded spin of
//! non-blocking polls before the blocking one.
//!
//! Why: gdb, the server and the program take turns, and each turn wakes a
//! process that sleeps. When the process is woken on an idle CPU, the wake-up
//! costs an inter-processor interrupt and the CPU's return from halt; on a
//! virtual machine both go through the hypervisor and cost tens of
//! microseconds. gdb sends most packets within 30 us of our reply, and a
//! step or a short run stops within tens of microseconds, so a server that
//! stays awake that long is never woken. Measured on this project's 2-CPU VM
//! (`scripts/bench/run.sh`, breakpoint hit: eleven packets and two stops),
//! about 1000 us per hit without spinning and 600 with it.
//!
//! The budget bounds the cost: after it the session sleeps in poll() as
//! before, so an idle gdb or a long-running program costs one budget per
//! turn, not a CPU. Spinning is off where it cannot help: one CPU to run on
//! (the process we wait for would need our CPU), or `--no-spin`.

use std::io;
use std::time::{Duration, Instant};

/// How long to stay awake for gdb's next packet after a reply.
pub const AWAITING_GDB: Duration = Duration::from_micros(100);
/// How long to stay awake for the program's next stop after a resume (a
/// step, or a short run to the next breakpoint).
pub const AWAITING_EVENT: Duration = Duration::from_micros(50);

/// Time between two looks while spinning.
const POLL_INTERVAL: Duration = Duration::from_micros(2);

/// Whether spinning can help here: not disabled, and this process may run
/// on more than one CPU.
pub fn worthwhile(disabled: bool) -> bool {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    !disabled && cpus > 1
}

/// Poll `fds` without sleeping, again and again for at most `budget`.
/// Returns how many are ready (0: none within the budget). A signal ends
/// the spin with EINTR, as it would end the caller's blocking poll: the
/// caller must look at it before it sleeps (a termination request).
pub fn poll_briefly(fds: &mut [libc::pollfd], budget: Duration) -> io::Result<usize> {
    if budget.is_zero() {
        return Ok(0);
    }
    let start = Instant::now();
    loop {
        // SAFETY: poll over the caller's array of pollfds, of its length.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 0) };
        if n > 0 {
            return Ok(n as usize);
        }
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        if start.elapsed() >= budget {
            return Ok(0);
        }
        // A poll is a system call (about 1 us here): look every
        // POLL_INTERVAL instead of hundreds of times per wait. Measured:
        // no difference in wall time between 0, 2 and 5 us.
        let pause = Instant::now();
        while pause.elapsed() < POLL_INTERVAL {
            std::hint::spin_loop();
        }
    }
}
