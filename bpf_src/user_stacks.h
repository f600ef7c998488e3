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

BPF_PERCPU_ARRAY(stack_scratch, struct user_stack, 1);
BPF_HASH(user_stacks, u64, struct user_stack, STACK_STORAGE_SIZE);

/* The current thread's user stack, stored; its key, or MISSED_STACK. */
static __always_inline u64 store_user_stack(void *ctx)
{
	u64 hash = 14695981039346656037ULL;	/* FNV-1a over the frames */
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
	for (int i = 0; i < USER_STACK_FRAMES; i++) {
		if (i * sizeof(u64) >= bytes)
			break;
		hash = (hash ^ stack->ips[i]) * 1099511628211ULL;
	}
	if (hash == MISSED_STACK)
		hash = 1;
	if (!user_stacks.lookup(&hash) && user_stacks.insert(&hash, stack) && !user_stacks.lookup(&hash))
		return MISSED_STACK;	/* the map is full */
	return hash;
}

#endif /* BPF_HASH */

#endif
