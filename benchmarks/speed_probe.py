"""How fast this machine's processor is at the moment, printed by every benchmark at its start
and end: the best of three runs of a fixed pure-Python loop, in seconds (lower is faster).

The machine is shared and its speed drifts: on 2026-12-07 the same loop took from 0,63 to 1,24 s
within an hour (the 5-million-step version then used), and the whole suite's processor time was
1,6 times the day before's for the same code. A benchmark's ratios are measured in one run, so
they hold; its seconds are comparable between days only beside this figure.
"""

from __future__ import annotations

import time

#: Steps of the loop: 0,17–0,3 s on this 2-core machine on 2026-12-07.
STEPS = 2_000_000


def probe() -> float:
    """Seconds of the fastest of three runs of the loop."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(STEPS):
            total += i * i % 7
        best = min(best, time.perf_counter() - start)
    return best


def line(when: str) -> str:
    """One line for a benchmark's output: ``speed probe (start): 0.26 s …``."""
    return (
        f"speed probe ({when}): {probe():.3f} s, best of 3 runs of a fixed Python loop "
        f"(lower is faster; see benchmarks/speed_probe.py)"
    )


if __name__ == "__main__":
    print(line("now"))
