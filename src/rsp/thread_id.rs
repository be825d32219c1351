//! Thread ids as gdb writes them, parsed and printed here only: `TID`,
//! `pPID.TID`, `pPID` (= `pPID.-1`), `-1` (all) and `0` (any), in hex.
//! Used by `H`, `vCont`, `T` stop replies, `qC`, `qXfer:threads` and the
//! `fork:`/`vfork:` fields.

use crate::ptrace::{Pid, Tid};

/// What an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadRef {
    /// `-1`, `p-1`, `p-1.-1`: every thread of every process.
    All,
    /// `0`, `p0.0`: gdb does not care which.
    Any,
    /// `pPID`, `pPID.-1`: every thread of one process.
    AllOf(Pid),
    /// `pPID.0`: any thread of one process.
    AnyOf(Pid),
    /// `TID` or `pPID.TID`: one thread (the process, when given).
    Thread(Option<Pid>, Tid),
}

impl ThreadRef {
    /// Parse one id; None for anything malformed (negative numbers other
    /// than -1, non-hex digits, a thread without its process's `p`).
    pub fn parse(text: &[u8]) -> Option<ThreadRef> {
        let text = std::str::from_utf8(text).ok()?;
        let Some(rest) = text.strip_prefix('p') else {
            return Some(match number(text)? {
                Number::All => ThreadRef::All,
                Number::Zero => ThreadRef::Any,
                Number::Id(tid) => ThreadRef::Thread(None, Tid::new(tid)),
            });
        };
        let (pid, tid) = match rest.split_once('.') {
            Some((pid, tid)) => (number(pid)?, number(tid)?),
            None => (number(rest)?, Number::All),
        };
        Some(match (pid, tid) {
            (Number::All, _) => ThreadRef::All,
            (Number::Zero, _) => ThreadRef::Any,
            (Number::Id(pid), Number::All) => ThreadRef::AllOf(Pid::new(pid)),
            (Number::Id(pid), Number::Zero) => ThreadRef::AnyOf(Pid::new(pid)),
            (Number::Id(pid), Number::Id(tid)) => {
                ThreadRef::Thread(Some(Pid::new(pid)), Tid::new(tid))
            }
        })
    }

    /// Does this id name `tid` of process `pid`?
    pub fn matches(self, pid: Pid, tid: Tid) -> bool {
        match self {
            ThreadRef::All | ThreadRef::Any => true,
            ThreadRef::AllOf(p) | ThreadRef::AnyOf(p) => p == pid,
            ThreadRef::Thread(p, t) => t == tid && p.is_none_or(|p| p == pid),
        }
    }
}

enum Number {
    All,
    Zero,
    Id(i32),
}

fn number(text: &str) -> Option<Number> {
    if text == "-1" {
        return Some(Number::All);
    }
    match i32::from_str_radix(text, 16).ok()? {
        0 => Some(Number::Zero),
        n if n > 0 => Some(Number::Id(n)),
        _ => None,
    }
}

/// `pPID.TID` with gdb's multiprocess extensions, else `TID`.
pub fn format(pid: Pid, tid: Tid, multiprocess: bool) -> String {
    if multiprocess {
        format!("p{pid:x}.{tid:x}")
    } else {
        format!("{tid:x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid(n: i32) -> Pid {
        Pid::new(n)
    }

    fn tid(n: i32) -> Tid {
        Tid::new(n)
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(ThreadRef::parse(b"-1"), Some(ThreadRef::All));
        assert_eq!(ThreadRef::parse(b"p-1.-1"), Some(ThreadRef::All));
        assert_eq!(ThreadRef::parse(b"0"), Some(ThreadRef::Any));
        assert_eq!(ThreadRef::parse(b"p0.0"), Some(ThreadRef::Any));
        assert_eq!(ThreadRef::parse(b"p7"), Some(ThreadRef::AllOf(pid(7))));
        assert_eq!(ThreadRef::parse(b"p7.-1"), Some(ThreadRef::AllOf(pid(7))));
        assert_eq!(ThreadRef::parse(b"p7.0"), Some(ThreadRef::AnyOf(pid(7))));
        assert_eq!(
            ThreadRef::parse(b"p1f.20"),
            Some(ThreadRef::Thread(Some(pid(0x1f)), tid(0x20)))
        );
        assert_eq!(
            ThreadRef::parse(b"2a"),
            Some(ThreadRef::Thread(None, tid(0x2a)))
        );
    }

    #[test]
    fn rejects_malformed_ids() {
        for bad in [
            &b""[..],
            b"zz",
            b"p",
            b"pzz.1",
            b"p1.zz",
            b"-2",
            b"0,6e",
            b"p1.2.3",
        ] {
            assert_eq!(ThreadRef::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn matches_by_process_and_thread() {
        assert!(ThreadRef::AllOf(pid(7)).matches(pid(7), tid(9)));
        assert!(!ThreadRef::AllOf(pid(7)).matches(pid(8), tid(8)));
        assert!(ThreadRef::Thread(None, tid(9)).matches(pid(7), tid(9)));
        assert!(!ThreadRef::Thread(Some(pid(8)), tid(9)).matches(pid(7), tid(9)));
        assert!(ThreadRef::All.matches(pid(1), tid(2)));
    }

    #[test]
    fn formats_with_and_without_multiprocess() {
        assert_eq!(format(pid(0x148c), tid(0x148d), true), "p148c.148d");
        assert_eq!(format(pid(0x148c), tid(0x148d), false), "148d");
    }
}
