//! Signal numbers: gdb's remote-protocol numbering <-> Linux's.
//!
//! gdb speaks its own signal numbers on the wire (`gdb/signals.def`), not the
//! host's: SIGUSR1 is 30 there, SIGCHLD 20, and the real-time signals are split
//! into three runs (SIG33..SIG63 = 45..75, SIG32 = 77, SIG64.. = 78..). This
//! module owns the translation for the Linux generic numbering, which x86_64
//! and arm64 share. It mirrors gdbserver's `gdb_signal_from_host` and
//! `gdb_signal_to_host`: a Linux signal gdb has no name for (SIGSTKFLT) becomes
//! GDB_SIGNAL_UNKNOWN, and SIGIO/SIGPOLL (the same Linux number) become
//! GDB_SIGNAL_IO.
//!
//! Invariant: `linux_from_gdb(gdb_from_linux(s)) == Some(s)` for every Linux
//! signal 0..=64 except SIGSTKFLT.

/// gdb's numbers that matter on Linux (values from gdb/signals.def).
pub mod gdb {
    pub const SIGNAL_0: u8 = 0;
    pub const HUP: u8 = 1;
    pub const INT: u8 = 2;
    pub const QUIT: u8 = 3;
    pub const ILL: u8 = 4;
    pub const TRAP: u8 = 5;
    pub const ABRT: u8 = 6;
    pub const EMT: u8 = 7;
    pub const FPE: u8 = 8;
    pub const KILL: u8 = 9;
    pub const BUS: u8 = 10;
    pub const SEGV: u8 = 11;
    pub const SYS: u8 = 12;
    pub const PIPE: u8 = 13;
    pub const ALRM: u8 = 14;
    pub const TERM: u8 = 15;
    pub const URG: u8 = 16;
    pub const STOP: u8 = 17;
    pub const TSTP: u8 = 18;
    pub const CONT: u8 = 19;
    pub const CHLD: u8 = 20;
    pub const TTIN: u8 = 21;
    pub const TTOU: u8 = 22;
    pub const IO: u8 = 23;
    pub const XCPU: u8 = 24;
    pub const XFSZ: u8 = 25;
    pub const VTALRM: u8 = 26;
    pub const PROF: u8 = 27;
    pub const WINCH: u8 = 28;
    pub const USR1: u8 = 30;
    pub const USR2: u8 = 31;
    pub const PWR: u8 = 32;
    pub const POLL: u8 = 33;
    /// GDB_SIGNAL_REALTIME_33; 34..=63 follow contiguously up to 75.
    pub const REALTIME_33: u8 = 45;
    pub const REALTIME_63: u8 = 75;
    /// SIG32 was added after the 33.. block, hence out of order.
    pub const REALTIME_32: u8 = 77;
    /// GDB_SIGNAL_REALTIME_64; 65..=127 follow contiguously up to 141.
    pub const REALTIME_64: u8 = 78;
    pub const REALTIME_127: u8 = 141;
    pub const UNKNOWN: u8 = 143;
}

/// Linux generic signal numbers (asm-generic/signal.h; x86 and arm64 alike).
pub mod linux {
    pub const SIGHUP: i32 = 1;
    pub const SIGINT: i32 = 2;
    pub const SIGQUIT: i32 = 3;
    pub const SIGILL: i32 = 4;
    pub const SIGTRAP: i32 = 5;
    pub const SIGABRT: i32 = 6;
    pub const SIGBUS: i32 = 7;
    pub const SIGFPE: i32 = 8;
    pub const SIGKILL: i32 = 9;
    pub const SIGUSR1: i32 = 10;
    pub const SIGSEGV: i32 = 11;
    pub const SIGUSR2: i32 = 12;
    pub const SIGPIPE: i32 = 13;
    pub const SIGALRM: i32 = 14;
    pub const SIGTERM: i32 = 15;
    pub const SIGSTKFLT: i32 = 16;
    pub const SIGCHLD: i32 = 17;
    pub const SIGCONT: i32 = 18;
    pub const SIGSTOP: i32 = 19;
    pub const SIGTSTP: i32 = 20;
    pub const SIGTTIN: i32 = 21;
    pub const SIGTTOU: i32 = 22;
    pub const SIGURG: i32 = 23;
    pub const SIGXCPU: i32 = 24;
    pub const SIGXFSZ: i32 = 25;
    pub const SIGVTALRM: i32 = 26;
    pub const SIGPROF: i32 = 27;
    pub const SIGWINCH: i32 = 28;
    /// SIGPOLL is the same number.
    pub const SIGIO: i32 = 29;
    pub const SIGPWR: i32 = 30;
    pub const SIGSYS: i32 = 31;
    /// The kernel's first real-time signal (glibc reserves 32 and 33 and
    /// reports SIGRTMIN as 34).
    pub const SIGRTMIN_KERNEL: i32 = 32;
    pub const SIGRTMAX: i32 = 64;
}

