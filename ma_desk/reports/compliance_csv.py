"""Checklist compliance as CSV: one line per run and one per gap, for infection-control audits.

No patient names or identifiers: a gap says when a room was used, not by whom.
Cells go through ``csv_safe`` (text that a spreadsheet would run as a formula gets a
leading apostrophe; counts and minutes are numbers). The file is written atomically
with owner-only permissions, and never over an existing file unless asked to.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from ma_desk.clinical.checklist_templates import moment_label
from ma_desk.reports.csv_safe import csv_text
from ma_desk.reports.output import write_file_atomic
from ma_desk.services.checklists import ComplianceReport

HEADER = [
    "record", "room", "date", "moment", "checklist", "started", "finished", "minutes",
    "status", "by", "items", "ticked", "not_due_yet", "not_done", "low_supply", "notes",
]  # fmt: skip


def _gap_rows(report: ComplianceReport) -> list[tuple[object, ...]]:
    return [(
        "GAP", gap.room_name, gap.day.isoformat(), "", "", f"{gap.at:%H:%M}" if gap.at else "",
        "", "", gap.kind, "", "", "", "", "", "", gap.message,
    ) for gap in report.gaps]  # fmt: skip


def _run_rows(report: ComplianceReport) -> list[tuple[object, ...]]:
    return [(
        "run", run.room_name, run.started_at.date().isoformat(), moment_label(run.moment),
        run.template_name, f"{run.started_at:%H:%M:%S}",
        f"{run.finished_at:%H:%M:%S}" if run.finished_at else "",
        "" if run.minutes is None else Decimal(f"{run.minutes:.1f}"), run.status,
        run.user_name, run.items_total, run.items_done, run.items_not_due,
        " | ".join(run.not_done), run.low_supply, run.note,
    ) for run in report.runs]  # fmt: skip


def compliance_csv(report: ComplianceReport) -> str:
    return csv_text(HEADER, [*_gap_rows(report), *_run_rows(report)])


def write_compliance_csv(report: ComplianceReport, path: Path, *, force: bool = False) -> Path:
    """Write the CSV (UTF-8 with BOM so spreadsheet programs detect the encoding)."""
    return write_file_atomic(path, ("\ufeff" + compliance_csv(report)).encode(), force=force)
