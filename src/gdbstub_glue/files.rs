//! What gdb reads as files: the target description (qXfer:features), the
//! executable's name (qXfer:exec-file), the auxiliary vector (qXfer:auxv) and
//! host I/O (vFile), which gdb uses to read the program and its libraries
//! when its sysroot is `target:` (the default), and to write and delete
//! files (`remote put`, `remote delete`), as with gdbserver.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, MetadataExt};

use gdbstub::common::Pid;
use gdbstub::target::ext::auxv::Auxv;
use gdbstub::target::ext::exec_file::ExecFile;
use gdbstub::target::ext::host_io::{
    FsKind, HostIo, HostIoClose, HostIoCloseOps, HostIoErrno, HostIoError, HostIoFstat,
    HostIoFstatOps, HostIoOpen, HostIoOpenFlags, HostIoOpenMode, HostIoOpenOps, HostIoPread,
    HostIoPreadOps, HostIoPwrite, HostIoPwriteOps, HostIoReadlink, HostIoReadlinkOps, HostIoResult,
    HostIoSetfs, HostIoSetfsOps, HostIoStat, HostIoUnlink, HostIoUnlinkOps,
};
use gdbstub::target::ext::target_description_xml_override::TargetDescriptionXmlOverride;
use gdbstub::target::{TargetError, TargetResult};

use super::DebugTarget;
use crate::host_fs::HostFs;

/// Copy the window [offset, offset+length) of `data` into `buf`.
fn window(data: &[u8], offset: u64, length: usize, buf: &mut [u8]) -> usize {
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(data.len());
    let n = length.min(buf.len()).min(data.len() - start);
    buf[..n].copy_from_slice(&data[start..start + n]);
    n
}

impl TargetDescriptionXmlOverride for DebugTarget {
    fn target_description_xml(
        &self,
        annex: &[u8],
        offset: u64,
        length: usize,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        if annex != b"target.xml" {
            return Err(TargetError::Errno(0));
        }
        let inferior = self.selected().ok_or(TargetError::Errno(1))?;
        Ok(window(inferior.desc.xml.as_bytes(), offset, length, buf))
    }
}

impl ExecFile for DebugTarget {
    fn get_exec_file(
        &self,
        pid: Option<Pid>,
        offset: u64,
        length: usize,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        let pid = match (pid, self.selected()) {
            (Some(p), _) => p.get(),
            (None, Some(i)) => i.pid.raw() as usize,
            (None, None) => return Err(TargetError::Errno(1)),
        };
        let path =
            std::fs::read_link(format!("/proc/{pid}/exe")).map_err(|_| TargetError::Errno(1))?;
        Ok(window(path.as_os_str().as_bytes(), offset, length, buf))
    }
}

impl Auxv for DebugTarget {
    fn get_auxv(&self, offset: u64, length: usize, buf: &mut [u8]) -> TargetResult<usize, Self> {
        let inferior = self.selected().ok_or(TargetError::Errno(1))?;
        let data = std::fs::read(format!("/proc/{}/auxv", inferior.pid))
            .map_err(|_| TargetError::Errno(1))?;
        Ok(window(&data, offset, length, buf))
    }
}

fn errno_of(e: &std::io::Error) -> HostIoErrno {
    match e.raw_os_error() {
        Some(libc::EPERM) => HostIoErrno::EPERM,
        Some(libc::ENOENT) => HostIoErrno::ENOENT,
        Some(libc::EACCES) => HostIoErrno::EACCES,
        Some(libc::EISDIR) => HostIoErrno::EISDIR,
        Some(libc::ENOTDIR) => HostIoErrno::ENOTDIR,
        Some(libc::EINVAL) => HostIoErrno::EINVAL,
        Some(libc::EMFILE) => HostIoErrno::EMFILE,
        Some(libc::ENAMETOOLONG) => HostIoErrno::ENAMETOOLONG,
        Some(libc::EEXIST) => HostIoErrno::EEXIST,
        Some(libc::ENOSPC) => HostIoErrno::ENOSPC,
        Some(libc::EROFS) => HostIoErrno::EROFS,
        Some(libc::EFBIG) => HostIoErrno::EFBIG,
        Some(libc::EBUSY) => HostIoErrno::EBUSY,
        Some(libc::EIO) => HostIoErrno::EIO,
        _ => HostIoErrno::EUNKNOWN,
    }
}

