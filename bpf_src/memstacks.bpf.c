/*
 * memstacks: user stacks of heap allocations in a set of processes.
 *
 * Compiled by libbcc at start-up with these settings (-D):
 *   TRACE_SCOPE, TARGET_TGID, TARGET_TID, ...  what to trace
 *                       (traced_processes.h); with -t, frees count from any
 *                       thread of the process
 *   MODE_ALL            1: count every allocation at entry (-a); 0: track live blocks
 *   STACK_STORAGE_SIZE  distinct stacks stored
 *   MAX_LIVE_BLOCKS     entries of the live-block map (unfreed mode)
 *   MAX_THREADS         per-thread slots, a power of two: a thread uses slot tid % MAX_THREADS
 *   MAX_STACKS          distinct stacks counted in -a mode
 *   STOP_AT_EVENTS      1 (-c): stop the command at exec and at the loader's
 *                       events, so the frontend attaches before its code runs
 *                       (image_event_probes.h)
 *   TRACK_AGE           1 (--min-age): time each block's birth; 0 spares every
 *                       allocation that helper call
 *   USER_ADDRESS_LIMIT  bytes of the target's user address space: -a counts a
 *                       larger request as one that cannot succeed
 *   PROBE_SITES         uprobes whose hits are counted apart (probe_hits.h)
 *
 * Entry programs are named by what the function's arguments mean, not by the
 * function: malloc_entry serves malloc, je_malloc, tc_malloc, mi_malloc alike.
 */
#include <uapi/linux/ptrace.h>
#include "image_event_probes.h"
#include "traced_processes.h"
#include "memstacks.h"
#include "user_memory.h"
#include "user_stacks.h"
#include "child_processes.h"

BPF_ARRAY(losses, u64, LOSS_KINDS);

static __always_inline void count_loss(int kind)
{
	u64 *count = losses.lookup(&kind);

	if (count)
		__sync_fetch_and_add(count, 1);
}

/*
 * Whether count * size overflows, as calloc and reallocarray check it. Written
 * with a division the compiler cannot fold into a 128-bit multiply, which BPF
 * does not have.
 */
static __always_inline int product_overflows(u64 count, u64 size)
{
	u64 limit = (u64)-1;

	if (!((count | size) >> 32))
		return 0;
	asm volatile("" : "+r"(limit));
	return count && size > limit / count;
}

/*
 * The stack walk runs in a program of its own, walk_stack, which the entry
 * programs tail-call: the verifier then checks the walk (127 frames through
 * the unwind tables) once, where inlined into each of up to eight entry
 * programs it checked it up to eight times, seconds of start-up. A tail call
 * does not return, so the walker also ends the request (end_request, by mode).
 *
 * One pending walk per CPU: uprobe programs run with preemption disabled.
 */
struct pending_walk {
	struct stack_key key;	/* function and caller; the walk fills in the stack */
	u64 bytes;		/* -a: the bytes requested */
	u64 sp;			/* the caller's stack and frame pointers */
	u64 fp;
};
BPF_PERCPU_ARRAY(pending_walks, struct pending_walk, 1);
BPF_PROG_ARRAY(stack_walker, 1);

static __always_inline void end_request(struct pending_walk *walk);

static __always_inline struct pending_walk *this_cpu_walk(void)
{
	int zero = 0;

	return pending_walks.lookup(&zero);
}

/* The return address into the allocator's caller, at [rsp] on entry. */
static __always_inline u64 return_address(struct pt_regs *ctx)
{
	u64 address = 0;

	read_user_memory(&address, sizeof(address), (void *)PT_REGS_SP(ctx));
	return address;
}

/*
 * Walks the stack of the allocator call in `ctx`, from `caller` (its return
 * address), and ends the request; `walk` is this CPU's pending walk. The
 * frame pointer still holds the caller's frame at the entry, and the caller's
 * stack pointer is rsp + 8 (after the return), so the walk from them gives
 * the caller's callers.
 */
