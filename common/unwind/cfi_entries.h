/*
 * The entries of a call-frame section (.eh_frame or .debug_frame): each FDE
 * with its CIE decoded, its address range resolved to ELF virtual addresses,
 * and its CFA program left for cfi_program.h to run.
 */
#ifndef CFI_ENTRIES_H
#define CFI_ENTRIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unwind/byte_reader.h"

struct cfi_section {
	const unsigned char *data;
	size_t size;
	uint64_t address;	/* sh_addr: pc-relative pointers are relative to it */
	bool is_eh_frame;	/* .eh_frame rules (CIE id 0, relative CIE pointers), else .debug_frame */
	uint8_t address_size;	/* of the ELF class: 8, or 4 */
	uint64_t text_address;	/* bases of DW_EH_PE_textrel and DW_EH_PE_datarel (.got) */
	uint64_t data_address;
};

struct cfi_cie {
	uint64_t code_alignment;
	int64_t data_alignment;
	uint64_t return_address_column;
	uint8_t fde_encoding;	/* DW_EH_PE_* of FDE addresses and DW_CFA_set_loc */
	uint8_t address_size;
	bool has_augmentation_data;	/* 'z': FDEs carry an augmentation length */
	struct byte_reader instructions;	/* the initial instructions */
};

struct cfi_fde {
	const struct cfi_cie *cie;
	uint64_t start;		/* first address covered */
	uint64_t end;		/* past the last; greater than start */
	struct byte_reader instructions;
};

/*
 * How a pointer in the section is stored (the LSB's .eh_frame encodings):
 * the low four bits give its format, the next three what it is relative to,
 * and the high bit makes it the address of the pointer rather than the
 * pointer.
 */
#define DW_EH_PE_FORMAT_MASK 0x0f
#define DW_EH_PE_APPLICATION_MASK 0x70

enum dwarf_pointer_encoding {
	DW_EH_PE_absptr = 0x00,		/* format: the object's address size; application: none */
	DW_EH_PE_uleb128 = 0x01,
	DW_EH_PE_udata2 = 0x02,
	DW_EH_PE_udata4 = 0x03,
	DW_EH_PE_udata8 = 0x04,
	DW_EH_PE_signed = 0x08,		/* set in every signed format */
	DW_EH_PE_sleb128 = 0x09,
	DW_EH_PE_sdata2 = 0x0a,
	DW_EH_PE_sdata4 = 0x0b,
	DW_EH_PE_sdata8 = 0x0c,
	DW_EH_PE_pcrel = 0x10,
	DW_EH_PE_textrel = 0x20,
	DW_EH_PE_datarel = 0x30,
	DW_EH_PE_funcrel = 0x40,
	DW_EH_PE_aligned = 0x50,
	DW_EH_PE_indirect = 0x80,
	DW_EH_PE_omit = 0xff,		/* no pointer at all */
};

/*
 * Reads a pointer of `encoding` at the reader's position, applied (pc-,
 * text- or data-relative) with the section's addresses. An indirect pointer
 * gives the address of the pointer. 0 or -EINVAL.
 */
int cfi_section__read_pointer(const struct cfi_section *section, struct byte_reader *reader,
			      uint8_t encoding, uint64_t *value);

/* Called for each FDE with a non-empty range; a non-zero return stops the walk and is returned. */
typedef int (*cfi_fde_visitor)(void *context, const struct cfi_fde *fde);

/*
 * Walks every entry of the section, in order. An FDE whose CIE or addresses
 * cannot be decoded is counted in *unreadable and skipped; an entry whose
 * length passes the end of the section ends the walk with -EINVAL, since
 * nothing after it can be trusted to start where it seems to.
 */
int cfi_section__for_each_fde(const struct cfi_section *section, cfi_fde_visitor visit,
			      void *context, size_t *unreadable);

#endif
