#include "unwind/unwind_tables.h"

#include <bcc/libbpf.h>
#include <errno.h>
#include <linux/types.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bpf/possible_cpus.h"
#include "unwind/cfi_rows.h"
#include "process/elf_functions.h"
#include "base/errors.h"
#include "base/growable_array.h"
#include "process/proc_maps.h"
#include "base/clock.h"
#include "report/untrusted_text.h"
#include "unwind_rows.h"

/*
 * Room in the maps beyond twice what is read at start. Processes already
 * running map little more later (dlopen): 2^17 rows take 2 MB, 2^16 page
 * index entries 256 kB (they index 256 MB of code). A -c command maps its
 * libraries after the start, and a set that grows maps what its new members
 * run: 2^20 rows, 16 MB, and 2^18 entries, 1 MB, for 1 GB of code.
 */
#define ROOM_FOR_DLOPEN_ROWS (1U << 17)
#define ROOM_FOR_DLOPEN_PAGES (1U << 16)
#define ROOM_FOR_NEW_IMAGES_ROWS (1U << 20)
#define ROOM_FOR_NEW_IMAGES_PAGES (1U << 18)
#define MAXIMUM_ROWS (1U << 26)

/*
 * Mapping sets, one a traced process: 16 kB of kernel memory each
 * (unwind_rows.h), taken as processes are traced, so at most 16 MB, beside
 * the 13 MB of the row map and page index at their minimum. A whole host
 * rarely runs more processes than this; those past it are walked by frame
 * pointers, and counted.
 */
#define MAXIMUM_PROCESSES 1024

/*
 * An object whose functions nearly all define their frame from rbp was built
 * with frame pointers: auto mode walks it by them, which costs no lookup.
 */
#define FRAME_POINTER_SHARE 0.8

/* Why an object has no rows in the map. */
enum object_walk {
	WALK_BY_ROWS,
	WALK_BUILT_WITH_FRAME_POINTERS,	/* auto mode */
	WALK_NO_CFI,
	WALK_UNREADABLE,
	WALK_TABLE_FULL,
};

static const char *const walk_names[] = {
	[WALK_BY_ROWS] = "unwind tables",
	[WALK_BUILT_WITH_FRAME_POINTERS] = "frame pointers (built with them)",
	[WALK_NO_CFI] = "frame pointers (no CFI)",
	[WALK_UNREADABLE] = "frame pointers (CFI unreadable)",
	[WALK_TABLE_FULL] = "frame pointers (row map full)",
};

/* One mapped file: its rows are read once, whatever maps it. */
struct unwind_object {
	char *name;		/* as /proc/PID/maps of the first process mapping it names it */
	/* Paths and inode numbers repeat across mount namespaces and file systems: not both. */
	dev_t device;
	ino_t inode;
	struct cfi_rows cfi;	/* freed once loaded */
	uint32_t rows;		/* in the row map; 0: walked by frame pointers */
	uint32_t first_page;	/* its page index in unwind_pages (unwind_rows.h) */
	uint32_t pages;
	uint32_t page_base;
	enum object_walk walk;
	bool loaded;
};

/* A traced process, and what became of its mapping set. */
struct unwind_process {
	pid_t pid;
	bool mapped;		/* it runs its own program: its maps are worth reading */
	bool has_set;		/* in unwind_mapping_sets */
	bool without_room;	/* refused a set once, MAXIMUM_PROCESSES having theirs */
	bool mappings_cut;	/* mapped more than UNWIND_MAX_MAPPINGS, at its last scan */
};

struct unwind_tables {
	enum unwind_mode mode;
	bool verbose;
	struct unwind_object *objects;
	size_t object_count, object_capacity;
	struct unwind_process *processes;
	size_t process_count, process_capacity;
	struct unwind_mapping_set mappings;	/* one process's, as its scan builds it */
	uint32_t row_capacity, used_rows;
	uint32_t page_capacity, used_pages;
	uint32_t sets, sets_peak;	/* in unwind_mapping_sets now, and at most */
	uint32_t processes_with_sets, processes_without_room, processes_with_mappings_cut;
	int rows_fd, pages_fd, sets_fd, stale_fd, counts_fd;
	uint32_t generation;	/* of the set written last */
	uint64_t last_refresh_ns;
};

