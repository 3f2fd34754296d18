"""Timing, results and the printed table: the machinery every task shares."""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


class Samples(list):
    """Wall-clock seconds per call, with the CPU seconds of the same calls in ``cpu``.

    On a shared machine the wall clock also counts time spent waiting for a
    core; CPU time does not (nor does it count waiting for the disk).
    """

    def __init__(self, wall=(), cpu=()) -> None:
        super().__init__(wall)
        self.cpu: list[float] = list(cpu)


def measure(
    fn: Callable[[], object],
    *,
    repeat: int,
    warmup: int = 1,
    setup: Callable[[], object] | None = None,
) -> Samples:
    """Seconds per call of ``fn`` over ``repeat`` calls, after ``warmup`` untimed calls.

    ``setup`` runs untimed before every call (e.g. to pick the next input).
    The garbage collector is paused while timing, as timeit does, and run
    between calls so one call's garbage does not land on the next.
    """
    for _ in range(warmup):
        if setup:
            setup()
        fn()
    samples = Samples()
    for _ in range(repeat):
        if setup:
            setup()
        gc.collect()
        gc.disable()
        try:
            cpu, start = time.process_time(), time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
            samples.cpu.append(time.process_time() - cpu)
        finally:
            gc.enable()
    return samples


def measure_each(
    fn: Callable[[object], object], inputs: Iterable[object], *, rounds: int
) -> list[float]:
    """Seconds per call of ``fn(x)`` for every input, ``rounds`` times over (one warm-up round)."""
    items = list(inputs)
    for x in items:
        fn(x)
    samples = Samples()
    for _ in range(rounds):
        for x in items:
            gc.disable()
            try:
                cpu, start = time.process_time(), time.perf_counter()
                fn(x)
                samples.append(time.perf_counter() - start)
                samples.cpu.append(time.process_time() - cpu)
            finally:
                gc.enable()
    return samples


@dataclass(frozen=True)
class Target:
    """What the issue asks of a task: an absolute limit and/or a limit on the ratio to its floor."""

    limit: float | None = None  # in the task's unit, compared with p95 or median
    stat: str = "p95"  # which statistic the limit applies to: "p95" or "median"
    max_ratio: float | None = None  # median / floor median
    unit: str = "ms"

    def describe(self) -> str:
        parts = []
        if self.limit is not None:
            parts.append(f"{self.stat} < {_fmt(self.limit, self.unit)}")
        if self.max_ratio is not None:
            parts.append(f"≤ {self.max_ratio:g}x floor")
        return ", ".join(parts) or "-"


@dataclass
class Result:
    """One row of the table. Times are seconds; ``unit`` says how to show them."""

    task: str
    size: str
    samples: list[float] = field(default_factory=list)
    floor_samples: list[float] = field(default_factory=list)
    target: Target | None = None
    unit: str = "ms"
    note: str = ""
    skipped: str = ""  # reason the task could not run ("not available yet: ...")
    cpu_samples: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.cpu_samples and isinstance(self.samples, Samples):
            self.cpu_samples = self.samples.cpu

    @property
    def cpu_median(self) -> float | None:
        return statistics.median(self.cpu_samples) if self.cpu_samples else None

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    @property
    def p95(self) -> float | None:
        return percentile(self.samples, 95) if self.samples else None

    @property
    def floor(self) -> float | None:
        return statistics.median(self.floor_samples) if self.floor_samples else None

    @property
    def ratio(self) -> float | None:
        if self.median is None or not self.floor:
            return None
        return self.median / self.floor

    @property
    def passed(self) -> bool | None:
        """None when there is no target or nothing was measured."""
        if self.target is None or self.skipped or not self.samples:
            return None
        ok = True
        t = self.target
        if t.limit is not None:
            value = self.p95 if t.stat == "p95" else self.median
            ok = ok and value is not None and value < t.limit
        if t.max_ratio is not None:
            ok = ok and self.ratio is not None and self.ratio <= t.max_ratio
        return ok


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ms":
        ms = value * 1000
        return f"{ms:.2f} ms" if ms < 10 else f"{ms:.1f} ms" if ms < 1000 else f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:g} {unit}"


COLUMNS = ("task", "size", "n", "median", "p95", "cpu", "floor", "ratio", "target", "result")


def table_rows(results: list[Result]) -> list[tuple[str, ...]]:
    rows = []
    for r in results:
        if r.skipped:
            rows.append((r.task, r.size, "0", "-", "-", "-", "-", "-",
                         r.target.describe() if r.target else "-", f"SKIP: {r.skipped}"))  # fmt: skip
            continue
        verdict = {None: "-", True: "pass", False: "FAIL"}[r.passed]
        if r.note:
            verdict = f"{verdict} ({r.note})"
        rows.append((
            r.task, r.size, str(len(r.samples)), _fmt(r.median, r.unit), _fmt(r.p95, r.unit),
            _fmt(r.cpu_median, r.unit), _fmt(r.floor, r.unit), "-" if r.ratio is None else f"{r.ratio:.2f}x",
            r.target.describe() if r.target else "-", verdict,
        ))  # fmt: skip
    return rows


def format_table(results: list[Result], *, markdown: bool = False) -> str:
    rows = table_rows(results)
    if markdown:
        lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(c), *(len(row[i]) for row in rows)) if rows else len(c)
              for i, c in enumerate(COLUMNS)]  # fmt: skip
    out = ["  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(out)
