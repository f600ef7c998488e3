#!/usr/bin/env python3
"""ns per page fault in a loop that does nothing but fault: untraced, under
pgfaultstacks, under pgfaultstacks --all-faults, and under bcc's
stackcount-bpfcc on exceptions:page_fault_user when installed.

Each configuration runs --runs times; the table shows medians and the cost each
tracer adds over the untraced loop (the machine is shared: compare ratios).

    bench/run_fault_bench.py [--build build] [--runs 5] [--rounds 100]
"""
import argparse
import os
import shutil

from bench_common import default_build, print_table, run_configurations, with_tracefs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=default_build())
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=100, help="rounds of 1024 faults")
    options = parser.parse_args()
    pgfaultstacks = os.path.join(options.build, "pgfaultstacks")

    configurations = [
        ("untraced", None, None, False),
        ("pgfaultstacks", [pgfaultstacks, "-p", "{pid}"], "Tracing", False),
        ("pgfaultstacks --all-faults", [pgfaultstacks, "--all-faults", "-p", "{pid}"], "Tracing",
         False),
    ]
    stackcount = shutil.which("stackcount-bpfcc")
    if stackcount:
        configurations.append(("stackcount-bpfcc",
                               with_tracefs([stackcount, "-p", "{pid}",
                                             "t:exceptions:page_fault_user"]),
                               "Tracing", True))
    target = [os.path.join(options.build, "bench", "fault_loop"), str(options.rounds)]
    medians = run_configurations(configurations, options.runs, target, "ns_per_fault")
    print_table(f"page faults: {options.rounds * 1024} per run, {options.runs} runs, medians",
                "ns/fault", medians)
    if not stackcount:
        print("stackcount-bpfcc: not installed (apt-get install bpfcc-tools)")


if __name__ == "__main__":
    main()
