//! The packets the session answers itself (see `rsp::Owned`): stop
//! reason, detach, kill, thread list, siginfo, extended-mode requests,
//! signal and syscall filters.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use anyhow::{Context, Result};

use super::monitor;
use super::program_output::console_packet;
use super::{Session, SessionEnd};
use crate::process::solibs::LibraryListRequest;
use crate::ptrace::{Pid, Tid};
use crate::rsp::thread_id::ThreadRef;
use crate::rsp::{self, Owned};

impl Session<'_> {
    /// `qRcmd`: the command's console output as an `O` packet, then OK or
    /// E01; `monitor exit` ends the server after the reply.
    fn monitor(&mut self, command: Option<Vec<u8>>) {
        let Some(command) = command else {
            self.send(b"E01");
            return;
        };
        let reply = monitor::run(&String::from_utf8_lossy(&command), &mut self.monitor);
        if !reply.output.is_empty() {
            self.send(&console_packet(reply.output.as_bytes()));
        }
        self.send(if reply.ok { b"OK" } else { b"E01" });
        if reply.exit {
            self.end = Some(SessionEnd::ServerExit);
        }
    }

    pub(super) fn handle_owned(&mut self, owned: Owned) -> Result<()> {
        match owned {
            Owned::StopReason if self.non_stop.enabled => self.non_stop_status()?,
            Owned::NonStop(on) => self.set_non_stop(on)?,
            Owned::VStopped => self.vstopped(),
            Owned::ThreadEvents(on) => {
                // gdb's setting, not one process's (as gdbserver keeps it).
                self.thread_events = on;
                for process in self.target.tracer.processes_mut() {
                    process.report_thread_exits = on;
                    process.exited_threads.clear();
                }
                self.send(b"OK");
            }
            Owned::CtrlC => self.non_stop_interrupt(true)?,
            Owned::VContQuery => self.send(b"vCont;c;C;s;S;t;r"),
            Owned::StopReason => {
                let reply = match self.last_stop.clone() {
                    Some(reply) => reply,
                    None => self.initial_stop_reply()?,
                };
                self.send(reply.as_bytes());
                self.last_stop = Some(reply);
            }
            Owned::Detach(pid) => self.detach(pid)?,
            Owned::Monitor(command) => self.monitor(command),
            Owned::Run { program, args } => self.run_program(program, args)?,
            Owned::Attach { pid } => self.attach_process(pid)?,
            Owned::PassSignals(gdb_signals) => {
                for process in self.target.tracer.processes_mut() {
                    process.set_pass_signals(&gdb_signals);
                }
                self.pass_signals = gdb_signals;
                self.send(b"OK");
            }
            Owned::ProgramSignals => self.send(b"OK"),
            Owned::Unsupported => self.send(b""),
            Owned::Breakpoint {
                hardware: false,
                addr,
                insert,
                conditions,
            } => self.sw_breakpoint(addr, insert, &conditions),
            Owned::Breakpoint {
                hardware: true,
                addr,
                insert,
                conditions,
            } => self.hw_breakpoint(addr, insert, &conditions)?,
            Owned::ReadMemory { addr, len } => {
                // Never more than fits in one reply.
                let len = len.min(crate::rsp::stub::PACKET_SIZE / 2);
                let mut buf = vec![0u8; len];
                let reply = match self
                    .target
                    .selected_mut()
                    .map(|i| i.read_memory(addr, &mut buf))
                {
                    Some(Ok(n)) if n > 0 || len == 0 => rsp::hex::encode(&buf[..n]),
                    _ => b"E01".to_vec(),
                };
                self.send_hex(&reply);
            }
            Owned::ReadRegisters => {
                let reply =
                    self.register_reply(|process, tid, out| process.read_all_registers(tid, out));
                self.send_hex(&reply);
            }
            Owned::ReadRegister(number) => {
                let reply = match number {
                    Some(number) => self.register_reply(|process, tid, out| {
                        process.read_register(tid, number, out)
                    }),
                    None => b"E01".to_vec(),
                };
                self.send_hex(&reply);
            }
            Owned::HostPread { fd, count, offset } => {
                let reply = self.target.pread_reply(fd, count, offset);
                self.send(&reply);
            }
            Owned::WriteMemory { addr, data } => {
                let written = match self.target.selected_mut() {
                    Some(inferior) if data.is_empty() => inferior.is_alive(),
                    Some(inferior) => inferior.write_memory(addr, &data).is_ok(),
                    None => false,
                };
                self.send(if written { b"OK" } else { b"E01" });
            }
            Owned::CatchSyscalls(catch) => {
                let catch = catch.map(|numbers| numbers.into_iter().collect());
                if let Some(inferior) = self.target.selected_mut() {
                    inferior.set_catch_syscalls(catch.clone());
                }
                self.catch_syscalls = catch;
                self.send(b"OK");
            }
            Owned::LibrariesSvr4 {
                annex,
                offset,
                length,
            } => {
                // Made anew at offset 0, then read in windows.
                if offset == 0 {
                    let request = LibraryListRequest::parse(&annex).context("bad annex");
                    let list = request.and_then(|request| {
                        self.target
                            .selected_mut()
                            .context("no process")?
                            .svr4_library_list(request)
                    });
                    self.library_list = match list {
                        Ok(list) => Some(list.into_bytes()),
                        Err(e) => {
                            log::debug!("libraries-svr4: {e:#}");
                            None
                        }
                    };
                }
                let reply = match &self.library_list {
                    Some(doc) => rsp::qxfer::window_reply(doc, offset, length),
                    None => b"E01".to_vec(),
                };
                self.send(&reply);
            }
            Owned::OsData {
                annex,
                offset,
                length,
            } => {
                // Made anew at offset 0, then read in windows.
                if offset == 0 {
                    self.os_data = crate::osdata::document(&annex).into_bytes();
                }
                let reply = rsp::qxfer::window_reply(&self.os_data, offset, length);
                self.send(&reply);
            }
            Owned::SearchMemory { addr, len, pattern } => {
                let found = self
                    .target
                    .selected_mut()
                    .context("no process")
                    .and_then(|process| process.search_memory(addr, len, &pattern));
                match found {
                    Ok(Some(at)) => self.send(format!("1,{at:x}").as_bytes()),
                    Ok(None) => self.send(b"0"),
                    Err(e) => {
                        log::debug!("qSearch:memory at {addr:#x}: {e:#}");
                        self.send(b"E01");
                    }
                }
            }
            Owned::Crc { addr, len } => {
                let crc = self
                    .target
                    .selected_mut()
                    .context("no process")
                    .and_then(|process| memory_crc(process, addr, len));
                match crc {
                    Ok(crc) => self.send(format!("C{crc:x}").as_bytes()),
                    Err(e) => {
                        log::debug!("qCRC at {addr:#x}: {e:#}");
                        self.send(b"E01");
                    }
                }
            }
            Owned::Environment { name, value } => {
                let name = OsString::from_vec(name);
                let changes = &mut self.config.environment_changes;
                changes.retain(|(n, _)| *n != name);
                changes.push((name, value.map(OsString::from_vec)));
                self.send(b"OK");
            }
            Owned::EnvironmentReset => {
                self.config.environment_changes.clear();
                self.send(b"OK");
            }
            Owned::WorkingDir(dir) => {
                self.config.working_dir = dir.map(OsString::from_vec);
                self.send(b"OK");
            }
            Owned::StartupWithShell(on) => {
                self.config.startup_with_shell = on;
                self.send(b"OK");
            }
            Owned::DisableRandomization(on) => {
                self.config.disable_aslr = on;
                self.send(b"OK");
            }
            Owned::ThreadList { offset, length } => {
                if offset == 0 {
                    let threads: Vec<_> = self
                        .target
                        .tracer
                        .processes_mut()
                        .filter(|p| p.announced)
                        .flat_map(|p| p.thread_entries())
                        .collect();
                    self.thread_list =
                        rsp::qxfer::threads_document(&threads, self.stub.multiprocess).into_bytes();
                }
                let reply = rsp::qxfer::window_reply(&self.thread_list, offset, length);
                self.send(&reply);
            }
            Owned::SiginfoRead { offset, length } => {
                let tid = self.current_tid();
                let reply = match self.target.selected().map(|i| i.siginfo(tid)) {
                    Some(Ok(bytes)) => rsp::qxfer::window_reply(&bytes, offset, length),
                    _ => b"E01".to_vec(),
                };
                self.send(&reply);
            }
            Owned::SiginfoWrite { offset, data } => {
                let tid = self.current_tid();
                let reply = match self
                    .target
                    .selected()
                    .map(|i| i.write_siginfo(tid, offset, &data))
                {
                    Some(Ok(n)) => format!("{n:x}"),
                    _ => "E01".to_string(),
                };
                self.send(reply.as_bytes());
            }
            Owned::Kill { pid } => self.kill(pid)?,
            Owned::Attached(pid) => {
                let process = match pid {
                    Some(pid) => self.target.tracer.get(pid),
                    None => self.target.selected(),
                };
                match process {
                    Some(process) if process.attached => self.send(b"1"),
                    Some(_) => self.send(b"0"),
                    None => self.send(b"E01"),
                }
            }
            Owned::Restart if self.extended => self.restart()?,
            Owned::Restart => self.send(b""),
            Owned::TlsAddress { .. } if !self.monitor.thread_db_found() => {
                // As gdbserver without libthread_db (see MonitorState).
                self.send(b"E01");
            }
            Owned::TlsAddress { thread, offset, lm } => {
                let tid = match thread {
                    ThreadRef::Thread(_, tid) => tid,
                    _ => self.current_tid(),
                };
                let address = self
                    .target
                    .tracer
                    .owner_mut(tid)
                    .context("no such thread")
                    .and_then(|process| process.tls_address(tid, offset, lm));
                match address {
                    Ok(address) => self.send(format!("{address:x}").as_bytes()),
                    Err(e) => {
                        log::debug!("qGetTLSAddr for {tid}: {e:#}");
                        self.send(b"E01");
                    }
                }
            }
            Owned::CurrentThread => {
                let tid = self.current_tid();
                let reply = match self.target.tracer.owner_of(tid) {
                    Some(pid) => format!(
                        "QC{}",
                        rsp::thread_id::format(pid, tid, self.stub.multiprocess)
                    ),
                    // No process: gdb keeps the thread it knows.
                    None => "E01".to_string(),
                };
                self.send(reply.as_bytes());
            }
        }
        Ok(())
    }
}

