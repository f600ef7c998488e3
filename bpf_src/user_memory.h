/*
 * Reading the traced thread's memory. BPF only.
 *
 * bpf_probe_read_user under another name: for each program that calls the
 * helper by its own name, libbcc loads all of /proc/kallsyms to check that the
 * kernel has it, which took 0.1 to 0.3 s of every start. Every kernel these
 * tools run on has it (Linux 5.5; uprobe links need 6.6).
 */
#ifndef USER_MEMORY_H
#define USER_MEMORY_H

static long (*read_user_memory)(void *dst, u32 size, const void *unsafe_ptr) =
	(void *)BPF_FUNC_probe_read_user;

#endif
