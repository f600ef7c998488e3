/*
 * The numbers of DWARF's call-frame instructions (DWARF 5, 6.4.2 and table
 * 7.29) and of the expression operators the lazy PLT's CFA rule is written
 * with (2.5.1), plus the GNU extensions GCC and binutils emit. Named here,
 * not taken from elfutils' dwarf.h, so that the unwinder needs no DWARF
 * library to build.
 */
#ifndef DWARF_CFA_H
#define DWARF_CFA_H

/*
 * The three primary opcodes are the high two bits of their byte, with their
 * first operand (a delta or a register) in the low six.
 */
#define DW_CFA_PRIMARY_MASK 0xc0
#define DW_CFA_OPERAND_MASK 0x3f

enum dwarf_cfa_opcode {
	DW_CFA_advance_loc = 0x40,	/* primary */
	DW_CFA_offset = 0x80,		/* primary */
	DW_CFA_restore = 0xc0,		/* primary */
	DW_CFA_nop = 0x00,
	DW_CFA_set_loc = 0x01,
	DW_CFA_advance_loc1 = 0x02,
	DW_CFA_advance_loc2 = 0x03,
	DW_CFA_advance_loc4 = 0x04,
	DW_CFA_offset_extended = 0x05,
	DW_CFA_restore_extended = 0x06,
	DW_CFA_undefined = 0x07,
	DW_CFA_same_value = 0x08,
	DW_CFA_register = 0x09,
	DW_CFA_remember_state = 0x0a,
	DW_CFA_restore_state = 0x0b,
	DW_CFA_def_cfa = 0x0c,
	DW_CFA_def_cfa_register = 0x0d,
	DW_CFA_def_cfa_offset = 0x0e,
	DW_CFA_def_cfa_expression = 0x0f,
	DW_CFA_expression = 0x10,
	DW_CFA_offset_extended_sf = 0x11,
	DW_CFA_def_cfa_sf = 0x12,
	DW_CFA_def_cfa_offset_sf = 0x13,
	DW_CFA_val_offset = 0x14,
	DW_CFA_val_offset_sf = 0x15,
	DW_CFA_val_expression = 0x16,
	/* Vendor extensions (DWARF leaves 0x1c to 0x3f to vendors) that readelf decodes too. */
	DW_CFA_MIPS_advance_loc8 = 0x1d,
	DW_CFA_GNU_args_size = 0x2e,
	DW_CFA_GNU_negative_offset_extended = 0x2f,
};

/* The expression operators is_plt_expression matches; lit and breg add their number. */
enum dwarf_op {
	DW_OP_and = 0x1a,
	DW_OP_plus = 0x22,
	DW_OP_shl = 0x24,
	DW_OP_ge = 0x2a,
	DW_OP_lit0 = 0x30,	/* DW_OP_litN pushes N, for N up to 31 */
	DW_OP_breg0 = 0x70,	/* DW_OP_bregN pushes register N plus an SLEB128 offset */
};

#endif
