//! gdbstub's receive buffer: one allocation per [`super::stub::StubDriver`],
//! lent to each state machine it builds, and kept full of `#` bytes.
//!
//! Why `#`: gdbstub 0.7 hands its parser the whole buffer, not the packet,
//! and the parser looks for the checksum between the packet's `#` and the
//! next `#` in the buffer. With gdbstub's own zeroed 128 KiB buffer that
//! scan ran to the buffer's end on every short packet (27,000 instructions a
//! `vCont`, half of the server's instructions per breakpoint hit). Past the
//! packet, a buffer of `#` ends the scan at once; bytes of an earlier, longer
//! packet end it at that packet's `#`.
//!
//! Why a loan: the state machine needs a `'static` buffer, and a rebuild
//! (after a packet gdbstub refuses) needs it again. Leaking a fresh buffer
//! per rebuild would let a stream of bad packets grow the server without
//! bound.

use std::ptr::NonNull;

pub struct ReceiveBuffer {
    bytes: NonNull<[u8]>,
    /// How far the current borrower may have written (refilled by `lend`).
    written: usize,
}

impl ReceiveBuffer {
    pub fn new(size: usize) -> ReceiveBuffer {
        let boxed = vec![b'#'; size].into_boxed_slice();
        ReceiveBuffer {
            bytes: NonNull::from(Box::leak(boxed)),
            written: 0,
        }
    }

    /// The borrower may have written up to `len` bytes (a packet it
    /// received, or a reply it built in the buffer).
    pub fn note_written(&mut self, len: usize) {
        self.written = self.written.max(len);
    }

    /// The buffer, refilled with `#`, for a new state machine.
    ///
    /// # Safety
    /// The slice of any earlier call must be gone (the state machine that
    /// held it dropped), and this value must outlive the returned slice.
    pub unsafe fn lend(&mut self) -> &'static mut [u8] {
        // SAFETY: the pointer came from Box::leak and is freed only in
        // Drop; the caller guarantees no other reference to it lives.
        let bytes = unsafe { &mut *self.bytes.as_ptr() };
        let written = self.written.min(bytes.len());
        bytes[..written].fill(b'#');
        self.written = 0;
        bytes
    }
}

impl Drop for ReceiveBuffer {
    fn drop(&mut self) {
        // SAFETY: allocated by Box in `new`; the borrower (declared before
        // this field in StubDriver) has been dropped already.
        drop(unsafe { Box::from_raw(self.bytes.as_ptr()) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_loan_starts_full_of_hashes() {
        let mut buffer = ReceiveBuffer::new(16);
        let first = unsafe { buffer.lend() };
        first[..4].copy_from_slice(b"$g#6");
        buffer.note_written(4);
        let second = unsafe { buffer.lend() };
        assert!(second.iter().all(|&b| b == b'#'));
        assert_eq!(second.len(), 16);
    }
}
