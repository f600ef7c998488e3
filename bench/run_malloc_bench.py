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

from bench_common import default_build, memleak_configuration, print_table, run_configurations

JEMALLOC = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
ENTRY_RETURN_FREE = "empty probes at entries: malloc+return, free"
ENTRY = "empty probe at entry: malloc"
PLACED_RETURN_FREE = "empty probes placed: malloc+return, free"
PLACED = "empty probe placed: malloc"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=default_build())
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=200000)
    parser.add_argument("--allocator", choices=["glibc", "jemalloc"], default="glibc")
    parser.add_argument("--only", help="run only configurations whose name contains this "
                        "(the untraced loop and the floors always run)")
    options = parser.parse_args()
    memstacks = os.path.join(options.build, "memstacks")
    empty = os.path.join(options.build, "bench", "empty_probes")
    target = [os.path.join(options.build, "bench", "malloc_free_loop"), str(options.pairs)]
    where = ["/libc.so"]
    if options.allocator == "jemalloc":
        target = ["env", f"LD_PRELOAD={JEMALLOC}", *target]
        where = ["/libjemalloc.so"]

    configurations = [
        ("untraced", None, None, False),
        (ENTRY_RETURN_FREE, [empty, "{pid}", *where], "Tracing", False),
        (ENTRY, [empty, "{pid}", "entry", *where], "Tracing", False),
        (PLACED_RETURN_FREE, [empty, "{pid}", "placed", *where], "Tracing", False),
        (PLACED, [empty, "{pid}", "entry", "placed", *where], "Tracing", False),
        ("memstacks (unfreed)", [memstacks, "-p", "{pid}"], "Tracing", False),
        ("memstacks -a", [memstacks, "-a", "-p", "{pid}"], "Tracing", False),
        ("memstacks --probe-at-entry", [memstacks, "--probe-at-entry", "-p", "{pid}"],
         "Tracing", False),
        ("memstacks -a --probe-at-entry", [memstacks, "-a", "--probe-at-entry", "-p", "{pid}"],
         "Tracing", False),
    ]
    memleak = memleak_configuration() if options.allocator == "glibc" else None
    if memleak:
        configurations.append(memleak)
    if options.only:
        configurations = [c for c in configurations
                          if options.only in c[0] or c[0] == "untraced" or "empty" in c[0]]
    medians = run_configurations(configurations, options.runs, target, "ns_per_pair")
    print_table(f"malloc+free pairs on {options.allocator}: {options.pairs} per run, "
                f"{options.runs} runs, medians", "ns/pair", medians,
                {"memstacks (unfreed)": PLACED_RETURN_FREE, "memstacks -a": PLACED,
                 "memstacks --probe-at-entry": ENTRY_RETURN_FREE,
                 "memstacks -a --probe-at-entry": ENTRY,
                 "memleak-bpfcc": ENTRY_RETURN_FREE})
    if "memleak-bpfcc" in medians:
        print(f"memstacks (unfreed) adds {medians['memleak-bpfcc'] - medians['untraced']:.0f} ns "
              f"/ {medians['memstacks (unfreed)'] - medians['untraced']:.0f} ns = "
              f"{(medians['memleak-bpfcc'] - medians['untraced']) / (medians['memstacks (unfreed)'] - medians['untraced']):.1f}x "
              "less than memleak-bpfcc")
    elif options.allocator == "glibc":
        print("memleak-bpfcc: not installed (apt-get install bpfcc-tools)")
    else:
        print("memleak-bpfcc: not run (it probes libc's malloc, and refuses -O libjemalloc.so.2)")


if __name__ == "__main__":
    main()
