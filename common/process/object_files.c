#include "process/object_files.h"

#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/errors.h"
#include "base/growable_array.h"
#include "base/key_table.h"

struct object_file {
	char *name;		/* as the maps print it */
	Dwfl *dwfl;		/* this object alone: offline objects of a process would overlap */
	Dwfl_Module *module;	/* NULL when it could not be read */
	char build_id[2 * 64 + 1];	/* "" for none */
	bool dwarf_looked_up;
	Dwarf_Addr dwarf_bias;
	bool has_dwarf;
};

struct object_files {
	struct key_table *names;	/* a host-wide trace meets hundreds of objects */
	struct object_file **objects;	/* by name's number */
	size_t capacity;
	bool verbose;
};

/*
 * libdw's own search for separate debug files: by build ID under
 * /usr/lib/debug/.build-id, then by .gnu_debuglink beside the object, in its
 * .debug folder and under /usr/lib/debug, as gdb and perf look.
 */
static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

struct object_files *object_files__new(bool verbose)
{
	struct object_files *files = calloc(1, sizeof(*files));

	if (!files)
		return NULL;
	files->names = key_table__new();
	if (!files->names) {
		free(files);
		return NULL;
	}
	files->verbose = verbose;
	return files;
}

static void object_file__free(struct object_file *object)
{
	if (!object)
		return;
	if (object->dwfl)
		dwfl_end(object->dwfl);
	free(object->name);
	free(object);
}

void object_files__free(struct object_files *files)
{
	size_t i;

	if (!files)
		return;
	for (i = 0; i < key_table__count(files->names); i++)
		object_file__free(files->objects[i]);
	key_table__free(files->names);
	free(files->objects);
	free(files);
}

static void read_build_id(struct object_file *object)
{
	const unsigned char *bits;
	GElf_Addr vaddr;
	int length = dwfl_module_build_id(object->module, &bits, &vaddr);
	int i;

	for (i = 0; i < length && 2 * (size_t)i + 2 < sizeof(object->build_id); i++)
		snprintf(object->build_id + 2 * i, 3, "%02x", bits[i]);
}

static bool has_section(Elf *elf, GElf_Word type)
{
	Elf_Scn *section = NULL;
	GElf_Shdr header;

	while ((section = elf_nextscn(elf, section))) {
		if (gelf_getshdr(section, &header) && header.sh_type == type)
			return true;
	}
	return false;
}

/* DWARF, from the object or its debug file, looked up once: the costly part. */
static bool load_dwarf(struct object_file *object)
{
	if (!object->dwarf_looked_up && object->module) {
		object->dwarf_looked_up = true;
		object->has_dwarf = dwfl_module_getdwarf(object->module, &object->dwarf_bias);
	}
	return object->has_dwarf;
}

/* -v: "names in OBJ: <where>; lines: <where>", so a user knows what to install. */
static void say_where_names_come_from(struct object_file *object)
{
	const char *debug_file = NULL, *names, *found_by;
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(object->module, &bias);
	bool own_symtab = elf && has_section(elf, SHT_SYMTAB);

	load_dwarf(object);
	dwfl_module_getsymtab(object->module);
	dwfl_module_info(object->module, NULL, NULL, NULL, NULL, NULL, NULL, &debug_file);
	found_by = debug_file && strstr(debug_file, "/.build-id/") ? "build ID" : ".gnu_debuglink";
	if (own_symtab)
		names = "its own .symtab";
	else if (debug_file)
		names = "its debug file";
	else
		names = "its exported symbols only: other functions show as object+offset";
	fprintf(stderr, "%s: names in %s: %s%s%s%s%s; lines: %s\n", program_name, object->name,
		names, debug_file ? " " : "", debug_file ?: "", debug_file ? ", found by " : "",
		debug_file ? found_by : "",
		object->has_dwarf ? (debug_file ? "its debug file's DWARF" : "its own DWARF")
				  : "none (no DWARF)");
}

static struct object_file *open_object(const char *name, const char *path, bool verbose)
{
	struct object_file *object = calloc(1, sizeof(*object));

	if (!object)
		return NULL;
	object->name = strdup(name);
	object->dwfl = dwfl_begin(&offline_callbacks);
	if (!object->name || !object->dwfl) {
		object_file__free(object);
		return NULL;
	}
	object->module = dwfl_report_offline(object->dwfl, name, path, -1);
	dwfl_report_end(object->dwfl, NULL, NULL);
	if (object->module) {
		read_build_id(object);
		if (verbose)
			say_where_names_come_from(object);
	}
	return object;
}