static const char *const mode_names[] = {
	[UNWIND_AUTO] = "auto",
	[UNWIND_FRAME_POINTERS] = "fp",
	[UNWIND_CFI] = "cfi",
};

const char *unwind_mode__name(enum unwind_mode mode)
{
	return mode_names[mode];
}

bool unwind_mode__parse(const char *text, enum unwind_mode *mode)
{
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (!strcmp(text, mode_names[i])) {
			*mode = i;
			return true;
		}
	}
	return false;
}

static struct unwind_object *find_object(struct unwind_tables *tables, const struct stat *file)
{
	for (size_t i = 0; i < tables->object_count; i++) {
		struct unwind_object *object = &tables->objects[i];

		if (object->device == file->st_dev && object->inode == file->st_ino)
			return object;
	}
	return NULL;
}

/* Reads the CFI of the file `entry` maps and decides how its frames are walked. */
static void read_object(struct unwind_tables *tables, struct unwind_object *object, const char *file)
{
	int err = cfi_rows__read(file, &object->cfi);

	if (err) {
		object->walk = WALK_UNREADABLE;
		if (tables->verbose)
			print_warning("cannot read the CFI of %s: %s; its frames are walked by frame pointers",
				      object->name, strerror(-err));
	} else if (!object->cfi.count) {
		object->walk = WALK_NO_CFI;
	} else if (tables->mode == UNWIND_AUTO &&
		   object->cfi.functions_with_frame_pointer >=
			   FRAME_POINTER_SHARE * object->cfi.functions) {
		object->walk = WALK_BUILT_WITH_FRAME_POINTERS;
	} else {
		object->walk = WALK_BY_ROWS;
	}
	if (object->walk != WALK_BY_ROWS)
		cfi_rows__free(&object->cfi);
}

/* Reads the object `entry` maps from `file`, a path map_entry__file_path gave. */
static struct unwind_object *add_object(struct unwind_tables *tables, const struct map_entry *entry,
					const char *file, const struct stat *file_stat)
{
	struct unwind_object *object;

	if (growable_array__reserve(&tables->objects, &tables->object_capacity,
				    tables->object_count + 1, sizeof(*object)))
		return NULL;
	object = &tables->objects[tables->object_count];
	*object = (struct unwind_object){.name = strdup(entry->path), .device = file_stat->st_dev,
					 .inode = file_stat->st_ino};
	if (!object->name)
		return NULL;
	tables->object_count++;
	read_object(tables, object, file);
	return object;
}

static int load_once(struct unwind_tables *tables, struct unwind_object *object);

/* The mapping set being built from one process's maps. */
struct set_scan {
	struct unwind_tables *tables;
	pid_t pid;
	bool cut;		/* more executable mappings than a set holds */
};

/* Adds one executable mapping to the set being built, with its object's rows. */
static int add_mapping(const struct map_entry *entry, void *context)
{
	struct set_scan *scan = context;
	struct unwind_tables *tables = scan->tables;
	struct unwind_mapping_set *set = &tables->mappings;
	struct unwind_mapping *mapping;
	struct unwind_object *object;
	struct stat file_stat;
	uint64_t address = 0;
	char file[4096];
	int err;

	/*
	 * [vsyscall] sits in the kernel's half: the walk's branch-free
	 * comparisons hold only for user addresses, below 2^63.
	 */
	if (!entry->executable || entry->start >> 63)
		return 0;
	if (set->count == UNWIND_MAX_MAPPINGS) {
		scan->cut = true;
		return 0;
	}
	mapping = &set->mappings[set->count++];
	/* Anonymous code (a JIT's) has no rows, but is known: no refresh for it. */
	*mapping = (struct unwind_mapping){.start = entry->start, .end = entry->end};
	if (!entry->inode || entry->path[0] != '/')
		return 0;
	map_entry__file_path(scan->pid, entry, file, sizeof(file));
	/* A file we cannot stat, we cannot read either: read_object says why. */
	if (stat(file, &file_stat))
		file_stat = (struct stat){.st_ino = entry->inode};
	object = find_object(tables, &file_stat);
	if (!object)
		object = add_object(tables, entry, file, &file_stat);
	if (!object)
		return -ENOMEM;
	/* Read before the maps existed (at start), loaded at the first scan since. */
	if (tables->rows_fd >= 0) {
		err = load_once(tables, object);
		if (err)
			return err;
	}
	if (!object->pages || elf_address_of_offset(file, entry->file_offset, &address))
		return 0;
	mapping->bias = entry->start - address;
	mapping->first_page = object->first_page;
	mapping->pages = object->pages;
	mapping->page_base = object->page_base;
	return 0;
}

