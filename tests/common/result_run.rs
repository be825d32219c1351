//! [`ResultRun`]: a test program launched under the server with, as its last
//! argument, a result file in a fresh temporary directory, where the program
//! writes what it computed; and [`BASIC_RESULT`], what the `basic` program
//! writes there when nothing disturbed it.

use super::fs::TempDir;
use super::programs::program;
use super::server::Server;
use std::path::PathBuf;

/// `basic`'s result file after an undisturbed run.
pub const BASIC_RESULT: &str = "r=5 f=5 s=45 counter=110\n";

/// A program under a server, with the result file it writes.
pub struct ResultRun {
    pub server: Server,
    /// The result file (written by the program, usually as it ends).
    pub result: PathBuf,
    _dir: TempDir,
}

impl ResultRun {
    /// `SERVER --once 127.0.0.1:0 PROG ARGS... RESULT`, the result file in a
    /// directory tagged `tag`.
    pub fn launch(tag: &str, prog: &str, args: &[&str]) -> ResultRun {
        ResultRun::launch_with(&["--once"], tag, prog, args)
    }

    /// `SERVER FLAGS 127.0.0.1:0 PROG ARGS... RESULT`.
    pub fn launch_with(flags: &[&str], tag: &str, prog: &str, args: &[&str]) -> ResultRun {
        let dir = TempDir::new(tag);
        let result = dir.file("result");
        let mut args = args.to_vec();
        args.push(result.to_str().expect("utf-8 temp path"));
        let server = Server::launch_with(flags, "127.0.0.1:0", &program(prog), &args);
        ResultRun {
            server,
            result,
            _dir: dir,
        }
    }

    /// A file of that name next to the result file (a gdb log, a script).
    pub fn file(&self, name: &str) -> PathBuf {
        self._dir.file(name)
    }

    /// `SERVER --once 127.0.0.1:0 basic RESULT`.
    pub fn basic(tag: &str) -> ResultRun {
        ResultRun::launch(tag, "basic", &[])
    }
}
