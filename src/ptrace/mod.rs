//! The only module that calls ptrace(2). Every request is made from the tracer
//! thread (the kernel accepts requests only from the thread that attached).
//!
//! Errors are typed: ESRCH becomes [`PtraceError::Gone`] because a thread can die
//! (or be SIGKILLed from outside) between any two requests, and callers must
//! treat that as an event, never as a crash.

pub mod wait;

use std::fmt;

pub use crate::ids::{Pid, Tid};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PtraceError {
    /// ESRCH: the thread is gone or not in a ptrace-stop.
    Gone,
    /// Any other errno, with the request that failed.
    Os { request: &'static str, errno: i32 },
}

impl fmt::Display for PtraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PtraceError::Gone => write!(f, "thread is gone (ESRCH)"),
            PtraceError::Os { request, errno } => write!(
                f,
                "{request} failed: {}",
                std::io::Error::from_raw_os_error(*errno)
            ),
        }
    }
}

impl std::error::Error for PtraceError {}

pub type PtraceResult<T> = Result<T, PtraceError>;

/// Options every traced thread gets: new threads, forks, exec and exit are
/// reported, and syscall stops are distinguishable.
pub const TRACE_OPTIONS: libc::c_int = libc::PTRACE_O_TRACECLONE
    | libc::PTRACE_O_TRACEFORK
    | libc::PTRACE_O_TRACEVFORK
    | libc::PTRACE_O_TRACEVFORKDONE
    | libc::PTRACE_O_TRACEEXEC
    | libc::PTRACE_O_TRACEEXIT
    | libc::PTRACE_O_TRACESYSGOOD;

/// For a program we started: it also dies with us, so a crashed server
/// leaves no stopped orphan. Never for an attached process: it belongs to
/// someone else and must survive us.
pub const LAUNCH_OPTIONS: libc::c_int = TRACE_OPTIONS | libc::PTRACE_O_EXITKILL;

/// While a launched program is still the startup shell or a wrapper: only
/// its execs are ours. What the shell forks (a `$(tty)` in its startup
/// file) must run untraced, or it would sit stopped and the shell with it.
pub const STARTUP_OPTIONS: libc::c_int =
    libc::PTRACE_O_TRACEEXEC | libc::PTRACE_O_TRACESYSGOOD | libc::PTRACE_O_EXITKILL;

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn request(
    name: &'static str,
    req: libc::c_uint,
    tid: Tid,
    addr: usize,
    data: usize,
) -> PtraceResult<libc::c_long> {
    // SAFETY: ptrace with integer/pointer arguments; pointer arguments are
    // provided by the typed wrappers below and point to live, sized buffers.
    let rc = unsafe {
        libc::ptrace(
            req,
            tid.raw(),
            addr as *mut libc::c_void,
            data as *mut libc::c_void,
        )
    };
    log::trace!("ptrace({name}, {tid}, {addr:#x}, {data:#x}) = {rc}");
    if rc == -1 {
        match errno() {
            0 => Ok(rc), // PEEK* may legitimately return -1
            libc::ESRCH => Err(PtraceError::Gone),
            e => Err(PtraceError::Os {
                request: name,
                errno: e,
            }),
        }
    } else {
        Ok(rc)
    }
}

/// PTRACE_SEIZE: trace without stopping and without sending SIGSTOP.
pub fn seize(tid: Tid, options: libc::c_int) -> PtraceResult<()> {
    request("PTRACE_SEIZE", libc::PTRACE_SEIZE, tid, 0, options as usize).map(drop)
}

/// PTRACE_SETOPTIONS on a stopped thread.
pub fn set_options(tid: Tid, options: libc::c_int) -> PtraceResult<()> {
    request(
        "PTRACE_SETOPTIONS",
        libc::PTRACE_SETOPTIONS,
        tid,
        0,
        options as usize,
    )
    .map(drop)
}

/// PTRACE_INTERRUPT: the thread reports PTRACE_EVENT_STOP (SIGTRAP) soon.
pub fn interrupt(tid: Tid) -> PtraceResult<()> {
    request("PTRACE_INTERRUPT", libc::PTRACE_INTERRUPT, tid, 0, 0).map(drop)
}

