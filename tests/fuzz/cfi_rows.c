/*
 * An object's call-frame information: .eh_frame and .debug_frame are the
 * target's (or its builder's) to forge (the input, as a file: memfd_file.h).
 * Whatever the bytes, the rows that come back must be sorted and name rules
 * the BPF walk knows.
 */
#include <linux/types.h>
#include <stdint.h>
#include <stdlib.h>

#include "unwind/cfi_rows.h"
#include "memfd_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = memfd_file__write(data, size);
	struct cfi_rows rows;
	size_t i;

	if (cfi_rows__read(path, &rows))
		return 0;
	for (i = 0; i < rows.count; i++) {
		if ((i && rows.rows[i].address <= rows.rows[i - 1].address) ||
		    rows.rows[i].cfa_rule > UNWIND_CFA_ROOT || rows.rows[i].rbp_rule > UNWIND_RBP_UNKNOWN)
			abort();
	}
	if (rows.functions_with_frame_pointer > rows.functions)
		abort();
	cfi_rows__free(&rows);
	return 0;
}