/* Builds the mapping set of `pid` in tables->mappings, reading objects new to the tables. */
static int scan_mappings(struct unwind_tables *tables, pid_t pid, bool *cut)
{
	struct set_scan scan = {.tables = tables, .pid = pid};
	int err;

	tables->mappings.count = 0;
	err = proc_maps__foreach(pid, add_mapping, &scan);
	*cut = scan.cut;
	return err;
}

struct unwind_tables *unwind_tables__new(enum unwind_mode mode, bool verbose)
{
	struct unwind_tables *tables = calloc(1, sizeof(*tables));

	if (!tables)
		return NULL;
	tables->mode = mode;
	tables->verbose = verbose;
	tables->rows_fd = tables->pages_fd = tables->sets_fd = tables->stale_fd = -1;
	tables->counts_fd = -1;
	return tables;
}

void unwind_tables__free(struct unwind_tables *tables)
{
	if (!tables)
		return;
	for (size_t i = 0; i < tables->object_count; i++) {
		free(tables->objects[i].name);
		cfi_rows__free(&tables->objects[i].cfi);
	}
	free(tables->objects);
	free(tables->processes);
	free(tables);
}

/* The page index entries of `cfi`'s rows: one per page they span, and one more. */
static uint64_t page_entries(const struct cfi_rows *cfi)
{
	uint32_t first = cfi->rows[0].address, last = cfi->rows[cfi->count - 1].address;

	return ((last >> UNWIND_PAGE_SHIFT) - (first >> UNWIND_PAGE_SHIFT)) + 2;
}

/* Twice what the objects read but not loaded need, at least `minimum`. */
static uint32_t room_for(const struct unwind_tables *tables, bool pages, uint32_t minimum)
{
	uint64_t wanted = 0;

	if (tables->mode == UNWIND_FRAME_POINTERS)
		return 0;
	for (size_t i = 0; i < tables->object_count; i++) {
		const struct cfi_rows *cfi = &tables->objects[i].cfi;

		if (!tables->objects[i].loaded && cfi->count)
			wanted += pages ? page_entries(cfi) : cfi->count;
	}
	wanted *= 2;
	if (wanted < minimum)
		wanted = minimum;
	return wanted < MAXIMUM_ROWS ? wanted : MAXIMUM_ROWS;
}

int unwind_tables__add_defines(struct unwind_tables *tables, bool images_to_come,
			       struct bpf_defines *defines)
{
	tables->row_capacity = room_for(tables, false, images_to_come ? ROOM_FOR_NEW_IMAGES_ROWS
								       : ROOM_FOR_DLOPEN_ROWS);
	tables->page_capacity = room_for(tables, true, images_to_come ? ROOM_FOR_NEW_IMAGES_PAGES
								      : ROOM_FOR_DLOPEN_PAGES);
	return bpf_defines__add(defines, "UNWIND_ROWS", tables->row_capacity) ?:
	       bpf_defines__add(defines, "UNWIND_PAGES", tables->page_capacity) ?:
	       bpf_defines__add(defines, "UNWIND_PROCESSES", MAXIMUM_PROCESSES);
}

