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

    bench/run_malloc_bench.py [--build build] [--runs 5] [--pairs 200000]
                              [--allocator glibc|jemalloc] [--only NAME]
"""
import argparse
import os

from bench_common import (ENTRY_RETURN_FREE, MEMSTACKS_FLOORS, default_build,
                          memleak_configuration, memstacks_configurations, only_configurations,
                          print_table, run_configurations)

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
    medians = run_configurations(configurations, options.runs, target, "ns_per_pair")
    print_table(f"malloc+free pairs on {options.allocator}: {options.pairs} per run, "
                f"{options.runs} runs, medians", "ns/pair", medians, floors)
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
