//! The thin packet layer in front of gdbstub: framing and acknowledgements,
//! the packets gdbstub 0.7 cannot express (answered here), amendments to its
//! replies, and everything else passed through.
//!
//! Owned here: `?` (the real last stop, with expedited registers), `D`
//! (detach must happen before `OK`), `k`/`vKill` (kill and reap before
//! replying). Everything else goes to gdbstub via [`stub::StubDriver`].

pub mod crc;
pub mod framing;
pub mod hex;
pub mod legacy_resume;
pub mod qxfer;
pub mod receive_buffer;
pub mod stop_reply;
pub mod stub;
pub mod thread_id;
pub mod vcont;

use crate::ptrace::Pid;

/// A packet the layer answers itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owned {
    /// `?`: report why the target is stopped.
    StopReason,
    /// `D` or `D;pid` (the pid, when given; a malformed one is -1, which
    /// names no process).
    Detach(Option<Pid>),
    /// `k` (every process, no reply) or `vKill;pid` (that process, reply OK).
    Kill { pid: Option<Pid> },
    /// `qAttached` (gdb's current process) or `qAttached:PID`: "1" for a
    /// process we attached to, "0" for one we started.
    Attached(Option<Pid>),
    /// `qSearch:memory:ADDR;LEN;PATTERN` (gdb's `find`).
    SearchMemory {
        addr: u64,
        len: u64,
        pattern: Vec<u8>,
    },
    /// `R XX` (extended mode): kill everything and start the program
    /// again, with no reply.
    Restart,
    /// `qRcmd,HEX`: a `monitor` command (None: not hex).
    Monitor(Option<Vec<u8>>),
    /// `qXfer:threads:read::OFFSET,LENGTH`.
    ThreadList { offset: usize, length: usize },
    /// `qXfer:siginfo:read::OFFSET,LENGTH` (`$_siginfo`).
    SiginfoRead { offset: usize, length: usize },
    /// `qXfer:siginfo:write::OFFSET:DATA` (assigning to `$_siginfo`).
    SiginfoWrite { offset: usize, data: Vec<u8> },
    /// `vRun;PROGRAM;ARG...` (hex-encoded; an empty PROGRAM means the last one).
    Run {
        program: Option<Vec<u8>>,
        args: Vec<Vec<u8>>,
    },
    /// `vAttach;PID`.
    Attach { pid: Pid },
    /// `QDisableRandomization:0|1`, for the next vRun.
    DisableRandomization(bool),
    /// `QStartupWithShell:0|1`, for the next vRun.
    StartupWithShell(bool),
    /// `QPassSignals:SIG;SIG;...` (gdb numbers, hex).
    PassSignals(Vec<u8>),
    /// `QProgramSignals:...`: accepted; every signal gdb resumes with is
    /// delivered anyway.
    ProgramSignals,
    /// `QCatchSyscalls:0` (None), `QCatchSyscalls:1` (all: empty list) or
    /// `QCatchSyscalls:1;NR;NR...`.
    CatchSyscalls(Option<Vec<u64>>),
    /// A packet this server does not implement, answered with the empty
    /// reply (Z3/z3 where the architecture cannot watch reads alone, x86).
    Unsupported,
    /// `m ADDR,LEN`: answered here, on the hot path of every memory read
    /// (gdbstub would encode it a byte at a time).
    ReadMemory { addr: u64, len: usize },
    /// `g`: every register of gdb's current thread (gdbstub would encode
    /// the reply a byte at a time through its writer: `info threads` sends
    /// one per thread).
    ReadRegisters,
    /// `pN`: one register by gdb's number (None: not hex).
    ReadRegister(Option<usize>),
    /// `vFile:pread:FD,COUNT,OFFSET`: gdb reading the program's files
    /// (gdbstub escapes the data a byte at a time through its writer).
    HostPread { fd: u32, count: usize, offset: u64 },
    /// `M ADDR,LEN:HEX` and `X ADDR,LEN:BINARY` (data already decoded).
    WriteMemory { addr: u64, data: Vec<u8> },
    /// `Z0|Z1,ADDR,KIND[;X...]` / `z0|z1,ADDR,KIND`: software breakpoints,
    /// on the path of every breakpoint hit (gdb's step-over removes and
    /// re-inserts them), and hardware ones (`hardware`), taken here for
    /// their conditions (gdbstub drops a Z1's condition list).
    /// `conditions` is the text after the first `;`: the agent expressions
    /// of target-side conditions (empty: unconditional).
    Breakpoint {
        hardware: bool,
        addr: u64,
        insert: bool,
        conditions: String,
    },
    /// `QNonStop:1` / `QNonStop:0`.
    NonStop(bool),
    /// `vCont?`: the actions we take (gdbstub's answer lacks `t`).
    VContQuery,
    /// `vStopped`: gdb took the last stop notification; send the next.
    VStopped,
    /// `vCtrlC`: non-stop's Ctrl-C.
    CtrlC,
    /// `QThreadEvents:1|0`: report thread exits (`w`) or not.
    ThreadEvents(bool),
    /// `qC`: gdb's current thread, with its process (gdbstub's answer
    /// pairs one process's pid with another's thread after a second
    /// vAttach).
    CurrentThread,
    /// `qXfer:libraries-svr4:read:ANNEX:OFFSET,LENGTH`: the shared
    /// libraries (ANNEX: empty, or `lmid=..;start=..;prev=..`).
    LibrariesSvr4 {
        annex: String,
        offset: usize,
        length: usize,
    },
    /// `qXfer:osdata:read:ANNEX:OFFSET,LENGTH` (`info os`).
    OsData {
        annex: String,
        offset: usize,
        length: usize,
    },
    /// `qCRC:ADDR,LEN`: the CRC-32 of memory, for `compare-sections`.
    Crc { addr: u64, len: u64 },
    /// `QEnvironmentHexEncoded:HEX(NAME=VALUE)` (value Some),
    /// `QEnvironmentUnset:HEX(NAME)` (value None): for the next vRun.
    Environment {
        name: Vec<u8>,
        value: Option<Vec<u8>>,
    },
    /// `QEnvironmentReset`: the next vRun gets our environment as it is.
    EnvironmentReset,
    /// `QSetWorkingDir:HEX(DIR)`; empty: our own directory.
    WorkingDir(Option<Vec<u8>>),
    /// `qGetTLSAddr:THREAD,OFFSET,LM`: where a thread's variable at
    /// OFFSET in the TLS block of the module whose link_map is at LM is.
    TlsAddress {
        thread: thread_id::ThreadRef,
        offset: u64,
        lm: u64,
    },
}

