/*
 * Measures, on the running kernel, which instruction kinds a uprobe hit is
 * emulated on: a probe is put on a small function of our own that starts with
 * each kind, and the function is timed. Calibrating at every start-up (about
 * 50 ms) is always right for the kernel at hand, where a cache per kernel
 * version would go stale with a backported change to the uprobe code.
 */
#ifndef UPROBE_CALIBRATION_H
#define UPROBE_CALIBRATION_H

#include "bpf/instruction_kinds.h"

/*
 * Fills `emulation` by timing uprobes that run `prog_fd` (any BPF program of
 * kprobe type; it runs in this process, so it should return at once). A kind
 * counts as emulated when a hit costs less than a third of a single-stepped
 * one. Returns 0, or -errno with nothing marked emulated.
 */
int uprobe_calibration__measure(int prog_fd, struct emulation *emulation);

#endif
