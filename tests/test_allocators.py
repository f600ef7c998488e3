"""memstacks on allocators other than glibc's: preloaded, linked, linked into the
executable, loaded by dlopen, through their own API and through C++'s
operators. The same ground truth gives the same exact figures."""
import os
import re
import signal
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import allocator_truth  # noqa: E402
import ground_truth  # noqa: E402
from harness import (ToolTestCase, WaitingTarget, finish_tool, read_line, read_until,  # noqa: E402
                     run_command, start_tool, target_path, trace_waiting_target,
                     wait_for_tracing)
from test_memstacks import GroundTruthMixin  # noqa: E402

LIBRARIES = "/usr/lib/x86_64-linux-gnu"
JEMALLOC = f"{LIBRARIES}/libjemalloc.so.2"
TCMALLOC = f"{LIBRARIES}/libtcmalloc_minimal.so.4"
MIMALLOC = f"{LIBRARIES}/libmimalloc.so.2"


def expected_for(table, memalign_leaf):
    """The glibc table, with memalign's calls under the name the allocator gives them:
    glibc and tcmalloc make memalign an alias of aligned_alloc, jemalloc does not."""
    figures = dict(table)
    figures[("leak_memalign", memalign_leaf)] = figures.pop(("leak_memalign", "aligned_alloc"))
    return figures


def require(path):
    if not os.path.exists(path):
        raise AssertionError(f"{path} is missing: scripts/install-deps.sh tests installs it")


def trace_dlopen_truth(target_args):
    """dlopen_truth --wait loading mimalloc while memstacks -v traces it, with the
    target arguments `target_args(target)` gives: the target works once the tool
    says it attached to the library. (the run, the target)"""
    require(MIMALLOC)
    target = WaitingTarget("dlopen_truth", MIMALLOC)
    try:
        with tempfile.TemporaryDirectory() as directory:
            json_file = os.path.join(directory, "report.json")
            process = start_tool("memstacks", ["-v", *target_args(target)], json_file)
            head = wait_for_tracing(process)
            target.process.send_signal(signal.SIGUSR1)
            read_until(target.process.stdout, "loaded", "the target to load the library")
            while True:
                line = read_line(process.stderr, "the tool to attach to the library")
                head.append(line)
                if re.match(r"memstacks: \S*libmimalloc\S*: allocation", line):
                    break
            target.run_work()
            process.send_signal(signal.SIGINT)
            run = finish_tool(process, head, json_file)
        if target.finish() != 0:
            raise AssertionError("the target must finish normally")
    finally:
        target.kill()
    return run, target


class AllocatorTestCase(GroundTruthMixin, ToolTestCase):
    def trace(self, target_name, *args, preload=None, attached=None):
        """Traces `target_name` --wait under -p, `preload`ed with a library; checks
        that -v names the object `attached` (the preloaded library by default)."""
        env = None
        if preload:
            require(preload)
            env = {"LD_PRELOAD": preload}
        target = WaitingTarget(target_name, env=env)
        try:
            run = trace_waiting_target("memstacks", target, ["-v", *args])
            self.assertEqual(target.finish(), 0, "the target must finish normally")
        finally:
            target.kill()
        attached = attached or preload
        if attached:
            self.assertRegex(run.stderr, rf"memstacks: \S*{re.escape(attached)}\S*: allocation",
                             "its functions were attached")
        return run


class PreloadedAllocator(AllocatorTestCase):
    def test_jemalloc_unfreed(self):
        self.assertSitesExact(self.trace("ground_truth", preload=JEMALLOC),
                              expected_for(ground_truth.UNFREED, "memalign"))

    def test_jemalloc_all(self):
        self.assertSitesExact(self.trace("ground_truth", "-a", preload=JEMALLOC),
                              expected_for(ground_truth.ALL, "memalign"),
                              failed=ground_truth.FAILED)

    def test_jemalloc_unfreed_probes_at_entry(self):
        self.assertSitesExact(self.trace("ground_truth", "--probe-at-entry", preload=JEMALLOC),
                              expected_for(ground_truth.UNFREED, "memalign"))

    def test_jemalloc_all_probes_at_entry(self):
        self.assertSitesExact(self.trace("ground_truth", "-a", "--probe-at-entry",
                                         preload=JEMALLOC),
                              expected_for(ground_truth.ALL, "memalign"),
                              failed=ground_truth.FAILED)

    def test_tcmalloc_unfreed(self):
        self.assertSitesExact(self.trace("ground_truth", preload=TCMALLOC),
                              expected_for(ground_truth.UNFREED, "aligned_alloc"))

    def test_tcmalloc_all(self):
        self.assertSitesExact(self.trace("ground_truth", "-a", preload=TCMALLOC),
                              expected_for(ground_truth.ALL, "aligned_alloc"),
                              failed=ground_truth.FAILED)


class LinkedJemalloc(AllocatorTestCase):
    """Linked with -ljemalloc: the executable's own allocator, a shared library."""

    def test_unfreed(self):
        self.assertSitesExact(self.trace("ground_truth_jemalloc", attached=JEMALLOC),
                              expected_for(ground_truth.UNFREED, "memalign"))

    def test_all(self):
        self.assertSitesExact(self.trace("ground_truth_jemalloc", "-a", attached=JEMALLOC),
                              expected_for(ground_truth.ALL, "memalign"),
                              failed=ground_truth.FAILED)


