//! Starting a program under PTRACE_SEIZE so that the first stop gdb sees is its
//! first instruction (the exec stop, in ld.so), as with gdbserver.
//!
//! The child waits on a pipe before exec; the parent seizes it (no SIGSTOP,
//! no PTRACE_TRACEME) and then releases it. The exec is reported as
//! PTRACE_EVENT_EXEC. A failed exec is reported on a close-on-exec pipe, so
//! the error names the real errno.
//!
//! With startup-with-shell (gdbserver's default) the child execs
//! `$SHELL -c "exec PROG ARGS"`, the arguments escaped as gdbserver escapes
//! them (so the program gets them as they were given); the shell's exec
//! (and a wrapper's) are passed over and the program is taken at its own.

use std::ffi::{CString, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::ptrace::wait::{self, PtraceEvent, WaitEvent, Waited};
use crate::ptrace::{self, Pid};

pub struct LaunchOptions {
    pub program: OsString,
    pub args: Vec<OsString>,
    pub disable_aslr: bool,
    /// stdio mode: the protocol owns our stdin/stdout, so the program gets
    /// /dev/null for stdin and our stderr for stdout.
    pub keep_protocol_fds: bool,
    /// Where the program's stdout and stderr go instead (a pipe the session
    /// forwards to gdb as console output), when set.
    pub output_fd: Option<i32>,
    /// The program's environment ("NAME=VALUE" each); None: ours.
    pub environment: Option<Vec<OsString>>,
    /// The directory it starts in; None: ours.
    pub working_dir: Option<OsString>,
    /// `--wrapper`: exec these words with the program and its arguments
    /// after them; the wrapper's own exec is passed over, the program is
    /// taken at the next one (the wrapper must exec it).
    pub wrapper: Vec<OsString>,
    /// startup-with-shell: the shell that starts the program, if any.
    pub shell: Option<OsString>,
}

/// The shell startup-with-shell uses: `$SHELL`, else /bin/sh.
pub fn startup_shell() -> OsString {
    std::env::var_os("SHELL")
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| OsString::from("/bin/sh"))
}

/// A program named without a directory that exists in our working
/// directory is taken from there (as gdbserver does), not from $PATH.
pub fn program_path(program: &OsString) -> OsString {
    let path = Path::new(program);
    if program.as_bytes().contains(&b'/') || !path.is_file() {
        return program.clone();
    }
    match std::env::current_dir() {
        Ok(dir) => dir.join(path).into_os_string(),
        Err(_) => program.clone(),
    }
}

/// The characters a POSIX shell gives a meaning to, escaped in arguments.
const SHELL_SPECIAL: &[u8] = b"\"!#$&*()\\|[]{}<>?'`~^; \t";

/// One argument as the shell must see it to pass it on unchanged:
/// specials escaped with a backslash, a newline quoted, an empty argument
/// as `''` (gdbserver's construct_inferior_arguments).
fn shell_escape(arg: &[u8], out: &mut Vec<u8>) {
    if arg.is_empty() {
        out.extend_from_slice(b"''");
        return;
    }
    for &b in arg {
        match b {
            b'\n' => out.extend_from_slice(b"'\n'"),
            b if SHELL_SPECIAL.contains(&b) => out.extend_from_slice(&[b'\\', b]),
            b => out.push(b),
        }
    }
}

/// `exec [WRAPPER] PROG ARGS` for `$SHELL -c`. The wrapper's words go as
/// they are (the user quotes them, as with gdbserver).
fn shell_command(wrapper: &[OsString], program: &OsString, args: &[OsString]) -> Vec<u8> {
    let mut command = b"exec ".to_vec();
    for word in wrapper {
        command.extend_from_slice(word.as_bytes());
        command.push(b' ');
    }
    shell_escape(program.as_bytes(), &mut command);
    for arg in args {
        command.push(b' ');
        shell_escape(arg.as_bytes(), &mut command);
    }
    command
}

/// What failed in the child before it became the program, as it tells the
/// parent through the error pipe (one tag byte, then the errno).
const FAILED_EXEC: u8 = 0;
const FAILED_CHDIR: u8 = 1;

