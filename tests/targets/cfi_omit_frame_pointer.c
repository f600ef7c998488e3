/*
 * Code built -O2 -fomit-frame-pointer for tests/test_cfi_rows.py: functions
 * whose CFA moves with rsp as they push and spill, one whose variable-length
 * array makes GCC set up rbp after all, and one whose over-aligned local
 * makes it realign the stack (a CFA in r10, then an expression).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static long spills(long a, long b, long c, long d)
{
	long values[8];
	int i;

	for (i = 0; i < 8; i++)
		values[i] = a * i + b;
	if (c > d)
		return spills(c - 1, d, a, b) + values[(unsigned long)c & 7];
	return values[(unsigned long)d & 7] + strtol("7", NULL, 10);
}

__attribute__((noinline)) static long variable_array(int n)
{
	char buffer[n];

	memset(buffer, n, (size_t)n);
	return buffer[n / 2] + spills(n, n + 1, n + 2, n + 3);
}

__attribute__((noinline)) static long realigned(int n)
{
	char buffer[64] __attribute__((aligned(64)));

	snprintf(buffer, sizeof(buffer), "%d", n);
	return strtol(buffer, NULL, 10) + variable_array(n + 1);
}

int main(int argc, char **argv)
{
	(void)argv;
	printf("%ld\n", realigned(argc + 8));
	return 0;
}
