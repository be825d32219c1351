//! Integration-test harness shared by every `tests/*.rs` file.
//!
//! This module only declares the harness's parts and re-exports their public
//! names, so a test file needs nothing but `mod common; use common::*;`:
//! - `server.rs`: choosing the server under test (`RGDB_TEST_SERVER`, else the
//!   crate's `rgdbserver` binary, so the same tests run against GNU
//!   gdbserver), and [`Server`], one started on `127.0.0.1:0` and killed with
//!   its inferior on drop;
//! - `gdb.rs`: running batch gdb under a watchdog ([`Server::run_gdb`],
//!   [`run_gdb_stdio`], [`BackgroundGdb`]) and reading what it printed;
//! - `programs.rs`: compiling the C programs in `tests/programs/`;
//! - `result_run.rs`: a program under a server, with its result file;
//! - `multi.rs`: [`MultiServer`], a `--multi` server for extended-remote;
//! - `attach.rs`: programs under a logging parent and servers attached to them;
//! - `process.rs`: watched child processes and their captured output;
//! - `procfs.rs`: what /proc says about a process;
//! - `fs.rs`: temporary directories and FIFOs;
//! - `checks.rs`: small parsing helpers for assertions;
//! - `rsp.rs`: a raw Remote Serial Protocol client.
//!
//! Invariants, for every part: nothing sleeps to synchronise. Waiting is
//! always on a real event (a condition variable fed by a pipe reader, a
//! process exit seen by `waitid`, a FIFO becoming readable); timeouts are only
//! safety nets. The one poll loop, [`poll_until`], is for states the kernel
//! shows in /proc without any notification. Every process started here is killed by PID (or by its own
//! process group, for gdb) and reaped. A PID is only signalled while it is
//! known not to have been reaped yet, so a recycled PID is never hit.
//!
//! Each test file is its own crate and uses only part of the harness, hence
//! the one `allow(dead_code)` below, which covers every submodule, and the
//! `allow(unused_imports)` on the re-exports.

#![allow(dead_code)]

mod attach;
mod checks;
mod fs;
mod gdb;
mod multi;
mod process;
mod procfs;
mod programs;
mod result_run;
pub mod rsp;
mod server;

// Every test file uses only some of these: unused re-exports are expected.
#[allow(unused_imports)]
pub use self::{
    attach::*, checks::*, fs::*, gdb::*, multi::*, process::*, procfs::*, programs::*,
    result_run::*, server::*,
};

use std::time::Duration;

/// Safety net for a server to print `Listening on port N`.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(15);
/// Safety net for one batch gdb session.
pub const GDB_TIMEOUT: Duration = Duration::from_secs(60);
/// Safety net for waiting on a process exit or a line of output.
pub const EVENT_TIMEOUT: Duration = Duration::from_secs(20);