/// Recognise the packets this layer owns.
pub fn owned(payload: &[u8]) -> Option<Owned> {
    match payload {
        b"?" => Some(Owned::StopReason),
        b"g" => Some(Owned::ReadRegisters),
        p if p.starts_with(b"vFile:pread:") => {
            let args = std::str::from_utf8(&p[b"vFile:pread:".len()..]).ok()?;
            let mut fields = args.split(',');
            let fd = u32::from_str_radix(fields.next()?, 16).ok()?;
            let count = usize::from_str_radix(fields.next()?, 16).ok()?;
            let offset = u64::from_str_radix(fields.next()?, 16).ok()?;
            match fields.next() {
                // Malformed: gdbstub answers it.
                Some(_) => None,
                None => Some(Owned::HostPread { fd, count, offset }),
            }
        }
        [b'p', number @ ..] => Some(Owned::ReadRegister(
            std::str::from_utf8(number)
                .ok()
                .and_then(|n| usize::from_str_radix(n, 16).ok()),
        )),
        b"qC" => Some(Owned::CurrentThread),
        b"QEnvironmentReset" => Some(Owned::EnvironmentReset),
        p if p.starts_with(b"qXfer:libraries-svr4:read:") => {
            let req = qxfer::parse_read(p)?;
            Some(Owned::LibrariesSvr4 {
                annex: req.annex.to_string(),
                offset: req.offset,
                length: req.length,
            })
        }
        p if p.starts_with(b"qXfer:osdata:read:") => {
            let req = qxfer::parse_read(p)?;
            Some(Owned::OsData {
                annex: req.annex.to_string(),
                offset: req.offset,
                length: req.length,
            })
        }
        p if p.starts_with(b"qCRC:") => {
            let (addr, len) = parse_addr_len(&p[b"qCRC:".len()..])?;
            Some(Owned::Crc {
                addr,
                len: len as u64,
            })
        }
        p if p.starts_with(b"QEnvironmentHexEncoded:") => {
            let entry = hex::decode(&p[b"QEnvironmentHexEncoded:".len()..])?;
            let equals = entry.iter().position(|&b| b == b'=')?;
            Some(Owned::Environment {
                name: entry[..equals].to_vec(),
                value: Some(entry[equals + 1..].to_vec()),
            })
        }
        p if p.starts_with(b"QEnvironmentUnset:") => Some(Owned::Environment {
            name: hex::decode(&p[b"QEnvironmentUnset:".len()..])?,
            value: None,
        }),
        p if p.starts_with(b"QSetWorkingDir:") => {
            let dir = hex::decode(&p[b"QSetWorkingDir:".len()..])?;
            Some(Owned::WorkingDir(Some(dir).filter(|d| !d.is_empty())))
        }
        p if p.starts_with(b"qRcmd,") => Some(Owned::Monitor(hex::decode(&p[b"qRcmd,".len()..]))),
        p if p.starts_with(b"qGetTLSAddr:") => {
            let text = std::str::from_utf8(&p[b"qGetTLSAddr:".len()..]).ok()?;
            let mut fields = text.split(',');
            let thread = thread_id::ThreadRef::parse(fields.next()?.as_bytes())?;
            let offset = u64::from_str_radix(fields.next()?, 16).ok()?;
            let lm = u64::from_str_radix(fields.next()?, 16).ok()?;
            Some(Owned::TlsAddress { thread, offset, lm })
        }
        b"D" => Some(Owned::Detach(None)),
        b"k" => Some(Owned::Kill { pid: None }),
        b"qAttached" => Some(Owned::Attached(None)),
        p if p.starts_with(b"qSearch:memory:") => {
            let mut fields = p[b"qSearch:memory:".len()..].splitn(3, |&b| b == b';');
            let number = |f: &[u8]| u64::from_str_radix(std::str::from_utf8(f).ok()?, 16).ok();
            let addr = number(fields.next()?)?;
            let len = number(fields.next()?)?;
            let pattern = unescape(fields.next()?);
            Some(Owned::SearchMemory { addr, len, pattern })
        }
        p if p.starts_with(b"qAttached:") => Some(Owned::Attached(Some(parse_pid(&p[10..])))),
        [b'R', rest @ ..] if rest.iter().all(u8::is_ascii_hexdigit) => Some(Owned::Restart),
        p if p.starts_with(b"D;") => Some(Owned::Detach(Some(parse_pid(&p[2..])))),
        p if p.starts_with(b"vKill;") => Some(Owned::Kill {
            pid: Some(parse_pid(&p[6..])),
        }),
        p if p.starts_with(b"qXfer:threads:read:") => {
            let req = qxfer::parse_read(p)?;
            Some(Owned::ThreadList {
                offset: req.offset,
                length: req.length,
            })
        }
        p if p.starts_with(b"qXfer:siginfo:read:") => {
            let req = qxfer::parse_read(p)?;
            Some(Owned::SiginfoRead {
                offset: req.offset,
                length: req.length,
            })
        }
        p if p.starts_with(b"vRun;") => {
            let mut fields = p[b"vRun;".len()..].split(|&b| b == b';').map(hex::decode);
            let program = Some(fields.next()??).filter(|p| !p.is_empty());
            let args = fields.collect::<Option<Vec<_>>>()?;
            Some(Owned::Run { program, args })
        }
        p if p.starts_with(b"vAttach;") => {
            let pid = std::str::from_utf8(&p[b"vAttach;".len()..]).ok()?;
            Some(Owned::Attach {
                pid: Pid::new(i32::from_str_radix(pid, 16).ok()?),
            })
        }
        p if p.starts_with(b"QPassSignals:") => Some(Owned::PassSignals(parse_signal_list(
            &p[b"QPassSignals:".len()..],
        )?)),
        p if p.starts_with(b"QProgramSignals:") => Some(Owned::ProgramSignals),
        p if (p.starts_with(b"Z3,") || p.starts_with(b"z3,"))
            && !<crate::linux::Native as crate::linux::ArchHooks>::READ_WATCHPOINTS =>
        {
            Some(Owned::Unsupported)
        }
        [kind @ (b'Z' | b'z'), number @ (b'0' | b'1'), b',', rest @ ..] => {
            let (location, conditions) = match rest.iter().position(|&b| b == b';') {
                Some(semicolon) => (&rest[..semicolon], &rest[semicolon + 1..]),
                None => (rest, &[][..]),
            };
            let (addr, _kind) = parse_addr_len(location)?;
            Some(Owned::Breakpoint {
                hardware: *number == b'1',
                addr,
                insert: *kind == b'Z',
                conditions: std::str::from_utf8(conditions).ok()?.to_string(),
            })
        }
        [b'm', rest @ ..] => {
            let (addr, len) = parse_addr_len(rest)?;
            Some(Owned::ReadMemory { addr, len })
        }
        [kind @ (b'M' | b'X'), rest @ ..] => {
            let colon = rest.iter().position(|&b| b == b':')?;
            let (addr, len) = parse_addr_len(&rest[..colon])?;
            let raw = &rest[colon + 1..];
            let data = if *kind == b'M' {
                hex::decode(raw)?
            } else {
                unescape(raw)
            };
            (data.len() == len).then_some(Owned::WriteMemory { addr, data })
        }
        b"QCatchSyscalls:0" => Some(Owned::CatchSyscalls(None)),
        p if p.starts_with(b"QCatchSyscalls:1") => {
            let numbers = p[b"QCatchSyscalls:1".len()..]
                .split(|&b| b == b';')
                .filter(|s| !s.is_empty())
                .map(|s| u64::from_str_radix(std::str::from_utf8(s).ok()?, 16).ok())
                .collect::<Option<Vec<u64>>>()?;
            Some(Owned::CatchSyscalls(Some(numbers)))
        }
        b"QNonStop:0" => Some(Owned::NonStop(false)),
        b"QNonStop:1" => Some(Owned::NonStop(true)),
        b"vCont?" => Some(Owned::VContQuery),
        b"vStopped" => Some(Owned::VStopped),
        b"vCtrlC" => Some(Owned::CtrlC),
        b"QThreadEvents:0" => Some(Owned::ThreadEvents(false)),
        b"QThreadEvents:1" => Some(Owned::ThreadEvents(true)),
        b"QDisableRandomization:0" => Some(Owned::DisableRandomization(false)),
        b"QDisableRandomization:1" => Some(Owned::DisableRandomization(true)),
        b"QStartupWithShell:0" => Some(Owned::StartupWithShell(false)),
        b"QStartupWithShell:1" => Some(Owned::StartupWithShell(true)),
        p if p.starts_with(b"qXfer:siginfo:write::") => {
            let rest = &p[b"qXfer:siginfo:write::".len()..];
            let colon = rest.iter().position(|&b| b == b':')?;
            let offset =
                usize::from_str_radix(std::str::from_utf8(&rest[..colon]).ok()?, 16).ok()?;
            Some(Owned::SiginfoWrite {
                offset,
                data: unescape(&rest[colon + 1..]),
            })
        }
        _ => None,
    }
}

