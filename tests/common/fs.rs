//! Files the tests make: [`TempDir`], a fresh directory removed on drop, and
//! FIFOs, the way a program tells the test it reached a point ([`Fifo`], read
//! by the test) or takes commands from it ([`TempDir::bare_fifo`]).

use std::ffi::CString;
use std::fs;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Where the harness keeps its files: cargo's per-target temporary directory.
pub(crate) fn tmp_root() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

/// A suffix no other call in any test binary returns: PID and a counter.
pub(crate) fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh directory, removed (recursively) on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let path = tmp_root()
            .join("run")
            .join(format!("{tag}-{}", unique_suffix()));
        fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside this directory (not created).
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Creates a FIFO named `name` in this directory, read by the test.
    pub fn fifo(&self, name: &str) -> Fifo {
        Fifo::create(self.file(name))
    }

    /// Creates a FIFO named `name` in this directory without opening it: for
    /// a program that is its only reader (it takes commands from the test).
    pub fn bare_fifo(&self, name: &str) -> PathBuf {
        let path = self.file(name);
        mkfifo(&path);
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// mkfifo(3) with mode 0600, or a panic naming the path.
fn mkfifo(path: &Path) {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: c is a valid NUL-terminated path.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
    assert_eq!(
        rc,
        0,
        "mkfifo {}: {}",
        path.display(),
        io::Error::last_os_error()
    );
}

/// A named pipe. The test opens the read end without blocking, so a program
/// that never opens it cannot hang the test; reads wait with `poll`.
pub struct Fifo {
    path: PathBuf,
    reader: Option<fs::File>,
    pending: Vec<u8>,
}

impl Fifo {
    pub fn create(path: PathBuf) -> Fifo {
        mkfifo(&path);
        let reader = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path)
            .expect("open fifo for reading");
        Fifo {
            path,
            reader: Some(reader),
            pending: Vec::new(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Next `\n`-terminated line (without the newline). `None` when every
    /// writer has closed (after at least one opened it) or on timeout.
    pub fn read_line(&mut self, timeout: Duration) -> Option<String> {
        use std::os::fd::AsRawFd;
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(i) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=i).collect();
                return Some(String::from_utf8_lossy(&line[..i]).into_owned());
            }
            let file = self.reader.as_mut()?;
            let left = deadline.checked_duration_since(Instant::now())?;
            let mut pfd = libc::pollfd {
                fd: file.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            let ms = left.as_millis().min(i32::MAX as u128) as i32;
            // SAFETY: one valid pollfd.
            let n = unsafe { libc::poll(&mut pfd, 1, ms.max(1)) };
            if n < 0 {
                if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return None;
            }
            if n == 0 {
                continue; // the deadline check above ends the loop
            }
            let mut buf = [0u8; 4096];
            match file.read(&mut buf) {
                Ok(0) => {
                    // POLLHUP: a writer came and went; nothing more will come.
                    self.reader = None;
                    if self.pending.is_empty() {
                        return None;
                    }
                    let rest = std::mem::take(&mut self.pending);
                    return Some(String::from_utf8_lossy(&rest).into_owned());
                }
                Ok(k) => self.pending.extend_from_slice(&buf[..k]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return None,
            }
        }
    }
}