/// Queue `signal` for one thread of `pid` (tgkill): how a signal reaches a
/// thread that is not in a signal-delivery stop, where a restart request
/// would drop it.
pub fn queue_signal(pid: Pid, tid: Tid, signal: i32) -> PtraceResult<()> {
    // SAFETY: tgkill(2) with integer arguments.
    let rc = unsafe { libc::syscall(libc::SYS_tgkill, pid.raw(), tid.raw(), signal) };
    log::trace!("tgkill({pid}, {tid}, {signal}) = {rc}");
    match rc {
        0 => Ok(()),
        _ => match errno() {
            libc::ESRCH => Err(PtraceError::Gone),
            e => Err(PtraceError::Os {
                request: "tgkill",
                errno: e,
            }),
        },
    }
}

/// Restart a stopped thread, delivering `signal` (0 for none).
pub fn cont(tid: Tid, signal: i32) -> PtraceResult<()> {
    request("PTRACE_CONT", libc::PTRACE_CONT, tid, 0, signal as usize).map(drop)
}

/// Restart for one instruction.
pub fn step(tid: Tid, signal: i32) -> PtraceResult<()> {
    request(
        "PTRACE_SINGLESTEP",
        libc::PTRACE_SINGLESTEP,
        tid,
        0,
        signal as usize,
    )
    .map(drop)
}

/// PTRACE_LISTEN: leave a group-stopped thread stopped, but let the next
/// SIGCONT (or PTRACE_INTERRUPT) wake it. nix has no wrapper for it.
pub fn listen(tid: Tid) -> PtraceResult<()> {
    request("PTRACE_LISTEN", libc::PTRACE_LISTEN, tid, 0, 0).map(drop)
}

pub fn detach(tid: Tid, signal: i32) -> PtraceResult<()> {
    request(
        "PTRACE_DETACH",
        libc::PTRACE_DETACH,
        tid,
        0,
        signal as usize,
    )
    .map(drop)
}

/// The message of the last ptrace event (new tid for clone, exit status for exit).
pub fn event_msg(tid: Tid) -> PtraceResult<u64> {
    let mut msg: libc::c_ulong = 0;
    request(
        "PTRACE_GETEVENTMSG",
        libc::PTRACE_GETEVENTMSG,
        tid,
        0,
        &mut msg as *mut _ as usize,
    )?;
    Ok(msg as u64)
}

pub fn siginfo(tid: Tid) -> PtraceResult<libc::siginfo_t> {
    // SAFETY: siginfo_t is plain old data; all-zero is a valid value.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    request(
        "PTRACE_GETSIGINFO",
        libc::PTRACE_GETSIGINFO,
        tid,
        0,
        &mut info as *mut _ as usize,
    )?;
    Ok(info)
}

/// Restart a stopped thread until its next syscall entry or exit.
pub fn syscall(tid: Tid, signal: i32) -> PtraceResult<()> {
    request(
        "PTRACE_SYSCALL",
        libc::PTRACE_SYSCALL,
        tid,
        0,
        signal as usize,
    )
    .map(drop)
}

/// What a syscall stop is (PTRACE_GET_SYSCALL_INFO, Linux 5.3+): stateless,
/// so it stays right when catching starts while a thread is inside a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyscallStopInfo {
    Entry { number: u64 },
    Exit { value: i64 },
    Other,
}

/// struct ptrace_syscall_info, with the union as raw words.
#[repr(C)]
struct RawSyscallInfo {
    op: u8,
    _reserved: u8,
    _flags: u16,
    _arch: u32,
    _instruction_pointer: u64,
    _stack_pointer: u64,
    data: [u64; 8],
}

pub fn syscall_info(tid: Tid) -> PtraceResult<SyscallStopInfo> {
    let mut info = RawSyscallInfo {
        op: 0,
        _reserved: 0,
        _flags: 0,
        _arch: 0,
        _instruction_pointer: 0,
        _stack_pointer: 0,
        data: [0; 8],
    };
    request(
        "PTRACE_GET_SYSCALL_INFO",
        libc::PTRACE_GET_SYSCALL_INFO,
        tid,
        std::mem::size_of::<RawSyscallInfo>(),
        &mut info as *mut _ as usize,
    )?;
    Ok(match info.op {
        libc::PTRACE_SYSCALL_INFO_ENTRY => SyscallStopInfo::Entry {
            number: info.data[0],
        },
        libc::PTRACE_SYSCALL_INFO_EXIT => SyscallStopInfo::Exit {
            value: info.data[0] as i64,
        },
        _ => SyscallStopInfo::Other,
    })
}

