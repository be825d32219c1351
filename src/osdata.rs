//! `info os` (qXfer:osdata): what the server's machine runs, as gdbserver
//! lists it from /proc: the list of types, processes (pid, user, command
//! line, the cores its threads last ran on), process groups, threads, open
//! files, internet sockets, System V shared memory, semaphores and message
//! queues, kernel modules and cpus (every /proc/cpuinfo field a column). An
//! unknown type gives an empty document, as gdbserver.

use std::collections::BTreeSet;
use std::ffi::CStr;
use std::os::unix::fs::MetadataExt;

use crate::rsp::qxfer::xml_escape;

/// The document for one annex; empty for a type we do not list.
pub fn document(annex: &str) -> String {
    let items = match annex {
        "" => types(),
        "processes" => processes(),
        "procgroups" => process_groups(),
        "threads" => threads(),
        "files" => files(),
        "sockets" => sockets(),
        "shm" => sysv_ipc("shm"),
        "semaphores" => sysv_ipc("sem"),
        "msg" => sysv_ipc("msg"),
        "modules" => modules(),
        "cpus" => return rows_document("cpus", cpus()),
        _ => return String::new(),
    };
    let rows = items
        .into_iter()
        .map(|item| item.into_iter().map(|(n, v)| (n.to_string(), v)).collect())
        .collect();
    rows_document(if annex.is_empty() { "types" } else { annex }, rows)
}

/// Columns whose names come from the data (cpus).
type Row = Vec<(String, String)>;

fn rows_document(kind: &str, items: Vec<Row>) -> String {
    let mut doc = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"osdata.dtd\">\n<osdata type=\"{kind}\">\n"
    );
    for item in items {
        doc.push_str("<item>\n");
        for (name, value) in item {
            doc.push_str("<column name=\"");
            xml_escape(&name, &mut doc);
            doc.push_str("\">");
            xml_escape(&value, &mut doc);
            doc.push_str("</column>\n");
        }
        doc.push_str("</item>\n");
    }
    doc.push_str("</osdata>\n");
    doc
}

type Item = Vec<(&'static str, String)>;

fn types() -> Vec<Item> {
    [
        ("cpus", "Listing of all cpus/cores on the system", "CPUs"),
        (
            "files",
            "Listing of all file descriptors",
            "File descriptors",
        ),
        (
            "modules",
            "Listing of all loaded kernel modules",
            "Kernel modules",
        ),
        ("msg", "Listing of all message queues", "Message queues"),
        ("processes", "Listing of all processes", "Processes"),
        (
            "procgroups",
            "Listing of all process groups",
            "Process groups",
        ),
        ("semaphores", "Listing of all semaphores", "Semaphores"),
        (
            "shm",
            "Listing of all shared-memory regions",
            "Shared-memory regions",
        ),
        (
            "sockets",
            "Listing of all internet-domain sockets",
            "Sockets",
        ),
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
            let command = command_line(pid)?;
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

/// A process's command line, its arguments joined by spaces.
fn command_line(pid: i32) -> Option<String> {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(
        String::from_utf8_lossy(&cmdline)
            .trim_end_matches('\0')
            .replace('\0', " "),
    )
}

/// A process's name (/proc/PID/comm).
fn command_name(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|c| c.trim_end().to_string())
        .unwrap_or_default()
}

/// Every process under its group: (pgid, pid), by group then pid.
fn process_groups() -> Vec<Item> {
    let mut members: Vec<(i32, i32)> = pids()
        .into_iter()
        // SAFETY: getpgid on any pid; -1 for one that is gone.
        .map(|pid| (unsafe { libc::getpgid(pid) }, pid))
        .filter(|&(pgid, _)| pgid > 0)
        .collect();
    members.sort_unstable();
    members
        .into_iter()
        .map(|(pgid, pid)| {
            vec![
                ("pgid", pgid.to_string()),
                ("leader command", command_name(pgid)),
                ("pid", pid.to_string()),
                ("command line", command_line(pid).unwrap_or_default()),
            ]
        })
        .collect()
}

/// Every open file descriptor of every process.
fn files() -> Vec<Item> {
    pids()
        .into_iter()
        .flat_map(|pid| {
            let command = command_name(pid);
            let mut fds: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/fd"))
                .map(|dir| {
                    dir.flatten()
                        .filter_map(|e| e.file_name().to_str()?.parse().ok())
                        .collect()
                })
                .unwrap_or_default();
            fds.sort_unstable();
            fds.into_iter().map(move |fd| {
                let name = std::fs::read_link(format!("/proc/{pid}/fd/{fd}"))
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                vec![
                    ("pid", pid.to_string()),
                    ("command", command.clone()),
                    ("file descriptor", fd.to_string()),
                    ("name", name),
                ]
            })
        })
        .collect()
}

/// TCP and UDP sockets over IPv4 and IPv6, from /proc/net.
fn sockets() -> Vec<Item> {
    let tables = [
        ("tcp", "INET", "STREAM"),
        ("udp", "INET", "DGRAM"),
        ("tcp6", "INET6", "STREAM"),
        ("udp6", "INET6", "DGRAM"),
    ];
    let mut items = Vec::new();
    for (table, family, protocol) in tables {
        let Ok(text) = std::fs::read_to_string(format!("/proc/net/{table}")) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(remote), Some(state), Some(uid)) =
                (fields.get(1), fields.get(2), fields.get(3), fields.get(7))
            else {
                continue;
            };
            let (Some((local_addr, local_port)), Some((remote_addr, remote_port))) =
                (socket_address(local), socket_address(remote))
            else {
                continue;
            };
            let user = uid.parse().map(user_name).unwrap_or_default();
            items.push(vec![
                ("local address", local_addr),
                ("local port", local_port.to_string()),
                ("remote address", remote_addr),
                ("remote port", remote_port.to_string()),
                ("state", tcp_state(state, protocol).to_string()),
                ("user", user),
                ("family", family.to_string()),
                ("protocol", protocol.to_string()),
            ]);
        }
    }
    items
}

