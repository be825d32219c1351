//! GDB agent expressions for target-side breakpoint conditions.
//!
//! When `set breakpoint condition-evaluation target` is in effect, gdb
//! compiles each breakpoint condition to agent bytecode and sends it along
//! with the breakpoint: `Z0,addr,kind;X<hexlen>,<hexbytes>...`.  This module
//! owns turning that condition list into [`AgentExpr`] values and evaluating
//! them against the stopped inferior, so that the server can resume a thread
//! whose conditions are all false without a round trip to gdb.
//!
//! The bytecode is described in the GDB manual, appendix "The GDB Agent
//! Expression Mechanism".  Evaluation touches the inferior only through
//! [`AgentContext`], which keeps this module free of ptrace details and easy
//! to test.

use std::collections::HashMap;

use anyhow::{anyhow, bail, ensure, Context, Result};

use crate::rsp::hex;

/// Deepest stack an expression may build.  gdb's own limit is far larger
/// than any realistic condition needs; a bound keeps a hostile or buggy
/// expression from growing memory without limit.
const MAX_STACK_DEPTH: usize = 1024;

/// Most instructions one evaluation may execute.  `goto` can jump backwards,
/// so without a bound a looping expression would hang the server while the
/// inferior is stopped.
const MAX_STEPS: u64 = 1_000_000;

/// Access to the stopped thread that an expression evaluates against.
pub trait AgentContext {
    /// Reads target memory at `addr` into `buf` (exact length or error).
    fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> Result<()>;
    /// The value of register `regno` in gdb's numbering for the target (raw, zero-extended to 64 bits).
    fn read_register(&mut self, regno: u32) -> Result<u64>;
}

/// One compiled agent expression (the bytes of one `X` entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentExpr {
    bytes: Vec<u8>,
}

impl AgentExpr {
    /// Wraps already-decoded bytecode.  Validity is only checked when the
    /// expression runs, because jump targets and operands depend on the path
    /// taken.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self { bytes }
    }

    /// The raw bytecode, e.g. for logging.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Runs the expression and returns the value on top of the stack when
    /// `end` executes.  A breakpoint condition holds when this is non-zero.
    pub fn evaluate(&self, ctx: &mut dyn AgentContext) -> Result<u64> {
        Machine::new(&self.bytes).run(ctx)
    }
}

/// Parses the condition list of a `Z0` packet: the text after
/// `Z0,addr,kind;` up to, not including, any `;cmds:` part.
///
/// gdb 13 writes the entries back to back (`X3,220127X2,2227`): each entry's
/// byte count says where it ends, so no separator is needed.  A `;` between
/// entries is accepted too, as other gdb versions and stubs use one.
pub fn parse_condition_list(text: &str) -> Result<Vec<AgentExpr>> {
    ensure!(!text.is_empty(), "empty breakpoint condition list");
    // Working on bytes avoids char-boundary panics on non-ASCII input.
    let input = text.as_bytes();
    let mut exprs = Vec::new();
    let mut pos = 0;
    while pos < input.len() {
        if !exprs.is_empty() && input[pos] == b';' {
            pos += 1;
        }
        let (expr, next) = parse_entry(input, pos).with_context(|| {
            format!(
                "bad condition #{} at offset {pos} of {text:?}",
                exprs.len() + 1
            )
        })?;
        exprs.push(expr);
        pos = next;
    }
    Ok(exprs)
}

/// Parses one `X<hexlen>,<hexbytes>` entry starting at `pos`; returns the
/// expression and the offset just past it.
fn parse_entry(input: &[u8], pos: usize) -> Result<(AgentExpr, usize)> {
    ensure!(
        input.get(pos) == Some(&b'X'),
        "expected 'X' to start a condition"
    );
    let len_start = pos + 1;
    let comma = input[len_start..]
        .iter()
        .position(|&b| b == b',')
        .map(|i| len_start + i)
        .ok_or_else(|| anyhow!("missing ',' after the condition length"))?;
    let len = parse_hex_len(&input[len_start..comma])?;
    ensure!(len > 0, "zero-length agent expression");
    let body_start = comma + 1;
    let body_end = len
        .checked_mul(2)
        .and_then(|n| body_start.checked_add(n))
        .filter(|&end| end <= input.len())
        .ok_or_else(|| {
            anyhow!(
                "condition declares {len} bytes but only {} hex digits follow",
                input.len() - body_start
            )
        })?;
    let bytes = decode_hex(&input[body_start..body_end])?;
    Ok((AgentExpr::new(bytes), body_end))
}

/// Parses the hex byte count of an entry.
fn parse_hex_len(digits: &[u8]) -> Result<usize> {
    ensure!(!digits.is_empty(), "missing condition length");
    digits.iter().try_fold(0usize, |acc, &d| {
        let nibble = hex_value(d)?;
        acc.checked_mul(16)
            .and_then(|v| v.checked_add(usize::from(nibble)))
            .ok_or_else(|| anyhow!("condition length is too large"))
    })
}

/// Decodes an even-length run of hex digits into bytes.
fn decode_hex(digits: &[u8]) -> Result<Vec<u8>> {
    // Pair by pair (rather than hex::decode) to name the bad digit.
    digits
        .chunks_exact(2)
        .map(|pair| Ok(hex_value(pair[0])? << 4 | hex_value(pair[1])?))
        .collect()
}

fn hex_value(digit: u8) -> Result<u8> {
    hex::digit(digit).ok_or_else(|| anyhow!("invalid hex digit {:?}", char::from(digit)))
}