/// The most one `vFile:pread` returns. gdb asks for a whole packet's
/// worth and caches what it gets: a gdbserver-sized chunk keeps it from
/// fetching far more of the program and its libraries than it reads.
const PREAD_CHUNK: usize = 0x4000;

fn io_err<T>(e: std::io::Error) -> HostIoResult<T, DebugTarget> {
    Err(HostIoError::Errno(errno_of(&e)))
}

impl HostIo for DebugTarget {
    fn support_open(&mut self) -> Option<HostIoOpenOps<'_, Self>> {
        Some(self)
    }
    fn support_close(&mut self) -> Option<HostIoCloseOps<'_, Self>> {
        Some(self)
    }
    fn support_pread(&mut self) -> Option<HostIoPreadOps<'_, Self>> {
        Some(self)
    }
    fn support_fstat(&mut self) -> Option<HostIoFstatOps<'_, Self>> {
        Some(self)
    }
    fn support_readlink(&mut self) -> Option<HostIoReadlinkOps<'_, Self>> {
        Some(self)
    }
    fn support_setfs(&mut self) -> Option<HostIoSetfsOps<'_, Self>> {
        Some(self)
    }
    fn support_pwrite(&mut self) -> Option<HostIoPwriteOps<'_, Self>> {
        Some(self)
    }
    fn support_unlink(&mut self) -> Option<HostIoUnlinkOps<'_, Self>> {
        Some(self)
    }
}

impl HostIoOpen for DebugTarget {
    fn open(
        &mut self,
        filename: &[u8],
        flags: HostIoOpenFlags,
        mode: HostIoOpenMode,
    ) -> HostIoResult<u32, Self> {
        // gdb's File-I/O flags, as open(2) spells them.
        let access = (flags.bits() & 0x3) as i32;
        let mut linux = access;
        for (gdb, ours) in [
            (HostIoOpenFlags::O_APPEND, libc::O_APPEND),
            (HostIoOpenFlags::O_CREAT, libc::O_CREAT),
            (HostIoOpenFlags::O_TRUNC, libc::O_TRUNC),
            (HostIoOpenFlags::O_EXCL, libc::O_EXCL),
        ] {
            if flags.contains(gdb) {
                linux |= ours;
            }
        }
        match self.host_fs.open(filename, linux, mode.bits() & 0o7777) {
            Ok(file) => {
                let fd = self.next_host_fd;
                self.next_host_fd += 1;
                self.host_files.insert(fd, file);
                Ok(fd)
            }
            Err(e) => io_err(e),
        }
    }
}

impl HostIoClose for DebugTarget {
    fn close(&mut self, fd: u32) -> HostIoResult<(), Self> {
        match self.host_files.remove(&fd) {
            Some(_) => Ok(()),
            None => Err(HostIoError::Errno(HostIoErrno::EBADF)),
        }
    }
}

impl HostIoPread for DebugTarget {
    fn pread(
        &mut self,
        fd: u32,
        count: usize,
        offset: u64,
        buf: &mut [u8],
    ) -> HostIoResult<usize, Self> {
        let file = self
            .host_files
            .get(&fd)
            .ok_or(HostIoError::Errno(HostIoErrno::EBADF))?;
        let n = count.min(buf.len()).min(PREAD_CHUNK);
        match file.read_at(&mut buf[..n], offset) {
            Ok(read) => Ok(read),
            Err(e) => io_err(e),
        }
    }
}

