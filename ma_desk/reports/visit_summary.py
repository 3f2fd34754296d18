"""The after-visit summary the patient takes home (one patient, one visit)."""

from __future__ import annotations

from typing import Any

from ma_desk.reports import fonts
from ma_desk.reports.data import VisitSummaryData
from ma_desk.reports.document import (
    ATTENTION,
    CRITICAL,
    MUTED,
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
    """The PDF bytes of the after-visit summary, on one page whenever a tighter layout can.

    A summary that spills a few lines onto a second page is laid out again with less
    padding; the tighter version is kept only when it has fewer pages.
    """
    pages: list[int] = []
    pdf = _build(data, tight=False, pages_out=pages)
    if pages and pages[-1] > 1:
        tight_pages: list[int] = []
        tight = _build(data, tight=True, pages_out=tight_pages)
        if tight_pages and tight_pages[-1] < pages[-1]:
            return tight
    return pdf


def _build(data: VisitSummaryData, *, tight: bool, pages_out: list[int]) -> bytes:
    """One layout of the summary; ``tight`` trims padding and spacing, not the type size."""
    fonts.ensure_fonts()
    from reportlab.lib.colors import HexColor
    from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

    pad = 1.5 if tight else 3
    h2 = "h2_tight" if tight else "h2"
    width = frame_width()
    story: list[Any] = letterhead(data.clinic, width, "After-Visit Summary")

    patient = data.patient
    story.append(_facts_table(data, width, pad))

    story.append(p_markup("Why you came in today", h2))
    story.append(p(data.reason or "Not recorded.", limit=600))

    measured = ""
    if data.vitals and data.vitals_taken_at:
        measured = (f"Measured at {fmt_time(data.vitals_taken_at)} on "
                    f"{fmt_date(data.vitals_taken_at.date())}.")  # fmt: skip
    if tight and measured:  # the time beside the heading saves a line
        story.append(p_markup(f'Your vital signs <font name="{fonts.REGULAR}" size="10" '
                              f'color="{MUTED}">· {measured}</font>', h2))  # fmt: skip
    else:
        story.append(p_markup("Your vital signs", h2))
    if data.vitals:
        if measured and not tight:
            story.append(p(measured, "muted"))
        header = [p_markup("Measurement", "cell_bold"), p_markup("Result", "cell_bold"),
                  p_markup("What it means", "cell_bold")]  # fmt: skip
        vital_rows = [header]
        styling = [
            ("LINEBELOW", (0, 0), (-1, 0), 1, HexColor(RULE)),
            ("LINEBELOW", (0, 1), (-1, -1), 0.4, HexColor(RULE)),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), pad),
            ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
        ]
        for i, line in enumerate(data.vitals, start=1):
            vital_rows.append([p(line.label, "cell", limit=60), p(line.value, "cell_bold", limit=60),
                               p(line.meaning, "cell", limit=300)])  # fmt: skip
            if line.severity in ("attention", "critical"):
                colour = HexColor(CRITICAL if line.severity == "critical" else ATTENTION)
                styling.append(("TEXTCOLOR", (2, i), (2, i), colour))
                styling.append(("LINEBEFORE", (0, i), (0, i), 3, colour))
        vitals = Table(vital_rows, colWidths=[1.7 * 72, 1.85 * 72, width - 3.55 * 72],
                       hAlign="LEFT", repeatRows=1)  # fmt: skip
        vitals.setStyle(TableStyle(styling))
        story.append(vitals)
    else:
        story.append(p("No vital signs were recorded at this visit."))

    story.extend(_allergies_and_medications(data, width, h2))

    block = [p_markup("Your next appointment", h2)]
    if data.follow_up:
        fu = data.follow_up
        when = f"{fmt_long_date(fu.start.date())} at {fmt_time(fu.start)}"
        detail = " — ".join(dict.fromkeys(x for x in (fu.appointment_type, fu.reason) if x))
        block.append(p(when, "cell_bold"))
        if tight and detail:  # one line fewer: who and what together
            block.append(p(f"With {fu.provider} — {detail}", "body", limit=500))
        else:
            block.append(p(f"With {fu.provider}", "body", limit=200))
            if detail:
                block.append(p(detail, "body", limit=300))
    else:
        block.append(p("No follow-up appointment is booked. Call us if you were asked to "
                       "come back."))  # fmt: skip
    story.append(KeepTogether(block))

    story.append(p_markup("Instructions", h2))
    instructions = data.instructions.strip()
    if instructions:
        for para in _paragraphs(instructions):
            story.append(p(para))
    else:
        story.append(p("Follow the advice your care team gave you today."))

    if data.handouts:
        story.append(p_markup("Handouts you were given", h2))
        for title in data.handouts:
            story.append(p_markup(fonts.para(title, limit=200), "bullet", bullet="•"))

    phone = data.clinic.phone or "the clinic"
    story.append(Spacer(1, 0 if tight else 6))
    story.append(p(f"Questions? Call {phone}. If you have a medical emergency, call 911.",
                   "callout_tight" if tight else "callout", limit=200))  # fmt: skip

    return build_pdf(
        story,
        title="After-visit summary",
        header_left=fonts.clean(data.clinic.name)[:80],
        identity=PatientIdentity(patient.name, patient.dob, patient.mrn),
        footer_left=f"Printed {fmt_date(data.printed_at.date())} {fmt_time(data.printed_at)}",
        pages_out=pages_out,
    )


