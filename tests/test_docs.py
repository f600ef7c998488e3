"""--help, the man page and the example file agree: every option and example in one is in the others."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import tool_path  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..")


def man_text(tool):
    with open(os.path.join(ROOT, "man", "man8", f"{tool}.8")) as f:
        return f.read()


def help_text(tool):
    run = subprocess.run([tool_path(tool), "--help"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run.stdout


def help_options(text):
    """Every -x and --long option named at the start of an options line of --help."""
    options = set()
    for line in text.splitlines():
        match = re.match(r"\s+(-\w)?(?:, )?(--[\w-]+)?", line)
        if match and (match.group(1) or match.group(2)):
            options.update(o for o in match.groups() if o)
    return options


def man_options(text):
    """Every option named in a .TP entry of the OPTIONS section."""
    section = text.split(".SH OPTIONS", 1)[1].split(".SH ", 1)[0]
    options = set()
    for entry in re.findall(r"^\.TP\n(.*)$", section, re.M):
        entry = entry.replace("\\-", "-")
        options.update(re.findall(r"(?<![\w-])(--?[\w][\w-]*)", entry))
    return options


def help_examples(text):
    section = text.split("examples:", 1)[1]
    return [re.sub(r"\s+", " ", line.split("#")[0]).strip()
            for line in section.splitlines() if line.startswith("  ") and not
            line.strip().startswith("#") and line.strip()]


def man_examples(text):
    section = text.split(".SH EXAMPLES", 1)[1].split(".SH ", 1)[0]
    return [re.sub(r"\s+", " ", line[3:].replace("\\-", "-")).strip()
            for line in section.splitlines() if line.startswith(".B ")]


class HelpAndManPage(unittest.TestCase):
    tool = "memstacks"

    def test_options_agree(self):
        self.assertEqual(help_options(help_text(self.tool)), man_options(man_text(self.tool)))

    def test_examples_agree(self):
        self.assertEqual(help_examples(help_text(self.tool)), man_examples(man_text(self.tool)))

    def test_man_page_lints_clean(self):
        run = subprocess.run(["mandoc", "-T", "lint", os.path.join(ROOT, "man", "man8",
                                                                   f"{self.tool}.8")],
                             capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)

    def test_example_file_ends_with_help(self):
        with open(os.path.join(ROOT, "examples", f"{self.tool}_example.txt")) as f:
            usage = f.read().split("USAGE message:", 1)[1]
        # The example file indents the --help text by four spaces, as BCC's do.
        usage = "".join(line[4:] if line.startswith("    ") else line
                        for line in usage.splitlines(keepends=True))
        self.assertIn(help_text(self.tool).strip(), usage)



class PgfaultstacksHelpAndManPage(HelpAndManPage):
    tool = "pgfaultstacks"


if __name__ == "__main__":
    unittest.main()
