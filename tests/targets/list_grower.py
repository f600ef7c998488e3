"""A python3 target for the unwinding tests: grows a list of objects.

    python3 list_grower.py --wait   print "ready PID", wait for SIGUSR1, grow the
                                    list, print "done", wait for SIGUSR1, exit
    python3 list_grower.py --time   print "ready PID", wait for SIGUSR1, grow the
                                    list, print "ns_per_item F", exit (for bench/)

Run by Debian's own python3, built without frame pointers: its allocations
and page faults come from the interpreter's eval loop.
"""
import os
import signal
import sys
import time

ITEMS = 50_000


class Item:
    def __init__(self, number):
        self.number = number
        self.label = f"item {number:08d}"
        # Over pymalloc's 512 bytes, each of these is a malloc of its own,
        # from a path of the interpreter's own: list, bytes and dict.
        self.payload = [number] * 100
        self.blob = bytes(600) + number.to_bytes(4, "little")
        self.index = {key: number for key in range(40)}


def grow(items):
    for number in range(ITEMS):
        items.append(Item(number))


def main():
    wait = "--wait" in sys.argv[1:]
    timed = "--time" in sys.argv[1:]
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    print(f"ready {os.getpid()}", flush=True)
    if wait or timed:
        signal.sigwait({signal.SIGUSR1})
    items = []
    start = time.monotonic_ns()
    grow(items)
    if timed:
        print(f"ns_per_item {(time.monotonic_ns() - start) / ITEMS:.1f}", flush=True)
        return
    print(f"done {len(items)}", flush=True)
    if wait:
        signal.sigwait({signal.SIGUSR1})


if __name__ == "__main__":
    main()
