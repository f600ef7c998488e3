#include "bpf/bcc_module.h"

#include <bcc/bcc_common.h>
#include <bcc/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/errors.h"
#include "bpf/kernel_headers.h"
#include "bpf/uprobes.h"

#define MAX_LOADED 32
#define VERIFIER_LOG_SIZE (1 << 20)

struct loaded_function {
	char *name;	/* our copy: callers may pass a buffer they reuse */
	int fd;
};

struct bcc_module {
	void *module;
	struct loaded_function loaded[MAX_LOADED];
	size_t loaded_count;
	int attachments[MAX_LOADED];	/* raw tracepoint fds */
	size_t attachment_count;
	uint64_t load_ns;		/* spent in the verifier, for -v's start-up phases */
};

int bpf_defines__add(struct bpf_defines *defines, const char *name, unsigned long long value)
{
	if (defines->count == BPF_MAX_DEFINES)
		return -E2BIG;
	if (asprintf(&defines->items[defines->count], "-D%s=%llu", name, value) < 0)
		return -ENOMEM;
	defines->count++;
	return 0;
}

void bpf_defines__free(struct bpf_defines *defines)
{
	size_t i;

	for (i = 0; i < defines->count; i++)
		free(defines->items[i]);
	defines->count = 0;
}

void bcc_module__print(FILE *out, const char *text, const struct bpf_defines *defines)
{
	size_t i;

	for (i = 0; i < defines->count; i++) {
		const char *setting = defines->items[i] + 2;	/* after "-D" */
		const char *equals = strchr(setting, '=');

		fprintf(out, "#define %.*s %s\n", (int)(equals - setting), setting, equals + 1);
	}
	fputs(text, out);
}

/* CapEff from /proc/self/status holds the capability bit `bit`. */
static bool has_capability(int bit)
{
	unsigned long long effective = 0;
	char line[256];
	FILE *status = fopen("/proc/self/status", "re");

	if (!status)
		return false;
	while (fgets(line, sizeof(line), status)) {
		if (sscanf(line, "CapEff: %llx", &effective) == 1)
			break;
	}
	fclose(status);
	return effective & (1ULL << bit);
}

bool bcc_module__check_privileges(void)
{
	const int cap_sys_admin = 21, cap_perfmon = 38, cap_bpf = 39;

	if (!has_capability(cap_sys_admin) &&
	    !(has_capability(cap_bpf) && has_capability(cap_perfmon))) {
		print_error("cannot load BPF programs: permission denied (run as root, or with CAP_BPF and CAP_PERFMON)");
		return false;
	}
	return true;
}

struct bcc_module *bcc_module__compile(const char *text, const struct bpf_defines *defines,
				       const struct kernel_headers *headers)
{
	struct bcc_module *program = calloc(1, sizeof(*program));
	char header_flags[KERNEL_HEADERS_MAX_FLAGS][KERNEL_HEADERS_FLAG_SIZE];
	const char *flags[BPF_MAX_DEFINES + KERNEL_HEADERS_MAX_FLAGS];
	size_t count = 0, header_count, i;

	if (!program)
		return NULL;
	for (i = 0; i < defines->count; i++)
		flags[count++] = defines->items[i];
	header_count = kernel_headers__use(headers, header_flags);
	for (i = 0; i < header_count; i++)
		flags[count++] = header_flags[i];
	program->module = bpf_module_create_c_from_string(text, 0, flags, count, true, NULL);
	kernel_headers__done(headers);
	if (!program->module) {
		print_error("cannot compile the BPF program (libbcc's messages above say why; check the kernel headers with -v)");
		free(program);
		return NULL;
	}
	return program;
}

void bcc_module__free(struct bcc_module *program)
{
	size_t i;

	if (!program)
		return;
	for (i = 0; i < program->attachment_count; i++)
		close(program->attachments[i]);
	for (i = 0; i < program->loaded_count; i++) {
		close(program->loaded[i].fd);
		free(program->loaded[i].name);
	}
	bpf_module_destroy(program->module);
	free(program);
}

/*
 * Kprobe-type programs here are all for uprobes, and are loaded for uprobe
 * links (uprobes.h), which a perf event also takes where the kernel has none.
 * A tail call needs its caller and callee loaded alike: they are.
 */
static int attach_type(int prog_type)
{
	return prog_type == BPF_PROG_TYPE_KPROBE ? UPROBE_LINK_ATTACH_TYPE : 0;
}

int bcc_module__load(struct bcc_module *program, const char *function, int prog_type)
{
	const struct bpf_insn *instructions;
	uint64_t started_ns;
	char *log = NULL;
	size_t i, size;
	int fd;

	for (i = 0; i < program->loaded_count; i++) {
		if (!strcmp(program->loaded[i].name, function))
			return program->loaded[i].fd;
	}
	if (program->loaded_count == MAX_LOADED)
		return -E2BIG;
	instructions = bpf_function_start(program->module, function);
	size = bpf_function_size(program->module, function);
	if (!instructions) {
		print_error("cannot load BPF function %s: not in the program", function);
		return -ENOENT;
	}
	started_ns = clock_now_ns();
	fd = bcc_func_load(program->module, prog_type, function, instructions, size,
			   bpf_module_license(program->module),
			   bpf_module_kern_version(program->module), 0, NULL, 0, NULL,
			   attach_type(prog_type));
	program->load_ns += clock_now_ns() - started_ns;
	if (fd < 0) {
		/* Load again with the verifier's log, only to explain the failure. */
		log = malloc(VERIFIER_LOG_SIZE);
		if (log && bcc_func_load(program->module, prog_type, function, instructions, size,
					 bpf_module_license(program->module),
					 bpf_module_kern_version(program->module), 1, log,
					 VERIFIER_LOG_SIZE, NULL, attach_type(prog_type)) < 0)
			fprintf(stderr, "%s", log);
		free(log);
		print_error("cannot load BPF function %s: %s", function, strerror(errno));
		return -EINVAL;
	}
	program->loaded[program->loaded_count].name = strdup(function);
	if (!program->loaded[program->loaded_count].name) {
		close(fd);
		return -ENOMEM;
	}
	program->loaded[program->loaded_count].fd = fd;
	program->loaded_count++;
	return fd;
}

