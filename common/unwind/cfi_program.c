#include "unwind/cfi_program.h"

#include <errno.h>
#include <string.h>

#include "base/growable_array.h"

/* DWARF's x86-64 register numbers. */
#define REGISTER_RBP 6
#define REGISTER_RSP 7
/*
 * GCC nests remember_state once or twice (an epilogue inside a shrink-wrapped
 * path); the bound keeps a hostile program from growing the stack for ever.
 */
#define STATE_STACK_MAX 32

struct run {
	const struct cfi_section *section;
	const struct cfi_cie *cie;
	const struct cfi_state *initial;	/* NULL while running the CIE's own instructions */
	struct cfi_state state;
	struct cfi_state stack[STATE_STACK_MAX];
	size_t depth;
	uint64_t location;
	uint64_t end;
	struct cfi_row_array *rows;
	size_t first_row;
};

/* value × factor, saturated: a value out of range later reads as unrepresentable. */
static int64_t scale(int64_t value, int64_t factor)
{
	int64_t product;

	if (__builtin_mul_overflow(value, factor, &product))
		return INT64_MAX;
	return product;
}

static int64_t unsigned_to_signed(uint64_t value)
{
	return value > INT64_MAX ? INT64_MAX : (int64_t)value;
}

struct unwind_row cfi_state__row(const struct cfi_state *state, uint32_t address)
{
	struct unwind_row row = {.address = address, .cfa_rule = UNWIND_CFA_NONE,
				 .rbp_rule = UNWIND_RBP_SAME};
	const struct cfi_register *rbp = &state->rbp, *ra = &state->return_address;

	if (ra->rule == CFI_REGISTER_UNDEFINED) {
		row.cfa_rule = UNWIND_CFA_ROOT;
		return row;
	}
	/* The walk takes the return address from CFA - 8: a row must not promise it elsewhere. */
	if (ra->rule == CFI_REGISTER_OTHER || (ra->rule == CFI_REGISTER_AT_CFA && ra->offset != -8))
		return row;
	if (state->cfa_offset < INT32_MIN || state->cfa_offset > INT32_MAX)
		return row;
	if (state->cfa_rule == CFI_CFA_REGISTER && state->cfa_register == REGISTER_RSP)
		row.cfa_rule = UNWIND_CFA_RSP;
	else if (state->cfa_rule == CFI_CFA_REGISTER && state->cfa_register == REGISTER_RBP)
		row.cfa_rule = UNWIND_CFA_RBP;
	else if (state->cfa_rule == CFI_CFA_PLT)
		row.cfa_rule = UNWIND_CFA_PLT;
	else
		return row;
	row.cfa_offset = (__s32)state->cfa_offset;
	if (rbp->rule == CFI_REGISTER_AT_CFA && rbp->offset >= INT16_MIN && rbp->offset <= INT16_MAX) {
		row.rbp_rule = UNWIND_RBP_AT_CFA;
		row.rbp_offset = (__s16)rbp->offset;
	} else if (rbp->rule != CFI_REGISTER_SAME) {
		row.rbp_rule = UNWIND_RBP_UNKNOWN;
	}
	return row;
}

/* Records the current state as the row of run->location, replacing one already there. */
static int emit_row(struct run *run)
{
	struct cfi_row_array *rows = run->rows;
	struct unwind_row row;

	if (run->location >= run->end)
		return 0;
	row = cfi_state__row(&run->state, (uint32_t)run->location);
	if (rows->count > run->first_row && rows->rows[rows->count - 1].address == row.address) {
		rows->rows[rows->count - 1] = row;
		return 0;
	}
	if (growable_array__reserve(&rows->rows, &rows->capacity, rows->count, sizeof(row)))
		return -ENOMEM;
	rows->rows[rows->count++] = row;
	return 0;
}

/* Moves to `location`, closing the current row; 1 once past the FDE's end. */
static int advance_to(struct run *run, uint64_t location)
{
	int err;

	/* Rows in a CIE would have no address; going back would unsort them. */
	if (!run->initial || location < run->location)
		return -EINVAL;
	err = emit_row(run);
	if (err)
		return err;
	run->location = location;
	return location >= run->end;
}

static int advance_by(struct run *run, uint64_t delta)
{
	uint64_t bytes, location;

	if (__builtin_mul_overflow(delta, run->cie->code_alignment, &bytes) ||
	    __builtin_add_overflow(run->location, bytes, &location))
		return -EINVAL;
	return advance_to(run, location);
}

static void set_register(struct run *run, uint64_t number, uint8_t rule, int64_t offset)
{
	struct cfi_register value = {.rule = rule, .offset = offset};

	if (number == REGISTER_RBP)
		run->state.rbp = value;
	if (number == run->cie->return_address_column)
		run->state.return_address = value;
}