/* Writes `count` values to the array map `fd` from index `first` on. 0 or -errno. */
static int write_array(int fd, uint32_t first, const void *values, uint32_t count)
{
	uint32_t *keys = malloc(count * sizeof(*keys));
	int err = 0;

	if (!keys)
		return -ENOMEM;
	for (uint32_t i = 0; i < count; i++)
		keys[i] = first + i;
	if (bpf_update_batch(fd, keys, (void *)values, &count))
		err = -errno;
	free(keys);
	return err;
}

/* The page index of an object whose rows start at row map index `first_row`. */
static uint32_t *build_page_index(const struct cfi_rows *cfi, uint32_t first_row,
				  uint32_t page_base, uint32_t entries)
{
	uint32_t *index = malloc(entries * sizeof(*index));
	size_t row = 0;

	if (!index)
		return NULL;
	for (uint32_t page = 0; page + 1 < entries; page++) {
		uint64_t page_start = (uint64_t)page_base + ((uint64_t)page << UNWIND_PAGE_SHIFT);

		while (row + 1 < cfi->count && cfi->rows[row + 1].address <= page_start)
			row++;
		index[page] = first_row + row;
	}
	index[entries - 1] = first_row + cfi->count - 1;
	return index;
}

/* Writes the rows and page index of one object read since the last load. */
static int load_object(struct unwind_tables *tables, struct unwind_object *object)
{
	uint32_t count = object->cfi.count, entries = page_entries(&object->cfi);
	uint32_t page_base = object->cfi.rows[0].address & ~((1U << UNWIND_PAGE_SHIFT) - 1);
	uint32_t *index;
	int err;

	if (count > tables->row_capacity - tables->used_rows ||
	    entries > tables->page_capacity - tables->used_pages) {
		object->walk = WALK_TABLE_FULL;
		print_warning("no room for the %u unwind rows of %s: its frames are walked by frame pointers",
			      count, object->name);
		return 0;
	}
	index = build_page_index(&object->cfi, tables->used_rows, page_base, entries);
	if (!index)
		return -ENOMEM;
	err = write_array(tables->rows_fd, tables->used_rows, object->cfi.rows, count) ?:
	      write_array(tables->pages_fd, tables->used_pages, index, entries);
	free(index);
	if (err)
		return err;
	object->rows = count;
	object->first_page = tables->used_pages;
	/* The last entry closes the index: the walk looks only at pages before it. */
	object->pages = entries - 1;
	object->page_base = page_base;
	tables->used_rows += count;
	tables->used_pages += entries;
	return 0;
}

/* Writes an object's rows into the maps the first time a scan meets it after they exist. */
static int load_once(struct unwind_tables *tables, struct unwind_object *object)
{
	int err = 0;

	if (object->loaded)
		return 0;
	object->loaded = true;
	if (object->walk == WALK_BY_ROWS)
		err = load_object(tables, object);
	cfi_rows__free(&object->cfi);
	return err;
}

static struct unwind_process *find_process(struct unwind_tables *tables, pid_t pid)
{
	for (size_t i = 0; i < tables->process_count; i++) {
		if (tables->processes[i].pid == pid)
			return &tables->processes[i];
	}
	return NULL;
}

/* The maps could not be read because the process has ended. */
static bool process_gone(int err)
{
	return err == -ENOENT || err == -ESRCH;
}

/* Its stacks go to the frame pointer: said once, counted always. */
static void refuse_set(struct unwind_tables *tables, struct unwind_process *process)
{
	if (process->without_room)
		return;
	process->without_room = true;
	if (!tables->processes_without_room++)
		print_warning("no room for the unwind tables of PID %d, %u processes having theirs: its stacks, and those of any process after it, are walked by frame pointers",
			      (int)process->pid, MAXIMUM_PROCESSES);
}

/*
 * Scans the process's mappings, loading the objects new to the maps, and
 * writes its set in one update. 0 or -errno.
 */
