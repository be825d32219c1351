//! Small helpers for assertions: parsing what programs, servers and gdb
//! print, reading a program's result file, and naming how a process ended.

use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::ExitStatus;

/// The complete (newline-terminated) lines of `text`: a line still being
/// written may end in a truncated number.
pub fn complete_lines(text: &str) -> impl DoubleEndedIterator<Item = &str> {
    let end = text.rfind('\n').map_or(0, |i| i + 1);
    text[..end].lines()
}

/// Parses `0x...` or decimal text as u64.
pub fn parse_u64(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// Reads a result file written by a test program, with a clear panic.
#[track_caller]
pub fn read_result(path: &Path) -> String {
    match fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) => panic!("program's result file {} not readable: {e}", path.display()),
    }
}

/// Exit code of a status, or a panic naming what happened instead.
#[track_caller]
pub fn exit_code(status: Option<ExitStatus>) -> i32 {
    match status {
        Some(s) => match s.code() {
            Some(c) => c,
            None => panic!("process killed by signal {:?}", s.signal()),
        },
        None => panic!("process did not exit in time"),
    }
}
