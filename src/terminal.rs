//! The terminal's foreground process group. A program the server starts
//! runs in a process group of its own (a ^C typed at the server's terminal
//! must not reach it behind gdb's back); gdbserver also makes that group
//! the terminal's foreground, so the program reads the terminal and sets
//! its modes (tcsetattr, tcdrain) as it would without a debugger, instead
//! of stopping with SIGTTIN or SIGTTOU. So does rgdbserver, and it gives
//! the terminal back to its own group when it exits.
//!
//! Only a terminal the server holds is handed on: started in the
//! background, it must not take the terminal from the user's shell. With
//! gdb on our stdin and stdout (`-`) there is no terminal to hand.

use std::sync::atomic::{AtomicI32, Ordering};

/// The terminal, as gdbserver finds it: the one on stderr.
const TERMINAL_FD: i32 = libc::STDERR_FILENO;

/// The group that held the terminal before we handed it on (-1: we have
/// not), given back at exit.
static HELD_BEFORE: AtomicI32 = AtomicI32::new(-1);

/// Make `pgid` (a program we started, leader of its own group) the
/// foreground process group of our terminal, if we hold it or handed it
/// on before.
pub fn hand_to(pgid: i32) {
    // SAFETY: isatty, tcgetpgrp and getpgrp only look.
    let (is_tty, foreground, ours) = unsafe {
        (
            libc::isatty(TERMINAL_FD) == 1,
            libc::tcgetpgrp(TERMINAL_FD),
            libc::getpgrp(),
        )
    };
    if !is_tty {
        return;
    }
    if HELD_BEFORE.load(Ordering::SeqCst) < 0 {
        if foreground != ours {
            return;
        }
        HELD_BEFORE.store(ours, Ordering::SeqCst);
    }
    set_foreground(pgid);
}

/// At exit: the terminal back to the group that held it, if we handed it on.
pub fn take_back() {
    let before = HELD_BEFORE.swap(-1, Ordering::SeqCst);
    if before >= 0 {
        set_foreground(before);
    }
}

/// tcsetpgrp with SIGTTOU blocked: from a group that is not the
/// terminal's foreground (ours, once the program has it) the kernel would
/// stop us with SIGTTOU instead.
fn set_foreground(pgid: i32) {
    // SAFETY: sigset operations on locals, then tcsetpgrp on our terminal,
    // the signal mask restored as it was.
    unsafe {
        let mut block: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut block);
        libc::sigaddset(&mut block, libc::SIGTTOU);
        libc::pthread_sigmask(libc::SIG_BLOCK, &block, &mut old);
        if libc::tcsetpgrp(TERMINAL_FD, pgid) != 0 {
            log::debug!(
                "terminal foreground to group {pgid}: {}",
                std::io::Error::last_os_error()
            );
        }
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
    }
}
