/* regs_a64.c: known values in the aarch64 registers, for the registers test.
 *
 * At the global label `regs_loaded` (a breakpoint target: `break *regs_loaded`)
 * x0..x28 hold 0x1000 + N (x5 = 0x1005, ...) and d0 (the low half of v0)
 * holds 0x0123456789abcdef. The instruction after the label stores x9 into a
 * local, and the program exits with its low byte: 9 (0x1009) unless gdb
 * wrote another value into x9 at the label, which is how the test sees that
 * a register write really reached the program. */
int main(void)
{
	unsigned long got;

	__asm__ volatile(
		/* d0 first: it goes through x1, which is set again below. */
		"movz x1, #0xcdef\n\t"
		"movk x1, #0x89ab, lsl #16\n\t"
		"movk x1, #0x4567, lsl #32\n\t"
		"movk x1, #0x0123, lsl #48\n\t"
		"fmov d0, x1\n\t"
		"mov x0, #0x1000\n\t"
		"mov x1, #0x1001\n\t"
		"mov x2, #0x1002\n\t"
		"mov x3, #0x1003\n\t"
		"mov x4, #0x1004\n\t"
		"mov x5, #0x1005\n\t"
		"mov x6, #0x1006\n\t"
		"mov x7, #0x1007\n\t"
		"mov x8, #0x1008\n\t"
		"mov x9, #0x1009\n\t"
		"mov x10, #0x100a\n\t"
		"mov x11, #0x100b\n\t"
		"mov x12, #0x100c\n\t"
		"mov x13, #0x100d\n\t"
		"mov x14, #0x100e\n\t"
		"mov x15, #0x100f\n\t"
		"mov x16, #0x1010\n\t"
		"mov x17, #0x1011\n\t"
		"mov x18, #0x1012\n\t"
		"mov x19, #0x1013\n\t"
		"mov x20, #0x1014\n\t"
		"mov x21, #0x1015\n\t"
		"mov x22, #0x1016\n\t"
		"mov x23, #0x1017\n\t"
		"mov x24, #0x1018\n\t"
		"mov x25, #0x1019\n\t"
		"mov x26, #0x101a\n\t"
		"mov x27, #0x101b\n\t"
		"mov x28, #0x101c\n\t"
		".globl regs_loaded\n"
		"regs_loaded:\n\t"
		"str x9, %0\n\t"
		: "=m"(got)
		:
		: "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9",
		  "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18",
		  "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27",
		  "x28", "v0", "memory");
	return (int)(got & 0xff);
}
