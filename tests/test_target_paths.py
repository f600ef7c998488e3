"""memstacks on targets whose files are not where, or not what, a plain path says:
names with spaces or a newline, a library deleted after loading, a deleted
executable, a stripped one, and a process in another mount namespace. Where
names can be had the figures are exact per site; where libbcc cannot name the
target's functions, they are exact per allocator function, and one warning
says why."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import ground_truth  # noqa: E402
from harness import ToolTestCase, WaitingTarget, target_path, trace_waiting_target  # noqa: E402
from test_allocators import JEMALLOC, expected_for, require  # noqa: E402
from test_memstacks import GroundTruthMixin  # noqa: E402

# A frame no symbol names: its object and file offset.
UNNAMED = re.compile(r".+\+0x[0-9a-f]+")
READ_ELSEWHERE = "its functions named, through /proc/"


def per_allocator(table):
    """(bytes, allocations) per allocator function, from a (site, leaf) table."""
    totals = {}
    for (_, leaf), (bytes_, count) in table.items():
        old_bytes, old_count = totals.get(leaf, (0, 0))
        totals[leaf] = (old_bytes + bytes_, old_count + count)
    return totals


def per_allocator_from_unnamed_callers(report):
    """The same from a report, for the stacks whose caller could not be named:
    the target's sites (glibc's own allocations keep their names)."""
    return per_allocator({(index, stack["frames"][-1]): (stack["bytes"], stack["allocations"])
                          for index, stack in enumerate(report["stacks"])
                          if len(stack["frames"]) > 1 and UNNAMED.fullmatch(stack["frames"][-2])})


class TargetPaths(GroundTruthMixin, ToolTestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="memstacks-paths-")

    def tearDown(self):
        shutil.rmtree(self.directory)
        super().tearDown()

    def copy(self, source, *parts):
        """`source` copied to the directory `parts` under the test's own."""
        directory = os.path.join(self.directory, *parts[:-1])
        os.makedirs(directory, exist_ok=True)
        return shutil.copy2(source, os.path.join(directory, parts[-1]))

    def trace(self, target, after_start=None):
        """memstacks -v on a started WaitingTarget; `after_start` runs before tracing."""
        try:
            if after_start:
                after_start()
            run = trace_waiting_target("memstacks", target, ["-v"])
            self.assertEqual(target.finish(), 0, "the target must finish normally")
        finally:
            target.kill()
        return run

    def assertNamesObject(self, run, path):
        self.assertIn(f"memstacks: {path}: allocation functions probed", run.stderr,
                      "the object's allocators were attached")

    def assertWarnsReadElsewhere(self, run, path):
        """One warning line for `path`: it is read, and named, through /proc."""
        warnings = [line for line in run.stderr.splitlines()
                    if line.startswith(f"memstacks: warning: {path}, mapped by PID")]
        self.assertEqual(len(warnings), 1, run)
        self.assertIn(READ_ELSEWHERE, warnings[0])

    def trace_copies(self, program, library_directory):
        """Traces ground_truth copied to `program` (parts of a path), with jemalloc
        copied into `library_directory` and preloaded; (run, program, library)."""
        require(JEMALLOC)
        executable = self.copy(target_path("ground_truth"), *program)
        library = self.copy(JEMALLOC, library_directory, os.path.basename(JEMALLOC))
        # LD_PRELOAD splits on spaces: the library is found by name in LD_LIBRARY_PATH.
        env = {"LD_PRELOAD": os.path.basename(JEMALLOC),
               "LD_LIBRARY_PATH": os.path.dirname(library)}
        return self.trace(WaitingTarget(executable, env=env)), executable, library

    def test_spaces_in_the_executable_and_the_preloaded_allocator(self):
        run, _, library = self.trace_copies(["a dir", "ground truth"], "lib dir")
        self.assertSitesExact(run, expected_for(ground_truth.UNFREED, "memalign"))
        self.assertNamesObject(run, library)
        self.assertNotIn("warning", run.stderr)

    def test_newline_in_the_executable_and_the_preloaded_allocator(self):
        run, executable, library = self.trace_copies(["new\nline", "ground_truth"], "lib\nline")
        self.assertRunOk(run)
        # maps prints the newline as \012, and we print that backslash as \x5c
        # (every name the target chose is escaped); read through map_files.
        self.assertNamesObject(run, library.replace("\n", "\\x5c012"))
        self.assertWarnsReadElsewhere(run, executable.replace("\n", "\\x5c012"))
        self.assertWarnsReadElsewhere(run, library.replace("\n", "\\x5c012"))
        self.assertSitesExact(run, expected_for(ground_truth.UNFREED, "memalign"))

    def test_preloaded_allocator_deleted_after_loading(self):
        require(JEMALLOC)
        library = self.copy(JEMALLOC, "libjemalloc.so.2")
        target = WaitingTarget("ground_truth", env={"LD_PRELOAD": library})
        run = self.trace(target, after_start=lambda: os.unlink(library))
        self.assertSitesExact(run, expected_for(ground_truth.UNFREED, "memalign"))
        self.assertNamesObject(run, f"{library} (deleted)")
        # The allocator's own functions are not in the stacks: nothing to name there.
        self.assertWarnsReadElsewhere(run, f"{library} (deleted)")

    def test_executable_deleted_after_start(self):
        executable = self.copy(target_path("ground_truth"), "ground_truth")
        run = self.trace(WaitingTarget(executable), after_start=lambda: os.unlink(executable))
        self.assertRunOk(run)
        self.assertWarnsReadElsewhere(run, f"{executable} (deleted)")
        self.assertSitesExact(run, ground_truth.UNFREED)

    def test_stripped_executable_with_its_debug_file(self):
        executable = self.copy(target_path("ground_truth"), "ground_truth")
        subprocess.run(["objcopy", "--only-keep-debug", executable, f"{executable}.debug"],
                       check=True)
        subprocess.run(["objcopy", "--strip-all", f"--add-gnu-debuglink={executable}.debug",
                        executable], check=True)
        run = self.trace(WaitingTarget(executable))
        self.assertSitesExact(run, ground_truth.UNFREED)

    def test_stripped_executable(self):
        executable = self.copy(target_path("ground_truth"), "ground_truth")
        subprocess.run(["strip", "--strip-all", executable], check=True)
        run = self.trace(WaitingTarget(executable))
        self.assertRunOk(run)
        self.assertEqual(per_allocator_from_unnamed_callers(run.json),
                         per_allocator(ground_truth.UNFREED))
        self.assertNotIn("warning", run.stderr, "nothing is wrong with the paths")

    def test_target_in_another_mount_namespace(self):
        require(JEMALLOC)
        # Empty here; in the target's namespace a tmpfs holding its program and allocator.
        hidden = os.path.join(self.directory, "hidden")
        os.mkdir(hidden)
        library = os.path.join(hidden, os.path.basename(JEMALLOC))
        populate = ('mount -t tmpfs tmpfs "$1" && cp "$2" "$3" "$1/" && '
                    'export LD_PRELOAD="$4" && shift 4 && exec "$@"')
        wrapper = ["unshare", "--mount", "--propagation", "private", "sh", "-c", populate, "sh",
                   hidden, target_path("ground_truth"), JEMALLOC, library]
        target = WaitingTarget(os.path.join(hidden, "ground_truth"), wrapper=wrapper)
        self.assertEqual(os.listdir(hidden), [], "the target's files are not in our namespace")
        run = self.trace(target)
        self.assertSitesExact(run, expected_for(ground_truth.UNFREED, "memalign"))
        self.assertNamesObject(run, library)
        self.assertNotIn("warning", run.stderr)


if __name__ == "__main__":
    unittest.main()