/* DW_CFA_restore: back to the CIE's rule (unspecified while running the CIE). */
static void restore_register(struct run *run, uint64_t number)
{
	static const struct cfi_state unspecified;
	const struct cfi_state *initial = run->initial ? run->initial : &unspecified;

	if (number == REGISTER_RBP)
		run->state.rbp = initial->rbp;
	if (number == run->cie->return_address_column)
		run->state.return_address = initial->return_address;
}

/*
 * Whether a DW_CFA_def_cfa_expression block is the lazy PLT's, as binutils
 * writes it: rsp + N, plus 8 once (rip & 15) >= 11. Sets *offset to N.
 */
static int is_plt_expression(struct byte_reader block, int64_t *offset)
{
	static const unsigned char rip[] = {0x80, 0x00};	/* DW_OP_breg16 (rip) 0 */
	/* DW_OP_lit15 and lit11 ge lit3 shl plus */
	static const unsigned char rest[] = {0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22};
	uint8_t op;

	if (byte_reader__u8(&block, &op) || op != 0x77 ||	/* DW_OP_breg7 */
	    byte_reader__sleb128(&block, offset))
		return 0;
	if (byte_reader__left(&block) != sizeof(rip) + sizeof(rest))
		return 0;
	return !memcmp(block.data + block.position, rip, sizeof(rip)) &&
	       !memcmp(block.data + block.position + sizeof(rip), rest, sizeof(rest));
}

/* Reads a ULEB128 register and, per `operand`, its offset: 'u' factored unsigned, 's' factored signed, 'n' negated. */
static int read_register_offset(struct run *run, struct byte_reader *reader, char operand,
				uint64_t *number, int64_t *offset)
{
	uint64_t unsigned_offset;
	int64_t signed_offset;

	if (byte_reader__uleb128(reader, number))
		return -EINVAL;
	if (operand == 's') {
		if (byte_reader__sleb128(reader, &signed_offset))
			return -EINVAL;
	} else {
		if (byte_reader__uleb128(reader, &unsigned_offset))
			return -EINVAL;
		signed_offset = unsigned_to_signed(unsigned_offset);
		if (operand == 'n')
			signed_offset = -signed_offset;
	}
	*offset = scale(signed_offset, run->cie->data_alignment);
	return 0;
}

