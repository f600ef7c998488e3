/*
 * Compact unwind tables: what the BPF stack walk needs of an object's DWARF
 * call-frame information (.eh_frame, .debug_frame), one row per address range.
 * The frontend turns each object's CFI into rows (common/cfi_rows.c) and loads
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

#endif
