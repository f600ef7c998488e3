"""-i and --min-age: telling a leak from a cache and from requests in flight,
on a target with one of each (tests/targets/three_behaviours.c)."""
import os
import signal
import sys
import tempfile
import unittest
from xml.etree import ElementTree

sys.path.insert(0, os.path.dirname(__file__))
from harness import (ToolTestCase, WaitingTarget, finish_tool, read_until,  # noqa: E402
                     start_tool, wait_for_tracing)

LEAK_BYTES, CACHE_BYTES, REQUEST_BYTES = 8192, 40 * 2000, 500
SITES = ("steady_leak", "cache_fill", "request_handler")
SVG = "{http://www.w3.org/2000/svg}"


def trace_three_behaviours(tool, args, svg_file=None):
    """`tool` on the target from its first tick; the target stops once the tool is done."""
    target = WaitingTarget("three_behaviours")
    with tempfile.TemporaryDirectory() as directory:
        json_file = os.path.join(directory, "report.json")
        svg_args = ["--svg", svg_file] if svg_file else []
        try:
            process = start_tool(tool, ["-p", str(target.pid), *args, *svg_args], json_file)
            head = wait_for_tracing(process)
            target.process.send_signal(signal.SIGUSR1)
            run = finish_tool(process, head, json_file)
            target.process.send_signal(signal.SIGUSR1)
            read_until(target.process.stdout, "done", "the target's end")
            if target.process.wait(timeout=60) != 0:
                raise AssertionError("the target must end normally")
        finally:
            target.kill()
    return run


def by_site(report):
    """{site: stack} for the stacks whose allocator's caller is one of SITES."""
    stacks = {}
    for stack in report["stacks"]:
        caller = stack["frames"][-2] if len(stack["frames"]) >= 2 else None
        if caller in SITES:
            if caller in stacks:
                raise AssertionError(f"two stacks for {caller}")
            stacks[caller] = stack
    return stacks


class Memstacks(ToolTestCase):
    def test_classes(self):
        with tempfile.TemporaryDirectory() as directory:
            svg_file = os.path.join(directory, "classes.svg")
            run = trace_three_behaviours("memstacks", ["-i", "1", "10"], svg_file)
            svg = ElementTree.parse(svg_file).getroot()
        self.assertEqual(run.returncode, 0, run)
        report = run.json
        intervals = report["intervals"]
        self.assertIn(len(intervals["seconds"]), (9, 10), intervals)
        self.assertEqual(len(intervals["rss_kb"]), len(intervals["seconds"]))
        stacks = by_site(report)
        self.assertEqual(set(stacks), set(SITES), report["stacks"])
        self.assertEqual({site: stacks[site]["class"] for site in SITES},
                         {"steady_leak": "leak suspect", "cache_fill": "plateau",
                          "request_handler": "transient"})
        suspects = [s["frames"] for s in report["stacks"] if s["class"] == "leak suspect"]
        self.assertEqual(suspects, [stacks["steady_leak"]["frames"]], "the leak is the only suspect")
        for stack in report["stacks"]:
            self.assertEqual(len(stack["series"]), len(intervals["seconds"]))
        # The cache is full after 2 s: every later interval holds it whole.
        self.assertEqual(stacks["cache_fill"]["bytes"], CACHE_BYTES)
        self.assertEqual(stacks["cache_fill"]["series"][2:],
                         [CACHE_BYTES] * (len(intervals["seconds"]) - 2))
        self.assertEqual(stacks["steady_leak"]["bytes"] % LEAK_BYTES, 0)
        self.assertEqual(stacks["request_handler"]["bytes"] % REQUEST_BYTES, 0)
        series = stacks["steady_leak"]["series"]
        self.assertEqual(series, sorted(series))
        # A line per interval on stdout, then the report, each stack with its class.
        interval_lines = [line for line in run.stdout.splitlines() if " bytes unfreed in " in line]
        self.assertEqual(len(interval_lines), len(intervals["seconds"]))
        self.assertRegex(interval_lines[0], r"^\d\d:\d\d:\d\d \+1 s: \d+ bytes unfreed in \d+ "
                                            r"allocations from \d+ stacks; RSS \d+ kB \([+-]\d+ kB\)$")
        self.assertIn(" from stack (leak suspect)\n", run.stdout)
        self.assertIn("1 leak suspect", run.stderr)
        # The flame graph colours each frame by the class holding most of its bytes.
        frames = {g.find(SVG + "title").text: g for g in svg.iter(SVG + "g") if g.get("class") == "f"}
        classes = {site: frames[site].get("data-class") for site in SITES}
        self.assertEqual(classes, {"steady_leak": "leak suspect", "cache_fill": "plateau",
                                   "request_handler": "transient"})
        fills = {frames[site].find(SVG + "rect").get("fill") for site in SITES}
        self.assertEqual(len(fills), 3, "three classes, three colours")
        legend = [g.find(SVG + "text").text for g in svg.iter(SVG + "g") if g.get("class") == "legend"]
        self.assertEqual(legend, ["leak suspect", "plateau", "transient", "unclassified"])

    def test_min_age_drops_requests_in_flight(self):
        run = trace_three_behaviours("memstacks", ["--min-age", "1000", "4"])
        self.assertEqual(run.returncode, 0, run)
        stacks = by_site(run.json)
        self.assertNotIn("request_handler", stacks, "requests in flight are younger than 1 s")
        self.assertEqual(stacks["cache_fill"]["bytes"], CACHE_BYTES)
        self.assertEqual(run.json["min_age_ms"], 1000)
        # 4 s of leak, of which the last second is too young: about 60 of 80 ticks.
        self.assertEqual(stacks["steady_leak"]["bytes"] % LEAK_BYTES, 0)
        self.assertLess(stacks["steady_leak"]["bytes"], 70 * LEAK_BYTES)
        self.assertIn("younger than 1000 ms left out", run.stderr)

    def test_without_min_age_the_requests_show(self):
        """The control for the test above: the same trace reports the handler."""
        run = trace_three_behaviours("memstacks", ["4"])
        self.assertIn("request_handler", by_site(run.json))


class Pgfaultstacks(ToolTestCase):
    def test_intervals_and_classes(self):
        run = trace_three_behaviours("pgfaultstacks", ["-i", "1", "6"])
        self.assertEqual(run.returncode, 0, run)
        report = run.json
        self.assertIn(len(report["intervals"]["seconds"]), (5, 6))
        # The leak's pages are first touched by its memset, or by malloc
        # writing a chunk header, in Debian's libc without frame pointers: the
        # unwind tables walk on from either to the leak's own function.
        leak = max((s for s in report["stacks"] if "steady_leak" in s["frames"]),
                   key=lambda s: s["pages"])
        self.assertEqual(leak["class"], "leak suspect", leak)
        self.assertEqual(leak["series"], sorted(leak["series"]))
        self.assertEqual(len(leak["series"]), len(report["intervals"]["seconds"]))
        interval_lines = [line for line in run.stdout.splitlines() if " pages resident in " in line]
        self.assertEqual(len(interval_lines), len(report["intervals"]["seconds"]))


if __name__ == "__main__":
    unittest.main()