static int write_set(struct unwind_tables *tables, struct unwind_process *process)
{
	__u32 key = process->pid;
	bool cut;
	int err;

	if (!process->has_set && tables->sets == MAXIMUM_PROCESSES) {
		refuse_set(tables, process);
		return 0;
	}
	err = scan_mappings(tables, process->pid, &cut);
	if (err)
		return err;
	/* A zombie's maps are empty: a live process maps code, the vDSO at least. */
	if (!tables->mappings.count)
		return -ESRCH;
	if (cut && !process->mappings_cut)
		tables->processes_with_mappings_cut++;
	process->mappings_cut = cut;
	tables->mappings.generation = ++tables->generation;
	if (bpf_update_elem(tables->sets_fd, &key, &tables->mappings, BPF_ANY)) {
		if (errno != E2BIG)
			return -errno;
		refuse_set(tables, process);
		return 0;
	}
	if (process->has_set)
		return 0;
	process->has_set = true;
	tables->processes_with_sets++;
	if (++tables->sets > tables->sets_peak)
		tables->sets_peak = tables->sets;
	return 0;
}

/*
 * Finds or adds the process; once it is mapped, reads its objects (before
 * the load, to size the maps) or writes its set (after). 0 or -errno.
 */
static int update_process(struct unwind_tables *tables, pid_t pid, bool mapped)
{
	struct unwind_process *process;
	bool cut;

	if (tables->mode == UNWIND_FRAME_POINTERS)
		return 0;
	process = find_process(tables, pid);
	if (!process) {
		if (growable_array__reserve(&tables->processes, &tables->process_capacity,
					    tables->process_count + 1, sizeof(*process)))
			return -ENOMEM;
		process = &tables->processes[tables->process_count++];
		*process = (struct unwind_process){.pid = pid};
	}
	process->mapped |= mapped;
	if (!process->mapped)
		return 0;
	return tables->sets_fd >= 0 ? write_set(tables, process) : scan_mappings(tables, pid, &cut);
}

int unwind_tables__add_process(struct unwind_tables *tables, pid_t pid, bool mapped)
{
	int err = update_process(tables, pid, mapped);

	/* Maps unreadable before the load are read again by it, which says why. */
	if (process_gone(err) || (tables->sets_fd < 0 && err != -ENOMEM))
		return 0;
	return err;
}

int unwind_tables__refresh_process(struct unwind_tables *tables, pid_t pid)
{
	return update_process(tables, pid, true);
}

void unwind_tables__forget_process(struct unwind_tables *tables, pid_t pid)
{
	struct unwind_process *process = find_process(tables, pid);
	__u32 key = pid;

	if (!process)
		return;
	if (process->has_set && !bpf_delete_elem(tables->sets_fd, &key))
		tables->sets--;
	*process = tables->processes[--tables->process_count];
}

int unwind_tables__load(struct unwind_tables *tables, struct bcc_module *program)
{
	int err;

	if (tables->mode == UNWIND_FRAME_POINTERS)
		return 0;
	tables->rows_fd = bcc_module__map_fd(program, "unwind_rows");
	tables->pages_fd = bcc_module__map_fd(program, "unwind_pages");
	tables->sets_fd = bcc_module__map_fd(program, "unwind_mapping_sets");
	tables->stale_fd = bcc_module__map_fd(program, "unwind_stale_processes");
	tables->counts_fd = bcc_module__map_fd(program, "unwind_counts");
	if (tables->rows_fd < 0 || tables->pages_fd < 0 || tables->sets_fd < 0 ||
	    tables->stale_fd < 0 || tables->counts_fd < 0)
		return -ENOENT;
	for (size_t i = 0; i < tables->process_count; i++) {
		if (!tables->processes[i].mapped)
			continue;
		err = write_set(tables, &tables->processes[i]);
		/* One gone already leaves the others to trace: its end is reported where it is traced. */
		if (err && !process_gone(err))
			return err;
	}
	return 0;
}

/* Sums the walk's per-CPU counters into `counts`. */
static int read_counts(const struct unwind_tables *tables, uint64_t counts[UNWIND_COUNTS])
{
	int cpus = possible_cpus();
	uint64_t *values;

	if (cpus <= 0 || tables->counts_fd < 0)
		return -EINVAL;
	values = calloc(cpus, sizeof(*values));
	if (!values)
		return -ENOMEM;
	for (uint32_t which = 0; which < UNWIND_COUNTS; which++) {
		counts[which] = 0;
		if (bpf_lookup_elem(tables->counts_fd, &which, values))
			continue;
		for (int cpu = 0; cpu < cpus; cpu++)
			counts[which] += values[cpu];
	}
	free(values);
	return 0;
}

