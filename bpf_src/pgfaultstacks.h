/* What pgfaultstacks' BPF program and its frontend exchange. Included by both. */
#ifndef PGFAULTSTACKS_H
#define PGFAULTSTACKS_H

#ifndef BPF_HASH		/* not compiled by libbcc: the frontend */
#include <linux/types.h>
#endif

/* x86 page fault error code bits (arch/x86/include/asm/trap_pf.h). */
#define PF_ERROR_PROTECTION 0x1	/* the page was present */
#define PF_ERROR_WRITE 0x2

/*
 * Records are per page and per mremap move: a fault at an address that a move
 * has vacated makes a new record, and does not overwrite the one whose page
 * now lives at the move's destination.
 */
struct page_key {
	__u64 page;
	__u64 moves;		/* mremap moves logged before the fault */
	__u32 tgid;		/* the process whose page it is */
	__u32 padding;
};

/* --all-faults: faults are counted per process and stack. */
struct fault_key {
	__u64 stack;		/* key in user_stacks, or MISSED_STACK */
	__u32 tgid;
	__u32 padding;
};

/*
 * The last fault that could have given the target this page. One record per
 * key: a page faulted twice keeps the latest stack.
 */
struct page_record {
	__u64 stack;		/* key in user_stacks, or MISSED_STACK */
	__u64 fault_ns;		/* orders the faults of one huge page */
	__u32 exec_generation;	/* which program image faulted it (-c: before exec is 0) */
	__u32 padding;
};

/*
 * Memory the target gave back or moved, in the order it happened. A release
 * (munmap, madvise that drops pages) ends the pages recorded in [start, end)
 * before `time_ns`, even if the address is resident again later without a
 * fault of its own (file pages mapped around another fault). A move (mremap)
 * takes them, resident, to `moved_to`: realloc grows large blocks that way.
 */
struct released_range {
	__u64 start;
	__u64 end;
	__u64 time_ns;
	__u64 moved_to;		/* 0 for a release */
	__u32 tgid;		/* whose memory */
	__u32 padding;
};

/* Counters kept by the BPF program, reported in the summary and JSON. */
enum fault_counter {
	COUNT_RAW_FAULTS,	/* every fault of the target, as perf and stackcount count them */
	COUNT_LOST_STACKS,	/* stack not captured or the stack map full: [Missed User Stack] */
	COUNT_LOST_PAGES,	/* page map full: a fault not recorded */
	COUNT_LOST_FAULT_STACKS,	/* --all-faults: stack-count map full */
	COUNT_RELEASED,		/* released ranges logged, including those the log had no room for */
	COUNT_MOVES,		/* mremap moves among them */
	COUNTERS,
};

#endif