static __always_inline int walk_and_end(struct pt_regs *ctx, struct pending_walk *walk, u64 caller)
{
	walk->key.function = PT_REGS_IP(ctx);
	walk->key.caller = caller;
	walk->key.tgid = bpf_get_current_pid_tgid() >> 32;
	walk->key.stack = MISSED_STACK;
	walk->sp = PT_REGS_SP(ctx) + 8;
	walk->fp = PT_REGS_FP(ctx);
	stack_walker.call(ctx, 0);
	/* Reached only if the walker could not be called. */
	count_loss(LOSS_STACK);
	end_request(walk);
	return 0;
}

int walk_stack(struct pt_regs *ctx)
{
	struct pending_walk *walk = this_cpu_walk();

	if (!walk)
		return 0;
	walk->key.stack = walk_user_stack(walk->key.caller, walk->sp, walk->fp, 1);
	if (walk->key.stack == MISSED_STACK)
		count_loss(LOSS_STACK);
	end_request(walk);
	return 0;
}

#if MODE_ALL

BPF_F_TABLE("hash", struct stack_key, struct stack_total, stack_totals, MAX_STACKS,
	    BPF_F_NO_PREALLOC);

/*
 * The last counted call of each thread into an allocator function other than
 * malloc. Such a function may end in a tail call to another one (glibc's
 * realloc(NULL, n) jumps to malloc, libstdc++'s operator new[] to operator
 * new): the callee then starts with the same stack pointer and return address,
 * and is not counted again. A new call of the same function from the same
 * place is counted. Calls made from inside an allocator function (not tail
 * calls) are dropped by the frontend, which knows the functions' address ranges.
 */
struct allocator_call {
	u64 sp;
	u64 return_address;
	u64 function;
	u32 tid;		/* whose call this is: threads share a slot by tid % MAX_THREADS */
	u32 padding;
};
BPF_ARRAY(last_allocator_calls, struct allocator_call, MAX_THREADS);

/*
 * Every request is counted at entry: no return probe. One larger than the
 * user address space cannot succeed (malloc(SIZE_MAX), a negative size passed
 * as size_t, an overflowing count * size), and end_request counts it apart,
 * under its stack. Other failures (an exhausted heap, a ulimit) cannot be
 * told at entry and count as requested. `may_tail_call` is 0 only for malloc,
 * which ends in no other allocator function and so need not be remembered.
 */
static __always_inline int count_request(struct pt_regs *ctx, u64 bytes, int may_tail_call)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	struct allocator_call call = {.sp = PT_REGS_SP(ctx), .function = PT_REGS_IP(ctx)};
	u32 slot = (u32)pid_tgid & (MAX_THREADS - 1);
	struct allocator_call *last;
	struct pending_walk *walk;
	u32 tid = pid_tgid;

	count_probe_hit(ctx);
	if (!is_traced_thread(pid_tgid))
		return 0;
	call.return_address = return_address(ctx);
	last = last_allocator_calls.lookup(&slot);
	walk = this_cpu_walk();
	if (!last || !walk)
		return 0;
	if (last->tid == tid && last->sp == call.sp &&
	    last->return_address == call.return_address && last->function != call.function)
		return 0;
	if (may_tail_call) {
		call.tid = tid;
		*last = call;
	}
	walk->bytes = bytes;
	return walk_and_end(ctx, walk, call.return_address);
}

/*
 * Tries of the exchange in count_failure. A retry needs another CPU to have
 * raised this stack's largest failure, to a size still below ours, between two
 * of our instructions: the bound is for the verifier, far beyond what the rare
 * failures of one stack can race.
 */
#define RAISE_TRIES 64

/*
 * Counts a request that cannot succeed and raises the stack's largest such
 * size to `bytes`. BPF has no atomic maximum: a compare-and-swap fails only
 * when another CPU changed the figure since it was read, and returns the new
 * figure, so the largest stays exact; once the figure is at least `bytes`,
 * there is nothing to raise.
 */