/// Packets switched off with `--disable-packet` (gdbserver's testing aid).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisabledPackets {
    pub vcont: bool,
    /// `T`: stop replies are `SSIG`, without registers or thread.
    pub t_stop_reply: bool,
    pub thread_in_stop_reply: bool,
    pub current_thread: bool,
    pub thread_list: bool,
    pub xfer_threads: bool,
}

impl DisabledPackets {
    pub fn parse(names: &[String]) -> Result<DisabledPackets, String> {
        let mut d = DisabledPackets::default();
        for name in names {
            match name.as_str() {
                "vCont" => d.vcont = true,
                "T" => d.t_stop_reply = true,
                "Tthread" => d.thread_in_stop_reply = true,
                "qC" => d.current_thread = true,
                "qfThreadInfo" => d.thread_list = true,
                "threads" => d.xfer_threads = true,
                other => return Err(format!("Don't know how to disable \"{other}\".")),
            }
        }
        Ok(d)
    }

    /// Is this incoming packet one that must be answered as unsupported?
    pub fn rejects(&self, payload: &[u8]) -> bool {
        (self.vcont && payload.starts_with(b"vCont"))
            || (self.current_thread && payload == b"qC")
            || (self.thread_list && (payload == b"qfThreadInfo" || payload == b"qsThreadInfo"))
            || (self.xfer_threads && payload.starts_with(b"qXfer:threads:"))
    }
}

