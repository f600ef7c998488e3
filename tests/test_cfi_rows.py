"""The unwind rows common/unwind/cfi_rows.c makes of real objects' DWARF CFI, row for
row against binutils' own CFA interpreter (readelf --debug-dump=frames-interp),
and of broken objects: an error or rows, never a crash. No BPF, no root."""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import target_path  # noqa: E402

OBJECTS = {
    "libc": "/lib/x86_64-linux-gnu/libc.so.6",
    "ld.so": "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
    "redis-server": "/usr/bin/redis-server",
    "python3.11": "/usr/bin/python3.11",
}
SAME = ("same", 0)
# The expression binutils writes for a lazy PLT: rsp + 8, plus 8 past the push.
PLT_EXPRESSION = re.compile(r"^DW_OP_breg7 \(rsp\): (-?\d+); DW_OP_breg16 \(rip\): 0; DW_OP_lit15; "
                            r"DW_OP_and; DW_OP_lit11; DW_OP_ge; DW_OP_lit3; DW_OP_shl; DW_OP_plus$")
ENTRY = re.compile(r"^([0-9a-f]+) [0-9a-f]+ [0-9a-f]+ (CIE|FDE)(?: cie=([0-9a-f]+) "
                   r"pc=([0-9a-f]+)\.\.([0-9a-f]+))?")
SECTION = re.compile(r"^Contents of the (\S+) section")


def readelf(path, dump):
    # -wN: not the .gnu_debuglink file, where Debian's dbgsym .eh_frame is NOBITS.
    return subprocess.run(["readelf", "-W", "-wN", f"--debug-dump={dump}", path],
                          capture_output=True, text=True, check=True).stdout


def readelf_lines(path, dump):
    """(section name, ENTRY match or None, line) for each line of readelf's dump
    past a section's heading; the section name keys entries apart."""
    name = None
    for line in readelf(path, dump).splitlines():
        section = SECTION.match(line)
        if section:
            name = section.group(1)
        elif name:
            yield name, ENTRY.match(line), line


def cfa_expressions(path):
    """{(section, entry offset): [the DW_CFA_def_cfa_expression texts of the entry]}."""
    found, key = {}, None
    for name, entry, line in readelf_lines(path, "frames"):
        if entry:
            key = (name, int(entry.group(1), 16))
            found[key] = []
        elif "DW_CFA_def_cfa_expression" in line:
            found[key].append(line.split("DW_CFA_def_cfa_expression (", 1)[1].rstrip()[:-1])
    return found


def cfa_rule(text, expression):
    """The (rule, offset) the rows must give readelf's CFA column."""
    if text == "exp":
        match = PLT_EXPRESSION.match(expression or "")
        return ("plt", int(match.group(1))) if match else ("none", 0)
    match = re.match(r"^(\w+)([+-]\d+)$", text)
    if match and match.group(1) in ("rsp", "rbp"):
        return (match.group(1), int(match.group(2)))
    return ("none", 0)


def rbp_rule(text):
    # readelf shows "u" for a column not yet set as for DW_CFA_undefined; the
    # objects' raw CFI is checked to have no DW_CFA_undefined rbp.
    if text in (None, "u", "s"):
        return SAME
    match = re.match(r"^c([+-]\d+)$", text)
    if match and -32768 <= int(match.group(1)) < 32768:
        return ("at_cfa", int(match.group(1)))
    return ("unknown", 0)


def row_rules(columns, expression):
    """(cfa rule, cfa offset, rbp rule, rbp offset) of one readelf row, as a dict of columns."""
    ra = columns.get("ra")
    if ra == "u":
        return ("root", 0) + SAME
    cfa = cfa_rule(columns["CFA"], expression)
    if ra not in (None, "c-8") or cfa[0] == "none":
        return ("none", 0) + SAME
    return cfa + rbp_rule(columns.get("rbp"))


