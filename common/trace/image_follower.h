/*
 * Following what the target maps as it changes: the libraries its dynamic
 * loader maps (at start-up, dlopen) and the program it becomes at exec. The
 * BPF half (bpf_src/image_event_probes.h) counts these events; this half
 * attaches it, probes each program's loader, and on every event reads the
 * symbols and unwind tables of what is new, then calls the tool's `follow`
 * (memstacks attaches to new allocators there). A -c command
 * stops at each event before any code of what was mapped runs, and runs on
 * once it has been followed, so that its first instructions are traced as
 * completely as a -p target's.
 */
#ifndef IMAGE_FOLLOWER_H
#define IMAGE_FOLLOWER_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "bpf/bcc_module.h"
#include "image_events.h"
#include "process/symbolizer.h"
#include "trace/target.h"
#include "trace/traced_set.h"
#include "unwind/unwind_tables.h"
#include "bpf/uprobes.h"

/* The tool's work after an event: `exec` when the target's program changed. 0 or -errno. */
typedef int (*image_follow_fn)(void *context, bool exec);

/* A dynamic loader probed, as a file, for one process or every one (pid -1). */
struct probed_loader {
	dev_t device;
	ino_t inode;
	pid_t pid;
};

struct image_follower {
	struct bcc_module *program;
	struct uprobe_set *probes;	/* the loader's probes join the tool's */
	struct target *target;		/* the one process; pid 0 for a set */
	const struct traced_set *set;
	struct symbolizer *symbolizer;	/* refreshed at every event */
	struct unwind_tables *unwind;	/* so are the unwind tables */
	image_follow_fn follow;		/* the tool's own work, or NULL */
	void *context;
	uint64_t seen[IMAGE_EVENTS];
	struct probed_loader *loaders;	/* probed already: a set's members share theirs */
	size_t loader_count;
	size_t loader_capacity;
};

/*
 * Attaches the exec tracepoint and, for a running target (or a set's
 * members), probes its loader and follows what it maps now. A -c target is left at its gate: the caller
 * releases it, and its stops are followed by image_follower__on_wake or
 * image_follower__follow_stop. Prints the reason and returns -errno on failure.
 */
int image_follower__start(struct image_follower *follower);

/*
 * -c: waits for the command's next stop and follows it, leaving it stopped
 * (held). Returns 0, -ESRCH once it has ended, or another -errno.
 */
int image_follower__follow_stop(struct image_follower *follower);

/*
 * For trace_session's hook: follows the events since the last call; a -c
 * command stopped at one runs on once it has been followed.
 */
int image_follower__on_wake(void *follower);

/* How many events of a kind the BPF program has counted (execs: the image running). */
uint64_t image_follower__count(struct bcc_module *program, enum image_event event);

/*
 * Which of its images process `pid` runs: its execs during the trace, as the
 * BPF program stamps its events with them (process_exec_generation).
 */
uint32_t image_follower__exec_generation(struct bcc_module *program, pid_t pid);

void image_follower__free(struct image_follower *follower);

#endif
