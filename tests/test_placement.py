"""Where probe_placement puts a probe, on hand-assembled function starts: the
rules alone, without BPF (tests/targets/placement_cases.c)."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import target_path  # noqa: E402

# Case: the offset expected (0: the entry).
EXPECTED = {
    "test_then_je": 3,
    "cmp_then_ja": 7,
    "push_at_entry": 0,
    "argument_written": 0,
    "other_register_written": 3,
    "stack_pointer_moved": 0,
    "frame_pointer_written": 0,
    "stack_written": 0,
    "return_first": 0,
    "branch_back_into_prologue": 0,
    "multiply_writes_argument": 0,
}


class Placement(unittest.TestCase):
    def test_cases(self):
        output = subprocess.run([target_path("placement_cases")], capture_output=True, text=True,
                                check=True).stdout
        placed = {}
        for line in output.splitlines():
            name, offset, reason = line.split(" ", 2)
            placed[name] = (int(offset), reason)
        self.assertEqual({name: offset for name, (offset, _) in placed.items()}, EXPECTED,
                         output)
        self.assertIn("je", placed["test_then_je"][1])
        self.assertIn("a branch of the function lands", placed["branch_back_into_prologue"][1])
        self.assertIn("mul", placed["multiply_writes_argument"][1])


if __name__ == "__main__":
    unittest.main()