impl DebugTarget {
    /// The whole reply to `vFile:pread` (answered in the packet layer, see
    /// `rsp::Owned::HostPread`): `F` COUNT `;` DATA escaped, or `F-1,`
    /// ERRNO, as gdbstub writes them.
    pub fn pread_reply(&mut self, fd: u32, count: usize, offset: u64) -> Vec<u8> {
        let mut buf = vec![0u8; count.min(PREAD_CHUNK)];
        let len = buf.len();
        match HostIoPread::pread(self, fd, count, offset, &mut buf[..len]) {
            Ok(read) => {
                let data = &buf[..read.min(len)];
                let mut reply = format!("F{:x};", data.len()).into_bytes();
                crate::rsp::escape_into(data, &mut reply);
                reply
            }
            Err(HostIoError::Errno(errno)) => format!("F-1,{:x}", errno as u32).into_bytes(),
            Err(HostIoError::Fatal(e)) => {
                log::debug!("vFile:pread failed: {e:#}");
                b"F-1,5".to_vec()
            }
        }
    }
}

impl HostIoPwrite for DebugTarget {
    fn pwrite(&mut self, fd: u32, offset: u64, data: &[u8]) -> HostIoResult<u64, Self> {
        let file = self
            .host_files
            .get(&fd)
            .ok_or(HostIoError::Errno(HostIoErrno::EBADF))?;
        match file.write_at(data, offset) {
            Ok(written) => Ok(written as u64),
            Err(e) => io_err(e),
        }
    }
}

impl HostIoUnlink for DebugTarget {
    fn unlink(&mut self, filename: &[u8]) -> HostIoResult<(), Self> {
        match self.host_fs.unlink(filename) {
            Ok(()) => Ok(()),
            Err(e) => io_err(e),
        }
    }
}

impl HostIoFstat for DebugTarget {
    fn fstat(&mut self, fd: u32) -> HostIoResult<HostIoStat, Self> {
        let file = self
            .host_files
            .get(&fd)
            .ok_or(HostIoError::Errno(HostIoErrno::EBADF))?;
        let m = match file.metadata() {
            Ok(m) => m,
            Err(e) => return io_err(e),
        };
        Ok(HostIoStat {
            st_dev: m.dev() as u32,
            st_ino: m.ino() as u32,
            st_mode: HostIoOpenMode::from_bits_truncate(m.mode()),
            st_nlink: m.nlink() as u32,
            st_uid: m.uid(),
            st_gid: m.gid(),
            st_rdev: m.rdev() as u32,
            st_size: m.size(),
            st_blksize: m.blksize(),
            st_blocks: m.blocks(),
            st_atime: m.atime() as u32,
            st_mtime: m.mtime() as u32,
            st_ctime: m.ctime() as u32,
        })
    }
}

impl HostIoReadlink for DebugTarget {
    fn readlink(&mut self, filename: &[u8], buf: &mut [u8]) -> HostIoResult<usize, Self> {
        match self.host_fs.readlink(filename) {
            Ok(target) => {
                let bytes = target.as_os_str().as_bytes();
                let n = bytes.len().min(buf.len());
                buf[..n].copy_from_slice(&bytes[..n]);
                Ok(n)
            }
            Err(e) => io_err(e),
        }
    }
}

impl HostIoSetfs for DebugTarget {
    /// `vFile:setfs:PID`: the paths that follow are the process's (in its
    /// mount namespace); `vFile:setfs:0`: ours.
    fn setfs(&mut self, fs: FsKind) -> HostIoResult<(), Self> {
        self.host_fs = match fs {
            FsKind::Stub => HostFs::Ours,
            FsKind::Pid(pid) => {
                let pid = i32::try_from(pid.get())
                    .map_err(|_| HostIoError::Errno(HostIoErrno::EINVAL))?;
                match HostFs::of_process(pid) {
                    Ok(fs) => fs,
                    Err(e) => return io_err(e),
                }
            }
        };
        Ok(())
    }
}
