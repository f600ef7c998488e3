/*
 * The uprobes a tool attaches, detached together at exit, and the stale ones a
 * killed run left behind, found by their name and removed at the next start.
 */
#ifndef UPROBES_H
#define UPROBES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct uprobe_set;

struct uprobe_set *uprobe_set__new(void);

/* Detaches every probe still attached. Accepts NULL. */
void uprobe_set__free(struct uprobe_set *set);

/*
 * Attaches program `prog_fd` to `path` at file offset `offset` for process
 * `pid`, at the entry or (`at_return`) the return of the function `function`,
 * which only names it in messages. The probe stays until uprobe_set__free.
 * Returns 0, or prints the reason and returns -errno.
 */
int uprobe_set__attach(struct uprobe_set *set, int prog_fd, bool at_return, const char *path,
		       uint64_t offset, pid_t pid, const char *function);

size_t uprobe_set__count(const struct uprobe_set *set);

/*
 * Removes uprobe events that an earlier run of this tool, now dead, left in
 * the tracing file system (libbcc's fallback when the perf PMU refuses a
 * probe). Returns how many were removed.
 */
int uprobes__remove_stale(void);

#endif
