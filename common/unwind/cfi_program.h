/*
 * Runs the CFA program of a CIE and its FDE (DWARF 5, 6.4.2) and turns each
 * state it reaches into an unwind row (bpf_src/unwind_rows.h). Only what the
 * rows can say is kept: how the CFA is found, where rbp and the return
 * address are.
 */
#ifndef CFI_PROGRAM_H
#define CFI_PROGRAM_H

#include <linux/types.h>
#include <stdint.h>

#include "unwind/cfi_entries.h"
#include "unwind_rows.h"

/* How a register's value in the caller is found. */
enum cfi_register_rule {
	CFI_REGISTER_SAME,	/* unspecified or DW_CFA_same_value */
	CFI_REGISTER_UNDEFINED,
	CFI_REGISTER_AT_CFA,	/* DW_CFA_offset: saved at CFA + offset */
	CFI_REGISTER_OTHER,	/* in a register, an expression, a value rule */
};

enum cfi_cfa_rule {
	CFI_CFA_UNDEFINED,	/* no DW_CFA_def_cfa yet */
	CFI_CFA_REGISTER,	/* register + offset */
	CFI_CFA_PLT,		/* the lazy PLT's expression, from rsp + offset */
	CFI_CFA_EXPRESSION,	/* any other expression */
};

struct cfi_register {
	uint8_t rule;		/* enum cfi_register_rule */
	int64_t offset;
};

struct cfi_state {
	uint8_t cfa_rule;	/* enum cfi_cfa_rule */
	uint64_t cfa_register;
	int64_t cfa_offset;
	struct cfi_register rbp;
	struct cfi_register return_address;
};

/* Rows of one FDE, appended to an array shared by all. */
struct cfi_row_array {
	struct unwind_row *rows;
	size_t count;
	size_t capacity;
};

/* The state a CIE's initial instructions set up. 0 or -EINVAL. */
int cfi_program__initial_state(const struct cfi_cie *cie, struct cfi_state *state);

/*
 * Appends the FDE's rows, addresses strictly increasing from fde->start and
 * all below fde->end (which must fit 32 bits). -EINVAL for a program the rows
 * cannot follow (an unknown opcode, a truncated operand, an address going
 * back, a state stack too deep), leaving `rows` as it was; -ENOMEM.
 */
int cfi_program__run(const struct cfi_section *section, const struct cfi_fde *fde,
		     const struct cfi_state *initial, struct cfi_row_array *rows);

/* The row a state stands for at `address`. */
struct unwind_row cfi_state__row(const struct cfi_state *state, uint32_t address);

#endif
