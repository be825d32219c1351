//! The GNU gdbserver command line:
//!
//! ```text
//! rgdbserver [OPTIONS] COMM PROG [ARGS...]
//! rgdbserver [OPTIONS] --attach COMM PID
//! rgdbserver [OPTIONS] --multi COMM
//! ```
//! COMM is `HOST:PORT`, `:PORT`, `PORT`, or `-`/`stdio` for stdin/stdout.
//! Everything after PROG belongs to the program, options included.

use std::ffi::OsString;
use std::net::{SocketAddr, ToSocketAddrs};

use anyhow::{anyhow, bail, Result};
use clap::Parser;

use crate::ptrace::Pid;

/// `--help`, laid out as gdbserver's, listing every option this server takes.
pub const HELP: &str = "\
Usage:\trgdbserver [OPTIONS] COMM PROG [ARGS ...]
\trgdbserver [OPTIONS] --attach COMM PID
\trgdbserver [OPTIONS] --multi COMM

COMM may be HOST:PORT to listen for a TCP connection (:PORT, PORT and
[IPV6]:PORT too; a listener on a non-loopback address is reachable from the
network), or '-' or 'stdio' to use stdin/stdout of rgdbserver.
PROG is the executable program.  ARGS are arguments passed to inferior.
PID is the process ID to attach to, when --attach is specified.

Operating modes:

  --attach              Attach to running process PID.
  --multi               Start server without a specific program, and
                        only quit when explicitly commanded.
  --once                Exit after the first connection has closed.
  --help                Print this message and then exit.
  --version             Display version information and exit.

Other options:

  --wrapper WRAPPER --  Run WRAPPER to start new programs.
  --disable-randomization
                        Run PROG with address space randomization disabled.
  --no-disable-randomization
                        Don't disable address space randomization when
                        starting PROG.
  --startup-with-shell
                        Start PROG using a shell.  I.e., execs a shell that
                        then execs PROG.  (default)
  --no-startup-with-shell
                        Exec PROG directly instead of using a shell.
                        Disables argument globbing and variable substitution
                        on UNIX-like systems.
  --no-spin             Never stay awake waiting for gdb or the program:
                        sleep at once (saves CPU, costs latency).

Debug options:

  --debug               Enable general debugging output.
  --debug-format=OPT1[,OPT2,...]
                        Specify extra content in debugging output.
                          Options:
                            all
                            none
                            timestamp
  --debug-file=FILE     Write debugging output to FILE instead of stderr.
  --remote-debug        Enable remote protocol debugging output.
  --event-loop-debug    Enable event loop debugging output.
  --disable-packet=OPT1[,OPT2,...]
                        Disable support for RSP packets or features.
                          Options:
                            vCont, T, Tthread, qC, qfThreadInfo and
                            threads (disable all threading packets).
  --selftest            Run the built-in unit tests (this build has none:
                        they run with `cargo test`).
";

/// `--version`, in gdbserver's shape.
pub fn version_text() -> String {
    format!(
        "rgdbserver {}\n\
         Licensed under the MIT license or the Apache License 2.0, at your option.\n\
         This rgdbserver was configured as \"{}-linux-gnu\"\n",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH
    )
}

