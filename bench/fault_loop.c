/*
 * The fault benchmark target: ROUNDS times, map PAGES fresh pages, write one
 * byte in each (one page fault each), unmap them. Prints "ready PID", waits
 * for SIGUSR1, runs, prints "ns_per_fault F" and exits.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "../tests/targets/signal_gate.h"

#define PAGE 4096

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 100, pages = 1024;
	struct timespec start, end;

	gate_announce_ready();
	gate_wait();
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (long round = 0; round < rounds; round++) {
		char *memory = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (memory == MAP_FAILED)
			return 1;
		for (long i = 0; i < pages; i++)
			memory[i * PAGE] = 1;
		munmap(memory, pages * PAGE);
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	printf("ns_per_fault %.1f\n",
	       ((end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec)) / (rounds * pages));
	return 0;
}
