//! `monitor` commands, as gdbserver has them: `exit` (the server quits after
//! this reply, killing a program it started and detaching from one it
//! attached to), `set debug 0|1`, `set remote-debug 0|1`, `help`.

use gdbstub::target::ext::monitor_cmd::{outputln, ConsoleOutput, MonitorCmd};

use super::DebugTarget;
use crate::logging;

const HELP: &str = "The following monitor commands are supported:
  set debug <0|1>
    Enable general debugging messages
  set remote-debug <0|1>
    Enable remote protocol debugging messages
  exit
    Quit GDBserver";

impl MonitorCmd for DebugTarget {
    fn handle_monitor_cmd(
        &mut self,
        cmd: &[u8],
        mut out: ConsoleOutput<'_>,
    ) -> Result<(), Self::Error> {
        let cmd = String::from_utf8_lossy(cmd);
        let words: Vec<&str> = cmd.split_whitespace().collect();
        match words.as_slice() {
            ["exit"] => self.exit_requested = true,
            ["help"] => outputln!(out, "{HELP}"),
            ["set", "debug", value] => {
                let on = *value != "0" && *value != "off";
                logging::set_debug(on);
                outputln!(
                    out,
                    "Debug output {}.",
                    if on { "enabled" } else { "disabled" }
                );
            }
            ["set", "remote-debug", value] => {
                let on = *value != "0" && *value != "off";
                logging::set_remote_debug(on);
                outputln!(
                    out,
                    "Protocol debug output {}.",
                    if on { "enabled" } else { "disabled" }
                );
            }
            _ => outputln!(out, "Unknown monitor command.\n\n{HELP}"),
        }
        Ok(())
    }
}
