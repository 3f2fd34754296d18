"""Cold start: process start to the main window's first paint, offscreen, on today's schedule.

Each sample is a fresh ``python -m benchmarks.child`` process (interpreter,
imports, key from the keyring, store open, main window, first paint). Floor:
the same for a bare PySide6 QMainWindow with five empty tabs. App and floor
runs alternate so that machine noise hits both alike. The OS file cache is
warm after the first run (as on a workstation that has run the app before).
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import keyring_backend
from benchmarks.context import RunContext
from benchmarks.data import NOW, REPO
from benchmarks.harness import Result, Samples, Target

TARGET = Target(limit=1.5, stat="median", max_ratio=2.0)


def spawn(mode: str, clinic=None, *, pycache: Path | None = None) -> dict:
    """Run one child; returns its report with ``seconds`` from spawn to first paint.

    Children keep compiled bytecode (in ``pycache``) like an installed app does,
    even where the environment says PYTHONDONTWRITEBYTECODE: without it every start
    would compile a hundred modules again.
    """
    args = [sys.executable, "-m", "benchmarks.child", mode]
    env = keyring_backend.child_env(clinic.key_hex if clinic else "")
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    if clinic is not None:
        args += [str(clinic.data_dir), NOW.isoformat()]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"child {mode} failed ({proc.returncode}): {last}")
    report = json.loads(lines[-1])
    report["seconds"] = report["paint"] - started
    # CPU of the whole child run (it exits right after the first paint)
    report["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return report


def samples(clinic, reps: int, pycache: Path) -> tuple[list[dict], list[dict]]:
    app, floor = [], []
    # not counted: fills the file cache and the bytecode cache
    spawn("app", clinic, pycache=pycache), spawn("floor", pycache=pycache)
    for _ in range(reps):
        app.append(spawn("app", clinic, pycache=pycache))
        floor.append(spawn("floor", pycache=pycache))
    return app, floor


def phase_breakdown(reports: list[dict]) -> str:
    """Median CPU seconds spent in each step of the app's start (from the child's marks)."""
    steps: dict[str, list[float]] = {}
    for report in reports:
        previous = 0.0
        for name, mark in report.get("phases", {}).items():
            steps.setdefault(name, []).append(mark - previous)
            previous = mark
    return ", ".join(f"{name} {statistics.median(v):.2f}" for name, v in steps.items())


def run(ctx: RunContext) -> list[Result]:
    results = []
    for size in ctx.sizes:
        clinic = ctx.writable_clinic(size)  # window.ini may be written
        app, floor = samples(clinic, ctx.reps(10, 3), ctx.cache_dir / "pycache")
        ctx.log(f"    cold start CPU by step, {size.name} (median s): {phase_breakdown(app)}")
        wall = Samples([r["seconds"] for r in app], [r["cpu"] for r in app])
        cpu_ratio = statistics.median(wall.cpu) / statistics.median(r["cpu"] for r in floor)
        results.append(Result("cold start to first paint", size.display, wall,
                              [r["seconds"] for r in floor], target=TARGET,
                              note=f"CPU {cpu_ratio:.1f}x the floor's"))  # fmt: skip
    return results