/// Z1/Z2/Z4 and their removals: hardware breakpoints and watchpoints.
pub fn changes_debug_registers(payload: &[u8]) -> bool {
    matches!(payload, [b'Z' | b'z', b'1' | b'2' | b'4', b',', ..])
}

/// Does gdb's qSupported offer the multiprocess extensions?
pub fn offers_multiprocess(payload: &[u8]) -> bool {
    offers_feature(payload, b"multiprocess+")
}

/// Does gdb's qSupported packet list `feature` (e.g. `exec-events+`)?
pub fn offers_feature(payload: &[u8], feature: &[u8]) -> bool {
    payload.starts_with(b"qSupported")
        && payload
            .split(|&b| b == b';' || b == b':')
            .any(|f| f == feature)
}

/// Features this layer adds to gdbstub's qSupported reply.
const EXTRA_FEATURES: &[&str] = &[
    // Z0/Z1 are answered here, not by gdbstub, which therefore does not
    // offer them itself.
    "swbreak+",
    "QStartupWithShell+",
    "QDisableRandomization+",
    "augmented-libraries-svr4-read+",
    "QPassSignals+",
    "QProgramSignals+",
    "QCatchSyscalls+",
    "fork-events+",
    "vfork-events+",
    "exec-events+",
    "qXfer:threads:read+",
    "qXfer:siginfo:read+",
    "qXfer:siginfo:write+",
    "QNonStop+",
    "QThreadEvents+",
    "ConditionalBreakpoints+",
    "QEnvironmentHexEncoded+",
    "QEnvironmentUnset+",
    "QEnvironmentReset+",
    "QSetWorkingDir+",
    "qXfer:osdata:read+",
    "qXfer:libraries-svr4:read+",
];

