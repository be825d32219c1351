//! One gdb connection: the event loop on the tracer thread.
//!
//! While the program is stopped we block in read() on the connection: no
//! packet crosses a thread boundary. While it runs we poll the connection
//! (for Ctrl-C) and the child-event fd together. A reportable event triggers
//! stop-all, then exactly one stop reply.

pub mod child_events;
mod extended;
mod monitor;
mod non_stop;
mod owned;
pub mod program_output;
pub mod spin;
pub mod transport;

use anyhow::{Context, Result};
use gdbstub::common::Signal;
use gdbstub::stub::{DisconnectReason, MultiThreadStopReason};

use crate::gdbstub_glue::{to_gdb_tid, DebugTarget};
use crate::logging::Printable;
use crate::process::{ProcessExit, Report, StopEvent};
use crate::ptrace::{Pid, Tid};
use crate::rsp;
use crate::rsp::framing::{frame, frame_compressed, payloads, Deframer, Incoming};
use crate::rsp::stop_reply::{self, ThreadStop};
use crate::rsp::stub::{StubDriver, StubState, PACKET_SIZE};
use crate::rsp::thread_id::ThreadRef;
use child_events::ChildEvents;
use transport::Transport;

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// gdb closed the connection (or `disconnect`); the program is stopped.
    ConnectionClosed,
    Detached,
    Killed,
    ProcessExited(ProcessExit),
    /// `monitor exit`.
    ServerExit,
    /// SIGTERM, SIGINT or SIGHUP.
    Terminated(i32),
}

pub use extended::RunConfig;

/// gdbserver's message when the program ends.
pub fn announce_exit(exit: ProcessExit) {
    match exit {
        ProcessExit::Exited(code) => crate::say!("\nChild exited with status {code}"),
        ProcessExit::Killed(signal) => crate::say!(
            "\nChild terminated with signal = {signal:#x} ({})",
            rgdbserver_arch::signals::name(signal)
        ),
    }
}

/// A `T` stop reply for `tid`: its expedited registers, and for an exec the
/// new program's path when gdb takes exec events.
fn thread_stop_text(
    inferior: &mut crate::process::Process,
    tid: Tid,
    event: StopEvent,
    multiprocess: bool,
    exec_events: bool,
) -> String {
    let expedited = inferior.expedited(tid).unwrap_or_default();
    let exec_path = match event {
        StopEvent::Exec if exec_events => inferior.exec_path(),
        _ => None,
    };
    stop_reply::thread_stop(&ThreadStop {
        pid: inferior.pid,
        tid,
        event,
        expedited: &expedited,
        register_size: inferior.desc.address_size,
        multiprocess,
        exec_path: exec_path.as_deref(),
    })
}

pub struct Session<'a> {
    transport: Transport,
    config: &'a mut RunConfig,
    target: &'a mut DebugTarget,
    children: &'a ChildEvents,
    stub: StubDriver,
    deframer: Deframer,
    no_ack: bool,
    /// The last frame we sent, for a `-` retransmission.
    last_sent: Vec<u8>,
    out: Vec<u8>,
    last_stop: Option<String>,
    end: Option<SessionEnd>,
    /// gdb accepts `exec:` stop replies (it offered exec-events+).
    exec_events: bool,
    /// gdb takes fork events (it offered fork-events+).
    fork_events: bool,
    /// gdb takes `N`, no thread left to wait for (it offered no-resumed+).
    no_resumed: bool,
    /// The thread list document being read in chunks (built at offset 0).
    thread_list: Vec<u8>,
    /// The `info os` document being read in chunks (built at offset 0).
    os_data: Vec<u8>,
    /// The shared-library list being read in chunks (built at offset 0).
    library_list: Option<Vec<u8>>,
    /// Spinning before a wait for gdb's next packet, and for the program's
    /// next stop (see `spin`).
    gdb_spin: spin::SpinPolicy,
    event_spin: spin::SpinPolicy,
    /// gdb's current thread for register/memory/siginfo requests (`Hg`,
    /// or the thread of the last stop).
    general_thread: Option<Tid>,
    /// What the last `Hc` named, for the legacy `c`/`s` packets.
    resume_thread: Option<ThreadRef>,
    /// gdb sent `!` (extended-remote): `R` restarts the program.
    extended: bool,
    /// What `monitor set ...` commands set.
    monitor: monitor::MonitorState,
    /// The last QPassSignals, for a process started later in this session.
    pass_signals: Vec<u8>,
    /// The last QCatchSyscalls, likewise.
    catch_syscalls: Option<std::collections::BTreeSet<u64>>,
    /// gdb's QThreadEvents, for a process started later in this session.
    thread_events: bool,
    /// Non-stop mode and its queue of stops for gdb.
    non_stop: non_stop::NonStop,
    /// The process exit reported in non-stop mode: the session ends with
    /// it when gdb hangs up.
    exited: Option<ProcessExit>,
}

