"""Nothing the traced process names can drive a terminal, forge a record or
become markup, and nothing planted at an output path redirects what we write.

The target, tests/targets/hostile_names.c, names its allocating functions and
itself with escapes, markup, separators and bytes that are not UTF-8
(tests/hostile_names.py has the names, what each leaks and how it must show).
"""
import json
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ElementTree

sys.path.insert(0, os.path.dirname(__file__))
import hostile_names  # noqa: E402
from harness import (ToolTestCase, WaitingTarget, finish_tool, run_command,  # noqa: E402
                     start_tool, target_path, wait_for_tracing)

SVG = "{http://www.w3.org/2000/svg}"
OUR_ELEMENTS = {SVG + tag for tag in ("svg", "style", "rect", "text", "g", "title", "script")}
# Characters that move a terminal's cursor, clear it, retitle it, or reorder text.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
NOBODY = 65534


def unescape(text):
    """The bytes a name had, from its escaped form: every \\xNN back to its byte."""
    return re.sub(rb"\\x([0-9a-f]{2})", lambda m: bytes([int(m.group(1), 16)]),
                  text.encode())


def trace_hostile(tool, args, json_file=None):
    """`tool` -p on hostile_names --wait, ended by SIGINT once the target has leaked."""
    target = WaitingTarget("hostile_names")
    try:
        process = start_tool(tool, ["-p", str(target.pid), *args], json_file)
        head = wait_for_tracing(process)
        target.run_work()
        process.send_signal(signal.SIGINT)
        run = finish_tool(process, head, json_file)
        target.finish()
    finally:
        target.kill()
    return run


class HostileNames(ToolTestCase):
    def assertNothingUnsafe(self, text, what):
        match = UNSAFE.search(text)
        self.assertIsNone(match, f"raw {match and match.group()!r} in {what}")

    def test_report_json_and_svg(self):
        with tempfile.TemporaryDirectory() as directory:
            svg = os.path.join(directory, "flame.svg")
            json_file = os.path.join(directory, "report.json")
            run = trace_hostile("memstacks", ["--svg", svg, "-T", "0"], json_file)
            self.assertEqual(run.returncode, 0, run)
            lint = subprocess.run(["xmllint", "--noout", svg], capture_output=True, text=True)
            self.assertEqual(lint.returncode, 0, f"not well-formed XML: {lint.stderr}")
            root = ElementTree.parse(svg).getroot()

        self.assertNothingUnsafe(run.stdout, "the text report")
        self.assertNothingUnsafe(run.stderr, "the messages")
        for name, shown in hostile_names.SHOWN.items():
            self.assertIn(f"\t\t{shown}\n", run.stdout, "each name a frame line of its own")
        self.assertIn(f"({hostile_names.COMM_SHOWN})", run.stderr, "the comm, escaped")

        # JSON: the names themselves, and the exact figures.
        self.assertEqual(run.json["comm"], hostile_names.COMM.decode())
        leaked = {}
        for stack in run.json["stacks"]:
            site = stack["frames"][-2] if len(stack["frames"]) >= 2 else None
            figures = leaked.get(site, (0, 0))
            leaked[site] = (figures[0] + stack["bytes"], figures[1] + stack["allocations"])
        for name, figures in hostile_names.LEAKS.items():
            self.assertEqual(leaked.get(hostile_names.IN_JSON[name]), figures, name)

        # SVG: only our elements; the names as text, shown as in the text report.
        self.assertEqual({element.tag for element in root.iter()} - OUR_ELEMENTS, set())
        titles = [title.text for title in root.iter(SVG + "title")]
        for shown in hostile_names.SHOWN.values():
            self.assertIn(shown, titles)
        texts = [text.text or "" for text in root.iter(SVG + "text")]
        self.assertTrue(any(f"({hostile_names.COMM_SHOWN})" in text for text in texts), texts)
        for text in titles + texts:
            self.assertNothingUnsafe(text, "the flame graph")

    def test_folded(self):
        run = trace_hostile("memstacks", ["-f"])
        self.assertEqual(run.returncode, 0, run)
        self.assertNothingUnsafe(run.stdout, "folded stacks")
        leaked = {}
        for line in run.stdout.splitlines():
            stack, value = line.rsplit(" ", 1)
            frames = [unescape(frame) for frame in stack.split(";")]
            self.assertEqual(frames[0], hostile_names.COMM, line)
            leaked[frames[-2]] = leaked.get(frames[-2], 0) + int(value)
        for name, (leaked_bytes, _) in hostile_names.LEAKS.items():
            self.assertEqual(leaked.get(name), leaked_bytes, name)
        # ';' inside a name is escaped, so it cannot start a frame of its own.
        self.assertIn(hostile_names.SHOWN[hostile_names.FORGED].replace(";", r"\x3b"),
                      run.stdout)


