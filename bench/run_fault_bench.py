#!/usr/bin/env python3
"""ns per page fault in a loop that does nothing but fault: untraced, under
pgfaultstacks, under pgfaultstacks --all-faults, and under bcc's
stackcount-bpfcc on exceptions:page_fault_user when installed.

Each configuration runs --runs times; the table shows medians and the cost each
tracer adds over the untraced loop (the machine is shared: compare ratios).
The loop's own time varies by a fifth from run to run on a shared VM, more
than a tracer adds, so a second table gives what the kernel's run-time
statistics say each tracer's BPF programs took per fault: a figure the
neighbours barely move, and a lower bound of what the trace adds. The
statistics are on for the whole bench (two clock reads more per program run).

    bench/run_fault_bench.py [--build build] [--runs 5] [--rounds 100]
"""
import argparse
import os
import shutil

from bench_common import (default_build, one_run, print_table, run_time_statistics,
                          sample_configurations, with_tracefs)


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
    faults = options.rounds * 1024

    def measure(tracer, ready, merged):
        tracer_figures = {}
        sample = {"ns_per_fault": one_run(target, "ns_per_fault", tracer, ready, merged,
                                          tracer_figures)}
        if tracer:
            sample["bpf_ns_per_fault"] = tracer_figures["bpf_ns"] / faults
        return sample

    statistics_fd = run_time_statistics()
    medians = sample_configurations(configurations, options.runs, measure)
    os.close(statistics_fd)
    print_table(f"page faults: {faults} per run, {options.runs} runs, medians", "ns/fault",
                medians["ns_per_fault"])
    untraced = medians["ns_per_fault"]["untraced"]
    print(f"{'in the BPF programs, by the kernel':48} {'ns/fault':>10} {'x base':>9}")
    for name, bpf_ns in medians["bpf_ns_per_fault"].items():
        print(f"{name:48} {bpf_ns:10.1f} {1 + bpf_ns / untraced:9.2f}")
    if not stackcount:
        print("stackcount-bpfcc: not installed (apt-get install bpfcc-tools)")


if __name__ == "__main__":
    main()
