//! `monitor` commands (`qRcmd`), as gdbserver 13 has them: `help`,
//! `set debug`, `set debug-hw-points`, `set remote-debug`,
//! `set event-loop-debug` (each `0|1`), `set debug-format OPT,...` and
//! `exit` (the server quits after the reply, killing a program it started
//! and detaching from one it attached to), and the unlisted
//! `set libthread-db-search-path [PATH]`. Anything else prints gdbserver's
//! complaint and the help, and fails the packet (gdb: "Protocol error with
//! Rcmd").

use crate::logging;

const HELP: &str = "The following monitor commands are supported:
  set debug <0|1>
    Enable general debugging messages
  set debug-hw-points <0|1>
    Enable h/w breakpoint/watchpoint debugging messages
  set remote-debug <0|1>
    Enable remote protocol debugging messages
  set event-loop-debug <0|1>
    Enable event loop debugging messages
  set debug-format option1[,option2,...]
    Add additional information to debugging messages
    Options: all, none, timestamp
  exit
    Quit GDBserver
";

/// gdbserver's default libthread_db search path: the system's directories,
/// then the one libpthread was loaded from.
const DEFAULT_THREAD_DB_PATH: &str = "$sdir:$pdir";

/// What the monitor commands set that outlives one command.
#[derive(Debug)]
pub struct MonitorState {
    /// `set libthread-db-search-path`.
    pub thread_db_search_path: String,
}

impl Default for MonitorState {
    fn default() -> MonitorState {
        MonitorState {
            thread_db_search_path: DEFAULT_THREAD_DB_PATH.to_string(),
        }
    }
}

impl MonitorState {
    /// Would gdbserver find a libthread_db on the search path? We need none
    /// (TLS addresses come from the link map and the DTV), but a user who
    /// points the path where there is no libthread_db asks for gdbserver's
    /// behaviour without one: no qGetTLSAddr.
    pub fn thread_db_found(&self) -> bool {
        self.thread_db_search_path.split(':').any(|dir| match dir {
            "$sdir" | "$pdir" => true,
            dir => std::path::Path::new(dir).join("libthread_db.so.1").exists(),
        })
    }
}

/// What a monitor command printed and how it ended.
#[derive(Debug, PartialEq, Eq)]
pub struct MonitorReply {
    /// Console text for gdb.
    pub output: String,
    /// false: the packet fails (`E01`) after the output.
    pub ok: bool,
    /// `monitor exit`: the server quits after replying.
    pub exit: bool,
}

impl MonitorReply {
    fn said(output: impl Into<String>) -> MonitorReply {
        MonitorReply {
            output: output.into(),
            ok: true,
            exit: false,
        }
    }

    fn failed(output: impl Into<String>) -> MonitorReply {
        MonitorReply {
            output: output.into(),
            ok: false,
            exit: false,
        }
    }
}

/// A `set NAME 0|1` switch: its name, what it turns on, what it says.
type Switch = (&'static str, fn(bool), &'static str);

const SWITCHES: &[Switch] = &[
    ("debug", logging::set_debug, "Debug output"),
    (
        "remote-debug",
        logging::set_remote_debug,
        "Protocol debug output",
    ),
    (
        "debug-hw-points",
        logging::set_hw_points_debug,
        "H/W point debugging output",
    ),
    (
        "event-loop-debug",
        logging::set_event_loop_debug,
        "Event loop debug output",
    ),
];

/// Run one monitor command (the decoded text of `qRcmd`).
pub fn run(command: &str, state: &mut MonitorState) -> MonitorReply {
    let words: Vec<&str> = command.split_whitespace().collect();
    match words.as_slice() {
        ["exit"] => MonitorReply {
            output: String::new(),
            ok: true,
            exit: true,
        },
        ["help"] => MonitorReply::said(HELP),
        ["set", "libthread-db-search-path", path @ ..] => {
            state.thread_db_search_path = match path {
                [] => DEFAULT_THREAD_DB_PATH.to_string(),
                words => words.join(" "),
            };
            let path = &state.thread_db_search_path;
            MonitorReply::said(format!("libthread-db-search-path set to `{path}'\n"))
        }
        ["set", "debug-format", options] => match logging::set_debug_format(options) {
            Ok(lines) => {
                MonitorReply::said(lines.iter().map(|l| format!("{l}\n")).collect::<String>())
            }
            Err(e) => MonitorReply::failed(format!("{e}\n{HELP}")),
        },
        ["set", name, value @ ("0" | "1")] => match SWITCHES.iter().find(|(n, ..)| n == name) {
            Some((_, set, what)) => {
                let on = *value == "1";
                set(on);
                let state = if on { "enabled" } else { "disabled" };
                MonitorReply::said(format!("{what} {state}.\n"))
            }
            None => unknown(),
        },
        _ => unknown(),
    }
}

fn unknown() -> MonitorReply {
    MonitorReply::failed(format!("Unknown monitor command.\n\n{HELP}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_fresh(command: &str) -> MonitorReply {
        run(command, &mut MonitorState::default())
    }

    #[test]
    fn the_thread_db_path_is_gdbservers() {
        let mut state = MonitorState::default();
        assert!(state.thread_db_found());
        let reply = run("set libthread-db-search-path /nonexistent", &mut state);
        assert_eq!(
            reply.output,
            "libthread-db-search-path set to `/nonexistent'\n"
        );
        assert!(!state.thread_db_found());
        let reply = run("set libthread-db-search-path", &mut state);
        assert_eq!(
            reply.output,
            "libthread-db-search-path set to `$sdir:$pdir'\n"
        );
        assert!(state.thread_db_found());
    }

    #[test]
    fn help_and_unknown_commands_are_gdbservers() {
        assert_eq!(run_fresh("help"), MonitorReply::said(HELP));
        for command in ["", "set debug 2", "set debug-format", "frobnicate"] {
            let reply = run_fresh(command);
            assert!(!reply.ok, "{command:?}");
            assert!(reply.output.starts_with("Unknown monitor command.\n\n"));
        }
        assert!(run_fresh("exit").exit);
    }

    #[test]
    fn switches_say_what_they_did() {
        assert_eq!(
            run_fresh("set debug-hw-points 0").output,
            "H/W point debugging output disabled.\n"
        );
        assert_eq!(
            run_fresh("set event-loop-debug 0").output,
            "Event loop debug output disabled.\n"
        );
        assert_eq!(
            run_fresh("set debug-format all").output,
            "All extra debug format options enabled.\n"
        );
        let reply = run_fresh("set debug-format none,bogus");
        assert!(!reply.ok);
        assert!(reply
            .output
            .starts_with("Unknown debug-format argument: \"bogus\"\nThe following"));
        run_fresh("set debug-format none");
    }
}
