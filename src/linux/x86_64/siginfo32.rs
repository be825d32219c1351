//! The siginfo of a 32-bit program: the kernel gives a 64-bit tracer the
//! 64-bit `siginfo_t` whatever the tracee, while gdb reads `$_siginfo` in
//! the program's own (i386) layout. Converted both ways here.
//!
//! Both layouts are 128 bytes: si_signo, si_errno, si_code, then a union
//! (at 16 in the 64-bit layout, at 12 in the 32-bit one) whose members hold
//! pointers and longs of the program's width. Which member is live follows
//! the kernel's own rule (`siginfo_layout` in kernel/signal.c): from the
//! signal and si_code. Fields of the other members read as zero, as they
//! do for a 32-bit process reading its own siginfo.

const SIZE: usize = 128;
/// si_signo, si_errno, si_code: three ints at the same place in both.
const HEADER: usize = 12;
const NATIVE_UNION: usize = 16;
const COMPAT_UNION: usize = 12;

/// How a field changes width between the layouts.
#[derive(Clone, Copy)]
enum Width {
    /// 2 bytes in both (si_addr_lsb).
    Short,
    /// 4 bytes in both (pids, uids, ints).
    Int,
    /// A pointer or sigval: 8 bytes native, 4 in the program; zero-extended.
    Pointer,
    /// A long or clock_t: 8 bytes native, 4 in the program; sign-extended.
    Long,
}

/// One field: its offset in the native union, in the program's union, width.
type Field = (usize, usize, Width);

const KILL: &[Field] = &[(0, 0, Width::Int), (4, 4, Width::Int)];
const TIMER: &[Field] = &[
    (0, 0, Width::Int),
    (4, 4, Width::Int),
    (8, 8, Width::Pointer),
];
const RT: &[Field] = &[
    (0, 0, Width::Int),
    (4, 4, Width::Int),
    (8, 8, Width::Pointer),
];
/// pid, uid, status, utime, stime (the clock_t pair aligned to 8 natively).
const CHLD: &[Field] = &[
    (0, 0, Width::Int),
    (4, 4, Width::Int),
    (8, 8, Width::Int),
    (16, 12, Width::Long),
    (24, 16, Width::Long),
];
/// si_addr, si_addr_lsb, then the union of the bound pair and the pkey
/// (the pkey is the low half of the lower bound's slot).
const FAULT: &[Field] = &[
    (0, 0, Width::Pointer),
    (8, 4, Width::Short),
    (16, 8, Width::Pointer),
    (24, 12, Width::Pointer),
];
/// A perf event's trap (SIGTRAP, TRAP_PERF): si_addr, then si_perf_data
/// (an unsigned long), si_perf_type and si_perf_flags, after the padding
/// that aligns the fault union to a pointer.
const PERF: &[Field] = &[
    (0, 0, Width::Pointer),
    (8, 4, Width::Pointer),
    (16, 8, Width::Int),
    (20, 12, Width::Int),
];
/// si_band (a long), si_fd.
const POLL: &[Field] = &[(0, 0, Width::Long), (8, 4, Width::Int)];
/// _call_addr, _syscall, _arch.
const SYS: &[Field] = &[
    (0, 0, Width::Pointer),
    (8, 4, Width::Int),
    (12, 8, Width::Int),
];

const SI_USER: i32 = 0;
const TRAP_PERF: i32 = 6;
const SI_KERNEL: i32 = 0x80;
const SI_TIMER: i32 = -2;
const SI_SIGIO: i32 = -5;
/// The highest si_code of each signal's own codes (NSIGILL and the others
/// in the kernel's uapi siginfo.h); SIGPOLL's also bounds the fallback.
const NSIGPOLL: i32 = 6;

