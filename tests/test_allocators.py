"""memstacks on allocators other than glibc's, preloaded into the target: the
same ground truth, the same exact figures."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import ground_truth  # noqa: E402
from harness import ToolTestCase, WaitingTarget, trace_waiting_target  # noqa: E402
from test_memstacks import GroundTruthMixin  # noqa: E402

LIBRARIES = "/usr/lib/x86_64-linux-gnu"
JEMALLOC = f"{LIBRARIES}/libjemalloc.so.2"
TCMALLOC = f"{LIBRARIES}/libtcmalloc_minimal.so.4"


def expected_for(table, memalign_leaf):
    """The glibc table, with memalign's calls under the name the allocator gives them:
    glibc and tcmalloc make memalign an alias of aligned_alloc, jemalloc does not."""
    figures = dict(table)
    figures[("leak_memalign", memalign_leaf)] = figures.pop(("leak_memalign", "aligned_alloc"))
    return figures


class PreloadedAllocator(GroundTruthMixin, ToolTestCase):
    def trace(self, library, *args):
        if not os.path.exists(library):
            raise AssertionError(f"{library} is missing: scripts/install-deps.sh installs it")
        target = WaitingTarget("ground_truth", env={"LD_PRELOAD": library})
        try:
            run = trace_waiting_target("memstacks", target, ["-v", *args])
            self.assertEqual(target.finish(), 0, "the target must finish normally")
        finally:
            target.kill()
        self.assertIn(library.rsplit("/", 1)[1], run.stderr, "its functions were attached")
        return run

    def test_jemalloc_unfreed(self):
        self.assertSitesExact(self.trace(JEMALLOC), expected_for(ground_truth.UNFREED, "memalign"))

    def test_jemalloc_all(self):
        self.assertSitesExact(self.trace(JEMALLOC, "-a"), expected_for(ground_truth.ALL, "memalign"))

    def test_tcmalloc_unfreed(self):
        self.assertSitesExact(self.trace(TCMALLOC),
                              expected_for(ground_truth.UNFREED, "aligned_alloc"))

    def test_tcmalloc_all(self):
        self.assertSitesExact(self.trace(TCMALLOC, "-a"),
                              expected_for(ground_truth.ALL, "aligned_alloc"))


if __name__ == "__main__":
    unittest.main()
