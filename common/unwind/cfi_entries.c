#include "unwind/cfi_entries.h"

#include <errno.h>
#include <string.h>

/*
 * Real CIEs are a few dozen bytes. Every FDE decodes its CIE afresh, so this
 * bound is what keeps a hostile section of FDEs sharing one huge CIE linear
 * in its size.
 */
#define CIE_MAX_BYTES 512

int cfi_section__read_pointer(const struct cfi_section *section, struct byte_reader *reader,
			      uint8_t encoding, uint64_t *value)
{
	uint64_t field_address = section->address + reader->position;
	uint64_t raw;
	int64_t signed_raw;
	int err;

	switch (encoding & 0x0f) {
	case 0x00:	/* absptr */
		err = byte_reader__unsigned(reader, section->address_size, &raw);
		break;
	case 0x01:	/* uleb128 */
		err = byte_reader__uleb128(reader, &raw);
		break;
	case 0x02:	/* udata2 */
	case 0x03:	/* udata4 */
	case 0x04:	/* udata8 */
		err = byte_reader__unsigned(reader, 1u << ((encoding & 0x0f) - 1), &raw);
		break;
	case 0x09:	/* sleb128 */
		err = byte_reader__sleb128(reader, &signed_raw);
		raw = (uint64_t)signed_raw;
		break;
	case 0x0a:	/* sdata2 */
	case 0x0b:	/* sdata4 */
	case 0x0c: {	/* sdata8 */
		unsigned size = 1u << ((encoding & 0x0f) - 9);

		err = byte_reader__unsigned(reader, size, &raw);
		if (!err && size < 8 && (raw >> (8 * size - 1)))
			raw |= ~(uint64_t)0 << (8 * size);
		break;
	}
	default:
		return -EINVAL;
	}
	if (err)
		return err;
	switch (encoding & 0x70) {
	case 0x00:
		break;
	case 0x10:	/* pcrel */
		raw += field_address;
		break;
	case 0x20:	/* textrel */
		raw += section->text_address;
		break;
	case 0x30:	/* datarel */
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
	return cfi_section__read_pointer(&plain, reader, encoding & 0x0f, value);
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
	if (short_length == 0xffffffffu) {
		*offset_size = 8;
		if (byte_reader__u64(&reader, &length))
			return -EINVAL;
	} else if (short_length >= 0xfffffff0u) {
		return -EINVAL;	/* reserved by DWARF */
	}
	*body = reader.position;
	if (length > byte_reader__left(&reader))
		return -EINVAL;
	*end = reader.position + length;
	return length ? 0 : 1;
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
	if (section->is_eh_frame ? id != 0 : id != (offset_size == 4 ? 0xffffffffu : ~(uint64_t)0))
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
		if (section->is_eh_frame ? id == 0
					 : id == (offset_size == 4 ? 0xffffffffu : ~(uint64_t)0))
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
