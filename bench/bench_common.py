"""What the benchmark runners share: running a target under a tracer, medians, the table."""
import ctypes
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
        sys.exit(f"bench: no {what} within {LINE_TIMEOUT_S} s")
    return line.decode(errors="replace") if isinstance(line, bytes) else line


def start_tracer(tracer, pid, ready_text, merged_output=False):
    """`tracer` ("{pid}" replaced by `pid`) running, once `ready_text` shows in its output."""
    command = [arg.replace("{pid}", str(pid)) for arg in tracer]
    # Our tools say "Tracing" on stderr once attached; bcc's tools print on stdout.
    # Unbuffered: a buffered stream would take a warning and the "Tracing" line
    # that follows it in one read, and select() would then wait for a line
    # already read.
    process = subprocess.Popen(command, bufsize=0,
                               stdout=subprocess.PIPE if merged_output else subprocess.DEVNULL,
                               stderr=subprocess.STDOUT if merged_output else subprocess.PIPE)
    output = process.stdout if merged_output else process.stderr
    try:
        while ready_text not in read_line(output, "tracer's attach line"):
            pass
    except BaseException:
        process.kill()
        process.wait()
        raise
    return process


def stop_tracer(process):
    """Ends a tracer as Ctrl-C would, once it has written its report; kills one
    that has not ended by then (the figure was taken before: it stands). What
    it wrote after its ready line (our tools' summary), as text."""
    process.send_signal(signal.SIGINT)
    try:
        stdout, stderr = process.communicate(timeout=LINE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        print(f"bench: {process.args[0]} did not end on SIGINT: killed", file=sys.stderr)
        process.kill()
        stdout, stderr = process.communicate()
    return (stdout or b"").decode(errors="replace") + (stderr or b"").decode(errors="replace")


def one_run(target, metric, tracer, ready_text, merged_output=False, tracer_figures=None):
    """Starts `target` (it prints "ready PID" and waits for SIGUSR1), attaches
    `tracer` (see start_tracer), lets the target run and returns the value it
    prints after `metric`. If `tracer_figures` is a dict, it gets the
    tracer's BPF run time over the run ("bpf_ns", see bpf_run_time_ns) and
    its last words ("output", see stop_tracer)."""
    loop = subprocess.Popen(target, stdout=subprocess.PIPE, text=True)
    pid = int(read_line(loop.stdout, "ready line").split()[1])
    process = None
    try:
        if tracer:
            process = start_tracer(tracer, pid, ready_text, merged_output)
            bpf_start_ns = bpf_run_time_ns(process.pid)
        loop.send_signal(signal.SIGUSR1)
        value = float(re.match(metric + r" (\S+)", read_line(loop.stdout, "result")).group(1))
        loop.wait()
        if process and tracer_figures is not None:
            tracer_figures["bpf_ns"] = bpf_run_time_ns(process.pid) - bpf_start_ns
    finally:
        if process:
            output = stop_tracer(process)
            if tracer_figures is not None:
                tracer_figures["output"] = output
        if loop.poll() is None:
            loop.kill()
    return value


def run_configurations(configurations, runs, target, metric):
    """Medians by configuration name of what `target` prints after `metric` (see one_run)."""
    def measure(tracer, ready, merged):
        return {metric: one_run(target, metric, tracer, ready, merged)}
    return sample_configurations(configurations, runs, measure)[metric]


def sample_configurations(configurations, runs, measure):
    """Medians by metric, then by configuration name. Each configuration is
    (name, tracer, ready_text, merged); measure(tracer, ready_text, merged)
    makes one run and returns {metric: value}. The configurations take turns,
    one run each per round, so that a machine that slows down or speeds up
    over the bench weighs on all of them alike."""
    samples_by_name = {name: [] for name, _, _, _ in configurations}
    for _ in range(runs):
        for name, tracer, ready, merged in configurations:
            samples_by_name[name].append(measure(tracer, ready, merged))
    medians = {}
    for name, samples in samples_by_name.items():
        for metric in samples[0]:
            values = [sample[metric] for sample in samples]
            medians.setdefault(metric, {})[name] = statistics.median(values)
            print(f"# {name}: {metric} " + " ".join(f"{v:.1f}" for v in values), file=sys.stderr)
    return medians


# memleak-bpfcc's report interval, in seconds.
MEMLEAK_INTERVAL_S = 1


def memleak_configuration(name="memleak-bpfcc"):
    """bcc's memleak-bpfcc as a configuration; None when it is not installed."""
    memleak = shutil.which("memleak-bpfcc")
    if not memleak:
        return None
    # memleak prints "Attaching" before it even compiles: only its first
    # report, an interval after attaching, proves its probes are in.
    return (name, ["env", "PYTHONUNBUFFERED=1", memleak, "-p", "{pid}",
                   str(MEMLEAK_INTERVAL_S)], "outstanding allocations", True)


ENTRY_RETURN_FREE = "empty probes at entries: malloc+return, free"
ENTRY = "empty probe at entry: malloc"
PLACED_RETURN_FREE = "empty probes placed: malloc+return, free"
PLACED = "empty probe placed: malloc"

# Each memstacks configuration against the empty probes at the same places.
MEMSTACKS_FLOORS = {"memstacks (unfreed)": PLACED_RETURN_FREE, "memstacks -a": PLACED,
                    "memstacks --probe-at-entry": ENTRY_RETURN_FREE,
                    "memstacks -a --probe-at-entry": ENTRY}


def memstacks_configurations(build, allocator_object):
    """Untraced; the empty-probe floors on malloc and free of the object whose path
    contains `allocator_object` (at the entries and where memstacks places its
    probes); memstacks in each mode, with its placement and at the entries."""
    memstacks = os.path.join(build, "memstacks")
    empty = [os.path.join(build, "bench", "empty_probes"), "{pid}", allocator_object]
    return [
        ("untraced", None, None, False),
        (ENTRY_RETURN_FREE, empty, "Tracing", False),
        (ENTRY, [*empty, "entry"], "Tracing", False),
        (PLACED_RETURN_FREE, [*empty, "placed"], "Tracing", False),
        (PLACED, [*empty, "entry", "placed"], "Tracing", False),
        ("memstacks (unfreed)", [memstacks, "-p", "{pid}"], "Tracing", False),
        ("memstacks -a", [memstacks, "-a", "-p", "{pid}"], "Tracing", False),
        ("memstacks --probe-at-entry", [memstacks, "--probe-at-entry", "-p", "{pid}"],
         "Tracing", False),
        ("memstacks -a --probe-at-entry", [memstacks, "-a", "--probe-at-entry", "-p", "{pid}"],
         "Tracing", False),
    ]


def only_configurations(configurations, name, floors):
    """The configurations whose name contains `name`, with the untraced run and
    the floors (by configuration name) they are compared with."""
    chosen = {c[0] for c in configurations if name in c[0]}
    needed = chosen | {"untraced"} | {floors[c] for c in chosen if c in floors}
    return [c for c in configurations if c[0] in needed]


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


def bpf_fdinfo(pid):
    """The fdinfo fields of each file `pid` holds open, as dicts of text."""
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                yield dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue


def map_memory_bytes(pid):
    """Kernel memory of the BPF maps `pid` holds open: the memlock of each map fd."""
    return sum(int(fields.get("memlock", "0")) for fields in bpf_fdinfo(pid)
               if "map_type" in fields)


def status_kb(pid, field="VmRSS"):
    """A memory figure of /proc/PID/status, in kB (0 once the process is gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def with_tracefs(command):
    """`command` run where tracefs is mounted, as bcc's tools need (stackcount
    attaches a tracepoint through it): in a private mount namespace, with
    tracefs mounted there if the machine has none. The command keeps the PID
    (unshare and sh exec it) and runs unbuffered (it says "Tracing" on stdout)."""
    script = ('[ -e /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing;'
              ' exec env PYTHONUNBUFFERED=1 "$0" "$@"')
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, *command]


def bpf_run_time_ns(pid):
    """The run time of every BPF program `pid` holds open, summed, by the
    kernel's own statistics (0 unless they are on: see run_time_statistics)."""
    return sum(int(fields.get("run_time_ns", "0")) for fields in bpf_fdinfo(pid)
               if "prog_type" in fields)


SYS_BPF = 321
BPF_ENABLE_STATS = 32
BPF_STATS_RUN_TIME = 0


def run_time_statistics():
    """Turns the kernel's BPF run-time statistics on for as long as the
    returned fd stays open (Linux 5.8): each program's run then costs two
    clock reads more."""
    libc = ctypes.CDLL(None, use_errno=True)
    attr = ctypes.create_string_buffer(BPF_STATS_RUN_TIME.to_bytes(4, "little"), 128)
    fd = libc.syscall(SYS_BPF, BPF_ENABLE_STATS, attr, 4)
    if fd < 0:
        sys.exit(f"bench: cannot turn BPF run-time statistics on: {os.strerror(ctypes.get_errno())}")
    return fd