#[derive(Parser, Debug)]
#[command(
    name = "rgdbserver",
    disable_help_flag = true,
    disable_version_flag = true,
    override_usage = "rgdbserver [OPTIONS] COMM PROG [ARGS ...]\n       rgdbserver [OPTIONS] --attach COMM PID\n       rgdbserver [OPTIONS] --multi COMM"
)]
pub struct Cli {
    /// Print the usage and options, then exit.
    #[arg(long)]
    pub help: bool,
    /// Print the version, then exit.
    #[arg(long)]
    pub version: bool,
    /// Attach to the running process PID instead of starting a program.
    #[arg(long)]
    pub attach: bool,
    /// Serve `target extended-remote`: gdb's run, attach, kill and detach,
    /// several processes on one connection; the server outlives them.
    #[arg(long)]
    pub multi: bool,
    /// Start the program through WRAPPER (e.g. `env FOO=1`), which must
    /// exec it; gdb takes over once it does. The list ends with `--`.
    #[arg(
        long,
        num_args = 1..,
        value_terminator = "--",
        allow_hyphen_values = true,
        value_name = "WRAPPER"
    )]
    pub wrapper: Vec<OsString>,
    /// Exit after the first connection closes.
    #[arg(long)]
    pub once: bool,
    /// Log server events to stderr.
    #[arg(long)]
    pub debug: bool,
    /// Log every packet to stderr.
    #[arg(long = "remote-debug")]
    pub remote_debug: bool,
    /// Log the server's wake-ups (connection, child events, program output).
    #[arg(long = "event-loop-debug")]
    pub event_loop_debug: bool,
    /// Extra content in the logs: all, none, timestamp.
    #[arg(
        long = "debug-format",
        require_equals = true,
        value_name = "OPT1[,OPT2,...]"
    )]
    pub debug_format: Option<String>,
    /// Write the logs to FILE instead of stderr.
    #[arg(long = "debug-file", require_equals = true, value_name = "FILE")]
    pub debug_file: Option<std::path::PathBuf>,
    /// Run the program with address space randomization disabled (default).
    #[arg(
        long = "disable-randomization",
        overrides_with = "no_disable_randomization"
    )]
    pub disable_randomization: bool,
    /// Keep address space randomization on.
    #[arg(long = "no-disable-randomization")]
    pub no_disable_randomization: bool,
    /// Disable packets, for testing gdb's fallbacks: any of vCont, T,
    /// Tthread (no thread in stop replies), qC, qfThreadInfo, threads.
    #[arg(long = "disable-packet", value_delimiter = ',', value_name = "PACKETS")]
    pub disable_packet: Vec<String>,
    /// gdbserver's built-in unit tests; ours run with `cargo test`, so this
    /// build has none (and says so, as a gdbserver built without them).
    #[arg(long)]
    pub selftest: bool,
    /// Start PROG through `$SHELL -c exec PROG ARGS` (the default).
    #[arg(long = "startup-with-shell", overrides_with = "no_startup_with_shell")]
    pub startup_with_shell: bool,
    /// Exec PROG directly: no globbing or variable substitution in ARGS.
    #[arg(long = "no-startup-with-shell")]
    pub no_startup_with_shell: bool,
    /// Sleep at once instead of spinning briefly for gdb's next packet or
    /// the program's next stop (see session/spin.rs).
    #[arg(long = "no-spin")]
    pub no_spin: bool,
    /// COMM, then the program and its arguments (or the PID with --attach).
    #[arg(
        required_unless_present_any = ["selftest", "help", "version"],
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMM PROG ARGS"
    )]
    pub rest: Vec<OsString>,
}

/// Where to talk to gdb.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comm {
    Stdio,
    Tcp(SocketAddr),
}

pub fn parse_comm(text: &str) -> Result<Comm> {
    if text == "-" || text == "stdio" {
        return Ok(Comm::Stdio);
    }
    let text = text.strip_prefix("tcp:").unwrap_or(text);
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) => (host, port),
        None => ("", text),
    };
    let port: u16 = port
        .parse()
        .map_err(|_| anyhow!("Bad COMM argument {text:?}: expected HOST:PORT, :PORT or - (stdio); serial devices are not supported"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = if host.is_empty() { "0.0.0.0" } else { host };
    // gdbserver's words, which GDB's testsuite waits for.
    let unresolved = |reason: String| anyhow!("{text}: cannot resolve name: {reason}");
    let addr = (host, port)
        .to_socket_addrs()
        .map_err(|e| {
            let reason = e.to_string();
            let reason = reason.strip_prefix("failed to lookup address information: ");
            unresolved(reason.unwrap_or("Name or service not known").to_string())
        })?
        .next()
        .ok_or_else(|| unresolved("no address".to_string()))?;
    Ok(Comm::Tcp(addr))
}

/// What to debug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Launch {
        program: OsString,
        args: Vec<OsString>,
    },
    Attach {
        pid: Pid,
    },
    Multi,
}

