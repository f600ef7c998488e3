"""memstacks on a real server: Debian's redis-server (7.0, on libjemalloc2),
filled with keys while traced.

What a SET of a new key leaves allocated is known to the byte, so the report is
held to it; the report's total is then set beside the server's RSS growth, and
the gap between the two is taken apart with the server's own INFO figures:
memstacks counts the bytes asked for, redis's used_memory counts jemalloc's
size class of each, and RSS also holds the pages jemalloc keeps but has not
handed out.

Debian builds redis-server without frame pointers (zmalloc keeps a pointer in
%rbp): a frame-pointer walk ends at malloc's direct caller. memstacks walks it
by the unwind tables of its .eh_frame instead, up to main, through the
commands (setCommand, dbAdd): test_unwinding.py holds it to that. The figures
here are by malloc's direct caller, redis's allocator wrappers (zmalloc,
zmalloc_usable). The binary keeps its dynamic symbols (.dynsym, built with
-rdynamic) but not .symtab: static functions show as redis-server+0x<offset>.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import (LINE_TIMEOUT_S, ToolTestCase, finish_tool, start_tool,  # noqa: E402
                     text_mapping_differences, wait_for_tracing)
from redis_server import REDIS_SERVER, RedisServer, rss_kb  # noqa: E402

# redis-benchmark's keys are "key:" and 12 digits; about 63,000 distinct keys
# of 1000 bytes: some 65 MB, in about 8 s under tracing.
VALUE_BYTES = 1000
FILL = ["-t", "set", "-n", "100000", "-r", "100000", "-d", str(VALUE_BYTES), "-q"]

# What a SET of a new key leaves allocated in redis 7.0, by malloc's caller:
# (what, bytes asked for, jemalloc's size class for them).
PER_KEY = {
    "zmalloc_usable": [("the key's sds copy: 1-byte header, 16 characters, NUL", 18, 32),
                       ("the value's sds: 5-byte header, 1000 bytes, NUL", 1006, 1024)],
    "zmalloc": [("the value's object", 16, 16),
                ("the dict entry", 24, 32)],
}
# What a client may still hold when the probes come off: the last redis-cli's
# query and reply buffers (16 KiB each) and its client structures, if the
# server has not yet handled its close.
CLIENT_BYTES = 64 * 1024
CLIENT_ALLOCATIONS = 16


def defined_functions(binary):
    """Names of the functions `binary` exports (.dynsym; Debian strips .symtab)."""
    listing = subprocess.run(["nm", "-D", "--defined-only", binary],
                             capture_output=True, text=True, check=True).stdout
    return {fields[2] for fields in map(str.split, listing.splitlines())
            if len(fields) == 3 and fields[1] in "Tt"}


def per_caller(report):
    """Bytes and allocations by the allocator's direct caller."""
    totals = {}
    for stack in report["stacks"]:
        caller = stack["frames"][-2] if len(stack["frames"]) >= 2 else None
        bytes_, allocations = totals.get(caller, (0, 0))
        totals[caller] = (bytes_ + stack["bytes"], allocations + stack["allocations"])
    return totals


