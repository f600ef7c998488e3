"""memstacks on glibc against targets whose allocations are known exactly."""
import os
import re
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import ground_truth  # noqa: E402
from harness import (ToolTestCase, WaitingTarget, run_command, target_path,  # noqa: E402
                     text_mapping_differences, trace_waiting_target)


# How a frame no symbol names reads: the object's file name and the file offset.
OBJECT_OFFSET = re.compile(r"[^/\s]+\+0x[0-9a-f]+")


class GroundTruthMixin:
    def assertSitesExact(self, run, expected, truth=ground_truth, failed=None):
        """`truth`: the target's table (SITES, CALLERS, DEFAULT_CALLERS); `failed`:
        with -a, the requests that could not succeed per site, as ground_truth.FAILED."""
        self.assertEqual(run.returncode, 0, run)
        self.assertIsNotNone(run.json, run)
        self.assertEqual(ground_truth.per_site(run.json, truth.SITES), expected)
        # libbcc says so when a uprobe's perf event was closed behind our back.
        self.assertNotRegex(run.stderr, r"PERF_EVENT_IOC|perf event FD", "an fd closed twice")
        stacks = run.json["stacks"]
        if failed is not None:
            self.assertEqual(ground_truth.failed_per_site(run.json, truth.SITES), failed)
            stacks = stacks + run.json["failed_requests"]["stacks"]
        for stack in stacks:
            frames = stack["frames"]
            if len(frames) >= 2 and frames[-2] in truth.SITES:
                callers = truth.CALLERS.get(frames[-2], truth.DEFAULT_CALLERS)
                self.assertEqual(frames[-2 - len(callers):-2], callers, frames)
            for frame in frames:
                # A function without a symbol (a static one in a library shipped
                # without .symtab, as Debian's ld.so is) is its object+offset;
                # every other frame is a function's name alone.
                if not OBJECT_OFFSET.fullmatch(frame):
                    self.assertNotRegex(frame, r"\+0x|\.so", "frames are function names only")


