"""Shared helpers for the report tests: PDF text, sample data, a Code 128 decoder."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader

from ma_desk.reports.data import (
    ClinicHeader,
    DayVisit,
    EndOfDayData,
    FollowUp,
    OpenItem,
    PatientHeader,
    VisitSummaryData,
    VitalLine,
)

CLINIC = ClinicHeader("Maple Grove Family Practice (demo)", "100 Example Way, Springfield, OR",
                      "(555) 010-0100")  # fmt: skip


def pdf_pages(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def pdf_text(pdf: bytes) -> str:
    return "\n".join(pdf_pages(pdf))


def squash(text: str) -> str:
    """Text without whitespace (line wrapping may split words anywhere)."""
    return "".join(text.split())


def summary_data(**changes) -> VisitSummaryData:
    values = dict(
        clinic=CLINIC,
        patient=PatientHeader("Rosa María Pérez", dt.date(1961, 3, 14), "M100042", "English"),
        visit_id=42,
        visit_date=dt.date(2026, 11, 23),
        provider="Dr. Amara Okafor, MD",
        reason="Blood pressure follow-up",
        vitals_taken_at=dt.datetime(2026, 11, 23, 9, 41),
        vitals=(
            VitalLine("Blood pressure", "142/91 mmHg", "Stage 2 hypertension.", "attention"),
            VitalLine("Pulse (heart rate)", "78 beats/min", "In the usual range"),
            VitalLine("Temperature", "98.4 °F (36.9 °C)", "In the usual range"),
        ),
        allergies="Penicillin",
        medications="Lisinopril 10 mg daily",
        follow_up=FollowUp(
            dt.datetime(2026, 12, 7, 9, 15),
            "Dr. Amara Okafor, MD",
            "Follow-up",
            "Blood pressure check",
        ),  # fmt: skip
        instructions="Check your blood pressure twice a day.\n\nCut down on salt.",
        handouts=("Checking Your Blood Pressure at Home",),
        printed_at=dt.datetime(2026, 11, 23, 10, 30),
    )
    values.update(changes)
    return VisitSummaryData(**values)


def day_visit(i: int, status: str = "checked_out", **changes) -> DayVisit:
    start = dt.datetime(2026, 11, 23, 8, 0) + dt.timedelta(minutes=15 * (i % 36))
    arrived = start - dt.timedelta(minutes=3) if status not in ("no_show", "cancelled",
                                                                "scheduled") else None  # fmt: skip
    roomed = arrived + dt.timedelta(minutes=5 + i % 20) if arrived and status != "arrived" else None
    with_provider = (roomed + dt.timedelta(minutes=4 + i % 11)
                     if roomed and status in ("with_provider", "checked_out") else None)  # fmt: skip
    values = dict(
        appointment_id=1000 + i, visit_id=500 + i if arrived else None, start=start,
        patient_name=f"Patient{i}, Test", mrn=f"M{100000 + i}", provider_id=1 + i % 3,
        provider=["Dr. Amara Okafor, MD", "Dr. Lucas Brennan, DO", "Priya Natarajan, FNP-C"][i % 3],
        appointment_type="Follow-up", status=status, walk_in=i % 17 == 0,
        arrived_at=arrived, roomed_at=roomed, provider_at=with_provider,
        checked_out_at=with_provider + dt.timedelta(minutes=12) if status == "checked_out"
        and with_provider else None,
        copay_expected_cents=2500 if arrived else 0,
        copay_collected_cents=2500 if arrived and i % 9 else 0,
        copay_method=["card", "cash", "check"][i % 3] if arrived and i % 9 else "",
    )  # fmt: skip
    values.update(changes)
    return DayVisit(**values)


def busy_day(n: int = 300) -> EndOfDayData:
    statuses = ["checked_out"] * 7 + ["no_show", "cancelled", "roomed", "arrived", "with_provider"]
    visits = tuple(day_visit(i, statuses[i % len(statuses)]) for i in range(n))
    items = (OpenItem("not_checked_out", "Patient9, Test (M100009) — roomed in Exam 2"),
             OpenItem("room_not_closed", "Exam 3"))  # fmt: skip
    return EndOfDayData(CLINIC, dt.date(2026, 11, 23), "", visits, items,
                        dt.datetime(2026, 11, 23, 17, 30),
                        ("Dr. Amara Okafor, MD", "Dr. Lucas Brennan, DO",
                         "Priya Natarajan, FNP-C"))  # fmt: skip


def decode_code128(barcode) -> str:
    """Read a ReportLab Code128 widget's bars back into text (sets A, B and C, checksum)."""
    from reportlab.graphics.barcode.code128 import _patterns

    if not hasattr(barcode, "decomposed"):
        barcode.validate()
        barcode.encode()
        barcode.decompose()
    bars = barcode.decomposed
    widths = "".join(str("abcdABCD".index(ch) % 4 + 1) for ch in bars)
    symbols_by_widths = {
        "".join(str("abcdABCD".index(ch) % 4 + 1) for ch in pattern): code
        for code, pattern in _patterns.items()
    }
    codes = []
    i = 0
    while i < len(widths):
        chunk = widths[i : i + 7] if len(widths) - i == 7 else widths[i : i + 6]
        assert chunk in symbols_by_widths, f"unknown bar pattern at {i}: {chunk}"
        codes.append(symbols_by_widths[chunk])
        i += len(chunk)
    start, *data, check, stop = codes
    assert stop == 106, "missing stop symbol"
    assert (start + sum(pos * c for pos, c in enumerate(data, start=1))) % 103 == check
    code_set = {103: "A", 104: "B", 105: "C"}[start]
    out = []
    for c in data:
        if code_set == "C":  # in set C, 0-99 are digit pairs; 100/101 switch away
            if c == 100:
                code_set = "B"
            elif c == 101:
                code_set = "A"
            else:
                out.append(f"{c:02d}")
        elif c == 99:
            code_set = "C"
        elif c == 100 and code_set == "A":
            code_set = "B"
        elif c == 101 and code_set == "B":
            code_set = "A"
        elif code_set == "B":
            out.append(chr(c + 32))
        else:
            out.append(chr(c + 32) if c < 64 else chr(c - 64))
    return "".join(out)
