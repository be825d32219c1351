//! `vCont` parsing for non-stop mode, where the packet layer resumes and
//! stops threads itself (gdbstub's vCont knows no `t` action and assumes
//! all-stop).
//!
//! `vCont;ACTION[:THREAD];ACTION[:THREAD]...`: each thread takes the
//! leftmost action whose thread specification names it.

use rgdbserver_arch::signals::linux_from_gdb;

use super::thread_id::ThreadRef;
use crate::process::ResumeAction;
use crate::ptrace::Pid;

/// What gdb asks of the threads one action names (Linux signal numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VContAction {
    /// `c`, `C`, `s`, `S`, `r`.
    Resume(ResumeAction),
    /// `t`: stop the thread and report it (non-stop only).
    Stop,
}

/// The process a `vCont`'s wildcard continue is limited to: `c:pPID.-1`
/// resumes that process only (gdb's `schedule-multiple off`), where
/// gdbstub would continue every thread. None: every process.
pub fn continue_scope(payload: &[u8]) -> Option<Pid> {
    parse(payload)?
        .into_iter()
        .find_map(|(action, spec)| match (action, spec) {
            (VContAction::Resume(ResumeAction::Continue { .. }), ThreadRef::AllOf(pid)) => {
                Some(pid)
            }
            _ => None,
        })
}

/// Parse `vCont;...`; `None` for anything malformed.
pub fn parse(payload: &[u8]) -> Option<Vec<(VContAction, ThreadRef)>> {
    let text = std::str::from_utf8(payload.strip_prefix(b"vCont;")?).ok()?;
    text.split(';')
        .map(|item| {
            let (action, thread) = match item.split_once(':') {
                Some((action, thread)) => (action, ThreadRef::parse(thread.as_bytes())?),
                None => (item, ThreadRef::All),
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
    use crate::ptrace::Tid;

    #[test]
    fn parses_actions_and_threads() {
        let parsed = parse(b"vCont;s:p1f.20;t:p1f.-1;C1e:21;r10,20:p1f.22;c").unwrap();
        assert_eq!(
            parsed,
            vec![
                (
                    VContAction::Resume(ResumeAction::Step { signal: 0 }),
                    ThreadRef::Thread(Some(Pid::new(0x1f)), Tid::new(0x20))
                ),
                (VContAction::Stop, ThreadRef::AllOf(Pid::new(0x1f))),
                (
                    VContAction::Resume(ResumeAction::Continue {
                        signal: libc::SIGUSR1
                    }),
                    ThreadRef::Thread(None, Tid::new(0x21))
                ),
                (
                    VContAction::Resume(ResumeAction::RangeStep {
                        start: 0x10,
                        end: 0x20
                    }),
                    ThreadRef::Thread(Some(Pid::new(0x1f)), Tid::new(0x22))
                ),
                (
                    VContAction::Resume(ResumeAction::Continue { signal: 0 }),
                    ThreadRef::All
                ),
            ]
        );
    }

    #[test]
    fn a_process_wide_continue_limits_the_resume() {
        assert_eq!(continue_scope(b"vCont;c:p7.-1"), Some(Pid::new(7)));
        assert_eq!(continue_scope(b"vCont;c"), None);
        assert_eq!(continue_scope(b"vCont;s:p7.8;c:p7.-1"), Some(Pid::new(7)));
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
