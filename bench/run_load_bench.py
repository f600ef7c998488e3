#!/usr/bin/env python3
"""memstacks under load: what it held, what it lost, and what it cost itself.

Each load (bench/load_target) keeps a known number of bytes live; memstacks
traces it in unfreed mode with its default map sizes (and, where those are
too small, with larger ones), and the table sets the reported bytes beside
the truth, with the losses by kind, the "exact" flags of the JSON, the tool's
peak RSS while tracing and over its whole run (the report included), and the
kernel memory of its BPF maps.

    bench/run_load_bench.py [--build build] [--threads 64] [--live 1000000]
                            [--stacks 100000] [--steady-seconds 600] [--only LOAD]
"""
import argparse
import json
import os
import select
import signal
import subprocess
import tempfile
import time

from bench_common import default_build, map_memory_bytes, read_line, start_tracer, status_kb

RSS_SAMPLE_EVERY_S = 10


def trace_load(build, load, count, tool_args):
    """One load traced to its end: a dict of what the truth was and what memstacks said."""
    target = subprocess.Popen([os.path.join(build, "bench", "load_target"), load, str(count)],
                              stdout=subprocess.PIPE, text=True)
    pid = int(read_line(target.stdout, "ready line").split()[1])
    with tempfile.TemporaryDirectory() as directory:
        json_file = os.path.join(directory, "report.json")
        tool = start_tracer([os.path.join(build, "memstacks"), "-p", str(pid), "--json",
                             json_file, *tool_args], pid, "Tracing")
        maps_bytes = map_memory_bytes(tool.pid)
        rss_samples = [status_kb(tool.pid)]
        started = time.monotonic()
        target.send_signal(signal.SIGUSR1)
        # The steady load runs for minutes: sample the tool's RSS meanwhile.
        while True:
            ready = read_line_or_none(target.stdout, RSS_SAMPLE_EVERY_S)
            if ready:
                break
            rss_samples.append(status_kb(tool.pid))
        _, kept_bytes, kept_blocks = ready.split()
        traced_s = time.monotonic() - started
        tracing_peak_kb = status_kb(tool.pid, "VmHWM")
        tool.send_signal(signal.SIGINT)
        # Not ru_maxrss: a child's counts the parent's pages it shared before exec.
        with_report_kb = tracing_peak_kb
        while True:
            pid, status = os.waitpid(tool.pid, os.WNOHANG)
            if pid:
                break
            with_report_kb = max(with_report_kb, status_kb(tool.pid, "VmHWM"))
            time.sleep(0.02)    # sampling the tool's memory while it writes its report
        tool.returncode = os.waitstatus_to_exitcode(status)
        target.send_signal(signal.SIGUSR1)
        target.wait()
        with open(json_file) as f:
            report = json.load(f)
    return {"load": f"{load} {count}", "args": " ".join(tool_args) or "defaults",
            "kept_bytes": int(kept_bytes), "kept_blocks": int(kept_blocks), "report": report,
            "traced_s": traced_s, "peak_rss_kb": with_report_kb, "tracing_peak_kb": tracing_peak_kb, "rss_samples": rss_samples,
            "maps_bytes": maps_bytes, "exit": tool.returncode}


def read_line_or_none(stream, timeout_s):
    """The next line of `stream`, or None if none came within `timeout_s`."""
    ready, _, _ = select.select([stream], [], [], timeout_s)
    return stream.readline() if ready else None


def print_row(result):
    report = result["report"]
    lost = ", ".join(f"{kind} {n}" for kind, n in report["lost"].items() if n) or "none"
    exact = ", ".join(k for k, v in report["exact"].items() if v) or "nothing"
    share = 100 * report["total_bytes"] / result["kept_bytes"]
    print(f"{result['load']:15} {result['args']:28} {result['kept_bytes']:>11} "
          f"{report['total_bytes']:>11} {share:6.1f}% {len(report['stacks']):>7} "
          f"{result['tracing_peak_kb'] / 1024:7.1f} {result['peak_rss_kb'] / 1024:7.1f} "
          f"{result['maps_bytes'] / 2**20:7.1f} "
          f"{result['traced_s']:7.1f}  exact: {exact:13} lost: {lost}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=default_build())
    parser.add_argument("--threads", type=int, default=64)
    parser.add_argument("--live", type=int, default=1000000)
    parser.add_argument("--stacks", type=int, default=100000)
    parser.add_argument("--steady-seconds", type=int, default=600)
    parser.add_argument("--only", help="run only the loads of this name (threads, live, ...)")
    options = parser.parse_args()

    loads = [
        ("threads", options.threads, []),
        ("live", options.live, []),
        ("live", options.live + options.live // 5, []),
        ("stacks", options.stacks, []),
        ("stacks", options.stacks, ["--stack-storage-size", str(2 * options.stacks)]),
        ("steady", options.steady_seconds, []),
    ]
    print(f"{'load':15} {'memstacks options':28} {'kept B':>11} {'reported B':>11} {'share':>7} "
          f"{'stacks':>7} {'peak MB':>7} {'+report':>7} {'maps MB':>7} {'time s':>7}")
    for load, count, args in loads:
        if options.only and load != options.only:
            continue
        result = trace_load(options.build, load, count, args)
        if result["exit"] != 0:
            print(f"{load} {count}: memstacks exited with {result['exit']}")
        print_row(result)
        if load == "steady":
            samples = result["rss_samples"]
            print(f"    the tool's RSS over the steady trace, every {RSS_SAMPLE_EVERY_S} s: "
                  f"min {min(samples) / 1024:.1f} MB, max {max(samples) / 1024:.1f} MB, "
                  f"first {samples[0] / 1024:.1f} MB, last {samples[-1] / 1024:.1f} MB")


if __name__ == "__main__":
    main()