/*
 * A process the walk noted: its set written, unless the walk cannot find more
 * in its maps (they hold more than a set does), or a set has no room. Noted
 * just before it ended, it is forgotten again.
 */
static void refresh_noted(struct unwind_tables *tables, pid_t pid)
{
	struct unwind_process *process = find_process(tables, pid);

	if (process && process->mappings_cut)
		return;
	if (process_gone(unwind_tables__refresh_process(tables, pid)))
		unwind_tables__forget_process(tables, pid);
}

int unwind_tables__on_wake(void *context)
{
	struct unwind_tables *tables = context;
	uint64_t now_ns = clock_now_ns();
	__u32 tgid;

	if (tables->stale_fd < 0 || now_ns - tables->last_refresh_ns < 1000000000ULL)
		return 0;
	tables->last_refresh_ns = now_ns;
	/* Bounded: a process running meanwhile may note itself again, and wait for the next wake. */
	for (int i = 0; i < UNWIND_STALE_PROCESSES; i++) {
		if (bpf_get_first_key(tables->stale_fd, &tgid, sizeof(tgid)))
			break;
		bpf_delete_elem(tables->stale_fd, &tgid);
		refresh_noted(tables, tgid);
	}
	return 0;
}

static uint64_t object_bytes(const struct unwind_object *object)
{
	if (!object->rows)
		return 0;
	return (uint64_t)object->rows * sizeof(struct unwind_row) +
	       (object->pages + 1ULL) * sizeof(uint32_t);
}

static uint64_t table_bytes(const struct unwind_tables *tables)
{
	return (uint64_t)tables->used_rows * sizeof(struct unwind_row) +
	       (uint64_t)tables->used_pages * sizeof(uint32_t);
}

/* The arrays' size, and the most mapping sets held at once. */
static uint64_t map_bytes(const struct unwind_tables *tables)
{
	return (uint64_t)tables->row_capacity * sizeof(struct unwind_row) +
	       (uint64_t)tables->page_capacity * sizeof(uint32_t) +
	       (uint64_t)tables->sets_peak * sizeof(struct unwind_mapping_set);
}

static size_t objects_walked(const struct unwind_tables *tables, enum object_walk walk)
{
	size_t count = 0;

	for (size_t i = 0; i < tables->object_count; i++)
		count += tables->objects[i].walk == walk;
	return count;
}

/* Objects named in the summary line for want of room; -v and the JSON name them all. */
#define OBJECTS_NAMED 3

/* "; no room for ..." when the maps turned objects or processes to the frame pointer. */
static void print_without_room(const struct unwind_tables *tables, FILE *out)
{
	size_t objects = objects_walked(tables, WALK_TABLE_FULL), named = 0;
	char printable[512];

	if (!objects && !tables->processes_without_room && !tables->processes_with_mappings_cut)
		return;
	fprintf(out, "; walked by frame pointers for want of room: %zu objects", objects);
	for (size_t i = 0; i < tables->object_count && named < OBJECTS_NAMED; i++) {
		if (tables->objects[i].walk != WALK_TABLE_FULL)
			continue;
		fprintf(out, "%s%s", named++ ? ", " : " (",
			untrusted_text__escape(tables->objects[i].name, printable, sizeof(printable)));
	}
	if (named)
		fprintf(out, "%s)", objects > named ? ", ..." : "");
	fprintf(out, ", the stacks of %u processes past %u, the mappings past %u of %u processes",
		tables->processes_without_room, MAXIMUM_PROCESSES, UNWIND_MAX_MAPPINGS,
		tables->processes_with_mappings_cut);
}

