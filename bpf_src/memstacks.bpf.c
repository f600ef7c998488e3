/*
 * memstacks: user stacks of heap allocations in one process.
 *
 * Compiled by libbcc at start-up with these settings (-D):
 *   TARGET_TGID         process to trace
 *   TARGET_TID          one thread of it, or 0 for all
 *   MODE_ALL            1: count every allocation at entry (-a); 0: track live blocks
 *   STACK_STORAGE_SIZE  distinct stacks stored
 *   MAX_LIVE_BLOCKS     entries of the live-block map (unfreed mode)
 *   MAX_THREADS         threads that may be inside the allocator at once
 *   MAX_STACKS          distinct stacks counted in -a mode
 */
#include <uapi/linux/ptrace.h>
#include "memstacks.h"
#include "user_stacks.h"

BPF_ARRAY(losses, u64, LOSS_KINDS);

static __always_inline int is_traced_process(u64 pid_tgid)
{
	return pid_tgid >> 32 == TARGET_TGID;
}

/* With -t, only that thread's allocations count; frees count from any thread. */
static __always_inline int is_traced(u64 pid_tgid)
{
	if (TARGET_TID)
		return (u32)pid_tgid == TARGET_TID;
	return is_traced_process(pid_tgid);
}

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

#if MODE_ALL

BPF_HASH(stack_totals, struct stack_key, struct stack_total, MAX_STACKS);

/*
 * The last counted call of each thread into an allocator function other than
 * malloc. Such a function may end in a tail call to another one (glibc's
 * realloc(NULL, n) jumps to malloc, reallocarray to realloc): the callee then
 * starts with the same stack pointer and return address, and is not counted
 * again. A new call of the same function from the same place is counted. Calls made from inside an allocator function (not tail calls) are
 * dropped by the frontend, which knows the functions' address ranges.
 */
struct allocator_call {
	u64 sp;
	u64 return_address;
	u32 fn;
};
BPF_TABLE("lru_hash", u32, struct allocator_call, last_allocator_calls, MAX_THREADS);

/*
 * Every request is counted at entry: no return probe. Requests that cannot
 * succeed are skipped: over PTRDIFF_MAX here, an overflowing count * size by
 * the callers. Other failures (an exhausted heap) still count as requested.
 */
static __always_inline int count_request(struct pt_regs *ctx, u32 fn, u64 bytes)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	struct allocator_call call = {.sp = PT_REGS_SP(ctx), .fn = fn};
	struct stack_total zero = {};
	struct stack_key key = {};
	struct allocator_call *last;
	struct stack_total *total;
	u32 tid = pid_tgid;

	if (!is_traced(pid_tgid) || (s64)bytes < 0)
		return 0;
	bpf_probe_read_user(&call.return_address, sizeof(call.return_address), (void *)call.sp);
	last = last_allocator_calls.lookup(&tid);
	if (last && last->sp == call.sp && last->return_address == call.return_address &&
	    last->fn != fn)
		return 0;
	if (fn != FN_MALLOC)
		last_allocator_calls.update(&tid, &call);

	key.fn = fn;
	key.caller = call.return_address;
	key.stack = store_user_stack(ctx);
	if (key.stack == MISSED_STACK)
		count_loss(LOSS_STACK);
	total = stack_totals.lookup_or_try_init(&key, &zero);
	if (!total) {
		count_loss(LOSS_STACK_TOTALS);
		return 0;
	}
	__sync_fetch_and_add(&total->bytes, bytes);
	__sync_fetch_and_add(&total->allocations, 1);
	return 0;
}

int malloc_entry(struct pt_regs *ctx)
{
	return count_request(ctx, FN_MALLOC, PT_REGS_PARM1(ctx));
}

int calloc_entry(struct pt_regs *ctx)
{
	u64 count = PT_REGS_PARM1(ctx), size = PT_REGS_PARM2(ctx);

	if (product_overflows(count, size))
		return 0;
	return count_request(ctx, FN_CALLOC, count * size);
}