impl Session<'_> {
    /// The hex of one read of gdb's current thread's registers, or `E01`
    /// (no such thread, a process that is gone, a failed read).
    fn register_reply(
        &mut self,
        read: impl FnOnce(&mut crate::process::Process, Tid, &mut Vec<u8>) -> anyhow::Result<()>,
    ) -> Vec<u8> {
        let tid = self.current_tid();
        let Some(process) = self.target.tracer.owner_mut(tid).filter(|p| p.is_alive()) else {
            return b"E01".to_vec();
        };
        let mut bytes = Vec::new();
        match read(process, tid, &mut bytes) {
            Ok(()) => rsp::hex::encode(&bytes),
            Err(e) => {
                log::debug!("register read of thread {tid} failed: {e:#}");
                b"E01".to_vec()
            }
        }
    }

    /// The process a `D;PID` or `vKill;PID` names. Without the multiprocess
    /// extensions gdb knows no real pid (it sends its own placeholder,
    /// 42000): the packet is about its current process, as gdbserver reads it.
    fn process_named(&self, pid: Pid) -> Pid {
        match self.stub.multiprocess {
            true => pid,
            false => self.target.selected().map_or(pid, |p| p.pid),
        }
    }

    /// `D` (gdb's current process) or `D;PID`: let that process run on its
    /// own. The session ends with the last process unless in extended mode.
    fn detach(&mut self, pid: Option<Pid>) -> Result<()> {
        let pid = pid.map(|pid| self.process_named(pid));
        let pid = pid.or_else(|| self.target.selected().map(|p| p.pid));
        let Some(process) = pid.and_then(|pid| self.target.tracer.get_mut(pid)) else {
            self.send(b"E01");
            return Ok(());
        };
        let pid = process.pid;
        process.detach()?;
        crate::say!("Detaching from process {pid}");
        self.send(b"OK");
        self.process_gone(pid, None);
        // A fork whose event gdb has not seen (another thread's stop was
        // reported first): gdb cannot detach a child it does not know of,
        // and the child goes with its parent, as in gdbserver. After the
        // parent: a vfork child shares its memory, free of breakpoints only
        // once the parent's are out.
        for child in self.target.tracer.unannounced_children_of(pid) {
            if let Some(process) = self.target.tracer.get_mut(child) {
                log::debug!("detaching {child}, forked by {pid} unknown to gdb");
                process.detach()?;
            }
            self.process_gone(child, None);
        }
        if self.target.tracer.is_empty() && !self.config.multi {
            self.end = Some(SessionEnd::Detached);
        }
        Ok(())
    }

    /// `k` (every process, no reply) or `vKill;PID` (that one, reply OK).
    fn kill(&mut self, pid: Option<Pid>) -> Result<()> {
        let pid = pid.map(|pid| self.process_named(pid));
        let pids = match pid {
            Some(pid) if self.target.tracer.get(pid).is_none() => {
                self.send(b"E01");
                return Ok(());
            }
            // With the fork children gdb does not know of yet.
            Some(pid) => std::iter::once(pid)
                .chain(self.target.tracer.unannounced_children_of(pid))
                .collect(),
            None => self.target.tracer.pids(),
        };
        for pid in pids {
            if let Some(process) = self.target.tracer.get_mut(pid) {
                process.kill()?;
            }
            self.process_gone(pid, None);
        }
        self.target.tracer.settle()?;
        if pid.is_some() {
            self.send(b"OK");
        }
        if self.target.tracer.is_empty() && !self.config.multi {
            self.end = Some(SessionEnd::Killed);
        }
        Ok(())
    }

    /// Z0/z0.
    fn sw_breakpoint(&mut self, addr: u64, insert: bool, conditions: &str) {
        // The process of gdb's general thread: after a fork gdb selects
        // the child to take its breakpoints out of the child's memory.
        let done = match self.target.selected_mut() {
            Some(inferior) if insert => breakpoint_conditions(addr, conditions)
                .is_some_and(|c| inferior.insert_conditional_breakpoint(addr, c).is_ok()),
            Some(inferior) => inferior.remove_breakpoint(addr).is_ok(),
            None => false,
        };
        self.send(if done { b"OK" } else { b"E01" });
    }

    /// Z1/z1. No free debug register is E16 (EINVAL), as gdbstub answers.
    fn hw_breakpoint(&mut self, addr: u64, insert: bool, conditions: &str) -> anyhow::Result<()> {
        let Some(inferior) = self.target.selected_mut() else {
            self.send(b"E01");
            return Ok(());
        };
        let done = match insert {
            true => {
                let Some(conditions) = breakpoint_conditions(addr, conditions) else {
                    self.send(b"E01");
                    return Ok(());
                };
                inferior.insert_conditional_hw_breakpoint(addr, conditions)
            }
            false => inferior.remove_hw_breakpoint(addr),
        };
        if self.non_stop.enabled {
            // Running threads take the new debug registers at once.
            inferior.refresh_running_debug_registers()?;
        }
        self.send(if done { b"OK" } else { b"E16" });
        Ok(())
    }
}

