/*
 * Three kinds of unfreed memory, for -i and --min-age: after SIGUSR1, every
 * 50 ms tick until the next SIGUSR1,
 *   steady_leak      keeps LEAK_BYTES more, never freed: a leak;
 *   cache_fill       adds CACHE_ENTRY_BYTES to a cache for the first
 *                    CACHE_ENTRIES ticks, then only reads it: a plateau;
 *   request_handler  serves requests of REQUEST_BYTES each, freed
 *                    REQUEST_TICKS ticks later, in bursts of 1.5 s and
 *                    quiet spells of 1.5 s: transient, some in flight at the end.
 * It prints "ready PID" first and "done" last.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "signal_gate.h"

#define TICK_NS 50000000L
/* Two pages a tick: the leak's own pages, first touched by its memset. */
#define LEAK_BYTES 8192
#define CACHE_ENTRY_BYTES 2000
#define CACHE_ENTRIES 40
#define REQUEST_BYTES 500
#define REQUEST_TICKS 3
#define BURST_REQUESTS 40
#define PHASE_TICKS 30			/* 1.5 s of burst, then 1.5 s of quiet */

static char *cache[CACHE_ENTRIES];
static char *in_flight[REQUEST_TICKS][BURST_REQUESTS];

static void steady_leak(void)
{
	char *record = malloc(LEAK_BYTES);

	memset(record, 1, LEAK_BYTES);	/* kept on purpose: the leak */
}

static void cache_fill(long tick)
{
	if (tick < CACHE_ENTRIES)
		cache[tick] = calloc(1, CACHE_ENTRY_BYTES);
}

/* Frees the requests of REQUEST_TICKS ticks ago, then takes this tick's. */
static void request_handler(long tick)
{
	char **slot = in_flight[tick % REQUEST_TICKS];
	int requests = tick / PHASE_TICKS % 2 ? 0 : BURST_REQUESTS;

	for (int i = 0; i < BURST_REQUESTS; i++) {
		free(slot[i]);
		slot[i] = i < requests ? malloc(REQUEST_BYTES) : NULL;
	}
}

int main(int argc, char **argv)
{
	struct timespec tick_length = {.tv_sec = 0, .tv_nsec = TICK_NS};
	sigset_t stop;

	(void)argc;
	(void)argv;
	gate_announce_ready();
	gate_wait();
	sigemptyset(&stop);
	sigaddset(&stop, SIGUSR1);
	/* A tick of work, then a tick's wait that a SIGUSR1 cuts short and ends. */
	for (long tick = 0;; tick++) {
		steady_leak();
		cache_fill(tick);
		request_handler(tick);
		if (sigtimedwait(&stop, NULL, &tick_length) == SIGUSR1)
			break;
	}
	gate_announce_done();
	return 0;
}