/// Find the program the way execvp would, so errors can be named before fork.
pub fn resolve_program(program: &OsString) -> Result<PathBuf> {
    let path = Path::new(program);
    let candidates: Vec<PathBuf> = if program.as_bytes().contains(&b'/') {
        vec![path.to_path_buf()]
    } else {
        std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).map(|d| d.join(path)).collect())
            .unwrap_or_default()
    };
    let mut last_err = std::io::Error::from_raw_os_error(libc::ENOENT);
    for candidate in candidates {
        match std::fs::metadata(&candidate) {
            Ok(meta) if meta.is_dir() => last_err = std::io::Error::from_raw_os_error(libc::EACCES),
            Ok(_) => {
                let c = CString::new(candidate.as_os_str().as_bytes())?;
                // SAFETY: access(2) on a valid NUL-terminated path.
                if unsafe { libc::access(c.as_ptr(), libc::X_OK) } == 0 {
                    return Ok(candidate);
                }
                last_err = std::io::Error::last_os_error();
            }
            Err(e) => last_err = e,
        }
    }
    bail!("Cannot exec {}: {}.", path.display(), strerror(&last_err))
}

fn strerror(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        // SAFETY: strerror returns a static string for any errno.
        Some(n) => unsafe { std::ffi::CStr::from_ptr(libc::strerror(n)) }
            .to_string_lossy()
            .into_owned(),
        None => e.to_string(),
    }
}

fn pipe_cloexec() -> Result<(i32, i32)> {
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 writes two fds into the array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error()).context("pipe2");
    }
    Ok((fds[0], fds[1]))
}

