#include "unwind/cfi_program.h"

#include <errno.h>
#include <string.h>

#include "base/growable_array.h"
#include "unwind/dwarf_cfa.h"

/* DWARF's x86-64 register numbers. */
#define REGISTER_RBP 6
#define REGISTER_RSP 7
#define REGISTER_RIP 16
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
	static const unsigned char rip[] = {DW_OP_breg0 + REGISTER_RIP, 0};
	static const unsigned char rest[] = {DW_OP_lit0 + 15, DW_OP_and, DW_OP_lit0 + 11, DW_OP_ge,
					     DW_OP_lit0 + 3, DW_OP_shl, DW_OP_plus};
	uint8_t op;

	if (byte_reader__u8(&block, &op) || op != DW_OP_breg0 + REGISTER_RSP ||
	    byte_reader__sleb128(&block, offset))
		return 0;
	if (byte_reader__left(&block) != sizeof(rip) + sizeof(rest))
		return 0;
	return !memcmp(block.data + block.position, rip, sizeof(rip)) &&
	       !memcmp(block.data + block.position + sizeof(rip), rest, sizeof(rest));
}

/*
 * How an operand is encoded (DWARF 5, 6.4.2) and, for an offset, how it is
 * scaled. Registers and addresses are read into `value`, offsets into
 * `offset`, expressions into `block`.
 */
enum operand_kind {
	OPERAND_NONE,
	OPERAND_IN_OPCODE,		/* a primary opcode's low six bits */
	OPERAND_ULEB128,
	OPERAND_ULEB128_OFFSET,		/* an offset in bytes */
	OPERAND_ULEB128_FACTORED,	/* an offset in units of the CIE's data alignment */
	OPERAND_SLEB128_FACTORED,
	OPERAND_ULEB128_NEGATED,	/* GNU's: the factored offset is minus the value */
	OPERAND_U8,			/* location deltas, in units of the code alignment */
	OPERAND_U16,
	OPERAND_U32,
	OPERAND_U64,
	OPERAND_ADDRESS,		/* encoded as the CIE says the FDE's addresses are */
	OPERAND_BLOCK,			/* a ULEB128 length, then an expression that long */
};

/* No call-frame instruction takes more. */
#define OPERANDS_MAX 2

struct operand {
	uint64_t value;
	int64_t offset;
	struct byte_reader block;
};

struct instruction {
	uint8_t opcode;		/* enum dwarf_cfa_opcode, without a primary one's operand */
	struct operand operands[OPERANDS_MAX];
};

/* What an instruction's operands are, and the function that carries it out. */
struct instruction_form {
	enum operand_kind operands[OPERANDS_MAX];
	int (*execute)(struct run *run, const struct instruction *instruction);
};

/* Reads one operand of `kind`; `first_byte`, the instruction's, holds a primary opcode's. */
static int read_operand(const struct run *run, struct byte_reader *reader, enum operand_kind kind,
			uint8_t first_byte, struct operand *operand)
{
	int64_t factor = run->cie->data_alignment;
	struct cfi_section own;
	int64_t signed_value;

	switch (kind) {
	case OPERAND_NONE:
		return 0;
	case OPERAND_IN_OPCODE:
		operand->value = first_byte & DW_CFA_OPERAND_MASK;
		return 0;
	case OPERAND_ULEB128:
		return byte_reader__uleb128(reader, &operand->value) ? -EINVAL : 0;
	case OPERAND_ULEB128_OFFSET:
	case OPERAND_ULEB128_FACTORED:
	case OPERAND_ULEB128_NEGATED:
		if (byte_reader__uleb128(reader, &operand->value))
			return -EINVAL;
		signed_value = unsigned_to_signed(operand->value);
		if (kind == OPERAND_ULEB128_NEGATED)
			signed_value = -signed_value;
		operand->offset = kind == OPERAND_ULEB128_OFFSET ? signed_value
								 : scale(signed_value, factor);
		return 0;
	case OPERAND_SLEB128_FACTORED:
		if (byte_reader__sleb128(reader, &signed_value))
			return -EINVAL;
		operand->offset = scale(signed_value, factor);
		return 0;
	case OPERAND_U8:
		return byte_reader__unsigned(reader, 1, &operand->value) ? -EINVAL : 0;
	case OPERAND_U16:
		return byte_reader__unsigned(reader, 2, &operand->value) ? -EINVAL : 0;
	case OPERAND_U32:
		return byte_reader__unsigned(reader, 4, &operand->value) ? -EINVAL : 0;
	case OPERAND_U64:
		return byte_reader__unsigned(reader, 8, &operand->value) ? -EINVAL : 0;
	case OPERAND_ADDRESS:
		own = *run->section;
		own.address_size = run->cie->address_size;
		return cfi_section__read_pointer(&own, reader, run->cie->fde_encoding,
						 &operand->value) ? -EINVAL : 0;
	case OPERAND_BLOCK:
		return byte_reader__uleb128(reader, &operand->value) ||
		       byte_reader__sub(reader, operand->value, &operand->block) ? -EINVAL : 0;
	}
	return -EINVAL;
}

