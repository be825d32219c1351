//! `info os` (qXfer:osdata): what the server's machine runs, as gdbserver
//! lists it from /proc: the list of types, every process (pid, user,
//! command line, the cores its threads last ran on) and every thread.

use std::collections::BTreeSet;
use std::ffi::CStr;
use std::fmt::Write;
use std::os::unix::fs::MetadataExt;

use crate::rsp::qxfer::xml_escape;

/// The document for one annex; None for a type we do not list.
pub fn document(annex: &str) -> Option<String> {
    let items = match annex {
        "" => types(),
        "processes" => processes(),
        "threads" => threads(),
        _ => return None,
    };
    let kind = if annex.is_empty() { "types" } else { annex };
    let mut doc = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"osdata.dtd\">\n<osdata type=\"{kind}\">\n"
    );
    for item in items {
        doc.push_str("<item>\n");
        for (name, value) in item {
            let _ = write!(doc, "<column name=\"{name}\">");
            xml_escape(&value, &mut doc);
            doc.push_str("</column>\n");
        }
        doc.push_str("</item>\n");
    }
    doc.push_str("</osdata>\n");
    Some(doc)
}

type Item = Vec<(&'static str, String)>;

fn types() -> Vec<Item> {
    [
        ("processes", "Listing of all processes", "Processes"),
        ("threads", "Listing of all threads", "Threads"),
    ]
    .into_iter()
    .map(|(kind, description, title)| {
        vec![
            ("Type", kind.to_string()),
            ("Description", description.to_string()),
            ("Title", title.to_string()),
        ]
    })
    .collect()
}

/// Every pid under /proc, in order.
fn pids() -> Vec<i32> {
    let mut pids: Vec<i32> = std::fs::read_dir("/proc")
        .map(|dir| {
            dir.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    pids.sort_unstable();
    pids
}

fn processes() -> Vec<Item> {
    pids()
        .into_iter()
        .filter_map(|pid| {
            let uid = std::fs::metadata(format!("/proc/{pid}")).ok()?.uid();
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let command = String::from_utf8_lossy(&cmdline)
                .trim_end_matches('\0')
                .replace('\0', " ");
            let cores: BTreeSet<u32> = tasks(pid)
                .into_iter()
                .filter_map(|t| core_of(pid, t))
                .collect();
            let cores: Vec<String> = cores.iter().map(u32::to_string).collect();
            Some(vec![
                ("pid", pid.to_string()),
                ("user", user_name(uid)),
                ("command", command),
                ("cores", cores.join(",")),
            ])
        })
        .collect()
}

fn threads() -> Vec<Item> {
    pids()
        .into_iter()
        .flat_map(|pid| {
            let command = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            let command = command.trim_end().to_string();
            tasks(pid).into_iter().map(move |tid| {
                vec![
                    ("pid", pid.to_string()),
                    ("command", command.clone()),
                    ("tid", tid.to_string()),
                    (
                        "core",
                        core_of(pid, tid).map(|c| c.to_string()).unwrap_or_default(),
                    ),
                ]
            })
        })
        .collect()
}

fn tasks(pid: i32) -> Vec<i32> {
    let mut tids: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|dir| {
            dir.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    tids.sort_unstable();
    tids
}

/// The CPU a thread last ran on: field 39 of its stat line, counted after
/// the command name (which may hold spaces and parentheses).
fn core_of(pid: i32, tid: i32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    // after_name starts at field 3 (state).
    after_name.split_whitespace().nth(39 - 3)?.parse().ok()
}

/// The user's name, or the number when the password database has none.
fn user_name(uid: u32) -> String {
    // SAFETY: getpwuid on the one thread that calls it; the name is copied
    // out at once.
    let entry = unsafe { libc::getpwuid(uid) };
    if entry.is_null() {
        return uid.to_string();
    }
    // SAFETY: a non-null passwd entry has a NUL-terminated pw_name.
    unsafe { CStr::from_ptr((*entry).pw_name) }
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_this_process_with_its_command_line() {
        let doc = document("processes").expect("processes");
        let me = std::process::id();
        assert!(doc.starts_with("<?xml"), "{doc}");
        assert!(
            doc.contains(&format!("<column name=\"pid\">{me}</column>")),
            "{doc}"
        );
        let threads = document("threads").expect("threads");
        assert!(threads.contains(&format!("<column name=\"pid\">{me}</column>")));
        let types = document("").expect("types");
        assert!(types.contains("<column name=\"Type\">processes</column>"));
        assert_eq!(document("sockets"), None);
    }
}
