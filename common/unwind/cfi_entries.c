#include "unwind/cfi_entries.h"

#include <errno.h>
#include <string.h>

/*
 * Real CIEs are a few dozen bytes. Every FDE decodes its CIE afresh, so this
 * bound is what keeps a hostile section of FDEs sharing one huge CIE linear
 * in its size.
 */
#define CIE_MAX_BYTES 512

/* An initial length field of this value announces 64-bit DWARF (DWARF 5, 7.4). */
#define DWARF64_LENGTH_ESCAPE 0xffffffffu
/* And those from this one up to the escape are reserved. */
#define DWARF_LENGTH_RESERVED 0xfffffff0u
/* The id field of a CIE in .debug_frame (in .eh_frame it is 0). */
#define DW_CIE_ID_32 0xffffffffu
#define DW_CIE_ID_64 (~(uint64_t)0)

/* The size of a pointer stored in `format`; 0 for a LEB128 or unknown format. */
static unsigned format_size(const struct cfi_section *section, uint8_t format)
{
	switch (format) {
	case DW_EH_PE_absptr:
		return section->address_size;
	case DW_EH_PE_udata2:
	case DW_EH_PE_sdata2:
		return 2;
	case DW_EH_PE_udata4:
	case DW_EH_PE_sdata4:
		return 4;
	case DW_EH_PE_udata8:
	case DW_EH_PE_sdata8:
		return 8;
	default:
		return 0;
	}
}

/* The value a pointer stores in `format`, the signed formats sign-extended. */
static int read_stored_value(const struct cfi_section *section, struct byte_reader *reader,
			     uint8_t format, uint64_t *value)
{
	unsigned size = format_size(section, format);
	int64_t signed_value;
	int err;

	if (format == DW_EH_PE_uleb128)
		return byte_reader__uleb128(reader, value);
	if (format == DW_EH_PE_sleb128) {
		err = byte_reader__sleb128(reader, &signed_value);
		if (!err)
			*value = (uint64_t)signed_value;
		return err;
	}
	if (!size)
		return -EINVAL;
	err = byte_reader__unsigned(reader, size, value);
	if (!err && (format & DW_EH_PE_signed) && size < 8 && (*value >> (8 * size - 1)))
		*value |= ~(uint64_t)0 << (8 * size);
	return err;
}

int cfi_section__read_pointer(const struct cfi_section *section, struct byte_reader *reader,
			      uint8_t encoding, uint64_t *value)
{
	uint64_t field_address = section->address + reader->position;
	uint64_t raw;
	int err;

	err = read_stored_value(section, reader, encoding & DW_EH_PE_FORMAT_MASK, &raw);
	if (err)
		return err;
	switch (encoding & DW_EH_PE_APPLICATION_MASK) {
	case DW_EH_PE_absptr:	/* the value as stored */
		break;
	case DW_EH_PE_pcrel:
		raw += field_address;
		break;
	case DW_EH_PE_textrel:
		raw += section->text_address;
		break;
	case DW_EH_PE_datarel:
		raw += section->data_address;
		break;
	default:	/* funcrel and aligned mean nothing for an FDE's range */
		return -EINVAL;
	}
	/* Wider than the object's addresses: sign-extended or wrapped garbage. */
	if (section->address_size == 4)
		raw &= 0xffffffffu;
	*value = raw;
	return 0;
}

/* A pointer's size alone, as an FDE's range is stored: no application. */
static int read_range(const struct cfi_section *section, struct byte_reader *reader,
		      uint8_t encoding, uint64_t *value)
{
	struct cfi_section plain = *section;

	plain.address = plain.text_address = plain.data_address = 0;
	return cfi_section__read_pointer(&plain, reader, encoding & DW_EH_PE_FORMAT_MASK, value);
}

/* Reads the 'z' augmentation data the CIE's string announces. */
static int read_augmentation_data(const struct cfi_section *section, const char *augmentation,
				  struct byte_reader *data, struct cfi_cie *cie)
{
	uint8_t encoding;
	uint64_t ignored;
	const char *letter;

