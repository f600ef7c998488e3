"""A python3 process that allocates and frees in a loop, for a busy host:

    python3 busy_client.py churn         build and drop blocks of 1 to 64 kB
    python3 busy_client.py redis PORT    the same, and a SET and GET to redis each round
    python3 busy_client.py http PORT     the same, and a GET / to a web server each round

It prints "ready PID" once connected, then loops until its stdin closes (so it
ends with whoever started it, even one that died) or MAX_RUN_S passes. A
request that fails, or a reply that is wrong, ends it with exit code 1: a
client still running means its server still answers.
"""
import http.client
import os
import select
import socket
import sys
import time

# Bounds a run even if whoever started it never closes our stdin.
MAX_RUN_S = 1800
# Between rounds: a few hundred rounds a second over all clients, which keeps
# the servers busy without taking the two cores the tools need.
ROUND_PAUSE_S = 0.01
BLOCK_SIZES = [1024 * (1 + i % 64) for i in range(40)]


def churn(round_number):
    """Blocks over pymalloc's 512 bytes (each its own malloc), dropped together."""
    blocks = [bytes([round_number % 256]) * size for size in BLOCK_SIZES]
    return sum(len(block) for block in blocks)


class Redis:
    def __init__(self, port):
        self.connection = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.replies = self.connection.makefile("rb")

    def command(self, *words):
        request = f"*{len(words)}\r\n" + "".join(f"${len(w)}\r\n{w}\r\n" for w in words)
        self.connection.sendall(request.encode())
        line = self.replies.readline()
        if line.startswith(b"$"):
            length = int(line[1:])
            return None if length < 0 else self.replies.read(length + 2)[:-2].decode()
        if line.startswith(b"+"):
            return line[1:].strip().decode()
        raise AssertionError(f"redis replied {line!r}")

    def round(self, round_number):
        key = f"busy:{os.getpid()}:{round_number % 100}"
        value = f"{round_number:08d}" * 250
        if self.command("SET", key, value) != "OK" or self.command("GET", key) != value:
            raise AssertionError(f"redis lost {key}")


class Http:
    def __init__(self, port):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def round(self, _):
        self.connection.request("GET", "/")
        reply = self.connection.getresponse()
        body = reply.read()
        if reply.status != 200 or not body:
            raise AssertionError(f"GET / gave {reply.status}")


def main():
    mode = sys.argv[1]
    server = {"churn": None, "redis": Redis, "http": Http}[mode]
    client = server(int(sys.argv[2])) if server else None
    print(f"ready {os.getpid()}", flush=True)
    deadline = time.monotonic() + MAX_RUN_S
    round_number = 0
    while time.monotonic() < deadline:
        churn(round_number)
        if client:
            client.round(round_number)
        round_number += 1
        # The pause waits on stdin: its end (EOF) is the signal to stop.
        if select.select([sys.stdin], [], [], ROUND_PAUSE_S)[0] and not os.read(0, 1):
            return 0
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (AssertionError, OSError) as error:
        print(f"busy_client {' '.join(sys.argv[1:])}: {error}", file=sys.stderr)
        sys.exit(1)