/// Fork, seize and exec the program; returns its pid, stopped at the exec stop.
pub fn launch(opts: &LaunchOptions) -> Result<Pid> {
    let path = PathBuf::from(&opts.program);
    // What the child execs, and how many execs come before the program's.
    let (exec_path, words, execs_before) = match &opts.shell {
        Some(shell) => {
            // A path is checked here, so its error is one clear line; a
            // bare name is the shell's to look up in $PATH (and to report).
            if opts.program.as_bytes().contains(&b'/') {
                resolve_program(&opts.program)?;
            }
            let command = shell_command(&opts.wrapper, &opts.program, &opts.args);
            let words = vec![shell.clone(), "-c".into(), OsString::from_vec(command)];
            (
                resolve_program(shell)?,
                words,
                1 + usize::from(!opts.wrapper.is_empty()),
            )
        }
        None => {
            let path = resolve_program(&opts.program)?;
            let exec_path = match opts.wrapper.first() {
                Some(wrapper) => resolve_program(wrapper)?,
                None => path,
            };
            let words = opts.wrapper.iter().chain([&opts.program]).chain(&opts.args);
            (
                exec_path,
                words.cloned().collect(),
                usize::from(!opts.wrapper.is_empty()),
            )
        }
    };
    let c_path =
        CString::new(exec_path.as_os_str().as_bytes()).context("program name has a NUL byte")?;
    let mut c_args = Vec::new();
    for word in &words {
        c_args.push(CString::new(word.as_bytes()).context("argument has a NUL byte")?);
    }
    let mut argv: Vec<*const libc::c_char> = c_args.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let devnull = CString::new("/dev/null")?;
    // Everything the child needs is made here: after fork it may not allocate.
    let c_env = match &opts.environment {
        Some(vars) => Some(
            vars.iter()
                .map(|v| CString::new(v.as_bytes()))
                .collect::<Result<Vec<_>, _>>()
                .context("environment entry has a NUL byte")?,
        ),
        None => None,
    };
    let envp: Option<Vec<*const libc::c_char>> = c_env.as_ref().map(|vars| {
        let mut envp: Vec<_> = vars.iter().map(|v| v.as_ptr()).collect();
        envp.push(std::ptr::null());
        envp
    });
    let c_cwd = match &opts.working_dir {
        Some(dir) => Some(CString::new(dir.as_bytes()).context("directory name has a NUL byte")?),
        None => None,
    };

    let (release_r, release_w) = pipe_cloexec()?;
    let (err_r, err_w) = pipe_cloexec()?;

    // SAFETY: rgdbserver is single-threaded, so the child may run ordinary
    // code; it still only makes async-signal-safe calls before exec.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(std::io::Error::last_os_error()).context("fork");
    }
    if pid == 0 {
        // SAFETY: child side, async-signal-safe calls only, ends in exec or _exit.
        unsafe {
            // Our copies of the parent's ends, or EOF would never come.
            libc::close(release_w);
            libc::close(err_r);
            let exec = ExecParts {
                path: &c_path,
                argv: &argv,
                envp: envp.as_deref(),
                cwd: c_cwd.as_ref(),
                devnull: &devnull,
            };
            child_exec(&opts_child(opts), release_r, err_w, &exec)
        }
    }
    // SAFETY: closing our copies of the child's pipe ends.
    unsafe {
        libc::close(release_r);
        libc::close(err_w);
    }
    let pid = Pid::new(pid);
    let seized = ptrace::seize(pid.leader(), ptrace::STARTUP_OPTIONS);
    // SAFETY: closing the write end releases the child (it reads EOF).
    unsafe { libc::close(release_w) };
    if let Err(e) = seized {
        wait::kill_and_reap(pid);
        // SAFETY: closing our own pipe end.
        unsafe { libc::close(err_r) };
        bail!("Cannot trace the new process {pid}: {e}");
    }
    let mut outcome = wait_for_exec(pid);
    for _ in 0..execs_before {
        if outcome.is_err() {
            break;
        }
        // That was the shell's or the wrapper's exec: let it run to the next.
        outcome = ptrace::cont(pid.leader(), 0)
            .context("PTRACE_CONT after the shell's or wrapper's exec")
            .and_then(|()| wait_for_exec(pid));
    }
    if outcome.is_ok() {
        // The program itself now: every event of it is ours.
        if let Err(e) = ptrace::set_options(pid.leader(), ptrace::LAUNCH_OPTIONS) {
            wait::kill_and_reap(pid);
            outcome = Err(e).context("PTRACE_SETOPTIONS after the program's exec");
        }
    }
    let mut failure = [0u8; 5];
    // SAFETY: reading at most 5 bytes into a local buffer.
    let n = unsafe { libc::read(err_r, failure.as_mut_ptr().cast(), 5) };
    // SAFETY: closing our fd.
    unsafe { libc::close(err_r) };
    match outcome {
        Ok(()) => {
            // Stopped before its first instruction: the terminal is its
            // before it runs. Not with gdb on our stdin and stdout.
            if !opts.keep_protocol_fds {
                crate::terminal::hand_to(pid.raw());
            }
            Ok(pid)
        }
        Err(e) => {
            if n == 5 {
                let errno = i32::from_ne_bytes([failure[1], failure[2], failure[3], failure[4]]);
                let err = std::io::Error::from_raw_os_error(errno);
                if failure[0] == FAILED_CHDIR {
                    // gdbserver's words for it.
                    let dir = opts.working_dir.clone().unwrap_or_default();
                    bail!("{}: {}", Path::new(&dir).display(), strerror(&err));
                }
                bail!("Cannot exec {}: {}.", path.display(), strerror(&err));
            }
            Err(e)
        }
    }
}

struct ChildOpts {
    disable_aslr: bool,
    keep_protocol_fds: bool,
    output_fd: Option<i32>,
}

fn opts_child(o: &LaunchOptions) -> ChildOpts {
    ChildOpts {
        disable_aslr: o.disable_aslr,
        keep_protocol_fds: o.keep_protocol_fds,
        output_fd: o.output_fd,
    }
}

/// What the child execs, all made before fork (the child may not allocate).
struct ExecParts<'a> {
    path: &'a CString,
    argv: &'a [*const libc::c_char],
    envp: Option<&'a [*const libc::c_char]>,
    cwd: Option<&'a CString>,
    devnull: &'a CString,
}

