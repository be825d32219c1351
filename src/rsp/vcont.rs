//! `vCont` parsing for non-stop mode, where the packet layer resumes and
//! stops threads itself (gdbstub's vCont knows no `t` action and assumes
//! all-stop).
//!
//! `vCont;ACTION[:THREAD];ACTION[:THREAD]...`: each thread takes the
//! leftmost action whose thread specification names it.

use rgdbserver_arch::signals::linux_from_gdb;

use crate::process::ResumeAction;

/// What gdb asks of the threads one action names (Linux signal numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VContAction {
    /// `c`, `C`, `s`, `S`, `r`.
    Resume(ResumeAction),
    /// `t`: stop the thread and report it (non-stop only).
    Stop,
}

/// Which threads an action applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadSpec {
    /// No thread given, `-1`, or `p-1.-1`.
    All,
    /// `pPID` or `pPID.-1`: every thread of one process.
    Process(i32),
    /// `pPID.TID` or `TID`.
    Thread(i32),
}

impl ThreadSpec {
    pub fn matches(self, pid: i32, tid: i32) -> bool {
        match self {
            ThreadSpec::All => true,
            ThreadSpec::Process(p) => p == pid,
            ThreadSpec::Thread(t) => t == tid,
        }
    }

    fn parse(text: &str) -> Option<ThreadSpec> {
        let number = |s: &str| -> Option<i32> {
            match s {
                "-1" => Some(-1),
                _ => i32::from_str_radix(s, 16).ok().filter(|&n| n >= 0),
            }
        };
        match text.strip_prefix('p') {
            Some(rest) => {
                let (pid, tid) = match rest.split_once('.') {
                    Some((pid, tid)) => (number(pid)?, number(tid)?),
                    None => (number(rest)?, -1),
                };
                Some(match (pid, tid) {
                    (-1, _) => ThreadSpec::All,
                    (pid, -1) => ThreadSpec::Process(pid),
                    (_, tid) => ThreadSpec::Thread(tid),
                })
            }
            None => Some(match number(text)? {
                -1 => ThreadSpec::All,
                tid => ThreadSpec::Thread(tid),
            }),
        }
    }
}

/// The process a `vCont`'s wildcard continue is limited to: `c:pPID.-1`
/// resumes that process only (gdb's `schedule-multiple off`), where
/// gdbstub would continue every thread. None: every process.
pub fn continue_scope(payload: &[u8]) -> Option<i32> {
    parse(payload)?
        .into_iter()
        .find_map(|(action, spec)| match (action, spec) {
            (VContAction::Resume(ResumeAction::Continue { .. }), ThreadSpec::Process(pid)) => {
                Some(pid)
            }
            _ => None,
        })
}

/// Parse `vCont;...`; `None` for anything malformed.
pub fn parse(payload: &[u8]) -> Option<Vec<(VContAction, ThreadSpec)>> {
    let text = std::str::from_utf8(payload.strip_prefix(b"vCont;")?).ok()?;
    text.split(';')
        .map(|item| {
            let (action, thread) = match item.split_once(':') {
                Some((action, thread)) => (action, ThreadSpec::parse(thread)?),
                None => (item, ThreadSpec::All),
            };
            Some((parse_action(action)?, thread))
        })
        .collect()
}

fn parse_action(text: &str) -> Option<VContAction> {
    let signal = |hex: &str| -> Option<i32> { linux_from_gdb(u8::from_str_radix(hex, 16).ok()?) };
    let mut chars = text.chars();
    let kind = chars.next()?;
    let rest = chars.as_str();
    let resume = match (kind, rest) {
        ('t', "") => return Some(VContAction::Stop),
        ('c', "") => ResumeAction::Continue { signal: 0 },
        ('s', "") => ResumeAction::Step { signal: 0 },
        ('C', sig) => ResumeAction::Continue {
            signal: signal(sig)?,
        },
        ('S', sig) => ResumeAction::Step {
            signal: signal(sig)?,
        },
        ('r', range) => {
            let (start, end) = range.split_once(',')?;
            ResumeAction::RangeStep {
                start: u64::from_str_radix(start, 16).ok()?,
                end: u64::from_str_radix(end, 16).ok()?,
            }
        }
        _ => return None,
    };
    Some(VContAction::Resume(resume))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_actions_and_threads() {
        let parsed = parse(b"vCont;s:p1f.20;t:p1f.-1;C1e:21;r10,20:p1f.22;c").unwrap();
        assert_eq!(
            parsed,
            vec![
                (
                    VContAction::Resume(ResumeAction::Step { signal: 0 }),
                    ThreadSpec::Thread(0x20)
                ),
                (VContAction::Stop, ThreadSpec::Process(0x1f)),
                (
                    VContAction::Resume(ResumeAction::Continue {
                        signal: libc::SIGUSR1
                    }),
                    ThreadSpec::Thread(0x21)
                ),
                (
                    VContAction::Resume(ResumeAction::RangeStep {
                        start: 0x10,
                        end: 0x20
                    }),
                    ThreadSpec::Thread(0x22)
                ),
                (
                    VContAction::Resume(ResumeAction::Continue { signal: 0 }),
                    ThreadSpec::All
                ),
            ]
        );
    }

    #[test]
    fn wildcards_match_every_thread() {
        assert_eq!(ThreadSpec::parse("p-1.-1"), Some(ThreadSpec::All));
        assert_eq!(ThreadSpec::parse("-1"), Some(ThreadSpec::All));
        assert_eq!(ThreadSpec::parse("p7"), Some(ThreadSpec::Process(7)));
        assert!(ThreadSpec::Process(7).matches(7, 9));
        assert!(!ThreadSpec::Process(7).matches(8, 8));
        assert!(ThreadSpec::Thread(9).matches(7, 9));
    }

    #[test]
    fn rejects_malformed_actions() {
        assert_eq!(parse(b"vCont;x"), None);
        assert_eq!(parse(b"vCont;C"), None);
        assert_eq!(parse(b"vCont;c:pzz.1"), None);
        assert_eq!(parse(b"vCont;r10:1"), None);
        assert_eq!(parse(b"vCont"), None);
    }
}
