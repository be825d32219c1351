/* loop.c: a long arithmetic loop with no calls, for `stepi N` and `next N`.
 * The loop is far longer than any benchmark steps through, so every step
 * stays inside work() and each `next` moves exactly one source line. */
volatile long sum;

__attribute__((noinline)) void work(void)
{
	for (long i = 0; i < 1000000000L; i++) {
		sum += i;
		sum ^= i >> 3;
	}
}

int main(void)
{
	work();
	return 0;
}