static __always_inline void count_failure(struct stack_total *total, u64 bytes)
{
	u64 seen = total->largest_failed_bytes;
	u64 was;

	__sync_fetch_and_add(&total->failed_requests, 1);
	for (int i = 0; i < RAISE_TRIES && seen < bytes; i++) {
		was = __sync_val_compare_and_swap(&total->largest_failed_bytes, seen, bytes);
		if (was == seen)
			break;
		seen = was;
	}
}

/* Adds the request to its stack's total, or to its failures if it cannot succeed. */
static __always_inline void end_request(struct pending_walk *walk)
{
	struct stack_total zero = {};
	struct stack_key key = walk->key;
	struct stack_total *total;

	total = stack_totals.lookup_or_try_init(&key, &zero);
	if (!total) {
		count_loss(LOSS_STACK_TOTALS);
		return;
	}
	if (walk->bytes > USER_ADDRESS_LIMIT) {
		count_failure(total, walk->bytes);
		return;
	}
	__sync_fetch_and_add(&total->bytes, walk->bytes);
	__sync_fetch_and_add(&total->allocations, 1);
}

/* malloc(size) */
int malloc_entry(struct pt_regs *ctx)
{
	return count_request(ctx, PT_REGS_PARM1(ctx), 0);
}

/* valloc(size), operator new(size, ...), mallocx(size, flags), ... */
int size_entry(struct pt_regs *ctx)
{
	return count_request(ctx, PT_REGS_PARM1(ctx), 1);
}

/*
 * count * size, or UINT64_MAX when it overflows: the allocator fails such a
 * request, and as a size beyond the user address space it goes with the
 * other requests that cannot succeed (as a size with its top bit set does).
 */
static __always_inline u64 saturated_product(u64 count, u64 size)
{
	return product_overflows(count, size) ? (u64)-1 : count * size;
}

/* calloc(count, size) */
int calloc_entry(struct pt_regs *ctx)
{
	u64 count = PT_REGS_PARM1(ctx), size = PT_REGS_PARM2(ctx);

	return count_request(ctx, saturated_product(count, size), 1);
}

/* realloc(ptr, size), rallocx(ptr, size, flags) */
int realloc_entry(struct pt_regs *ctx)
{
	return count_request(ctx, PT_REGS_PARM2(ctx), 1);
}

/* reallocarray(ptr, count, size) */
int reallocarray_entry(struct pt_regs *ctx)
{
	u64 count = PT_REGS_PARM2(ctx), size = PT_REGS_PARM3(ctx);

	return count_request(ctx, saturated_product(count, size), 1);
}

/* posix_memalign(out, alignment, size) */
int posix_memalign_entry(struct pt_regs *ctx)
{
	return count_request(ctx, PT_REGS_PARM3(ctx), 1);
}

/* aligned_alloc(alignment, size), memalign(alignment, size) */
int aligned_entry(struct pt_regs *ctx)
{
	return count_request(ctx, PT_REGS_PARM2(ctx), 1);
}

/* xallocx(ptr, size, extra, flags): `size` is what it must grant; `extra` is a wish. */
int xallocx_entry(struct pt_regs *ctx)
{
	return count_request(ctx, PT_REGS_PARM2(ctx), 1);
}

#else /* unfreed mode */

/* How a call's result hands the block back. */
enum returns {
	RETURNS_POINTER,	/* the new block, or NULL */
	RETURNS_THROUGH_OUT,	/* posix_memalign: 0 and the block in *out_ptr */
	RETURNS_USABLE_SIZE,	/* xallocx: the old block's size, grown in place if >= bytes */
};

/*
 * A thread's outermost allocator call, from its entry to its return. Inner
 * calls (glibc's realloc(NULL, n) calls malloc, libstdc++'s operator new
 * calls malloc) only move `depth`, so each allocation is counted once, under
 * the function the program called.
 */
struct call_in_flight {
	u64 tid;			/* the thread in this slot, or 0 when it is free */
	struct live_block block;	/* what the call will have allocated */
	struct live_block old_block;	/* realloc: the block it replaces */
	struct block_key old_key;	/* realloc: the block it replaces, by process and address */
	u64 out_ptr;			/* posix_memalign: where the block is returned */
	u32 depth;
	u8 returns;			/* enum returns */
	u8 has_old_block;
	u8 frees_old_on_null;		/* realloc(p, 0) frees p and returns NULL */
};

