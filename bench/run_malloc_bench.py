#!/usr/bin/env python3
"""ns per malloc+free pair: untraced, under empty uprobes (this machine's floor),
under memstacks in each mode and under bcc's memleak-bpfcc when installed.

Each configuration runs --runs times; the table shows medians, the cost each
tracer adds over the untraced loop, and that added cost as a ratio of the floor
measured in the same run (the machine is shared: compare ratios, not times).

    bench/run_malloc_bench.py [--build build] [--runs 5] [--pairs 200000]
"""
import argparse
import os
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys

LINE_TIMEOUT_S = 120


def read_line(stream, what):
    ready, _, _ = select.select([stream], [], [], LINE_TIMEOUT_S)
    line = stream.readline() if ready else ""
    if not line:
        sys.exit(f"run_malloc_bench: no {what} within {LINE_TIMEOUT_S} s")
    return line


def one_run(build, pairs, tracer, ready_prefix):
    loop = subprocess.Popen([os.path.join(build, "bench", "malloc_free_loop"), str(pairs)],
                            stdout=subprocess.PIPE, text=True)
    pid = int(read_line(loop.stdout, "ready line").split()[1])
    process = None
    try:
        if tracer:
            command = [arg.replace("{pid}", str(pid)) for arg in tracer]
            # Our tools say "Tracing" on stderr once attached. memleak prints its
            # "Attaching" line before it even compiles: only its first report, a
            # second after attaching (interval 1), proves its probes are in place.
            merged = tracer[-1] == "1"
            process = subprocess.Popen(command, text=True,
                                       stdout=subprocess.PIPE if merged else subprocess.DEVNULL,
                                       stderr=subprocess.STDOUT if merged else subprocess.PIPE)
            output = process.stdout if merged else process.stderr
            while ready_prefix not in read_line(output, "tracer's attach line"):
                pass
        loop.send_signal(signal.SIGUSR1)
        ns = float(re.match(r"ns_per_pair (\S+)", read_line(loop.stdout, "result")).group(1))
        loop.wait()
    finally:
        if process:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=LINE_TIMEOUT_S)
        if loop.poll() is None:
            loop.kill()
    return ns


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=200000)
    parser.add_argument("--only", help="run only configurations whose name contains this "
                        "(the untraced loop and the floors always run)")
    options = parser.parse_args()
    build = options.build
    memstacks = os.path.join(build, "memstacks")
    empty = os.path.join(build, "bench", "empty_probes")

    configurations = [
        ("untraced", None, None),
        ("empty probes: malloc entry+return, free entry", [empty, "{pid}"], "Tracing"),
        ("empty probe: malloc entry", [empty, "{pid}", "entry"], "Tracing"),
        ("memstacks (unfreed)", [memstacks, "-p", "{pid}"], "Tracing"),
        ("memstacks -a", [memstacks, "-a", "-p", "{pid}"], "Tracing"),
    ]
    memleak = shutil.which("memleak-bpfcc")
    if memleak:
        # Unbuffered, so that its "Attaching to pid N" line arrives when it is printed.
        configurations.append(("memleak-bpfcc", ["env", "PYTHONUNBUFFERED=1", memleak, "-p",
                                                 "{pid}", "1"], "outstanding allocations"))

    if options.only:
        configurations = [c for c in configurations
                          if options.only in c[0] or c[0] == "untraced" or "empty" in c[0]]
    medians = {}
    for name, tracer, ready in configurations:
        samples = [one_run(build, options.pairs, tracer, ready) for _ in range(options.runs)]
        medians[name] = statistics.median(samples)
        print(f"# {name}: " + " ".join(f"{s:.1f}" for s in samples), file=sys.stderr)

    base = medians["untraced"]
    floors = {"memstacks (unfreed)": "empty probes: malloc entry+return, free entry",
              "memstacks -a": "empty probe: malloc entry",
              "memleak-bpfcc": "empty probes: malloc entry+return, free entry"}
    print(f"malloc+free pairs: {options.pairs} per run, {options.runs} runs, medians")
    print(f"{'configuration':48} {'ns/pair':>9} {'added ns':>9} {'x floor':>8}")
    for name, _, _ in configurations:
        added = medians[name] - base
        ratio = ""
        if name in floors and floors[name] in medians:
            floor_added = medians[floors[name]] - base
            ratio = f"{added / floor_added:.2f}"
        print(f"{name:48} {medians[name]:9.1f} {added:9.1f} {ratio:>8}")
    if not memleak:
        print("memleak-bpfcc: not installed (apt-get install bpfcc-tools)")


if __name__ == "__main__":
    main()
