#!/usr/bin/env python3
"""redis-benchmark throughput (SET and GET requests/s) of Debian's redis-server:
untraced; under empty uprobes on jemalloc's malloc and free, at their entries
and at the offsets memstacks places its probes on (this machine's floors); and
under memstacks in each mode, with its placement and with --probe-at-entry.

Every run starts a fresh server (loopback, a free port, no persistence: see
tests/redis_server.py), so that each starts from an empty keyspace and a new
allocator; SET then writes 100-byte values to up to 100,000 keys and GET reads
them. The tables show medians, the change from the untraced median and the
ratio to it, all from this invocation (the machine is shared: compare ratios).

bcc's memleak-bpfcc (0.26), when installed, is run as memleak-bpfcc -p PID: it
probes libc's allocator unless told another object with -O, and refuses
-O libjemalloc.so.2, which has no mmap and munmap for it to probe. On libc
alone it sees none of redis's allocations: its row is the cost of a tracer
that sees nothing, not a comparison of equal work.

    bench/run_redis_bench.py [--build build] [--runs 5] [--requests 200000] [--only NAME]
"""
import argparse
import csv
import os
import sys

from bench_common import (MEMSTACKS_FLOORS, bpf_run_time_ns, default_build,
                          memleak_configuration, memstacks_configurations, only_configurations,
                          print_table, run_time_statistics, sample_configurations, start_tracer,
                          stop_tracer)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from redis_server import RedisServer, require_redis  # noqa: E402

MEMLEAK = "memleak-bpfcc (sees libc's malloc, not jemalloc)"
# What the kernel's run-time statistics say the tracer's BPF programs took,
# per request of either command: the part of the cost the machine's noise
# barely moves (the statistics are on for the whole bench).
BPF_TIME = "us of BPF per request"


def throughput(requests, tracer, ready_text, merged_output):
    """Requests/s by command for one run of redis-benchmark on a fresh server."""
    server = RedisServer()
    process = None
    try:
        if tracer:
            process = start_tracer(tracer, server.pid, ready_text, merged_output)
            bpf_start_ns = bpf_run_time_ns(process.pid)
        output = server.benchmark("-t", "set,get", "-n", str(requests), "-r", "100000",
                                  "-d", "100", "--csv")
        sample = {row["test"]: float(row["rps"]) for row in csv.DictReader(output.splitlines())}
        if process:
            sample[BPF_TIME] = (bpf_run_time_ns(process.pid) - bpf_start_ns) / 1e3 / (
                len(sample) * requests)
    finally:
        if process:
            stop_tracer(process)
        server.stop()
    return sample


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=default_build())
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200000,
                        help="requests per command per run")
    parser.add_argument("--only", help="run only configurations whose name contains this "
                        "(with the untraced server and the floors they are compared with)")
    options = parser.parse_args()
    configurations = memstacks_configurations(options.build, "/libjemalloc.so")
    memleak = memleak_configuration(MEMLEAK)
    if memleak:
        configurations.append(memleak)
    floors = MEMSTACKS_FLOORS
    if options.only:
        configurations = only_configurations(configurations, options.only, floors)
    try:
        require_redis()
        statistics_fd = run_time_statistics()
        medians = sample_configurations(
            configurations, options.runs,
            lambda tracer, ready, merged: throughput(options.requests, tracer, ready, merged))
        os.close(statistics_fd)
    except AssertionError as error:    # redis missing, or a server that would not start
        sys.exit(f"bench: {error}")
    bpf_time = medians.pop(BPF_TIME, {})
    for command, by_configuration in medians.items():
        print()
        print_table(f"redis-benchmark {command}: {options.requests} requests per run, "
                    f"{options.runs} runs, medians", "requests/s", by_configuration)
        # The floor ratio compares added time per request, not lost throughput.
        print_table("the same as time per request", "us/request",
                    {name: 1e6 / rps for name, rps in by_configuration.items()}, floors)
    print(f"\n{BPF_TIME}, medians")
    for name, us in bpf_time.items():
        print(f"{name:48} {us:10.2f}")
    if not memleak:
        print("memleak-bpfcc: not installed (apt-get install bpfcc-tools)")


if __name__ == "__main__":
    main()
