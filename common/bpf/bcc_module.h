/*
 * An embedded BPF C program, specialised with -D settings and compiled by
 * libbcc into a module (libbcc's word), whose functions are then loaded into
 * the kernel one by one. Named for libbcc, not libbpf: nothing here is
 * libbpf's bpf_program.
 */
#ifndef BCC_MODULE_H
#define BCC_MODULE_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define BPF_MAX_DEFINES 32

/* The -D settings a program is compiled with. */
struct bpf_defines {
	char *items[BPF_MAX_DEFINES];	/* "-DNAME=value" */
	size_t count;
};

/* Adds -DNAME=value; returns 0 or -ENOMEM/-E2BIG. */
int bpf_defines__add(struct bpf_defines *defines, const char *name, unsigned long long value);
void bpf_defines__free(struct bpf_defines *defines);

/* What --ebpf prints: the settings as #defines, then the program text. */
void bcc_module__print(FILE *out, const char *text, const struct bpf_defines *defines);

/*
 * Checks the privileges loading and attaching need before trying. Prints the
 * problem and its fix and returns false if they are missing.
 */
bool bcc_module__check_privileges(void);

struct bcc_module;
struct kernel_headers;

/* Compiles `text` against `headers`; prints the reason and returns NULL on failure. */
struct bcc_module *bcc_module__compile(const char *text, const struct bpf_defines *defines,
				       const struct kernel_headers *headers);
void bcc_module__free(struct bcc_module *program);

/*
 * Loads `function` as a program of `prog_type` (BPF_PROG_TYPE_KPROBE for
 * uprobes) and returns its fd, owned by `program`; prints the verifier's
 * reason and returns -errno on failure.
 */
int bcc_module__load(struct bcc_module *program, const char *function, int prog_type);

/* The time the loads so far spent, most of it in the kernel's verifier. */
uint64_t bcc_module__load_ns(const struct bcc_module *program);

/*
 * The time the loaded programs have run (a tail-called one inside its
 * caller's), by the kernel's statistics: counted only while they are on
 * (BPF_ENABLE_STATS, or the sysctl kernel.bpf_stats_enabled).
 */
uint64_t bcc_module__run_time_ns(const struct bcc_module *program);

/*
 * Loads `function` as a program of `prog_type` and puts it at `index` of the
 * program array `prog_array`, for the programs that tail-call it. Returns 0,
 * or prints the reason and returns -errno.
 */
int bcc_module__load_tail_call(struct bcc_module *program, const char *prog_array, int index,
				const char *function, int prog_type);

/*
 * Loads `function` as a raw tracepoint program and attaches it to `tracepoint`
 * (e.g. "page_fault_user"); the attachment ends with the program. Returns 0,
 * or prints the reason and returns -errno.
 */
int bcc_module__attach_raw_tracepoint(struct bcc_module *program, const char *function,
				       const char *tracepoint);

/*
 * The kernel memory of the program's maps: what they hold now, by the
 * kernel's own accounting of each (its "memlock"), and what they can grow to
 * (hashes made with BPF_F_NO_PREALLOC, estimated from their sizes with the
 * kernel's bookkeeping per entry taken as 48 bytes).
 */
struct map_memory {
	uint64_t allocated;
	uint64_t at_most;
};
void bcc_module__map_memory(struct bcc_module *program, struct map_memory *memory);

/* The fd of map `name`, or -1. */
int bcc_module__map_fd(struct bcc_module *program, const char *name);

/* Empties map `name`: deletes a hash's entries (keys of at most 64 bytes), zeroes an array's. */
void bcc_module__clear_map(struct bcc_module *program, const char *name);

#endif
