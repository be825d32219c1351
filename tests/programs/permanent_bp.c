/* permanent_bp.c: a breakpoint instruction in the program's own code (a
 * "permanent breakpoint", as a program that calls a debugger in has).
 *
 * Usage: permanent_bp
 * main calls test() three times; test() adds 1 to `counter`, executes the
 * breakpoint instruction, and adds 1 again. Exits with counter (6) once
 * every call has run in full. */

#if defined(__x86_64__) || defined(__i386__)
#define PERMANENT_BREAKPOINT() __asm__ volatile("int3")
#elif defined(__aarch64__)
#define PERMANENT_BREAKPOINT() __asm__ volatile("brk #0")
#endif

volatile int counter;

void test(void)
{
	counter++;
	PERMANENT_BREAKPOINT(); /* PERMANENT */
	counter++;
}

int main(void)
{
	test(); /* FIRST_CALL */
	test(); /* SECOND_CALL */
	test();
	return counter;
}
