/*
 * A server that forks its workers while traced, for the tests of a target
 * set that follows children (--children, --cgroup, host-wide). Every other
 * worker execs this program again before it allocates, so a tool must follow
 * both a fork and an exec. What each process allocates is known to the byte,
 * site by site, and each says so on stdout (tests/forking_truth.py reads it):
 *
 *   truth PID ROLE SITE ALLOCATOR UNFREED_BYTES UNFREED_ALLOCS ALL_BYTES ALL_ALLOCS
 *
 * ROLE is server, fork (a worker that allocates in the forked copy) or exec
 * (a worker that exec'd /proc/self/exe first).
 *
 *   forking_server [--wait|--stay] WORKERS
 *     --wait  print "ready PID", wait for SIGUSR1, fork and let the workers
 *             allocate, print "done" once every worker has printed its lines,
 *             wait for SIGUSR1 again, end the workers and exit (for -p)
 *     --stay  the same without the first wait (for -c)
 *     neither the same without either wait
 *
 * Workers hold their memory until the server ends them: they block reading a
 * pipe whose only writer is the server, so they also exit if it is killed.
 * Compiled -O0 with frame pointers: no site is inlined or optimised away.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "signal_gate.h"

#define MAX_WORKERS 32
#define CONNECTION_BYTES 512
#define LEAK_BYTES 1000
#define LARGE_BYTES (300 * 1024)	/* over glibc's mmap threshold: a mapping of its own */
#define KEEP_SOME_BLOCKS 8
#define KEEP_SOME_COUNT 25
#define KEEP_SOME_SIZE 40
#define CHURN_BLOCKS 100
#define CHURN_BYTES 64

/* Keeps every unfreed block reachable, so the compiler cannot drop a call. */
static void *kept[256];
static int kept_count;

static void keep(void *block)
{
	if (!block)
		abort();
	kept[kept_count++] = block;
}

/*
 * One truth line, in a single write: workers share the server's stdout, and
 * a write of under PIPE_BUF bytes to a pipe is never interleaved with another.
 * snprintf and write allocate nothing, so the line adds nothing to the truth.
 */
static void print_truth(const char *role, const char *site, const char *allocator,
			unsigned long unfreed_bytes, unsigned long unfreed_allocs,
			unsigned long all_bytes, unsigned long all_allocs)
{
	char line[256];
	int length = snprintf(line, sizeof(line), "truth %d %s %s %s %lu %lu %lu %lu\n",
			      (int)getpid(), role, site, allocator, unfreed_bytes,
			      unfreed_allocs, all_bytes, all_allocs);

	if (write(STDOUT_FILENO, line, length) != length)
		abort();
}

/* The server's record of each worker it starts. */
static void server_accept(int workers)
{
	for (int i = 0; i < workers; i++)
		keep(malloc(CONNECTION_BYTES));
	print_truth("server", "server_accept", "malloc", workers * CONNECTION_BYTES, workers,
		    workers * CONNECTION_BYTES, workers);
}

/* Touched, so that the pages are resident as well as allocated. */
static void worker_leak(const char *role, int index)
{
	int blocks = 4 + index;	/* differs per worker: workers are told apart by their bytes */

	for (int i = 0; i < blocks; i++) {
		void *block = malloc(LEAK_BYTES);

		keep(block);
		memset(block, 1, LEAK_BYTES);
	}
	print_truth(role, "worker_leak", "malloc", blocks * LEAK_BYTES, blocks,
		    blocks * LEAK_BYTES, blocks);
}

static void worker_large(const char *role)
{
	void *block = malloc(LARGE_BYTES);

	keep(block);
	memset(block, 1, LARGE_BYTES);
	print_truth(role, "worker_large", "malloc", LARGE_BYTES, 1, LARGE_BYTES, 1);
}

/* Frees some of its blocks (0, 2 or 4 by the worker's index): unfreed and all differ. */
static void worker_keep_some(const char *role, int index)
{
	void *blocks[KEEP_SOME_BLOCKS];
	int freed = index % 3 * 2;
	unsigned long block_bytes = KEEP_SOME_COUNT * KEEP_SOME_SIZE;

	for (int i = 0; i < KEEP_SOME_BLOCKS; i++)
		blocks[i] = calloc(KEEP_SOME_COUNT, KEEP_SOME_SIZE);
	for (int i = 0; i < KEEP_SOME_BLOCKS; i++) {
		if (i < freed)
			free(blocks[i]);
		else
			keep(blocks[i]);
	}
	print_truth(role, "worker_keep_some", "calloc", (KEEP_SOME_BLOCKS - freed) * block_bytes,
		    KEEP_SOME_BLOCKS - freed, KEEP_SOME_BLOCKS * block_bytes, KEEP_SOME_BLOCKS);
}