def readelf_fdes(path):
    """[(start, end, [(address, rules)])] of every FDE with a range, in file order."""
    expressions = cfa_expressions(path)
    fdes, cies, names, current = [], {}, None, None
    for section_name, entry, line in readelf_lines(path, "frames-interp"):
        if entry:
            offset, kind = int(entry.group(1), 16), entry.group(2)
            key = (section_name, offset)
            texts = set(expressions.get(key, []))
            if kind == "FDE":
                cie_key = (section_name, int(entry.group(3), 16))
                texts |= set(expressions.get(cie_key, []))
            if len(texts) > 1:
                raise AssertionError(f"{path}: entry {offset:x} has two CFA expressions: {texts}")
            expression = texts.pop() if texts else None
            if kind == "CIE":
                current = cies[key] = {"rows": [], "expression": expression}
            else:
                start, end = int(entry.group(4), 16), int(entry.group(5), 16)
                current = {"rows": [], "expression": expression, "start": start, "end": end,
                           "cie": cies[cie_key]}
                if end > start:
                    fdes.append(current)
            names = None
        elif line.strip().startswith("LOC"):
            names = line.split()[1:]
        elif names and current is not None and re.match(r"^[0-9a-f]+ ", line):
            # "r10 (r10)": a register rule, one column despite its space.
            fields = re.sub(r"(\S) \((\w+)\)", r"\1(\2)", line).split()
            columns = dict(zip(names, fields[1:]))
            current["rows"].append((int(fields[0], 16), columns))
    result = []
    for fde in fdes:
        rows = fde["rows"]
        expression = fde["expression"]
        if not rows:
            # readelf prints no table for an FDE of nops: the CIE's row holds.
            rows = [(fde["start"], fde["cie"]["rows"][-1][1])]
            expression = fde["cie"]["expression"]
        by_address = {}
        for address, columns in rows:
            if fde["start"] <= address < fde["end"]:
                by_address[address] = row_rules(columns, expression)
        result.append((fde["start"], fde["end"], sorted(by_address.items())))
    return result


def merged_rows(fdes):
    """The rows of all FDEs, as cfi_rows.h promises them: sorted, a "none" row
    where a range ends and no other starts, none with the rules of the one before."""
    rows = []

    def append(address, rules):
        if not rows or rows[-1][1] != rules:
            rows.append((address, rules))

    open_end = None
    for start, end, fde_rows in sorted(fdes, key=lambda fde: fde[0]):
        if open_end is not None and start > open_end:
            append(open_end, ("none", 0) + SAME)
        if open_end is not None and start < open_end:
            raise AssertionError(f"FDEs overlap at {start:x}")
        for address, rules in fde_rows:
            append(address, rules)
        open_end = end
    if open_end is not None:
        append(open_end, ("none", 0) + SAME)
    return rows


def dump(path, *options):
    """(rows as (address, rules), summary as a dict) from tests/cfi_dump."""
    output = subprocess.run([target_path("cfi_dump"), *options, path], capture_output=True,
                            text=True, check=True).stdout.splitlines()
    rows = []
    for line in output[:-1]:
        address, cfa, cfa_offset, rbp, rbp_offset = line.split()
        rows.append((int(address, 16), (cfa, int(cfa_offset), rbp, int(rbp_offset))))
    words = output[-1].split()
    assert words[0] == "summary", output[-1]
    summary = {words[i]: float(words[i + 1]) for i in range(1, len(words), 2)}
    return rows, summary


class AgainstReadelf(unittest.TestCase):
    def check(self, path, frame_pointer_functions=None):
        raw = readelf(path, "frames")
        # readelf's "u" would hide a DW_CFA_undefined rbp (see rbp_rule).
        self.assertNotIn("DW_CFA_undefined: r6 ", raw)
        fdes = readelf_fdes(path)
        expected = merged_rows(fdes)
        rows, summary = dump(path)
        self.assertEqual(summary["unreadable"], 0)
        self.assertEqual(summary["functions"], len(fdes))
        self.assertEqual(summary["rows"], len(rows))
        self.assertEqual(len(rows), len(expected))
        for got, want in zip(rows, expected):
            self.assertEqual(got, want, f"{path}: first difference at {got[0]:x}")
        with_rbp = sum(any(rules[0] == "rbp" for _, rules in fde[2]) for fde in fdes)
        self.assertEqual(summary["frame_pointer"], with_rbp)
        if frame_pointer_functions is not None:
            self.assertEqual(with_rbp, frame_pointer_functions)
        return rows, summary

    def test_libc(self):
        rows, _ = self.check(OBJECTS["libc"])
        self.assertIn("plt", {rules[0] for _, rules in rows})
        # __restore_rt's CFA is an expression over the signal frame; _start, clone, clone3 are roots.
        self.assertIn("root", {rules[0] for _, rules in rows})

    def test_ld_so(self):
        self.check(OBJECTS["ld.so"])

    def test_redis_server(self):
        self.check(OBJECTS["redis-server"])

    def test_python(self):
        self.check(OBJECTS["python3.11"])

    def test_omit_frame_pointer_target(self):
        # Only variable_array's VLA makes GCC keep rbp as the CFA.
        rows, summary = self.check(target_path("cfi_omit_frame_pointer"))
        self.assertGreaterEqual(summary["functions"], 4)
        self.assertGreaterEqual(summary["frame_pointer"], 1)
        self.assertIn(("rsp", 16, "same", 0), {rules for _, rules in rows})

    def test_debug_frame(self):
        # The target's own functions: in .debug_frame alone; the C runtime's: in .eh_frame.
        path = target_path("cfi_debug_frame")
        sections = readelf(path, "frames")
        self.assertIn("Contents of the .debug_frame section", sections)
        self.assertIn("Contents of the .eh_frame section", sections)
        _, summary = self.check(path)
        self.assertGreaterEqual(summary["frame_pointer"], 1)


