//! One traced process and the policies around it (all-stop here and in
//! `control`, non-stop in `non_stop`): its threads, their pending events,
//! memory and breakpoints, registers, and its lifecycle. The tracer
//! (`crate::tracer`) holds every process and routes wait statuses to them;
//! a process's own waiting loops take only its threads' statuses and defer
//! the rest.
//!
//! Invariants (while gdb talks to a stopped program, "all-stop"; in
//! non-stop mode they hold per thread gdb believes stopped):
//! - every thread is `Stopped` or about to report (we wait for it in stop-all);
//! - an event noticed for a thread that was not reported stays in
//!   `Thread::pending` and is reported before that thread runs again;
//! - `exit` is set only from the leader's final wait status, which the kernel
//!   delivers after every other thread is gone.

pub mod attach;
mod conditions;
pub use conditions::BreakpointType;
mod control;
mod elf_words;
mod events;
pub mod launch;
pub mod memory;
mod memory_search;
mod non_stop;
mod queued_traps;
mod registers;
pub mod solibs;
pub mod thread;
mod tls;
mod watchpoints;

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use rgdbserver_arch::TargetDescription;

use crate::linux::{ArchHooks, Native, NativeHwDebug, ThreadRegisters};
use crate::ptrace::{self, Pid, Tid};
use crate::rsp::qxfer::ThreadEntry;
pub use control::{Report, ResumeOutcome};
use memory::{Breakpoints, Memory};
pub use thread::{ResumeAction, RunState, StopEvent, Thread};

/// How the whole process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessExit {
    Exited(i32),
    Killed(i32),
}

pub struct Process {
    pub pid: Pid,
    pub threads: BTreeMap<Tid, Thread>,
    memory: Memory,
    breakpoints: Breakpoints,
    pub desc: TargetDescription,
    /// Set from the leader's final wait status (`set_exit`).
    pub exit: Option<ProcessExit>,
    /// When the exit was seen, among all processes: exits are reported in
    /// the order they happened (a child's before the parent that waited
    /// for it).
    pub exit_order: u64,
    /// True when we attached to it, false when we launched it.
    pub attached: bool,
    /// The thread of the last stop we reported (gdb's current thread then).
    pub last_reported: Tid,
    /// True while stop-all is draining: internal events leave threads stopped.
    pub(super) stopping: bool,
    /// First stops of new threads not known yet (their clone event is late).
    early_stops: BTreeSet<Tid>,
    /// Children this process forked (pid, is_vfork) since the tracer last
    /// looked: the tracer holds them as processes of their own or lets
    /// them go (see `crate::tracer`).
    pub(crate) new_children: Vec<(Pid, bool)>,
    /// A resume found a thread gone (ESRCH): drain waitpid fully.
    missed_exit: bool,
    /// State for choosing among threads with events.
    random_state: u64,
    /// A fatal signal reached it (a thread was killed, or the leader left
    /// with one): every thread is going, and the process's exit will be
    /// reported.
    pub(super) dying: bool,
    /// Signals gdb lets through silently (QPassSignals), by gdb's number: a
    /// Linux signal is looked up by its gdb number, as gdbserver does (Linux
    /// 29 is gdb's SIGIO, whatever gdb says of SIGPOLL).
    pass_signals: [bool; 256],
    /// gdb takes fork events (it offered fork-events+).
    pub report_forks: bool,
    /// gdb knows of this process. A fork child is not known until its
    /// parent's fork event has been reported: until then it stays stopped
    /// whatever gdb resumes, and is listed nowhere (gdb would take it for
    /// a process of its own).
    pub announced: bool,
    /// The process whose fork (or vfork) made this one.
    pub forked_from: Option<Pid>,
    /// gdb asked to hear of thread exits (`QThreadEvents:1`; it does while
    /// it stops all threads of a non-stop target, so that a thread that
    /// exits instead of stopping does not keep it waiting).
    pub report_thread_exits: bool,
    /// Threads gone since the last report, with their exit codes.
    pub(crate) exited_threads: Vec<(Tid, i32)>,
    /// Hardware breakpoints and watchpoints (the architecture's debug
    /// registers).
    debug_registers: NativeHwDebug,
    /// `catch syscall`: None = not catching (threads run with PTRACE_CONT);
    /// Some(empty) = every syscall; Some(set) = those numbers.
    catch_syscalls: Option<BTreeSet<u64>>,
    /// Target-side conditions of software breakpoints, by address: a hit
    /// is reported only when one of them holds.
    conditions: BTreeMap<(BreakpointType, u64), Vec<crate::agent_expr::AgentExpr>>,
    /// vfork children held for gdb that still share this memory: removed
    /// breakpoints must leave it at once (the child may run while this
    /// process stays stopped).
    vforks_in_flight: u32,
    /// Where the program's `struct r_debug` is, once ld.so has filled in
    /// DT_DEBUG; it stays there until an exec. Found by walking program
    /// headers and the dynamic section (dozens of reads), and wanted at
    /// every shared-library event.
    r_debug: Option<u64>,
    /// Where the program headers are and how many (AT_PHDR, AT_PHNUM):
    /// fixed until an exec.
    program_headers: Option<(u64, u64)>,
    /// TLS module ids of link maps, while no thread has run (see `tls`).
    tls_module_ids: tls::TlsModuleIds,
}

