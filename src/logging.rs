//! Logging through `log` to stderr, switched like gdbserver's: `--debug` for
//! server events, `--remote-debug` for every packet (target "remote").
//! Warnings and errors are always shown.

use log::{Level, LevelFilter, Metadata, Record};

struct StderrLogger {
    debug: bool,
    remote_debug: bool,
}

impl log::Log for StderrLogger {
    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        if meta.level() <= Level::Warn {
            return true;
        }
        if meta.target() == "remote" {
            self.remote_debug
        } else {
            self.debug && meta.target().starts_with("rgdbserver")
        }
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            if record.target() == "remote" {
                eprintln!("[remote] {}", record.args());
            } else {
                eprintln!(
                    "[{}] {}",
                    record.level().as_str().to_lowercase(),
                    record.args()
                );
            }
        }
    }

    fn flush(&self) {}
}

pub fn init(debug: bool, remote_debug: bool) {
    let logger = Box::new(StderrLogger {
        debug,
        remote_debug,
    });
    if log::set_boxed_logger(logger).is_ok() {
        log::set_max_level(if debug || remote_debug {
            LevelFilter::Debug
        } else {
            LevelFilter::Warn
        });
    }
}
