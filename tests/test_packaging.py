"""The RPM a distribution builds: rpmbuild -ba on memstacks.spec from the
source tarball scripts/make-tarball.sh writes (Debian's rpm package has
rpmbuild), then what a distribution's reviewer reads of the result with
rpm -qp: the files, the requirements, the install scripts."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def require(program):
    if not shutil.which(program):
        raise AssertionError(f"{program} is missing: scripts/install-deps.sh tests installs it")


def query(package, *options):
    return subprocess.run(["rpm", "-qp", *options, package], check=True, capture_output=True,
                          text=True).stdout


class Rpm(unittest.TestCase):
    def test_rpmbuild_from_the_tarball(self):
        require("rpmbuild")
        with tempfile.TemporaryDirectory() as top:
            sources = os.path.join(top, "SOURCES")
            tarball = subprocess.run([os.path.join(REPOSITORY, "scripts/make-tarball.sh"), sources],
                                     check=True, capture_output=True, text=True).stdout.strip()
            # --nodeps: Debian's rpm database holds none of Debian's packages, so
            # BuildRequires cannot be checked here; a distribution's builder checks them.
            build = subprocess.run(["rpmbuild", "-ba", "--nodeps", "--define", f"_topdir {top}",
                                    os.path.join(REPOSITORY, "memstacks.spec")],
                                   capture_output=True, text=True)
            self.assertEqual(build.returncode, 0, build.stdout[-3000:] + build.stderr[-3000:])
            # %check ran the tests that need no root, and they passed.
            self.assertRegex(build.stdout, r"100% tests passed, 0 tests failed out of [1-9]")
            packages = [os.path.join(directory, name)
                        for directory, _, names in os.walk(os.path.join(top, "RPMS"))
                        for name in names]
            sources_packages = os.listdir(os.path.join(top, "SRPMS"))
            self.assertEqual(len(packages), 1, packages)
            self.assertEqual(len(sources_packages), 1, sources_packages)
            package = packages[0]
            source_files = query(os.path.join(top, "SRPMS", sources_packages[0]), "-l").split()
            files = query(package, "-l").split()
            requires = query(package, "--requires").splitlines()
            scripts = query(package, "--scripts")
            description = query(package, "--info")

        self.assertEqual(sorted(source_files), sorted([os.path.basename(tarball), "memstacks.spec"]))
        # rpmbuild may compress man pages: .8 or .8.gz.
        for expected in ("/usr/sbin/memstacks", "/usr/sbin/pgfaultstacks",
                         "/usr/share/man/man8/memstacks.8", "/usr/share/man/man8/pgfaultstacks.8",
                         "/usr/share/doc/memstacks/README.md",
                         "/usr/share/doc/memstacks/examples/memstacks_example.txt",
                         "/usr/share/doc/memstacks/examples/pgfaultstacks_example.txt",
                         "/usr/share/doc/memstacks/examples/memstacks_unfreed.svg",
                         "/usr/share/doc/memstacks/examples/memstacks_diff.svg",
                         "/usr/share/doc/memstacks/examples/forwarder.c",
                         "/usr/share/doc/memstacks/examples/load_driver.c"):
            with self.subTest(file=expected):
                self.assertTrue(any(f in (expected, expected + ".gz") for f in files), files)
        # Nothing outside the FHS places a tools package owns files in (rpm adds
        # the binaries' build-id links, as every distribution's rpmbuild does).
        for path in files:
            self.assertRegex(path, r"^/usr/(sbin|share/man/man8|share/doc/memstacks|lib/\.build-id)(/|$)")
        # Requirements by package, beside the libraries rpmbuild found the binaries linked to.
        for requirement in ("bcc", "kernel-devel", "elfutils-libelf", "elfutils-libs", "capstone",
                            "protobuf-c", "zlib", "json-c"):
            self.assertIn(requirement, requires)
        self.assertTrue(any(re.match(r"libbcc\.so\.0\(\)\(64bit\)", r) for r in requires), requires)
        # No install script edits the system: no /lib/modules links, no services.
        self.assertEqual(scripts.strip(), "")
        self.assertIn("which code paths make a running Linux", description.replace("\n", " "))


if __name__ == "__main__":
    unittest.main()