class OutputFiles(ToolTestCase):
    """A symbolic link another user planted at a --json or --svg path in a
    sticky, world-writable directory is replaced by the report, never followed:
    the file it points to is left as it was."""

    def plant(self, shared, victims, name):
        """A link `shared`/`name`, owned by nobody, to a new file in `victims`."""
        victim = os.path.join(victims, name + ".victim")
        with open(victim, "w") as f:
            f.write("not yours\n")
        link = os.path.join(shared, name)
        os.symlink(victim, link)
        os.lchown(link, NOBODY, NOBODY)
        return link, victim

    def check_replaced(self, tool):
        """Runs `tool` with --json and --svg at planted links; the JSON it wrote."""
        with tempfile.TemporaryDirectory() as victims, tempfile.TemporaryDirectory() as shared:
            os.chmod(shared, 0o1777)
            json_link, json_victim = self.plant(shared, victims, "report.json")
            svg_link, svg_victim = self.plant(shared, victims, "flame.svg")
            run = trace_hostile(tool, ["--json", json_link, "--svg", svg_link])
            self.assertEqual(run.returncode, 0, run)
            for victim in (json_victim, svg_victim):
                with open(victim) as f:
                    self.assertEqual(f.read(), "not yours\n", f"{victim} was written through")
            umask = os.umask(0)
            os.umask(umask)
            for path in (json_link, svg_link):
                status = os.lstat(path)
                self.assertTrue(stat.S_ISREG(status.st_mode), f"{path} is still a link")
                self.assertEqual(status.st_uid, os.getuid())
                self.assertEqual(stat.S_IMODE(status.st_mode), 0o666 & ~umask)
            self.assertEqual(sorted(os.listdir(shared)), ["flame.svg", "report.json"],
                             "temporary files left behind")
            with open(json_link) as f:
                report = json.load(f)
            lint = subprocess.run(["xmllint", "--noout", svg_link], capture_output=True,
                                  text=True)
            self.assertEqual(lint.returncode, 0, lint.stderr)
        return report

    def test_memstacks_replaces_a_planted_link(self):
        report = self.check_replaced("memstacks")
        self.assertEqual(report["total_bytes"],
                         sum(leaked for leaked, _ in hostile_names.LEAKS.values()))

    def test_pgfaultstacks_replaces_a_planted_link(self):
        report = self.check_replaced("pgfaultstacks")
        self.assertEqual(report["tool"], "pgfaultstacks")
        self.assertEqual(report["comm"], hostile_names.COMM.decode())

    def test_unwritable_path_fails_before_the_target_starts(self):
        """A path that cannot be written is one line, before the command runs or
        anything is attached; the file already made for the other option is removed."""
        with tempfile.TemporaryDirectory() as directory:
            run = run_command("memstacks", ["-c", target_path("hostile_names"),
                                            "--json", os.path.join(directory, "report.json"),
                                            "--svg", "/nonexistent-dir/flame.svg"],
                              json_report=False)
            self.assertEqual(os.listdir(directory), [], "temporary files left behind")
        self.assertEqual(run.returncode, 1, run)
        self.assertEqual(run.stderr.splitlines(),
                         ["memstacks: cannot write /nonexistent-dir/flame.svg: No such file or "
                          "directory (choose a writable path for --svg)"])
        self.assertEqual(run.stdout, "", "the command must not have started")


if __name__ == "__main__":
    unittest.main()
