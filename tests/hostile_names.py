"""What tests/targets/hostile_names.c is called and leaks, and how each name must show.

Run as a script on the linked target (CMake does, after linking) it puts in
the bytes GNU as cannot take in a quoted symbol name: the target's source
writes a newline, a double quote and a backslash as \\x01, \\x02 and \\x03.
"""
import sys

COMM = b"c\x1b[2J<b>;&\n\x7f\xc2\x9b"

SCREEN = (b"screen\x1b[2J\x1b]0;owned\x07<svg onload=alert(1)>&amp; 'q' \\ \x7f\xc2\x9b6n "
          b"\xe2\x80\xaeevil \xc3\xa9t\xc3\xa9")
FORGED = b'forged\ncomm;main;fake 999999\n"quoted"'
NOT_UTF8 = b"bytes\xff\xfe\xc0\x80 not utf-8"

# name -> (bytes, allocations) it leaks.
LEAKS = {SCREEN: (3 * 1111, 3), FORGED: (2 * 2222, 2), NOT_UTF8: (5555, 1)}

# As the text report, messages and the flame graph show them (untrusted_text.h):
# every byte of an unsafe character, and the backslash, as \xNN.
SHOWN = {
    SCREEN: r"screen\x1b[2J\x1b]0;owned\x07<svg onload=alert(1)>&amp; 'q' \x5c \x7f\xc2\x9b6n "
            r"\xe2\x80\xaeevil été",
    FORGED: r'forged\x0acomm;main;fake 999999\x0a"quoted"',
    NOT_UTF8: r"bytes\xff\xfe\xc0\x80 not utf-8",
}
COMM_SHOWN = r"c\x1b[2J<b>;&\x0a\x7f\xc2\x9b"

# In JSON: the name itself, with U+FFFD for each byte that is not UTF-8.
IN_JSON = {SCREEN: SCREEN.decode(), FORGED: FORGED.decode(),
           NOT_UTF8: "bytes\ufffd\ufffd\ufffd\ufffd not utf-8"}

_PLACEHOLDERS = {b"\n": b"\x01", b'"': b"\x02", b"\\": b"\x03"}


def as_assembled(name):
    """`name` as the target's source spells it, with placeholders."""
    for byte, placeholder in _PLACEHOLDERS.items():
        name = name.replace(byte, placeholder)
    return name


def put_in_real_bytes(binary):
    with open(binary, "rb") as f:
        data = f.read()
    for name in LEAKS:
        placeholder = as_assembled(name)
        if placeholder != name:
            if placeholder not in data:
                sys.exit(f"{binary}: no symbol {placeholder!r}")
            data = data.replace(placeholder, name)    # same length: no offset moves
    with open(binary, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    put_in_real_bytes(sys.argv[1])