int realloc_entry(struct pt_regs *ctx)
{
	return count_request(ctx, FN_REALLOC, PT_REGS_PARM2(ctx));
}

int reallocarray_entry(struct pt_regs *ctx)
{
	u64 count = PT_REGS_PARM2(ctx), size = PT_REGS_PARM3(ctx);

	if (product_overflows(count, size))
		return 0;
	return count_request(ctx, FN_REALLOCARRAY, count * size);
}

int posix_memalign_entry(struct pt_regs *ctx)
{
	return count_request(ctx, FN_POSIX_MEMALIGN, PT_REGS_PARM3(ctx));
}

int aligned_alloc_entry(struct pt_regs *ctx)
{
	return count_request(ctx, FN_ALIGNED_ALLOC, PT_REGS_PARM2(ctx));
}

int memalign_entry(struct pt_regs *ctx)
{
	return count_request(ctx, FN_MEMALIGN, PT_REGS_PARM2(ctx));
}

int valloc_entry(struct pt_regs *ctx)
{
	return count_request(ctx, FN_VALLOC, PT_REGS_PARM1(ctx));
}

int pvalloc_entry(struct pt_regs *ctx)
{
	return count_request(ctx, FN_PVALLOC, PT_REGS_PARM1(ctx));
}

#else /* unfreed mode */

static __always_inline void capture_stack(struct pt_regs *ctx, u32 fn, struct stack_key *key)
{
	key->fn = fn;
	key->stack = store_user_stack(ctx);
	if (key->stack == MISSED_STACK)
		count_loss(LOSS_STACK);
	bpf_probe_read_user(&key->caller, sizeof(key->caller), (void *)PT_REGS_SP(ctx));
}

/*
 * A thread's outermost allocator call, from its entry to its return. Inner
 * calls (glibc's realloc(NULL, n) calls malloc) only move `depth`, so each
 * allocation is counted once, under the function the program called.
 */
struct call_in_flight {
	struct live_block block;	/* what the call will have allocated */
	struct live_block old_block;	/* realloc: the block it replaces */
	u64 old_ptr;
	u64 out_ptr;			/* posix_memalign: where the block is returned */
	u32 depth;
	u8 has_old_block;
	u8 frees_old_on_null;		/* realloc(p, 0) frees p and returns NULL */
};

BPF_HASH(live_blocks, u64, struct live_block, MAX_LIVE_BLOCKS);
BPF_HASH(calls_in_flight, u32, struct call_in_flight, MAX_THREADS);

static __always_inline int enter_call(struct pt_regs *ctx, u32 fn, u64 bytes, u64 old_ptr,
				      u64 out_ptr, int frees_old_on_null)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	struct call_in_flight call = {};
	struct call_in_flight *outer;
	struct live_block *old;
	u32 tid = pid_tgid;

	if (!is_traced(pid_tgid))
		return 0;
	outer = calls_in_flight.lookup(&tid);
	if (outer) {
		outer->depth++;
		return 0;
	}
	call.block.bytes = bytes;
	call.out_ptr = out_ptr;
	call.frees_old_on_null = frees_old_on_null;
	capture_stack(ctx, fn, &call.block.stack);
	/*
	 * The replaced block leaves the live set now, before the allocator can
	 * release it and another thread get the same address back; it is put
	 * back at return if the call fails.
	 */
	if (old_ptr) {
		old = live_blocks.lookup(&old_ptr);
		if (old) {
			call.old_block = *old;
			call.has_old_block = 1;
			call.old_ptr = old_ptr;
			live_blocks.delete(&old_ptr);
		}
	}
	if (calls_in_flight.update(&tid, &call))
		count_loss(LOSS_CALLS);
	return 0;
}

static __always_inline void track_block(u64 ptr, struct live_block *block)
{
	if (live_blocks.update(&ptr, block))
		count_loss(LOSS_LIVE_BLOCKS);
}