class UnderPid(GroundTruthMixin, ToolTestCase):
    """-p: attach to a running process that waits for a signal."""

    def trace(self, *args, end="interrupt"):
        target = WaitingTarget("ground_truth")
        try:
            run = trace_waiting_target("memstacks", target, list(args), end)
            if end == "interrupt":
                self.assertEqual(text_mapping_differences(target.pid, "libc"), 0,
                                 "a breakpoint stayed in the target's libc")
            self.assertEqual(target.finish(), 0, "the target must finish normally")
        finally:
            target.kill()
        return run

    def test_unfreed(self):
        run = self.trace()
        self.assertSitesExact(run, ground_truth.UNFREED)
        self.assertEqual(run.json["mode"], "unfreed")
        self.assertEqual(run.json["end"], "interrupted")

    def test_all(self):
        run = self.trace("-a")
        self.assertSitesExact(run, ground_truth.ALL, failed=ground_truth.FAILED)
        self.assertEqual(run.json["mode"], "all")

    def test_all_reports_impossible_requests_apart(self):
        """Requests larger than the address space stay out of every figure, and
        are reported apart, per stack, in the text report, the summary and JSON."""
        run = self.trace("-a")
        self.assertSitesExact(run, ground_truth.ALL, failed=ground_truth.FAILED)
        report = run.json
        # The totals are the stacks' own, and only the target's threads'
        # creation allocates outside its sites while traced.
        self.assertEqual(report["total_bytes"], sum(s["bytes"] for s in report["stacks"]))
        self.assertEqual(report["total_allocations"],
                         sum(s["allocations"] for s in report["stacks"]))
        for stack in report["stacks"]:
            if stack["frames"][-2] not in ground_truth.SITES:
                self.assertIn("run_threads", stack["frames"], stack)
        summary = re.search(r"memstacks: (\d+) bytes allocated in (\d+) allocations .*; "
                            r"(\d+) requests? that could not succeed left out "
                            r"\(the largest (\d+) bytes\)\n", run.stderr)
        self.assertIsNotNone(summary, run.stderr)
        requests = sum(count for count, _ in ground_truth.FAILED.values())
        largest = max(size for _, size in ground_truth.FAILED.values())
        self.assertEqual([int(x) for x in summary.groups()],
                         [report["total_bytes"], report["total_allocations"], requests, largest])

        failed = report["failed_requests"]
        self.assertEqual((failed["requests"], failed["largest_bytes"]), (requests, largest))
        self.assertEqual(len(failed["stacks"]), len(ground_truth.FAILED), failed)

        # The text report's section, leaf first: the same figures under the same frames.
        section = tool_output(run).split("with requests that could not succeed", 1)
        self.assertEqual(len(section), 2, run.stdout)
        in_text = re.findall(r"^\t(\d+) requests?, the largest (\d+) bytes, from stack\n"
                             r"((?:\t\t.*\n)+)", section[1], re.M)
        in_json = [(stack["requests"], stack["largest_bytes"], stack["frames"][::-1])
                   for stack in failed["stacks"]]
        self.assertEqual([(int(count), int(size), frames.replace("\t", "").splitlines())
                          for count, size, frames in in_text], in_json)

    def test_all_without_failures(self):
        """-a's JSON always has failed_requests; the text and summary say nothing of none."""
        target = WaitingTarget("ground_truth")
        try:
            run = run_command("memstacks", ["-a", "-p", str(target.pid), "1"])
        finally:
            target.kill()
        self.assertEqual(run.returncode, 0, run)
        self.assertEqual(run.json["failed_requests"],
                         {"requests": 0, "largest_bytes": 0, "stacks": []})
        self.assertNotIn("could not succeed", run.stdout + run.stderr)

    def test_unfreed_probes_at_entry(self):
        """Probe placement changes where probes sit, never what they count."""
        self.assertSitesExact(self.trace("--probe-at-entry"), ground_truth.UNFREED)

    def test_all_probes_at_entry(self):
        self.assertSitesExact(self.trace("-a", "--probe-at-entry"), ground_truth.ALL)

    def test_report_written_when_target_exits(self):
        run = self.trace(end="target exit")
        self.assertSitesExact(run, ground_truth.UNFREED)
        self.assertEqual(run.json["end"], "target exited")

    def test_one_thread(self):
        target = WaitingTarget("ground_truth")
        try:
            run = trace_waiting_target("memstacks", target, ["-t", str(target.pid)])
        finally:
            target.kill()
        expected = {site: figures for site, figures in ground_truth.UNFREED.items()
                    if site[0] != "thread_leak"}
        self.assertSitesExact(run, expected)

    def test_duration_ends_the_trace(self):
        target = WaitingTarget("ground_truth")
        try:
            run = run_command("memstacks", ["-p", str(target.pid), "1"])
        finally:
            target.kill()
        self.assertEqual(run.returncode, 0, run)
        self.assertEqual(run.json["end"], "duration reached")
        self.assertGreaterEqual(run.json["duration_s"], 1.0)
        self.assertEqual(run.json["total_bytes"], 0)


def tool_output(run):
    """stdout without the lines the -c command itself prints ("ready PID", "done")."""
    return "".join(line for line in run.stdout.splitlines(keepends=True)
                   if not re.fullmatch(r"(ready \d+|done)\n", line))