unsafe fn child_exec(o: &ChildOpts, release_r: i32, err_w: i32, exec: &ExecParts) -> ! {
    // Its own process group, as gdbserver does, so a ^C typed at our terminal
    // is not delivered to it behind gdb's back.
    libc::setpgid(0, 0);
    if o.disable_aslr {
        let current = libc::personality(0xffff_ffff);
        if current != -1 {
            libc::personality(
                (current as libc::c_ulong | libc::ADDR_NO_RANDOMIZE as libc::c_ulong) as _,
            );
        }
    }
    // Undo what the server changed for itself: blocked SIGCHLD, ignored SIGPIPE.
    let mut set: libc::sigset_t = std::mem::zeroed();
    libc::sigemptyset(&mut set);
    libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
    libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    if o.keep_protocol_fds {
        let fd = libc::open(exec.devnull.as_ptr(), libc::O_RDONLY);
        if fd >= 0 {
            libc::dup2(fd, 0);
            libc::close(fd);
        }
        libc::dup2(2, 1);
    }
    if let Some(fd) = o.output_fd {
        libc::dup2(fd, 1);
        libc::dup2(fd, 2);
        libc::close(fd);
    }
    // Wait until the parent has seized us.
    let mut byte = 0u8;
    while libc::read(release_r, (&mut byte as *mut u8).cast(), 1) < 0 {}
    if let Some(dir) = exec.cwd {
        if libc::chdir(dir.as_ptr()) != 0 {
            report_failure(err_w, FAILED_CHDIR);
        }
    }
    match exec.envp {
        Some(envp) => libc::execve(exec.path.as_ptr(), exec.argv.as_ptr(), envp.as_ptr()),
        None => libc::execv(exec.path.as_ptr(), exec.argv.as_ptr()),
    };
    report_failure(err_w, FAILED_EXEC)
}

/// Child side: tell the parent what failed (tag, errno) and die.
unsafe fn report_failure(err_w: i32, what: u8) -> ! {
    let errno = (*libc::__errno_location()).to_ne_bytes();
    let message = [what, errno[0], errno[1], errno[2], errno[3]];
    libc::write(err_w, message.as_ptr().cast(), message.len());
    libc::_exit(127);
}

/// Wait for the child's exec stop; pass on anything else it gets before.
fn wait_for_exec(pid: Pid) -> Result<()> {
    let leader = pid.leader();
    loop {
        match wait::block_on(leader).context("waitpid on the new process")? {
            Waited::Event(_, WaitEvent::Event(PtraceEvent::Exec)) => return Ok(()),
            // gdbserver's words for both.
            Waited::Event(_, WaitEvent::Exited { code }) => {
                bail!("During startup program exited with code {code}.")
            }
            Waited::Event(_, WaitEvent::Killed { signal, .. }) => {
                bail!("During startup program terminated with signal {signal}.")
            }
            Waited::Event(_, WaitEvent::SignalStop { signal }) => {
                ptrace::cont(leader, signal).context("PTRACE_CONT before exec")?
            }
            Waited::Event(_, WaitEvent::GroupStop { .. }) | Waited::Event(_, _) => {
                ptrace::cont(leader, 0).context("PTRACE_CONT before exec")?
            }
            Waited::Nothing => {}
            Waited::NoChildren => bail!("the new process vanished before exec"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(program: &str, args: &[&str]) -> String {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        String::from_utf8(shell_command(&[], &program.into(), &args)).unwrap_or_default()
    }

    #[test]
    fn arguments_reach_the_program_as_given() {
        assert_eq!(
            command("/bin/prog", &["a b", "*.c", "$HOME"]),
            r"exec /bin/prog a\ b \*.c \$HOME"
        );
        assert_eq!(
            command("/p", &["", "q'x", "l1\nl2"]),
            "exec /p '' q\\'x l1'\n'l2"
        );
    }

    #[test]
    fn the_wrapper_goes_as_written() {
        let wrapper = [OsString::from("env"), OsString::from("FOO=1")];
        let cmd = shell_command(&wrapper, &"/p".into(), &[]);
        assert_eq!(cmd, b"exec env FOO=1 /p".to_vec());
    }

    #[test]
    fn the_shell_passes_every_argument_unchanged() {
        let args = [
            "a b", "*", "$HOME", "", "q'x\"y", "l1\nl2", "`id`", "~", "x;y|z&",
        ];
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let mut script = shell_command(&[], &"printf".into(), &[]);
        script.extend_from_slice(b" '[%s]\\n'");
        for arg in &args {
            script.push(b' ');
            shell_escape(arg.as_bytes(), &mut script);
        }
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(OsString::from_vec(script))
            .output()
            .unwrap_or_else(|e| panic!("sh: {e}"));
        let expected: String = args
            .iter()
            .map(|a| format!("[{}]\n", a.to_string_lossy()))
            .collect();
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    }
}
