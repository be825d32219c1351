//! `monitor` commands (`qRcmd`), as gdbserver 13 has them: `help`,
//! `set debug`, `set debug-hw-points`, `set remote-debug`,
//! `set event-loop-debug` (each `0|1`), `set debug-format OPT,...` and
//! `exit` (the server quits after the reply, killing a program it started
//! and detaching from one it attached to). Anything else prints gdbserver's
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

/// Run one monitor command (the decoded text of `qRcmd`).
pub fn run(command: &str) -> MonitorReply {
    let words: Vec<&str> = command.split_whitespace().collect();
    let switch = |value: &str| match value {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    };
    let state = |on: bool| if on { "enabled" } else { "disabled" };
    match words.as_slice() {
        ["exit"] => MonitorReply {
            output: String::new(),
            ok: true,
            exit: true,
        },
        ["help"] => MonitorReply::said(HELP),
        ["set", "debug", value] if switch(value).is_some() => {
            let on = *value == "1";
            logging::set_debug(on);
            MonitorReply::said(format!("Debug output {}.\n", state(on)))
        }
        ["set", "remote-debug", value] if switch(value).is_some() => {
            let on = *value == "1";
            logging::set_remote_debug(on);
            MonitorReply::said(format!("Protocol debug output {}.\n", state(on)))
        }
        ["set", "debug-hw-points", value] if switch(value).is_some() => {
            let on = *value == "1";
            logging::set_hw_points_debug(on);
            MonitorReply::said(format!("H/W point debugging output {}.\n", state(on)))
        }
        ["set", "event-loop-debug", value] if switch(value).is_some() => {
            let on = *value == "1";
            logging::set_event_loop_debug(on);
            MonitorReply::said(format!("Event loop debug output {}.\n", state(on)))
        }
        ["set", "debug-format", options] => match logging::set_debug_format(options) {
            Ok(lines) => {
                MonitorReply::said(lines.iter().map(|l| format!("{l}\n")).collect::<String>())
            }
            Err(e) => MonitorReply::failed(format!("{e}\n{HELP}")),
        },
        _ => MonitorReply::failed(format!("Unknown monitor command.\n\n{HELP}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_and_unknown_commands_are_gdbservers() {
        assert_eq!(run("help"), MonitorReply::said(HELP));
        for command in ["", "set debug 2", "set debug-format", "frobnicate"] {
            let reply = run(command);
            assert!(!reply.ok, "{command:?}");
            assert!(reply.output.starts_with("Unknown monitor command.\n\n"));
        }
        assert!(run("exit").exit);
    }

    #[test]
    fn switches_say_what_they_did() {
        assert_eq!(
            run("set debug-hw-points 0").output,
            "H/W point debugging output disabled.\n"
        );
        assert_eq!(
            run("set event-loop-debug 0").output,
            "Event loop debug output disabled.\n"
        );
        assert_eq!(
            run("set debug-format all").output,
            "All extra debug format options enabled.\n"
        );
        let reply = run("set debug-format none,bogus");
        assert!(!reply.ok);
        assert!(reply
            .output
            .starts_with("Unknown debug-format argument: \"bogus\"\nThe following"));
        run("set debug-format none");
    }
}
