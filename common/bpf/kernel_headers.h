/*
 * The kernel headers libbcc compiles our BPF programs against. They use only
 * the user-space ABI (uapi/linux/ptrace.h for the registers), so any kernel's
 * headers do: the running kernel's where installed; otherwise the newest
 * installed (RPM distributions' /usr/src/kernels/VERSION, Debian's
 * /usr/src/linux-headers-VERSION split into an arch tree and a -common
 * tree), told to libbcc through BCC_KERNEL_SOURCE and include flags, never
 * by writing under /lib/modules; otherwise the kernel's own
 * /sys/kernel/kheaders.tar.xz, which libbcc unpacks itself.
 */
#ifndef KERNEL_HEADERS_H
#define KERNEL_HEADERS_H

#include <limits.h>
#include <stdio.h>

enum kernel_headers_kind {
	HEADERS_RUNNING_KERNEL,		/* /lib/modules/$(uname -r)/build: libbcc's own choice */
	HEADERS_FROM_ENVIRONMENT,	/* the user's BCC_KERNEL_SOURCE, left as it is */
	HEADERS_OTHER_KERNEL,		/* another installed kernel's, told to libbcc */
	HEADERS_IN_KERNEL,		/* /sys/kernel/kheaders.tar.xz */
};

struct kernel_headers {
	enum kernel_headers_kind kind;
	char tree[PATH_MAX];		/* the tree with include/linux/kconfig.h */
	char generated[PATH_MAX];	/* a separate tree of its generated headers, or "" */
};

/*
 * Finds the headers to compile with. Prints the one-line error that says
 * what to install and returns -ENOENT when there are none.
 */
int kernel_headers__find(struct kernel_headers *headers);

/* -v's line: which headers, and why those. */
void kernel_headers__describe(const struct kernel_headers *headers, FILE *out);

/* The compiler flags another kernel's headers need beyond BCC_KERNEL_SOURCE. */
#define KERNEL_HEADERS_MAX_FLAGS 4
#define KERNEL_HEADERS_FLAG_SIZE (PATH_MAX + 128)

/*
 * Sets BCC_KERNEL_SOURCE for another kernel's headers and writes their
 * include flags (pointing into `headers`, at most KERNEL_HEADERS_MAX_FLAGS)
 * into `flags`; returns their count. kernel_headers__done unsets what this set.
 */
size_t kernel_headers__use(const struct kernel_headers *headers, char flags[][KERNEL_HEADERS_FLAG_SIZE]);
void kernel_headers__done(const struct kernel_headers *headers);

#endif