/// The live member of the union, as the kernel decides it.
fn layout(signo: i32, code: i32) -> &'static [Field] {
    if signo == libc::SIGTRAP && code == TRAP_PERF {
        return PERF;
    }
    if code > SI_USER && code < SI_KERNEL {
        let own = match signo {
            libc::SIGILL => Some((11, FAULT)),
            libc::SIGFPE => Some((15, FAULT)),
            libc::SIGSEGV => Some((10, FAULT)),
            libc::SIGBUS => Some((5, FAULT)),
            libc::SIGTRAP => Some((6, FAULT)),
            libc::SIGCHLD => Some((6, CHLD)),
            libc::SIGPOLL => Some((NSIGPOLL, POLL)),
            libc::SIGSYS => Some((2, SYS)),
            _ => None,
        };
        return match own {
            Some((limit, fields)) if code <= limit => fields,
            _ if code <= NSIGPOLL => POLL,
            _ => KILL,
        };
    }
    match code {
        SI_TIMER => TIMER,
        SI_SIGIO => POLL,
        c if c < 0 => RT,
        _ => KILL,
    }
}

fn int_at(buf: &[u8], at: usize) -> i32 {
    buf.get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map(i32::from_le_bytes)
        .unwrap_or(0)
}

/// Copies `len` bytes from `from[at_from..]` to `to[at_to..]`, missing
/// bytes (a short buffer) read as zero.
fn copy(from: &[u8], at_from: usize, to: &mut [u8], at_to: usize, len: usize) {
    for i in 0..len {
        if let Some(slot) = to.get_mut(at_to + i) {
            *slot = from.get(at_from + i).copied().unwrap_or(0);
        }
    }
}

/// The 32-bit siginfo of what the kernel holds in the 64-bit layout.
pub fn to_compat(native: &[u8]) -> Vec<u8> {
    let mut compat = vec![0u8; SIZE];
    copy(native, 0, &mut compat, 0, HEADER);
    for &(native_at, compat_at, width) in layout(int_at(native, 0), int_at(native, 8)) {
        let from = NATIVE_UNION + native_at;
        let to = COMPAT_UNION + compat_at;
        match width {
            Width::Short => copy(native, from, &mut compat, to, 2),
            // Pointers and longs: the low half (the program's value).
            Width::Int | Width::Pointer | Width::Long => copy(native, from, &mut compat, to, 4),
        }
    }
    compat
}

