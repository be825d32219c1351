//! Conversions between the kernel's register sets and the `arch/` layouts.
//!
//! Owns the per-architecture translation of what ptrace hands back
//! (`user_regs_struct`, the NT_X86_XSTATE area, NT_ARM_* sets) into gdb's
//! `g` packet layout and back. It makes no ptrace call itself: `ptrace/` reads
//! and writes the buffers, this module only interprets them. Each submodule is
//! compiled only for its own `target_arch`.

#[cfg(target_arch = "x86_64")]
pub mod x86_64;
