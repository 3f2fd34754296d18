"""Peak memory (RSS) of a fresh process that opened the clinic and painted today's schedule.

Floor: the peak RSS of a bare PySide6 QMainWindow with five empty tabs.
"""

from __future__ import annotations

from benchmarks.context import RunContext
from benchmarks.harness import Result, Target
from benchmarks.tasks.cold_start import spawn

TARGET = Target(limit=300.0, stat="median", unit="MB")


def run(ctx: RunContext) -> list[Result]:
    results = []
    for size in ctx.sizes:
        clinic = ctx.writable_clinic(size)
        reps = ctx.reps(3, 1)
        pycache = ctx.cache_dir / "pycache"
        app = [spawn("app", clinic, pycache=pycache)["rss_mb"] for _ in range(reps)]
        floor = [spawn("floor", pycache=pycache)["rss_mb"] for _ in range(reps)]
        results.append(Result("peak RSS after opening", size.display, app, floor,
                              target=TARGET, unit="MB"))  # fmt: skip
    return results
