#!/usr/bin/env python3
"""ns per malloc+free pair: untraced; under empty uprobes at the functions'
entries and at the offsets memstacks places its probes on (this machine's
floors); under memstacks in each mode, with its probe placement and with
--probe-at-entry; and under bcc's memleak-bpfcc when installed (glibc only: it
cannot probe jemalloc).

Each configuration runs --runs times; the table shows medians, the cost each
tracer adds over the untraced loop, and that added cost as a ratio of the floor
measured in the same run (the machine is shared: compare ratios, not times).
--allocator jemalloc preloads Debian's jemalloc into the loop.

memstacks' summary estimates what its probes cost the loop (hits times the
calibrated cost of each, plus the BPF programs' run time): a second table
sets that estimate, per pair, beside the cost the loop measured.

    bench/run_malloc_bench.py [--build build] [--runs 5] [--pairs 200000]
                              [--allocator glibc|jemalloc] [--only NAME]
"""
import argparse
import os
import re

from bench_common import (ENTRY_RETURN_FREE, MEMSTACKS_FLOORS, default_build,
                          memleak_configuration, memstacks_configurations, one_run,
                          only_configurations, print_table, sample_configurations)

# memstacks' summary: "probes hit N times: about S s of the traced threads' time".
COST_ESTIMATE = re.compile(r"probes hit \d+ times: about ([0-9.]+) s")


def print_estimates(medians, pairs):
    """Each memstacks configuration's estimate of its cost beside the measured one."""
    base = medians["ns_per_pair"]["untraced"]
    print(f"{'estimated cost':48} {'est ns':>10} {'added':>9} {'est/added':>10}")
    for name, estimate in medians.get("estimated_ns_per_pair", {}).items():
        added = medians["ns_per_pair"][name] - base
        print(f"{name:48} {estimate:10.1f} {added:9.1f} {estimate / added:10.2f}")

JEMALLOC = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=default_build())
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=200000)
    parser.add_argument("--allocator", choices=["glibc", "jemalloc"], default="glibc")
    parser.add_argument("--only", help="run only configurations whose name contains this "
                        "(with the untraced loop and the floors they are compared with)")
    options = parser.parse_args()
    target = [os.path.join(options.build, "bench", "malloc_free_loop"), str(options.pairs)]
    allocator_object = "/libc.so"
    if options.allocator == "jemalloc":
        target = ["env", f"LD_PRELOAD={JEMALLOC}", *target]
        allocator_object = "/libjemalloc.so"

    configurations = memstacks_configurations(options.build, allocator_object)
    memleak = memleak_configuration() if options.allocator == "glibc" else None
    if memleak:
        configurations.append(memleak)
    floors = {**MEMSTACKS_FLOORS, "memleak-bpfcc": ENTRY_RETURN_FREE}
    if options.only:
        configurations = only_configurations(configurations, options.only, floors)
    def measure(tracer, ready, merged):
        tracer_figures = {}
        sample = {"ns_per_pair": one_run(target, "ns_per_pair", tracer, ready, merged,
                                         tracer_figures)}
        estimate = COST_ESTIMATE.search(tracer_figures.get("output", ""))
        if estimate:
            sample["estimated_ns_per_pair"] = float(estimate.group(1)) * 1e9 / options.pairs
        return sample

    all_medians = sample_configurations(configurations, options.runs, measure)
    medians = all_medians["ns_per_pair"]
    print_table(f"malloc+free pairs on {options.allocator}: {options.pairs} per run, "
                f"{options.runs} runs, medians", "ns/pair", medians, floors)
    print_estimates(all_medians, options.pairs)
    if "memleak-bpfcc" in medians and "memstacks (unfreed)" in medians:
        memleak_added = medians["memleak-bpfcc"] - medians["untraced"]
        memstacks_added = medians["memstacks (unfreed)"] - medians["untraced"]
        print(f"memleak-bpfcc adds {memleak_added:.0f} ns per pair, memstacks (unfreed) "
              f"{memstacks_added:.0f} ns: {memleak_added / memstacks_added:.1f}x less")
    if not memleak and options.allocator == "glibc":
        print("memleak-bpfcc: not installed (apt-get install bpfcc-tools)")
    elif not memleak:
        print("memleak-bpfcc: not run (it probes libc's malloc, and refuses -O libjemalloc.so.2)")


if __name__ == "__main__":
    main()
