//! Stop replies as gdbserver writes them: `T` with the signal in gdb's
//! numbering, expedited registers, `thread:pPID.TID`, the stop reason
//! (`swbreak:`), and `W`/`X` with `;process:PID` for a process exit.
//!
//! We write these ourselves because gdbstub 0.7 cannot express expedited
//! registers together with every reason we need.

use std::fmt::Write;

use rgdbserver_arch::signals::gdb_from_linux;

use super::thread_id;
use crate::process::{ProcessExit, StopEvent};
use crate::ptrace::{Pid, Tid};

/// Everything a `T` reply needs, gathered by the caller.
pub struct ThreadStop<'a> {
    pub pid: Pid,
    pub tid: Tid,
    pub event: StopEvent,
    /// (regnum, value) pairs.
    pub expedited: &'a [(usize, u64)],
    /// Bytes of each expedited register (the program's address size).
    pub register_size: usize,
    pub multiprocess: bool,
    /// The new program's path for an exec stop, when gdb accepts exec events.
    pub exec_path: Option<&'a str>,
}

/// The signal gdb is told for a stop event (gdb numbering).
pub fn gdb_signal(event: StopEvent) -> u8 {
    match event {
        StopEvent::SwBreakpoint { .. }
        | StopEvent::StepDone
        | StopEvent::Exec
        | StopEvent::SyscallEntry { .. }
        | StopEvent::SyscallReturn { .. }
        | StopEvent::HwBreakpoint
        | StopEvent::Fork { .. }
        | StopEvent::Vfork { .. }
        | StopEvent::VforkDone
        | StopEvent::Watch { .. } => gdb_from_linux(libc::SIGTRAP),
        StopEvent::Signal { signal } => gdb_from_linux(signal),
        StopEvent::Interrupted => gdb_from_linux(libc::SIGINT),
        StopEvent::Stopped => 0,
    }
}

pub fn thread_stop(stop: &ThreadStop<'_>) -> String {
    // One allocation: a stop reply with three expedited registers and a
    // thread id is about a hundred bytes.
    let mut s = String::with_capacity(160);
    let _ = write!(s, "T{:02x}", gdb_signal(stop.event));
    // An exec comes first: gdb reads registers that come after it with
    // the new program's description (a 64-bit program may exec a 32-bit
    // one), and skips them, as gdbserver's order has it.
    if let (StopEvent::Exec, Some(path)) = (stop.event, stop.exec_path) {
        s.push_str("exec:");
        super::hex::encode_into_string(path.as_bytes(), &mut s);
        s.push(';');
    }
    for (regnum, value) in stop.expedited {
        let _ = write!(s, "{regnum:02x}:");
        let bytes = value.to_le_bytes();
        super::hex::encode_into_string(&bytes[..stop.register_size.min(bytes.len())], &mut s);
        s.push(';');
    }
    let _ = write!(
        s,
        "thread:{};",
        thread_id::format(stop.pid, stop.tid, stop.multiprocess)
    );
    match (stop.event, stop.exec_path) {
        (StopEvent::SwBreakpoint { .. }, _) => s.push_str("swbreak:;"),
        (StopEvent::HwBreakpoint, _) => s.push_str("hwbreak:;"),
        (StopEvent::Fork { child }, _) => {
            let _ = write!(
                s,
                "fork:{};",
                thread_id::format(child, child.leader(), stop.multiprocess)
            );
        }
        (StopEvent::Vfork { child }, _) => {
            let _ = write!(
                s,
                "vfork:{};",
                thread_id::format(child, child.leader(), stop.multiprocess)
            );
        }
        (StopEvent::VforkDone, _) => s.push_str("vforkdone:;"),
        (StopEvent::Watch { kind, addr }, _) => {
            let name = match kind {
                rgdbserver_arch::HwKind::Access => "awatch",
                rgdbserver_arch::HwKind::Read => "rwatch",
                _ => "watch",
            };
            let _ = write!(s, "{name}:{addr:x};");
        }
        (StopEvent::SyscallEntry { number }, _) => {
            let _ = write!(s, "syscall_entry:{number:x};");
        }
        (StopEvent::SyscallReturn { number }, _) => {
            let _ = write!(s, "syscall_return:{number:x};");
        }
        _ => {}
    }
    s
}

/// `w` (QThreadEvents): one thread exited with `code`, the process lives on.
pub fn thread_exit(pid: Pid, tid: Tid, code: i32, multiprocess: bool) -> String {
    format!(
        "w{:x};{}",
        code & 0xff,
        thread_id::format(pid, tid, multiprocess)
    )
}

pub fn process_exit(pid: Pid, exit: ProcessExit, multiprocess: bool) -> String {
    let mut s = match exit {
        ProcessExit::Exited(code) => format!("W{:02x}", code & 0xff),
        ProcessExit::Killed(signal) => format!("X{:02x}", gdb_from_linux(signal)),
    };
    if multiprocess {
        let _ = write!(s, ";process:{pid:x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakpoint_reply_has_registers_thread_and_reason() {
        let regs = [(6, 0x10), (7, 0x7fff_0000), (16, 0x5555_5555_5143)];
        let s = thread_stop(&ThreadStop {
            pid: Pid::new(0x148c),
            tid: Tid::new(0x148d),
            event: StopEvent::SwBreakpoint {
                pc: 0x5555_5555_5143,
            },
            expedited: &regs,
            register_size: 8,
            multiprocess: true,
            exec_path: None,
        });
        assert_eq!(
            s,
            "T0506:1000000000000000;07:0000ff7f00000000;10:4351555555550000;thread:p148c.148d;swbreak:;"
        );
    }

    #[test]
    fn i386_registers_are_four_bytes() {
        let regs = [(5, 0xffff_d884), (4, 0xffff_d880), (8, 0x5655_619a)];
        let s = thread_stop(&ThreadStop {
            pid: Pid::new(0x10),
            tid: Tid::new(0x10),
            event: StopEvent::StepDone,
            expedited: &regs,
            register_size: 4,
            multiprocess: false,
            exec_path: None,
        });
        assert_eq!(s, "T0505:84d8ffff;04:80d8ffff;08:9a615556;thread:10;");
    }

    #[test]
    fn exec_reply_names_the_new_program() {
        let s = thread_stop(&ThreadStop {
            pid: Pid::new(0x10),
            tid: Tid::new(0x10),
            event: StopEvent::Exec,
            expedited: &[],
            register_size: 8,
            multiprocess: true,
            exec_path: Some("/bin/ls"),
        });
        assert_eq!(s, "T05exec:2f62696e2f6c73;thread:p10.10;");
    }

    #[test]
    fn signals_use_gdb_numbering() {
        // Linux SIGUSR1 is 10, gdb's is 30 (0x1e).
        assert_eq!(
            gdb_signal(StopEvent::Signal {
                signal: libc::SIGUSR1
            }),
            30
        );
        assert_eq!(gdb_signal(StopEvent::Interrupted), 2);
        assert_eq!(
            process_exit(Pid::new(0x10), ProcessExit::Exited(3), true),
            "W03;process:10"
        );
        assert_eq!(
            process_exit(Pid::new(0x10), ProcessExit::Killed(libc::SIGSEGV), false),
            "X0b"
        );
    }
}
