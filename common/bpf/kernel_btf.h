/*
 * Where a field of a kernel struct lies in the running kernel, read from its
 * BTF (/sys/kernel/btf/vmlinux). libbcc compiles with the kernel headers it
 * finds, which may be another kernel's: a BPF program that reads a struct
 * (task_struct's tgid) takes the offset from here instead, as a -D setting.
 */
#ifndef KERNEL_BTF_H
#define KERNEL_BTF_H

#include <stdint.h>

/*
 * The byte offset of `member` in `struct name` of the running kernel: 0, or
 * -ENOENT when the kernel has no BTF or no such member, -errno otherwise.
 */
int kernel_btf__member_offset(const char *struct_name, const char *member, uint32_t *offset);

#endif