struct object_file *object_files__get(struct object_files *files, const char *name,
				      const char *path)
{
	struct object_file *object;
	int added;
	long number;

	/* Room first, so that a name numbered always has its place. */
	if (!files || growable_array__reserve(&files->objects, &files->capacity,
					      key_table__count(files->names),
					      sizeof(*files->objects)))
		return NULL;
	number = key_table__number(files->names, name, strlen(name), &added);
	if (number < 0)
		return NULL;
	if (added)
		files->objects[number] = open_object(name, path, files->verbose);
	object = files->objects[number];
	return object && object->module ? object : NULL;
}

const char *object_file__build_id(const struct object_file *object)
{
	return object && object->build_id[0] ? object->build_id : NULL;
}

/* The address libdw knows the code at `file_offset` by: its load segment's. */
static bool module_address(struct object_file *object, uint64_t file_offset, Dwarf_Addr *address)
{
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(object->module, &bias);
	GElf_Phdr header;
	size_t count, i;

	if (!elf || elf_getphdrnum(elf, &count))
		return false;
	for (i = 0; i < count; i++) {
		if (!gelf_getphdr(elf, i, &header) || header.p_type != PT_LOAD)
			continue;
		if (file_offset >= header.p_offset &&
		    file_offset < header.p_offset + header.p_filesz) {
			*address = file_offset - header.p_offset + header.p_vaddr + bias;
			return true;
		}
	}
	return false;
}

const char *object_file__function(struct object_file *object, uint64_t file_offset)
{
	Dwarf_Addr address;
	GElf_Off offset;
	GElf_Sym symbol;
	const char *name;

	if (!object || !module_address(object, file_offset, &address))
		return NULL;
	name = dwfl_module_addrinfo(object->module, address, &offset, &symbol, NULL, NULL, NULL);
	/* libdw falls back to the nearest symbol below: a static function stripped away is not it. */
	if (!name || offset >= symbol.st_size ||
	    (GELF_ST_TYPE(symbol.st_info) != STT_FUNC && GELF_ST_TYPE(symbol.st_info) != STT_GNU_IFUNC))
		return NULL;
	return name;
}

/* Where the inlined call `scope` is made: a file of its unit's table, and a line. */
static void call_site(Dwarf_Die *scope, Dwarf_Die *unit, struct source_frame *frame)
{
	Dwarf_Attribute attribute;
	Dwarf_Word file_index, line;
	Dwarf_Files *files;
	size_t file_count;

	frame->file = NULL;
	frame->line = 0;
	if (dwarf_formudata(dwarf_attr(scope, DW_AT_call_file, &attribute), &file_index) ||
	    dwarf_formudata(dwarf_attr(scope, DW_AT_call_line, &attribute), &line) ||
	    dwarf_getsrcfiles(unit, &files, &file_count) || file_index >= file_count)
		return;
	frame->file = dwarf_filesrc(files, file_index, NULL, NULL);
	frame->line = line;
}

size_t object_file__source_frames(struct object_file *object, uint64_t file_offset,
				  struct source_frame *frames, size_t max)
{
	Dwarf_Addr address, unit_bias;
	Dwarf_Die *unit, *scopes = NULL;
	Dwfl_Line *line;
	size_t count = 0;
	int scope_count, i, line_number = 0;

	if (!object || !max || !load_dwarf(object) ||
	    !module_address(object, file_offset, &address))
		return 0;
	line = dwfl_module_getsrc(object->module, address);
	frames[0] = (struct source_frame){
		.file = line ? dwfl_lineinfo(line, NULL, &line_number, NULL, NULL, NULL) : NULL,
	};
	frames[0].line = frames[0].file ? (unsigned int)line_number : 0;
	count = 1;
	unit = dwfl_module_addrdie(object->module, address, &unit_bias);
	scope_count = unit ? dwarf_getscopes(unit, address - unit_bias, &scopes) : 0;
	/* Innermost first: each inlined call names the frame and places the next one out. */
	for (i = 0; i < scope_count && count < max; i++) {
		if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine)
			continue;
		frames[count - 1].function = dwarf_diename(&scopes[i]);
		call_site(&scopes[i], unit, &frames[count]);
		frames[count].function = NULL;
		count++;
	}
	free(scopes);
	/* Cut short: the last frame kept stands for the outermost function, named by its symbol. */
	frames[count - 1].function = NULL;
	return frames[0].file || count > 1 ? count : 0;
}
