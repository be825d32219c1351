//! Where gdb's host I/O (vFile) paths are looked up: the server's own
//! filesystem, or, after `vFile:setfs:PID`, the filesystem as that process
//! sees it. A program in a container (another mount namespace) has its own
//! /lib: gdb reading the program's libraries must get the container's,
//! not the host's.
//!
//! Paths are resolved under `/proc/PID/root` with openat2(RESOLVE_IN_ROOT),
//! so `..` and absolute symbolic links (ld.so's own, most of /lib64) stay
//! inside the process's root instead of escaping to ours. gdbserver forks a
//! helper that enters the namespace with setns; this needs no process.

use std::ffi::{CString, OsStr};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

/// The filesystem vFile operations act on.
#[derive(Debug, Default)]
pub enum HostFs {
    /// The server's own (also for a process in our mount namespace).
    #[default]
    Ours,
    /// The root directory of a process in another mount namespace.
    RootOf(File),
}

impl HostFs {
    /// The filesystem `pid` sees (`vFile:setfs:PID`).
    pub fn of_process(pid: i32) -> io::Result<HostFs> {
        let theirs = std::fs::metadata(format!("/proc/{pid}/ns/mnt"))?;
        let ours = std::fs::metadata("/proc/self/ns/mnt")?;
        if (theirs.dev(), theirs.ino()) == (ours.dev(), ours.ino()) {
            return Ok(HostFs::Ours);
        }
        let root = File::open(format!("/proc/{pid}/root"))?;
        // openat2 came with Linux 5.6: on an older kernel, the process's
        // files cannot be reached this way; ours are better than none.
        let here = CString::new(".").map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        match open_in_root(&root, &here, libc::O_PATH | libc::O_DIRECTORY, 0) {
            Ok(fd) => {
                // SAFETY: closing the probe's descriptor, ours alone.
                unsafe { libc::close(fd) };
                Ok(HostFs::RootOf(root))
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => {
                log::warn!(
                    "no openat2 (kernel before 5.6): process {pid}'s files are read from our root"
                );
                Ok(HostFs::Ours)
            }
            Err(e) => Err(e),
        }
    }

    /// open(2) of `path` with Linux `flags` and `mode`; close-on-exec.
    pub fn open(&self, path: &[u8], flags: i32, mode: u32) -> io::Result<File> {
        let c_path = CString::new(path).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        let flags = flags | libc::O_CLOEXEC;
        let fd = match self {
            // SAFETY: open(2) with a NUL-terminated path.
            HostFs::Ours => unsafe { libc::open(c_path.as_ptr(), flags, mode) },
            HostFs::RootOf(root) => open_in_root(root, &c_path, flags, mode)?,
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a new descriptor that nothing else owns.
        Ok(unsafe { File::from_raw_fd(fd) })
    }

    /// readlink(2) of `path`.
    pub fn readlink(&self, path: &[u8]) -> io::Result<PathBuf> {
        match self {
            HostFs::Ours => std::fs::read_link(OsStr::from_bytes(path)),
            HostFs::RootOf(_) => {
                let (dir, name) = self.parent_of(path)?;
                let mut buf = vec![0u8; libc::PATH_MAX as usize];
                // SAFETY: readlinkat into a buffer of the length given.
                let n = unsafe {
                    libc::readlinkat(
                        dir.as_raw_fd(),
                        name.as_ptr(),
                        buf.as_mut_ptr().cast(),
                        buf.len(),
                    )
                };
                if n < 0 {
                    return Err(io::Error::last_os_error());
                }
                buf.truncate(n as usize);
                Ok(PathBuf::from(OsStr::from_bytes(&buf)))
            }
        }
    }

    /// unlink(2) of `path`.
    pub fn unlink(&self, path: &[u8]) -> io::Result<()> {
        match self {
            HostFs::Ours => std::fs::remove_file(OsStr::from_bytes(path)),
            HostFs::RootOf(_) => {
                let (dir, name) = self.parent_of(path)?;
                // SAFETY: unlinkat of a name in a directory we hold open.
                if unsafe { libc::unlinkat(dir.as_raw_fd(), name.as_ptr(), 0) } != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            }
        }
    }

    /// The directory holding `path`'s last component (opened for lookups
    /// only), and that component: for the operations that must not follow
    /// the link they act on.
    fn parent_of(&self, path: &[u8]) -> io::Result<(File, CString)> {
        let trimmed = path.strip_suffix(b"/").unwrap_or(path);
        let (dir, name) = match trimmed.iter().rposition(|&b| b == b'/') {
            Some(0) => (&b"/"[..], &trimmed[1..]),
            Some(at) => (&trimmed[..at], &trimmed[at + 1..]),
            None => (&b"."[..], trimmed),
        };
        let name = CString::new(name).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        let dir = self.open(dir, libc::O_PATH | libc::O_DIRECTORY, 0)?;
        Ok((dir, name))
    }
}

/// openat2(root, path, RESOLVE_IN_ROOT): `path` as if `root` were `/`.
fn open_in_root(root: &File, path: &CString, flags: i32, mode: u32) -> io::Result<i32> {
    // SAFETY: open_how is plain integers; all-zero is its empty value.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = flags as u64;
    how.mode = if flags & libc::O_CREAT != 0 {
        u64::from(mode)
    } else {
        0
    };
    how.resolve = libc::RESOLVE_IN_ROOT;
    // SAFETY: openat2 with a valid directory fd, path and open_how.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            root.as_raw_fd(),
            path.as_ptr(),
            &how as *const libc::open_how,
            std::mem::size_of::<libc::open_how>(),
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(fd as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Our own /proc/self/root is "another" root for the resolution code.
    fn our_root() -> HostFs {
        HostFs::RootOf(File::open("/proc/self/root").unwrap_or_else(|e| panic!("root: {e}")))
    }

    #[test]
    fn a_process_in_our_namespace_uses_our_filesystem() {
        let fs = HostFs::of_process(std::process::id() as i32);
        assert!(matches!(fs, Ok(HostFs::Ours)), "{fs:?}");
    }

    #[test]
    fn paths_resolve_inside_the_root() {
        let fs = our_root();
        assert!(fs.open(b"/etc/passwd", libc::O_RDONLY, 0).is_ok());
        assert!(fs.open(b"/no/such/file", libc::O_RDONLY, 0).is_err());
        // A symbolic link is read, not followed.
        let target = fs.readlink(b"/proc/self/exe");
        assert!(target.is_ok(), "{target:?}");
        let dir = std::env::temp_dir().join(format!("rgdb-hostfs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let file = dir.join("f");
        let path = file.as_os_str().as_bytes();
        let created = fs.open(path, libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL, 0o600);
        assert!(created.is_ok(), "{created:?}");
        assert!(fs.unlink(path).is_ok());
        assert!(!file.exists());
        let _ = std::fs::remove_dir(&dir);
    }
}
