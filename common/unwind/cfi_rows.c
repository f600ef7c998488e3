#include "unwind/cfi_rows.h"

#include <errno.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unwind/cfi_entries.h"
#include "unwind/cfi_program.h"
#include "process/elf_functions.h"
#include "base/growable_array.h"

/* One FDE's rows, as a slice of the rows of all. */
struct fde_span {
	uint64_t start;
	uint64_t end;
	size_t first_row;
	size_t row_count;
	size_t order;		/* in the file: .eh_frame's first, then .debug_frame's */
	bool from_debug_frame;
	bool shadowed;		/* a .debug_frame FDE over addresses .eh_frame covers */
};

struct collection {
	struct cfi_row_array rows;
	struct fde_span *spans;
	size_t span_count;
	size_t span_capacity;
	const struct cfi_section *section;
	size_t unreadable;
};

static int span_compare(const void *left, const void *right)
{
	const struct fde_span *a = left, *b = right;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static bool same_rules(const struct unwind_row *a, const struct unwind_row *b)
{
	return a->cfa_rule == b->cfa_rule && a->cfa_offset == b->cfa_offset &&
	       a->rbp_rule == b->rbp_rule && a->rbp_offset == b->rbp_offset;
}

/* Appends the FDE's rows, or a single UNWIND_CFA_NONE row where they cannot be built. */
static int collect_fde(void *context, const struct cfi_fde *fde)
{
	static const struct cfi_state unknown;
	struct collection *collection = context;
	struct cfi_row_array *rows = &collection->rows;
	struct fde_span span = {.start = fde->start, .end = fde->end, .first_row = rows->count,
				.order = collection->span_count,
				.from_debug_frame = !collection->section->is_eh_frame};
	struct cfi_state initial;
	int err;

	/* Its end gets a row too: it must fit as well as its start. */
	if (fde->end > UINT32_MAX)
		return -EFBIG;
	err = cfi_program__initial_state(fde->cie, &initial);
	if (!err)
		err = cfi_program__run(collection->section, fde, &initial, rows);
	if (err == -EINVAL) {
		collection->unreadable++;
		if (growable_array__reserve(&rows->rows, &rows->capacity, rows->count,
					    sizeof(*rows->rows)))
			return -ENOMEM;
		/* A state whose CFA is undefined: the row says UNWIND_CFA_NONE. */
		rows->rows[rows->count++] = cfi_state__row(&unknown, (uint32_t)fde->start);
	} else if (err) {
		return err;
	}
	span.row_count = rows->count - span.first_row;
	if (growable_array__reserve(&collection->spans, &collection->span_capacity,
				    collection->span_count, sizeof(span)))
		return -ENOMEM;
	collection->spans[collection->span_count++] = span;
	return 0;
}

/* The address of the first section named `name`, or 0. */
static uint64_t section_address(Elf *elf, size_t names, const char *name)
{
	Elf_Scn *section = NULL;
	const char *found;
	GElf_Shdr header;

	while ((section = elf_nextscn(elf, section))) {
		if (!gelf_getshdr(section, &header))
			continue;
		found = elf_strptr(elf, names, header.sh_name);
		if (found && !strcmp(found, name))
			return header.sh_addr;
	}
	return 0;
}

/* Collects the FDEs of every section named `name` (a relocatable object may have several). */
static int collect_sections(Elf *elf, size_t names, const char *name, struct cfi_section *cfi,
			    struct collection *collection)
{
	Elf_Scn *section = NULL;
	const char *found;
	GElf_Shdr header;
	Elf_Data *data;
	int err;

	while ((section = elf_nextscn(elf, section))) {
		if (!gelf_getshdr(section, &header) || header.sh_type == SHT_NOBITS)
			continue;
		found = elf_strptr(elf, names, header.sh_name);
		if (!found || strcmp(found, name))
			continue;
		/* A separate debug file's .debug_frame is often compressed. */
		if ((header.sh_flags & SHF_COMPRESSED) && elf_compress(section, 0, 0) < 0)
			return -EINVAL;
		data = elf_getdata(section, NULL);
		if (!data || !data->d_buf)
			continue;
		cfi->data = data->d_buf;
		cfi->size = data->d_size;
		cfi->address = header.sh_addr;
		collection->section = cfi;
		err = cfi_section__for_each_fde(cfi, collect_fde, collection,
						&collection->unreadable);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Marks the .debug_frame FDEs that overlap an .eh_frame FDE: .eh_frame is
 * what the program's own unwinder reads, so it wins. `spans` are sorted.
 */
static void shadow_debug_frame(struct fde_span *spans, size_t count)
{
	uint64_t eh_end = 0, next_eh_start = UINT64_MAX;
	size_t i;

	for (i = 0; i < count; i++) {
		if (!spans[i].from_debug_frame)
			eh_end = spans[i].end > eh_end ? spans[i].end : eh_end;
		else if (eh_end > spans[i].start)
			spans[i].shadowed = true;
	}
	for (i = count; i-- > 0;) {
		if (!spans[i].from_debug_frame)
			next_eh_start = spans[i].start;
		else if (next_eh_start < spans[i].end)
			spans[i].shadowed = true;
	}
}

static int append_row(struct cfi_rows *out, size_t *capacity, const struct unwind_row *row)
{
	if (out->count && same_rules(&out->rows[out->count - 1], row))
		return 0;
	if (growable_array__reserve(&out->rows, capacity, out->count, sizeof(*row)))
		return -ENOMEM;
	out->rows[out->count++] = *row;
	return 0;
}

/*
 * Merges the FDEs' rows, sorted by start, into `out`: an UNWIND_CFA_NONE row
 * where a range ends and no other starts; where ranges overlap (a broken
 * file), the later-starting FDE wins from its start on; a row with the rules
 * of its predecessor is dropped.
 */
static int merge_spans(const struct collection *collection, struct cfi_rows *out)
{
	const struct unwind_row *rows = collection->rows.rows;
	struct unwind_row end_row = {.cfa_rule = UNWIND_CFA_NONE};
	bool open = false;
	uint64_t open_end = 0;
	size_t capacity = 0, i, r;
	int err;

	for (i = 0; i < collection->span_count; i++) {
		const struct fde_span *span = &collection->spans[i];

		if (span->shadowed)
			continue;
		if (open && span->start > open_end) {
			end_row.address = (__u32)open_end;
			err = append_row(out, &capacity, &end_row);
			if (err)
				return err;
		}
		while (open && out->count && out->rows[out->count - 1].address >= span->start)
			out->count--;
		for (r = 0; r < span->row_count; r++) {
			err = append_row(out, &capacity, &rows[span->first_row + r]);
			if (err)
				return err;
		}
		open = true;
		open_end = span->end;
	}
	if (open) {
		end_row.address = (__u32)open_end;
		return append_row(out, &capacity, &end_row);
	}
	return 0;
}

static void count_functions(const struct collection *collection, struct cfi_rows *out)
{
	const struct unwind_row *rows = collection->rows.rows;
	size_t i, r;

	for (i = 0; i < collection->span_count; i++) {
		const struct fde_span *span = &collection->spans[i];

		if (span->shadowed)
			continue;
		out->functions++;
		for (r = 0; r < span->row_count; r++) {
			if (rows[span->first_row + r].cfa_rule == UNWIND_CFA_RBP) {
				out->functions_with_frame_pointer++;
				break;
			}
		}
	}
}

/* Reads .eh_frame, then .debug_frame, into `collection`. */
static int collect_object(Elf *elf, struct collection *collection)
{
	struct cfi_section cfi = {0};
	GElf_Ehdr header;
	size_t names;
	int err;

	if (!gelf_getehdr(elf, &header) || header.e_machine != EM_X86_64 ||
	    elf_getshdrstrndx(elf, &names))
		return -ENOEXEC;
	cfi.address_size = gelf_getclass(elf) == ELFCLASS32 ? 4 : 8;
	cfi.text_address = section_address(elf, names, ".text");
	/* DW_EH_PE_datarel is GOT-relative, as in the i386 psABI. */
	cfi.data_address = section_address(elf, names, ".got");
	cfi.is_eh_frame = true;
	err = collect_sections(elf, names, ".eh_frame", &cfi, collection);
	if (err)
		return err;
	cfi.is_eh_frame = false;
	return collect_sections(elf, names, ".debug_frame", &cfi, collection);
}

int cfi_rows__read(const char *path, struct cfi_rows *rows)
{
	struct collection collection = {0};
	Elf *elf;
	int err, fd;

	memset(rows, 0, sizeof(*rows));
	elf = elf_open(path, &fd);
	if (!elf)
		return errno ? -errno : -ENOEXEC;
	err = collect_object(elf, &collection);
	elf_end(elf);
	close(fd);
	/* qsort must not see the NULL array of an object without FDEs. */
	if (!err && collection.span_count) {
		qsort(collection.spans, collection.span_count, sizeof(*collection.spans),
		      span_compare);
		shadow_debug_frame(collection.spans, collection.span_count);
		err = merge_spans(&collection, rows);
	}
	if (!err) {
		count_functions(&collection, rows);
		rows->functions_unreadable = collection.unreadable;
	} else {
		cfi_rows__free(rows);
	}
	free(collection.rows.rows);
	free(collection.spans);
	return err;
}

void cfi_rows__free(struct cfi_rows *rows)
{
	free(rows->rows);
	memset(rows, 0, sizeof(*rows));
}