impl Cli {
    /// Parse the command line; an option given wrongly (`--debug=all`,
    /// `--debug-file` without `=FILE`) is refused by name, as gdbserver
    /// refuses it, rather than with clap's usage text.
    pub fn parse_args() -> Result<Cli, String> {
        Cli::try_parse().map_err(|e| {
            use clap::error::{ContextKind, ContextValue};
            match e.get(ContextKind::InvalidArg) {
                Some(ContextValue::String(arg)) => {
                    let name = arg.split(['=', ' ']).next().unwrap_or(arg);
                    let given = std::env::args_os()
                        .skip(1)
                        .map(|a| a.to_string_lossy().into_owned())
                        .find(|a| a.starts_with(name));
                    format!("Unknown argument: {}", given.as_deref().unwrap_or(arg))
                }
                _ => e.to_string(),
            }
        })
    }

    pub fn comm_and_mode(&self) -> Result<(Comm, Mode)> {
        let Some((comm, rest)) = self.rest.split_first() else {
            bail!("No COMM given (try --help)");
        };
        let comm = comm.to_string_lossy();
        // An option we do not know lands here, before COMM.
        if comm.starts_with("--") {
            bail!("Unknown argument: {comm}");
        }
        let comm = parse_comm(&comm)?;
        // `--attach` used to come after COMM; gdbserver still accepts it there.
        let (attach, rest) = match rest.split_first() {
            Some((flag, after)) if flag == "--attach" => (true, after),
            _ => (self.attach, rest),
        };
        let mode = if attach {
            let pid = rest
                .first()
                .ok_or_else(|| anyhow!("--attach needs a PID"))?;
            let pid: i32 = pid
                .to_string_lossy()
                .parse()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| anyhow!("Bad process ID: {}", pid.to_string_lossy()))?;
            Mode::Attach { pid: Pid::new(pid) }
        } else if let Some((program, args)) = rest.split_first() {
            Mode::Launch {
                program: program.clone(),
                args: args.to_vec(),
            }
        } else if self.multi {
            Mode::Multi
        } else {
            bail!("No program specified");
        };
        Ok((comm, mode))
    }

    pub fn disable_aslr(&self) -> bool {
        !self.no_disable_randomization
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_comm_forms() {
        assert_eq!(parse_comm("-").ok(), Some(Comm::Stdio));
        assert_eq!(
            parse_comm(":1234").ok(),
            Some(Comm::Tcp(
                "0.0.0.0:1234".parse().unwrap_or_else(|_| unreachable!())
            ))
        );
        assert_eq!(
            parse_comm("127.0.0.1:0").ok(),
            Some(Comm::Tcp(
                "127.0.0.1:0".parse().unwrap_or_else(|_| unreachable!())
            ))
        );
        assert!(parse_comm("notaport").is_err());
        assert!(parse_comm(":99999").is_err());
    }

    #[test]
    fn attach_may_follow_comm() {
        let cli = Cli::parse_from(["rgdbserver", "--once", ":0", "--attach", "42"]);
        let (_, mode) = cli.comm_and_mode().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mode, Mode::Attach { pid: Pid::new(42) });
    }

    #[test]
    fn program_arguments_keep_their_dashes() {
        let cli = Cli::parse_from(["rgdbserver", "--once", ":0", "./prog", "--flag", "-x"]);
        let (_, mode) = cli.comm_and_mode().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            mode,
            Mode::Launch {
                program: "./prog".into(),
                args: vec!["--flag".into(), "-x".into()]
            }
        );
        assert!(cli.once);
    }

    #[test]
    fn wrapper_words_end_at_the_double_dash() {
        let cli = Cli::parse_from([
            "rgdbserver",
            "--wrapper",
            "env",
            "-i",
            "FOO=1",
            "--",
            ":0",
            "./prog",
            "arg",
        ]);
        assert_eq!(cli.wrapper, vec!["env", "-i", "FOO=1"]);
        let (_, mode) = cli.comm_and_mode().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            mode,
            Mode::Launch {
                program: "./prog".into(),
                args: vec!["arg".into()]
            }
        );
    }

    #[test]
    fn an_unknown_option_is_named() {
        let cli = Cli::parse_from(["rgdbserver", "--frobnicate", ":0", "./prog"]);
        let err = cli.comm_and_mode().expect_err("unknown option accepted");
        assert_eq!(err.to_string(), "Unknown argument: --frobnicate");
    }
}
