/*
 * Whether a page of a process is resident now, and of which kind, read from
 * /proc/PID/pagemap, /proc/kpageflags and /proc/PID/maps: what turns the
 * pages pgfaultstacks saw faulted into the pages that make up RSS growth.
 */
#ifndef PAGE_RESIDENCY_H
#define PAGE_RESIDENCY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define PAGE_SIZE_4K 4096ULL
#define HUGE_PAGE_PAGES 512ULL	/* 4 KiB pages in a 2 MiB transparent huge page */

enum page_class {
	PAGE_ANON,
	PAGE_FILE,
	PAGE_SHMEM,
	PAGE_CLASSES,
};

struct page_state {
	bool resident;		/* counted in RSS: present, not the shared zero page */
	bool huge;		/* part of a transparent huge page */
	enum page_class class;
};

struct page_residency;

/* Reads the maps of `pid` and opens its page map. NULL with errno set on failure. */
struct page_residency *page_residency__open(pid_t pid);
void page_residency__close(struct page_residency *residency);

/* The state of the 4 KiB page at `address` now. Returns 0 or -errno. */
int page_residency__check(struct page_residency *residency, uint64_t address,
			  struct page_state *state);

/* The mapping that holds `address` now: false when none does. */
bool page_residency__mapping(const struct page_residency *residency, uint64_t address,
			     uint64_t *start, uint64_t *end);

/*
 * Which pages of the file and shared-memory mappings were present when tracing
 * began. The kernel maps up to 16 neighbouring page-cache pages around a file
 * fault ("fault-around"): they join RSS without a fault of their own, and only
 * this tells them apart from pages that were already there.
 */
struct page_baseline;

/* NULL with errno set on failure. */
struct page_baseline *page_baseline__take(pid_t pid);
void page_baseline__free(struct page_baseline *baseline);

/*
 * Whether the page at `address` was present at the start (never, for a NULL
 * baseline: a process born since). Mappings made since had nothing; mappings too large to snapshot (over 1 GiB) are taken as full,
 * so that no page of theirs is claimed by a fault nearby.
 */
bool page_baseline__had(const struct page_baseline *baseline, uint64_t address);

/* The baselines of a trace's processes, by PID. */
struct page_baselines {
	struct process_baseline {
		pid_t pid;
		struct page_baseline *baseline;
	} *items;
	size_t count;
	size_t capacity;
};

/*
 * Takes the baseline of `pid`. 0, or -errno; a process that exited first
 * (-ESRCH, -ENOENT) is no error to a set.
 */
int page_baselines__take(struct page_baselines *baselines, pid_t pid);

/* The baseline of `pid`, or NULL for a process born during the trace. */
const struct page_baseline *page_baselines__of(const struct page_baselines *baselines, pid_t pid);

void page_baselines__free(struct page_baselines *baselines);

#endif
