"""Kernel headers found by the tools themselves: a machine whose running kernel
has none (a cloud or custom kernel, or one updated without a reboot) traces
with another installed kernel's headers, told to libbcc without a write under
/lib/modules; with none at all, one line says what to install.

Each test runs in a private mount namespace whose /lib/modules is an empty
tmpfs, so the running kernel's headers are gone there and the machine's own
mounts stay as they were."""
import glob
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import ground_truth  # noqa: E402
import page_truth  # noqa: E402
from harness import (ToolTestCase, run_command, target_path, tool_path,  # noqa: E402
                     trace_staying_command)
from test_memstacks import GroundTruthMixin  # noqa: E402

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# In a private mount namespace, an empty directory of the test's over
# /lib/modules: the running kernel's headers are gone, and whatever a tool
# or script writes there lands in that directory, for the test to see.
IN_NAMESPACE = ["unshare", "--mount", "--propagation", "private", "sh", "-c"]


def without_running_kernels(lib_modules, then=""):
    return f'mount --bind {lib_modules} /lib/modules && {then}exec "$0" "$@"'


def other_kernels_headers():
    """The installed headers trees, none of them the running kernel's."""
    trees = [tree for tree in glob.glob("/usr/src/linux-headers-*") + glob.glob("/usr/src/kernels/*")
             if os.path.exists(os.path.join(tree, "include/generated/autoconf.h"))]
    return [tree for tree in trees if not tree.endswith(platform.release())]


class OtherKernelsHeaders(GroundTruthMixin, ToolTestCase):
    def setUp(self):
        super().setUp()
        self.lib_modules = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.lib_modules)
        self.wrapper = [*IN_NAMESPACE, without_running_kernels(self.lib_modules)]
        self.trees = other_kernels_headers()
        self.assertTrue(self.trees, "no other kernel's headers installed: "
                                    "scripts/install-deps.sh tools installs linux-headers-amd64")

    def assertUsedOtherKernels(self, run):
        headers = [line for line in run.stderr.splitlines() if ": kernel headers: " in line]
        self.assertEqual(len(headers), 1, run.stderr)
        self.assertIn("none are installed for the running kernel " + platform.release(), headers[0])
        self.assertTrue(any(tree in headers[0] for tree in self.trees), headers[0])
        self.assertEqual(os.listdir(self.lib_modules), [])

    def test_memstacks_traces_as_usual(self):
        run = run_command("memstacks", ["-v", "-c", target_path("ground_truth")],
                          wrapper=self.wrapper)
        self.assertSitesExact(run, ground_truth.UNFREED)
        self.assertUsedOtherKernels(run)

    def test_pgfaultstacks_traces_as_usual(self):
        run, output = trace_staying_command("pgfaultstacks", "page_toucher", ["-v"],
                                            wrapper=self.wrapper)
        self.assertEqual(run.returncode, 0, run)
        self.assertEqual(page_truth.per_site(run.json), page_truth.expected(output))
        self.assertUsedOtherKernels(run)

    def test_no_headers_at_all(self):
        """/usr/src hidden too: the one line that says what to install, on both kinds of system."""
        script = without_running_kernels(self.lib_modules, "mount -t tmpfs none /usr/src && ")
        for tool in ("memstacks", "pgfaultstacks"):
            with self.subTest(tool=tool):
                run = subprocess.run([*IN_NAMESPACE, script, tool_path(tool), "-c", "true"],
                                     capture_output=True, text=True)
                self.assertEqual(run.returncode, 1, run.stderr)
                self.assertEqual(len(run.stderr.splitlines()), 1, run.stderr)
                self.assertEqual(os.listdir(self.lib_modules), [])
                self.assertRegex(run.stderr, rf"^{tool}: cannot compile the BPF program: no kernel"
                                 r" headers are installed, .*\(install kernel-devel on RPM"
                                 r" distributions, linux-headers-\S+ on Debian")

    def test_setup_script_writes_nothing_under_lib_modules(self):
        run = subprocess.run([*self.wrapper, "bash",
                              os.path.join(REPOSITORY, "scripts/install-deps.sh"), "tools"],
                             capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(os.listdir(self.lib_modules), [])


if __name__ == "__main__":
    unittest.main()
