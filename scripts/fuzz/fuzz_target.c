/* fuzz_target.c: the program the live fuzzer keeps stopped under the server.
 * It never runs past its first instruction (the fuzzer sends no resume);
 * `marker` is what the fuzzer reads back to check the server still reads
 * memory right. */
const char marker[64] = "rgdbserver live fuzz: this text must read back unchanged 0123";

int main(void)
{
	return marker[0] == 'r' ? 0 : 1;
}
