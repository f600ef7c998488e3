/*
 * How test and benchmark targets synchronise with the test, without sleeps:
 * print "ready PID", wait for SIGUSR1, do the work, print "done", and (if
 * asked) wait for SIGUSR1 again before exiting, so that the tool can read the
 * live process at the end of its trace.
 */
#ifndef SIGNAL_GATE_H
#define SIGNAL_GATE_H

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Blocks SIGUSR1, to be taken by sigwait; threads made after inherit it. */
static inline void gate_block(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

/* Blocks SIGUSR1 and says the target is ready. */
static inline void gate_announce_ready(void)
{
	gate_block();
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
}

static inline void gate_wait(void)
{
	sigset_t set;
	int signal_number;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigwait(&set, &signal_number);
}

static inline void gate_announce_done(void)
{
	printf("done\n");
	fflush(stdout);
}

/*
 * The whole life of a target that runs `work` once: with --wait as its first
 * argument under the gate (for -p), else at once (for -c). The ready line is
 * printed either way: stdio allocates its buffer there, before tracing.
 */
static inline int gate_run(int argc, char **argv, void (*work)(void))
{
	int wait = argc > 1 && !strcmp(argv[1], "--wait");

	gate_announce_ready();
	if (wait)
		gate_wait();
	work();
	gate_announce_done();
	if (wait)
		gate_wait();
	return 0;
}

#endif