/// Opcode numbers from the manual's "Bytecode Descriptions".
mod op {
    pub const FLOAT: u8 = 0x01;
    pub const ADD: u8 = 0x02;
    pub const SUB: u8 = 0x03;
    pub const MUL: u8 = 0x04;
    pub const DIV_SIGNED: u8 = 0x05;
    pub const DIV_UNSIGNED: u8 = 0x06;
    pub const REM_SIGNED: u8 = 0x07;
    pub const REM_UNSIGNED: u8 = 0x08;
    pub const LSH: u8 = 0x09;
    pub const RSH_SIGNED: u8 = 0x0a;
    pub const RSH_UNSIGNED: u8 = 0x0b;
    pub const TRACE: u8 = 0x0c;
    pub const TRACE_QUICK: u8 = 0x0d;
    pub const LOG_NOT: u8 = 0x0e;
    pub const BIT_AND: u8 = 0x0f;
    pub const BIT_OR: u8 = 0x10;
    pub const BIT_XOR: u8 = 0x11;
    pub const BIT_NOT: u8 = 0x12;
    pub const EQUAL: u8 = 0x13;
    pub const LESS_SIGNED: u8 = 0x14;
    pub const LESS_UNSIGNED: u8 = 0x15;
    pub const EXT: u8 = 0x16;
    pub const REF8: u8 = 0x17;
    pub const REF16: u8 = 0x18;
    pub const REF32: u8 = 0x19;
    pub const REF64: u8 = 0x1a;
    pub const REF_FLOAT: u8 = 0x1b;
    pub const REF_DOUBLE: u8 = 0x1c;
    pub const REF_LONG_DOUBLE: u8 = 0x1d;
    pub const L_TO_D: u8 = 0x1e;
    pub const D_TO_L: u8 = 0x1f;
    pub const IF_GOTO: u8 = 0x20;
    pub const GOTO: u8 = 0x21;
    pub const CONST8: u8 = 0x22;
    pub const CONST16: u8 = 0x23;
    pub const CONST32: u8 = 0x24;
    pub const CONST64: u8 = 0x25;
    pub const REG: u8 = 0x26;
    pub const END: u8 = 0x27;
    pub const DUP: u8 = 0x28;
    pub const POP: u8 = 0x29;
    pub const ZERO_EXT: u8 = 0x2a;
    pub const SWAP: u8 = 0x2b;
    pub const GETV: u8 = 0x2c;
    pub const SETV: u8 = 0x2d;
    pub const TRACEV: u8 = 0x2e;
    pub const TRACENZ: u8 = 0x2f;
    pub const TRACE16: u8 = 0x30;
    pub const PICK: u8 = 0x32;
    pub const ROT: u8 = 0x33;
    pub const PRINTF: u8 = 0x34;
}

/// The manual's name for an opcode, used in error messages.
fn opcode_name(opcode: u8) -> Option<&'static str> {
    let name = match opcode {
        op::FLOAT => "float",
        op::ADD => "add",
        op::SUB => "sub",
        op::MUL => "mul",
        op::DIV_SIGNED => "div_signed",
        op::DIV_UNSIGNED => "div_unsigned",
        op::REM_SIGNED => "rem_signed",
        op::REM_UNSIGNED => "rem_unsigned",
        op::LSH => "lsh",
        op::RSH_SIGNED => "rsh_signed",
        op::RSH_UNSIGNED => "rsh_unsigned",
        op::TRACE => "trace",
        op::TRACE_QUICK => "trace_quick",
        op::LOG_NOT => "log_not",
        op::BIT_AND => "bit_and",
        op::BIT_OR => "bit_or",
        op::BIT_XOR => "bit_xor",
        op::BIT_NOT => "bit_not",
        op::EQUAL => "equal",
        op::LESS_SIGNED => "less_signed",
        op::LESS_UNSIGNED => "less_unsigned",
        op::EXT => "ext",
        op::REF8 => "ref8",
        op::REF16 => "ref16",
        op::REF32 => "ref32",
        op::REF64 => "ref64",
        op::REF_FLOAT => "ref_float",
        op::REF_DOUBLE => "ref_double",
        op::REF_LONG_DOUBLE => "ref_long_double",
        op::L_TO_D => "l_to_d",
        op::D_TO_L => "d_to_l",
        op::IF_GOTO => "if_goto",
        op::GOTO => "goto",
        op::CONST8 => "const8",
        op::CONST16 => "const16",
        op::CONST32 => "const32",
        op::CONST64 => "const64",
        op::REG => "reg",
        op::END => "end",
        op::DUP => "dup",
        op::POP => "pop",
        op::ZERO_EXT => "zero_ext",
        op::SWAP => "swap",
        op::GETV => "getv",
        op::SETV => "setv",
        op::TRACEV => "tracev",
        op::TRACENZ => "tracenz",
        op::TRACE16 => "trace16",
        op::PICK => "pick",
        op::ROT => "rot",
        op::PRINTF => "printf",
        _ => return None,
    };
    Some(name)
}

/// What the interpreter does after an instruction.
enum Flow {
    Continue,
    End(u64),
}

/// A pure two-operand operation: `a b => f(a, b)`, with `b` the top.
type BinaryOp = fn(u64, u64) -> Result<u64>;

/// The operations that only combine the top two stack entries, kept apart
/// from [`Machine::execute`] so that the dispatch there stays short.
fn binary_op(opcode: u8) -> Option<BinaryOp> {
    let f: BinaryOp = match opcode {
        op::ADD => |a, b| Ok(a.wrapping_add(b)),
        op::SUB => |a, b| Ok(a.wrapping_sub(b)),
        op::MUL => |a, b| Ok(a.wrapping_mul(b)),
        op::DIV_SIGNED => div_signed,
        op::DIV_UNSIGNED => div_unsigned,
        op::REM_SIGNED => rem_signed,
        op::REM_UNSIGNED => rem_unsigned,
        op::LSH => |a, b| Ok(shift_left(a, b)),
        op::RSH_SIGNED => |a, b| Ok(shift_right_signed(a, b)),
        op::RSH_UNSIGNED => |a, b| Ok(shift_right_unsigned(a, b)),
        op::BIT_AND => |a, b| Ok(a & b),
        op::BIT_OR => |a, b| Ok(a | b),
        op::BIT_XOR => |a, b| Ok(a ^ b),
        op::EQUAL => |a, b| Ok(u64::from(a == b)),
        op::LESS_SIGNED => |a, b| Ok(u64::from(a.cast_signed() < b.cast_signed())),
        op::LESS_UNSIGNED => |a, b| Ok(u64::from(a < b)),
        _ => return None,
    };
    Some(f)
}