impl Process {
    /// The inferior for a program we launched, stopped at its exec stop.
    pub fn launched(pid: Pid) -> Result<Process> {
        let leader = pid.leader();
        let mut inferior = Process::from_threads(pid, vec![(leader, RunState::Stopped)], false)?;
        inferior.describe_registers()?;
        Ok(inferior)
    }

    /// Work out the register set (target description) from a stopped thread.
    pub fn describe_registers(&mut self) -> Result<()> {
        let tid = if self.has_thread(self.pid.leader()) {
            self.pid.leader()
        } else {
            *self.threads.keys().next().context("no thread left")?
        };
        self.desc = registers::describe(tid).context("cannot read the registers of the program")?;
        Ok(())
    }

    /// Bookkeeping for a traced process; the register description is a
    /// placeholder until `describe_registers` runs on a stopped thread.
    pub fn from_threads(
        pid: Pid,
        threads: Vec<(Tid, RunState)>,
        attached: bool,
    ) -> Result<Process> {
        let memory = Memory::open(pid)?;
        let desc = registers::placeholder();
        let threads = threads
            .into_iter()
            .map(|(tid, state)| (tid, Thread::new(tid, state)))
            .collect();
        Ok(Process {
            pid,
            threads,
            memory,
            breakpoints: Breakpoints::default(),
            desc,
            exit: None,
            exit_order: 0,
            attached,
            last_reported: pid.leader(),
            stopping: false,
            early_stops: BTreeSet::new(),
            new_children: Vec::new(),
            missed_exit: false,
            random_state: 0x9e37_79b9_7f4a_7c15 ^ (pid.raw() as u64),
            dying: false,
            pass_signals: [false; 256],
            catch_syscalls: None,
            conditions: BTreeMap::new(),
            vforks_in_flight: 0,
            r_debug: None,
            program_headers: None,
            tls_module_ids: Default::default(),
            debug_registers: Default::default(),
            report_forks: false,
            report_thread_exits: false,
            announced: true,
            forked_from: None,
            exited_threads: Vec::new(),
        })
    }

    /// A child `parent` just forked, stopped at its first stop: one thread,
    /// the one that forked; gdb's settings and the register description
    /// carried over. A fork child's memory is a copy of the parent's, with
    /// our breakpoint bytes in it, so it starts with the parent's table;
    /// a vfork child shares the parent's memory, whose breakpoints stay the
    /// parent's. The kernel does not copy debug registers; gdb believes
    /// the child has the parent's (as gdbserver arranges), so the child
    /// gets them on its first resume.
    pub fn forked(child: Pid, parent: &Process, is_vfork: bool) -> Result<Process> {
        let leader = child.leader();
        let mut process =
            Process::from_threads(child, vec![(leader, RunState::Stopped)], parent.attached)?;
        process.desc = parent.desc.clone();
        if !is_vfork {
            process.breakpoints = parent.breakpoints.clone();
            process.conditions = parent.conditions.clone();
        }
        process.debug_registers = parent.debug_registers.clone();
        process.pass_signals = parent.pass_signals;
        process.catch_syscalls = parent.catch_syscalls.clone();
        process.report_forks = parent.report_forks;
        process.report_thread_exits = parent.report_thread_exits;
        process.announced = false;
        process.forked_from = Some(parent.pid);
        Ok(process)
    }