/* Not preallocated: an idle target's few blocks cost what they are, not --live-blocks' worth. */
BPF_F_TABLE("hash", struct block_key, struct live_block, live_blocks, MAX_LIVE_BLOCKS,
	    BPF_F_NO_PREALLOC);

/*
 * One slot per thread, by tid % MAX_THREADS: an array lookup, which the
 * verifier inlines, where a hash keyed by tid cost four hash operations per
 * call. Two threads inside the allocator at once with the same slot are
 * possible in theory (tids that differ by a multiple of MAX_THREADS): the
 * second one's call is counted as lost, and said so.
 */
BPF_ARRAY(calls_in_flight, struct call_in_flight, MAX_THREADS);

static __always_inline struct call_in_flight *thread_slot(u32 tid)
{
	u32 slot = tid & (MAX_THREADS - 1);

	return calls_in_flight.lookup(&slot);
}

static __always_inline int enter_call(struct pt_regs *ctx, u64 bytes, u64 old_ptr, u64 out_ptr,
				      int returns, int frees_old_on_null)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	struct call_in_flight *call;
	struct pending_walk *walk;
	struct live_block *old;
	u32 tid = pid_tgid;

	count_probe_hit(ctx);
	if (!is_traced_thread(pid_tgid))
		return 0;
	call = thread_slot(tid);
	walk = this_cpu_walk();
	if (!call || !walk)
		return 0;
	if (call->tid == tid) {
		call->depth++;
		return 0;
	}
	/* Claimed atomically: another CPU may run a thread of the same slot. */
	if (__sync_val_compare_and_swap(&call->tid, 0, (u64)tid) != 0) {
		count_loss(LOSS_CALLS);
		return 0;
	}
	call->depth = 0;
	call->block.bytes = bytes;
	call->out_ptr = out_ptr;
	call->returns = returns;
	call->frees_old_on_null = frees_old_on_null;
	call->has_old_block = 0;
	call->old_key.address = old_ptr;
	call->old_key.tgid = pid_tgid >> 32;
	call->block.exec_generation = process_exec_generation(pid_tgid >> 32);
	/*
	 * The replaced block leaves the live set now, before the allocator can
	 * release it and another thread get the same address back; it is put
	 * back at return if the call fails.
	 */
	if (old_ptr) {
		old = live_blocks.lookup(&call->old_key);
		if (old) {
			call->old_block = *old;
			call->has_old_block = 1;
			live_blocks.delete(&call->old_key);
		}
	}
	return walk_and_end(ctx, walk, return_address(ctx));
}

/* Gives the thread's call in flight its stack. */
static __always_inline void end_request(struct pending_walk *walk)
{
	u32 tid = bpf_get_current_pid_tgid();
	struct call_in_flight *call = thread_slot(tid);

	if (call && call->tid == tid)
		call->block.stack = walk->key;
}

static __always_inline void track_block(u64 tgid, u64 ptr, struct live_block *block)
{
	struct block_key key = {.address = ptr, .tgid = tgid};

	if (live_blocks.update(&key, block))
		count_loss(LOSS_LIVE_BLOCKS);
}

/* The block a finished call returned (its result `rc`), or 0 if it failed. */
static __always_inline u64 returned_block(u64 rc, struct call_in_flight *call)
{
	u64 ptr = 0;

	switch (call->returns) {
	case RETURNS_THROUGH_OUT:
		if (rc == 0)
			read_user_memory(&ptr, sizeof(ptr), (void *)call->out_ptr);
		return ptr;
	case RETURNS_USABLE_SIZE:
		return rc >= call->block.bytes ? call->old_key.address : 0;
	default:
		return rc;
	}
}

