/* bench_lib.c: one of the shared libraries the `libs` workload loads; built
 * 50 times by run.sh (libbench0.so ... libbench49.so), each with its own
 * LIB_NUMBER. */
int bench_lib_value(void)
{
	return LIB_NUMBER;
}