static void worker_churn(const char *role)
{
	for (int i = 0; i < CHURN_BLOCKS; i++)
		free(malloc(CHURN_BYTES));
	print_truth(role, "worker_churn", "malloc", 0, 0, CHURN_BLOCKS * CHURN_BYTES, CHURN_BLOCKS);
}

/*
 * A worker's whole life: allocate, say so (one byte on `reported_fd` once its
 * lines are out), hold the memory until the server closes `release_fd`.
 */
static void run_worker(const char *role, int index, int reported_fd, int release_fd)
{
	char byte = 1;
	ssize_t got;

	worker_leak(role, index);
	worker_large(role);
	worker_keep_some(role, index);
	worker_churn(role);
	if (write(reported_fd, &byte, 1) != 1)
		abort();
	do
		got = read(release_fd, &byte, 1);
	while (got < 0 && errno == EINTR);
}

/* Parses a whole non-negative number, or exits with a usage error. */
static int parse_count(const char *text, int max)
{
	char *end;
	long value = strtol(text, &end, 10);

	if (*text == '\0' || *end != '\0' || value < 0 || value > max) {
		fprintf(stderr, "forking_server: bad number '%s' (0 to %d)\n", text, max);
		exit(2);
	}
	return (int)value;
}

/*
 * Forks worker `index`. An odd one execs this program again through
 * /proc/self/exe, as servers that re-exec themselves do (its comm becomes
 * "exe", the name it was exec'd by), handing it only the pipe ends a worker
 * uses: the others are close-on-exec.
 */
static pid_t start_worker(int index, const char *argv0, int reported[2], int release[2])
{
	char index_text[16], reported_text[16], release_text[16];
	pid_t pid = fork();

	if (pid < 0) {
		/* exit: the workers started see their release pipe close and end too. */
		perror("forking_server: cannot fork");
		exit(1);
	}
	if (pid > 0)
		return pid;
	if (index % 2) {
		snprintf(index_text, sizeof(index_text), "%d", index);
		snprintf(reported_text, sizeof(reported_text), "%d", reported[1]);
		snprintf(release_text, sizeof(release_text), "%d", release[0]);
		fcntl(reported[1], F_SETFD, 0);
		fcntl(release[0], F_SETFD, 0);
		execl("/proc/self/exe", argv0, "--worker", index_text, reported_text, release_text,
		      (char *)NULL);
		perror("forking_server: cannot exec /proc/self/exe");
		_exit(1);
	}
	/* Else the server's release end would keep this worker's read from ever ending. */
	close(release[1]);
	close(reported[0]);
	run_worker("fork", index, reported[1], release[0]);
	/* _exit: no atexit handler or stdio buffer of the server's runs twice. */
	_exit(0);
}

/* Waits until every worker has printed its lines; 0, or -1 if one died first. */
static int wait_for_reports(int reported_fd, int workers)
{
	char byte;
	int reports = 0;

	while (reports < workers) {
		ssize_t got = read(reported_fd, &byte, 1);

		if (got == 1)
			reports++;
		else if (got == 0 || errno != EINTR)
			return -1;
	}
	return 0;
}

static int run_server(int argc, char **argv)
{
	int wait_first = !strcmp(argv[1], "--wait");
	int stay = wait_first || !strcmp(argv[1], "--stay");
	int workers = parse_count(argv[argc - 1], MAX_WORKERS);
	int reported[2], release[2], failed = 0;
	pid_t pids[MAX_WORKERS];

	if (pipe2(reported, O_CLOEXEC) || pipe2(release, O_CLOEXEC)) {
		perror("forking_server: cannot make pipes");
		return 1;
	}
	gate_announce_ready();
	if (wait_first)
		gate_wait();
	server_accept(workers);
	/* Nothing buffered may be copied into the forked workers. */
	fflush(stdout);
	for (int i = 0; i < workers; i++)
		pids[i] = start_worker(i, argv[0], reported, release);
	/* Only workers hold the write end now: a read of 0 means they all died. */
	close(reported[1]);
	if (wait_for_reports(reported[0], workers)) {
		fprintf(stderr, "forking_server: a worker died before it reported\n");
		failed = 1;
	} else {
		gate_announce_done();
		if (stay)
			gate_wait();
	}
	close(release[1]);
	for (int i = 0; i < workers; i++) {
		int status;

		if (waitpid(pids[i], &status, 0) != pids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	}
	return failed;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "--worker")) {
		run_worker("exec", parse_count(argv[2], MAX_WORKERS),
			   parse_count(argv[3], 1 << 20), parse_count(argv[4], 1 << 20));
		return 0;
	}
	if (argc != 2 && !(argc == 3 && (!strcmp(argv[1], "--wait") || !strcmp(argv[1], "--stay")))) {
		fprintf(stderr, "usage: forking_server [--wait|--stay] WORKERS\n");
		return 2;
	}
	return run_server(argc, argv);
}
