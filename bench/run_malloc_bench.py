#!/usr/bin/env python3
"""ns per malloc+free pair: untraced, under empty uprobes (this machine's floor),
under memstacks in each mode and under bcc's memleak-bpfcc when installed.

Each configuration runs --runs times; the table shows medians, the cost each
tracer adds over the untraced loop, and that added cost as a ratio of the floor
measured in the same run (the machine is shared: compare ratios, not times).

    bench/run_malloc_bench.py [--build build] [--runs 5] [--pairs 200000] [--only NAME]
"""
import argparse
import os

from bench_common import default_build, memleak_configuration, print_table, run_configurations

ENTRY_RETURN_FREE = "empty probes: malloc entry+return, free entry"
ENTRY = "empty probe: malloc entry"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=default_build())
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=200000)
    parser.add_argument("--only", help="run only configurations whose name contains this "
                        "(the untraced loop and the floors always run)")
    options = parser.parse_args()
    memstacks = os.path.join(options.build, "memstacks")
    empty = os.path.join(options.build, "bench", "empty_probes")

    configurations = [
        ("untraced", None, None, False),
        (ENTRY_RETURN_FREE, [empty, "{pid}"], "Tracing", False),
        (ENTRY, [empty, "{pid}", "entry"], "Tracing", False),
        ("memstacks (unfreed)", [memstacks, "-p", "{pid}"], "Tracing", False),
        ("memstacks -a", [memstacks, "-a", "-p", "{pid}"], "Tracing", False),
    ]
    memleak = memleak_configuration()
    if memleak:
        configurations.append(memleak)
    if options.only:
        configurations = [c for c in configurations
                          if options.only in c[0] or c[0] == "untraced" or "empty" in c[0]]
    target = [os.path.join(options.build, "bench", "malloc_free_loop"), str(options.pairs)]
    medians = run_configurations(configurations, options.runs, target, "ns_per_pair")
    print_table(f"malloc+free pairs: {options.pairs} per run, {options.runs} runs, medians",
                "ns/pair", medians,
                {"memstacks (unfreed)": ENTRY_RETURN_FREE, "memstacks -a": ENTRY,
                 "memleak-bpfcc": ENTRY_RETURN_FREE})
    if not memleak:
        print("memleak-bpfcc: not installed (apt-get install bpfcc-tools)")


if __name__ == "__main__":
    main()
