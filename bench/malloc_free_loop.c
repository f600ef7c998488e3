/*
 * The benchmark target: N malloc+free pairs, timed. Prints "ready PID", waits
 * for SIGUSR1 (so a tracer can attach first), runs the loop, prints
 * "ns_per_pair F" and exits.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "../tests/targets/signal_gate.h"

static void *volatile sink;

int main(int argc, char **argv)
{
	long pairs = argc > 1 ? atol(argv[1]) : 200000;
	struct timespec start, end;

	gate_announce_ready();
	gate_wait();

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (long i = 0; i < pairs; i++) {
		sink = malloc(64);
		free(sink);
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	printf("ns_per_pair %.1f\n",
	       ((end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec)) / pairs);
	return 0;
}
