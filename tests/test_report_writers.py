"""The report writers on stacks of several processes (stack_owner) and the
per-process totals, exactly as written: tests/report_writers.c fills a fixed
report, one process with a hostile comm, and prints every output. No BPF."""
import json
import os
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ElementTree

sys.path.insert(0, os.path.dirname(__file__))
from harness import target_path  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"
# An escape sequence and the folded separator: shown as \xNN, never raw.
WORKER = "worker;\x1b[1m"
WORKER_SHOWN = "worker;\\x1b[1m"


def sections():
    """Each output of report_writers, by the name on its "== NAME ==" line."""
    output = subprocess.run([target_path("report_writers")], capture_output=True, text=True,
                            check=True).stdout
    named, name = {}, None
    for line in output.splitlines(keepends=True):
        if line.startswith("== ") and line.endswith(" ==\n"):
            name = line[3:-4]
            named[name] = ""
        else:
            named[name] += line
    return named


class WriterOutputs(unittest.TestCase):
    def setUp(self):
        self.out = sections()


class OwnedStacks(WriterOutputs):
    def test_text_and_brief(self):
        self.assertEqual(self.out["text"],
                         "\t8192 bytes in 4 allocations from stack\n"
                         "\t\tmalloc\n\t\thandle\n\t\tmain\n"
                         "\t\t-  redis-server (100)\n"
                         "\t1000 bytes in 1 allocations from stack\n"
                         "\t\tmalloc\n\t\thandle\n\t\tmain\n"
                         f"\t\t-  {WORKER_SHOWN} (200)\n"
                         "\t500 bytes in 5 allocations from stack\n"
                         "\t\tgrow\n\t\tmain\n"
                         f"\t\t-  {WORKER_SHOWN} (200)\n"
                         "\t10 bytes in 1 allocations from stack\n"
                         "\t\tother\n\t\tmain\n"
                         "\t\t-  redis-server (100)\n",
                         "merged within a pid, apart across pids; the first comm a pid came with")
        self.assertEqual(self.out["brief"],
                         "    redis-server[100] 8192 bytes  malloc <- handle\n"
                         f"    {WORKER_SHOWN}[200] 1000 bytes  malloc <- handle\n"
                         f"    {WORKER_SHOWN}[200] 500 bytes  grow <- main\n")

    def test_folded(self):
        self.assertEqual(self.out["folded"],
                         "redis-server;main;handle;malloc 8192\n"
                         "worker\\x3b\\x1b[1m;main;handle;malloc 1000\n"
                         "worker\\x3b\\x1b[1m;main;grow 500\n"
                         "redis-server;main;other 10\n",
                         "each line's root frame is its own process's comm, not the caller's")

    def test_json(self):
        stacks = json.loads(self.out["json"])["stacks"]
        self.assertEqual(stacks, [
            {"pid": 100, "comm": "redis-server", "frames": ["main", "handle", "malloc"],
             "bytes": 8192, "allocations": 4},
            {"pid": 200, "comm": WORKER, "frames": ["main", "handle", "malloc"],
             "bytes": 1000, "allocations": 1},
            {"pid": 200, "comm": WORKER, "frames": ["main", "grow"],
             "bytes": 500, "allocations": 5},
            {"pid": 100, "comm": "redis-server", "frames": ["main", "other"],
             "bytes": 10, "allocations": 1},
        ])

    def test_flame_graph(self):
        root = ElementTree.fromstring(self.out["svg"])
        frames = [(g.find(SVG + "title").text, int(g.get("data-d")), int(g.get("data-x")),
                   int(g.get("data-w")))
                  for g in root.iter(SVG + "g") if g.get("class") == "f"]
        self.assertEqual(root.get("data-total"), "9702")
        # A tower per process: its frame between "all" and its stacks' roots.
        self.assertEqual([frame for frame in frames if frame[1] <= 2], [
            ("all", 0, 0, 9702),
            ("redis-server (100)", 1, 0, 8202),
            ("main", 2, 0, 8202),
            (f"{WORKER_SHOWN} (200)", 1, 8202, 1500),
            ("main", 2, 8202, 1500),
        ])
        self.assertIn(("malloc", 4, 8202, 1000), frames)

    def test_trends_follow_each_process(self):
        stacks = json.loads(self.out["trends json"])["stacks"]
        self.assertEqual([(s["pid"], s["series"]) for s in stacks], [(2, [70, 30]), (1, [10, 20])],
                         "the same frames in two processes are two series")


class ProcessTotals(WriterOutputs):
    def test_text(self):
        self.assertEqual(self.out["process totals text"],
                         "    PID        BYTES  ALLOCATIONS  RSS-GROWTH  COMM\n"
                         "    100         8202            5    +8500 kB  redis-server\n"
                         f"    200         1500            6      exited  {WORKER_SHOWN}\n"
                         "    300            0            0     -200 kB  idle\n")

    def test_json(self):
        self.assertEqual(json.loads(self.out["process totals json"])["processes"], [
            {"pid": 100, "comm": "redis-server", "bytes": 8202, "allocations": 5,
             "rss_growth_kb": 8500, "exited": False},
            {"pid": 200, "comm": WORKER, "bytes": 1500, "allocations": 6,
             "rss_growth_kb": None, "exited": True},
            {"pid": 300, "comm": "idle", "bytes": 0, "allocations": 0,
             "rss_growth_kb": -200, "exited": False},
        ])


if __name__ == "__main__":
    unittest.main()