void unwind_tables__print(const struct unwind_tables *tables, FILE *out)
{
	uint64_t counts[UNWIND_COUNTS] = {0};

	if (tables->mode == UNWIND_FRAME_POINTERS) {
		fprintf(out, "; unwinding by frame pointers");
		return;
	}
	read_counts(tables, counts);
	fprintf(out, "; unwinding %s: tables for %zu of %zu objects, %u rows (%llu kB of a %llu kB map), processes with tables %u; frames walked by tables %llu, by frame pointers %llu",
		unwind_mode__name(tables->mode), objects_walked(tables, WALK_BY_ROWS),
		tables->object_count, tables->used_rows,
		(unsigned long long)table_bytes(tables) / 1024,
		(unsigned long long)map_bytes(tables) / 1024, tables->processes_with_sets,
		(unsigned long long)counts[UNWIND_FRAMES_BY_ROWS],
		(unsigned long long)counts[UNWIND_FRAMES_BY_FRAME_POINTER]);
	if (counts[UNWIND_STACKS_WITHOUT_SET])
		fprintf(out, ", stacks of processes without a set yet %llu",
			(unsigned long long)counts[UNWIND_STACKS_WITHOUT_SET]);
	if (counts[UNWIND_UNMAPPED_ADDRESSES])
		fprintf(out, ", addresses outside every mapping %llu",
			(unsigned long long)counts[UNWIND_UNMAPPED_ADDRESSES]);
	print_without_room(tables, out);
	if (!tables->verbose)
		return;
	for (size_t i = 0; i < tables->object_count; i++) {
		const struct unwind_object *object = &tables->objects[i];

		fprintf(out, "\n  %s: %s", object->name, walk_names[object->walk]);
		if (object->walk == WALK_BY_ROWS)
			fprintf(out, ", %u rows (%llu kB)", object->rows,
				(unsigned long long)object_bytes(object) / 1024);
	}
}

void unwind_tables__write_json(const struct unwind_tables *tables, struct json_writer *writer)
{
	uint64_t counts[UNWIND_COUNTS] = {0};

	json_writer__begin_object(writer, "unwinding");
	json_writer__string(writer, "mode", unwind_mode__name(tables->mode));
	if (tables->mode != UNWIND_FRAME_POINTERS) {
		read_counts(tables, counts);
		json_writer__u64(writer, "table_rows", tables->used_rows);
		json_writer__u64(writer, "table_bytes", table_bytes(tables));
		json_writer__u64(writer, "map_bytes", map_bytes(tables));
		json_writer__u64(writer, "frames_by_tables", counts[UNWIND_FRAMES_BY_ROWS]);
		json_writer__u64(writer, "frames_by_frame_pointers",
				 counts[UNWIND_FRAMES_BY_FRAME_POINTER]);
		json_writer__u64(writer, "processes", tables->processes_with_sets);
		json_writer__u64(writer, "stacks_without_set", counts[UNWIND_STACKS_WITHOUT_SET]);
		json_writer__u64(writer, "unmapped_addresses", counts[UNWIND_UNMAPPED_ADDRESSES]);
		json_writer__begin_array(writer, "objects_without_room");
		for (size_t i = 0; i < tables->object_count; i++) {
			if (tables->objects[i].walk == WALK_TABLE_FULL)
				json_writer__string(writer, NULL, tables->objects[i].name);
		}
		json_writer__end_array(writer);
		json_writer__u64(writer, "processes_without_room", tables->processes_without_room);
		json_writer__u64(writer, "processes_with_mappings_cut",
				 tables->processes_with_mappings_cut);
		json_writer__begin_array(writer, "objects");
		for (size_t i = 0; i < tables->object_count; i++) {
			const struct unwind_object *object = &tables->objects[i];

			json_writer__begin_object(writer, NULL);
			json_writer__string(writer, "path", object->name);
			json_writer__string(writer, "walked_by", walk_names[object->walk]);
			json_writer__u64(writer, "rows", object->rows);
			json_writer__u64(writer, "bytes", object_bytes(object));
			json_writer__end_object(writer);
		}
		json_writer__end_array(writer);
	}
	json_writer__end_object(writer);
}