/* DW_CFA_set_loc and the advances: a new location, closing the current row. */
static int move_location(struct run *run, const struct instruction *instruction)
{
	uint64_t operand = instruction->operands[0].value;

	if (instruction->opcode == DW_CFA_set_loc)
		return advance_to(run, operand);
	return advance_by(run, operand);
}

/* The instructions that give one register, their first operand, a rule. */
static int set_register_rule(struct run *run, const struct instruction *instruction)
{
	uint64_t number = instruction->operands[0].value;

	switch (instruction->opcode) {
	case DW_CFA_offset:
	case DW_CFA_offset_extended:
	case DW_CFA_offset_extended_sf:
	case DW_CFA_GNU_negative_offset_extended:
		set_register(run, number, CFI_REGISTER_AT_CFA, instruction->operands[1].offset);
		break;
	case DW_CFA_restore:
	case DW_CFA_restore_extended:
		restore_register(run, number);
		break;
	case DW_CFA_undefined:
		set_register(run, number, CFI_REGISTER_UNDEFINED, 0);
		break;
	case DW_CFA_same_value:
		set_register(run, number, CFI_REGISTER_SAME, 0);
		break;
	default:
		/* In another register, an expression or a value rule: nothing a row can say. */
		set_register(run, number, CFI_REGISTER_OTHER, 0);
	}
	return 0;
}

/* The instructions that say how the CFA is found. */
static int define_cfa(struct run *run, const struct instruction *instruction)
{
	const struct operand *operands = instruction->operands;
	struct cfi_state *state = &run->state;
	int64_t plt_offset;

	switch (instruction->opcode) {
	case DW_CFA_def_cfa:
	case DW_CFA_def_cfa_sf:
		state->cfa_rule = CFI_CFA_REGISTER;
		state->cfa_register = operands[0].value;
		state->cfa_offset = operands[1].offset;
		break;
	case DW_CFA_def_cfa_register:	/* the offset stays */
		state->cfa_rule = CFI_CFA_REGISTER;
		state->cfa_register = operands[0].value;
		break;
	case DW_CFA_def_cfa_offset:	/* the register (or expression) stays */
	case DW_CFA_def_cfa_offset_sf:
		state->cfa_offset = operands[0].offset;
		break;
	default:			/* DW_CFA_def_cfa_expression */
		if (is_plt_expression(operands[0].block, &plt_offset)) {
			state->cfa_rule = CFI_CFA_PLT;
			state->cfa_offset = plt_offset;
		} else {
			state->cfa_rule = CFI_CFA_EXPRESSION;
			state->cfa_offset = 0;
		}
	}
	return 0;
}

/* DW_CFA_remember_state and restore_state: the CFA too, as GCC's unwinder and readelf do. */
static int keep_state(struct run *run, const struct instruction *instruction)
{
	if (instruction->opcode == DW_CFA_remember_state) {
		if (run->depth == STATE_STACK_MAX)
			return -EINVAL;
		run->stack[run->depth++] = run->state;
		return 0;
	}
	if (!run->depth)
		return -EINVAL;
	run->state = run->stack[--run->depth];
	return 0;
}

/* DW_CFA_nop, and DW_CFA_GNU_args_size, which only matters to exception handling. */
static int ignore_instruction(struct run *run, const struct instruction *instruction)
{
	(void)run;
	(void)instruction;
	return 0;
}

