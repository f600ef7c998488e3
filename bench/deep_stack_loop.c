/*
 * The unwinding benchmark's target: N malloc+free pairs made DEPTH calls deep,
 * timed, so that each traced malloc has a stack of DEPTH frames and more to
 * walk. Prints "ready PID", waits for SIGUSR1, runs, prints "ns_per_pair F".
 *
 *   deep_stack_loop PAIRS DEPTH
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../tests/targets/signal_gate.h"

static void *volatile sink;

static void allocate(long pairs)
{
	for (long i = 0; i < pairs; i++) {
		sink = malloc(64);
		free(sink);
	}
}

/* Not inlined and no tail call (see CMakeLists.txt): one frame per level. */
static void descend(long pairs, int depth)
{
	if (depth > 0)
		descend(pairs, depth - 1);
	else
		allocate(pairs);
}

int main(int argc, char **argv)
{
	long pairs = argc > 1 ? atol(argv[1]) : 200000;
	int depth = argc > 2 ? atoi(argv[2]) : 0;
	struct timespec start, end;

	gate_announce_ready();
	gate_wait();

	clock_gettime(CLOCK_MONOTONIC, &start);
	descend(pairs, depth);
	clock_gettime(CLOCK_MONOTONIC, &end);
	printf("ns_per_pair %.1f\n",
	       ((end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec)) / pairs);
	return 0;
}
