/* The time the tools measure with: the clock of bpf_ktime_get_ns(). */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in ns: comparable with the times the BPF programs record. */
uint64_t clock_now_ns(void);

#endif