	for (letter = augmentation + 1; *letter; letter++) {
		switch (*letter) {
		case 'R':
			if (byte_reader__u8(data, &cie->fde_encoding))
				return -EINVAL;
			break;
		case 'L':
			if (byte_reader__u8(data, &encoding))
				return -EINVAL;
			break;
		case 'P':
			/* The personality routine: its size is all that matters here. */
			if (byte_reader__u8(data, &encoding) ||
			    cfi_section__read_pointer(section, data, encoding, &ignored))
				return -EINVAL;
			break;
		case 'S':	/* a signal frame: the walk reads the row like any other */
		case 'B':
		case 'G':
			break;
		default:
			/* Unknown, but 'z' gave the data's length: the FDEs stay readable. */
			return 0;
		}
	}
	return 0;
}

/* Decodes the CIE whose entry (past its length and id) `reader` spans. */
static int read_cie(const struct cfi_section *section, struct byte_reader *reader,
		    struct cfi_cie *cie)
{
	struct byte_reader data;
	const char *augmentation;
	uint64_t length;
	uint8_t version, byte, segment_size;

	memset(cie, 0, sizeof(*cie));
	cie->address_size = section->address_size;
	cie->fde_encoding = DW_EH_PE_absptr;
	if (byte_reader__left(reader) > CIE_MAX_BYTES || byte_reader__u8(reader, &version) ||
	    byte_reader__string(reader, &augmentation))
		return -EINVAL;
	if (version != 1 && version != 3 && (section->is_eh_frame || version != 4))
		return -EINVAL;
	/* GCC 2's "eh": a pointer to exception tables, before the alignments. */
	if (!strncmp(augmentation, "eh", 2) &&
	    byte_reader__skip(reader, section->address_size))
		return -EINVAL;
	if (version == 4) {
		if (byte_reader__u8(reader, &cie->address_size) ||
		    byte_reader__u8(reader, &segment_size) || segment_size ||
		    (cie->address_size != 4 && cie->address_size != 8))
			return -EINVAL;
	}
	if (byte_reader__uleb128(reader, &cie->code_alignment) ||
	    byte_reader__sleb128(reader, &cie->data_alignment))
		return -EINVAL;
	if (version == 1) {
		if (byte_reader__u8(reader, &byte))
			return -EINVAL;
		cie->return_address_column = byte;
	} else if (byte_reader__uleb128(reader, &cie->return_address_column)) {
		return -EINVAL;
	}
	if (augmentation[0] == 'z') {
		cie->has_augmentation_data = true;
		if (byte_reader__uleb128(reader, &length) ||
		    byte_reader__sub(reader, length, &data) ||
		    read_augmentation_data(section, augmentation, &data, cie))
			return -EINVAL;
	} else if (augmentation[0] && strcmp(augmentation, "eh")) {
		/* Without 'z' an unknown augmentation hides where the instructions start. */
		return -EINVAL;
	}
	cie->instructions = *reader;
	return 0;
}

/*
 * The bounds of the entry at `offset`: its id field starts `body`, it ends
 * at `end`; `offset_size` is 8 for 64-bit DWARF. Returns 1 for a zero
 * terminator, 0, or -EINVAL.
 */
static int read_entry_length(const struct cfi_section *section, size_t offset, size_t *body,
			     size_t *end, unsigned *offset_size)
{
	struct byte_reader reader = byte_reader__make(section->data, offset, section->size);
	uint64_t length;
	uint32_t short_length;

	if (byte_reader__u32(&reader, &short_length))
		return -EINVAL;
	*offset_size = 4;
	length = short_length;
	if (short_length == DWARF64_LENGTH_ESCAPE) {
		*offset_size = 8;
		if (byte_reader__u64(&reader, &length))
			return -EINVAL;
	} else if (short_length >= DWARF_LENGTH_RESERVED) {
		return -EINVAL;	/* reserved by DWARF */
	}
	*body = reader.position;
	if (length > byte_reader__left(&reader))
		return -EINVAL;
	*end = reader.position + length;
	return length ? 0 : 1;
}