/// The CRC of `len` bytes of the program's memory at `addr`, as gdb sees
/// it (our breakpoints hidden), read a chunk at a time.
fn memory_crc(process: &mut crate::process::Process, addr: u64, len: u64) -> Result<u32> {
    const CHUNK: u64 = 64 * 1024;
    let mut buf = vec![0u8; CHUNK.min(len) as usize];
    let mut crc = 0xffff_ffff;
    let mut done = 0;
    while done < len {
        let n = (len - done).min(CHUNK) as usize;
        let at = addr.wrapping_add(done);
        let read = process
            .read_memory(at, &mut buf[..n])
            .with_context(|| format!("reading {n:#x} bytes at {at:#x}"))?;
        if read != n {
            anyhow::bail!("cannot read memory at {:#x}", at + read as u64);
        }
        crc = rsp::crc::update(crc, &buf[..n]);
        done += n as u64;
    }
    Ok(crc)
}

/// The agent expressions of a Z0/Z1's condition list (the text after the
/// address and kind; a `cmds:` part, which we do not offer, is ignored).
/// None, logged, when it does not parse.
fn breakpoint_conditions(addr: u64, text: &str) -> Option<Vec<crate::agent_expr::AgentExpr>> {
    let conditions = match text.find("cmds:") {
        Some(at) => &text[..at],
        None => text,
    };
    let conditions = conditions.trim_end_matches(';');
    if conditions.is_empty() {
        return Some(Vec::new());
    }
    crate::agent_expr::parse_condition_list(conditions)
        .map_err(|e| log::warn!("breakpoint at {addr:#x}: {e:#}"))
        .ok()
}