/// `0100007F:1F90` (the kernel's byte order, hex) as ("127.0.0.1", 8080).
fn socket_address(text: &str) -> Option<(String, u16)> {
    let (addr, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let bytes: Vec<u8> = (0..addr.len() / 2)
        .map(|i| u8::from_str_radix(&addr[2 * i..2 * i + 2], 16))
        .collect::<Result<_, _>>()
        .ok()?;
    // Each 32-bit word is in host (little-endian) order.
    let words: Vec<u8> = bytes
        .chunks(4)
        .flat_map(|w| w.iter().rev().copied())
        .collect();
    let addr = match words.len() {
        4 => std::net::Ipv4Addr::new(words[0], words[1], words[2], words[3]).to_string(),
        16 => {
            let octets: [u8; 16] = words.try_into().ok()?;
            std::net::Ipv6Addr::from(octets).to_string()
        }
        _ => return None,
    };
    Some((addr, port))
}

fn tcp_state(hex: &str, protocol: &str) -> &'static str {
    if protocol != "STREAM" {
        return "";
    }
    match u8::from_str_radix(hex, 16).unwrap_or(0) {
        1 => "ESTABLISHED",
        2 => "SYN_SENT",
        3 => "SYN_RECV",
        4 => "FIN_WAIT1",
        5 => "FIN_WAIT2",
        6 => "TIME_WAIT",
        7 => "CLOSE",
        8 => "CLOSE_WAIT",
        9 => "LAST_ACK",
        10 => "LISTEN",
        11 => "CLOSING",
        _ => "(unknown)",
    }
}

/// System V IPC objects from /proc/sysvipc/KIND (shm, sem, msg), with
/// gdbserver's columns: key, id and permissions first.
fn sysv_ipc(kind: &str) -> Vec<Item> {
    let Ok(text) = std::fs::read_to_string(format!("/proc/sysvipc/{kind}")) else {
        return Vec::new();
    };
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    lines
        .map(|line| {
            let values: Vec<&str> = line.split_whitespace().collect();
            let field = |name: &str| {
                header
                    .iter()
                    .position(|h| *h == name)
                    .and_then(|i| values.get(i))
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            };
            let user = |name: &str| field(name).parse().map(user_name).unwrap_or_default();
            let group = |name: &str| field(name).parse().map(group_name).unwrap_or_default();
            let command = |name: &str| field(name).parse().map(command_name).unwrap_or_default();
            let time = |name: &str| field(name).parse().map(local_time).unwrap_or_default();
            let mut item = vec![("key", field("key"))];
            match kind {
                "shm" => item.extend([
                    ("shmid", field("shmid")),
                    ("permissions", field("perms")),
                    ("size", field("size")),
                    ("creator command", command("cpid")),
                    ("last op. command", command("lpid")),
                    ("num attached", field("nattch")),
                    ("user", user("uid")),
                    ("group", group("gid")),
                    ("creator user", user("cuid")),
                    ("creator group", group("cgid")),
                    ("last shmat() time", time("atime")),
                    ("last shmdt() time", time("dtime")),
                    ("last shmctl() time", time("ctime")),
                ]),
                "sem" => item.extend([
                    ("semid", field("semid")),
                    ("permissions", field("perms")),
                    ("num semaphores", field("nsems")),
                    ("user", user("uid")),
                    ("group", group("gid")),
                    ("creator user", user("cuid")),
                    ("creator group", group("cgid")),
                    ("last semop() time", time("otime")),
                    ("last semctl() time", time("ctime")),
                ]),
                _ => item.extend([
                    ("msqid", field("msqid")),
                    ("permissions", field("perms")),
                    ("num used bytes", field("cbytes")),
                    ("num messages", field("qnum")),
                    ("last msgsnd() command", command("lspid")),
                    ("last msgrcv() command", command("lrpid")),
                    ("user", user("uid")),
                    ("group", group("gid")),
                    ("creator user", user("cuid")),
                    ("creator group", group("cgid")),
                    ("last msgsnd() time", time("stime")),
                    ("last msgrcv() time", time("rtime")),
                    ("last msgctl() time", time("ctime")),
                ]),
            }
            item
        })
        .collect()
}

