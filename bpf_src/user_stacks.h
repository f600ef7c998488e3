/*
 * User stacks, stored by a 64-bit hash of their frames. The kernel's stack map
 * (bpf_get_stackid) hashes a stack to one of its buckets and refuses a
 * different stack that lands in a taken bucket: with a few dozen stacks in
 * 16384 buckets that loses a whole stack in one run out of thirty. A 64-bit
 * key makes such a loss practically impossible.
 *
 * Shared by the BPF programs and the frontends (which include
 * <linux/types.h> first). The BPF side needs STACK_STORAGE_SIZE defined.
 */
#ifndef USER_STACKS_H
#define USER_STACKS_H

/* The kernel's limit on a captured stack (PERF_MAX_STACK_DEPTH). */
#define USER_STACK_FRAMES 127

/* A stack that could not be stored: its events are shown as [Missed User Stack]. */
#define MISSED_STACK 0

struct user_stack {
	__u64 ips[USER_STACK_FRAMES];	/* leaf first; zero after the last frame */
};

#ifdef BPF_HASH		/* compiled by libbcc, as part of a BPF program */

#include "user_memory.h"

BPF_PERCPU_ARRAY(stack_scratch, struct user_stack, 1);
/* Not preallocated, as every large hash here: kernel memory grows with the stacks met. */
BPF_F_TABLE("hash", u64, struct user_stack, user_stacks, STACK_STORAGE_SIZE, BPF_F_NO_PREALLOC);

/* Stores the first `frames` entries of `stack`; its key, or MISSED_STACK. */
static __always_inline u64 save_user_stack(struct user_stack *stack, int frames)
{
	u64 hash = 14695981039346656037ULL;	/* FNV-1a over the frames */

	/* Not unrolled: the unrolled loop reads one frame past the array, which the verifier refuses. */
#pragma clang loop unroll(disable)
	for (int i = 0; i < USER_STACK_FRAMES; i++) {
		if (i >= frames)
			break;
		hash = (hash ^ stack->ips[i]) * 1099511628211ULL;
	}
	if (hash == MISSED_STACK)
		hash = 1;
	if (!user_stacks.lookup(&hash) && user_stacks.insert(&hash, stack) && !user_stacks.lookup(&hash))
		return MISSED_STACK;	/* the map is full */
	return hash;
}

/* The current thread's user stack as the kernel walks it, stored; its key, or MISSED_STACK. */
static __always_inline u64 store_user_stack(void *ctx)
{
	struct user_stack *stack;
	int zero = 0;
	long bytes;

	stack = stack_scratch.lookup(&zero);
	if (!stack)
		return MISSED_STACK;
	/* The kernel zeroes the buffer past the frames it copies. */
	bytes = bpf_get_stack(ctx, stack->ips, sizeof(stack->ips), BPF_F_USER_STACK);
	if (bytes <= 0)
		return MISSED_STACK;
	return save_user_stack(stack, bytes / sizeof(u64));
}

/* A frame pointer further than this above the stack pointer is not one. */
#define USER_STACK_SPAN (8ULL << 20)

/*
 * The stack above `ip` by frame pointers into `stack`, ended by a zero; the
 * number of frames. Cheaper than the kernel's walk (bpf_get_stack): a frame
 * pointer that is not 8-byte aligned, not above the previous frame, or more
 * than USER_STACK_SPAN above the stack pointer ends the walk before it is
 * read, where the kernel reads it and, in code built without frame pointers,
 * faults or follows garbage.
 */
static __always_inline int walk_by_frame_pointers(struct user_stack *stack, u64 ip, u64 sp, u64 fp)
{
	u64 frame[2];		/* the saved frame pointer, then the return address */
	u64 floor = sp;
	int depth = 1;

	stack->ips[0] = ip;
	for (int i = 1; i < USER_STACK_FRAMES - 1; i++) {
		if ((fp & 7) || fp < floor || fp - sp > USER_STACK_SPAN)
			break;
		if (read_user_memory(frame, sizeof(frame), (void *)fp) || !frame[1])
			break;
		stack->ips[i] = frame[1];
		depth = i + 1;
		floor = fp + sizeof(frame);
		fp = frame[0];
	}
	if (depth < USER_STACK_FRAMES)
		stack->ips[depth] = 0;
	return depth;
}

#if UNWIND_ROWS
#include "cfi_walk.h"
#endif

/*
 * The user stack whose innermost frame is at `ip` (a faulting instruction, or
 * the return address into an allocator's caller, as `ip_is_return_address`
 * says), with the stack and frame pointers `sp` and `fp` of that frame,
 * walked by this program and stored; its key, or MISSED_STACK.
 *
 * Compiled with unwind tables (-D UNWIND_ROWS), the walk follows them and
 * the frame pointer where they have no row. Without, it follows frame
 * pointers only.
 */
#if UNWIND_ROWS
static __always_inline u64 walk_user_stack(u64 ip, u64 sp, u64 fp, int ip_is_return_address)
{
	struct user_stack *stack;
	int zero = 0;
	u64 depth;

	stack = stack_scratch.lookup(&zero);
	if (!stack)
		return MISSED_STACK;
	depth = walk_by_rows(stack, ip, sp, fp, ip_is_return_address);
	if (!depth)
		return MISSED_STACK;
	/* Two separate tests: merged into one by the compiler, the verifier loses the bound. */
	asm volatile("" : "+r"(depth));
	if (depth >= USER_STACK_FRAMES)
		return MISSED_STACK;
	/* The frontend reads frames up to the first zero. */
	stack->ips[depth] = 0;
	return save_user_stack(stack, depth);
}
#else
static __always_inline u64 walk_user_stack(u64 ip, u64 sp, u64 fp, int ip_is_return_address)
{
	struct user_stack *stack;
	int zero = 0;

	stack = stack_scratch.lookup(&zero);
	if (!stack)
		return MISSED_STACK;
	return save_user_stack(stack, walk_by_frame_pointers(stack, ip, sp, fp));
}
#endif

#endif /* BPF_HASH */

#endif