/* The extended opcodes; one without a form is one the rows cannot follow. */
static const struct instruction_form extended_forms[] = {
	[DW_CFA_nop] = {{OPERAND_NONE}, ignore_instruction},
	[DW_CFA_set_loc] = {{OPERAND_ADDRESS}, move_location},
	[DW_CFA_advance_loc1] = {{OPERAND_U8}, move_location},
	[DW_CFA_advance_loc2] = {{OPERAND_U16}, move_location},
	[DW_CFA_advance_loc4] = {{OPERAND_U32}, move_location},
	[DW_CFA_MIPS_advance_loc8] = {{OPERAND_U64}, move_location},
	[DW_CFA_offset_extended] = {{OPERAND_ULEB128, OPERAND_ULEB128_FACTORED}, set_register_rule},
	[DW_CFA_offset_extended_sf] = {{OPERAND_ULEB128, OPERAND_SLEB128_FACTORED}, set_register_rule},
	[DW_CFA_GNU_negative_offset_extended] = {{OPERAND_ULEB128, OPERAND_ULEB128_NEGATED},
						 set_register_rule},
	[DW_CFA_val_offset] = {{OPERAND_ULEB128, OPERAND_ULEB128_FACTORED}, set_register_rule},
	[DW_CFA_val_offset_sf] = {{OPERAND_ULEB128, OPERAND_SLEB128_FACTORED}, set_register_rule},
	[DW_CFA_restore_extended] = {{OPERAND_ULEB128}, set_register_rule},
	[DW_CFA_undefined] = {{OPERAND_ULEB128}, set_register_rule},
	[DW_CFA_same_value] = {{OPERAND_ULEB128}, set_register_rule},
	[DW_CFA_register] = {{OPERAND_ULEB128, OPERAND_ULEB128}, set_register_rule},
	[DW_CFA_expression] = {{OPERAND_ULEB128, OPERAND_BLOCK}, set_register_rule},
	[DW_CFA_val_expression] = {{OPERAND_ULEB128, OPERAND_BLOCK}, set_register_rule},
	[DW_CFA_remember_state] = {{OPERAND_NONE}, keep_state},
	[DW_CFA_restore_state] = {{OPERAND_NONE}, keep_state},
	[DW_CFA_def_cfa] = {{OPERAND_ULEB128, OPERAND_ULEB128_OFFSET}, define_cfa},
	[DW_CFA_def_cfa_sf] = {{OPERAND_ULEB128, OPERAND_SLEB128_FACTORED}, define_cfa},
	[DW_CFA_def_cfa_register] = {{OPERAND_ULEB128}, define_cfa},
	[DW_CFA_def_cfa_offset] = {{OPERAND_ULEB128_OFFSET}, define_cfa},
	[DW_CFA_def_cfa_offset_sf] = {{OPERAND_SLEB128_FACTORED}, define_cfa},
	[DW_CFA_def_cfa_expression] = {{OPERAND_BLOCK}, define_cfa},
	[DW_CFA_GNU_args_size] = {{OPERAND_ULEB128}, ignore_instruction},
};

/* The form of the instruction starting with `first_byte`; NULL for one the rows cannot follow. */
static const struct instruction_form *form_of(uint8_t first_byte)
{
	static const struct instruction_form advance_loc = {{OPERAND_IN_OPCODE}, move_location};
	static const struct instruction_form offset = {
		{OPERAND_IN_OPCODE, OPERAND_ULEB128_FACTORED}, set_register_rule};
	static const struct instruction_form restore = {{OPERAND_IN_OPCODE}, set_register_rule};

	switch (first_byte & DW_CFA_PRIMARY_MASK) {
	case DW_CFA_advance_loc:
		return &advance_loc;
	case DW_CFA_offset:
		return &offset;
	case DW_CFA_restore:
		return &restore;
	}
	if (first_byte >= sizeof(extended_forms) / sizeof(extended_forms[0]) ||
	    !extended_forms[first_byte].execute)
		return NULL;
	return &extended_forms[first_byte];
}

/* Reads the operands of the instruction starting with `first_byte`; NULL as form_of. */
static const struct instruction_form *read_instruction(const struct run *run,
						       struct byte_reader *reader,
						       uint8_t first_byte,
						       struct instruction *instruction)
{
	const struct instruction_form *form = form_of(first_byte);
	size_t i;

	if (!form)
		return NULL;
	instruction->opcode = first_byte & DW_CFA_PRIMARY_MASK ? first_byte & DW_CFA_PRIMARY_MASK
							       : first_byte;
	for (i = 0; i < OPERANDS_MAX; i++) {
		if (read_operand(run, reader, form->operands[i], first_byte,
				 &instruction->operands[i]))
			return NULL;
	}
	return form;
}

/* Runs instructions until their end or the FDE's; 0, 1 once past the end, or -errno. */
static int execute(struct run *run, struct byte_reader reader)
{
	const struct instruction_form *form;
	struct instruction instruction;
	uint8_t first_byte;
	int err = 0;

	while (!err && byte_reader__left(&reader)) {
		if (byte_reader__u8(&reader, &first_byte))
			return -EINVAL;
		form = read_instruction(run, &reader, first_byte, &instruction);
		if (!form)
			return -EINVAL;
		err = form->execute(run, &instruction);
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
