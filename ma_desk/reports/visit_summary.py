"""The after-visit summary the patient takes home (one patient, one visit).

It prints in the patient's preferred language when resources/i18n/ has a file for it
(else in English): fixed words, dates and the vital signs' plain-words meanings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ma_desk.reports import fonts, i18n
from ma_desk.reports.data import VisitSummaryData
from ma_desk.reports.document import (
    ATTENTION,
    CRITICAL,
    MUTED,
    RULE,
    SHADE,
    PatientIdentity,
    build_pdf,
    frame_width,
    letterhead,
    p,
    p_markup,
)

if TYPE_CHECKING:
    from reportlab.platypus import Table


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
    words = i18n.words(i18n.document_language(data.patient.preferred_language))
    story: list[Any] = letterhead(data.clinic, width, words["summary.title"], words.code)

    patient = data.patient
    story.append(_facts_table(data, width, pad, words))

    story.append(p_markup(words["summary.reason"], h2))
    story.append(p(data.reason or words["summary.not_recorded"], limit=600))

    measured = ""
    if data.vitals and data.vitals_taken_at:
        measured = words.fmt("summary.measured", time=words.time(data.vitals_taken_at),
                             date=words.date(data.vitals_taken_at.date()))  # fmt: skip
    if tight and measured:  # the time beside the heading saves a line
        story.append(p_markup(f'{words["summary.vitals"]} <font name="{fonts.REGULAR}" '
                              f'size="10" color="{MUTED}">· {fonts.para(measured)}</font>',
                              h2))  # fmt: skip
    else:
        story.append(p_markup(words["summary.vitals"], h2))
    if data.vitals:
        if measured and not tight:
            story.append(p(measured, "muted"))
        header = [p_markup(words["summary.measurement"], "cell_bold"),
                  p_markup(words["summary.result"], "cell_bold"),
                  p_markup(words["summary.meaning"], "cell_bold")]  # fmt: skip
        vital_rows = [header]
        styling = [
            ("LINEBELOW", (0, 0), (-1, 0), 1, HexColor(RULE)),
            ("LINEBELOW", (0, 1), (-1, -1), 0.4, HexColor(RULE)),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), pad),
            ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
        ]
        for i, line in enumerate(data.vitals, start=1):
            vital_rows.append([p(words.phrase(line.label), "cell", limit=60),
                               p(words.phrase(line.value), "cell_bold", limit=60),
                               p(words.phrase(line.meaning), "cell", limit=300)])  # fmt: skip
            if line.severity in ("attention", "critical"):
                colour = HexColor(CRITICAL if line.severity == "critical" else ATTENTION)
                styling.append(("TEXTCOLOR", (2, i), (2, i), colour))
                styling.append(("LINEBEFORE", (0, i), (0, i), 3, colour))
        vitals = Table(vital_rows, colWidths=[1.7 * 72, 1.85 * 72, width - 3.55 * 72],
                       hAlign="LEFT", repeatRows=1)  # fmt: skip
        vitals.setStyle(TableStyle(styling))
        story.append(vitals)
    else:
        story.append(p(words["summary.no_vitals"]))

    story.extend(_allergies_and_medications(data, width, h2, words))

    block = [p_markup(words["summary.next"], h2)]
    if data.follow_up:
        fu = data.follow_up
        when = words.fmt("summary.when", date=words.date(fu.start.date(), "full"),
                         time=words.time(fu.start))  # fmt: skip
        detail = " — ".join(dict.fromkeys(x for x in (fu.appointment_type, fu.reason) if x))
        with_provider = words.fmt("summary.with", provider=fu.provider)
        block.append(p(when, "cell_bold"))
        if tight and detail:  # one line fewer: who and what together
            block.append(p(f"{with_provider} — {detail}", "body", limit=500))
        else:
            block.append(p(with_provider, "body", limit=200))
            if detail:
                block.append(p(detail, "body", limit=300))
    else:
        block.append(p(words["summary.no_follow_up"]))
    story.append(KeepTogether(block))

    story.append(p_markup(words["summary.instructions"], h2))
    instructions = data.instructions.strip()
    if instructions:
        for para in _paragraphs(instructions):
            story.append(p(para))
    else:
        story.append(p(words["summary.default_instructions"]))

    if data.handouts:
        story.append(p_markup(words["summary.handouts"], h2))
        for title in data.handouts:
            story.append(p_markup(fonts.para(title, limit=200), "bullet", bullet="•"))

    phone = data.clinic.phone or words["summary.the_clinic"]
    story.append(Spacer(1, 0 if tight else 6))
    story.append(p(words.fmt("summary.questions", phone=phone),
                   "callout_tight" if tight else "callout", limit=200))  # fmt: skip

    printed = words.fmt("summary.printed", date=words.date(data.printed_at.date()),
                        time=words.time(data.printed_at))  # fmt: skip
    return build_pdf(
        story,
        title=words["summary.pdf_title"],
        header_left=fonts.clean(data.clinic.name)[:80],
        identity=PatientIdentity(patient.name, patient.dob, patient.mrn, words.code),
        footer_left=printed,
        language=words.code,
        pages_out=pages_out,
    )


def _facts_table(data: VisitSummaryData, width: float, pad: float, words: i18n.Words) -> Table:
    """Who, when and by whom: the name on its own row, the rest two to a row."""
    from reportlab.lib.colors import HexColor
    from reportlab.platypus import Table, TableStyle

    patient = data.patient
    label_w = _label_width((words["summary.patient"], words["summary.dob"],
                            words["summary.visit_date"]), 1.35 * 72)  # fmt: skip
    label2_w = _label_width((words["summary.mrn"], words["summary.seen_by"]), 0.9 * 72)
    value_w = (width - label_w - label2_w) * 0.535
    rows = [
        [p_markup(words["summary.patient"], "cell_bold"), p(patient.name, "cell", limit=260),
         "", ""],
        [p_markup(words["summary.dob"], "cell_bold"), p(words.date(patient.dob), "cell"),
         p_markup(words["summary.mrn"], "cell_bold"), p(patient.mrn, "cell", limit=40)],
        [p_markup(words["summary.visit_date"], "cell_bold"),
         p(words.date(data.visit_date, "full"), "cell"),
         p_markup(words["summary.seen_by"], "cell_bold"), p(data.provider, "cell", limit=200)],
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


def _label_width(labels: tuple[str, ...], least: float) -> float:
    """A label column as wide as its longest label in bold 11 pt (one line), at least ``least``."""
    widest = max(fonts.text_width(label, font=fonts.BOLD, size=11) for label in labels)
    return max(least, widest + 8 + 6 + 1)  # left and right cell padding


SIDE_BY_SIDE_CHARS = 400  # allergies and medications this short share one row


def _allergies_and_medications(data: VisitSummaryData, width: float, h2: str,
                               words: i18n.Words) -> list[Any]:  # fmt: skip
    """Two short lists side by side (saves a third of a page); long ones one after the other."""
    from reportlab.platypus import KeepTogether, Table, TableStyle

    allergies = data.allergies.strip() or words["summary.no_allergies"]
    medications = data.medications.strip() or words["summary.no_medications"]
    allergies_block = [p_markup(words["summary.allergies"], h2), p(allergies, limit=2000)]
    medications_block = [p_markup(words["summary.medications"], h2), p(medications, limit=4000)]
    if max(len(allergies), len(medications)) > SIDE_BY_SIDE_CHARS:
        return [KeepTogether(allergies_block), KeepTogether(medications_block)]
    half = width / 2
    cells = [[allergies_block, medications_block]]
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
