/*
 * The user stack walk through unwind tables (unwind_rows.h): for each frame,
 * the row covering its address says where the caller's frame and return
 * address are. Addresses no row covers are walked through the frame pointer.
 * Included by user_stacks.h when the program is compiled with -D UNWIND_ROWS,
 * UNWIND_PAGES (the sizes of the row map and of the page index) and
 * UNWIND_PROCESSES (how many processes have a mapping set). BPF only.
 */
#ifndef CFI_WALK_H
#define CFI_WALK_H

#include "unwind_rows.h"

BPF_ARRAY(unwind_rows, struct unwind_row, UNWIND_ROWS);
BPF_ARRAY(unwind_pages, u32, UNWIND_PAGES);
/* Not preallocated: a set's 16 kB are taken for a process traced, not for each possible one. */
BPF_F_TABLE("hash", u32, struct unwind_mapping_set, unwind_mapping_sets, UNWIND_PROCESSES,
	    BPF_F_NO_PREALLOC);
BPF_HASH(unwind_stale_processes, u32, u64, UNWIND_STALE_PROCESSES);

BPF_PERCPU_ARRAY(unwind_counts, u64, UNWIND_COUNTS);

/*
 * The rows found last, per CPU, by address: a stack's frames recur (the same
 * return addresses, event after event), and a search costs a cache miss per
 * halving in a large table, where a hit here costs one. Direct-mapped; a slot
 * is good for the mapping set it was filled from, whose generation no other
 * set, of this process or another, has.
 */
#define UNWIND_CACHE_SLOTS 4096

struct unwind_cache_slot {
	u64 address;		/* the address looked up (a return address - 1) */
	u32 generation;
	u32 padding;
	struct unwind_row row;	/* UNWIND_CFA_NONE: walked by frame pointer */
};
BPF_PERCPU_ARRAY(unwind_cache, struct unwind_cache_slot, UNWIND_CACHE_SLOTS);

/*
 * Halvings that narrow UNWIND_MAX_MAPPINGS mappings, and the rows of a page
 * (at most one per byte of it, 2^12, and the one before), to one. The
 * searches do not branch on what they compare (only on the size left, which
 * the object fixes): the verifier then checks one path through them instead
 * of one per outcome, which for 127 frames would exceed its limit.
 */
#define MAPPING_SEARCH_STEPS 8
#define PAGE_SEARCH_STEPS 13

/* 1 if a <= b, without a branch; both are user addresses (below 2^63). */
static __always_inline u64 at_or_below(u64 a, u64 b)
{
	return 1 - ((b - a) >> 63);
}

struct cfi_walk {
	struct unwind_mapping_set *set;
	struct user_stack *stack;	/* the per-CPU scratch stack the frames go to */
	u64 ip;
	u64 sp;
	u64 bp;
	u32 depth;
	u32 ip_is_return_address;	/* look up ip - 1: the call, which may be a function's last instruction */
};

/*
 * Counted in the map, not in the walk's state: the verifier tells apart
 * states whose known values differ, and per-path counts would make one state
 * per mix of frame kinds, more than its limit allows.
 */
static __always_inline void count_unwind(int which)
{
	u64 *count = unwind_counts.lookup(&which);

	if (count)
		*count += 1;	/* per CPU: no other writer */
}

/* Asks the frontend to read the current process's maps (again). */
static __always_inline void note_stale_process(void)
{
	u32 tgid = bpf_get_current_pid_tgid() >> 32;
	u64 one = 1, *count = unwind_stale_processes.lookup(&tgid);

	if (count)
		__sync_fetch_and_add(count, 1);
	else
		unwind_stale_processes.insert(&tgid, &one);
}

/* The mapping that holds `address`, or NULL. */
static __always_inline struct unwind_mapping *find_mapping(struct unwind_mapping_set *set, u64 address)
{
	struct unwind_mapping *mapping;
	u32 low = 0, size = set->count;

	if (!size || size > UNWIND_MAX_MAPPINGS)
		return NULL;
	/* The last mapping that starts at or below `address`. */
	for (int i = 0; i < MAPPING_SEARCH_STEPS && size > 1; i++) {
		u32 half = size / 2, candidate = low + half;

		/* Hidden from the compiler, which would drop the mask the verifier needs. */
		asm volatile("" : "+r"(candidate));
		candidate &= UNWIND_MAX_MAPPINGS - 1;
		low += half * at_or_below(set->mappings[candidate].start, address);
		size -= half;
	}
	asm volatile("" : "+r"(low));
	mapping = &set->mappings[low & (UNWIND_MAX_MAPPINGS - 1)];
	if (address < mapping->start || address >= mapping->end)
		return NULL;
	return mapping;
}

