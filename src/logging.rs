//! Logging through `log` to stderr, switched like gdbserver's: `--debug` for
//! server events, `--remote-debug` for every packet (target "remote").
//! Warnings and errors are always shown.

use std::sync::atomic::{AtomicBool, Ordering};

use log::{Level, LevelFilter, Metadata, Record};

/// Switched at run time by `monitor set debug` / `monitor set remote-debug`.
static DEBUG: AtomicBool = AtomicBool::new(false);
static REMOTE_DEBUG: AtomicBool = AtomicBool::new(false);

struct StderrLogger;

impl log::Log for StderrLogger {
    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        if meta.level() <= Level::Warn {
            return true;
        }
        if meta.target() == "remote" {
            REMOTE_DEBUG.load(Ordering::Relaxed)
        } else {
            DEBUG.load(Ordering::Relaxed) && meta.target().starts_with("rgdbserver")
        }
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            if record.target() == "remote" {
                write_line(format_args!("[remote] {}", record.args()));
            } else {
                write_line(format_args!(
                    "[{}] {}",
                    record.level().as_str().to_lowercase(),
                    record.args()
                ));
            }
        }
    }

    fn flush(&self) {}
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

pub fn init(debug: bool, remote_debug: bool) {
    if log::set_boxed_logger(Box::new(StderrLogger)).is_ok() {
        set_debug(debug);
        set_remote_debug(remote_debug);
    }
}

/// `--debug` includes trace level: every ptrace and waitpid call (src/ptrace/).
fn update_level() {
    log::set_max_level(if DEBUG.load(Ordering::Relaxed) {
        LevelFilter::Trace
    } else if REMOTE_DEBUG.load(Ordering::Relaxed) {
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
    fn packets_print_without_control_bytes() {
        let shown = Printable(b"vFile:pread\x00\x1b[31m\\ok").to_string();
        assert_eq!(shown, "vFile:pread\\x00\\x1b[31m\\\\ok");
    }
}
