/* An embedded BPF C program, specialised with -D settings and compiled by libbcc. */
#ifndef BPF_PROGRAM_H
#define BPF_PROGRAM_H

#include <stddef.h>
#include <stdbool.h>
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
void bpf_program__print(FILE *out, const char *text, const struct bpf_defines *defines);

/*
 * Checks what compiling and attaching need before trying: privileges and
 * kernel headers. Prints the problem and its fix and returns false if one is
 * missing.
 */
bool bpf_program__check_requirements(void);

struct bpf_program;

/* Compiles `text`; prints the reason and returns NULL on failure. */
struct bpf_program *bpf_program__compile(const char *text, const struct bpf_defines *defines);
void bpf_program__free(struct bpf_program *program);

/*
 * Loads `function` as a program of `prog_type` (BPF_PROG_TYPE_KPROBE for
 * uprobes) and returns its fd, owned by `program`; prints the verifier's
 * reason and returns -errno on failure.
 */
int bpf_program__load(struct bpf_program *program, const char *function, int prog_type);

/*
 * Loads `function` as a program of `prog_type` and puts it at `index` of the
 * program array `prog_array`, for the programs that tail-call it. Returns 0,
 * or prints the reason and returns -errno.
 */
int bpf_program__load_tail_call(struct bpf_program *program, const char *prog_array, int index,
				const char *function, int prog_type);

/*
 * Loads `function` as a raw tracepoint program and attaches it to `tracepoint`
 * (e.g. "page_fault_user"); the attachment ends with the program. Returns 0,
 * or prints the reason and returns -errno.
 */
int bpf_program__attach_raw_tracepoint(struct bpf_program *program, const char *function,
				       const char *tracepoint);

/* The fd of map `name`, or -1. */
int bpf_program__map_fd(struct bpf_program *program, const char *name);

/* Empties map `name`: deletes a hash's entries (keys of at most 64 bytes), zeroes an array's. */
void bpf_program__clear_map(struct bpf_program *program, const char *name);

#endif
