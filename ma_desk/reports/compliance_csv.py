"""Checklist compliance as CSV: one line per run and one per gap, for infection-control audits.

No patient names or identifiers: a gap says when a room was used, not by whom.
Cells that a spreadsheet would run as a formula are prefixed with an apostrophe.
The file is written atomically (temporary file, fsync, rename).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ma_desk.atomic_file import write_text_atomic
from ma_desk.clinical.checklist_templates import moment_label
from ma_desk.services.checklists import ComplianceReport

HEADER = [
    "record", "room", "date", "moment", "checklist", "started", "finished", "minutes",
    "status", "by", "items", "ticked", "not_due_yet", "not_done", "low_supply", "notes",
]  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return "'" + text if text.startswith(_FORMULA_START) else text


def compliance_csv(report: ComplianceReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for gap in report.gaps:
        writer.writerow([safe_cell(v) for v in (
            "GAP", gap.room_name, gap.day.isoformat(), "", "",
            f"{gap.at:%H:%M}" if gap.at else "", "", "", gap.kind, "", "", "", "", "", "",
            gap.message,
        )])  # fmt: skip
    for run in report.runs:
        writer.writerow([safe_cell(v) for v in (
            "run", run.room_name, run.started_at.date().isoformat(), moment_label(run.moment),
            run.template_name, f"{run.started_at:%H:%M:%S}",
            f"{run.finished_at:%H:%M:%S}" if run.finished_at else "",
            "" if run.minutes is None else f"{run.minutes:.1f}", run.status, run.user_name,
            run.items_total, run.items_done, run.items_not_due, " | ".join(run.not_done),
            run.low_supply, run.note,
        )])  # fmt: skip
    return out.getvalue()


def write_compliance_csv(report: ComplianceReport, path: Path) -> Path:
    """Write the CSV (UTF-8 with BOM so spreadsheet programs detect the encoding)."""
    return write_text_atomic(path, "\ufeff" + compliance_csv(report))
