/*
 * Compact unwind tables: what the BPF stack walk needs of an object's DWARF
 * call-frame information (.eh_frame, .debug_frame), one row per address range.
 * The frontend turns each object's CFI into rows (common/unwind/cfi_rows.c) and loads
 * them into BPF maps; the walk (user_stacks.h) looks a frame's address up in
 * them. Shared by the BPF programs and the frontends (which include
 * <linux/types.h> first).
 *
 * On x86-64 the return address is always at CFA - 8, so a row only says how
 * to find the canonical frame address (CFA, the caller's stack pointer) and
 * where the caller's rbp is.
 */
#ifndef UNWIND_ROWS_H
#define UNWIND_ROWS_H

/* How a row finds the CFA. */
enum unwind_cfa_rule {
	UNWIND_CFA_NONE,	/* no CFI covers this address: follow the frame pointer */
	UNWIND_CFA_RSP,		/* CFA = rsp + cfa_offset */
	UNWIND_CFA_RBP,		/* CFA = rbp + cfa_offset */
	/*
	 * A lazy-binding PLT entry's expression: CFA = rsp + cfa_offset, plus 8
	 * once past its push ((address & 15) >= 11).
	 */
	UNWIND_CFA_PLT,
	UNWIND_CFA_ROOT,	/* the return address is undefined: the thread's outermost frame */
};

/* Where the caller's rbp is. */
enum unwind_rbp_rule {
	UNWIND_RBP_SAME,	/* still in rbp */
	UNWIND_RBP_AT_CFA,	/* saved at CFA + rbp_offset */
	UNWIND_RBP_UNKNOWN,	/* clobbered in a way the rows do not describe */
};

struct unwind_row {
	__u32 address;		/* first address it covers, in the object's ELF virtual addresses */
	__u8 cfa_rule;		/* enum unwind_cfa_rule */
	__u8 rbp_rule;		/* enum unwind_rbp_rule */
	__s16 rbp_offset;
	__s32 cfa_offset;
};

/*
 * A process's executable mappings a mapping set holds, at most this many (a
 * power of two: the walk's search masks its index with it). Most programs map
 * a few dozen objects, large ones (a browser, Python with its extensions) a
 * couple of hundred: 256 holds them in a set the kernel allocates 16 kB for,
 * where 512 would take 32 kB for every process traced. Mappings past the last
 * that fits are walked by frame pointers, and counted.
 */
#define UNWIND_MAX_MAPPINGS 256

/*
 * An object's rows are found through its page index, so that a lookup
 * searches the rows of one page of code instead of the whole object: entry p
 * of the index (in map unwind_pages) is the row map's index of the last row
 * at or before page_base + (p << UNWIND_PAGE_SHIFT), or of the object's first
 * row when there is none; entry `pages` is its last row's. The row for an
 * address in page p is then among entries p to p + 1 of the index.
 */
#define UNWIND_PAGE_SHIFT 12

/*
 * One executable mapping: addresses in [start, end) are `address - bias` in
 * its object, whose page index is unwind_pages[first_page .. first_page +
 * pages]. No pages: follow frame pointers there (an object built with them,
 * or without CFI).
 */
struct unwind_mapping {
	__u64 start;
	__u64 end;
	__u64 bias;
	__u32 first_page;
	__u32 pages;
	__u32 page_base;	/* the object's first row's address, rounded down to a page */
	__u32 padding;
};

/*
 * One traced process's mappings, sorted by start: the value of map
 * unwind_mapping_sets, keyed by the process's tgid. An update replaces the
 * value whole for the walks that look it up after (the old one stays theirs
 * who hold it until they end), so a refresh never shows the walk a
 * half-written set.
 *
 * 8 + 256 * 40 = 10,248 bytes a set; with the hash element around it, the
 * kernel's allocation (past 8 kB, whole pages, a power of two of them) takes
 * 16 kB. Taken only for a process traced (the map is not preallocated), up to
 * -D UNWIND_PROCESSES of them (common/unwind/unwind_tables.c).
 */
struct unwind_mapping_set {
	__u32 count;
	/*
	 * New at each set the frontend writes, whatever the process: rows
	 * cached for an older set, or another process's, are not this one's.
	 */
	__u32 generation;
	struct unwind_mapping mappings[UNWIND_MAX_MAPPINGS];
};

/*
 * Processes the walk met without a mapping set, or at an address outside
 * every mapping of theirs (map unwind_stale_processes, tgid to how many
 * times): the frontend reads their maps at its next wake. A note that finds
 * the map full waits until the frontend has emptied it.
 */
#define UNWIND_STALE_PROCESSES 256

/* The walk's per-CPU counters (map unwind_counts). */
enum unwind_count {
	UNWIND_FRAMES_BY_ROWS,
	UNWIND_FRAMES_BY_FRAME_POINTER,
	UNWIND_UNMAPPED_ADDRESSES,	/* outside every mapping of a process's set: noted stale */
	UNWIND_STACKS_WITHOUT_SET,	/* of a process with no mapping set: by frame pointers */
	UNWIND_COUNTS,
};

#endif
