/*
 * pgfaultstacks: user stacks of the page faults that give processes new pages.
 *
 * Raw tracepoints on page_fault_user (faults in user mode) and
 * page_fault_kernel (the kernel touching user memory, as read() into a fresh
 * buffer does): no tracefs needed, and cheaper than classic tracepoints.
 *
 * Compiled by libbcc at start-up with these settings (-D):
 *   TRACE_SCOPE, TARGET_TGID, TARGET_TID, ...  what to trace (traced_processes.h)
 *   MODE_ALL_FAULTS     1: count every fault per stack (--all-faults)
 *   STACK_STORAGE_SIZE  distinct stacks stored
 *   FAST_PAGES          pages recorded at once (default mode; --max-pages in
 *   MORE_PAGES          all): the first in a preallocated hash, the others in
 *                       a growing one
 *   MAX_RELEASED        released and moved ranges logged (default mode)
 *   USER_ADDRESS_LIMIT  the end of user space: a fault above it is the kernel's
 *   STOP_AT_EVENTS      1 (-c): stop the command at exec and at the loader's
 *                       events, so that the frontend reads the unwind tables
 *                       of what was mapped before its code runs (image_event_probes.h)
 */
#include <uapi/linux/ptrace.h>
#include "image_event_probes.h"
#include "traced_processes.h"
#include "pgfaultstacks.h"
#include "user_stacks.h"
#include "child_processes.h"

#define PAGE_MASK_4K (~0xfffUL)

BPF_ARRAY(counters, u64, COUNTERS);

static __always_inline u64 *counter(int which)
{
	return counters.lookup(&which);
}

static __always_inline void count(int which)
{
	u64 *value = counter(which);

	if (value)
		__sync_fetch_and_add(value, 1);
}

/*
 * Set while this CPU walks a user stack. The walk reads user memory with page
 * faults disabled, and a frame pointer chain that ends in garbage makes it
 * fault: page_fault_kernel fires inside our own program, and must not count.
 */
BPF_PERCPU_ARRAY(walking_stack, u32, 1);

/*
 * The faulting thread's user stack: walked by this program from `user_regs`
 * (a fault in user mode), else by the kernel (a fault in the kernel, whose
 * registers are its own).
 */
static __always_inline u64 capture_user_stack(void *ctx, struct pt_regs *user_regs)
{
	struct pt_regs regs;
	int zero = 0;
	u32 *walking = walking_stack.lookup(&zero);
	u64 stack;

	if (walking)
		*walking = 1;
	if (user_regs) {
		/* One read of the whole frame: cheaper than three of a register each. */
		if (bpf_probe_read_kernel(&regs, sizeof(regs), user_regs))
			stack = MISSED_STACK;
		else
			stack = walk_user_stack(regs.ip, regs.sp, regs.bp, 0);
	} else {
		stack = store_user_stack(ctx);
	}
	if (walking)
		*walking = 0;
	if (stack == MISSED_STACK)
		count(COUNT_LOST_STACKS);
	return stack;
}

#if MODE_ALL_FAULTS

BPF_F_TABLE("hash", struct fault_key, u64, fault_counts, STACK_STORAGE_SIZE, BPF_F_NO_PREALLOC);

static __always_inline int on_fault(void *ctx, u64 address, u64 error_code,
				    struct pt_regs *user_regs)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	struct fault_key key = {.tgid = pid_tgid >> 32};
	u64 zero = 0, *faults;

	if (!is_traced_thread(pid_tgid) || address >= USER_ADDRESS_LIMIT)
		return 0;
	count(COUNT_RAW_FAULTS);
	key.stack = capture_user_stack(ctx, user_regs);
	faults = fault_counts.lookup_or_try_init(&key, &zero);
	if (faults)
		__sync_fetch_and_add(faults, 1);
	else
		count(COUNT_LOST_FAULT_STACKS);
	return 0;
}

#else /* resident pages */

/*
 * The pages met, in two hashes: the first FAST_PAGES in a preallocated one,
 * the rest, up to --max-pages, in one that takes kernel memory as it fills.
 * An entry taken from a growing hash costs the faulting thread about 2 us more
 * than a preallocated one (its refill runs outside the program: measured by
 * bench/run_fault_bench.py, a sixth of a fault), and a preallocated entry
 * costs about 100 bytes of kernel memory whether used or not.
 */
BPF_F_TABLE("hash", struct page_key, struct page_record, pages, FAST_PAGES, 0);
#if MORE_PAGES
BPF_F_TABLE("hash", struct page_key, struct page_record, more_pages, MORE_PAGES,
	    BPF_F_NO_PREALLOC);
#endif

static __always_inline int page_met(struct page_key *key)
{
	if (pages.lookup(key))
		return 1;
#if MORE_PAGES
	return more_pages.lookup(key) != NULL;
#else
	return 0;
#endif
}

/* 0, or non-zero if both hashes are full. */
static __always_inline int record_page(struct page_key *key, struct page_record *record)
{
	/* A full preallocated hash still replaces a key it holds. */
	if (!pages.update(key, record))
		return 0;
#if MORE_PAGES
	return more_pages.update(key, record);
#else
	return -1;
#endif
}