class StaticJemalloc(AllocatorTestCase):
    """jemalloc linked into the executable: found in the executable's symbols.
    glibc's reallocarray and pvalloc, which jemalloc lacks, call into it."""

    def test_unfreed(self):
        self.assertSitesExact(self.trace("ground_truth_jemalloc_static",
                                         attached="/ground_truth_jemalloc_static"),
                              expected_for(ground_truth.UNFREED, "memalign"))

    def test_all(self):
        self.assertSitesExact(self.trace("ground_truth_jemalloc_static", "-a",
                                         attached="/ground_truth_jemalloc_static"),
                              expected_for(ground_truth.ALL, "memalign"),
                              failed=ground_truth.FAILED)


class JemallocApi(AllocatorTestCase):
    """mallocx, rallocx, xallocx, sdallocx, dallocx; malloc_usable_size,
    sallocx and nallocx allocate nothing."""

    def test_unfreed(self):
        truth = allocator_truth.JEMALLOC_API
        self.assertSitesExact(self.trace("jemalloc_api_truth", attached=JEMALLOC),
                              truth.UNFREED, truth)

    def test_all(self):
        truth = allocator_truth.JEMALLOC_API
        self.assertSitesExact(self.trace("jemalloc_api_truth", "-a", attached=JEMALLOC),
                              truth.ALL, truth)


class PrefixedJemalloc(AllocatorTestCase):
    """jemalloc_api_truth on a jemalloc whose names carry the je_ prefix, linked
    into the executable beside glibc's malloc, as redis bundles it."""

    def expected(self, table):
        return {(site, "je_" + leaf): figures for (site, leaf), figures in table.items()}

    def test_unfreed(self):
        truth = allocator_truth.JEMALLOC_API
        self.assertSitesExact(self.trace("jemalloc_prefixed_truth",
                                         attached="/jemalloc_prefixed_truth"),
                              self.expected(truth.UNFREED), truth)

    def test_all(self):
        truth = allocator_truth.JEMALLOC_API
        self.assertSitesExact(self.trace("jemalloc_prefixed_truth", "-a",
                                         attached="/jemalloc_prefixed_truth"),
                              self.expected(truth.ALL), truth)


class Cpp(AllocatorTestCase):
    """operator new and new[], sized, aligned and nothrow, with their deletes:
    forwarded to malloc by libstdc++, or the allocator's own."""

    def test_libstdcxx_unfreed(self):
        truth = allocator_truth.CPP
        self.assertSitesExact(self.trace("cpp_truth", attached="libstdc++.so.6.0.30"),
                              truth.UNFREED, truth)

    def test_libstdcxx_all(self):
        truth = allocator_truth.CPP
        self.assertSitesExact(self.trace("cpp_truth", "-a", attached="libstdc++.so.6.0.30"),
                              truth.ALL, truth)

    def test_jemalloc_unfreed(self):
        truth = allocator_truth.CPP
        self.assertSitesExact(self.trace("cpp_truth", preload=JEMALLOC), truth.UNFREED, truth)

    def test_tcmalloc_unfreed(self):
        truth = allocator_truth.CPP
        self.assertSitesExact(
            self.trace("cpp_truth", preload=TCMALLOC),
            allocator_truth.cpp_with_aliases(truth.UNFREED, allocator_truth.TCMALLOC_CPP_ALIASES),
            truth)

    def test_tcmalloc_all(self):
        truth = allocator_truth.CPP
        self.assertSitesExact(
            self.trace("cpp_truth", "-a", preload=TCMALLOC),
            allocator_truth.cpp_with_aliases(truth.ALL, allocator_truth.TCMALLOC_CPP_ALIASES),
            truth)

    def test_mimalloc_unfreed(self):
        truth = allocator_truth.CPP
        self.assertSitesExact(
            self.trace("cpp_truth", preload=MIMALLOC),
            allocator_truth.cpp_with_aliases(truth.UNFREED, allocator_truth.MIMALLOC_CPP_ALIASES),
            truth)


class Dlopen(GroundTruthMixin, ToolTestCase):
    """An allocator loaded with dlopen after tracing started (mimalloc, whose
    malloc and free the target calls through dlsym)."""

    def test_under_command(self):
        """-c stops the command where the loader has mapped the library: exact."""
        require(MIMALLOC)
        truth = allocator_truth.DLOPEN
        command = f"{target_path('dlopen_truth')} {MIMALLOC}"
        for args, expected in (([], truth.UNFREED), (["-a"], truth.ALL)):
            run = run_command("memstacks", ["-v", *args, "-c", command])
            self.assertSitesExact(run, expected, truth)
            self.assertRegex(run.stderr, r"memstacks: \S*libmimalloc\S*: allocation")

    def test_under_pid(self):
        """-p attaches once it sees the loader's event: exact for what the target
        allocates after the tool says it attached."""
        run, _ = trace_dlopen_truth(lambda target: ["-p", str(target.pid)])
        self.assertSitesExact(run, allocator_truth.DLOPEN.UNFREED, allocator_truth.DLOPEN)


class CommandPreload(GroundTruthMixin, ToolTestCase):
    """-c 'env LD_PRELOAD=... program': the tool follows the command through its
    exec; what env allocated is gone with env."""

    def test_env_ld_preload(self):
        require(JEMALLOC)
        command = f"env LD_PRELOAD={JEMALLOC} {target_path('ground_truth')}"
        for args, table in (([], ground_truth.UNFREED), (["-a"], ground_truth.ALL)):
            run = run_command("memstacks", ["-v", *args, "-c", command])
            self.assertSitesExact(run, expected_for(table, "memalign"))
            self.assertRegex(run.stderr, r"memstacks: \S*libjemalloc\.so\.2: allocation")
            self.assertEqual(run.json["comm"], "ground_truth", "named after the program it became")


if __name__ == "__main__":
    unittest.main()