/// Read a word of the USER area (where x86 keeps its debug registers).
#[cfg(target_arch = "x86_64")]
pub fn peek_user(tid: Tid, offset: usize) -> PtraceResult<u64> {
    request("PTRACE_PEEKUSER", libc::PTRACE_PEEKUSER, tid, offset, 0).map(|v| v as u64)
}

#[cfg(target_arch = "x86_64")]
pub fn poke_user(tid: Tid, offset: usize, value: u64) -> PtraceResult<()> {
    request(
        "PTRACE_POKEUSER",
        libc::PTRACE_POKEUSER,
        tid,
        offset,
        value as usize,
    )
    .map(drop)
}

pub fn set_siginfo(tid: Tid, info: &libc::siginfo_t) -> PtraceResult<()> {
    request(
        "PTRACE_SETSIGINFO",
        libc::PTRACE_SETSIGINFO,
        tid,
        0,
        info as *const _ as usize,
    )
    .map(drop)
}

/// One register set, named by its ELF note type (NT_PRSTATUS for the
/// general registers, the architecture's own for the others): fills `buf`,
/// returns how many bytes the kernel wrote.
pub fn regset(tid: Tid, note_type: u32, buf: &mut [u8]) -> PtraceResult<usize> {
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    request(
        "PTRACE_GETREGSET",
        libc::PTRACE_GETREGSET,
        tid,
        note_type as usize,
        &mut iov as *mut _ as usize,
    )?;
    Ok(iov.iov_len)
}

pub fn set_regset(tid: Tid, note_type: u32, buf: &[u8]) -> PtraceResult<()> {
    let mut iov = libc::iovec {
        iov_base: buf.as_ptr() as *mut _,
        iov_len: buf.len(),
    };
    request(
        "PTRACE_SETREGSET",
        libc::PTRACE_SETREGSET,
        tid,
        note_type as usize,
        &mut iov as *mut _ as usize,
    )
    .map(drop)
}

/// PTRACE_GET_THREAD_AREA: the base address of one of the thread's TLS
/// descriptors in the GDT (what a 32-bit x86 program's %gs selects).
#[cfg(target_arch = "x86_64")]
pub fn thread_area(tid: Tid, entry: u32) -> PtraceResult<u32> {
    /// `struct user_desc` (asm/ldt.h): entry_number, base_addr, limit,
    /// then a word of flag bits.
    #[repr(C)]
    #[derive(Default)]
    struct UserDesc {
        entry_number: u32,
        base_addr: u32,
        limit: u32,
        flags: u32,
    }
    const PTRACE_GET_THREAD_AREA: libc::c_uint = 25;
    let mut desc = UserDesc::default();
    request(
        "PTRACE_GET_THREAD_AREA",
        PTRACE_GET_THREAD_AREA,
        tid,
        entry as usize,
        &mut desc as *mut UserDesc as usize,
    )?;
    Ok(desc.base_addr)
}

/// PTRACE_GETREGS: the general registers in the tracer's own layout
/// (PTRACE_GETREGSET would answer a tracee of another mode, a 32-bit x86
/// program, in that mode's layout). The architecture names the structure.
///
/// # Safety
/// `T` must be the kernel's general-register structure for this request
/// (the kernel writes exactly its size into `regs`), plain old data.
#[cfg(target_arch = "x86_64")]
pub unsafe fn get_regs<T>(tid: Tid, regs: &mut T) -> PtraceResult<()> {
    request(
        "PTRACE_GETREGS",
        libc::PTRACE_GETREGS,
        tid,
        0,
        regs as *mut T as usize,
    )
    .map(drop)
}

/// PTRACE_SETREGS: the counterpart of [`get_regs`].
///
/// # Safety
/// As for [`get_regs`]: the kernel reads the structure's size from `regs`.
#[cfg(target_arch = "x86_64")]
pub unsafe fn set_regs<T>(tid: Tid, regs: &T) -> PtraceResult<()> {
    request(
        "PTRACE_SETREGS",
        libc::PTRACE_SETREGS,
        tid,
        0,
        regs as *const T as usize,
    )
    .map(drop)
}