/// Linux signal <-> gdb signal for the non-real-time signals gdb can name.
/// gdb's POLL has no Linux number of its own: it is handled in `linux_from_gdb`.
const CLASSIC: &[(i32, u8)] = &[
    (linux::SIGHUP, gdb::HUP),
    (linux::SIGINT, gdb::INT),
    (linux::SIGQUIT, gdb::QUIT),
    (linux::SIGILL, gdb::ILL),
    (linux::SIGTRAP, gdb::TRAP),
    (linux::SIGABRT, gdb::ABRT),
    (linux::SIGBUS, gdb::BUS),
    (linux::SIGFPE, gdb::FPE),
    (linux::SIGKILL, gdb::KILL),
    (linux::SIGUSR1, gdb::USR1),
    (linux::SIGSEGV, gdb::SEGV),
    (linux::SIGUSR2, gdb::USR2),
    (linux::SIGPIPE, gdb::PIPE),
    (linux::SIGALRM, gdb::ALRM),
    (linux::SIGTERM, gdb::TERM),
    (linux::SIGCHLD, gdb::CHLD),
    (linux::SIGCONT, gdb::CONT),
    (linux::SIGSTOP, gdb::STOP),
    (linux::SIGTSTP, gdb::TSTP),
    (linux::SIGTTIN, gdb::TTIN),
    (linux::SIGTTOU, gdb::TTOU),
    (linux::SIGURG, gdb::URG),
    (linux::SIGXCPU, gdb::XCPU),
    (linux::SIGXFSZ, gdb::XFSZ),
    (linux::SIGVTALRM, gdb::VTALRM),
    (linux::SIGPROF, gdb::PROF),
    (linux::SIGWINCH, gdb::WINCH),
    (linux::SIGIO, gdb::IO),
    (linux::SIGPWR, gdb::PWR),
    (linux::SIGSYS, gdb::SYS),
];

/// The gdb number for a Linux signal; `gdb::UNKNOWN` (143) when gdb has none.
pub fn gdb_from_linux(linux_signo: i32) -> u8 {
    if linux_signo == 0 {
        return gdb::SIGNAL_0;
    }
    if let Some(&(_, g)) = CLASSIC.iter().find(|&&(l, _)| l == linux_signo) {
        return g;
    }
    match linux_signo {
        32 => gdb::REALTIME_32,
        // The range bounds the difference to 0..=30, so the cast is exact.
        33..=63 => gdb::REALTIME_33 + (linux_signo - 33) as u8,
        64 => gdb::REALTIME_64,
        _ => gdb::UNKNOWN,
    }
}

