"""The end-of-day report of a 300-visit day (6 providers x 50, all checked out): PDF and CSV.

Each sample gathers the day's data through the app's reports service and
builds the document. Floors: one raw SQLCipher query for the day's visits,
laid out as a ReportLab table of 300 rows (PDF) or written with csv (CSV).
"""

from __future__ import annotations

import csv
import io

from benchmarks.context import NotAvailable, RunContext
from benchmarks.data import REPORT_DAY
from benchmarks.harness import Result, Target, measure
from benchmarks.tasks.visit_summary import open_raw

PDF_TARGET = Target(limit=2.0, stat="median")
FLOOR_SQL = """
SELECT a.start, p.last_name || ', ' || p.first_name, p.mrn, pr.display_name, t.name, a.status,
       v.arrived_at, v.roomed_at, v.provider_at, v.checked_out_at, v.copay_expected_cents,
       v.copay_collected_cents, v.copay_method
FROM appointments a JOIN patients p ON p.id = a.patient_id
JOIN providers pr ON pr.id = a.provider_id JOIN appointment_types t ON t.id = a.type_id
LEFT JOIN visits v ON v.appointment_id = a.id
WHERE a.start >= ? AND a.start < ? ORDER BY a.start, pr.display_name
"""


def report_functions(services):
    """(day -> PDF bytes, day -> CSV text) through the app's reports service, or NotAvailable."""
    reports = getattr(services, "reports", None)
    if reports is None:
        raise NotAvailable("services.reports")
    pdf = getattr(reports, "end_of_day_pdf", None)
    csv_text = getattr(reports, "end_of_day_csv", None)
    if pdf is None or csv_text is None:
        raise NotAvailable("services.reports.end_of_day_pdf / end_of_day_csv")
    return pdf, csv_text


def _rows(conn) -> list[tuple]:
    start = f"{REPORT_DAY.isoformat()} 00:00:00"
    end = f"{REPORT_DAY.isoformat()} 23:59:59.999999"
    return conn.execute(FLOOR_SQL, (start, end)).fetchall()


def floor_pdf(conn) -> bytes:
    from reportlab.lib.pagesizes import landscape, letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate

    rows = [[str(c) if c is not None else "" for c in r[:10]] for r in _rows(conn)]
    story = [Paragraph(f"End of day {REPORT_DAY}", getSampleStyleSheet()["Title"]),
             LongTable([["Time", "Patient", "MRN", "Provider", "Type", "Status", "Arrived",
                         "Roomed", "Provider", "Out"]] + rows, repeatRows=1)]  # fmt: skip
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=landscape(letter)).build(story)
    return out.getvalue()


def floor_csv(conn) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["start", "patient", "mrn", "provider", "type", "status", "arrived",
                     "roomed", "with provider", "out", "expected", "collected", "method"])  # fmt: skip
    writer.writerows(_rows(conn))
    return out.getvalue()


def run(ctx: RunContext) -> list[Result]:
    results = []
    for size in ctx.sizes:
        results += _measure(ctx, ctx.writable_clinic(size))  # printing may be audited
    return results


def _measure(ctx: RunContext, clinic) -> list[Result]:
    opened = clinic.open()
    conn = open_raw(clinic)
    try:
        if len(_rows(conn)) != 300:
            raise RuntimeError("the report day does not have 300 visits")
        pdf, csv_text = report_functions(clinic.services(opened))
        reps, csv_reps = ctx.reps(10, 3), ctx.reps(20, 5)
        return [
            Result("end-of-day PDF (300 visits)", clinic.size.display,
                   measure(lambda: pdf(REPORT_DAY), repeat=reps),
                   measure(lambda: floor_pdf(conn), repeat=reps), target=PDF_TARGET),
            Result("end-of-day CSV (300 visits)", clinic.size.display,
                   measure(lambda: csv_text(REPORT_DAY), repeat=csv_reps),
                   measure(lambda: floor_csv(conn), repeat=csv_reps)),
        ]  # fmt: skip
    finally:
        conn.close()
        opened.db.close()