enum row_search {
	ROW_FOUND,
	ROW_NONE,		/* no row covers the address: walk this frame by its frame pointer */
	ROW_MAP_FAILED,		/* a lookup failed: end the walk */
};

/*
 * The last row at or before `address` in the mapping's object, copied into
 * `found`. A failed lookup ends the walk rather than falling back, so that
 * the verifier need not follow the rest of the walk from each of them.
 */
static __always_inline int find_row(struct unwind_mapping *mapping, u64 address,
				    struct unwind_row *found)
{
	u64 offset = address - mapping->bias, page;
	struct unwind_row *row;
	u32 low, size, index;
	u32 *first, *last;

	if (offset >> 32)
		return ROW_NONE;
	/* An offset below page_base wraps to a page past the index. */
	page = (offset - mapping->page_base) >> UNWIND_PAGE_SHIFT;
	if (page >= mapping->pages)
		return ROW_NONE;
	index = mapping->first_page + page;
	first = unwind_pages.lookup(&index);
	index += 1;
	last = unwind_pages.lookup(&index);
	if (!first || !last)
		return ROW_MAP_FAILED;
	low = *first;
	size = *last - *first + 1;
	for (int i = 0; i < PAGE_SEARCH_STEPS && size > 1; i++) {
		u32 half = size / 2, candidate = low + half;

		row = unwind_rows.lookup(&candidate);
		if (!row)
			return ROW_MAP_FAILED;
		low += half * at_or_below(row->address, offset);
		size -= half;
	}
	row = unwind_rows.lookup(&low);
	if (!row)
		return ROW_MAP_FAILED;
	*found = *row;
	return found->address <= offset ? ROW_FOUND : ROW_NONE;
}

/* The caller's frame through the frame pointer; 0 when the chain ends. */
static __always_inline int step_by_frame_pointer(struct cfi_walk *walk)
{
	u64 frame[2];		/* the saved frame pointer, then the return address */

	if ((walk->bp & 7) || walk->bp < walk->sp || walk->bp - walk->sp > USER_STACK_SPAN)
		return 0;
	if (read_user_memory(frame, sizeof(frame), (void *)walk->bp))
		return 0;
	walk->sp = walk->bp + sizeof(frame);
	walk->bp = frame[0];
	walk->ip = frame[1];
	count_unwind(UNWIND_FRAMES_BY_FRAME_POINTER);
	return 1;
}

/* The caller's frame as `row` describes it; 0 when the stack ends or the row's result is not a frame. */
static __always_inline int step_by_row(struct cfi_walk *walk, const struct unwind_row *row)
{
	u64 frame[2];		/* read at cfa - 16: the usual saved rbp slot, then the return address */
	u64 cfa;

	switch (row->cfa_rule) {
	case UNWIND_CFA_RSP:
		cfa = walk->sp + row->cfa_offset;
		break;
	case UNWIND_CFA_RBP:
		cfa = walk->bp + row->cfa_offset;
		break;
	case UNWIND_CFA_PLT:
		cfa = walk->sp + row->cfa_offset + ((walk->ip & 15) >= 11 ? 8 : 0);
		break;
	default:		/* UNWIND_CFA_ROOT: the thread's outermost frame */
		return 0;
	}
	if (cfa < walk->sp + 8 || cfa - walk->sp > USER_STACK_SPAN)
		return 0;
	if (read_user_memory(frame, sizeof(frame), (void *)(cfa - sizeof(frame))))
		return 0;
	if (row->rbp_rule == UNWIND_RBP_AT_CFA) {
		if (row->rbp_offset != -16 &&
		    read_user_memory(&frame[0], sizeof(frame[0]), (void *)(cfa + row->rbp_offset)))
			return 0;
		walk->bp = frame[0];
	} else if (row->rbp_rule == UNWIND_RBP_UNKNOWN) {
		walk->bp = 0;
	}
	walk->sp = cfa;
	walk->ip = frame[1];
	count_unwind(UNWIND_FRAMES_BY_ROWS);
	return 1;
}

