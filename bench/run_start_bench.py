#!/usr/bin/env python3
"""What a trace costs before and after it: start-up, exit, the tool's own
memory and the kernel memory of its BPF maps, for memstacks and pgfaultstacks
against bcc's memleak-bpfcc and stackcount-bpfcc, in one run.

Two targets (bench/load_target live N): one left idle (it waits for a signal
that never comes), and one that allocates N blocks of 16 bytes (a million by
default) once the tool traces, and keeps them.
Every tool traces each target --runs times, one after the other; the table
gives medians:

  start-up  from exec to the tool's line saying it traces: our "Tracing";
            stackcount-bpfcc's "Tracing"; memleak-bpfcc prints nothing once
            attached, so its first report (interval 1 s) less that second
  exit      from SIGINT to the tool's exit, its report written
  RSS       the tool's VmRSS just before SIGINT
  maps      the memlock of every BPF map the tool holds (the kernel's own
            accounting, /proc/PID/fdinfo), just before SIGINT

    bench/run_start_bench.py [--build build] [--runs 5] [--live 1000000]
"""
import argparse
import os
import shutil
import signal
import statistics
import subprocess
import time

from bench_common import (MEMLEAK_INTERVAL_S, default_build, map_memory_bytes,
                          memleak_configuration, read_line, start_tracer, status_kb,
                          stop_tracer, with_tracefs)


def tools(build):
    """Configurations (name, command with {pid}, text of its ready line, merged
    output: ours say "Tracing" on stderr, bcc's tools on stdout)."""
    found = [("memstacks", [os.path.join(build, "memstacks"), "-p", "{pid}"], "Tracing", True),
             ("pgfaultstacks", [os.path.join(build, "pgfaultstacks"), "-p", "{pid}"],
              "Tracing", True)]
    memleak = memleak_configuration()
    if memleak:
        found.append(memleak)
    if shutil.which("stackcount-bpfcc"):
        found.append(("stackcount-bpfcc",
                      with_tracefs(["stackcount-bpfcc", "-p", "{pid}",
                                    "t:exceptions:page_fault_user"]),
                      "Tracing", True))
    return found


def one_trace(build, tool, live_blocks, work):
    """One run of `tool` on a fresh target, which allocates only if `work`: a
    dict of the four figures."""
    name, command, ready_text, merged = tool
    target = subprocess.Popen([os.path.join(build, "bench", "load_target"), "live",
                               str(live_blocks)], stdout=subprocess.PIPE, text=True)
    pid = int(read_line(target.stdout, "ready line").split()[1])
    process = None
    try:
        started = time.monotonic()
        process = start_tracer(command, pid, ready_text, merged)
        # memleak-bpfcc's ready line is its first report, an interval after it attached.
        start_s = time.monotonic() - started - (MEMLEAK_INTERVAL_S if name == "memleak-bpfcc"
                                                else 0)
        if work:
            target.send_signal(signal.SIGUSR1)
            read_line(target.stdout, "target's done line")
        figures = {"start-up s": start_s, "RSS MB": status_kb(process.pid) / 1024,
                   "maps MB": map_memory_bytes(process.pid) / 1e6}
        stopped = time.monotonic()
        stop_tracer(process)
        figures["exit s"] = time.monotonic() - stopped
    finally:
        if process and process.poll() is None:
            process.kill()
            process.wait()
        target.send_signal(signal.SIGUSR1 if work else signal.SIGKILL)
        target.wait()
    return figures


COLUMNS = ("start-up s", "exit s", "RSS MB", "maps MB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=default_build())
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--live", type=int, default=1000000)
    options = parser.parse_args()

    for title, work in (("idle target", False), (f"target keeping {options.live} blocks", True)):
        # The tools take turns, a run each per round: a machine that slows
        # down over the bench weighs on all of them alike.
        found = tools(options.build)
        runs = {tool[0]: [] for tool in found}
        for _ in range(options.runs):
            for tool in found:
                runs[tool[0]].append(one_trace(options.build, tool, options.live, work))
        medians = {name: {c: statistics.median(r[c] for r in samples) for c in COLUMNS}
                   for name, samples in runs.items()}
        print(f"\n{title} (medians of {options.runs} runs)")
        print(f"{'tool':18}" + "".join(f"{c:>12}" for c in COLUMNS))
        for name, figures in medians.items():
            print(f"{name:18}" + "".join(f"{figures[c]:12.2f}" for c in COLUMNS))
        for ours, theirs in (("memstacks", "memleak-bpfcc"), ("pgfaultstacks", "stackcount-bpfcc")):
            if theirs in medians:
                print(f"{ours} start-up / {theirs}'s: "
                      f"{medians[ours]['start-up s'] / medians[theirs]['start-up s']:.2f}")


if __name__ == "__main__":
    main()