    /// A status of `tid` is this process's business: one of its threads,
    /// its leader (whose final status comes after its threads are gone), or
    /// a new thread whose clone event has not come yet.
    pub fn owns(&self, tid: Tid) -> bool {
        tid == self.pid.leader()
            || self.threads.contains_key(&tid)
            || crate::ptrace::wait::thread_group_of(tid) == Some(self.pid)
    }

    /// The process is gone: note how, and when among all processes.
    pub(crate) fn set_exit(&mut self, how: ProcessExit) {
        if self.exit.is_none() {
            self.exit_order = crate::ptrace::wait::exit_number(self.pid.leader());
        }
        self.exit = Some(how);
    }

    pub fn is_alive(&self) -> bool {
        self.exit.is_none()
    }

    /// Live threads in tid order (a zombie leader is hidden: it has no thread
    /// entry once it reported its exit... until then it is listed as gdbserver does).
    pub fn thread_ids(&self) -> impl Iterator<Item = Tid> + '_ {
        self.threads.keys().copied()
    }

    /// Every live thread with its name (/proc/PID/task/TID/comm), for
    /// `info threads`.
    /// Each thread's name and `pthread_t` for gdb's thread list.
    pub fn thread_entries(&mut self) -> Vec<ThreadEntry> {
        let pid = self.pid;
        let desc = &self.desc;
        self.threads
            .values_mut()
            .map(|thread| {
                // glibc's pthread_t is the thread pointer, which a thread
                // sets once: read while it is stopped, kept from then on.
                if thread.handle.is_none() && thread.state == RunState::Stopped {
                    thread.handle = thread
                        .regs
                        .thread_pointer(desc, thread.tid)
                        .ok()
                        .and_then(|tp| Native::thread_handle(desc, tp));
                }
                if thread.comm.is_none() {
                    thread.comm =
                        std::fs::File::open(format!("/proc/{pid}/task/{}/comm", thread.tid)).ok();
                }
                let mut buf = [0u8; 64];
                let name = thread
                    .comm
                    .as_ref()
                    .and_then(|f| std::os::unix::fs::FileExt::read_at(f, &mut buf, 0).ok())
                    .map(|n| {
                        String::from_utf8_lossy(&buf[..n])
                            .trim_end_matches('\n')
                            .to_string()
                    });
                ThreadEntry {
                    pid,
                    tid: thread.tid,
                    name,
                    handle: thread.handle,
                    handle_size: desc.address_size,
                }
            })
            .collect()
    }

    /// The raw siginfo of the signal a stopped thread is reporting, in
    /// the kernel's native layout.
    fn native_siginfo(tid: Tid) -> Result<Vec<u8>> {
        let info = ptrace::siginfo(tid)?;
        let size = std::mem::size_of::<libc::siginfo_t>();
        // SAFETY: siginfo_t is plain old data of `size` bytes.
        let bytes = unsafe {
            std::slice::from_raw_parts((&info as *const libc::siginfo_t).cast::<u8>(), size)
        };
        Ok(bytes.to_vec())
    }

    /// The siginfo of the signal a stopped thread is reporting
    /// (`$_siginfo` in gdb), in the program's layout.
    pub fn siginfo(&self, tid: Tid) -> Result<Vec<u8>> {
        Ok(Native::siginfo_to_gdb(
            &self.desc,
            &Self::native_siginfo(tid)?,
        ))
    }

    /// Overwrite part of the siginfo the thread will receive when resumed.
    pub fn write_siginfo(&self, tid: Tid, offset: usize, data: &[u8]) -> Result<usize> {
        let mut native = Self::native_siginfo(tid)?;
        let mut bytes = Native::siginfo_to_gdb(&self.desc, &native);
        let end = offset
            .checked_add(data.len())
            .filter(|&e| e <= bytes.len())
            .context("siginfo write out of range")?;
        bytes[offset..end].copy_from_slice(data);
        Native::siginfo_from_gdb(&self.desc, &bytes, &mut native);
        // SAFETY: `native` holds exactly one siginfo_t; read it unaligned.
        let info: libc::siginfo_t = unsafe { std::ptr::read_unaligned(native.as_ptr().cast()) };
        ptrace::set_siginfo(tid, &info)?;
        Ok(data.len())
    }

    pub fn has_thread(&self, tid: Tid) -> bool {
        self.threads.contains_key(&tid)
    }

    // ---- memory ---------------------------------------------------------

    pub fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        self.memory.read(&mut self.breakpoints, addr, buf)
    }

    pub fn write_memory(&mut self, addr: u64, data: &[u8]) -> std::io::Result<()> {
        self.memory.write(
            &mut self.breakpoints,
            addr,
            data,
            registers::BREAKPOINT_INSN,
        )
    }

    pub fn insert_breakpoint(&mut self, addr: u64) -> std::io::Result<()> {
        self.memory
            .insert_breakpoint(&mut self.breakpoints, addr, registers::BREAKPOINT_INSN)
    }

    /// gdb's z0. While every thread is stopped, the instruction lingers
    /// in memory until one runs: gdb removes and re-inserts every
    /// breakpoint at each stop, and the pair then costs nothing.
    pub fn remove_breakpoint(&mut self, addr: u64) -> std::io::Result<bool> {
        self.conditions.remove(&(BreakpointType::Software, addr));
        let linger = self.vforks_in_flight == 0
            && self.threads.values().all(|t| t.state == RunState::Stopped);
        self.memory
            .remove_breakpoint(&mut self.breakpoints, addr, linger)
    }

    /// Before any thread of the process runs: the breakpoints gdb removed
    /// leave memory.
    pub(super) fn restore_lingering_breakpoints(&mut self) {
        if self.breakpoints.any_lingering() {
            self.memory.restore_lingering(&mut self.breakpoints);
        }
    }

    pub(crate) fn breakpoint_originals(&self) -> Vec<(u64, Vec<u8>)> {
        self.breakpoints.originals()
    }

    /// The running program's path (what gdb needs after an exec).
    pub fn exec_path(&self) -> Option<String> {
        std::fs::read_link(format!("/proc/{}/exe", self.pid))
            .ok()
            .map(|p| p.to_string_lossy().into_owned())
    }

    /// QPassSignals: the signals (gdb numbers) to deliver without telling gdb.
    pub fn set_pass_signals(&mut self, gdb_signals: &[u8]) {
        self.pass_signals = [false; 256];
        for &s in gdb_signals {
            self.pass_signals[s as usize] = true;
        }
    }

    /// QCatchSyscalls: `None` stops catching; `Some(empty)` catches all.
    pub fn set_catch_syscalls(&mut self, catch: Option<BTreeSet<u64>>) {
        self.catch_syscalls = catch;
    }

    fn catches(&self, event: StopEvent) -> bool {
        let number = match event {
            StopEvent::SyscallEntry { number } | StopEvent::SyscallReturn { number } => number,
            _ => return false,
        };
        match &self.catch_syscalls {
            Some(set) => set.is_empty() || set.contains(&number),
            None => false,
        }
    }

    fn passes(&self, signal: i32) -> bool {
        // Never pass blindly a signal a breakpoint may have raised: SIGTRAP
        // (ours, or a step), and SIGSEGV and SIGILL (a breakpoint gdb put
        // where it cannot execute, as its inferior calls' return address on
        // the stack: gdb catches that signal whatever `handle` says), as
        // gdbserver never does.
        !matches!(signal, libc::SIGTRAP | libc::SIGSEGV | libc::SIGILL)
            && self.pass_signals[rgdbserver_arch::signals::gdb_from_linux(signal) as usize]
    }

    pub fn has_breakpoint(&self, addr: u64) -> bool {
        self.breakpoints.contains(addr)
    }

    fn thread_mut(&mut self, tid: Tid) -> Result<&mut Thread> {
        self.threads
            .get_mut(&tid)
            .with_context(|| format!("no thread {tid}"))
    }
}
