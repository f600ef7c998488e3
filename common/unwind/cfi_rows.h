/*
 * An ELF object's DWARF call-frame information as unwind rows
 * (bpf_src/unwind_rows.h): what the BPF walk of a user stack needs to step
 * through code built without frame pointers.
 */
#ifndef CFI_ROWS_H
#define CFI_ROWS_H

#include <linux/types.h>
#include <stddef.h>

#include "unwind_rows.h"

struct cfi_rows {
	struct unwind_row *rows;	/* sorted by address, strictly increasing */
	size_t count;
	size_t functions;		/* FDEs read (with a range, not shadowed by another section) */
	size_t functions_with_frame_pointer;	/* FDEs that at some row define the CFA from rbp */
	/*
	 * FDEs whose CIE, range or CFA program could not be read: those with
	 * a range (counted in `functions` too) get a UNWIND_CFA_NONE row, so
	 * the walk falls back to the frame pointer there.
	 */
	size_t functions_unreadable;
};

/*
 * Reads the CFI of the x86-64 ELF object at `path`: .eh_frame, and
 * .debug_frame for the addresses .eh_frame does not cover. Where one FDE
 * ends and no other starts, a UNWIND_CFA_NONE row ends its range. An object
 * without CFI gives no rows. Returns 0; -ENOEXEC for a file that is not
 * x86-64 ELF; -EINVAL for a section whose entries run past its end; -EFBIG
 * when an address does not fit the rows' 32 bits; -ENOMEM; or -errno of
 * open(). `rows` is zeroed first, and on failure left zeroed.
 */
int cfi_rows__read(const char *path, struct cfi_rows *rows);

/* Frees the rows; accepts a zeroed struct. */
void cfi_rows__free(struct cfi_rows *rows);

#endif