/// gdbstub's qSupported reply plus what we implement in front of it.
pub fn amend_qsupported(reply: &[u8], disabled: &DisabledPackets) -> Vec<u8> {
    let mut out = reply.to_vec();
    for feature in EXTRA_FEATURES {
        if disabled.xfer_threads && feature.starts_with("qXfer:threads") {
            continue;
        }
        out.push(b';');
        out.extend_from_slice(feature.as_bytes());
    }
    out
}

/// `ADDR,LEN` in hex.
fn parse_addr_len(text: &[u8]) -> Option<(u64, usize)> {
    let text = std::str::from_utf8(text).ok()?;
    let (addr, len) = text.split_once(',')?;
    Some((
        u64::from_str_radix(addr, 16).ok()?,
        usize::from_str_radix(len, 16).ok()?,
    ))
}

/// `e;10;14;` -> [0x0e, 0x10, 0x14].
fn parse_signal_list(list: &[u8]) -> Option<Vec<u8>> {
    list.split(|&b| b == b';')
        .filter(|s| !s.is_empty())
        .map(|s| u8::from_str_radix(std::str::from_utf8(s).ok()?, 16).ok())
        .collect()
}

/// Append `data` with the RSP binary escape applied: `#`, `$`, `}` and `*`
/// become `}` followed by the byte xor 0x20.
pub fn escape_into(data: &[u8], out: &mut Vec<u8>) {
    out.reserve(data.len());
    let mut rest = data;
    // Runs of plain bytes are copied whole: file and memory data are
    // mostly plain.
    while let Some(special) = rest
        .iter()
        .position(|b| matches!(b, b'#' | b'$' | b'}' | b'*'))
    {
        out.extend_from_slice(&rest[..special]);
        out.push(b'}');
        out.push(rest[special] ^ 0x20);
        rest = &rest[special + 1..];
    }
    out.extend_from_slice(rest);
}

/// Undo the RSP binary escape (`}` followed by the byte xor 0x20).
pub fn unescape(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut bytes = data.iter();
    while let Some(&b) = bytes.next() {
        match (b, bytes.clone().next()) {
            (b'}', Some(&next)) => {
                out.push(next ^ 0x20);
                bytes.next();
            }
            _ => out.push(b),
        }
    }
    out
}

