//! One traced thread: its run state, what gdb asked it to do, the event it
//! still owes gdb, and its register cache.
//!
//! Invariants: the `regs` cache holds values only while the thread is
//! `Stopped` (cleared on every resume); `pending` holds at most one reportable
//! event, which is reported before the thread runs again.

use crate::linux::{NativeRegisters, ThreadRegisters};
use crate::ptrace::{Pid, Tid};
use std::sync::atomic::{AtomicU64, Ordering};

/// Bumped whenever a thread of any process leaves a ptrace-stop: what was
/// read from a program's memory before may have changed since.
static RUN_EPOCH: AtomicU64 = AtomicU64::new(0);

/// The current run epoch (see `RUN_EPOCH`): equal readings mean no thread
/// ran in between.
pub fn run_epoch() -> u64 {
    RUN_EPOCH.load(Ordering::Relaxed)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// In a ptrace-stop: registers and memory may be read, requests may be made.
    Stopped,
    /// Running (or blocked in the kernel) under PTRACE_CONT/STEP/SYSCALL.
    Running,
    /// In a group stop that we left observable with PTRACE_LISTEN: it stays
    /// stopped for the program's job control, but from ptrace's point of view it
    /// is running and must be PTRACE_INTERRUPTed before any request.
    Listening,
}

/// What gdb asked a thread to do on the next resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResumeAction {
    Continue {
        signal: i32,
    },
    Step {
        signal: i32,
    },
    /// Step while the PC stays in [start, end) (gdb's `vCont;r`).
    RangeStep {
        start: u64,
        end: u64,
    },
}

impl ResumeAction {
    /// The signal to deliver as the thread resumes (0: none).
    pub fn signal(self) -> i32 {
        match self {
            ResumeAction::Continue { signal } | ResumeAction::Step { signal } => signal,
            ResumeAction::RangeStep { .. } => 0,
        }
    }
}

/// A reportable stop, as the inferior knows it (Linux signal numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopEvent {
    /// Hit our software breakpoint at `pc` (PC already rewound to it).
    SwBreakpoint {
        pc: u64,
    },
    /// Finished a single step (or left a stepping range).
    StepDone,
    /// A signal the program is about to receive (signal-delivery stop).
    Signal {
        signal: i32,
    },
    /// Stopped at gdb's request (Ctrl-C); reported as SIGINT.
    Interrupted,
    /// Stopped because gdb asked for this thread to stop (non-stop
    /// `vCont;t`); reported with no signal.
    Stopped,
    /// The process called exec; the new program is loaded (SIGTRAP for gdb).
    Exec,
    /// A caught syscall is entered (`catch syscall`).
    SyscallEntry {
        number: u64,
    },
    /// A caught syscall returns.
    SyscallReturn {
        number: u64,
    },
    /// The thread forked; the child is held stopped for gdb.
    Fork {
        child: Pid,
    },
    /// The thread vforked: the child (held for gdb) shares its memory until
    /// it execs or exits, which `VforkDone` reports.
    Vfork {
        child: Pid,
    },
    VforkDone,
    /// A hardware breakpoint (Z1) was reached.
    HwBreakpoint,
    /// A hardware watchpoint fired on `addr` (the watched piece).
    Watch {
        kind: rgdbserver_arch::HwKind,
        addr: u64,
    },
}

#[derive(Debug)]
pub struct Thread {
    pub tid: Tid,
    pub state: RunState,
    /// The action gdb gave it for the coming resume (`None`: stays stopped
    /// under scheduler locking, or continues under a wildcard).
    pub action: Option<ResumeAction>,
    /// gdb believes this thread is running: it was part of the last resume.
    /// Only such threads may report; the others keep their events pending.
    pub resumed: bool,
    /// What it was last resumed with, to classify the next SIGTRAP.
    pub last_action: Option<ResumeAction>,
    /// An event not reported yet; it is reported before the thread runs again.
    pub pending: Option<StopEvent>,
    /// A signal gdb asked us to deliver while an event was pending: delivered on
    /// the next real resume so it is not lost.
    pub deferred_signal: i32,
    /// In a group stop (SIGSTOP, SIGTSTP, ...): resumed with PTRACE_LISTEN so
    /// it stays stopped until SIGCONT.
    pub group_stop: bool,
    /// We sent PTRACE_INTERRUPT and its PTRACE_EVENT_STOP has not come yet.
    pub interrupt_sent: bool,
    /// Non-stop: gdb asked this thread to stop (`vCont;t`, `vCtrlC`); its
    /// next stop, whatever causes it, is reported, as this event if the
    /// stop is only our interrupt.
    pub stop_requested: Option<StopEvent>,
    /// The signal from its latest signal-delivery stop, if it is stopped in one
    /// and that signal has not been reported or passed.
    pub stop_signal: Option<i32>,
    /// It is stopped in a signal-delivery stop (a breakpoint's or a step's
    /// SIGTRAP included): only there does a restart deliver a signal; from
    /// an interrupt, event or syscall stop the kernel drops it.
    pub in_signal_stop: bool,
    /// A signal gdb's resume asked for that was queued with tgkill (the
    /// thread was in no signal-delivery stop): its delivery stop is gdb's
    /// request carried out, so it is delivered, not reported.
    pub queued_signal: Option<i32>,
    /// Its registers as read since it stopped.
    pub regs: NativeRegisters,
    /// /proc/PID/task/TID/comm kept open: re-reading the name for every
    /// thread list is then one pread, not open/read/close.
    pub comm: Option<std::fs::File>,
    /// The debug-register table generation this thread was given.
    pub debug_generation: u64,
    /// Its `pthread_t` (the thread pointer), once read.
    pub handle: Option<u64>,
}

impl Thread {
    pub fn new(tid: Tid, state: RunState) -> Thread {
        Thread {
            tid,
            state,
            action: None,
            resumed: false,
            last_action: None,
            pending: None,
            deferred_signal: 0,
            group_stop: false,
            interrupt_sent: false,
            stop_requested: None,
            stop_signal: None,
            in_signal_stop: false,
            queued_signal: None,
            regs: NativeRegisters::default(),
            comm: None,
            debug_generation: 0,
            handle: None,
        }
    }

    /// Forget cached registers: called whenever the thread leaves a ptrace-stop.
    pub fn invalidate_caches(&mut self) {
        self.regs.invalidate();
        RUN_EPOCH.fetch_add(1, Ordering::Relaxed);
    }

    pub fn is_stepping(&self) -> bool {
        matches!(
            self.last_action,
            Some(ResumeAction::Step { .. }) | Some(ResumeAction::RangeStep { .. })
        )
    }
}
