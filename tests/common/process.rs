//! Processes the harness starts and kills: [`Watched`], a child reaped by a
//! waiter thread and signalled only while not yet reaped; [`Output`], what a
//! process wrote to a pipe (or a pty), with waiting on its content;
//! [`spawn_captured`], which starts a command with both; and
//! [`kill_if_same`] for a process that is not our child, identified by PID
//! and start time.

use super::procfs::proc_start_time;
use super::EVENT_TIMEOUT;
use std::io::{self, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

struct ExitState {
    status: Mutex<Option<ExitStatus>>,
    cond: Condvar,
}

/// A child process watched by a waiter thread. The waiter first waits with
/// `WNOWAIT` (the child stays a zombie, its PID cannot be recycled), then
/// reaps it while holding the lock; [`Watched::kill`] signals only under the
/// same lock and only if not yet reaped.
pub struct Watched {
    pid: i32,
    state: Arc<ExitState>,
}

impl Watched {
    pub fn new(mut child: Child) -> Watched {
        let pid = child.id() as i32;
        let state = Arc::new(ExitState {
            status: Mutex::new(None),
            cond: Condvar::new(),
        });
        let st = state.clone();
        thread::spawn(move || {
            loop {
                // SAFETY: zeroed siginfo_t is a valid out-parameter.
                let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
                // SAFETY: waits for our own child without reaping it.
                let rc = unsafe {
                    libc::waitid(
                        libc::P_PID,
                        pid as libc::id_t,
                        &mut info,
                        libc::WEXITED | libc::WNOWAIT,
                    )
                };
                if rc == 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                    break;
                }
            }
            let mut guard = st.status.lock().unwrap_or_else(|e| e.into_inner());
            let status = child.wait().expect("reap child");
            *guard = Some(status);
            st.cond.notify_all();
        });
        Watched { pid, state }
    }

    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The exit status if the process has exited (and been reaped).
    pub fn status(&self) -> Option<ExitStatus> {
        *self.state.status.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for the process to exit, at most `timeout`.
    pub fn wait_timeout(&self, timeout: Duration) -> Option<ExitStatus> {
        let guard = self.state.status.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = self
            .state
            .cond
            .wait_timeout_while(guard, timeout, |s| s.is_none())
            .unwrap_or_else(|e| e.into_inner());
        *guard
    }

    /// Sends `sig` to the process (or, with `group`, to the process group it
    /// leads) if it has not been reaped yet.
    pub fn signal(&self, sig: i32, group: bool) {
        let guard = self.state.status.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            let target = if group { -self.pid } else { self.pid };
            // SAFETY: plain kill(2); the PID is still ours (not reaped).
            unsafe { libc::kill(target, sig) };
        }
    }

    /// SIGKILL (to the group too, with `group`) and wait for the reap.
    pub fn kill(&self, group: bool) -> Option<ExitStatus> {
        self.signal(libc::SIGKILL, false);
        if group {
            self.signal(libc::SIGKILL, true);
        }
        self.wait_timeout(EVENT_TIMEOUT)
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        if self.status().is_none() {
            self.kill(false);
        }
    }
}

struct OutputState {
    text: String,
    eof: bool,
}

/// Everything read from a pipe (or a pty) so far, fed by a reader thread.
#[derive(Clone)]
pub struct Output {
    inner: Arc<(Mutex<OutputState>, Condvar)>,
}

impl Output {
    /// Starts a thread that reads `reader` to its end into a new [`Output`].
    /// A read error counts as the end (EIO from a pty master whose slave
    /// side is gone is how a terminal reports it).
    pub fn from_reader(mut reader: impl Read + Send + 'static) -> Output {
        let out = Output {
            inner: Arc::new((
                Mutex::new(OutputState {
                    text: String::new(),
                    eof: false,
                }),
                Condvar::new(),
            )),
        };
        let o = out.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                let n = match reader.read(&mut buf) {
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(_) => 0,
                };
                let (lock, cond) = &*o.inner;
                let mut st = lock.lock().unwrap_or_else(|e| e.into_inner());
                if n == 0 {
                    st.eof = true;
                } else {
                    st.text.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
                cond.notify_all();
                if n == 0 {
                    break;
                }
            }
        });
        out
    }

    /// All text read so far.
    pub fn text(&self) -> String {
        self.inner
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .text
            .clone()
    }

    /// True once every writer of the pipe has closed it.
    pub fn is_eof(&self) -> bool {
        self.inner.0.lock().unwrap_or_else(|e| e.into_inner()).eof
    }

    /// Waits until `pred(text)` holds; false on EOF without it, or timeout.
    pub fn wait_for(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> bool {
        let (lock, cond) = &*self.inner;
        let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = cond
            .wait_timeout_while(guard, timeout, |st| !pred(&st.text) && !st.eof)
            .unwrap_or_else(|e| e.into_inner());
        pred(&guard.text)
    }

    /// Waits until the text contains `needle`.
    pub fn wait_contains(&self, needle: &str, timeout: Duration) -> bool {
        self.wait_for(timeout, |t| t.contains(needle))
    }

    /// Waits until every writer has closed the pipe.
    pub fn wait_eof(&self, timeout: Duration) -> bool {
        let (lock, cond) = &*self.inner;
        let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = cond
            .wait_timeout_while(guard, timeout, |st| !st.eof)
            .unwrap_or_else(|e| e.into_inner());
        guard.eof
    }
}

/// Spawns `cmd` in its own process group with stdout and stderr both going
/// into one pipe (so their relative order is kept) and stdin from /dev/null.
/// The command's own copies of the write end are dropped, so EOF means every
/// holder is gone.
pub fn spawn_captured(cmd: Command) -> io::Result<(Watched, Output)> {
    spawn_captured_with_stdin(cmd, Stdio::null())
}

/// [`spawn_captured`] with `stdin` as the command's standard input.
pub fn spawn_captured_with_stdin(mut cmd: Command, stdin: Stdio) -> io::Result<(Watched, Output)> {
    let (reader, writer) = io::pipe()?;
    cmd.stdin(stdin)
        .stdout(writer.try_clone()?)
        .stderr(writer)
        .process_group(0);
    let child = cmd.spawn();
    drop(cmd);
    let child = child?;
    Ok((Watched::new(child), Output::from_reader(reader)))
}

/// Kills PID with SIGKILL only if it is still the process that started at
/// `start_time` (so a recycled PID is never hit).
pub fn kill_if_same(pid: i32, start_time: Option<u64>) {
    if pid <= 0 {
        return;
    }
    if let Some(t) = start_time {
        if proc_start_time(pid) == Some(t) {
            // SAFETY: plain kill(2) of a process we identified by start time.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}