def section_bounds(path, name):
    """(file offset, size) of the section `name`."""
    for line in subprocess.run(["readelf", "-SW", path], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        fields = line.replace("[ ", "[").split()
        if len(fields) > 5 and fields[1] == name:
            return int(fields[4], 16), int(fields[5], 16)
    raise AssertionError(f"{path} has no {name}")


class HostileInput(unittest.TestCase):
    """Broken .eh_frame contents in a real object: cfi_dump must exit 0 with
    sorted rows or 1 with an error, never crash or hang."""

    def run_dump(self, path):
        result = subprocess.run([target_path("cfi_dump"), path], capture_output=True, text=True,
                                timeout=20)
        self.assertIn(result.returncode, (0, 1), result.stderr)
        if result.returncode == 1:
            self.assertRegex(result.stderr, r"^cfi_dump: cannot read the CFI of ")
            return None
        addresses = [int(line.split()[0], 16) for line in result.stdout.splitlines()[:-1]]
        self.assertEqual(addresses, sorted(set(addresses)))
        return result.stdout

    def mutants(self, mutate, count):
        original = target_path("cfi_omit_frame_pointer")
        offset, size = section_bounds(original, ".eh_frame")
        with open(original, "rb") as f:
            image = bytearray(f.read())
        outcomes = set()
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "mutant")
            for seed in range(count):
                mutant = bytearray(image)
                mutate(mutant, offset, size, seed)
                with open(path, "wb") as f:
                    f.write(mutant)
                outcomes.add(self.run_dump(path) is None)
        return outcomes

    def test_random_bytes_in_eh_frame(self):
        def mutate(image, offset, size, seed):
            state = seed * 2654435761 + 1
            for _ in range(1 + seed % 8):
                state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
                image[offset + (state >> 33) % size] = (state >> 16) & 0xff
        # Most mutants still read (the error is confined to an FDE); some do not.
        self.assertEqual(self.mutants(mutate, 300), {False, True})

    def test_lengths_past_the_end(self):
        def mutate(image, offset, size, seed):
            # The first entry's length: huge, 64-bit escape, reserved, one past the end.
            lengths = [0xfffffff0, 0xffffffff, size - 3, size, 1, 2, 0]
            image[offset:offset + 4] = struct.pack("<I", lengths[seed % len(lengths)])
            if seed >= len(lengths):
                image[offset + 4:offset + 12] = struct.pack("<Q", 2**64 - seed)
        self.assertIn(True, self.mutants(mutate, 14))

    def test_garbage_section(self):
        def mutate(image, offset, size, seed):
            image[offset:offset + size] = bytes([(seed * 37 + i * 11) & 0xff for i in range(size)])
        self.mutants(mutate, 20)

    def test_truncated_file(self):
        original = target_path("cfi_omit_frame_pointer")
        offset, size = section_bounds(original, ".eh_frame")
        with open(original, "rb") as f:
            image = f.read()
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "truncated")
            for cut in (offset + size // 2, offset + 3, 64, 0):
                with open(path, "wb") as f:
                    f.write(image[:cut])
                self.run_dump(path)

    def test_not_elf_and_no_cfi(self):
        self.assertIsNone(self.run_dump("/etc/hostname"))
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "no_cfi")
            shutil.copy(target_path("cfi_omit_frame_pointer"), path)
            subprocess.run(["objcopy", "--remove-section=.eh_frame",
                            "--remove-section=.eh_frame_hdr", path], check=True)
            self.assertEqual(self.run_dump(path).splitlines()[-1].split()[:4],
                             ["summary", "rows", "0", "bytes"])


if __name__ == "__main__":
    unittest.main()
