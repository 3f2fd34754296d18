"""The end-of-day CSV: one row per appointment of the day, columns documented in COLUMNS.

Summing this file gives the PDF's figures (see ``day_summary`` for the
definitions). Cells go through ``csv_safe``: text that a spreadsheet would run as
a formula gets a leading ``'``; minutes and dollars are written as numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from ma_desk.reports.csv_safe import csv_text
from ma_desk.reports.data import DayVisit, EndOfDayData
from ma_desk.reports.day_summary import wait_to_provider, wait_to_room
from ma_desk.reports.fonts import clean


def _time(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _minutes(value: float | None) -> Decimal | str:
    return "" if value is None else Decimal(f"{value:.1f}")


def _dollars(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


# name, meaning, value
COLUMNS: list[tuple[str, str, Callable[[DayVisit], object]]] = [
    ("appointment_id", "MA Desk appointment number", lambda v: v.appointment_id),
    ("visit_id", "visit number; empty when the patient never arrived",
     lambda v: v.visit_id if v.visit_id is not None else ""),
    ("scheduled_start", "booked start, YYYY-MM-DD HH:MM (clinic time)", lambda v: _time(v.start)),
    ("patient_name", "Last, First", lambda v: v.patient_name),
    ("mrn", "medical record number", lambda v: v.mrn),
    ("provider", "provider's display name", lambda v: v.provider),
    ("appointment_type", "appointment type", lambda v: v.appointment_type),
    ("status", "final status code: scheduled, confirmed, arrived, roomed, with_provider, "
     "checked_out, no_show, cancelled, left_without_being_seen", lambda v: v.status),
    ("walk_in", "yes for walk-ins, else no", lambda v: "yes" if v.walk_in else "no"),
    ("arrived_at", "marked arrived, YYYY-MM-DD HH:MM", lambda v: _time(v.arrived_at)),
    ("roomed_at", "taken to a room", lambda v: _time(v.roomed_at)),
    ("provider_at", "provider in the room", lambda v: _time(v.provider_at)),
    ("checked_out_at", "checked out", lambda v: _time(v.checked_out_at)),
    ("wait_to_room_min", "minutes from arrival to rooming (one decimal)",
     lambda v: _minutes(wait_to_room(v))),
    ("wait_to_provider_min", "minutes from rooming to provider",
     lambda v: _minutes(wait_to_provider(v))),
    ("copay_expected", "copay expected, dollars with two decimals",
     lambda v: _dollars(v.copay_expected_cents)),
    ("copay_collected", "copay collected, dollars", lambda v: _dollars(v.copay_collected_cents)),
    ("copay_method", "cash, card, check or empty", lambda v: v.copay_method),
    ("open_items", "what is still open for this visit, separated by '; '",
     lambda v: "; ".join(v.open_items)),
]  # fmt: skip

HEADER = [name for name, _, _ in COLUMNS]


def _printable(value: object) -> object:
    """Text without control or unassigned characters; numbers as they are."""
    return clean(value) if isinstance(value, str) else value


def build_end_of_day_csv(data: EndOfDayData) -> str:
    """The CSV text (UTF-8 when written; Excel-friendly CRLF line ends)."""
    rows = ([_printable(get(visit)) for _, _, get in COLUMNS] for visit in data.visits)
    return csv_text(HEADER, rows)


def columns_markdown() -> str:
    """The column documentation (docs/end-of-day-csv.md is generated from this)."""
    lines = ["| Column | Meaning |", "|---|---|"]
    lines += [f"| `{name}` | {meaning} |" for name, meaning, _ in COLUMNS]
    return "\n".join(lines)