impl<'a> Session<'a> {
    pub fn new(
        transport: Transport,
        target: &'a mut DebugTarget,
        children: &'a ChildEvents,
        config: &'a mut RunConfig,
    ) -> Result<Session<'a>> {
        let stub = StubDriver::new(target)?;
        let gdb_spin = spin::SpinPolicy::new(spin::AWAITING_GDB, config.spin);
        let event_spin = spin::SpinPolicy::new(spin::AWAITING_EVENT, config.spin);
        Ok(Session {
            gdb_spin,
            event_spin,
            transport,
            config,
            target,
            children,
            stub,
            deframer: Deframer::new(PACKET_SIZE),
            no_ack: false,
            last_sent: Vec::new(),
            out: Vec::new(),
            last_stop: None,
            end: None,
            exec_events: false,
            fork_events: false,
            no_resumed: false,
            thread_list: Vec::new(),
            os_data: Vec::new(),
            library_list: None,
            general_thread: None,
            resume_thread: None,
            extended: false,
            monitor: monitor::MonitorState::default(),
            pass_signals: Vec::new(),
            catch_syscalls: None,
            thread_events: false,
            non_stop: Default::default(),
            exited: None,
        })
    }

    pub fn run(mut self) -> Result<SessionEnd> {
        let mut items = Vec::new();
        // Set while the loop waits in Idle: how long gdb took to send.
        let mut awaiting_gdb_since = None;
        loop {
            if let Some(signal) = crate::termination::requested() {
                self.end.get_or_insert(SessionEnd::Terminated(signal));
            }
            if let Some(end) = self.end {
                self.flush()?;
                return Ok(end);
            }
            match self.stub.state() {
                StubState::Disconnected(reason) if self.config.multi => {
                    if let Some((pid, exit)) = self.target.tracer.current().map(|p| (p.pid, p.exit))
                    {
                        self.process_gone(pid, exit);
                    }
                    if reason == DisconnectReason::Disconnect {
                        // gdbstub's own `D`; ours is handled before it.
                        log::debug!("gdbstub detached");
                    }
                    self.stub.resume_serving();
                    continue;
                }
                StubState::Disconnected(reason) => {
                    self.flush()?;
                    return Ok(match reason {
                        DisconnectReason::TargetExited(code) => {
                            SessionEnd::ProcessExited(ProcessExit::Exited(code as i32))
                        }
                        DisconnectReason::TargetTerminated(_) => SessionEnd::ProcessExited(
                            self.target
                                .tracer
                                .current()
                                .and_then(|i| i.exit)
                                .unwrap_or(ProcessExit::Killed(libc::SIGKILL)),
                        ),
                        DisconnectReason::Kill => SessionEnd::Killed,
                        DisconnectReason::Disconnect => SessionEnd::Detached,
                    });
                }
                StubState::CtrlC => {
                    self.stop_and_report(true)?;
                    continue;
                }
                StubState::Running => {
                    let has_report =
                        self.target.tracer.is_empty() || self.target.tracer.has_report();
                    if has_report {
                        self.stop_and_report(false)?;
                        continue;
                    }
                    if self.no_resumed && !self.target.tracer.may_still_report() {
                        // A status that came since the last look decides.
                        self.target.tracer.drain_events_until_report()?;
                        if !self.target.tracer.has_report()
                            && !self.target.tracer.may_still_report()
                        {
                            self.report_no_resumed()?;
                        }
                        continue;
                    }
                    if !self.wait_for_gdb_or_program()? {
                        continue;
                    }
                }
                StubState::Idle if self.non_stop_waits() => {
                    // Packets report the events they cause themselves
                    // (vCont, vCtrlC); here: what the program did alone.
                    let gdb_ready = self.wait_for_gdb_or_program()?;
                    self.report_non_stop_events()?;
                    if !gdb_ready {
                        continue;
                    }
                }
                StubState::Idle => {
                    self.flush()?;
                    let since = std::time::Instant::now();
                    if !self
                        .transport
                        .await_readable_briefly(self.gdb_spin.budget())
                    {
                        // A signal: the loop's top sees a termination.
                        continue;
                    }
                    awaiting_gdb_since = Some(since);
                }
            }
            // Read what gdb sent (blocking: in Running state poll said it is ready).
            let bytes = match self.transport.read() {
                Ok(bytes) => bytes,
                // A termination signal: the loop's top ends the session.
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e).context("reading from gdb"),
            };
            if let Some(since) = awaiting_gdb_since.take() {
                self.gdb_spin.record(since.elapsed());
            }
            if bytes.is_empty() {
                log::debug!("gdb closed the connection");
                self.on_connection_closed()?;
                return Ok(self.end_after_close());
            }
            let bytes = bytes.to_vec();
            self.deframer.feed(&bytes, &mut items);
            for item in items.drain(..) {
                self.handle_incoming(item)?;
                if self.end.is_some() {
                    break;
                }
            }
        }
    }

    /// Flush, then sleep until gdb sends something or the program changes
    /// state (whose events are then collected). True when gdb's bytes are
    /// ready to read.
    fn wait_for_gdb_or_program(&mut self) -> Result<bool> {
        self.flush()?;
        // Console output (`O`) may only go out while gdb waits for an
        // all-stop reply.
        let output_fd = match self.non_stop.enabled {
            true => None,
            false => self.target.program_output.as_ref().map(|o| o.fd()),
        };
        // A status deferred by a loop that waited for one process has had
        // its SIGCHLD already: look at it now instead of sleeping.
        let ready = match crate::ptrace::wait::must_drain() {
            true => child_events::Ready::children_only(),
            false => {
                let since = std::time::Instant::now();
                let connection = self.transport.read_fd();
                let spin = self.event_spin.budget();
                let ready = child_events::wait_ready(connection, self.children, output_fd, spin)
                    .context("poll")?;
                if ready.children {
                    self.event_spin.record(since.elapsed());
                }
                ready
            }
        };
        if ready.output {
            self.forward_program_output();
        }
        if ready.children {
            self.children.clear();
            let tracer = &mut self.target.tracer;
            match self.non_stop.enabled {
                // Every thread's status must be collected now: the
                // others run on, and their SIGCHLD has been read.
                true => tracer.drain_events()?,
                false => tracer.drain_events_until_report()?,
            }
        }
        Ok(ready.connection)
    }

    fn on_connection_closed(&mut self) -> Result<()> {
        // Leave the program stopped for the next gdb, as gdbserver does.
        self.target.tracer.stop_all()
    }

    fn handle_incoming(&mut self, item: Incoming) -> Result<()> {
        match item {
            Incoming::Ack => Ok(()),
            Incoming::Nack => {
                let frame = self.last_sent.clone();
                self.out.extend_from_slice(&frame);
                Ok(())
            }
            Incoming::Interrupt => {
                log::debug!(target: "remote", "getpkt: interrupt (0x03)");
                if self.non_stop.enabled {
                    return self.non_stop_interrupt(false);
                }
                if self.stub.state() == StubState::Running {
                    self.stub.interrupt(self.target)?;
                } else {
                    self.interrupt_crossing_a_stop();
                }
                Ok(())
            }
            Incoming::Packet {
                payload,
                checksum_ok,
            } => {
                log::debug!(target: "remote", "getpkt (\"{}\")", Printable(&payload));
                if !checksum_ok {
                    if self.no_ack {
                        self.send(b"E01");
                    } else {
                        self.out.push(b'-');
                    }
                    return Ok(());
                }
                if !self.no_ack {
                    self.out.push(b'+');
                }
                self.handle_packet(&payload)
            }
        }
    }

    /// A ^C that gdb sent while it was resuming the program, which has not
    /// run yet (breakpoint commands that `continue`, a ^C typed just as
    /// gdb resumes): it must not be lost.
    fn interrupt_crossing_a_stop(&mut self) {
        if let Some(process) = self.target.selected().filter(|p| p.is_alive()) {
            keep_interrupt_for_next_run(process.pid, "it was stopped");
        }
    }

    fn handle_packet(&mut self, payload: &[u8]) -> Result<()> {
        if self.config.disabled.rejects(payload) {
            self.send(b"");
            return Ok(());
        }
        self.dispatch(payload)
    }

    /// A packet the client may send: answered here, or by gdbstub.
    fn dispatch(&mut self, payload: &[u8]) -> Result<()> {
        if let Some(owned) = rsp::owned(payload) {
            return self.handle_owned(owned);
        }
        if self.non_stop.enabled && payload.starts_with(b"vCont;") {
            return self.non_stop_vcont(payload);
        }
        if rsp::offers_multiprocess(payload) {
            self.stub.multiprocess = true;
        }
        let is_qsupported = payload.starts_with(b"qSupported");
        if is_qsupported {
            self.exec_events = rsp::offers_feature(payload, b"exec-events+");
            self.fork_events = rsp::offers_feature(payload, b"fork-events+");
            self.no_resumed = rsp::offers_feature(payload, b"no-resumed+");
            for process in self.target.tracer.processes_mut() {
                process.report_forks = self.fork_events;
            }
        }
        if let [b'H', _, thread @ ..] = payload {
            if ThreadRef::parse(thread).is_none() {
                // gdbstub would end the session on a thread id it cannot
                // parse; one bad packet must not cost gdb its program.
                self.send(b"E01");
                return Ok(());
            }
        }
        if payload == b"!" {
            self.extended = true;
        }
        if let Some(thread) = payload.strip_prefix(b"Hc") {
            self.resume_thread = ThreadRef::parse(thread);
        }
        if rsp::legacy_resume::is_legacy_resume(payload) {
            return self.legacy_resume(payload);
        }
        if let Some(thread) = payload.strip_prefix(b"Hg") {
            self.stub.current_thread = Some(String::from_utf8_lossy(thread).into_owned());
            self.select_general(thread);
        }
        if payload.starts_with(b"vCont;") {
            self.target.continue_scope = rsp::vcont::continue_scope(payload);
        }
        let replies = self.stub.feed(self.target, payload)?;
        if self.non_stop.enabled && rsp::changes_debug_registers(payload) {
            if let Some(inferior) = self.target.selected_mut() {
                inferior.refresh_running_debug_registers()?;
            }
        }
        for reply in payloads(&replies) {
            if is_qsupported {
                let amended = rsp::amend_qsupported(reply, &self.config.disabled);
                self.send(&amended);
            } else {
                self.send(reply);
            }
        }
        if payload == b"QStartNoAckMode" {
            self.no_ack = true;
        }
        Ok(())
    }

    /// `c`, `s`, `CSIG`, `SSIG`: resumed as the `vCont` they mean (also when
    /// `--disable-packet=vCont` hides vCont from gdb).
    fn legacy_resume(&mut self, payload: &[u8]) -> Result<()> {
        let multiprocess = self.stub.multiprocess;
        let tracer = &self.target.tracer;
        let named = |tid: Tid, pid: Option<Pid>| {
            let pid = pid
                .or_else(|| tracer.owner_of(tid))
                .unwrap_or(tid.as_leader_of());
            rsp::thread_id::format(pid, tid, multiprocess)
        };
        let current = self.current_tid();
        // An `Hc` thread that has exited since names nothing: all threads.
        let resume_thread = self
            .resume_thread
            .filter(|r| !matches!(r, ThreadRef::Thread(_, tid) if !tracer.has_thread(*tid)));
        let resume_tid = match resume_thread {
            Some(ThreadRef::Thread(pid, tid)) => Some((tid, named(tid, pid))),
            _ => None,
        };
        let resume_text = resume_tid.as_ref().map(|(_, text)| text.as_str());
        let Some(rewritten) = rsp::legacy_resume::as_vcont(
            payload,
            resume_thread,
            resume_text.unwrap_or(""),
            &named(current, None),
        ) else {
            self.send(b"E01");
            return Ok(());
        };
        if let Some(pc) = rewritten.resume_at {
            let tid = resume_tid.map_or(current, |(tid, _)| tid);
            let moved = match self.target.tracer.owner_mut(tid) {
                Some(process) => process.set_pc(tid, pc).is_ok(),
                None => false,
            };
            if !moved {
                self.send(b"E01");
                return Ok(());
            }
        }
        log::debug!("{} resumes as {}", Printable(payload), rewritten.vcont);
        self.dispatch(rewritten.vcont.as_bytes())
    }

    /// The thread gdb's register and siginfo requests are about.
    fn current_tid(&self) -> Tid {
        let last = self
            .target
            .selected()
            .map(|i| i.last_reported)
            .unwrap_or(Tid::new(0));
        self.general_thread.unwrap_or(last)
    }

    /// `Hg`: gdb's thread (and so process) for registers, memory and
    /// breakpoints. `pPID.0` names a process, any thread of it.
    fn select_general(&mut self, thread: &[u8]) {
        let tracer = &self.target.tracer;
        match ThreadRef::parse(thread) {
            Some(ThreadRef::Thread(_, tid)) => {
                self.general_thread = Some(tid);
                self.target.general_pid = tracer.owner_of(tid).or(self.target.general_pid);
            }
            Some(ThreadRef::AnyOf(pid) | ThreadRef::AllOf(pid)) if tracer.get(pid).is_some() => {
                self.general_thread = tracer.get(pid).and_then(|p| p.thread_ids().next());
                self.target.general_pid = Some(pid);
            }
            _ => {}
        }
    }

    /// The status of a program nobody has resumed yet: a SIGTRAP stop of its
    /// leader (the exec stop, or the attach stop).
    fn initial_stop_reply(&mut self) -> Result<String> {
        let text = self.initial_stop_text()?;
        Ok(self.without_disabled_fields(text))
    }

    /// `--disable-packet=T`: stop replies as `SSIG`; `Tthread`: without
    /// their thread.
    fn without_disabled_fields(&self, text: String) -> String {
        if self.config.disabled.t_stop_reply && text.starts_with('T') {
            return format!("S{}", text.get(1..3).unwrap_or("05"));
        }
        if !self.config.disabled.thread_in_stop_reply {
            return text;
        }
        match text.find("thread:") {
            Some(start) => {
                let end = text[start..]
                    .find(';')
                    .map(|e| start + e + 1)
                    .unwrap_or(text.len());
                format!("{}{}", &text[..start], &text[end..])
            }
            None => text,
        }
    }

    fn initial_stop_text(&mut self) -> Result<String> {
        let multiprocess = self.stub.multiprocess;
        let Some(inferior) = self.target.selected_mut() else {
            return Ok("W00".into());
        };
        if let Some(exit) = inferior.exit {
            return Ok(stop_reply::process_exit(inferior.pid, exit, multiprocess));
        }
        // A signal that was pending when we attached (see attach.rs).
        if let Some(Report::Stop { tid, event }) = inferior.take_report() {
            self.general_thread = Some(tid);
            return Ok(thread_stop_text(inferior, tid, event, multiprocess, false));
        }
        let tid = inferior.last_reported;
        // A reconnecting gdb hears the signal it was told of, as long as
        // the thread still holds it undelivered (gdbserver keeps its last
        // status too); `continue` then delivers it.
        let signal = inferior
            .threads
            .get(&tid)
            .and_then(|t| t.stop_signal)
            .unwrap_or(libc::SIGTRAP);
        let event = StopEvent::Signal { signal };
        Ok(thread_stop_text(inferior, tid, event, multiprocess, false))
    }

    /// Send what the program wrote as console output (gdb is waiting for a
    /// stop reply, the only time `O` packets are allowed).
    fn forward_program_output(&mut self) {
        let Some(output) = self.target.program_output.as_mut() else {
            return;
        };
        match output.take() {
            Some(bytes) => {
                for chunk in bytes.chunks(4096) {
                    let packet = program_output::console_packet(chunk);
                    self.send(&packet);
                }
            }
            None => self.target.program_output = None,
        }
    }

    /// Stop everything, choose the event, tell gdbstub and gdb.
    fn stop_and_report(&mut self, ctrl_c: bool) -> Result<()> {
        // Output written before the stop comes before the stop reply.
        self.forward_program_output();
        let multiprocess = self.stub.multiprocess;
        let tracer = &mut self.target.tracer;
        tracer.stop_all_to_report()?;
        // All-stop reports no thread exits: gdb reads the thread list.
        tracer
            .processes_mut()
            .for_each(|p| p.exited_threads.clear());
        let report = match ctrl_c {
            true => tracer.interrupt_report(),
            false => tracer.take_report(),
        };
        let Some((pid, report)) = report else {
            // Nothing to say after all (stale events were dropped): run on.
            return tracer.resume_again();
        };
        if ctrl_c && matches!(report, Report::Stop { event, .. } if event != StopEvent::Interrupted)
        {
            // An event that came first answers gdb's ^C; the ^C itself must
            // still stop the program (breakpoint commands that `continue`
            // would otherwise run on for good).
            keep_interrupt_for_next_run(pid, "an event answered it first");
        }
        let (text, reason) = match report {
            Report::Stop { tid, event } => {
                let Some(process) = tracer.get_mut(pid) else {
                    return Ok(());
                };
                let text = thread_stop_text(process, tid, event, multiprocess, self.exec_events);
                let signal = Signal(stop_reply::gdb_signal(event));
                let reason = match to_gdb_tid(tid) {
                    Some(tid) => MultiThreadStopReason::SignalWithThread { tid, signal },
                    None => MultiThreadStopReason::Signal(signal),
                };
                self.general_thread = Some(tid);
                self.target.general_pid = Some(pid);
                (text, reason)
            }
            Report::ProcessExit(exit) => {
                let text = stop_reply::process_exit(pid, exit, multiprocess);
                // Any other process, even one whose own exit is still to
                // be reported (its threads are gone already).
                let survivor = tracer
                    .processes()
                    .find(|p| p.pid != pid)
                    .map(|p| p.thread_ids().next().unwrap_or(p.pid.leader()))
                    .and_then(to_gdb_tid);
                let reason = match survivor {
                    // Others live on (fork children gdb holds): gdbstub
                    // must not take this for the end of the session.
                    Some(tid) => {
                        self.process_gone(pid, Some(exit));
                        MultiThreadStopReason::SignalWithThread {
                            tid,
                            signal: Signal(0),
                        }
                    }
                    None => match exit {
                        ProcessExit::Exited(code) => MultiThreadStopReason::Exited(code as u8),
                        ProcessExit::Killed(sig) => MultiThreadStopReason::Terminated(Signal(
                            rgdbserver_arch::signals::gdb_from_linux(sig),
                        )),
                    },
                };
                (text, reason)
            }
        };
        self.stub.stopped(self.target, reason)?;
        let text = self.without_disabled_fields(text);
        self.send(text.as_bytes());
        self.last_stop = Some(text);
        Ok(())
    }

    /// Every thread gdb resumed is gone (with scheduler-locking, the one
    /// thread it let run exited) and nothing else will report: waiting on
    /// would hang. `N`, as gdbserver sends, makes gdb say "No unwaited-for
    /// children left." with every thread stopped.
    fn report_no_resumed(&mut self) -> Result<()> {
        self.forward_program_output();
        let tracer = &mut self.target.tracer;
        tracer.stop_all()?;
        tracer.processes_mut().for_each(|p| {
            p.exited_threads.clear();
            p.all_stopped_for_gdb();
        });
        // gdbstub only needs to leave its running state; its own reply is
        // dropped for ours.
        self.stub
            .stopped(self.target, MultiThreadStopReason::Signal(Signal(0)))?;
        self.send(b"N");
        Ok(())
    }

    fn send(&mut self, payload: &[u8]) {
        self.send_framed(payload, frame);
    }

    /// A hex reply (registers, memory): run-length encoded, as gdbserver does.
    fn send_hex(&mut self, payload: &[u8]) {
        self.send_framed(payload, frame_compressed);
    }

    fn send_framed(&mut self, payload: &[u8], framer: fn(&[u8], &mut Vec<u8>)) {
        log::debug!(target: "remote", "putpkt (\"{}\")", Printable(payload));
        let start = self.out.len();
        framer(payload, &mut self.out);
        if !self.no_ack {
            self.last_sent = self.out[start..].to_vec();
        }
    }

    fn flush(&mut self) -> Result<()> {
        if !self.out.is_empty() {
            let out = std::mem::take(&mut self.out);
            if let Err(e) = self.transport.write_all(&out) {
                if e.raw_os_error() != Some(libc::EPIPE) {
                    return Err(e).context("writing to gdb");
                }
            }
        }
        Ok(())
    }
}

/// A ^C that could not stop the program now: as gdbserver's ^C always is,
/// it becomes a SIGINT to the program, which stops it once it runs again
/// and gdb hears of it then.
fn keep_interrupt_for_next_run(pid: Pid, why: &str) {
    log::debug!("interrupt kept for {pid} ({why}): SIGINT");
    // SAFETY: kill(2) on a process we trace.
    unsafe { libc::kill(pid.raw(), libc::SIGINT) };
}