/// Interpreter state for one evaluation.  Trace state variables live here
/// rather than in the server: a condition has no trace run to share them
/// with, so `setv` only needs to be visible to later `getv`s of the same
/// evaluation.
struct Machine<'a> {
    code: &'a [u8],
    pc: usize,
    stack: Vec<u64>,
    variables: HashMap<u16, u64>,
}

impl<'a> Machine<'a> {
    fn new(code: &'a [u8]) -> Self {
        Self {
            code,
            pc: 0,
            stack: Vec::new(),
            variables: HashMap::new(),
        }
    }

    fn run(mut self, ctx: &mut dyn AgentContext) -> Result<u64> {
        for _ in 0..MAX_STEPS {
            let offset = self.pc;
            let opcode = *self.code.get(offset).ok_or_else(|| {
                anyhow!("agent expression ran off its end at offset {offset} without `end`")
            })?;
            self.pc += 1;
            let flow = self.execute(opcode, ctx).with_context(|| {
                let name = opcode_name(opcode).unwrap_or("unknown");
                format!("agent expression bytecode `{name}` (0x{opcode:02x}) at offset {offset}")
            })?;
            if let Flow::End(value) = flow {
                return Ok(value);
            }
        }
        bail!("agent expression executed {MAX_STEPS} instructions without reaching `end`")
    }

    /// Executes one instruction whose opcode byte has been consumed.
    fn execute(&mut self, opcode: u8, ctx: &mut dyn AgentContext) -> Result<Flow> {
        if let Some(f) = binary_op(opcode) {
            self.binary(f)?;
            return Ok(Flow::Continue);
        }
        match opcode {
            op::LOG_NOT => self.unary(|a| Ok(u64::from(a == 0)))?,
            op::BIT_NOT => self.unary(|a| Ok(!a))?,
            op::EXT => {
                let bits = self.fetch_u8()?;
                self.unary(|a| sign_extend(a, bits))?;
            }
            op::ZERO_EXT => {
                let bits = self.fetch_u8()?;
                self.unary(|a| Ok(zero_extend(a, bits)))?;
            }
            op::REF8 => self.memory_ref(ctx, 1)?,
            op::REF16 => self.memory_ref(ctx, 2)?,
            op::REF32 => self.memory_ref(ctx, 4)?,
            op::REF64 => self.memory_ref(ctx, 8)?,
            op::IF_GOTO => self.if_goto()?,
            op::GOTO => {
                let target = self.fetch_u16()?;
                self.jump(target)?;
            }
            op::CONST8 => self.push_constant(1)?,
            op::CONST16 => self.push_constant(2)?,
            op::CONST32 => self.push_constant(4)?,
            op::CONST64 => self.push_constant(8)?,
            op::REG => self.push_register(ctx)?,
            op::END => return Ok(Flow::End(self.peek(0)?)),
            op::DUP => self.push(self.peek(0)?)?,
            op::POP => self.drop_entries(1)?,
            op::SWAP => self.swap()?,
            op::PICK => {
                let depth = self.fetch_u8()?;
                self.push(self.peek(usize::from(depth))?)?;
            }
            op::ROT => self.rotate()?,
            op::GETV => {
                let var = self.fetch_u16()?;
                self.push(self.variable(var))?;
            }
            op::SETV => {
                let var = self.fetch_u16()?;
                self.variables.insert(var, self.peek(0)?);
            }
            op::TRACE | op::TRACE_QUICK | op::TRACE16 | op::TRACEV | op::TRACENZ => {
                self.skip_trace(opcode)?;
            }
            op::FLOAT
            | op::REF_FLOAT
            | op::REF_DOUBLE
            | op::REF_LONG_DOUBLE
            | op::L_TO_D
            | op::D_TO_L
            | op::PRINTF => bail!("unsupported bytecode in a breakpoint condition"),
            _ => bail!("unknown bytecode"),
        }
        Ok(Flow::Continue)
    }

