//! `qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH` for the objects this layer owns
//! (gdbstub 0.7 has no `threads` object), and the thread list document.

use std::fmt::Write;

use super::thread_id;
use crate::ptrace::{Pid, Tid};

/// A parsed read request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XferRead<'a> {
    pub object: &'a str,
    pub annex: &'a str,
    pub offset: usize,
    pub length: usize,
}

pub fn parse_read(payload: &[u8]) -> Option<XferRead<'_>> {
    let text = std::str::from_utf8(payload).ok()?;
    let rest = text.strip_prefix("qXfer:")?;
    let mut parts = rest.splitn(4, ':');
    let object = parts.next()?;
    if parts.next()? != "read" {
        return None;
    }
    let annex = parts.next()?;
    let (offset, length) = parts.next()?.split_once(',')?;
    Some(XferRead {
        object,
        annex,
        offset: usize::from_str_radix(offset, 16).ok()?,
        length: usize::from_str_radix(length, 16).ok()?,
    })
}

/// The reply for a window of `data`: `m` (more follows) or `l` (last), with
/// the RSP binary escapes applied.
pub fn window_reply(data: &[u8], offset: usize, length: usize) -> Vec<u8> {
    let start = offset.min(data.len());
    let end = start.saturating_add(length).min(data.len());
    let mut out = Vec::with_capacity(end - start + 1);
    out.push(if end < data.len() { b'm' } else { b'l' });
    super::escape_into(&data[start..end], &mut out);
    out
}

pub fn xml_escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
}

/// One thread of the `<threads>` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadEntry {
    pub pid: Pid,
    pub tid: Tid,
    pub name: Option<String>,
    /// The thread's `pthread_t` (gdb's thread handle), when known.
    pub handle: Option<u64>,
    /// Bytes in a `pthread_t` of the program (its address size).
    pub handle_size: usize,
}

/// `<threads>` with every live thread, its name and handle, as gdbserver
/// sends it, in gdb's order.
pub fn threads_document(threads: &[ThreadEntry], multiprocess: bool) -> String {
    let mut doc = String::from("<threads>\n");
    for ThreadEntry {
        pid,
        tid,
        name,
        handle,
        handle_size,
    } in threads
    {
        let _ = write!(
            doc,
            "<thread id=\"{}\"",
            thread_id::format(*pid, *tid, multiprocess)
        );
        if let Some(name) = name {
            doc.push_str(" name=\"");
            xml_escape(name, &mut doc);
            doc.push('"');
        }
        if let Some(handle) = handle {
            // The pthread_t's bytes in target order, as gdbserver gives them.
            doc.push_str(" handle=\"");
            let bytes = handle.to_le_bytes();
            doc.push_str(&super::hex::encode_string(
                &bytes[..(*handle_size).min(bytes.len())],
            ));
            doc.push('"');
        }
        doc.push_str("/>\n");
    }
    doc.push_str("</threads>\n");
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_read_requests() {
        let r = parse_read(b"qXfer:threads:read::0,1000");
        assert_eq!(
            r,
            Some(XferRead {
                object: "threads",
                annex: "",
                offset: 0,
                length: 0x1000
            })
        );
        assert_eq!(parse_read(b"qXfer:threads:write::0,10"), None);
        assert_eq!(parse_read(b"qXfer:threads:read::zz,10"), None);
    }

    #[test]
    fn windows_and_escapes() {
        assert_eq!(window_reply(b"abcdef", 0, 4), b"mabcd".to_vec());
        assert_eq!(window_reply(b"abcdef", 4, 4), b"lef".to_vec());
        assert_eq!(window_reply(b"a#b", 0, 10), b"la}\x03b".to_vec());
        assert_eq!(window_reply(b"abc", 10, 4), b"l".to_vec());
    }

    #[test]
    fn thread_document_names_and_ids() {
        let entry = |pid: i32, tid: i32, name: Option<&str>, handle: Option<u64>| ThreadEntry {
            pid: Pid::new(pid),
            tid: Tid::new(tid),
            name: name.map(str::to_string),
            handle,
            handle_size: if pid == 0x20 { 4 } else { 8 },
        };
        let doc = threads_document(
            &[
                entry(0x10, 0x10, Some("main"), Some(0x7fff_f7d8_8740)),
                entry(0x10, 0x11, Some("a<b"), None),
                entry(0x10, 0x12, None, None),
                entry(0x20, 0x20, None, None),
                entry(0x20, 0x21, None, Some(0xf7d8_8740)),
            ],
            true,
        );
        assert_eq!(
            doc,
            "<threads>\n<thread id=\"p10.10\" name=\"main\" handle=\"4087d8f7ff7f0000\"/>\n<thread id=\"p10.11\" name=\"a&lt;b\"/>\n<thread id=\"p10.12\"/>\n<thread id=\"p20.20\"/>\n<thread id=\"p20.21\" handle=\"4087d8f7\"/>\n</threads>\n"
        );
    }
}
