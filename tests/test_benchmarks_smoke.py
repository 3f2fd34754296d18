"""The benchmark machinery works end to end on a tiny clinic (no timing is asserted)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from benchmarks import data, tasks
from benchmarks.__main__ import build_parser, run
from benchmarks.harness import Result, Target, format_table, measure, percentile


def test_percentile_and_measure() -> None:
    assert percentile([3.0, 1.0, 2.0, 4.0], 50) == 2.0
    assert percentile([3.0, 1.0, 2.0, 4.0], 95) == 4.0
    calls: list[int] = []
    samples = measure(lambda: calls.append(1), repeat=3, warmup=2)
    assert len(samples) == 3 and len(calls) == 5 and all(s >= 0 for s in samples)


def test_result_verdicts_and_table() -> None:
    fast = Result("t", "s", [0.001, 0.002], [0.001], target=Target(limit=0.010, max_ratio=3.0))
    slow = Result("t", "s", [0.050], [0.001], target=Target(limit=0.010))
    skipped = Result("u", "s", skipped="not available yet: x")
    assert fast.passed is True and slow.passed is False and skipped.passed is None
    text = format_table([fast, slow, skipped])
    assert "pass" in text and "FAIL" in text and "SKIP: not available yet: x" in text
    assert format_table([fast], markdown=True).startswith("| task |")


def test_cli_knows_every_task_and_size() -> None:
    args = build_parser().parse_args(["--quick", "--size", "tiny", "--only", "search"])
    assert args.quick and args.size == ["tiny"] and args.only == ["search"]
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--only", "no_such_task"])


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> list[Result]:
    cache = tmp_path_factory.mktemp("bench-cache")
    args = argparse.Namespace(only=None, size=["tiny"], quick=True, reps=1, scaling=False, rebuild=False,
                              seed=3, cache_dir=cache)  # fmt: skip
    return run(args, log=lambda _msg: None)


def test_every_task_runs_once_on_a_tiny_clinic(tiny_run: list[Result]) -> None:
    task_names = {r.task for r in tiny_run}
    assert "store open" in task_names and "search: every keystroke" in task_names
    for r in tiny_run:
        # A task may wait for its feature ("not available yet"), but none may crash.
        assert not r.skipped.startswith("error"), (r.task, r.skipped)
        if not r.skipped:
            assert r.samples and r.median is not None, r.task
    assert "task" in format_table(tiny_run)


def test_cached_clinic_is_reused(tmp_path: Path) -> None:
    size = data.SIZES["tiny"]
    first = data.cached_clinic(size, 5, tmp_path, log=lambda _m: None)
    built_at = first.store_path.stat().st_mtime_ns
    again = data.cached_clinic(size, 5, tmp_path, log=lambda _m: None)
    assert again.data_dir == first.data_dir and again.store_path.stat().st_mtime_ns == built_at
    assert set(tasks.TASKS) >= {"store_open", "search", "cold_start", "rss", "encryption"}