    /// Takes the `size` operand bytes that follow the opcode.
    fn fetch(&mut self, size: usize) -> Result<&'a [u8]> {
        let code = self.code;
        let bytes = self
            .pc
            .checked_add(size)
            .and_then(|end| code.get(self.pc..end))
            .ok_or_else(|| {
                anyhow!(
                    "truncated operand: needs {size} byte(s) but the expression ends at offset {}",
                    code.len()
                )
            })?;
        self.pc += size;
        Ok(bytes)
    }

    fn fetch_u8(&mut self) -> Result<u8> {
        Ok(self.fetch(1)?[0])
    }

    /// Jump targets, register and variable numbers are 16-bit big-endian,
    /// whatever the target's byte order.
    fn fetch_u16(&mut self) -> Result<u16> {
        let bytes = self.fetch(2)?;
        Ok(u16::from_be_bytes([bytes[0], bytes[1]]))
    }

    /// `constN` operands are big-endian and pushed without sign extension.
    fn push_constant(&mut self, size: usize) -> Result<()> {
        let value = self
            .fetch(size)?
            .iter()
            .fold(0u64, |acc, &b| acc << 8 | u64::from(b));
        self.push(value)
    }

    fn push_register(&mut self, ctx: &mut dyn AgentContext) -> Result<()> {
        let regno = self.fetch_u16()?;
        let value = ctx
            .read_register(u32::from(regno))
            .with_context(|| format!("reading register {regno}"))?;
        self.push(value)
    }

    fn memory_ref(&mut self, ctx: &mut dyn AgentContext, size: usize) -> Result<()> {
        let addr = self.pop()?;
        let mut buf = [0u8; 8];
        ctx.read_memory(addr, &mut buf[..size])
            .with_context(|| format!("reading {size} byte(s) at {addr:#x}"))?;
        // x86_64 is little-endian; the unread high bytes stay zero, so the
        // value is pushed unsigned as the manual requires.
        self.push(u64::from_le_bytes(buf))
    }

    fn if_goto(&mut self) -> Result<()> {
        let target = self.fetch_u16()?;
        if self.pop()? != 0 {
            self.jump(target)?;
        }
        Ok(())
    }

    /// Offsets count from the start of the bytecode, not from the jump.
    fn jump(&mut self, target: u16) -> Result<()> {
        let target = usize::from(target);
        ensure!(
            target < self.code.len(),
            "jump to offset {target} is outside the {}-byte expression",
            self.code.len()
        );
        self.pc = target;
        Ok(())
    }

    fn variable(&self, var: u16) -> u64 {
        // An unset trace state variable reads as zero.
        self.variables.get(&var).copied().unwrap_or(0)
    }

    /// A condition records nothing, but each tracing op must still consume
    /// its operands and leave the stack as the manual describes, so that
    /// the rest of the expression sees what it expects.
    fn skip_trace(&mut self, opcode: u8) -> Result<()> {
        match opcode {
            // addr size =>
            op::TRACE | op::TRACENZ => self.drop_entries(2),
            // size operand; addr => addr
            op::TRACE_QUICK => self.fetch_u8().and_then(|_| self.peek(0).map(drop)),
            op::TRACE16 => self.fetch_u16().and_then(|_| self.peek(0).map(drop)),
            // The manual gives `tracev n: => a`, so the variable's value is
            // pushed.
            _ => {
                let var = self.fetch_u16()?;
                self.push(self.variable(var))
            }
        }
    }

    fn swap(&mut self) -> Result<()> {
        // a b => b a
        let b = self.pop()?;
        let a = self.pop()?;
        self.push(b)?;
        self.push(a)
    }

    fn rotate(&mut self) -> Result<()> {
        // a b c => c a b
        let c = self.pop()?;
        let b = self.pop()?;
        let a = self.pop()?;
        self.push(c)?;
        self.push(a)?;
        self.push(b)
    }

    fn unary(&mut self, f: impl FnOnce(u64) -> Result<u64>) -> Result<()> {
        let a = self.pop()?;
        self.push(f(a)?)
    }

    /// Pops `b` (the top) then `a`, and pushes `f(a, b)`.
    fn binary(&mut self, f: BinaryOp) -> Result<()> {
        let b = self.pop()?;
        let a = self.pop()?;
        self.push(f(a, b)?)
    }

    fn push(&mut self, value: u64) -> Result<()> {
        ensure!(
            self.stack.len() < MAX_STACK_DEPTH,
            "stack overflow: more than {MAX_STACK_DEPTH} entries"
        );
        self.stack.push(value);
        Ok(())
    }

    fn pop(&mut self) -> Result<u64> {
        self.stack.pop().ok_or_else(|| anyhow!("stack underflow"))
    }

    fn drop_entries(&mut self, count: usize) -> Result<()> {
        for _ in 0..count {
            self.pop()?;
        }
        Ok(())
    }

    /// The entry `depth` places below the top (0 is the top itself).
    fn peek(&self, depth: usize) -> Result<u64> {
        self.stack
            .len()
            .checked_sub(depth + 1)
            .map(|i| self.stack[i])
            .ok_or_else(|| {
                anyhow!(
                    "stack underflow: needs {} entries, has {}",
                    depth + 1,
                    self.stack.len()
                )
            })
    }
}

// Division by zero is an evaluation error per the manual; the wrapping forms
// make i64::MIN / -1 yield i64::MIN instead of panicking.

fn div_signed(a: u64, b: u64) -> Result<u64> {
    ensure!(b != 0, "division by zero");
    Ok(a.cast_signed()
        .wrapping_div(b.cast_signed())
        .cast_unsigned())
}

fn div_unsigned(a: u64, b: u64) -> Result<u64> {
    ensure!(b != 0, "division by zero");
    Ok(a / b)
}

fn rem_signed(a: u64, b: u64) -> Result<u64> {
    ensure!(b != 0, "division by zero");
    Ok(a.cast_signed()
        .wrapping_rem(b.cast_signed())
        .cast_unsigned())
}

fn rem_unsigned(a: u64, b: u64) -> Result<u64> {
    ensure!(b != 0, "division by zero");
    Ok(a % b)
}

// Shifting by the full width or more is undefined in C; here every bit is
// shifted out, as on a machine with wider registers.

fn shift_left(a: u64, b: u64) -> u64 {
    u32::try_from(b)
        .ok()
        .and_then(|b| a.checked_shl(b))
        .unwrap_or(0)
}

fn shift_right_unsigned(a: u64, b: u64) -> u64 {
    u32::try_from(b)
        .ok()
        .and_then(|b| a.checked_shr(b))
        .unwrap_or(0)
}

fn shift_right_signed(a: u64, b: u64) -> u64 {
    // Shifting by 63 already leaves only copies of the sign bit.
    let b = u32::try_from(b.min(63)).unwrap_or(63);
    (a.cast_signed() >> b).cast_unsigned()
}

/// Sign-extends from `bits` bits.  Widths of 64 or more leave the value
/// alone, as the manual says; a zero width has no sign bit to copy.
fn sign_extend(a: u64, bits: u8) -> Result<u64> {
    ensure!(bits != 0, "cannot sign-extend from 0 bits");
    if bits >= 64 {
        return Ok(a);
    }
    let unused = 64 - u32::from(bits);
    Ok(((a << unused).cast_signed() >> unused).cast_unsigned())
}

