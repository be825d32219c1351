//! The protocol's first resume packets, `c`, `s`, `CSIG`, `SSIG` (each with
//! an optional `;ADDR`, or `ADDR` for `c`/`s`), rewritten as the `vCont`
//! they mean, so that one path resumes threads.
//!
//! gdb always sends `vCont` once the server offers it, but other clients
//! (lldb, simple scripts) send `c` without ever sending `Hc`. gdbstub 0.7
//! then resumes its own default thread id 1, which names no Linux thread:
//! nothing runs and the client waits forever. The meaning here is
//! gdbserver's: with `Hc` naming one thread, only that thread resumes;
//! otherwise a plain continue resumes every thread, and a step or a signal
//! applies to gdb's current thread while the others continue.

use super::thread_id::ThreadRef;

/// A legacy resume packet, as `vCont`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyResume {
    /// The equivalent `vCont;...` payload.
    pub vcont: String,
    /// `ADDR`: the resumed thread continues from there.
    pub resume_at: Option<u64>,
}

/// Is this one of `c`, `s`, `C`, `S` (rather than another packet that starts
/// with the same letter)?
pub fn is_legacy_resume(payload: &[u8]) -> bool {
    match payload.first() {
        Some(b'c' | b's') => payload[1..].iter().all(u8::is_ascii_hexdigit),
        Some(b'C' | b'S') => {
            let body = &payload[1..];
            !body.is_empty() && body.iter().all(|b| b.is_ascii_hexdigit() || *b == b';')
        }
        _ => false,
    }
}

/// Rewrite `payload` (one of [`is_legacy_resume`]'s packets). `resume_thread`
/// is what the last `Hc` named (None: no `Hc` yet); `current` is gdb's
/// current thread, already formatted as the client writes thread ids.
/// None when the packet is malformed.
pub fn as_vcont(
    payload: &[u8],
    resume_thread: Option<ThreadRef>,
    resume_thread_text: &str,
    current: &str,
) -> Option<LegacyResume> {
    let text = std::str::from_utf8(payload).ok()?;
    let (kind, rest) = text.split_at(1);
    let (signal, address) = match kind {
        "c" | "s" => (None, rest),
        _ => match rest.split_once(';') {
            Some((signal, address)) => (Some(signal), address),
            None => (Some(rest), ""),
        },
    };
    if let Some(signal) = signal {
        if signal.is_empty() || signal.len() > 2 {
            return None;
        }
        // A signal gdb has a number for (the proptest fuzzer found `Cae`
        // turning into a vCont that no parser takes).
        rgdbserver_arch::signals::linux_from_gdb(u8::from_str_radix(signal, 16).ok()?)?;
    }
    let resume_at = match address {
        "" => None,
        hex => Some(u64::from_str_radix(hex, 16).ok()?),
    };
    let action = match (kind, signal) {
        ("c" | "C", None) => "c".to_string(),
        ("c" | "C", Some(sig)) => format!("C{sig}"),
        (_, None) => "s".to_string(),
        (_, Some(sig)) => format!("S{sig}"),
    };
    let one_thread = matches!(resume_thread, Some(ThreadRef::Thread(..)));
    let vcont = if one_thread {
        format!("vCont;{action}:{resume_thread_text}")
    } else if action == "c" {
        "vCont;c".to_string()
    } else {
        format!("vCont;{action}:{current};c")
    };
    Some(LegacyResume { vcont, resume_at })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ptrace::{Pid, Tid};

    fn rewrite(payload: &[u8], hc: Option<ThreadRef>) -> Option<LegacyResume> {
        as_vcont(payload, hc, "p10.11", "p10.12")
    }

    #[test]
    fn only_the_four_packets_are_taken() {
        for payload in [&b"c"[..], b"s", b"C05", b"S0b", b"c4005d0", b"C05;4005d0"] {
            assert!(is_legacy_resume(payload), "{payload:?}");
        }
        for payload in [
            &b"qC"[..],
            b"cx",
            b"C",
            b"vCont;c",
            b"sz",
            b"QStartNoAckMode",
        ] {
            assert!(!is_legacy_resume(payload), "{payload:?}");
        }
    }

    #[test]
    fn without_hc_a_continue_resumes_everything() {
        assert_eq!(rewrite(b"c", None).map(|r| r.vcont), Some("vCont;c".into()));
        let all = Some(ThreadRef::All);
        assert_eq!(rewrite(b"c", all).map(|r| r.vcont), Some("vCont;c".into()));
    }

    #[test]
    fn without_hc_a_step_or_signal_is_for_the_current_thread() {
        assert_eq!(
            rewrite(b"s", None).map(|r| r.vcont),
            Some("vCont;s:p10.12;c".into())
        );
        assert_eq!(
            rewrite(b"C0e", Some(ThreadRef::Any)).map(|r| r.vcont),
            Some("vCont;C0e:p10.12;c".into())
        );
        assert_eq!(
            rewrite(b"S05", None).map(|r| r.vcont),
            Some("vCont;S05:p10.12;c".into())
        );
    }

    #[test]
    fn hc_naming_a_thread_resumes_that_thread_alone() {
        let hc = Some(ThreadRef::Thread(Some(Pid::new(0x10)), Tid::new(0x11)));
        assert_eq!(
            rewrite(b"c", hc).map(|r| r.vcont),
            Some("vCont;c:p10.11".into())
        );
        assert_eq!(
            rewrite(b"s", hc).map(|r| r.vcont),
            Some("vCont;s:p10.11".into())
        );
    }

    #[test]
    fn an_address_is_kept() {
        let r = rewrite(b"C05;401000", None);
        assert_eq!(r.as_ref().and_then(|r| r.resume_at), Some(0x401000));
        assert_eq!(
            rewrite(b"c401000", None).and_then(|r| r.resume_at),
            Some(0x401000)
        );
    }

    #[test]
    fn malformed_packets_are_refused() {
        assert_eq!(rewrite(b"C;40", None), None);
        assert_eq!(rewrite(b"C123", None), None);
        assert_eq!(rewrite(b"C05;zz", None), None);
        assert_eq!(rewrite(b"Cae", None), None);
    }
}