/*
 * A fault on a page that was not present may give the target a page; so may a
 * write to a present page this trace saw arrive (the shared zero page, mapped
 * by a read, is replaced by a page of its own). Other protection faults (COW of
 * a page already resident, reads) leave RSS as it was. The frontend later
 * keeps only the pages still resident.
 */
static __always_inline int on_fault(void *ctx, u64 address, u64 error_code,
				    struct pt_regs *user_regs)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	struct page_key key = {.page = address & PAGE_MASK_4K, .tgid = pid_tgid >> 32};
	struct page_record record = {};
	u64 *moves;

	if (!is_traced_thread(pid_tgid) || address >= USER_ADDRESS_LIMIT)
		return 0;
	count(COUNT_RAW_FAULTS);
	moves = counter(COUNT_MOVES);
	key.moves = moves ? *moves : 0;
	if (error_code & PF_ERROR_PROTECTION) {
		if (!(error_code & PF_ERROR_WRITE) || !page_met(&key))
			return 0;
	}
	record.exec_generation = process_exec_generation(key.tgid);
	record.fault_ns = bpf_ktime_get_ns();
	record.stack = capture_user_stack(ctx, user_regs);
	if (record_page(&key, &record))
		count(COUNT_LOST_PAGES);
	return 0;
}

BPF_ARRAY(released_ranges, struct released_range, MAX_RELEASED);

/* x86-64 system call numbers and madvise advice values (uapi headers). */
#define NR_MREMAP 25
#define NR_MADVISE 28
#define NR_MUNMAP 11
#define ADVICE_DONTNEED 4
#define ADVICE_REMOVE 9
#define ADVICE_PAGEOUT 21
#define ADVICE_DONTNEED_LOCKED 24
#define MAX_ERRNO 4095

static __always_inline int drops_pages(u64 advice)
{
	return advice == ADVICE_DONTNEED || advice == ADVICE_REMOVE ||
	       advice == ADVICE_PAGEOUT || advice == ADVICE_DONTNEED_LOCKED;
}

static __always_inline void log_range(struct released_range *range)
{
	u64 *logged = counter(COUNT_RELEASED);
	u32 slot;

	if (!logged)
		return;
	range->tgid = bpf_get_current_pid_tgid() >> 32;
	range->time_ns = bpf_ktime_get_ns();
	/* Past the end of the log the update fails; the frontend counts those. */
	slot = __sync_fetch_and_add(logged, 1);
	released_ranges.update(&slot, range);
}

/*
 * TP_PROTO(struct pt_regs *regs, long id): every system call of every process
 * comes here, so the call number is checked before anything else. Releases
 * are logged on entry, before the pages go.
 */
RAW_TRACEPOINT_PROBE(sys_enter)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	long syscall = ctx->args[1];
	struct released_range range = {};
	u64 length = 0, advice = 0;

	if (syscall != NR_MUNMAP && syscall != NR_MADVISE)
		return 0;
	if (!is_traced_process(bpf_get_current_pid_tgid()))
		return 0;
	bpf_probe_read_kernel(&range.start, sizeof(range.start), &regs->di);
	bpf_probe_read_kernel(&length, sizeof(length), &regs->si);
	bpf_probe_read_kernel(&advice, sizeof(advice), &regs->dx);
	if (syscall == NR_MADVISE && !drops_pages(advice))
		return 0;
	range.end = range.start + length;
	log_range(&range);
	return 0;
}

/*
 * TP_PROTO(struct pt_regs *regs, long ret): a move is logged on return, where
 * the new address is known; the registers still hold the arguments.
 */
RAW_TRACEPOINT_PROBE(sys_exit)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	u64 new_address = ctx->args[1], syscall = 0, length = 0;
	struct released_range range = {};

	bpf_probe_read_kernel(&syscall, sizeof(syscall), &regs->orig_ax);
	if (syscall != NR_MREMAP || new_address >= (u64)-MAX_ERRNO)
		return 0;
	if (!is_traced_process(bpf_get_current_pid_tgid()))
		return 0;
	bpf_probe_read_kernel(&range.start, sizeof(range.start), &regs->di);
	bpf_probe_read_kernel(&length, sizeof(length), &regs->si);
	range.end = range.start + length;
	range.moved_to = new_address;
	log_range(&range);
	count(COUNT_MOVES);
	return 0;
}

#endif /* MODE_ALL_FAULTS */

/* TP_PROTO(unsigned long address, struct pt_regs *regs, unsigned long error_code) */
RAW_TRACEPOINT_PROBE(page_fault_user)
{
	return on_fault(ctx, ctx->args[0], ctx->args[2], (struct pt_regs *)ctx->args[1]);
}

/* The kernel touching user memory for the target (read() into a fresh buffer). */
RAW_TRACEPOINT_PROBE(page_fault_kernel)
{
	int zero = 0;
	u32 *walking = walking_stack.lookup(&zero);

	if (walking && *walking)
		return 0;
	return on_fault(ctx, ctx->args[0], ctx->args[2], NULL);
}