/// A time as gdbserver writes it (ctime's form, local time); empty for 0.
fn local_time(seconds: i64) -> String {
    if seconds == 0 {
        return String::new();
    }
    let mut buf = [0 as libc::c_char; 64];
    let time: libc::time_t = seconds;
    // SAFETY: ctime_r writes at most 26 bytes into our 64-byte buffer.
    let text = unsafe { libc::ctime_r(&time, buf.as_mut_ptr()) };
    if text.is_null() {
        return String::new();
    }
    // SAFETY: ctime_r NUL-terminates what it wrote.
    unsafe { CStr::from_ptr(text) }
        .to_string_lossy()
        .trim_end()
        .to_string()
}

/// /proc/modules: `name size uses dependencies,... state address`.
fn modules() -> Vec<Item> {
    let text = std::fs::read_to_string("/proc/modules").unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [name, size, uses, dependencies, status, address, ..] = fields[..] else {
                return None;
            };
            let dependencies = dependencies.trim_end_matches(',');
            Some(vec![
                ("name", name.to_string()),
                ("size", size.to_string()),
                ("num uses", uses.to_string()),
                (
                    "dependencies",
                    if dependencies == "-" {
                        ""
                    } else {
                        dependencies
                    }
                    .to_string(),
                ),
                ("status", status.to_string()),
                ("address", address.to_string()),
            ])
        })
        .collect()
}

/// /proc/cpuinfo: one item per processor, a column per `key : value` line.
fn cpus() -> Vec<Row> {
    let text = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    cpuinfo_rows(&text)
}

fn cpuinfo_rows(text: &str) -> Vec<Row> {
    text.split("\n\n")
        .map(|block| {
            block
                .lines()
                .filter_map(|line| {
                    let (key, value) = line.split_once(':')?;
                    Some((key.trim().to_string(), value.trim().to_string()))
                })
                .collect::<Row>()
        })
        .filter(|row| !row.is_empty())
        .collect()
}

fn threads() -> Vec<Item> {
    pids()
        .into_iter()
        .flat_map(|pid| {
            let command = command_name(pid);
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

/// The group's name, or the number when the group database has none.
fn group_name(gid: u32) -> String {
    // SAFETY: getgrgid on the one thread that calls it; the name is copied
    // out at once.
    let entry = unsafe { libc::getgrgid(gid) };
    if entry.is_null() {
        return gid.to_string();
    }
    // SAFETY: a non-null group entry has a NUL-terminated gr_name.
    unsafe { CStr::from_ptr((*entry).gr_name) }
        .to_string_lossy()
        .into_owned()
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
    #[test]
    fn cpuinfo_blocks_become_rows_with_their_keys() {
        let rows = cpuinfo_rows(
            "processor\t: 0\nmodel name\t: X Y\n\nprocessor\t: 1\nmodel name\t: X Y\n\n",
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1][0], ("processor".to_string(), "1".to_string()));
        assert_eq!(rows[0][1], ("model name".to_string(), "X Y".to_string()));
    }

    use super::*;

    #[test]
    fn lists_this_process_with_its_command_line() {
        let doc = document("processes");
        let me = std::process::id();
        assert!(doc.starts_with("<?xml"), "{doc}");
        assert!(
            doc.contains(&format!("<column name=\"pid\">{me}</column>")),
            "{doc}"
        );
        let threads = document("threads");
        assert!(threads.contains(&format!("<column name=\"pid\">{me}</column>")));
        let types = document("");
        assert!(types.contains("<column name=\"Type\">processes</column>"));
        assert_eq!(document("no such type"), "");
        let files = document("files");
        assert!(
            files.contains(&format!("<column name=\"pid\">{me}</column>")),
            "our own open files"
        );
    }

    #[test]
    fn socket_addresses_read_as_the_kernel_writes_them() {
        assert_eq!(
            socket_address("0100007F:1F90"),
            Some(("127.0.0.1".to_string(), 8080))
        );
        assert_eq!(
            socket_address("00000000000000000000000001000000:0016"),
            Some(("::1".to_string(), 22))
        );
    }
}