/// Keeps only the low `bits` bits.
fn zero_extend(a: u64, bits: u8) -> u64 {
    if bits >= 64 {
        a
    } else {
        a & ((1u64 << bits) - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sparse memory plus gdb's amd64 register file (rbp is register 6).
    struct FakeContext {
        memory: HashMap<u64, u8>,
        registers: Vec<u64>,
    }

    impl FakeContext {
        fn new() -> Self {
            Self {
                memory: HashMap::new(),
                registers: vec![0; 24],
            }
        }

        fn poke(&mut self, addr: u64, bytes: &[u8]) {
            for (i, &b) in bytes.iter().enumerate() {
                self.memory.insert(addr + i as u64, b);
            }
        }
    }

    impl AgentContext for FakeContext {
        fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> Result<()> {
            for (i, slot) in buf.iter_mut().enumerate() {
                let at = addr.wrapping_add(i as u64);
                *slot = *self
                    .memory
                    .get(&at)
                    .ok_or_else(|| anyhow!("no memory at {at:#x}"))?;
            }
            Ok(())
        }

        fn read_register(&mut self, regno: u32) -> Result<u64> {
            self.registers
                .get(regno as usize)
                .copied()
                .ok_or_else(|| anyhow!("no register {regno}"))
        }
    }

    /// Assembles `;`-separated mnemonics, e.g. `"const8 42; equal; end"`.
    /// Operands are decimal or `0x` hex and may be negative (two's
    /// complement, truncated to the operand size).  `byte N` emits a raw
    /// byte, for unknown opcodes and truncated operands.
    fn asm(source: &str) -> Vec<u8> {
        let mut code = Vec::new();
        for insn in source.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let mut words = insn.split_whitespace();
            let mnemonic = words.next().expect("mnemonic");
            let operand = words.next().map(parse_number);
            if mnemonic == "byte" {
                code.push(operand.expect("byte value") as u8);
                continue;
            }
            let opcode = (0..=u8::MAX)
                .find(|&b| opcode_name(b) == Some(mnemonic))
                .unwrap_or_else(|| panic!("unknown mnemonic {mnemonic}"));
            code.push(opcode);
            let size = operand_size(mnemonic);
            if let Some(value) = operand {
                code.extend_from_slice(&value.to_be_bytes()[8 - size..]);
            } else {
                assert_eq!(size, 0, "{mnemonic} needs an operand");
            }
        }
        code
    }

    fn parse_number(text: &str) -> u64 {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let value = match digits.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16),
            None => digits.parse(),
        }
        .unwrap_or_else(|_| panic!("bad number {text}"));
        if negative {
            value.wrapping_neg()
        } else {
            value
        }
    }

    fn operand_size(mnemonic: &str) -> usize {
        match mnemonic {
            "const8" | "ext" | "zero_ext" | "pick" | "trace_quick" => 1,
            "const16" | "reg" | "goto" | "if_goto" | "getv" | "setv" | "tracev" | "trace16" => 2,
            "const32" => 4,
            "const64" => 8,
            _ => 0,
        }
    }

    fn eval_in(ctx: &mut FakeContext, source: &str) -> Result<u64> {
        AgentExpr::new(asm(source)).evaluate(ctx)
    }

    fn eval(source: &str) -> u64 {
        eval_in(&mut FakeContext::new(), source).unwrap_or_else(|e| panic!("{source}: {e:#}"))
    }

    /// The full error chain, which is what the server would log.
    fn eval_err(source: &str) -> String {
        match eval_in(&mut FakeContext::new(), source) {
            Ok(v) => panic!("{source}: expected an error, got {v}"),
            Err(e) => format!("{e:#}"),
        }
    }

    fn assert_err(source: &str, expected: &[&str]) {
        let msg = eval_err(source);
        for part in expected {
            assert!(msg.contains(part), "{source}: {msg:?} lacks {part:?}");
        }
    }

    /// Evaluates `a op b` with both operands pushed as 64-bit constants.
    fn binop(a: i64, b: i64, mnemonic: &str) -> u64 {
        eval(&format!("const64 {a}; const64 {b}; {mnemonic}; end"))
    }

    // ---- parsing ----

    #[test]
    fn parses_single_condition() {
        let exprs = parse_condition_list("X3,220127").expect("parse");
        assert_eq!(exprs, vec![AgentExpr::new(vec![0x22, 0x01, 0x27])]);
    }

    #[test]
    fn parses_concatenated_conditions_as_gdb13_sends_them() {
        // Captured from gdb 13.1 talking to gdbserver, for `break f if x == 42`
        // and `break f if g == 42` at the same address.
        let text = "X12,26000622100222dc160802191620222a1327X10,250000555555558010191620222a1327";
        let exprs = parse_condition_list(text).expect("parse");
        assert_eq!(exprs.len(), 2);
        assert_eq!(exprs[0].bytes().len(), 0x12);
        assert_eq!(exprs[0].bytes()[0], op::REG);
        assert_eq!(exprs[1].bytes().len(), 0x10);
        assert_eq!(exprs[1].bytes()[0], op::CONST64);
    }

    #[test]
    fn parses_semicolon_separated_conditions_and_upper_case_hex() {
        let exprs =
            parse_condition_list("X3,220127;X2,2227;Xa,22000000000000000027").expect("parse");
        assert_eq!(exprs.len(), 3);
        assert_eq!(exprs[1].bytes(), &[0x22, 0x27]);
        assert_eq!(exprs[2].bytes().len(), 10);
        let upper = parse_condition_list("XA,22FF00000000000000AB").expect("parse");
        assert_eq!(upper[0].bytes()[1], 0xff);
        assert_eq!(upper[0].bytes()[9], 0xab);
    }

    #[test]
    fn parse_errors_are_reported_not_panics() {
        let cases = [
            ("", "empty"),
            ("Y3,220127", "expected 'X'"),
            ("X3220127", "missing ','"),
            ("X,220127", "missing condition length"),
            ("Xg,22", "invalid hex digit"),
            ("X0,", "zero-length"),
            ("X3,2201", "declares 3 bytes but only 4 hex digits"),
            ("X2,2z27", "invalid hex digit 'z'"),
            ("X2,é27", "invalid hex digit"),
            ("X3,220127;", "expected 'X'"),
            ("X3,220127;;X1,27", "expected 'X'"),
            (";X1,27", "expected 'X'"),
            ("X3,220127junk", "expected 'X'"),
            ("Xffffffffffffffffff,00", "too large"),
            ("Xffffffffffffffff,00", "declares"),
        ];
        for (text, expected) in cases {
            let err = parse_condition_list(text).expect_err(text);
            let msg = format!("{err:#}");
            assert!(msg.contains(expected), "{text:?}: {msg}");
        }
    }

    #[test]
    fn parse_error_names_the_bad_entry() {
        let err = parse_condition_list("X1,27X2,zz").expect_err("bad second entry");
        let msg = format!("{err:#}");
        assert!(msg.contains("condition #2 at offset 5"), "{msg}");
    }

    // ---- conditions gdb really produces ----

    const RBP: u64 = 0x7fff_ffff_e000;
    const GLOBAL_G: u64 = 0x5555_5555_8010;
    const GLOBAL_GS: u64 = 0x5555_5555_8014;

    /// A stopped frame: `int x` at rbp-20 (where gdb 13 computes it from the
    /// CFA) and at rbp-4, global `int g` and global `short gs`.
    fn program_state(x: i32, g: i32, gs: i16) -> FakeContext {
        let mut ctx = FakeContext::new();
        ctx.registers[6] = RBP;
        ctx.poke(RBP - 20, &x.to_le_bytes());
        ctx.poke(RBP - 4, &x.to_le_bytes());
        ctx.poke(GLOBAL_G, &g.to_le_bytes());
        ctx.poke(GLOBAL_GS, &gs.to_le_bytes());
        ctx
    }

    fn parse_one(text: &str) -> AgentExpr {
        let mut exprs = parse_condition_list(text).expect("parse");
        assert_eq!(exprs.len(), 1);
        exprs.remove(0)
    }

    fn check(expr: &AgentExpr, ctx: &mut FakeContext) -> u64 {
        expr.evaluate(ctx).expect("evaluate")
    }

    #[test]
    fn gdb_local_variable_condition() {
        // gdb 13 for `break f if x == 42`, as sent in the Z0 packet.
        let expr = parse_one("X12,26000622100222dc160802191620222a1327");
        let source = "reg 6; const8 16; add; const8 -36; ext 8; add; ref32; ext 32; \
                      const8 42; equal; end";
        assert_eq!(expr.bytes(), asm(source));
        assert_eq!(check(&expr, &mut program_state(42, 0, 0)), 1);
        assert_eq!(check(&expr, &mut program_state(41, 0, 0)), 0);
    }

    #[test]
    fn rbp_minus_offset_local_condition() {
        let source = "reg 6; const8 4; sub; ref32; ext 32; const8 42; equal; end";
        assert_eq!(
            eval_in(&mut program_state(42, 0, 0), source).expect("eval"),
            1
        );
        assert_eq!(
            eval_in(&mut program_state(-42, 0, 0), source).expect("eval"),
            0
        );
    }

    #[test]
    fn gdb_global_variable_condition() {
        // gdb 13 for `break f if g == 42`.
        let expr = parse_one("X10,250000555555558010191620222a1327");
        let source = format!("const64 {GLOBAL_G}; ref32; ext 32; const8 42; equal; end");
        assert_eq!(expr.bytes(), asm(&source));
        assert_eq!(check(&expr, &mut program_state(0, 42, 0)), 1);
        assert_eq!(check(&expr, &mut program_state(0, 7, 0)), 0);
    }

    #[test]
    fn gdb_signed_short_comparison() {
        // gdb 13 for `break main if gs < -2`.
        let expr = parse_one("X12,25000055555555801418161022fe16081427");
        let source =
            format!("const64 {GLOBAL_GS}; ref16; ext 16; const8 -2; ext 8; less_signed; end");
        assert_eq!(expr.bytes(), asm(&source));
        assert_eq!(check(&expr, &mut program_state(0, 0, -3)), 1);
        assert_eq!(check(&expr, &mut program_state(0, 0, -2)), 0);
        assert_eq!(check(&expr, &mut program_state(0, 0, 5)), 0);
    }

    #[test]
    fn gdb_logical_or_uses_if_goto_and_goto() {
        // `maint agent-eval x == 42 || g == 1` as disassembled by gdb 13.
        let source = format!(
            "reg 6; const8 16; add; const8 -36; ext 8; add; ref32; ext 32; const8 42; \
             equal; if_goto 43; const64 {GLOBAL_G}; ref32; ext 32; const8 1; equal; \
             if_goto 43; const8 0; goto 45; const8 1; end"
        );
        assert_eq!(asm(&source).len(), 46);
        for (x, g, expected) in [(42, 0, 1), (0, 1, 1), (42, 1, 1), (0, 0, 0)] {
            let mut ctx = program_state(x, g, 0);
            assert_eq!(
                eval_in(&mut ctx, &source).expect("eval"),
                expected,
                "x={x} g={g}"
            );
        }
    }

    // ---- opcode families ----

    #[test]
    fn arithmetic_wraps() {
        assert_eq!(binop(2, 3, "add"), 5);
        assert_eq!(binop(-1, 2, "add"), 1);
        assert_eq!(binop(2, 3, "sub"), u64::MAX);
        assert_eq!(binop(7, 6, "mul"), 42);
        assert_eq!(binop(-1, -1, "mul"), 1);
        assert_eq!(binop(i64::MAX, 2, "mul"), (-2i64) as u64);
    }

    #[test]
    fn division_and_remainder() {
        assert_eq!(binop(-7, 2, "div_signed"), (-3i64) as u64);
        assert_eq!(binop(-7, 2, "div_unsigned"), (u64::MAX - 6) / 2);
        assert_eq!(binop(-7, 2, "rem_signed"), (-1i64) as u64);
        assert_eq!(binop(-7, 2, "rem_unsigned"), 1);
        // The one signed overflow case must wrap, not panic.
        assert_eq!(binop(i64::MIN, -1, "div_signed"), i64::MIN as u64);
        assert_eq!(binop(i64::MIN, -1, "rem_signed"), 0);
    }

    #[test]
    fn division_by_zero_is_an_error() {
        for mnemonic in ["div_signed", "div_unsigned", "rem_signed", "rem_unsigned"] {
            let source = format!("const64 1; const64 0; {mnemonic}; end");
            assert_err(
                &source,
                &[&format!("`{mnemonic}`"), "at offset 18", "division by zero"],
            );
        }
    }

    #[test]
    fn shifts() {
        assert_eq!(binop(1, 4, "lsh"), 16);
        assert_eq!(binop(1, 64, "lsh"), 0);
        assert_eq!(binop(-16, 2, "rsh_signed"), (-4i64) as u64);
        assert_eq!(binop(-16, 200, "rsh_signed"), u64::MAX);
        assert_eq!(binop(16, 200, "rsh_signed"), 0);
        assert_eq!(binop(-16, 60, "rsh_unsigned"), 0xf);
        assert_eq!(binop(-16, 64, "rsh_unsigned"), 0);
    }

    #[test]
    fn logic_bitwise_and_comparisons() {
        assert_eq!(eval("const8 0; log_not; end"), 1);
        assert_eq!(eval("const8 9; log_not; end"), 0);
        assert_eq!(binop(0b1100, 0b1010, "bit_and"), 0b1000);
        assert_eq!(binop(0b1100, 0b1010, "bit_or"), 0b1110);
        assert_eq!(binop(0b1100, 0b1010, "bit_xor"), 0b0110);
        assert_eq!(eval("const8 0; bit_not; end"), u64::MAX);
        assert_eq!(binop(5, 5, "equal"), 1);
        assert_eq!(binop(5, 6, "equal"), 0);
        // a b => a<b, with a the next-to-top value.
        assert_eq!(binop(-1, 1, "less_signed"), 1);
        assert_eq!(binop(1, -1, "less_signed"), 0);
        assert_eq!(binop(-1, 1, "less_unsigned"), 0);
        assert_eq!(binop(1, -1, "less_unsigned"), 1);
        assert_eq!(binop(3, 3, "less_unsigned"), 0);
    }

    #[test]
    fn sign_extension() {
        assert_eq!(eval("const8 0xfe; ext 8; end"), (-2i64) as u64);
        assert_eq!(eval("const8 0x7f; ext 8; end"), 0x7f);
        assert_eq!(eval("const32 0x80000000; ext 32; end"), i32::MIN as u64);
        assert_eq!(eval("const8 5; ext 3; end"), (-3i64) as u64);
        // Widths of 64 and more change nothing.
        assert_eq!(eval("const8 0xfe; ext 64; end"), 0xfe);
        assert_eq!(eval("const8 0xfe; ext 200; end"), 0xfe);
        assert_err(
            "const8 1; ext 0; end",
            &["`ext` (0x16) at offset 2", "0 bits"],
        );
    }

    #[test]
    fn zero_extension() {
        assert_eq!(eval("const16 0x1234; zero_ext 8; end"), 0x34);
        assert_eq!(eval("const16 0x1234; zero_ext 0; end"), 0);
        assert_eq!(eval("const8 0xff; ext 8; zero_ext 32; end"), 0xffff_ffff);
        assert_eq!(eval("const8 0xff; ext 8; zero_ext 64; end"), u64::MAX);
    }

    #[test]
    fn constants_are_big_endian_and_unsigned() {
        assert_eq!(asm("const16 0x1234"), [op::CONST16, 0x12, 0x34]);
        assert_eq!(eval("const8 0xff; end"), 0xff);
        assert_eq!(eval("const16 0xfffe; end"), 0xfffe);
        assert_eq!(eval("const32 0x12345678; end"), 0x1234_5678);
        assert_eq!(
            eval("const64 0x0102030405060708; end"),
            0x0102_0304_0506_0708
        );
    }

    #[test]
    fn memory_references_are_little_endian_and_unaligned() {
        let mut ctx = FakeContext::new();
        ctx.poke(0x1001, &[0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
        let mut load = |mnemonic| {
            eval_in(&mut ctx, &format!("const16 0x1001; {mnemonic}; end")).expect(mnemonic)
        };
        assert_eq!(load("ref8"), 0x88);
        assert_eq!(load("ref16"), 0x7788);
        assert_eq!(load("ref32"), 0x5566_7788);
        assert_eq!(load("ref64"), 0x1122_3344_5566_7788);
    }

    #[test]
    fn unreadable_memory_is_an_error() {
        assert_err(
            "const16 0x2000; ref32; end",
            &["`ref32` (0x19) at offset 3", "reading 4 byte(s) at 0x2000"],
        );
    }

    #[test]
    fn registers() {
        let mut ctx = FakeContext::new();
        ctx.registers[7] = 0xdead_beef;
        assert_eq!(eval_in(&mut ctx, "reg 7; end").expect("reg 7"), 0xdead_beef);
        assert_err(
            "reg 256; end",
            &["`reg` (0x26) at offset 0", "reading register 256"],
        );
    }

    #[test]
    fn dup_pop_swap() {
        assert_eq!(eval("const8 3; dup; add; end"), 6);
        assert_eq!(eval("const8 3; const8 4; pop; end"), 3);
        assert_eq!(eval("const8 3; const8 4; swap; sub; end"), 1);
    }

    #[test]
    fn pick_and_rot() {
        let three = "const8 1; const8 2; const8 3";
        assert_eq!(eval(&format!("{three}; pick 0; end")), 3);
        assert_eq!(eval(&format!("{three}; pick 2; end")), 1);
        // a b c => c a b: top is b, then a, then c.
        assert_eq!(eval(&format!("{three}; rot; end")), 2);
        assert_eq!(eval(&format!("{three}; rot; pop; end")), 1);
        assert_eq!(eval(&format!("{three}; rot; pop; pop; end")), 3);
        assert_err(
            &format!("{three}; pick 3; end"),
            &["`pick` (0x32) at offset 6", "underflow"],
        );
    }

    #[test]
    fn end_returns_top_of_stack() {
        assert_eq!(eval("const8 1; const8 2; end"), 2);
    }

    #[test]
    fn trace_state_variables() {
        // getv of a variable never set pushes 0.
        assert_eq!(eval("getv 5; end"), 0);
        // setv leaves the value on the stack.
        assert_eq!(eval("const8 9; setv 5; end"), 9);
        assert_eq!(eval("const8 9; setv 0x105; pop; getv 0x105; end"), 9);
        assert_eq!(eval("const8 9; setv 0x105; getv 5; end"), 0);
        assert_err("setv 1; end", &["`setv` (0x2d) at offset 0", "underflow"]);
    }

    #[test]
    fn trace_state_variables_do_not_outlive_an_evaluation() {
        let mut ctx = FakeContext::new();
        let set = AgentExpr::new(asm("const8 9; setv 1; end"));
        let get = AgentExpr::new(asm("getv 1; end"));
        assert_eq!(set.evaluate(&mut ctx).expect("set"), 9);
        assert_eq!(get.evaluate(&mut ctx).expect("get"), 0);
    }

    #[test]
    fn tracing_ops_only_adjust_the_stack() {
        // trace and tracenz: addr size => (both popped).
        assert_eq!(eval("const8 7; const8 0x10; const8 4; trace; end"), 7);
        assert_eq!(eval("const8 7; const8 0x10; const8 4; tracenz; end"), 7);
        // trace_quick n and trace16 n: addr => addr.
        assert_eq!(eval("const8 0x10; trace_quick 4; end"), 0x10);
        assert_eq!(eval("const8 0x10; trace16 0x400; end"), 0x10);
        assert_eq!(eval("const8 7; const8 0x10; trace_quick 4; pop; end"), 7);
        // tracev n: => a, the variable's value.
        assert_eq!(eval("const8 3; setv 2; pop; tracev 2; end"), 3);
        assert_eq!(eval("const8 7; tracev 2; end"), 0);
        // Nothing is read from the target: these addresses are unmapped.
        assert_eq!(
            eval("const8 7; const8 0x10; const8 4; trace; const8 1; end"),
            1
        );
    }

    #[test]
    fn tracing_ops_underflow() {
        assert_err("const8 1; trace; end", &["`trace` (0x0c)", "underflow"]);
        assert_err("const8 1; tracenz; end", &["`tracenz` (0x2f)", "underflow"]);
        assert_err("trace_quick 4; end", &["`trace_quick` (0x0d)", "underflow"]);
        assert_err("trace16 4; end", &["`trace16` (0x30)", "underflow"]);
    }

    #[test]
    fn if_goto_and_goto() {
        // 0: const8 c; 2: if_goto 10; 5: const8 1; 7: goto 12; 10: const8 2; 12: end
        let program = |c| format!("const8 {c}; if_goto 10; const8 1; goto 12; const8 2; end");
        assert_eq!(eval(&program(1)), 2);
        assert_eq!(eval(&program(0xff)), 2);
        assert_eq!(eval(&program(0)), 1);
    }

    #[test]
    fn backward_goto_loop_runs_until_its_condition_fails() {
        // 0: getv 0; const8 1; add; setv 0; const8 5; less_unsigned; if_goto 0
        let source = "getv 0; const8 1; add; setv 0; const8 5; less_unsigned; if_goto 0; \
                      getv 0; end";
        assert_eq!(eval(source), 5);
    }

    // ---- error paths ----

    #[test]
    fn runaway_loop_is_bounded() {
        assert_err("goto 0", &["without reaching `end`"]);
    }

    #[test]
    fn stack_depth_is_bounded() {
        assert_err(
            "const8 1; goto 0",
            &["`const8` (0x22) at offset 0", "stack overflow"],
        );
        // Exactly the limit is fine.
        let full = vec!["const8 1"; MAX_STACK_DEPTH].join("; ") + "; end";
        assert_eq!(eval(&full), 1);
    }

    #[test]
    fn underflow_is_an_error() {
        for source in [
            "add; end",
            "const8 1; add; end",
            "pop; end",
            "dup; end",
            "end",
            "const8 1; swap; end",
            "const8 1; const8 1; rot; end",
            "if_goto 0",
            "ref8; end",
            "log_not; end",
            "bit_not; end",
            "ext 8; end",
        ] {
            assert_err(source, &["underflow"]);
        }
    }

    #[test]
    fn jump_out_of_range_is_an_error() {
        assert_err(
            "goto 4; end",
            &["`goto` (0x21) at offset 0", "outside the 4-byte expression"],
        );
        assert_err(
            "const8 1; if_goto 0xffff; end",
            &["`if_goto` (0x20) at offset 2", "jump to offset 65535"],
        );
        // An untaken branch never uses its target.
        assert_eq!(eval("const8 0; if_goto 0xffff; const8 4; end"), 4);
    }

    #[test]
    fn running_off_the_end_is_an_error() {
        assert_err("const8 1", &["ran off its end at offset 2"]);
        assert_err("", &["ran off its end at offset 0"]);
    }

    #[test]
    fn truncated_operands_are_errors() {
        for source in [
            "byte 0x22",
            "byte 0x23; byte 1",
            "byte 0x24; byte 1; byte 2; byte 3",
            "byte 0x25; byte 1; byte 2; byte 3; byte 4; byte 5; byte 6; byte 7",
            "byte 0x26; byte 0",
            "byte 0x21; byte 0",
            "const8 1; byte 0x20",
            "const8 1; byte 0x16",
            "const8 1; byte 0x2a",
            "const8 1; byte 0x32",
            "byte 0x2c; byte 0",
            "const8 1; byte 0x2d",
            "byte 0x2e",
            "const8 1; byte 0x0d",
            "const8 1; byte 0x30; byte 0",
        ] {
            assert_err(source, &["truncated operand"]);
        }
    }

    #[test]
    fn unknown_opcodes_are_errors() {
        for opcode in [0x00, 0x31, 0x35, 0xff] {
            let source = format!("const8 1; byte {opcode}; end");
            assert_err(
                &source,
                &["unknown bytecode", &format!("(0x{opcode:02x}) at offset 2")],
            );
        }
    }

    #[test]
    fn floating_point_and_printf_are_unsupported() {
        for mnemonic in [
            "float",
            "ref_float",
            "ref_double",
            "ref_long_double",
            "l_to_d",
            "d_to_l",
            "printf",
        ] {
            let source = format!("const8 1; {mnemonic}; end");
            let at = format!("`{mnemonic}` (0x{:02x}) at offset 2", asm(mnemonic)[0]);
            assert_err(&source, &["unsupported bytecode", &at]);
        }
    }
}
