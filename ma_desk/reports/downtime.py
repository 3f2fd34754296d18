"""Downtime prints: today's schedule and a face sheet, from the workstation's downtime copy.

Every page says it comes from the copy and when the copy was taken: staff must
know that a later change (a cancellation, a new allergy) may be missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ma_desk.downtime import FaceSheet, Snapshot
from ma_desk.reports.document import RULE, build_pdf, fmt_date, frame_width, p

if TYPE_CHECKING:
    from reportlab.platypus import Table

DOWNTIME_NOTE = "DOWNTIME COPY taken {taken:%m/%d/%Y %H:%M}: later changes are not shown."


def _table(rows: list[list[Any]], widths: list[float]) -> Table:
    from reportlab.lib.colors import HexColor
    from reportlab.platypus import Table, TableStyle

    table = Table(rows, colWidths=widths, hAlign="LEFT", repeatRows=1)
    table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.4, HexColor(RULE)),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))  # fmt: skip
    return table


def schedule_pdf(snapshot: Snapshot) -> bytes:
    """Today's appointments in time order, one line each."""
    width = frame_width(landscape=True)
    head = ["Time", "Provider", "Patient", "DOB", "MRN", "Type", "Status"]
    rows = [[p(h, "cell_bold") for h in head]]
    rows += [[p(f"{line.start:%H:%M}", "cell"), p(line.provider, "cell"),
              p(line.patient, "cell"), p(fmt_date(line.dob), "cell"), p(line.mrn, "cell"),
              p(line.visit_type, "cell"), p(line.status.replace("_", " "), "cell")]
             for line in snapshot.schedule]  # fmt: skip
    shares = (0.08, 0.2, 0.24, 0.12, 0.12, 0.14, 0.1)
    story = [p(f"Schedule for {fmt_date(snapshot.day)}", "title"),
             p(DOWNTIME_NOTE.format(taken=snapshot.taken_at), "muted"),
             _table(rows, [width * s for s in shares])]  # fmt: skip
    return build_pdf(story, title="Downtime schedule", header_left=snapshot.clinic_name,
                     header_right="Downtime copy", landscape=True)  # fmt: skip


def face_sheet_pdf(snapshot: Snapshot, sheet: FaceSheet) -> bytes:
    """One patient's identity, contact, allergies, medications and insurance."""
    width = frame_width()
    fields = [
        ("MRN", sheet.mrn), ("Date of birth", fmt_date(sheet.dob)), ("Sex", sheet.sex),
        ("Preferred name", sheet.preferred_name), ("Phone", sheet.phone),
        ("Address", sheet.address), ("Language", sheet.language),
        ("Emergency contact", sheet.emergency_contact),
        ("Allergies", sheet.allergies or "None recorded"),
        ("Medications", sheet.medications or "None recorded"),
        ("Insurance", "\n".join(sheet.insurance) or "None on file"),
    ]  # fmt: skip
    rows = [[p(label, "cell_bold"), p(value, "cell")] for label, value in fields]
    story = [p(sheet.name, "title"), p(DOWNTIME_NOTE.format(taken=snapshot.taken_at), "muted"),
             _table(rows, [1.8 * 72, width - 1.8 * 72])]  # fmt: skip
    return build_pdf(story, title="Downtime face sheet", header_left=snapshot.clinic_name,
                     header_right=f"{sheet.name} · DOB {fmt_date(sheet.dob)}")  # fmt: skip
