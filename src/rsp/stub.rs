//! Drives gdbstub's state machine one whole packet at a time and captures what
//! it writes, so the packet layer can amend or replace it.
//!
//! gdbstub ends its state machine on some inputs (a malformed packet, a nack,
//! an unexpected vCont). A bad packet must never end a debugging session, so
//! on such an error we rebuild the state machine and restore the protocol
//! state gdb negotiated (no-ack mode, multiprocess, current thread) with
//! synthetic packets whose replies are discarded.

use std::cell::RefCell;
use std::rc::Rc;

use anyhow::{anyhow, Result};
use gdbstub::conn::Connection;
use gdbstub::stub::state_machine::GdbStubStateMachine;
use gdbstub::stub::{DisconnectReason, GdbStub, MultiThreadStopReason};

use super::framing::frame;
use super::receive_buffer::ReceiveBuffer;
use crate::gdbstub_glue::DebugTarget;
use crate::ptrace::Tid;

/// Largest packet we accept (and announce as PacketSize).
pub const PACKET_SIZE: usize = 0x20000;

/// A packet or reply longer than this leaves gdbstub's receive buffer
/// dirty enough to be worth a rebuild.
const LONG_PACKET: usize = 512;

/// gdbstub's connection: an in-memory outbox the packet layer drains.
#[derive(Clone, Default)]
pub struct Outbox(Rc<RefCell<Vec<u8>>>);

impl Outbox {
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

impl Connection for Outbox {
    type Error = std::convert::Infallible;

    fn write(&mut self, byte: u8) -> Result<(), Self::Error> {
        self.0.borrow_mut().push(byte);
        Ok(())
    }

    fn write_all(&mut self, buf: &[u8]) -> Result<(), Self::Error> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

type Machine = GdbStubStateMachine<'static, DebugTarget, Outbox>;

/// Which state gdbstub is in, without borrowing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StubState {
    Idle,
    Running,
    CtrlC,
    Disconnected(DisconnectReason),
}

pub struct StubDriver {
    /// Declared before `buffer`: it borrows it, so it must drop first.
    machine: Option<Machine>,
    buffer: ReceiveBuffer,
    outbox: Outbox,
    /// gdbstub left bytes in its receive buffer that slow the parsing of
    /// every later packet (see [`ReceiveBuffer`]): a long packet, or a long
    /// reply it built in the buffer (host I/O, qXfer).
    buffer_dirty: bool,
    /// Packets that recreate the negotiated state after a rebuild.
    pub multiprocess: bool,
    pub current_thread: Option<String>,
}

impl StubDriver {
    pub fn new(target: &mut DebugTarget) -> Result<StubDriver> {
        let mut driver = StubDriver {
            machine: None,
            buffer: ReceiveBuffer::new(PACKET_SIZE),
            outbox: Outbox::default(),
            buffer_dirty: false,
            multiprocess: false,
            current_thread: None,
        };
        driver.rebuild(target)?;
        Ok(driver)
    }

    /// A new state machine with the negotiated state replayed. A saved
    /// `Hg` that gdbstub refuses (`Hgp0`: gdb's "any thread", which
    /// gdbstub calls unexpected) is forgotten rather than failing the
    /// rebuild, which would end the session over one bad packet.
    fn rebuild(&mut self, target: &mut DebugTarget) -> Result<()> {
        if self.restore(target).is_err() {
            self.current_thread = None;
            self.restore(target)?;
        }
        Ok(())
    }

    fn restore(&mut self, target: &mut DebugTarget) -> Result<()> {
        // The old machine lets go of the buffer before it is lent again.
        self.machine = None;
        // SAFETY: no machine holds the buffer now, and `self.buffer` is
        // dropped after `self.machine` (field order).
        let buffer = unsafe { self.buffer.lend() };
        let stub: GdbStub<'static, DebugTarget, Outbox> = GdbStub::builder(self.outbox.clone())
            .with_packet_buffer(buffer)
            .build()
            .map_err(|e| anyhow!("gdbstub: {e:?}"))?;
        self.machine = Some(
            stub.run_state_machine(target)
                .map_err(|e| anyhow!("gdbstub: {e}"))?,
        );
        // Acks are ours: gdbstub must never write '+'.
        self.feed_raw(target, b"QStartNoAckMode")?;
        if self.multiprocess {
            self.feed_raw(target, b"qSupported:multiprocess+")?;
        }
        // gdbstub's default thread is 1; gdbserver's is the stopped thread.
        let thread = self
            .current_thread
            .clone()
            .or_else(|| target.selected().map(|i| format!("{:x}", i.last_reported)));
        if let Some(thread) = thread {
            self.feed_raw(target, format!("Hg{thread}").as_bytes())?;
        }
        self.outbox.take();
        Ok(())
    }