def _facts_table(data: VisitSummaryData, width: float, pad: float):
    """Who, when and by whom: the name on its own row, the rest two to a row."""
    from reportlab.lib.colors import HexColor
    from reportlab.platypus import Table, TableStyle

    patient = data.patient
    label_w, label2_w = 1.35 * 72, 0.9 * 72  # "Date of birth" and "Seen by" on one line
    value_w = (width - label_w - label2_w) * 0.535
    rows = [
        [p_markup("Patient", "cell_bold"), p(patient.name, "cell", limit=260), "", ""],
        [p_markup("Date of birth", "cell_bold"), p(fmt_date(patient.dob), "cell"),
         p_markup("MRN", "cell_bold"), p(patient.mrn, "cell", limit=40)],
        [p_markup("Visit date", "cell_bold"), p(fmt_long_date(data.visit_date), "cell"),
         p_markup("Seen by", "cell_bold"), p(data.provider, "cell", limit=200)],
    ]  # fmt: skip
    table = Table(rows, colWidths=[label_w, value_w, label2_w, width - label_w - value_w - label2_w],
                  hAlign="LEFT")  # fmt: skip
    table.setStyle(
        TableStyle(
            [
                ("SPAN", (1, 0), (3, 0)),
                ("BACKGROUND", (0, 0), (-1, -1), HexColor(SHADE)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), pad),
                ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
            ]
        )  # fmt: skip
    )
    return table


SIDE_BY_SIDE_CHARS = 400  # allergies and medications this short share one row


def _allergies_and_medications(data: VisitSummaryData, width: float, h2: str) -> list[Any]:
    """Two short lists side by side (saves a third of a page); long ones one after the other."""
    from reportlab.platypus import KeepTogether, Table, TableStyle

    allergies = data.allergies.strip() or "No allergies recorded."
    medications = data.medications.strip() or "No medications recorded."
    if max(len(allergies), len(medications)) > SIDE_BY_SIDE_CHARS:
        return [
            KeepTogether([p_markup("Allergies", h2), p(allergies, limit=2000)]),
            KeepTogether([p_markup("Medications", h2), p(medications, limit=4000)]),
        ]
    half = width / 2
    cells = [[[p_markup("Allergies", h2), p(allergies, limit=2000)],
              [p_markup("Medications", h2), p(medications, limit=4000)]]]  # fmt: skip
    table = Table(cells, colWidths=[half, half], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (0, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 6),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))  # fmt: skip
    return [table]


def _paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs; single newlines stay as line breaks."""
    parts = [part.strip() for part in text.replace("\r\n", "\n").split("\n\n")]
    return [part for part in parts if part]
