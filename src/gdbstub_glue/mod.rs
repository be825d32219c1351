//! gdbstub glue only: `impl Target` and its extension traits for the process we
//! debug. Converts between gdbstub's types and ours, then calls the tracer
//! and its processes.
//!
//! Errors an input can cause (bad address, gone thread) are non-fatal
//! (`E` replies); a fatal error would end gdbstub's state machine.

pub mod arch;
mod base;
mod breakpoints;
mod extended;
mod files;

use gdbstub::common::{Pid as GdbPid, Tid as GdbTid};
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::Target;

use crate::process::Process;
use crate::ptrace::{Pid, Tid};
use crate::tracer::Tracer;
use arch::LinuxTarget;

/// Session-wide target state shared with the packet layer.
pub struct DebugTarget {
    pub tracer: Tracer,
    /// The process gdb's general thread (`Hg`) belongs to: memory,
    /// breakpoints and files are about it.
    pub general_pid: Option<Pid>,
    /// Set by gdbstub's resume: whether threads without an action continue.
    pub others_continue: bool,
    /// The process a wildcard continue is limited to (`vCont;c:pPID.-1`,
    /// which gdbstub reads as every thread): set by the packet layer.
    pub continue_scope: Option<Pid>,
    /// The last resume actually started threads (false: a pending event is
    /// to be reported at once).
    pub resumed: bool,
    /// Files gdb opened with vFile:open, by the number we gave it.
    pub host_files: std::collections::BTreeMap<u32, std::fs::File>,
    pub next_host_fd: u32,
    /// Whose filesystem vFile paths name (`vFile:setfs`).
    pub host_fs: crate::host_fs::HostFs,
    /// The launched program's output, forwarded to gdb (stdio mode).
    pub program_output: Option<crate::session::program_output::ProgramOutput>,
}

impl DebugTarget {
    /// The process gdb works on: that of its general thread, else that of
    /// the last stop.
    pub fn selected(&self) -> Option<&Process> {
        self.general_pid
            .and_then(|pid| self.tracer.get(pid))
            .or_else(|| self.tracer.current())
    }

    pub fn selected_mut(&mut self) -> Option<&mut Process> {
        let pid = self.selected()?.pid;
        self.tracer.get_mut(pid)
    }

    pub fn new(process: Option<Process>) -> DebugTarget {
        DebugTarget {
            tracer: Tracer::new(process),
            general_pid: None,
            others_continue: true,
            continue_scope: None,
            resumed: false,
            host_files: Default::default(),
            next_host_fd: 3,
            host_fs: Default::default(),
            program_output: None,
        }
    }
}

pub fn to_gdb_tid(tid: Tid) -> Option<GdbTid> {
    GdbTid::new(usize::try_from(tid.raw()).ok()?)
}

/// gdbstub's thread id as ours; one beyond any kernel tid (PID_MAX_LIMIT
/// is 2^22) becomes one no thread has.
pub fn from_gdb_tid(tid: GdbTid) -> Tid {
    Tid::new(i32::try_from(tid.get()).unwrap_or(i32::MAX))
}

pub fn to_gdb_pid(pid: Pid) -> Option<GdbPid> {
    GdbPid::new(usize::try_from(pid.raw()).ok()?)
}

impl Target for DebugTarget {
    type Arch = LinuxTarget;
    type Error = anyhow::Error;

    fn base_ops(&mut self) -> BaseOps<'_, Self::Arch, Self::Error> {
        BaseOps::MultiThread(self)
    }

    fn guard_rail_implicit_sw_breakpoints(&self) -> bool {
        true
    }

    fn use_rle(&self) -> bool {
        false
    }

    // Forks are handled inside the server (the child is released with our
    // breakpoints removed); gdb is not told, so it must not expect them.
    fn use_fork_stop_reason(&self) -> bool {
        false
    }

    fn use_vfork_stop_reason(&self) -> bool {
        false
    }

    fn use_vforkdone_stop_reason(&self) -> bool {
        false
    }

    fn support_breakpoints(
        &mut self,
    ) -> Option<gdbstub::target::ext::breakpoints::BreakpointsOps<'_, Self>> {
        Some(self)
    }

    fn support_target_description_xml_override(
        &mut self,
    ) -> Option<
        gdbstub::target::ext::target_description_xml_override::TargetDescriptionXmlOverrideOps<
            '_,
            Self,
        >,
    > {
        Some(self)
    }

    fn support_extended_mode(
        &mut self,
    ) -> Option<gdbstub::target::ext::extended_mode::ExtendedModeOps<'_, Self>> {
        Some(self)
    }

    fn support_exec_file(
        &mut self,
    ) -> Option<gdbstub::target::ext::exec_file::ExecFileOps<'_, Self>> {
        Some(self)
    }

    fn support_auxv(&mut self) -> Option<gdbstub::target::ext::auxv::AuxvOps<'_, Self>> {
        Some(self)
    }

    fn support_host_io(&mut self) -> Option<gdbstub::target::ext::host_io::HostIoOps<'_, Self>> {
        Some(self)
    }
}
