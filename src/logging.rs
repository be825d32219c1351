//! Logging through `log`, switched like gdbserver's: `--debug` for server
//! events, `--remote-debug` for every packet (target "remote"),
//! `--event-loop-debug` for the server's wake-ups (target "event-loop"),
//! `monitor set debug-hw-points` for the debug registers (target
//! "hw-points"); `--debug-format=timestamp` puts gdbserver's monotonic
//! `SECONDS.MICROSECONDS` before each line; `--debug-file=FILE` sends the
//! logs there instead of stderr. Warnings and errors always go to stderr.

use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use log::{Level, LevelFilter, Metadata, Record};

/// Switched at run time by `monitor set debug` / `monitor set remote-debug`
/// and the others.
static DEBUG: AtomicBool = AtomicBool::new(false);
static REMOTE_DEBUG: AtomicBool = AtomicBool::new(false);
static EVENT_LOOP_DEBUG: AtomicBool = AtomicBool::new(false);
static HW_POINTS_DEBUG: AtomicBool = AtomicBool::new(false);
static TIMESTAMPS: AtomicBool = AtomicBool::new(false);
/// `--debug-file`: where the debug logs go instead of stderr.
static DEBUG_FILE: OnceLock<Mutex<File>> = OnceLock::new();

struct Logger;

impl log::Log for Logger {
    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        if meta.level() <= Level::Warn {
            return true;
        }
        let switch = match meta.target() {
            "remote" => &REMOTE_DEBUG,
            "event-loop" => &EVENT_LOOP_DEBUG,
            "hw-points" => &HW_POINTS_DEBUG,
            target if target.starts_with("rgdbserver") => &DEBUG,
            _ => return false,
        };
        switch.load(Ordering::Relaxed)
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let tag = match record.target() {
            target @ ("remote" | "event-loop" | "hw-points") => target.to_string(),
            _ => record.level().as_str().to_lowercase(),
        };
        let mut line = String::new();
        if TIMESTAMPS.load(Ordering::Relaxed) {
            line.push_str(&timestamp());
            line.push(' ');
        }
        line.push_str(&format!("[{tag}] {}\n", record.args()));
        match DEBUG_FILE.get() {
            Some(file) if record.level() > Level::Warn => {
                let mut file = file.lock().unwrap_or_else(|e| e.into_inner());
                let _ = file.write_all(line.as_bytes());
            }
            _ => {
                let _ = std::io::stderr().write_all(line.as_bytes());
            }
        }
    }

    fn flush(&self) {}
}

/// gdbserver's debug timestamp: the monotonic clock as `SECONDS.MICROS`.
fn timestamp() -> String {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    format!("{}.{:06}", now.tv_sec, now.tv_nsec / 1000)
}

/// `--debug-file=FILE`: the debug logs go to FILE (created or truncated).
pub fn set_debug_file(path: &std::path::Path) -> std::io::Result<()> {
    let file = File::create(path)?;
    let _ = DEBUG_FILE.set(Mutex::new(file));
    Ok(())
}

/// `--debug-format=OPT,...` / `monitor set debug-format OPT,...`: apply each
/// option in order; the line gdbserver prints for each, or the error for
/// the first it does not know (the options before it stay applied).
pub fn set_debug_format(options: &str) -> Result<Vec<&'static str>, String> {
    let mut said = Vec::new();
    for option in options.split(',') {
        match option {
            "all" | "timestamp" => {
                TIMESTAMPS.store(true, Ordering::Relaxed);
                said.push(match option {
                    "all" => "All extra debug format options enabled.",
                    _ => "Timestamps will be added to debug output.",
                });
            }
            "none" => {
                TIMESTAMPS.store(false, Ordering::Relaxed);
                said.push("All extra debug format options disabled.");
            }
            other => return Err(format!("Unknown debug-format argument: \"{other}\"")),
        }
    }
    Ok(said)
}

pub fn set_event_loop_debug(on: bool) {
    EVENT_LOOP_DEBUG.store(on, Ordering::Relaxed);
    update_level();
}

pub fn set_hw_points_debug(on: bool) {
    HW_POINTS_DEBUG.store(on, Ordering::Relaxed);
    update_level();
}

/// Write one whole line to stderr with a single write(2). The program we
/// debug may share our stderr: a line written in pieces (as `eprintln!`
/// does, stderr being unbuffered) can be cut by the program's own output.
pub fn write_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut text = line.to_string();
    text.push('\n');
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// `println!`-style: one atomic line on stderr (see [`write_line`]).
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::logging::write_line(format_args!($($arg)*))
    };
}

pub fn init(debug: bool, remote_debug: bool, event_loop_debug: bool) {
    if log::set_boxed_logger(Box::new(Logger)).is_ok() {
        set_debug(debug);
        set_remote_debug(remote_debug);
        set_event_loop_debug(event_loop_debug);
    }
}

/// `--debug` includes trace level: every ptrace and waitpid call (src/ptrace/).
fn update_level() {
    let any = |switches: &[&AtomicBool]| switches.iter().any(|s| s.load(Ordering::Relaxed));
    log::set_max_level(if DEBUG.load(Ordering::Relaxed) {
        LevelFilter::Trace
    } else if any(&[&REMOTE_DEBUG, &EVENT_LOOP_DEBUG, &HW_POINTS_DEBUG]) {
        LevelFilter::Debug
    } else {
        LevelFilter::Warn
    });
}

pub fn set_debug(on: bool) {
    DEBUG.store(on, Ordering::Relaxed);
    update_level();
}

pub fn set_remote_debug(on: bool) {
    REMOTE_DEBUG.store(on, Ordering::Relaxed);
    update_level();
}

/// Packet bytes as `--remote-debug` shows them: printable ASCII as it is,
/// a backslash doubled, anything else (NULs, escape sequences, binary
/// data) as `\xNN`, so a packet never writes control codes to a terminal.
pub struct Printable<'a>(pub &'a [u8]);

impl std::fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for &b in self.0 {
            match b {
                b'\\' => f.write_str("\\\\")?,
                0x20..=0x7e => std::fmt::Write::write_char(f, b as char)?,
                _ => write!(f, "\\x{b:02x}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_format_options_apply_in_order() {
        assert_eq!(
            set_debug_format("timestamp,none"),
            Ok(vec![
                "Timestamps will be added to debug output.",
                "All extra debug format options disabled."
            ])
        );
        assert!(!TIMESTAMPS.load(Ordering::Relaxed));
        assert_eq!(
            set_debug_format("none,bogus"),
            Err("Unknown debug-format argument: \"bogus\"".to_string())
        );
        let stamp = timestamp();
        let (seconds, micros) = stamp.split_once('.').unwrap_or_default();
        assert!(
            seconds.parse::<u64>().is_ok() && micros.len() == 6,
            "{stamp}"
        );
    }

    #[test]
    fn packets_print_without_control_bytes() {
        let shown = Printable(b"vFile:pread\x00\x1b[31m\\ok").to_string();
        assert_eq!(shown, "vFile:pread\\x00\\x1b[31m\\\\ok");
    }
}