class UnderCommand(GroundTruthMixin, ToolTestCase):
    """-c: start the command and trace it from its first allocation."""

    def test_unfreed(self):
        run = run_command("memstacks", ["-c", target_path("ground_truth")])
        self.assertSitesExact(run, ground_truth.UNFREED)
        self.assertEqual(run.json["end"], "target exited")
        # Traced from its first allocation: stdio's buffer, made by the first printf.
        self.assertIn("_IO_file_doallocate", run.stdout)

    def test_all(self):
        run = run_command("memstacks", ["-a", "-c", target_path("ground_truth")])
        self.assertSitesExact(run, ground_truth.ALL, failed=ground_truth.FAILED)

    def test_all_folded_holds_allocations_only(self):
        run = run_command("memstacks", ["-a", "-f", "-c", target_path("ground_truth")])
        self.assertEqual(run.returncode, 0, run)
        self.assertEqual(ground_truth.failed_per_site(run.json), ground_truth.FAILED)
        folded = tool_output(run)
        self.assertNotIn("could not succeed", folded)
        self.assertNotIn("fail_beyond_address_space", folded)
        self.assertNotIn(";fail_site;calloc ", folded)
        self.assertEqual(sum(int(line.rsplit(" ", 1)[1]) for line in folded.splitlines()),
                         run.json["total_bytes"])

    def test_object_filter(self):
        for name in ["c", "libc.so.6"]:
            with self.subTest(object=name):
                run = run_command("memstacks", ["-O", name, "-c", target_path("ground_truth")])
                self.assertSitesExact(run, ground_truth.UNFREED)

    def test_verbose_names_what_was_attached(self):
        run = run_command("memstacks", ["-v", "-c", target_path("ground_truth")])
        self.assertEqual(run.returncode, 0, run)
        # One line per object: its allocation functions, then its frees.
        objects = re.findall(r"^memstacks: (/\S+): allocation functions probed on call and "
                             r"return \((\d+)\): ([^;]*); frees probed on call \((\d+)\): (.*)$",
                             run.stderr, re.M)
        self.assertEqual(len(objects), 1, run.stderr)
        path, allocation_count, allocations, free_count, frees = objects[0]
        self.assertTrue(path.endswith("/libc.so.6"), path)
        self.assertEqual(sorted(allocations.split()),
                         sorted(["malloc", "calloc", "realloc", "reallocarray", "posix_memalign",
                                 "aligned_alloc", "valloc", "pvalloc"]))
        self.assertEqual(int(allocation_count), 8)
        self.assertEqual((int(free_count), frees.split()), (1, ["free"]))

    def test_verbose_says_where_probes_sit(self):
        """The calibration finds this kernel's emulated instructions, and glibc
        2.36's free (test %rdi,%rdi; je ...) is probed on its je."""
        run = run_command("memstacks", ["-v", "-c", target_path("ground_truth")])
        self.assertEqual(run.returncode, 0, run)
        calibration = re.search(r"^memstacks: uprobe hits on this kernel, ns: (.*)$", run.stderr,
                                re.M)
        self.assertIsNotNone(calibration, run.stderr)
        hits, returns = calibration.group(1).split("; a return probe adds ")
        self.assertRegex(returns, r"^\d+$", "a return probe's own cost is measured too")
        kinds = dict(re.findall(r"([a-z0-9 ()-]+?) \d+( \(emulated\))?(?:,|$)",
                                hits.replace(", ", ",")))
        self.assertEqual(kinds.get("jcc"), " (emulated)", calibration.group(1))
        self.assertEqual(kinds.get("other"), "", "a mov is single-stepped")
        self.assertRegex(run.stderr, r"memstacks:   free: at \+3: je .* is emulated; before it test")
        self.assertRegex(run.stderr, r"memstacks:   malloc: at entry: push r12 is emulated")
        without = run_command("memstacks", ["-v", "--probe-at-entry", "-c",
                                            target_path("ground_truth")])
        self.assertRegex(without.stderr, r"memstacks:   free: at entry \(--probe-at-entry\)")
        self.assertRegex(without.stderr, r"uprobe hits on this kernel",
                         "calibrated all the same: the cost estimate needs each hit's cost")

    def test_ebpf_prints_the_specialised_program(self):
        run = run_command("memstacks", ["--ebpf", "-a", "--stack-storage-size", "123"],
                          json_report=False)
        self.assertEqual(run.returncode, 0, run)
        self.assertIn("#define MODE_ALL 1\n", run.stdout)
        self.assertIn("#define STACK_STORAGE_SIZE 123\n", run.stdout)
        self.assertIn("int malloc_entry(struct pt_regs *ctx)", run.stdout)
        self.assertNotIn('#include "memstacks.h"', run.stdout, "the shared header is inlined")

    def assertSitesShape(self, stack):
        """A site per frame: null (the allocator's leaf), or where the code is."""
        self.assertEqual(len(stack["sites"]), len(stack["frames"]))
        self.assertIsNone(stack["sites"][-1], "the allocator function named as the leaf")
        for site in stack["sites"][:-1]:
            if site is None:
                continue
            self.assertLessEqual({"object", "offset", "address"}, set(site), site)
            self.assertLessEqual(set(site), {"object", "build_id", "offset", "address",
                                             "function", "file", "line", "inlined"}, site)
            self.assertIsInstance(site["object"], str)
            self.assertIsInstance(site["offset"], int)

    def test_json_schema(self):
        run = run_command("memstacks", ["-c", target_path("ground_truth")])
        report = run.json
        for field, kind in [("tool", str), ("mode", str), ("pid", int), ("duration_s", float),
                            ("total_bytes", int), ("total_allocations", int),
                            ("rss_start_kb", int), ("rss_end_kb", int), ("lost_events", int),
                            ("stacks", list)]:
            self.assertIsInstance(report[field], kind, field)
        self.assertEqual(report["tool"], "memstacks")
        self.assertEqual(report["lost_events"], 0)
        self.assertEqual(report["total_bytes"], sum(s["bytes"] for s in report["stacks"]))
        self.assertEqual(report["total_allocations"],
                         sum(s["allocations"] for s in report["stacks"]))
        self.assertNotIn("failed_requests", report, "unfreed mode knows failures by their NULL")
        for stack in report["stacks"]:
            self.assertSitesShape(stack)

        report = run_command("memstacks", ["-a", "-c", target_path("ground_truth")]).json
        failed = report["failed_requests"]
        for field, kind in [("requests", int), ("largest_bytes", int), ("stacks", list)]:
            self.assertIsInstance(failed[field], kind, field)
        for stack in failed["stacks"]:
            self.assertEqual(sorted(stack), ["frames", "largest_bytes", "requests", "sites"])
            self.assertTrue(all(isinstance(frame, str) for frame in stack["frames"]))
            self.assertSitesShape(stack)
        self.assertEqual(failed["requests"], sum(s["requests"] for s in failed["stacks"]))
        self.assertEqual(failed["largest_bytes"],
                         max(s["largest_bytes"] for s in failed["stacks"]))

    def test_folded(self):
        run = run_command("memstacks", ["-f", "-c", target_path("ground_truth")])
        self.assertEqual(run.returncode, 0, run)
        lines = tool_output(run).splitlines()
        self.assertTrue(lines)
        stacks = {}
        for line in lines:
            match = re.fullmatch(r"([^ ;][^;]*(?:;[^;]+)+) (\d+)", line)
            self.assertIsNotNone(match, f"not a folded line: {line!r}")
            stacks[match.group(1)] = int(match.group(2))
        leak_malloc = [value for stack, value in stacks.items()
                       if stack.startswith("ground_truth;")
                       and stack.endswith(";main;run_sites;leak_malloc;malloc")]
        self.assertEqual(leak_malloc, [10000])
        self.assertEqual(run.json["total_bytes"], sum(stacks.values()))
        self.assertNotIn("Tracing", run.stdout, "the banner goes to stderr")

    def test_text_report_and_summary(self):
        run = run_command("memstacks", ["-T", "3", "-c", target_path("ground_truth")])
        self.assertEqual(run.returncode, 0, run)
        self.assertRegex(tool_output(run), r"^Top 3 of \d+ stacks with unfreed allocations:\n")
        self.assertEqual(len(re.findall(r"bytes in \d+ allocations from stack", run.stdout)), 3)
        self.assertIn("\t40000 bytes in 20 allocations from stack\n\t\tmalloc\n\t\tthread_leak\n",
                      run.stdout)
        summary = re.search(r"memstacks: (\d+) bytes unfreed in (\d+) allocations", run.stderr)
        self.assertIsNotNone(summary, run.stderr)
        self.assertEqual(int(summary.group(1)), run.json["total_bytes"])
        self.assertRegex(run.stderr, r"RSS \d+ kB -> \d+ kB \([+-]\d+ kB\)")

    def test_summary_says_what_the_probes_cost(self):
        """Every allocation traced is at least one hit, and each hit costs
        between the cheapest and the dearest trap the calibration measured."""
        run = run_command("memstacks", ["-a", "-v", "-c", target_path("ground_truth")])
        self.assertEqual(run.returncode, 0, run)
        calibration = re.search(r"uprobe hits on this kernel, ns: (.*); a return probe adds (\d+)$",
                                run.stderr, re.M)
        self.assertIsNotNone(calibration, run.stderr)
        trap_ns = [int(ns) for ns in re.findall(r" (\d+)(?: \(emulated\))?(?:,|$)",
                                                 calibration.group(1))]
        cost = re.search(r"^memstacks: probes hit (\d+) times: about ([\d.]+) s of the traced "
                         r"threads' time \(([\d.]+) s in traps, ([\d.]+) s in BPF\)", run.stderr,
                         re.M)
        self.assertIsNotNone(cost, run.stderr)
        hits, spent_s, trap_s, bpf_s = int(cost.group(1)), *map(float, cost.group(2, 3, 4))
        self.assertGreaterEqual(hits, run.json["total_allocations"])
        self.assertGreaterEqual(trap_s, hits * min(trap_ns) / 1e9 - 0.0005)
        self.assertLessEqual(trap_s, hits * (max(trap_ns) + int(calibration.group(2))) / 1e9 + 0.0005)
        # The BPF time may print as 0.000 where programs run fast: only the sum is checked.
        self.assertAlmostEqual(spent_s, trap_s + bpf_s, delta=0.0015)


if __name__ == "__main__":
    unittest.main()
