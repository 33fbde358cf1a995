"""Timing helpers shared by the benchmarks: best-of-repeats wall time, robust to a noisy shared machine."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_time_s(fn: Callable[[], object], repeat: int = 5, number: int = 1) -> float:
    """The smallest mean time of ``number`` calls of ``fn`` over ``repeat`` tries, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def figure(name: str, value: float, unit: str) -> dict[str, object]:
    return {"name": name, "value": float(f"{value:.6g}"), "unit": unit}
