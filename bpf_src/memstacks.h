/* What memstacks' BPF program and its frontend exchange. Included by both. */
#ifndef MEMSTACKS_H
#define MEMSTACKS_H

#ifndef BPF_HASH		/* not compiled by libbcc: the frontend */
#include <linux/types.h>
#endif

/*
 * One user stack as captured at an allocator's entry. The kernel's frame-pointer
 * walk starts from the caller's caller there (the callee has not pushed rbp
 * yet), so the direct caller, the return address at [rsp], is kept beside it.
 * The allocator function is kept by its address: the frontend names it from
 * the symbol it attached there (malloc, je_mallocx, operator new, ...).
 */
struct stack_key {
	__u64 stack;		/* key in user_stacks, or MISSED_STACK */
	__u64 caller;		/* return address into the direct caller */
	__u64 function;		/* address of the allocator function called */
	__u32 tgid;		/* the process: its addresses mean nothing in another */
	__u32 padding;
};

/* A live block, by its process and address: processes reuse each other's addresses. */
struct block_key {
	__u64 address;
	__u32 tgid;
	__u32 padding;
};

/*
 * -a mode: what one stack requested in all. A request larger than the user
 * address space cannot succeed: it is counted apart, never in bytes or
 * allocations.
 */
struct stack_total {
	__u64 bytes;
	__u64 allocations;
	__u64 failed_requests;
	__u64 largest_failed_bytes;
};

/* Unfreed mode: one block allocated during tracing and not yet freed. */
struct live_block {
	__u64 bytes;
	struct stack_key stack;
	__u64 allocated_ns;	/* --min-age: bpf_ktime_get_ns() when it was returned; else 0 */
	__u32 exec_generation;	/* its process's execs before it: an older image's block is gone */
	__u32 padding;
};

/* Losses counted by the BPF program, reported in the summary and JSON. */
enum loss_kind {
	LOSS_STACK,		/* stack not captured or the stack map full: [Missed User Stack] */
	LOSS_LIVE_BLOCKS,	/* live-block map full: an allocation not tracked */
	LOSS_CALLS,		/* per-thread call map full: an allocation not seen */
	LOSS_STACK_TOTALS,	/* -a stack-totals map full: an allocation not counted */
	LOSS_KINDS,
};

#endif
