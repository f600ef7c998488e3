/* How many values a per-CPU BPF map holds per key: the kernel's possible CPUs. */
#ifndef POSSIBLE_CPUS_H
#define POSSIBLE_CPUS_H

/* From /sys/devices/system/cpu/possible ("0-3,8" is 9): the count, or -errno. */
int possible_cpus(void);

#endif
