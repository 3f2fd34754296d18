"""The benchmark tasks, in the order they run. Each module has ``run(ctx) -> list[Result]``."""

from __future__ import annotations

import importlib

# name -> (module, what it measures)
TASKS: dict[str, tuple[str, str]] = {
    "store_open": ("benchmarks.tasks.store_open", "open the store (keyring key, checks) vs raw SQLCipher open"),
    "search": ("benchmarks.tasks.search", "patient search per keystroke vs best single indexed query"),
    "day_view": ("benchmarks.tasks.day_view", "load + paint a day of 6 providers x 30 appointments"),
    "vitals_save": ("benchmarks.tasks.vitals_save", "save a vitals set (validation + audit) vs one raw INSERT"),
    "visit_summary": ("benchmarks.tasks.visit_summary", "visit-summary PDF vs a one-page ReportLab table"),
    "end_of_day": ("benchmarks.tasks.end_of_day", "300-visit end-of-day report, PDF and CSV"),
    "encryption": ("benchmarks.tasks.encryption", "same service workload on SQLCipher vs plain SQLite"),
    "cold_start": ("benchmarks.tasks.cold_start", "process start to first paint vs bare 5-tab QMainWindow"),
    "rss": ("benchmarks.tasks.rss", "peak RSS after opening the clinic (fresh process)"),
    "postgresql": ("benchmarks.tasks.postgresql", "the clinic moved onto a PostgreSQL server: search, day view, vitals save vs floors"),
    "notify_latency": ("benchmarks.tasks.notify_latency", "commit on one workstation to the refreshed Schedule tab on another (PostgreSQL)"),
    "startup": ("benchmarks.startup", "start to the sign-in screen and Enter to the main window, venv and frozen app, vs bare-Qt dialog"),
    "import_export": ("benchmarks.import_export", "100k patients imported from CSV; the clinic exported as FHIR NDJSON, vs csv+executemany / json.dumps"),
}  # fmt: skip

# Tasks measured at the scaling sizes (10k / 100k / 1M patients) with --scaling.
SCALING_TASKS = ("search", "end_of_day")


def load(name: str):
    return importlib.import_module(TASKS[name][0])
