"""What the benchmark runners share: running a target under a tracer, medians, the table."""
import os
import re
import select
import signal
import statistics
import subprocess
import sys

LINE_TIMEOUT_S = 120


def read_line(stream, what):
    ready, _, _ = select.select([stream], [], [], LINE_TIMEOUT_S)
    line = stream.readline() if ready else ""
    if not line:
        sys.exit(f"bench: no {what} within {LINE_TIMEOUT_S} s")
    return line


def one_run(target, metric, tracer, ready_text, merged_output=False):
    """Starts `target` (it prints "ready PID" and waits for SIGUSR1), attaches
    `tracer` ("{pid}" replaced), waits for `ready_text` in the tracer's output,
    lets the target run and returns the value it prints after `metric`."""
    loop = subprocess.Popen(target, stdout=subprocess.PIPE, text=True)
    pid = int(read_line(loop.stdout, "ready line").split()[1])
    process = None
    try:
        if tracer:
            command = [arg.replace("{pid}", str(pid)) for arg in tracer]
            # Our tools say "Tracing" on stderr once attached; bcc's tools print on stdout.
            process = subprocess.Popen(command, text=True,
                                       stdout=subprocess.PIPE if merged_output else subprocess.DEVNULL,
                                       stderr=subprocess.STDOUT if merged_output else subprocess.PIPE)
            output = process.stdout if merged_output else process.stderr
            while ready_text not in read_line(output, "tracer's attach line"):
                pass
        loop.send_signal(signal.SIGUSR1)
        value = float(re.match(metric + r" (\S+)", read_line(loop.stdout, "result")).group(1))
        loop.wait()
    finally:
        if process:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=LINE_TIMEOUT_S)
        if loop.poll() is None:
            loop.kill()
    return value


def run_configurations(configurations, runs, target, metric):
    """Medians by configuration name; each configuration is (name, tracer, ready_text, merged)."""
    medians = {}
    for name, tracer, ready, merged in configurations:
        samples = [one_run(target, metric, tracer, ready, merged) for _ in range(runs)]
        medians[name] = statistics.median(samples)
        print(f"# {name}: " + " ".join(f"{s:.1f}" for s in samples), file=sys.stderr)
    return medians


def print_table(title, unit, medians, floors=None):
    """Medians, the cost added over the untraced run, and that cost as a ratio of a floor's."""
    base = medians["untraced"]
    print(title)
    print(f"{'configuration':48} {unit:>10} {'added':>9} {'x base':>7} {'x floor':>8}")
    for name, value in medians.items():
        added = value - base
        ratio = ""
        floor = (floors or {}).get(name)
        if floor in medians and medians[floor] > base:
            ratio = f"{added / (medians[floor] - base):.2f}"
        print(f"{name:48} {value:10.1f} {added:9.1f} {value / base:7.2f} {ratio:>8}")


def default_build():
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build")