uint64_t bcc_module__load_ns(const struct bcc_module *program)
{
	return program->load_ns;
}

/* A number line ("run_time_ns:\t1234") of our fd's fdinfo, or 0. */
static uint64_t fdinfo_number(int fd, const char *field)
{
	char path[64], line[128];
	unsigned long long number = 0;
	size_t length = strlen(field);
	FILE *fdinfo;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	fdinfo = fopen(path, "re");
	if (!fdinfo)
		return 0;
	while (fgets(line, sizeof(line), fdinfo)) {
		if (!strncmp(line, field, length) && line[length] == ':' &&
		    sscanf(line + length + 1, "%llu", &number) == 1)
			break;
	}
	fclose(fdinfo);
	return number;
}

uint64_t bcc_module__run_time_ns(const struct bcc_module *program)
{
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < program->loaded_count; i++)
		total += fdinfo_number(program->loaded[i].fd, "run_time_ns");
	return total;
}

int bcc_module__map_fd(struct bcc_module *program, const char *name)
{
	return bpf_table_fd(program->module, name);
}

void bcc_module__clear_map(struct bcc_module *program, const char *name)
{
	int fd = bcc_module__map_fd(program, name);
	size_t key_size = bpf_table_key_size(program->module, name);
	unsigned char key[64];
	void *zeros;
	uint32_t i, entries;

	if (fd < 0 || key_size > sizeof(key))
		return;
	if (bpf_table_type(program->module, name) == BPF_MAP_TYPE_ARRAY) {
		/* An array's entries cannot be deleted: they are zeroed. */
		entries = bpf_table_max_entries(program->module, name);
		zeros = calloc(1, bpf_table_leaf_size(program->module, name));
		for (i = 0; zeros && i < entries; i++)
			bpf_update_elem(fd, &i, zeros, BPF_ANY);
		free(zeros);
		return;
	}
	/* Deleting the key just read leaves the first key for the next call. */
	while (bpf_get_first_key(fd, key, key_size) == 0 && bpf_delete_elem(fd, key) == 0)
		;
}

int bcc_module__load_tail_call(struct bcc_module *program, const char *prog_array, int index,
				const char *function, int prog_type)
{
	int array_fd = bcc_module__map_fd(program, prog_array);
	int prog_fd;

	if (array_fd < 0) {
		print_error("cannot load BPF function %s: no program array %s", function, prog_array);
		return -ENOENT;
	}
	prog_fd = bcc_module__load(program, function, prog_type);
	if (prog_fd < 0)
		return prog_fd;
	if (bpf_update_elem(array_fd, &index, &prog_fd, BPF_ANY)) {
		print_error("cannot put BPF function %s in %s: %s", function, prog_array,
			    strerror(errno));
		return -errno;
	}
	return 0;
}

int bcc_module__attach_raw_tracepoint(struct bcc_module *program, const char *function,
				       const char *tracepoint)
{
	int prog_fd, fd;

	if (program->attachment_count == MAX_LOADED)
		return -E2BIG;
	prog_fd = bcc_module__load(program, function, BPF_PROG_TYPE_RAW_TRACEPOINT);
	if (prog_fd < 0)
		return prog_fd;
	fd = bpf_attach_raw_tracepoint(prog_fd, tracepoint);
	if (fd < 0) {
		print_error("cannot attach to the %s tracepoint: %s (this kernel needs raw tracepoints, Linux 4.17 or later)",
			    tracepoint, strerror(errno));
		return -errno;
	}
	program->attachments[program->attachment_count++] = fd;
	return 0;
}

/* struct htab_elem's own fields, and the allocator's share of each, on 64 bits. */
#define HASH_ENTRY_OVERHEAD 48
/* A hash's buckets (struct bucket: a list head and a spinlock), one per entry rounded to 2^n. */
#define HASH_BUCKET_BYTES 16

static uint64_t round_up8(uint64_t size)
{
	return (size + 7) & ~7ULL;
}

static uint64_t round_up_power_of_two(uint64_t n)
{
	uint64_t power = 1;

	while (power < n)
		power <<= 1;
	return power;
}

/* What a hash not preallocated takes when full: its buckets and every entry. */
static uint64_t full_hash_bytes(struct bcc_module *program, size_t id)
{
	uint64_t entries = bpf_table_max_entries_id(program->module, id);
	uint64_t key = round_up8(bpf_table_key_size_id(program->module, id));
	uint64_t value = round_up8(bpf_table_leaf_size_id(program->module, id));

	return round_up_power_of_two(entries) * HASH_BUCKET_BYTES +
	       entries * (key + value + HASH_ENTRY_OVERHEAD);
}

void bcc_module__map_memory(struct bcc_module *program, struct map_memory *memory)
{
	size_t id;

	*memory = (struct map_memory){0};
	for (id = 0; id < bpf_num_tables(program->module); id++) {
		uint64_t now = fdinfo_number(bpf_table_fd_id(program->module, id), "memlock");
		bool grows = bpf_table_flags_id(program->module, id) & BPF_F_NO_PREALLOC;
		uint64_t full = grows ? full_hash_bytes(program, id) : now;

		memory->allocated += now;
		memory->at_most += full > now ? full : now;
	}
}
