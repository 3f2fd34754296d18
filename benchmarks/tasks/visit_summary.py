"""The after-visit summary PDF of one visit (gathering its data + building the PDF).

Floor: the same visit's vitals read with one raw SQLCipher query and laid out
as a one-page ReportLab document with the same table (title, patient line,
one row per measurement).
"""

from __future__ import annotations

import io

import sqlcipher3

from benchmarks.context import NotAvailable, RunContext
from benchmarks.data import REPORT_DAY
from benchmarks.harness import Result, Target, measure

TARGET = Target(limit=0.150, stat="median")
FLOOR_SQL = """
SELECT p.first_name || ' ' || p.last_name, p.dob, p.mrn, o.loinc, o.value, o.unit
FROM visits v JOIN patients p ON p.id = v.patient_id
JOIN vital_sets s ON s.visit_id = v.id JOIN vital_observations o ON o.vital_set_id = s.id
WHERE v.id = ? ORDER BY o.seq
"""


def summary_pdf_function(services):
    """``visit_id -> PDF bytes`` through the app's reports service, or NotAvailable."""
    reports = getattr(services, "reports", None)
    if reports is None:
        raise NotAvailable("services.reports")
    if hasattr(reports, "visit_summary_pdf"):
        return reports.visit_summary_pdf
    if hasattr(reports, "visit_summary"):  # the audited print: data + PDF bytes
        return reports.visit_summary
    raise NotAvailable("a visit-summary method on services.reports")


def floor_pdf(conn, visit_id: int) -> bytes:
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

    rows = conn.execute(FLOOR_SQL, (visit_id,)).fetchall()
    styles = getSampleStyleSheet()
    name, dob, mrn = rows[0][:3] if rows else ("", "", "")
    story = [
        Paragraph("Visit summary", styles["Title"]),
        Paragraph(f"{name} · DOB {dob} · {mrn}", styles["Normal"]),
        Table([["Measurement", "Value", "Unit"]] + [[r[3], f"{r[4]:g}", r[5]] for r in rows]),
    ]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=letter).build(story)
    return out.getvalue()


def visit_ids(clinic, count: int) -> list[int]:
    """Checked-out visits with vitals on the report day."""
    conn = open_raw(clinic)
    try:
        rows = conn.execute(
            "SELECT v.id FROM visits v JOIN vital_sets s ON s.visit_id = v.id "
            "WHERE v.visit_date = ? ORDER BY v.id LIMIT ?",
            (REPORT_DAY.isoformat(), count),
        ).fetchall()
    finally:
        conn.close()
    return [r[0] for r in rows]


def open_raw(clinic):
    conn = sqlcipher3.connect(f"file:{clinic.store_path.as_posix()}?mode=ro", uri=True)
    conn.execute(f"PRAGMA key = \"x'{clinic.key_hex}'\"")
    return conn


class Cycle:
    """The input of the next timed call, advanced (untimed) before each call."""

    def __init__(self, items: list) -> None:
        self.items = items
        self.index = -1

    @property
    def value(self):
        return self.items[self.index % len(self.items)]

    def advance(self) -> None:
        self.index += 1


def run(ctx: RunContext) -> list[Result]:
    # printing may be audited, so each size works on a copy
    return [_measure(ctx.writable_clinic(size), ctx.reps(30, 6)) for size in ctx.sizes]


def _measure(clinic, reps: int) -> Result:
    opened = clinic.open()
    conn = open_raw(clinic)
    try:
        build = summary_pdf_function(clinic.services(opened))
        current = Cycle(visit_ids(clinic, reps + 2))
        samples = measure(lambda: build(current.value), repeat=reps, setup=current.advance)
        floor = measure(lambda: floor_pdf(conn, current.value), repeat=reps,
                        setup=current.advance)  # fmt: skip
    finally:
        conn.close()
        opened.db.close()
    return Result("visit summary PDF", clinic.size.display, samples, floor, target=TARGET)
