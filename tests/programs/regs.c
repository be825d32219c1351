/* regs.c: known register values for register read/write tests (x86-64).
 *
 * Usage: regs RESULT_FILE
 * Breakpoint labels (global asm labels, use `break *LABEL`):
 *   regs_loaded   rbx = 0x1122334455667788, r12 = 0x0102030405060708,
 *                 r13 = 0xfedcba9876543210
 *   rbx_set_here  rbx is zero; what gdb writes to rbx is stored in rbx_seen
 *   ymm_loaded    ymm0 holds the int32 lanes 1..8 (xmm0 the lanes 1..4 when
 *                 the CPU lacks AVX); what gdb writes to ymm0/xmm0 is stored
 *                 in vec_seen
 * When the OS enabled protection keys, PKRU is set to 0x12345670 first;
 * when it enabled AVX-512, k3 and every lane of zmm20 hold
 * 0x1234567887654321 at regs_loaded.
 * The result file gets "fs=HEX rbx=HEX vec=A,B,...,H pkru=HEX avx=N pku=N". */
#include <asm/prctl.h>
#include <cpuid.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

unsigned long fs_base_seen;   /* from arch_prctl(ARCH_GET_FS) */
unsigned long rbx_seen;       /* rbx as the program saw it after rbx_set_here */
int vec_seen[8];              /* ymm0 (or xmm0) after ymm_loaded */
unsigned int pkru_seen;       /* from rdpkru, when the OS enabled PKU */
int have_avx;
int have_pku;
int have_avx512;
#define AVX512_VALUE 0x1234567887654321ull
#define PKRU_VALUE 0x12345670u
static const int pattern[8] = {1, 2, 3, 4, 5, 6, 7, 8};

static void cpu_features(void)
{
	unsigned a, b, c, d;
	if (__get_cpuid(1, &a, &b, &c, &d)) {
		/* AVX and OSXSAVE: the OS saves ymm state. */
		have_avx = (c & (1u << 28)) && (c & (1u << 27));
	}
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		have_pku = (c & (1u << 4)) != 0; /* OSPKE */
		if ((b & (1u << 16)) && have_avx) { /* AVX512F */
			unsigned lo, hi;
			__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
			/* The OS saves opmask, ZMM_Hi256 and Hi16_ZMM. */
			have_avx512 = (lo & 0xe0) == 0xe0;
		}
	}
}

int main(int argc, char **argv)
{
	cpu_features();
	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_base_seen);
	if (have_pku) {
		/* A recognisable PKRU: key 0 (all ordinary memory) stays fully
		 * accessible, the other keys get arbitrary rights. */
		__asm__ volatile(".byte 0x0f, 0x01, 0xef" /* wrpkru */
				 :: "a"(PKRU_VALUE), "c"(0), "d"(0));
		__asm__ volatile(".byte 0x0f, 0x01, 0xee" /* rdpkru */
				 : "=a"(pkru_seen) : "c"(0) : "rdx");
	}

	if (have_avx512)
		__asm__ volatile("kmovq %0, %%k3\n\t"
				 "vpbroadcastq %0, %%zmm20"
				 :: "r"(AVX512_VALUE));

	__asm__ volatile("movabs $0x1122334455667788, %%rbx\n\t"
			 "movabs $0x0102030405060708, %%r12\n\t"
			 "movabs $0xfedcba9876543210, %%r13\n\t"
			 ".globl regs_loaded\n"
			 "regs_loaded:\n\t"
			 "nop\n\t"
			 ::: "rbx", "r12", "r13");

	__asm__ volatile("xor %%ebx, %%ebx\n\t"
			 ".globl rbx_set_here\n"
			 "rbx_set_here:\n\t"
			 "nop\n\t"
			 "mov %%rbx, %0\n\t"
			 : "=m"(rbx_seen) :: "rbx");

	if (have_avx) {
		__asm__ volatile("vmovdqu %1, %%ymm0\n\t"
				 ".globl ymm_loaded\n"
				 "ymm_loaded:\n\t"
				 "nop\n\t"
				 "vmovdqu %%ymm0, %0\n\t"
				 "vzeroupper\n\t"
				 : "=m"(vec_seen) : "m"(pattern) : "xmm0");
	} else {
		__asm__ volatile("movdqu %1, %%xmm0\n\t"
				 ".globl xmm_loaded\n"
				 "xmm_loaded:\n\t"
				 "nop\n\t"
				 "movdqu %%xmm0, %0\n\t"
				 : "=m"(vec_seen) : "m"(pattern) : "xmm0");
	}

	if (argc > 1) {
		FILE *fp = fopen(argv[1], "w");
		if (!fp)
			return 2;
		fprintf(fp, "fs=%lx rbx=%lx vec=%d,%d,%d,%d,%d,%d,%d,%d pkru=%x avx=%d pku=%d\n",
			fs_base_seen, rbx_seen, vec_seen[0], vec_seen[1], vec_seen[2],
			vec_seen[3], vec_seen[4], vec_seen[5], vec_seen[6], vec_seen[7],
			pkru_seen, have_avx, have_pku);
		fclose(fp);
	}
	return 0;
}
