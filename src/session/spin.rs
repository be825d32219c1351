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
//! 995 us per hit without spinning and 528 with it, at 363 and 515 us of
//! server CPU: the spin spends CPU so that nobody waits for a wake-up.
//!
//! The budget bounds the cost: after it the session sleeps in poll() as
//! before, so an idle gdb or a long-running program costs one budget per
//! turn, not a CPU; `SpinPolicy` stops spinning where waits keep outlasting
//! it. Spinning is off where it cannot help: one CPU to run on (the process
//! we wait for would need our CPU), or `--no-spin`.

use std::io;
use std::time::{Duration, Instant};

/// How long to stay awake for gdb's next packet after a reply.
pub const AWAITING_GDB: Duration = Duration::from_micros(100);
/// How long to stay awake for the program's next stop after a resume (a
/// step, or a short run to the next breakpoint).
pub const AWAITING_EVENT: Duration = Duration::from_micros(50);

/// Time between two looks while spinning.
const POLL_INTERVAL: Duration = Duration::from_micros(2);

/// When to spin for one kind of wait: unless the last few waits of that
/// kind all outlasted the budget (gdb busy reading symbols, a program that
/// runs for a while, a loaded machine where the process we wait for waits
/// for a CPU): a spin that would not have ended the wait is CPU taken from
/// whoever else needs it. One wait that would have fit turns spinning back
/// on. A single long wait among short ones does not turn it off: with 1000
/// threads, `info threads` ran 20% slower when one miss did.
#[derive(Debug, Clone, Copy)]
pub struct SpinPolicy {
    budget: Duration,
    misses: u8,
}

/// Consecutive waits longer than the budget after which spinning stops.
const MISSES_BEFORE_SLEEPING: u8 = 3;

impl SpinPolicy {
    /// Spinning up to `budget` when `enabled` (see `worthwhile`), else never.
    pub fn new(budget: Duration, enabled: bool) -> SpinPolicy {
        SpinPolicy {
            budget: if enabled { budget } else { Duration::ZERO },
            misses: 0,
        }
    }

    /// How long to spin before this wait (zero: sleep at once).
    pub fn budget(&self) -> Duration {
        match self.misses < MISSES_BEFORE_SLEEPING {
            true => self.budget,
            false => Duration::ZERO,
        }
    }

    /// How long the wait took, from before the spin to readiness.
    pub fn record(&mut self, waited: Duration) {
        self.misses = match waited <= self.budget {
            true => 0,
            false => self.misses.saturating_add(1),
        };
    }
}

/// Whether spinning can help here: not disabled, and this process may run
/// on more than one CPU.
pub fn worthwhile(disabled: bool) -> bool {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    !disabled && cpus > 1
}

/// Poll `fds` without sleeping, again and again for at most `budget`.
/// Returns how many are ready (0: none within the budget). A signal ends
/// the spin with EINTR, as it would end the caller's blocking poll, and so
/// does a termination request whose signal came between two polls: the
/// caller must look for one before it sleeps.
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
        if crate::termination::requested().is_some() {
            // Its handler ran while we were between polls: no poll saw
            // EINTR, and the caller must not go to sleep.
            return Err(io::Error::from_raw_os_error(libc::EINTR));
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

#[cfg(test)]
mod tests {
    use super::*;

    const BUDGET: Duration = Duration::from_micros(100);
    const SHORT: Duration = Duration::from_micros(30);
    const LONG: Duration = Duration::from_millis(5);

    #[test]
    fn spinning_stops_after_consecutive_long_waits_and_resumes_after_a_short_one() {
        let mut policy = SpinPolicy::new(BUDGET, true);
        assert_eq!(policy.budget(), BUDGET);
        policy.record(LONG);
        policy.record(SHORT);
        policy.record(LONG);
        policy.record(LONG);
        // Two misses in a row, broken once before: still spinning.
        assert_eq!(policy.budget(), BUDGET);
        policy.record(LONG);
        assert_eq!(policy.budget(), Duration::ZERO);
        policy.record(LONG);
        assert_eq!(policy.budget(), Duration::ZERO);
        // Slept at once, and the wait would have fitted: spin again.
        policy.record(SHORT);
        assert_eq!(policy.budget(), BUDGET);
    }

    #[test]
    fn a_disabled_policy_never_spins() {
        let mut policy = SpinPolicy::new(BUDGET, false);
        assert_eq!(policy.budget(), Duration::ZERO);
        policy.record(Duration::ZERO);
        assert_eq!(policy.budget(), Duration::ZERO);
    }

    #[test]
    fn a_brief_poll_finds_a_ready_fd_and_gives_up_on_a_silent_one() {
        let mut fds = [0; 2];
        // SAFETY: pipe(2) into a local array.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        let mut pollfd = [libc::pollfd {
            fd: fds[0],
            events: libc::POLLIN,
            revents: 0,
        }];
        let start = Instant::now();
        assert_eq!(poll_briefly(&mut pollfd, BUDGET).expect("poll"), 0);
        assert!(start.elapsed() >= BUDGET);
        // SAFETY: one byte from a local into the pipe's write end.
        assert_eq!(unsafe { libc::write(fds[1], b"x".as_ptr().cast(), 1) }, 1);
        assert_eq!(poll_briefly(&mut pollfd, BUDGET).expect("poll"), 1);
        // SAFETY: closing the pipe we opened.
        unsafe {
            libc::close(fds[0]);
            libc::close(fds[1]);
        }
    }
}