/* Whether an entry whose id field holds `id` is a CIE, rather than an FDE pointing at one. */
static bool is_cie_id(const struct cfi_section *section, uint64_t id, unsigned offset_size)
{
	if (section->is_eh_frame)
		return id == 0;
	return id == (offset_size == 4 ? DW_CIE_ID_32 : DW_CIE_ID_64);
}

/*
 * Finds and decodes the CIE an FDE names. In .eh_frame the pointer counts
 * back from its own field; in .debug_frame it is an offset in the section.
 */
static int find_cie(const struct cfi_section *section, uint64_t pointer, size_t pointer_at,
		    struct cfi_cie *cie)
{
	size_t offset, body, end;
	struct byte_reader reader;
	unsigned offset_size;
	uint64_t id;

	if (section->is_eh_frame) {
		if (pointer > pointer_at)
			return -EINVAL;
		offset = pointer_at - pointer;
	} else {
		if (pointer >= section->size)
			return -EINVAL;
		offset = pointer;
	}
	if (read_entry_length(section, offset, &body, &end, &offset_size))
		return -EINVAL;
	reader = byte_reader__make(section->data, body, end);
	if (section->is_eh_frame)
		offset_size = 4;
	if (byte_reader__unsigned(&reader, offset_size, &id))
		return -EINVAL;
	if (!is_cie_id(section, id, offset_size))
		return -EINVAL;
	return read_cie(section, &reader, cie);
}

/* Decodes the FDE's CIE and range; 1 when its range is empty. */
static int read_fde(const struct cfi_section *section, struct byte_reader *reader,
		    uint64_t cie_pointer, size_t pointer_at, struct cfi_cie *cie,
		    struct cfi_fde *fde)
{
	struct cfi_section own = *section;
	uint64_t range, augmentation_length;

	if (find_cie(section, cie_pointer, pointer_at, cie))
		return -EINVAL;
	own.address_size = cie->address_size;
	if ((cie->fde_encoding & DW_EH_PE_indirect) || cie->fde_encoding == DW_EH_PE_omit ||
	    cfi_section__read_pointer(&own, reader, cie->fde_encoding, &fde->start) ||
	    read_range(&own, reader, cie->fde_encoding, &range))
		return -EINVAL;
	if (cie->has_augmentation_data &&
	    (byte_reader__uleb128(reader, &augmentation_length) ||
	     byte_reader__skip(reader, augmentation_length)))
		return -EINVAL;
	if (!range)
		return 1;
	if (fde->start + range < fde->start)
		return -EINVAL;
	fde->cie = cie;
	fde->end = fde->start + range;
	fde->instructions = *reader;
	return 0;
}

int cfi_section__for_each_fde(const struct cfi_section *section, cfi_fde_visitor visit,
			      void *context, size_t *unreadable)
{
	size_t offset = 0, body, end;
	struct byte_reader reader;
	unsigned offset_size;
	struct cfi_cie cie;
	struct cfi_fde fde;
	uint64_t id;
	int err;

	while (offset < section->size) {
		err = read_entry_length(section, offset, &body, &end, &offset_size);
		if (err < 0)
			return err;
		if (err == 1) {
			/* A terminator: what the linker left of an empty input; go on. */
			offset = body;
			continue;
		}
		reader = byte_reader__make(section->data, body, end);
		if (section->is_eh_frame)
			offset_size = 4;
		if (byte_reader__unsigned(&reader, offset_size, &id))
			return -EINVAL;
		offset = end;
		if (is_cie_id(section, id, offset_size))
			continue;	/* a CIE: read when an FDE names it */
		err = read_fde(section, &reader, id, body, &cie, &fde);
		if (err == 1)
			continue;
		if (err) {
			(*unreadable)++;
			continue;
		}
		err = visit(context, &fde);
		if (err)
			return err;
	}
	return 0;
}