class UnderPid(ToolTestCase):
    def setUp(self):
        self.server = RedisServer()
        self.addCleanup(self.server.stop)

    def wait_for_clients_to_close(self):
        """INFO, once the server has let go of every client but the one asking."""
        deadline = time.monotonic() + LINE_TIMEOUT_S
        while True:
            info = self.server.info()
            if info["connected_clients"] == "1":
                return info
            if time.monotonic() > deadline:
                raise AssertionError(f"clients still connected: {info['connected_clients']}")
            time.sleep(0.05)    # polling the server's replies, not standing in for one

    def memory(self, info=None):
        """The server's memory by its RSS, redis's count and jemalloc's, read together.

        Read only while the server is idle (no client but the one asking), so
        the three agree in time.
        """
        info = info or self.server.info("memory")
        return {"rss": rss_kb(self.server.pid) * 1024, "used_memory": int(info["used_memory"]),
                **self.server.allocator_stats()}

    def trace_fill(self):
        """Fills the server under memstacks: the run, INFO and the memory before and after."""
        server = self.server
        with tempfile.TemporaryDirectory() as directory:
            json_file = os.path.join(directory, "report.json")
            process = start_tool("memstacks", ["-p", str(server.pid)], json_file)
            head = wait_for_tracing(process)
            before = self.memory()
            server.benchmark(*FILL)
            info = self.wait_for_clients_to_close()
            after = self.memory(info)
            # The client that read the memory is let go before the probes come off.
            self.wait_for_clients_to_close()
            process.send_signal(signal.SIGINT)
            run = finish_tool(process, head, json_file)
        self.assertRunOk(run)
        return run, info, before, after

    def test_filling_with_keys(self):
        run, info, before, after = self.trace_fill()
        report = run.json
        keys = int(re.match(r"keys=(\d+)", info["db0"]).group(1))

        def growth(field):
            return after[field] - before[field]

        with self.subTest("every allocation followed"):
            self.assertEqual(report["lost"]["live_blocks"], 0, run)
            self.assertEqual(report["lost"]["threads"], 0, run)

        with self.subTest("what each new key left allocated, by malloc's caller"):
            callers = per_caller(report)
            for caller, blocks in PER_KEY.items():
                bytes_, allocations = callers.get(caller, (0, 0))
                expected = keys * sum(asked for _, asked, _ in blocks)
                self.assertGreaterEqual(bytes_, expected, caller)
                self.assertLessEqual(bytes_, expected + CLIENT_BYTES, caller)
                self.assertGreaterEqual(allocations, keys * len(blocks), caller)
                self.assertLessEqual(allocations, keys * len(blocks) + CLIENT_ALLOCATIONS, caller)

        total = report["total_bytes"]
        # The gap between the bytes asked for and the RSS growth, in the server's terms.
        rounding = keys * sum(usable - asked for blocks in PER_KEY.values()
                              for _, asked, usable in blocks)
        rss_growth = growth("rss")
        # Pages jemalloc has handed out but not filled (the free regions of its
        # slabs), and what else it counts resident: its metadata and the freed
        # pages it keeps. That count is a maximum, as jemalloc's manual says: in
        # about one run of five its metadata grows by a further 2 MiB that RSS
        # does not see, pages it has mapped but not yet touched.
        unfilled = growth("active") - growth("allocated")
        kept = growth("resident") - growth("active")
        figures = (f"{keys} keys; RSS growth {rss_growth}, memstacks {total} "
                   f"({total / rss_growth:.3f}); used_memory growth {growth('used_memory')}, "
                   f"size-class rounding of the keys {rounding}; jemalloc's pages handed out "
                   f"but not filled {unfilled}, its metadata and kept free pages at most {kept}")
        print(figures, file=sys.stderr)

        with self.subTest("the total is the RSS growth, within 10%"):
            self.assertLessEqual(abs(total - rss_growth), rss_growth * 0.10, figures)
        with self.subTest("redis counts the same bytes at jemalloc's size classes"):
            self.assertLessEqual(abs(growth("used_memory") - (total + rounding)), total * 0.01,
                                 figures)
        with self.subTest("the rest of the RSS growth is jemalloc's pages: the handed out "
                          "ones, and some of those it keeps"):
            handed_out = growth("used_memory") + unfilled
            # 1% for what the server touches outside jemalloc (stacks, libc).
            self.assertGreaterEqual(rss_growth, handed_out * 0.99, figures)
            self.assertLessEqual(rss_growth, (handed_out + kept) * 1.01, figures)

        with self.subTest("the stacks holding 95% of the bytes start in redis's own functions"):
            redis_functions = defined_functions(shutil.which(REDIS_SERVER))
            self.assertEqual(report["stacks"][0]["frames"][-2:], ["zmalloc_usable", "malloc"])
            covered = 0
            for stack in report["stacks"]:
                if covered >= total * 0.95:
                    break
                self.assertIn(stack["frames"][-2], redis_functions, stack)
                covered += stack["bytes"]

        with self.subTest("the server is unharmed"):
            for library in ("libjemalloc", "libc.so"):
                self.assertEqual(text_mapping_differences(self.server.pid, library), 0,
                                 f"a breakpoint stayed in the server's {library}")
            self.assertEqual(self.server.ping(), "PONG")
            key = self.server.cli("randomkey")
            self.assertRegex(key, r"^key:\d{12}$")
            self.assertEqual(len(self.server.cli("get", key)), VALUE_BYTES)


if __name__ == "__main__":
    unittest.main()