/// The Linux number for a gdb signal, or `None` when Linux has no such signal
/// (gdbserver then warns and delivers nothing).
/// The name gdb (and gdbserver's messages) use for a Linux signal:
/// `SIGSEGV`, real-time signals as `SIG34`, unknown ones as `?`.
pub fn name(linux_signo: i32) -> String {
    const NAMES: [&str; 32] = [
        "0",
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "?",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    match linux_signo {
        0..=31 => NAMES[linux_signo as usize].to_string(),
        32..=linux::SIGRTMAX => format!("SIG{linux_signo}"),
        _ => "?".to_string(),
    }
}

pub fn linux_from_gdb(gdb_signo: u8) -> Option<i32> {
    if gdb_signo == gdb::SIGNAL_0 {
        return Some(0);
    }
    if gdb_signo == gdb::POLL {
        return Some(linux::SIGIO);
    }
    if let Some(&(l, _)) = CLASSIC.iter().find(|&&(_, g)| g == gdb_signo) {
        return Some(l);
    }
    let signo = match gdb_signo {
        gdb::REALTIME_32 => 32,
        gdb::REALTIME_33..=gdb::REALTIME_63 => i32::from(gdb_signo - gdb::REALTIME_33) + 33,
        gdb::REALTIME_64..=gdb::REALTIME_127 => i32::from(gdb_signo - gdb::REALTIME_64) + 64,
        _ => return None,
    };
    // Linux stops at 64; gdb's numbering goes to 127 for MIPS.
    (signo <= linux::SIGRTMAX).then_some(signo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_gdb() {
        assert_eq!(name(11), "SIGSEGV");
        assert_eq!(name(36), "SIG36");
        assert_eq!(name(16), "?");
        assert_eq!(name(99), "?");
    }

    #[test]
    fn round_trip_every_linux_signal() {
        for signo in 0..=64 {
            let g = gdb_from_linux(signo);
            if signo == linux::SIGSTKFLT {
                assert_eq!(g, gdb::UNKNOWN, "gdbserver has no gdb signal for SIGSTKFLT");
                continue;
            }
            assert_ne!(g, gdb::UNKNOWN, "linux signal {signo}");
            assert_eq!(linux_from_gdb(g), Some(signo), "linux {signo} -> gdb {g}");
        }
    }

    #[test]
    fn gdb_numbers_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for signo in 1..=64 {
            let g = gdb_from_linux(signo);
            if g != gdb::UNKNOWN {
                assert!(seen.insert(g), "gdb {g} used twice");
            }
        }
        assert_eq!(seen.len(), 63);
    }

    #[test]
    fn spot_checks() {
        assert_eq!(gdb_from_linux(linux::SIGSEGV), 11);
        assert_eq!(linux_from_gdb(11), Some(11));
        assert_eq!(gdb_from_linux(linux::SIGINT), 2);
        assert_eq!(gdb_from_linux(linux::SIGTRAP), 5);
        assert_eq!(gdb_from_linux(linux::SIGBUS), 10);
        assert_eq!(gdb_from_linux(linux::SIGUSR1), 30);
        assert_eq!(gdb_from_linux(linux::SIGUSR2), 31);
        assert_eq!(gdb_from_linux(linux::SIGCHLD), 20);
        assert_eq!(gdb_from_linux(linux::SIGCONT), 19);
        assert_eq!(gdb_from_linux(linux::SIGSTOP), 17);
        assert_eq!(gdb_from_linux(linux::SIGURG), 16);
        assert_eq!(gdb_from_linux(linux::SIGIO), 23);
        assert_eq!(gdb_from_linux(linux::SIGPWR), 32);
        assert_eq!(gdb_from_linux(linux::SIGSYS), 12);
        assert_eq!(gdb_from_linux(linux::SIGWINCH), 28);
        assert_eq!(gdb_from_linux(linux::SIGXCPU), 24);
        assert_eq!(gdb_from_linux(32), 77);
        assert_eq!(gdb_from_linux(33), 45);
        // glibc's SIGRTMIN.
        assert_eq!(gdb_from_linux(34), 46);
        assert_eq!(gdb_from_linux(63), 75);
        assert_eq!(gdb_from_linux(64), 78);
    }

    #[test]
    fn unknown_and_out_of_range() {
        assert_eq!(gdb_from_linux(linux::SIGSTKFLT), gdb::UNKNOWN);
        assert_eq!(gdb_from_linux(65), gdb::UNKNOWN);
        assert_eq!(gdb_from_linux(-1), gdb::UNKNOWN);
        assert_eq!(linux_from_gdb(gdb::UNKNOWN), None);
        assert_eq!(linux_from_gdb(gdb::EMT), None);
        assert_eq!(linux_from_gdb(29), None, "SIGLOST");
        assert_eq!(linux_from_gdb(76), None, "SIGCANCEL");
        assert_eq!(linux_from_gdb(79), None, "SIG65");
        assert_eq!(linux_from_gdb(gdb::REALTIME_127), None);
        assert_eq!(linux_from_gdb(gdb::POLL), Some(linux::SIGIO));
        assert_eq!(linux_from_gdb(gdb::SIGNAL_0), Some(0));
    }
}
