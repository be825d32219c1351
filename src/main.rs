//! rgdbserver: parse the command line, set up logging, start the program, serve
//! gdb connections, and turn how the session ended into gdbserver's messages
//! and exit code.

mod agent_expr;
mod cli;
mod gdbstub_glue;
mod host_fs;
mod ids;
mod linux;
mod logging;
mod osdata;
mod proc_status;
mod process;
mod ptrace;
mod rsp;
mod session;
mod terminal;
mod termination;
mod tracer;

#[cfg(test)]
mod fuzz_tests;

use std::net::TcpListener;
use std::process::ExitCode;

use anyhow::{Context, Result};

use cli::{Cli, Comm, Mode};

use gdbstub_glue::DebugTarget;
use process::attach::attach;
use process::launch::launch;
use process::Process;
use session::child_events::ChildEvents;
use session::program_output::ProgramOutput;
use session::transport::Transport;
use session::{announce_exit, RunConfig, Session, SessionEnd};
use std::os::fd::AsRawFd;

fn main() -> ExitCode {
    let cli = match Cli::parse_args() {
        Ok(cli) => cli,
        Err(e) => {
            say!("{}", e.trim_end());
            return ExitCode::from(1);
        }
    };
    if cli.help {
        print!("{}", cli::HELP);
        return ExitCode::SUCCESS;
    }
    if cli.version {
        print!("{}", cli::version_text());
        return ExitCode::SUCCESS;
    }
    logging::init(cli.debug, cli.remote_debug, cli.event_loop_debug);
    if let Some(format) = &cli.debug_format {
        if let Err(e) = logging::set_debug_format(format) {
            say!("{e}");
            return ExitCode::from(1);
        }
    }
    if let Some(path) = &cli.debug_file {
        if let Err(e) = logging::set_debug_file(path) {
            say!("rgdbserver: cannot open debug file {}: {e}", path.display());
            return ExitCode::from(1);
        }
    }
    if cli.selftest {
        say!("Selftests have been disabled for this build.");
        return ExitCode::SUCCESS;
    }
    let result = run(&cli);
    terminal::take_back();
    match result {
        Ok(code) => code,
        // A termination signal broke a wait: `run` has cleaned up already.
        Err(_) if termination::requested().is_some() => {
            termination::die_of(termination::requested().unwrap_or(libc::SIGTERM))
        }
        Err(e) => {
            say!("rgdbserver: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: &Cli) -> Result<ExitCode> {
    let (comm, mode) = cli.comm_and_mode()?;
    // A write to a closed connection must be an error, not death by SIGPIPE.
    // SAFETY: setting a signal disposition.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    raise_fd_limit();
    let children = ChildEvents::new().context("cannot set up child notifications")?;
    termination::install().context("cannot set up signal handlers")?;

    // Bind first: a busy port must fail before anything is started.
    let listener = match &comm {
        Comm::Tcp(addr) => {
            let listener =
                TcpListener::bind(addr).with_context(|| format!("Can't bind address {addr}"))?;
            let bound = listener.local_addr().unwrap_or(*addr);
            if !bound.ip().is_loopback() {
                // The protocol runs any code on this machine for whoever
                // connects: say so once, as `:PORT` keeps gdbserver's meaning.
                say!(
                    "Warning: listening on {bound}, reachable from the network: whoever connects \
                     can run code as this user. Use 127.0.0.1:PORT and ssh -L to debug remotely."
                );
            }
            Some(listener)
        }
        Comm::Stdio => None,
    };

    let mut config = RunConfig {
        multi: cli.multi,
        disable_aslr: cli.disable_aslr(),
        stdio: comm == Comm::Stdio,
        forward_output: comm == Comm::Stdio && !cli.debug && !cli.remote_debug,
        disabled: rsp::DisabledPackets::parse(&cli.disable_packet).map_err(anyhow::Error::msg)?,
        program: None,
        args: Vec::new(),
        environment_changes: Vec::new(),
        working_dir: None,
        wrapper: cli.wrapper.clone(),
        startup_with_shell: !cli.no_startup_with_shell,
        spin: session::spin::worthwhile(cli.no_spin),
    };
    let mut program_output = None;
    let inferior = match mode {
        Mode::Attach { pid } => {
            let inferior = attach(pid)?;
            say!("Attached; pid = {pid}");
            Some(inferior)
        }
        Mode::Launch { program, args } => {
            config.program = Some(program.clone());
            config.args = args.clone();
            let (output, output_fd) = match config.forward_output {
                true => {
                    let (output, fd) = ProgramOutput::new().context("output pipe")?;
                    (Some(output), Some(fd))
                }
                false => (None, None),
            };
            if comm == Comm::Stdio {
                say!("stdin/stdout redirected");
            }
            let started = start(&config, output_fd.as_ref().map(|fd| fd.as_raw_fd()));
            let inferior = match started {
                Ok(inferior) => inferior,
                Err(e) => {
                    // What the shell said about it, then gdbserver's words.
                    drop(output_fd);
                    if let Some(said) = output.and_then(|mut o| o.take()) {
                        let _ = std::io::Write::write_all(&mut std::io::stderr(), &said);
                    }
                    say!("{e:#}");
                    say!("Exiting");
                    return Ok(ExitCode::from(1));
                }
            };
            // Only the program keeps the write end.
            drop(output_fd);
            program_output = output;
            Some(inferior)
        }
        Mode::Multi => None,
    };
    let mut target = DebugTarget::new(inferior);
    target.program_output = program_output;
    let result = serve(cli, listener.as_ref(), &mut target, &children, &mut config);
    if result.is_err() {
        // Leave nothing stopped behind: kill what we started, release
        // what we attached to.
        let _ = leave_inferior(&mut target);
    }
    result
}

/// Wait for gdb's connection; None when a termination signal comes first.
fn accept_unless_terminated(
    listener: &TcpListener,
) -> Result<Option<(std::net::TcpStream, std::net::SocketAddr)>> {
    loop {
        if termination::requested().is_some() {
            return Ok(None);
        }
        let mut pollfd = libc::pollfd {
            fd: listener.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll on one pollfd of ours; EINTR (our signal handler
        // ran) is looked at above.
        if unsafe { libc::poll(&mut pollfd, 1, -1) } > 0 {
            return listener.accept().map(Some).context("accept");
        }
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EINTR) {
            return Err(err).context("poll for a connection");
        }
    }
}

/// A termination signal: leave the programs as `monitor exit` would, then
/// die of the signal.
fn terminated(target: &mut DebugTarget) -> Result<ExitCode> {
    let signal = termination::requested().unwrap_or(libc::SIGTERM);
    say!(
        "Terminated by {}: killing the programs we started, releasing the ones we attached to",
        rgdbserver_arch::signals::name(signal)
    );
    leave_inferior(target)?;
    termination::die_of(signal)
}

/// stdio mode: gdb reads our stderr pipe once per byte it receives until
/// the pipe reaches EOF; close it (to /dev/null) once the startup messages
/// are out. The program's output reaches gdb as console output instead.
fn quiet_stderr() {
    // SAFETY: open and dup2 over our own fd 2.
    unsafe {
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if null >= 0 {
            libc::dup2(null, 2);
            libc::close(null);
        }
    }
}

/// The server is going away: a program it started dies with it, one it
/// attached to is left running.
fn leave_inferior(target: &mut DebugTarget) -> Result<()> {
    target.tracer.release_all()
}

/// Launch the program and take it as our inferior, stopped at its first
/// instruction.
fn start(config: &RunConfig, output_fd: Option<i32>) -> Result<Process> {
    let options = config
        .launch_options(output_fd)
        .context("No program specified")?;
    let pid = launch(&options)?;
    say!(
        "Process {} created; pid = {pid}",
        options.program.to_string_lossy()
    );
    // Our own child: on failure kill and reap it so nothing is left behind.
    Process::launched(pid).inspect_err(|_| ptrace::wait::kill_and_reap(pid))
}

/// Every traced thread keeps its name file open (see `Thread::comm`): allow
/// as many descriptors as the hard limit permits.
fn raise_fd_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: get/setrlimit on a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

fn serve(
    cli: &Cli,
    listener: Option<&TcpListener>,
    target: &mut DebugTarget,
    children: &ChildEvents,
    config: &mut RunConfig,
) -> Result<ExitCode> {
    loop {
        let transport = match listener {
            Some(listener) => {
                say!("Listening on port {}", listener.local_addr()?.port());
                let Some((stream, peer)) = accept_unless_terminated(listener)? else {
                    return terminated(target);
                };
                say!(
                    "Remote debugging from host {}, port {}",
                    peer.ip(),
                    peer.port()
                );
                Transport::tcp(stream).context("socket setup")?
            }
            None => {
                say!("Remote debugging using stdio");
                if config.forward_output {
                    quiet_stderr();
                }
                Transport::stdio()
            }
        };
        let end = Session::new(transport, target, children, config)?.run()?;
        match end {
            SessionEnd::ProcessExited(exit) => {
                announce_exit(exit);
                leave_inferior(target)?;
                return Ok(ExitCode::SUCCESS);
            }
            SessionEnd::Killed | SessionEnd::ServerExit | SessionEnd::Detached => {
                // Fork children gdb still held go as their parents would.
                leave_inferior(target)?;
                return Ok(ExitCode::SUCCESS);
            }
            SessionEnd::Terminated(_) => return terminated(target),
            SessionEnd::ConnectionClosed => {
                if cli.once || listener.is_none() {
                    leave_inferior(target)?;
                    return Ok(ExitCode::SUCCESS);
                }
                say!(
                    "Remote side has terminated connection.  GDBserver will reopen the connection."
                );
            }
        }
    }
}