    fn feed_raw(&mut self, target: &mut DebugTarget, payload: &[u8]) -> Result<()> {
        let mut bytes = Vec::with_capacity(payload.len() + 4);
        frame(payload, &mut bytes);
        self.buffer.note_written(bytes.len());
        let mut machine = self
            .machine
            .take()
            .ok_or_else(|| anyhow!("gdbstub state lost"))?;
        for b in bytes {
            machine = match machine {
                GdbStubStateMachine::Idle(m) => m.incoming_data(target, b),
                GdbStubStateMachine::Running(m) => m.incoming_data(target, b),
                GdbStubStateMachine::CtrlCInterrupt(m) => {
                    m.interrupt_handled(target, None::<MultiThreadStopReason<u64>>)
                }
                GdbStubStateMachine::Disconnected(m) => Ok(m.return_to_idle()),
            }
            .map_err(|e| anyhow!("{e}"))?;
        }
        self.machine = Some(machine);
        Ok(())
    }

    /// Hand one packet to gdbstub; returns the frames it wrote. A packet that
    /// gdbstub cannot take gets `E01` and the state machine is rebuilt.
    pub fn feed(&mut self, target: &mut DebugTarget, payload: &[u8]) -> Result<Vec<u8>> {
        if self.buffer_dirty && self.state() == StubState::Idle {
            // A new machine on the refilled buffer: a few short synthetic
            // packets, against a scan of the old bytes on every packet.
            self.rebuild(target)?;
            self.buffer_dirty = false;
        }
        match self.feed_raw(target, payload) {
            Ok(()) => {
                let reply = self.outbox.take();
                // gdbstub builds qXfer and host I/O replies in the buffer
                // (a long `G` or `vFile:pwrite` fills it as it arrives).
                let scratch = payload.starts_with(b"qXfer:") || payload.starts_with(b"vFile:");
                let used = match scratch {
                    true => payload.len().max(reply.len()),
                    false => payload.len(),
                };
                self.buffer.note_written(used);
                self.buffer_dirty |= used > LONG_PACKET;
                Ok(reply)
            }
            Err(e) => {
                log::warn!(
                    "packet {:?} rejected: {e}",
                    String::from_utf8_lossy(payload)
                );
                self.outbox.take();
                self.rebuild(target)?;
                let mut reply = Vec::new();
                frame(b"E01", &mut reply);
                Ok(reply)
            }
        }
    }

    pub fn state(&self) -> StubState {
        match &self.machine {
            Some(GdbStubStateMachine::Idle(_)) | None => StubState::Idle,
            Some(GdbStubStateMachine::Running(_)) => StubState::Running,
            Some(GdbStubStateMachine::CtrlCInterrupt(_)) => StubState::CtrlC,
            Some(GdbStubStateMachine::Disconnected(m)) => StubState::Disconnected(m.get_reason()),
        }
    }

    /// Tell gdbstub the target stopped (it tracks the current thread and the
    /// Running -> Idle transition); its own reply text is discarded because
    /// the packet layer writes the real stop reply.
    pub fn stopped(
        &mut self,
        target: &mut DebugTarget,
        reason: MultiThreadStopReason<u64>,
    ) -> Result<()> {
        // gdbstub makes the stopped thread its current one; a rebuild must
        // restore that one, not the last `Hg`.
        if let MultiThreadStopReason::SignalWithThread { tid, .. } = reason {
            self.current_thread = Some(format!("{tid:x}"));
        }
        let machine = self
            .machine
            .take()
            .ok_or_else(|| anyhow!("gdbstub state lost"))?;
        let next = match machine {
            GdbStubStateMachine::Running(m) => m.report_stop(target, reason),
            GdbStubStateMachine::CtrlCInterrupt(m) => m.interrupt_handled(target, Some(reason)),
            other => Ok(other),
        }
        .map_err(|e| anyhow!("{e}"))?;
        self.machine = Some(next);
        self.outbox.take();
        Ok(())
    }

    /// Make `tid` gdbstub's current thread (a new process was started or
    /// attached behind its back).
    pub fn select_thread(&mut self, target: &mut DebugTarget, tid: Tid) -> Result<()> {
        self.current_thread = Some(format!("{tid:x}"));
        self.feed_raw(target, format!("Hg{tid:x}").as_bytes())?;
        self.outbox.take();
        Ok(())
    }

    /// After a process exit in extended mode: back to serving packets.
    pub fn resume_serving(&mut self) {
        self.machine = match self.machine.take() {
            Some(GdbStubStateMachine::Disconnected(m)) => Some(m.return_to_idle()),
            other => other,
        };
    }

    /// gdb saw 0x03: gdbstub moves to its Ctrl-C state.
    pub fn interrupt(&mut self, target: &mut DebugTarget) -> Result<()> {
        let machine = self
            .machine
            .take()
            .ok_or_else(|| anyhow!("gdbstub state lost"))?;
        let next = match machine {
            GdbStubStateMachine::Running(m) => {
                m.incoming_data(target, 0x03).map_err(|e| anyhow!("{e}"))?
            }
            other => other,
        };
        self.machine = Some(next);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_id_gdbstub_refuses_does_not_end_the_stub() {
        let mut target = DebugTarget::new(None);
        let mut stub = StubDriver::new(&mut target).unwrap_or_else(|e| panic!("{e}"));
        // The session remembers every Hg it passes on, refused or not.
        stub.current_thread = Some("p0".to_string());
        let reply = stub.feed(&mut target, b"Hgp0");
        assert!(reply.is_ok(), "{reply:?}");
        assert!(stub.feed(&mut target, b"qAttached").is_ok());
    }
}