/*
 * The row for `address` into `row`: from the cache, or found and cached. Only
 * addresses in a mapping with a table are cached; the others are looked up
 * each time, and counted when no mapping holds them.
 */
static __always_inline int lookup_row(struct unwind_mapping_set *set, u64 address,
				      struct unwind_row *row)
{
	u32 slot_index = (address ^ (address >> 12)) & (UNWIND_CACHE_SLOTS - 1);
	struct unwind_cache_slot *slot = unwind_cache.lookup(&slot_index);
	struct unwind_mapping *mapping;
	int search;

	if (slot && slot->address == address && slot->generation == set->generation) {
		*row = slot->row;
		return ROW_FOUND;
	}
	mapping = find_mapping(set, address);
	if (!mapping) {
		count_unwind(UNWIND_UNMAPPED_ADDRESSES);
		return ROW_NONE;
	}
	if (!mapping->pages)
		return ROW_NONE;
	search = find_row(mapping, address, row);
	if (search == ROW_NONE)
		*row = (struct unwind_row){.cfa_rule = UNWIND_CFA_NONE};
	if (search != ROW_MAP_FAILED && slot) {
		slot->address = address;
		slot->generation = set->generation;
		slot->row = *row;
	}
	return search == ROW_MAP_FAILED ? ROW_MAP_FAILED : ROW_FOUND;
}

/* Records walk->ip, then moves to its caller. Returns 1 to stop. */
static __always_inline int cfi_walk_step(struct cfi_walk *walk)
{
	struct unwind_row row = {};
	u32 depth = walk->depth;
	int moved, search;

	if (depth >= USER_STACK_FRAMES - 1 || !walk->ip)
		return 1;
	walk->stack->ips[depth] = walk->ip;
	walk->depth = depth + 1;

	search = lookup_row(walk->set, walk->ip - walk->ip_is_return_address, &row);
	walk->ip_is_return_address = 1;
	if (search == ROW_MAP_FAILED)
		return 1;
	if (search == ROW_FOUND && row.cfa_rule != UNWIND_CFA_NONE)
		moved = step_by_row(walk, &row);
	else
		moved = step_by_frame_pointer(walk);
	return !moved;
}

/*
 * The user stack whose innermost frame is at `ip` with stack pointer `sp` and
 * frame pointer `bp`, walked through the process's unwind tables into
 * `stack`; the number of frames, 0 if a map fails. A process the frontend
 * has not given a mapping set yet is walked by frame pointers, and noted so
 * that it does; one whose walk met addresses outside its mappings (code
 * mapped since its set was written), noted so that the frontend reads its
 * maps again.
 */
static __always_inline u32 walk_by_rows(struct user_stack *stack, u64 ip, u64 sp, u64 bp,
					int ip_is_return_address)
{
	struct cfi_walk walk = {.stack = stack, .ip = ip, .sp = sp, .bp = bp,
				.ip_is_return_address = ip_is_return_address};
	u32 tgid = bpf_get_current_pid_tgid() >> 32, which = UNWIND_UNMAPPED_ADDRESSES;
	u64 *unmapped = unwind_counts.lookup(&which), unmapped_before;

	if (!unmapped)
		return 0;
	walk.set = unwind_mapping_sets.lookup(&tgid);
	if (!walk.set) {
		count_unwind(UNWIND_STACKS_WITHOUT_SET);
		note_stale_process();
		return walk_by_frame_pointers(stack, ip, sp, bp);
	}
	/*
	 * Noted once a walk, by the per-CPU count it raised (a walk nested in
	 * it on this CPU can only add a needless note): a note in each step
	 * costs the verifier more states than its limit leaves the 127 steps.
	 */
	unmapped_before = *unmapped;
	for (int i = 0; i < USER_STACK_FRAMES; i++) {
		if (cfi_walk_step(&walk))
			break;
	}
	if (*unmapped != unmapped_before)
		note_stale_process();
	return walk.depth;
}

#endif
