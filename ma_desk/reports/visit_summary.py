"""The after-visit summary the patient takes home (one patient, one visit)."""

from __future__ import annotations

from typing import Any

from ma_desk.reports import fonts
from ma_desk.reports.data import VisitSummaryData
from ma_desk.reports.document import (
    ATTENTION,
    CRITICAL,
    RULE,
    SHADE,
    PatientIdentity,
    build_pdf,
    fmt_date,
    fmt_long_date,
    fmt_time,
    frame_width,
    letterhead,
    p,
    p_markup,
)


def build_visit_summary(data: VisitSummaryData) -> bytes:
    """The PDF bytes of the after-visit summary."""
    fonts.ensure_fonts()
    from reportlab.lib.colors import HexColor
    from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

    width = frame_width()
    story: list[Any] = letterhead(data.clinic, width, "After-Visit Summary")

    patient = data.patient
    facts = [
        ("Patient", patient.name),
        ("Date of birth", fmt_date(patient.dob)),
        ("Medical record no.", patient.mrn),
        ("Visit date", fmt_long_date(data.visit_date)),
        ("Seen by", data.provider),
    ]
    rows = [[p(label, "cell_bold"), p(value, "cell", limit=200)] for label, value in facts]
    table = Table(rows, colWidths=[1.8 * 72, width - 1.8 * 72], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), HexColor(SHADE)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
            ]
        )  # fmt: skip
    )
    story.append(table)

    story.append(p_markup("Why you came in today", "h2"))
    story.append(p(data.reason or "Not recorded.", limit=600))

    story.append(p_markup("Your vital signs", "h2"))
    if data.vitals:
        if data.vitals_taken_at:
            story.append(p(f"Measured at {fmt_time(data.vitals_taken_at)} on "
                           f"{fmt_date(data.vitals_taken_at.date())}.", "muted"))  # fmt: skip
        header = [p_markup("Measurement", "cell_bold"), p_markup("Result", "cell_bold"),
                  p_markup("What it means", "cell_bold")]  # fmt: skip
        vital_rows = [header]
        styling = [
            ("LINEBELOW", (0, 0), (-1, 0), 1, HexColor(RULE)),
            ("LINEBELOW", (0, 1), (-1, -1), 0.4, HexColor(RULE)),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
        for i, line in enumerate(data.vitals, start=1):
            vital_rows.append([p(line.label, "cell", limit=60), p(line.value, "cell_bold", limit=60),
                               p(line.meaning, "cell", limit=300)])  # fmt: skip
            if line.severity in ("attention", "critical"):
                colour = HexColor(CRITICAL if line.severity == "critical" else ATTENTION)
                styling.append(("TEXTCOLOR", (2, i), (2, i), colour))
                styling.append(("LINEBEFORE", (0, i), (0, i), 3, colour))
        vitals = Table(vital_rows, colWidths=[1.85 * 72, 1.95 * 72, width - 3.8 * 72],
                       hAlign="LEFT", repeatRows=1)  # fmt: skip
        vitals.setStyle(TableStyle(styling))
        story.append(vitals)
    else:
        story.append(p("No vital signs were recorded at this visit."))

    story.append(
        KeepTogether(
            [
                p_markup("Allergies", "h2"),
                p(data.allergies.strip() or "No allergies recorded.", limit=2000),
            ]
        )
    )
    story.append(
        KeepTogether(
            [
                p_markup("Medications", "h2"),
                p(data.medications.strip() or "No medications recorded.", limit=4000),
            ]
        )
    )

    block = [p_markup("Your next appointment", "h2")]
    if data.follow_up:
        fu = data.follow_up
        when = f"{fmt_long_date(fu.start.date())} at {fmt_time(fu.start)}"
        detail = " — ".join(dict.fromkeys(x for x in (fu.appointment_type, fu.reason) if x))
        block += [p(when, "cell_bold"), p(f"With {fu.provider}", "body", limit=200)]
        if detail:
            block.append(p(detail, "body", limit=300))
    else:
        block.append(p("No follow-up appointment is booked. Call us if you were asked to "
                       "come back."))  # fmt: skip
    story.append(KeepTogether(block))

    story.append(p_markup("Instructions", "h2"))
    instructions = data.instructions.strip()
    if instructions:
        for para in _paragraphs(instructions):
            story.append(p(para))
    else:
        story.append(p("Follow the advice your care team gave you today."))

    if data.handouts:
        story.append(p_markup("Handouts you were given", "h2"))
        for title in data.handouts:
            story.append(p_markup(fonts.para(title, limit=200), "bullet", bullet="•"))

    phone = data.clinic.phone or "the clinic"
    story.append(Spacer(1, 6))
    story.append(p(f"Questions? Call {phone}. If you have a medical emergency, call 911.",
                   "callout", limit=200))  # fmt: skip

    return build_pdf(
        story,
        title="After-visit summary",
        header_left=fonts.clean(data.clinic.name)[:80],
        identity=PatientIdentity(patient.name, patient.dob, patient.mrn),
        footer_left=f"Printed {fmt_date(data.printed_at.date())} {fmt_time(data.printed_at)}",
    )


def _paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs; single newlines stay as line breaks."""
    parts = [part.strip() for part in text.replace("\r\n", "\n").split("\n\n")]
    return [part for part in parts if part]
