#!/usr/bin/env python3
"""What a target set costs the processes outside it, and host-wide tracing
the processes inside it.

One idle process (a `sleep`, which maps libc) is the traced set, alone in a
cgroup made for the bench; bench/malloc_free_loop runs OUTSIDE it.

1. Outside the set: ns per malloc+free pair untraced, and under memstacks
   -p SLEEP (probes attached to that PID only: the loop should run at
   untraced speed), -p SLEEP --children and --cgroup CGROUP (probes
   attached for every process and filtered in BPF: the loop takes every trap
   and returns early). The empty placed probes on the loop itself, the floor
   of run_malloc_bench.py, show what a bare trap costs.
2. Inside the set, host-wide (no target): ns added per pair by memstacks in
   unfreed mode and with -a, each as a ratio of the empty probes at the same
   places.

Every configuration runs --runs times, one configuration after the other,
and its median is shown against the untraced loop and the floor of the same
run (the machine is shared: compare ratios, not times across runs).

    bench/run_sets_bench.py [--build build] [--runs 5] [--pairs 200000]
"""
import argparse
import os
import signal
import sys

from bench_common import (MEMSTACKS_FLOORS, PLACED, PLACED_RETURN_FREE, default_build,
                          print_table, run_configurations)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from cgroup_target import Cgroup  # noqa: E402

OUTSIDE = ["memstacks -p SLEEP", "memstacks -p SLEEP --children", "memstacks --cgroup CGROUP"]
HOST_WIDE = {"memstacks host-wide (unfreed)": MEMSTACKS_FLOORS["memstacks (unfreed)"],
             "memstacks host-wide -a": MEMSTACKS_FLOORS["memstacks -a"]}


def configurations(build, sleep_pid, cgroup_path):
    memstacks = os.path.join(build, "memstacks")
    empty = [os.path.join(build, "bench", "empty_probes"), "{pid}", "/libc.so"]
    tracers = [
        (PLACED_RETURN_FREE, [*empty, "placed"]),
        (PLACED, [*empty, "entry", "placed"]),
        (OUTSIDE[0], [memstacks, "-p", str(sleep_pid)]),
        (OUTSIDE[1], [memstacks, "-p", str(sleep_pid), "--children"]),
        (OUTSIDE[2], [memstacks, "--cgroup", cgroup_path]),
        ("memstacks host-wide (unfreed)", [memstacks]),
        ("memstacks host-wide -a", [memstacks, "-a"]),
    ]
    # Each tool says "Tracing" on stderr once its probes are attached.
    return [("untraced", None, None, False)] + [(name, command, "Tracing", False)
                                                for name, command in tracers]


def subset(medians, names):
    return {name: medians[name] for name in ["untraced", *names]}


def summarize(medians):
    base = medians["untraced"]
    trap = medians[PLACED_RETURN_FREE] - base
    for name in OUTSIDE:
        added = medians[name] - base
        print(f"{name}: the loop outside the set runs at x{medians[name] / base:.2f} its "
              f"untraced time ({added:+.1f} ns per pair, x{added / trap:.2f} the empty "
              f"probes' {trap:.0f} ns)")
    for name, floor in HOST_WIDE.items():
        added = medians[name] - base
        floor_added = medians[floor] - base
        print(f"{name}: {added:+.0f} ns per pair inside the set, x{added / floor_added:.2f} "
              f"its floor ({floor}: {floor_added:.0f} ns)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=default_build())
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=200000)
    options = parser.parse_args()
    # A SIGTERM ends the bench through the finally clauses: tracer, target,
    # sleep and cgroup go with it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("bench: terminated"))

    cgroup = Cgroup()
    try:
        sleep = cgroup.popen(["sleep", "infinity"])
        target = [os.path.join(options.build, "bench", "malloc_free_loop"), str(options.pairs)]
        medians = run_configurations(configurations(options.build, sleep.pid, cgroup.path),
                                     options.runs, target, "ns_per_pair")
    finally:
        cgroup.remove()

    heading = f"{options.pairs} per run, {options.runs} runs, medians"
    print_table(f"1. malloc+free pairs OUTSIDE the set (the set: one idle sleep, alone in CGROUP): {heading}",
                "ns/pair", subset(medians, [PLACED_RETURN_FREE, *OUTSIDE]),
                {name: PLACED_RETURN_FREE for name in OUTSIDE})
    print()
    print_table(f"2. malloc+free pairs INSIDE the set, host-wide: {heading}", "ns/pair",
                subset(medians, [PLACED_RETURN_FREE, PLACED, *HOST_WIDE]), HOST_WIDE)
    print()
    summarize(medians)


if __name__ == "__main__":
    main()