/* Shared by every allocator's return; posix_memalign returns through out_ptr. */
int alloc_return(struct pt_regs *ctx)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	struct call_in_flight *call;
	u32 tid = pid_tgid;
	u64 ptr = 0;

	if (!is_traced(pid_tgid))
		return 0;
	call = calls_in_flight.lookup(&tid);
	if (!call)
		return 0;
	if (call->depth) {
		call->depth--;
		return 0;
	}
	if (!call->out_ptr)
		ptr = PT_REGS_RC(ctx);
	else if (PT_REGS_RC(ctx) == 0)
		bpf_probe_read_user(&ptr, sizeof(ptr), (void *)call->out_ptr);

	if (ptr)
		track_block(ptr, &call->block);
	else if (call->has_old_block && !call->frees_old_on_null)
		track_block(call->old_ptr, &call->old_block);
	calls_in_flight.delete(&tid);
	return 0;
}

int malloc_entry(struct pt_regs *ctx)
{
	return enter_call(ctx, FN_MALLOC, PT_REGS_PARM1(ctx), 0, 0, 0);
}

int calloc_entry(struct pt_regs *ctx)
{
	u64 count = PT_REGS_PARM1(ctx), size = PT_REGS_PARM2(ctx);

	/* An overflowing product fails; the NULL it returns counts nothing. */
	return enter_call(ctx, FN_CALLOC, count * size, 0, 0, 0);
}

int realloc_entry(struct pt_regs *ctx)
{
	u64 bytes = PT_REGS_PARM2(ctx);

	return enter_call(ctx, FN_REALLOC, bytes, PT_REGS_PARM1(ctx), 0, bytes == 0);
}

int reallocarray_entry(struct pt_regs *ctx)
{
	u64 count = PT_REGS_PARM2(ctx), size = PT_REGS_PARM3(ctx);
	int overflows = product_overflows(count, size);

	/* An overflow fails with ENOMEM and keeps the old block. */
	return enter_call(ctx, FN_REALLOCARRAY, count * size, PT_REGS_PARM1(ctx), 0,
			  !overflows && count * size == 0);
}

int posix_memalign_entry(struct pt_regs *ctx)
{
	return enter_call(ctx, FN_POSIX_MEMALIGN, PT_REGS_PARM3(ctx), 0, PT_REGS_PARM1(ctx), 0);
}

int aligned_alloc_entry(struct pt_regs *ctx)
{
	return enter_call(ctx, FN_ALIGNED_ALLOC, PT_REGS_PARM2(ctx), 0, 0, 0);
}

int memalign_entry(struct pt_regs *ctx)
{
	return enter_call(ctx, FN_MEMALIGN, PT_REGS_PARM2(ctx), 0, 0, 0);
}

int valloc_entry(struct pt_regs *ctx)
{
	return enter_call(ctx, FN_VALLOC, PT_REGS_PARM1(ctx), 0, 0, 0);
}

int pvalloc_entry(struct pt_regs *ctx)
{
	return enter_call(ctx, FN_PVALLOC, PT_REGS_PARM1(ctx), 0, 0, 0);
}

/* Entry only: a free removes the block before the allocator can reuse it. */
int free_entry(struct pt_regs *ctx)
{
	u64 ptr = PT_REGS_PARM1(ctx);

	if (!is_traced_process(bpf_get_current_pid_tgid()) || !ptr)
		return 0;
	live_blocks.delete(&ptr);
	return 0;
}

#endif /* MODE_ALL */

/*
 * -c: the dynamic loader calls _dl_debug_state() after it has mapped the
 * program's libraries and before any of their code runs. Stopping the new
 * process there lets the frontend attach to the allocator it really mapped.
 */
int stop_at_loader_event(struct pt_regs *ctx)
{
	if (is_traced_process(bpf_get_current_pid_tgid()))
		bpf_send_signal(19 /* SIGSTOP */);
	return 0;
}
