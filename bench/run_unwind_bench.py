#!/usr/bin/env python3
"""What walking stacks by unwind tables costs, against frame pointers.

1. Per event: ns per malloc+free pair of bench/deep_stack_loop (built with
   frame pointers, so both walks see the same frames) at two call depths:
   untraced, under the empty placed probe on malloc (the floor), and under
   memstacks -a walking by frame pointers (--unwind fp) and by the tables
   (--unwind cfi). The difference between the two walks, divided by the frames
   walked, is the cost of a frame looked up in the tables.
2. Per event on Debian's python3 (no frame pointers) growing a list of
   objects: ns per item untraced, and under memstacks -a by frame pointers
   (which stop early) and by the tables (which reach the root), with the
   allocations per item and the frames per stack that memstacks reports.
3. Table memory and start-up, for Debian's redis-server and python3: the rows
   and bytes of each object's table, the BPF map that holds them, and the time
   from start to the "Tracing" line with and without tables (medians).

    bench/run_unwind_bench.py [--build build] [--runs 5] [--pairs 100000]
                              [--depths 4,32]
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from bench_common import (PLACED, default_build, print_table, read_line, run_configurations,
                          start_tracer, stop_tracer)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from redis_server import RedisServer  # noqa: E402

LIST_GROWER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "targets",
                           "list_grower.py")
# Frames above `descend`'s: allocate, main, __libc_start_call_main,
# __libc_start_main, _start.
FRAMES_BESIDES_DEPTH = 5


def per_event(build, runs, pairs, depth):
    memstacks = os.path.join(build, "memstacks")
    empty = [os.path.join(build, "bench", "empty_probes"), "{pid}", "/libc.so"]
    configurations = [
        ("untraced", None, None, False),
        (PLACED, [*empty, "entry", "placed"], "Tracing", False),
        ("memstacks -a --unwind fp", [memstacks, "-a", "--unwind", "fp", "-p", "{pid}"],
         "Tracing", False),
        ("memstacks -a --unwind cfi", [memstacks, "-a", "--unwind", "cfi", "-p", "{pid}"],
         "Tracing", False),
    ]
    target = [os.path.join(build, "bench", "deep_stack_loop"), str(pairs), str(depth)]
    floors = {"memstacks -a --unwind fp": PLACED, "memstacks -a --unwind cfi": PLACED}
    medians = run_configurations(configurations, runs, target, "ns_per_pair")
    frames = depth + 1 + FRAMES_BESIDES_DEPTH
    print_table(f"malloc+free pairs {frames} frames deep: {pairs} per run, {runs} runs, medians",
                "ns/pair", medians, floors)
    fp = medians["memstacks -a --unwind fp"]
    cfi = medians["memstacks -a --unwind cfi"]
    print(f"tables against frame pointers: {cfi - fp:+.1f} ns per event, "
          f"{(cfi - fp) / frames:+.1f} ns per frame ({frames} frames); "
          f"x{(cfi - medians['untraced']) / (fp - medians['untraced']):.2f} the added cost\n")


def python_per_event(build, runs):
    memstacks = os.path.join(build, "memstacks")
    configurations = [("untraced", None, None, False)]
    for mode in ("fp", "cfi"):
        configurations.append((f"memstacks -a --unwind {mode}",
                               [memstacks, "-a", "--unwind", mode, "-p", "{pid}"], "Tracing",
                               False))
    target = ["/usr/bin/python3", LIST_GROWER, "--time"]
    medians = run_configurations(configurations, runs, target, "ns_per_item")
    print_table(f"python3 growing a list of objects: {runs} runs, medians", "ns/item", medians)
    for mode in ("fp", "cfi"):
        report = trace_work(build, mode)
        stacks = report["stacks"]
        frames = sum(len(s["frames"]) * s["allocations"] for s in stacks)
        allocations = report["total_allocations"]
        quality = report["stack_quality"]
        added = medians[f"memstacks -a --unwind {mode}"] - medians["untraced"]
        items = int(report["items"])
        print(f"--unwind {mode}: {allocations / items:.2f} allocations per item, "
              f"{frames / allocations:.1f} frames per allocation's stack, "
              f"{quality['reached_root']} of {quality['stacks']} stacks reach the root; "
              f"{added * items / allocations:.0f} ns added per allocation")
    print()


def trace_work(build, mode):
    """memstacks -a on a list_grower while it grows its list once: the report."""
    target = subprocess.Popen(["/usr/bin/python3", LIST_GROWER, "--wait"],
                              stdout=subprocess.PIPE, text=True)
    try:
        pid = int(read_line(target.stdout, "ready line").split()[1])
        return trace_target(build, target, pid, mode)
    finally:
        target.kill()
        target.wait()


def start_memstacks(build, pid, mode, json_file):
    """memstacks -a --unwind `mode` on `pid`, once attached."""
    return start_tracer([os.path.join(build, "memstacks"), "-a", "-p", "{pid}", "--unwind", mode,
                         "--json", json_file], pid, "Tracing")


def trace_target(build, target, pid, mode):
    with tempfile.TemporaryDirectory() as directory:
        json_file = os.path.join(directory, "report.json")
        process = start_memstacks(build, pid, mode, json_file)
        target.send_signal(signal.SIGUSR1)
        items = read_line(target.stdout, "done line").split()[1]
        stop_tracer(process)
        with open(json_file) as report:
            return dict(json.load(report), items=items)


def attach(build, pid, mode):
    """Seconds from start to "Tracing", and the JSON of an immediate Ctrl-C."""
    with tempfile.TemporaryDirectory() as directory:
        json_file = os.path.join(directory, "report.json")
        start = time.monotonic()
        process = start_memstacks(build, pid, mode, json_file)
        seconds = time.monotonic() - start
        stop_tracer(process)
        with open(json_file) as report:
            return seconds, json.load(report)


def table_memory(build, runs, name, pid):
    times = {mode: [] for mode in ("fp", "cfi")}
    for _ in range(runs):
        for mode in times:
            seconds, report = attach(build, pid, mode)
            times[mode].append(seconds)
    unwinding = report["unwinding"]
    print(f"{name} (PID {pid}): unwind tables, --unwind cfi")
    print(f"{'object':60} {'rows':>9} {'kB':>8}")
    for item in unwinding["objects"]:
        print(f"{item['path']:60} {item['rows']:9} {item['bytes'] / 1024:8.0f}  "
              f"{item['walked_by']}")
    print(f"{'total':60} {unwinding['table_rows']:9} {unwinding['table_bytes'] / 1024:8.0f}"
          f"  (BPF map {unwinding['map_bytes'] / 1024:.0f} kB)")
    fp, cfi = statistics.median(times["fp"]), statistics.median(times["cfi"])
    print(f"start to Tracing, medians of {runs}: fp {fp:.2f} s, cfi {cfi:.2f} s "
          f"(x{cfi / fp:.2f})\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=default_build())
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=100000)
    parser.add_argument("--depths", default="4,32")
    options = parser.parse_args()

    for depth in map(int, options.depths.split(",")):
        per_event(options.build, options.runs, options.pairs, depth)
    python_per_event(options.build, options.runs)

    server = RedisServer()
    try:
        table_memory(options.build, options.runs, "redis-server", server.pid)
    finally:
        server.stop()
    python = subprocess.Popen(["/usr/bin/python3", LIST_GROWER, "--wait"],
                              stdout=subprocess.PIPE, text=True)
    try:
        pid = int(read_line(python.stdout, "ready line").split()[1])
        table_memory(options.build, options.runs, "python3", pid)
    finally:
        python.kill()
        python.wait()


if __name__ == "__main__":
    main()