/* Shared by every allocator's return. */
int alloc_return(struct pt_regs *ctx)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	/* Read once, here: the verifier refuses ctx reads the compiler moves into branches. */
	u64 rc = PT_REGS_RC(ctx);
	struct call_in_flight *call;
	u32 tid = pid_tgid;
	u64 ptr;

	count_probe_hit(ctx);
	if (!is_traced_thread(pid_tgid))
		return 0;
	call = thread_slot(tid);
	if (!call || call->tid != tid)
		return 0;
	if (call->depth) {
		call->depth--;
		return 0;
	}
	ptr = returned_block(rc, call);
	if (ptr) {
#if TRACK_AGE
		call->block.allocated_ns = bpf_ktime_get_ns();
#endif
		track_block(pid_tgid >> 32, ptr, &call->block);
	} else if (call->has_old_block && !call->frees_old_on_null)
		track_block(pid_tgid >> 32, call->old_key.address, &call->old_block);
	call->tid = 0;
	return 0;
}

/* malloc(size) */
int malloc_entry(struct pt_regs *ctx)
{
	return enter_call(ctx, PT_REGS_PARM1(ctx), 0, 0, RETURNS_POINTER, 0);
}

/* valloc(size), operator new(size, ...), mallocx(size, flags), ... */
int size_entry(struct pt_regs *ctx)
{
	return enter_call(ctx, PT_REGS_PARM1(ctx), 0, 0, RETURNS_POINTER, 0);
}

/* calloc(count, size): an overflowing product fails, and its NULL counts nothing. */
int calloc_entry(struct pt_regs *ctx)
{
	return enter_call(ctx, PT_REGS_PARM1(ctx) * PT_REGS_PARM2(ctx), 0, 0, RETURNS_POINTER, 0);
}

/* realloc(ptr, size), rallocx(ptr, size, flags) */
int realloc_entry(struct pt_regs *ctx)
{
	u64 bytes = PT_REGS_PARM2(ctx);

	return enter_call(ctx, bytes, PT_REGS_PARM1(ctx), 0, RETURNS_POINTER, bytes == 0);
}

/* reallocarray(ptr, count, size) */
int reallocarray_entry(struct pt_regs *ctx)
{
	u64 count = PT_REGS_PARM2(ctx), size = PT_REGS_PARM3(ctx);
	int overflows = product_overflows(count, size);

	/* An overflow fails with ENOMEM and keeps the old block. */
	return enter_call(ctx, count * size, PT_REGS_PARM1(ctx), 0, RETURNS_POINTER,
			  !overflows && count * size == 0);
}

/* posix_memalign(out, alignment, size) */
int posix_memalign_entry(struct pt_regs *ctx)
{
	return enter_call(ctx, PT_REGS_PARM3(ctx), 0, PT_REGS_PARM1(ctx), RETURNS_THROUGH_OUT, 0);
}

/* aligned_alloc(alignment, size), memalign(alignment, size) */
int aligned_entry(struct pt_regs *ctx)
{
	return enter_call(ctx, PT_REGS_PARM2(ctx), 0, 0, RETURNS_POINTER, 0);
}

/*
 * xallocx(ptr, size, extra, flags) resizes in place and returns the block's
 * usable size: at least `size` if it succeeded, and then the block holds
 * `size` bytes under this call's stack, as after a realloc.
 */
int xallocx_entry(struct pt_regs *ctx)
{
	return enter_call(ctx, PT_REGS_PARM2(ctx), PT_REGS_PARM1(ctx), 0, RETURNS_USABLE_SIZE, 0);
}

/* free(ptr), operator delete(ptr, ...), sdallocx(ptr, size, flags), ...: entry only,
 * so the block leaves the live set before the allocator can reuse it. */
int free_entry(struct pt_regs *ctx)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	struct block_key key = {.address = PT_REGS_PARM1(ctx), .tgid = pid_tgid >> 32};

	count_probe_hit(ctx);
	if (!is_traced_process(pid_tgid) || !key.address)
		return 0;
	live_blocks.delete(&key);
	return 0;
}

#endif /* MODE_ALL */
