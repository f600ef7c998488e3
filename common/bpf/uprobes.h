/*
 * The uprobes a tool attaches, detached together at exit, and the stale ones a
 * killed run left behind, found by their name and removed at the next start.
 */
#ifndef UPROBES_H
#define UPROBES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "bpf/instruction_kinds.h"

/*
 * The attach type every uprobe program is loaded with: enum bpf_attach_type's
 * BPF_TRACE_UPROBE_MULTI (Linux 6.6), for uprobe links. An older kernel does
 * not check it, and its perf events take the program as they would without.
 */
#define UPROBE_LINK_ATTACH_TYPE 48

struct uprobe_set;

struct uprobe_set *uprobe_set__new(void);

/* Detaches every probe still attached. Accepts NULL. */
void uprobe_set__free(struct uprobe_set *set);

/* Where a uprobe goes, and what a hit of it costs. */
struct uprobe_site {
	const char *path;		/* the object */
	uint64_t offset;		/* in the file */
	pid_t pid;			/* the process it fires in; -1: every process */
	bool at_return;			/* at the return of the function at `offset` */
	enum instruction_kind kind;	/* of the instruction at `offset` */
	const char *function;		/* names it in messages */
};

/*
 * Attaches program `prog_fd` at `site`. The probe stays until
 * uprobe_set__free. Returns 0, or prints the reason and returns -errno.
 */
int uprobe_set__attach(struct uprobe_set *set, int prog_fd, const struct uprobe_site *site);

/*
 * Whether the probes' hits are counted per probe, in probe_hits.h's slot
 * index + 1: uprobe links carry that cookie, perf-event uprobes none.
 */
bool uprobe_set__counts_hits(const struct uprobe_set *set);

/* Probe `index`'s cost: whether at a return, and the kind of instruction it sits on. */
void uprobe_set__cost_class(const struct uprobe_set *set, size_t index, bool *at_return,
			    enum instruction_kind *kind);

size_t uprobe_set__count(const struct uprobe_set *set);

/*
 * Removes uprobe events that an earlier run of this tool, now dead, left in
 * the tracing file system (libbcc's fallback when the perf PMU refuses a
 * probe). Returns how many were removed.
 */
int uprobes__remove_stale(void);

#endif
