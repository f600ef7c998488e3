"""The bundled demo (examples/forwarder.c) under -i: its real leak, the trace
contexts nothing frees, is the only leak suspect; its route cache is not."""
import os
import socket
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BUILD, ToolTestCase, finish_tool, read_line,  # noqa: E402
                     start_tool, wait_for_tracing)

REQUESTS, RATE = 16000, 2000	# 8 s of steady load


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Demo(ToolTestCase):
    def test_the_leak_is_the_only_suspect(self):
        port = free_port()
        forwarder = subprocess.Popen([os.path.join(BUILD, "examples", "forwarder"), str(port)],
                                     stdout=subprocess.PIPE, text=True)
        self.addCleanup(forwarder.wait)
        self.addCleanup(forwarder.kill)
        self.assertIn("listening", read_line(forwarder.stdout, "the forwarder's start"))
        with tempfile.TemporaryDirectory() as directory:
            json_file = os.path.join(directory, "report.json")
            process = start_tool("memstacks", ["-p", str(forwarder.pid), "-i", "1", "8"],
                                 json_file)
            head = wait_for_tracing(process)
            driver = subprocess.run([os.path.join(BUILD, "examples", "load_driver"), str(port),
                                     str(REQUESTS), str(RATE)], capture_output=True, text=True)
            run = finish_tool(process, head, json_file)
        self.assertEqual(driver.returncode, 0, driver.stderr)
        self.assertEqual(run.returncode, 0, run)
        suspects = [s["frames"] for s in run.json["stacks"] if s["class"] == "leak suspect"]
        self.assertEqual(len(suspects), 1, suspects)
        self.assertEqual(suspects[0][-2:], ["record_trace_context", "malloc"])
        routes = [s for s in run.json["stacks"] if "lookup_route" in s["frames"]]
        self.assertTrue(routes)
        for stack in routes:
            self.assertNotEqual(stack["class"], "leak suspect", stack)


if __name__ == "__main__":
    unittest.main()