/* The extended opcodes (those with no operand in their low six bits). */
static int execute_extended(struct run *run, struct byte_reader *reader, uint8_t opcode)
{
	struct cfi_state *state = &run->state;
	struct cfi_section own = *run->section;
	struct byte_reader block;
	uint64_t number, value;
	int64_t offset;

	switch (opcode) {
	case 0x00:	/* DW_CFA_nop */
		return 0;
	case 0x01:	/* DW_CFA_set_loc */
		own.address_size = run->cie->address_size;
		if (cfi_section__read_pointer(&own, reader, run->cie->fde_encoding, &value))
			return -EINVAL;
		return advance_to(run, value);
	case 0x02:	/* DW_CFA_advance_loc1, 2, 4 */
	case 0x03:
	case 0x04:
		if (byte_reader__unsigned(reader, 1u << (opcode - 2), &value))
			return -EINVAL;
		return advance_by(run, value);
	case 0x1d:	/* DW_CFA_MIPS_advance_loc8 */
		if (byte_reader__u64(reader, &value))
			return -EINVAL;
		return advance_by(run, value);
	case 0x05:	/* DW_CFA_offset_extended */
	case 0x11:	/* DW_CFA_offset_extended_sf */
	case 0x2f:	/* DW_CFA_GNU_negative_offset_extended */
		if (read_register_offset(run, reader, opcode == 0x05 ? 'u' : opcode == 0x11 ? 's' : 'n',
					 &number, &offset))
			return -EINVAL;
		set_register(run, number, CFI_REGISTER_AT_CFA, offset);
		return 0;
	case 0x14:	/* DW_CFA_val_offset */
	case 0x15:	/* DW_CFA_val_offset_sf */
		if (read_register_offset(run, reader, opcode == 0x14 ? 'u' : 's', &number, &offset))
			return -EINVAL;
		set_register(run, number, CFI_REGISTER_OTHER, 0);
		return 0;
	case 0x06:	/* DW_CFA_restore_extended */
		if (byte_reader__uleb128(reader, &number))
			return -EINVAL;
		restore_register(run, number);
		return 0;
	case 0x07:	/* DW_CFA_undefined */
	case 0x08:	/* DW_CFA_same_value */
		if (byte_reader__uleb128(reader, &number))
			return -EINVAL;
		set_register(run, number, opcode == 0x07 ? CFI_REGISTER_UNDEFINED : CFI_REGISTER_SAME, 0);
		return 0;
	case 0x09:	/* DW_CFA_register */
		if (byte_reader__uleb128(reader, &number) || byte_reader__uleb128(reader, &value))
			return -EINVAL;
		set_register(run, number, CFI_REGISTER_OTHER, 0);
		return 0;
	case 0x10:	/* DW_CFA_expression */
	case 0x16:	/* DW_CFA_val_expression */
		if (byte_reader__uleb128(reader, &number) || byte_reader__uleb128(reader, &value) ||
		    byte_reader__skip(reader, value))
			return -EINVAL;
		set_register(run, number, CFI_REGISTER_OTHER, 0);
		return 0;
	case 0x0a:	/* DW_CFA_remember_state: the CFA too, as GCC's unwinder and readelf do */
		if (run->depth == STATE_STACK_MAX)
			return -EINVAL;
		run->stack[run->depth++] = *state;
		return 0;
	case 0x0b:	/* DW_CFA_restore_state */
		if (!run->depth)
			return -EINVAL;
		*state = run->stack[--run->depth];
		return 0;
	case 0x0c:	/* DW_CFA_def_cfa */
	case 0x12:	/* DW_CFA_def_cfa_sf */
		if (opcode == 0x0c) {
			if (byte_reader__uleb128(reader, &number) || byte_reader__uleb128(reader, &value))
				return -EINVAL;
			offset = unsigned_to_signed(value);
		} else if (read_register_offset(run, reader, 's', &number, &offset)) {
			return -EINVAL;
		}
		state->cfa_rule = CFI_CFA_REGISTER;
		state->cfa_register = number;
		state->cfa_offset = offset;
		return 0;
	case 0x0d:	/* DW_CFA_def_cfa_register: the offset stays */
		if (byte_reader__uleb128(reader, &number))
			return -EINVAL;
		state->cfa_rule = CFI_CFA_REGISTER;
		state->cfa_register = number;
		return 0;
	case 0x0e:	/* DW_CFA_def_cfa_offset: the register (or expression) stays */
		if (byte_reader__uleb128(reader, &value))
			return -EINVAL;
		state->cfa_offset = unsigned_to_signed(value);
		return 0;
	case 0x13:	/* DW_CFA_def_cfa_offset_sf */
		if (byte_reader__sleb128(reader, &offset))
			return -EINVAL;
		state->cfa_offset = scale(offset, run->cie->data_alignment);
		return 0;
	case 0x0f:	/* DW_CFA_def_cfa_expression */
		if (byte_reader__uleb128(reader, &value) || byte_reader__sub(reader, value, &block))
			return -EINVAL;
		state->cfa_rule = is_plt_expression(block, &offset) ? CFI_CFA_PLT : CFI_CFA_EXPRESSION;
		state->cfa_offset = state->cfa_rule == CFI_CFA_PLT ? offset : 0;
		return 0;
	case 0x2e:	/* DW_CFA_GNU_args_size: only matters to exception handling */
		return byte_reader__uleb128(reader, &value);
	default:
		return -EINVAL;
	}
}

/* Runs instructions until their end or the FDE's; 0, 1 once past the end, or -errno. */
static int execute(struct run *run, struct byte_reader reader)
{
	uint64_t offset;
	uint8_t opcode;
	int err = 0;

	while (!err && byte_reader__left(&reader)) {
		if (byte_reader__u8(&reader, &opcode))
			return -EINVAL;
		switch (opcode & 0xc0) {
		case 0x40:	/* DW_CFA_advance_loc */
			err = advance_by(run, opcode & 0x3f);
			break;
		case 0x80:	/* DW_CFA_offset */
			if (byte_reader__uleb128(&reader, &offset))
				return -EINVAL;
			set_register(run, opcode & 0x3f, CFI_REGISTER_AT_CFA,
				     scale(unsigned_to_signed(offset), run->cie->data_alignment));
			break;
		case 0xc0:	/* DW_CFA_restore */
			restore_register(run, opcode & 0x3f);
			break;
		default:
			err = execute_extended(run, &reader, opcode);
		}
	}
	return err;
}

int cfi_program__initial_state(const struct cfi_cie *cie, struct cfi_state *state)
{
	struct run run = {.cie = cie};
	struct cfi_section none = {0};
	int err;

	run.section = &none;
	err = execute(&run, cie->instructions);
	*state = run.state;
	return err < 0 ? err : 0;
}

int cfi_program__run(const struct cfi_section *section, const struct cfi_fde *fde,
		     const struct cfi_state *initial, struct cfi_row_array *rows)
{
	struct run run = {.section = section, .cie = fde->cie, .initial = initial,
			  .state = *initial, .location = fde->start, .end = fde->end,
			  .rows = rows, .first_row = rows->count};
	int err;

	err = execute(&run, fde->instructions);
	if (!err)
		err = emit_row(&run);
	if (err < 0) {
		rows->count = run.first_row;
		return err;
	}
	return 0;
}
