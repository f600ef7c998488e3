"""The RPM a distribution's tools package would carry: cpack -G RPM builds it
from the build tree, and Debian's rpm reads its file list and requirements."""
import os
import shutil
import subprocess
import tempfile
import unittest

BUILD = os.environ.get("MEMSTACKS_BUILD",
                       os.path.join(os.path.dirname(__file__), "..", "build"))


def require(program):
    if not shutil.which(program):
        raise AssertionError(f"{program} is missing: scripts/install-deps.sh tests installs it")


class Rpm(unittest.TestCase):
    def test_package_lists_binaries_man_pages_and_requirements(self):
        require("cpack")
        require("rpm")
        with tempfile.TemporaryDirectory() as directory:
            subprocess.run(["cpack", "-G", "RPM", "-B", directory], cwd=BUILD, check=True,
                           capture_output=True, text=True)
            packages = [name for name in os.listdir(directory) if name.endswith(".rpm")]
            self.assertEqual(len(packages), 1, packages)
            package = os.path.join(directory, packages[0])
            files = subprocess.run(["rpm", "-qlp", package], check=True, capture_output=True,
                                   text=True).stdout.split()
            requires = subprocess.run(["rpm", "-qp", "--requires", package], check=True,
                                      capture_output=True, text=True).stdout.split("\n")
        # rpmbuild may compress man pages on other systems: .8 or .8.gz.
        for expected in ("/usr/sbin/memstacks", "/usr/sbin/pgfaultstacks",
                         "/usr/share/man/man8/memstacks.8", "/usr/share/man/man8/pgfaultstacks.8",
                         "/usr/share/doc/memstacks/examples/memstacks_example.txt",
                         "/usr/share/doc/memstacks/examples/pgfaultstacks_example.txt"):
            self.assertTrue(any(f == expected or f == expected + ".gz" for f in files),
                            f"{expected} not in {files}")
        for requirement in ("bcc", "kernel-devel", "capstone", "elfutils-libelf", "protobuf-c",
                            "zlib"):
            self.assertIn(requirement, requires)


if __name__ == "__main__":
    unittest.main()
