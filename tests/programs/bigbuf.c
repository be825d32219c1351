/* bigbuf.c: a 16 MiB buffer filled with a known pattern, for large memory
 * reads (`dump binary memory`).
 *
 * big[i] = (i * 131) ^ (i >> 13), truncated to a byte. filled() is called
 * once the whole buffer holds the pattern. */
#define BIG_SIZE (16u << 20)

unsigned char big[BIG_SIZE];

void filled(void)
{
} /* FILLED */

int main(void)
{
	for (unsigned int i = 0; i < BIG_SIZE; i++)
		big[i] = (unsigned char)((i * 131u) ^ (i >> 13));
	filled();
	return 0;
}