/// The hex pid of `D;PID` or `vKill;PID`; -1 (no process) when malformed,
/// so that the reply is an error rather than acting on gdb's current one.
fn parse_pid(text: &[u8]) -> Pid {
    let pid = std::str::from_utf8(text)
        .ok()
        .and_then(|s| i32::from_str_radix(s, 16).ok())
        .filter(|&p| p > 0);
    Pid::new(pid.unwrap_or(-1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_owned_packets() {
        assert_eq!(owned(b"?"), Some(Owned::StopReason));
        assert_eq!(
            owned(b"D;1a2b"),
            Some(Owned::Detach(Some(Pid::new(0x1a2b))))
        );
        assert_eq!(owned(b"D;zz"), Some(Owned::Detach(Some(Pid::new(-1)))));
        assert_eq!(owned(b"D"), Some(Owned::Detach(None)));
        assert_eq!(
            owned(b"vKill;1a2b"),
            Some(Owned::Kill {
                pid: Some(Pid::new(0x1a2b))
            })
        );
        assert_eq!(
            owned(b"vKill;zz"),
            Some(Owned::Kill {
                pid: Some(Pid::new(-1))
            })
        );
        assert_eq!(owned(b"k"), Some(Owned::Kill { pid: None }));
        assert_eq!(owned(b"g"), Some(Owned::ReadRegisters));
        assert_eq!(owned(b"p1a"), Some(Owned::ReadRegister(Some(0x1a))));
        assert_eq!(owned(b"pzz"), Some(Owned::ReadRegister(None)));
        assert_eq!(owned(b"G00"), None);
        assert_eq!(
            owned(b"vFile:pread:7,4000,1c8f40"),
            Some(Owned::HostPread {
                fd: 7,
                count: 0x4000,
                offset: 0x1c8f40
            })
        );
        assert_eq!(owned(b"vFile:pread:7,4000"), None);
        assert_eq!(owned(b"Detach"), None);
    }

    #[test]
    fn escapes_what_unescape_restores() {
        let data = b"a#b$c}d*e\x00\xff}}";
        let mut escaped = b"F;".to_vec();
        escape_into(data, &mut escaped);
        assert_eq!(&escaped, b"F;a}\x03b}\x04c}]d}\x0ae\x00\xff}]}]");
        assert_eq!(unescape(&escaped[2..]), data.to_vec());
    }

    #[test]
    fn parses_environment_and_working_dir() {
        assert_eq!(
            owned(b"QEnvironmentHexEncoded:413d623d63"),
            Some(Owned::Environment {
                name: b"A".to_vec(),
                value: Some(b"b=c".to_vec())
            })
        );
        assert_eq!(
            owned(b"QEnvironmentUnset:41"),
            Some(Owned::Environment {
                name: b"A".to_vec(),
                value: None
            })
        );
        assert_eq!(owned(b"QEnvironmentHexEncoded:41"), None);
        assert_eq!(
            owned(b"QSetWorkingDir:2f746d70"),
            Some(Owned::WorkingDir(Some(b"/tmp".to_vec())))
        );
        assert_eq!(owned(b"QSetWorkingDir:"), Some(Owned::WorkingDir(None)));
    }

    #[test]
    fn parses_tls_address_requests() {
        assert_eq!(
            owned(b"qGetTLSAddr:p10.11,8,7ffff7ffe2e0"),
            Some(Owned::TlsAddress {
                thread: thread_id::ThreadRef::Thread(
                    Some(Pid::new(0x10)),
                    crate::ptrace::Tid::new(0x11)
                ),
                offset: 8,
                lm: 0x7fff_f7ff_e2e0,
            })
        );
        assert_eq!(owned(b"qGetTLSAddr:p10.11,zz,0"), None);
        assert_eq!(owned(b"qGetTLSAddr:p10.11,8"), None);
    }

    #[test]
    fn parses_siginfo_writes() {
        assert_eq!(
            owned(b"qXfer:siginfo:write::8:a}]b"),
            Some(Owned::SiginfoWrite {
                offset: 8,
                data: b"a}b".to_vec()
            })
        );
        assert_eq!(
            owned(b"qXfer:siginfo:read::0,80"),
            Some(Owned::SiginfoRead {
                offset: 0,
                length: 0x80
            })
        );
    }

    #[test]
    fn parses_breakpoint_packets() {
        assert_eq!(
            owned(b"Z0,401000,1"),
            Some(Owned::Breakpoint {
                hardware: false,
                addr: 0x401000,
                insert: true,
                conditions: String::new(),
            })
        );
        assert_eq!(
            owned(b"z0,401000,1"),
            Some(Owned::Breakpoint {
                hardware: false,
                addr: 0x401000,
                insert: false,
                conditions: String::new(),
            })
        );
        assert_eq!(
            owned(b"Z0,401000,1;X3,220127"),
            Some(Owned::Breakpoint {
                hardware: false,
                addr: 0x401000,
                insert: true,
                conditions: "X3,220127".into(),
            })
        );
        assert_eq!(owned(b"Z0,zz,1"), None);
        assert_eq!(
            owned(b"Z1,401000,1;X2,2227"),
            Some(Owned::Breakpoint {
                hardware: true,
                addr: 0x401000,
                insert: true,
                conditions: "X2,2227".into(),
            })
        );
        assert_eq!(owned(b"Z2,401000,4"), None, "watchpoints: gdbstub's");
    }

    #[test]
    fn parses_memory_packets() {
        assert_eq!(
            owned(b"m1000,10"),
            Some(Owned::ReadMemory {
                addr: 0x1000,
                len: 16
            })
        );
        assert_eq!(owned(b"mzz,qq"), None);
        assert_eq!(
            owned(b"M10,2:abcd"),
            Some(Owned::WriteMemory {
                addr: 0x10,
                data: vec![0xab, 0xcd]
            })
        );
        assert_eq!(owned(b"M10,3:abcd"), None, "length mismatch");
        assert_eq!(
            owned(b"X10,2:a}]"),
            Some(Owned::WriteMemory {
                addr: 0x10,
                data: b"a}".to_vec()
            })
        );
        assert_eq!(
            owned(b"X10,0:"),
            Some(Owned::WriteMemory {
                addr: 0x10,
                data: vec![]
            })
        );
        assert_eq!(hex::encode(&[0, 0xff, 0x1a]), b"00ff1a".to_vec());
    }

    #[test]
    fn parses_signal_lists() {
        assert_eq!(
            owned(b"QPassSignals:e;10;14;"),
            Some(Owned::PassSignals(vec![0xe, 0x10, 0x14]))
        );
        assert_eq!(owned(b"QPassSignals:"), Some(Owned::PassSignals(vec![])));
        assert_eq!(owned(b"QPassSignals:zz"), None);
    }

    #[test]
    fn disabled_packets() {
        let d = DisabledPackets::parse(&["T".into(), "qC".into()]).unwrap_or_default();
        assert!(d.t_stop_reply && d.rejects(b"qC"));
        assert!(!d.rejects(b"vCont?") && !d.rejects(b"qCRC"));
        assert!(DisabledPackets::parse(&["bogus".into()]).is_err());
    }

    #[test]
    fn parses_catch_syscalls() {
        assert_eq!(owned(b"QCatchSyscalls:0"), Some(Owned::CatchSyscalls(None)));
        assert_eq!(
            owned(b"QCatchSyscalls:1"),
            Some(Owned::CatchSyscalls(Some(vec![])))
        );
        assert_eq!(
            owned(b"QCatchSyscalls:1;27;1"),
            Some(Owned::CatchSyscalls(Some(vec![0x27, 1])))
        );
        assert_eq!(owned(b"QCatchSyscalls:1;xx"), None);
    }

    #[test]
    fn parses_run_and_attach() {
        assert_eq!(
            owned(b"vRun;2f62696e2f6c73;2d6c;"),
            Some(Owned::Run {
                program: Some(b"/bin/ls".to_vec()),
                args: vec![b"-l".to_vec(), vec![]]
            })
        );
        assert_eq!(
            owned(b"vRun;"),
            Some(Owned::Run {
                program: None,
                args: vec![]
            })
        );
        assert_eq!(owned(b"vRun;zz"), None);
        assert_eq!(
            owned(b"vAttach;1f"),
            Some(Owned::Attach { pid: Pid::new(31) })
        );
        assert_eq!(
            owned(b"QDisableRandomization:0"),
            Some(Owned::DisableRandomization(false))
        );
    }

    #[test]
    fn sees_multiprocess() {
        assert!(offers_multiprocess(b"qSupported:multiprocess+;swbreak+"));
        assert!(!offers_multiprocess(b"qSupported:swbreak+"));
        assert!(offers_feature(
            b"qSupported:multiprocess+;exec-events+",
            b"exec-events+"
        ));
    }

    #[test]
    fn amends_qsupported() {
        assert_eq!(
            amend_qsupported(b"PacketSize=100", &DisabledPackets::default()),
            b"PacketSize=100;swbreak+;QStartupWithShell+;QDisableRandomization+;augmented-libraries-svr4-read+;QPassSignals+;QProgramSignals+;QCatchSyscalls+;fork-events+;vfork-events+;exec-events+;qXfer:threads:read+;qXfer:siginfo:read+;qXfer:siginfo:write+;QNonStop+;QThreadEvents+;ConditionalBreakpoints+;QEnvironmentHexEncoded+;QEnvironmentUnset+;QEnvironmentReset+;QSetWorkingDir+;qXfer:osdata:read+;qXfer:libraries-svr4:read+".to_vec()
        );
    }
}