/// Rewrites `native` (the 64-bit siginfo, updated in place) from the
/// program's 32-bit one.
pub fn from_compat(compat: &[u8], native: &mut [u8]) {
    native.iter_mut().for_each(|b| *b = 0);
    copy(compat, 0, native, 0, HEADER);
    for &(native_at, compat_at, width) in layout(int_at(compat, 0), int_at(compat, 8)) {
        let from = COMPAT_UNION + compat_at;
        let to = NATIVE_UNION + native_at;
        match width {
            Width::Short => copy(compat, from, native, to, 2),
            Width::Int => copy(compat, from, native, to, 4),
            Width::Pointer => {
                let value = int_at(compat, from) as u32 as u64;
                copy(&value.to_le_bytes(), 0, native, to, 8);
            }
            Width::Long => {
                let value = i64::from(int_at(compat, from));
                copy(&value.to_le_bytes(), 0, native, to, 8);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn native(signo: i32, code: i32, union: &[(usize, &[u8])]) -> Vec<u8> {
        let mut buf = vec![0u8; SIZE];
        buf[0..4].copy_from_slice(&signo.to_le_bytes());
        buf[4..8].copy_from_slice(&7i32.to_le_bytes());
        buf[8..12].copy_from_slice(&code.to_le_bytes());
        for (at, bytes) in union {
            buf[NATIVE_UNION + at..NATIVE_UNION + at + bytes.len()].copy_from_slice(bytes);
        }
        buf
    }

    fn compat_u32(buf: &[u8], at: usize) -> u32 {
        int_at(buf, COMPAT_UNION + at) as u32
    }

    #[test]
    fn segfault_address_moves_to_the_32_bit_slot() {
        const SEGV_MAPERR: i32 = 1;
        let raw = native(
            libc::SIGSEGV,
            SEGV_MAPERR,
            &[(0, &0x1234_5678u64.to_le_bytes())],
        );
        let compat = to_compat(&raw);
        assert_eq!(int_at(&compat, 0), libc::SIGSEGV);
        assert_eq!(int_at(&compat, 4), 7);
        assert_eq!(int_at(&compat, 8), SEGV_MAPERR);
        assert_eq!(compat_u32(&compat, 0), 0x1234_5678);
        let mut back = vec![0xffu8; SIZE];
        from_compat(&compat, &mut back);
        assert_eq!(back, raw);
    }

    #[test]
    fn sigqueue_value_and_sender() {
        const SI_QUEUE: i32 = -1;
        let raw = native(
            libc::SIGUSR1,
            SI_QUEUE,
            &[
                (0, &4242i32.to_le_bytes()),
                (4, &1000u32.to_le_bytes()),
                (8, &0xdead_beefu64.to_le_bytes()),
            ],
        );
        let compat = to_compat(&raw);
        assert_eq!(compat_u32(&compat, 0), 4242);
        assert_eq!(compat_u32(&compat, 4), 1000);
        assert_eq!(compat_u32(&compat, 8), 0xdead_beef);
        let mut back = vec![0u8; SIZE];
        from_compat(&compat, &mut back);
        assert_eq!(back, raw);
    }

    #[test]
    fn child_times_are_sign_extended_back() {
        const CLD_EXITED: i32 = 1;
        let raw = native(
            libc::SIGCHLD,
            CLD_EXITED,
            &[
                (0, &99i32.to_le_bytes()),
                (8, &3i32.to_le_bytes()),
                (16, &(-5i64).to_le_bytes()),
                (24, &17i64.to_le_bytes()),
            ],
        );
        let compat = to_compat(&raw);
        assert_eq!(compat_u32(&compat, 8), 3);
        assert_eq!(int_at(&compat, COMPAT_UNION + 12), -5);
        assert_eq!(compat_u32(&compat, 16), 17);
        let mut back = vec![0u8; SIZE];
        from_compat(&compat, &mut back);
        assert_eq!(back, raw);
    }

    #[test]
    fn kill_and_breakpoint_traps_carry_pid_and_uid_only() {
        const SI_TKILL: i32 = -6;
        let raw = native(libc::SIGTRAP, SI_KERNEL, &[(8, &1u64.to_le_bytes())]);
        let compat = to_compat(&raw);
        assert_eq!(compat_u32(&compat, 8), 0, "not a field of the kill layout");
        let tkill = native(libc::SIGINT, SI_TKILL, &[(0, &5i32.to_le_bytes())]);
        assert_eq!(compat_u32(&to_compat(&tkill), 0), 5);
    }

    #[test]
    fn a_write_of_gdb_changes_the_native_field() {
        const SEGV_MAPERR: i32 = 1;
        let mut raw = native(libc::SIGSEGV, SEGV_MAPERR, &[(0, &0x1000u64.to_le_bytes())]);
        let mut compat = to_compat(&raw);
        compat[COMPAT_UNION..COMPAT_UNION + 4].copy_from_slice(&0x2000u32.to_le_bytes());
        from_compat(&compat, &mut raw);
        assert_eq!(
            &raw[NATIVE_UNION..NATIVE_UNION + 8],
            &0x2000u64.to_le_bytes()
        );
    }

    #[test]
    fn layouts_follow_the_kernels_rule() {
        assert!(std::ptr::eq(layout(libc::SIGSYS, 1), SYS));
        assert!(std::ptr::eq(layout(libc::SIGUSR1, 3), POLL));
        assert!(std::ptr::eq(layout(libc::SIGUSR1, 9), KILL));
        assert!(std::ptr::eq(layout(libc::SIGALRM, SI_TIMER), TIMER));
        assert!(std::ptr::eq(layout(libc::SIGIO, SI_SIGIO), POLL));
        assert!(std::ptr::eq(layout(libc::SIGSEGV, 11), KILL));
        assert!(std::ptr::eq(layout(libc::SIGTRAP, TRAP_PERF), PERF));
    }
}
