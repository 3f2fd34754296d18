"""Patient education handouts on the clinic letterhead, personalised with name and date."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ma_desk.reports import fonts
from ma_desk.reports.data import HandoutDoc
from ma_desk.reports.document import (
    PatientIdentity,
    build_pdf,
    frame_width,
    letterhead,
    p_markup,
)
from ma_desk.reports.handout_markup import inline, parse

MONTHS_ES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
             "septiembre", "octubre", "noviembre", "diciembre")  # fmt: skip

WORDS = {
    "en": {"for": "Prepared for", "on": "on", "questions": "Questions? Call",
           "emergency": "In an emergency, call 911.", "page": "Page", "of": "of",
           "dob": "DOB", "mrn": "MRN"},
    "es": {"for": "Preparado para", "on": "el", "questions": "¿Preguntas? Llame al",
           "emergency": "En caso de emergencia, llame al 911.", "page": "Página", "of": "de",
           "dob": "Nac.", "mrn": "MRN"},
}  # fmt: skip


def date_in(language: str, day) -> str:
    if language == "es":
        return f"{day.day} de {MONTHS_ES[day.month - 1]} de {day.year}"
    return f"{day:%B} {day.day}, {day.year}"


def handout_story(doc: HandoutDoc) -> list[Any]:
    """The flowables of one handout (used alone or several in one PDF)."""
    from reportlab.platypus import KeepTogether, Spacer

    words = WORDS.get(doc.language, WORDS["en"])
    story: list[Any] = letterhead(doc.clinic, frame_width(), fonts.para(doc.title, limit=200))
    story.append(p_markup(
        f"{words['for']} <b>{fonts.para(doc.patient_name, limit=120)}</b> "
        f"{words['on']} {date_in(doc.language, doc.printed_on)}", "muted"))  # fmt: skip
    story.append(Spacer(1, 4))
    for block in parse(doc.body):
        if block.kind in ("h2", "h3"):
            story.append(p_markup(inline(block.text, limit=200), block.kind))
        elif block.kind == "bullet":
            story.append(p_markup(inline(block.text), "bullet", bullet="•"))
        elif block.kind == "number":
            story.append(p_markup(inline(block.text), "bullet", bullet=f"{block.number}."))
        elif block.kind == "callout":
            story.append(p_markup(inline(block.text), "callout"))
        else:
            story.append(p_markup(inline(block.text)))
    phone = fonts.para(doc.clinic.phone, limit=60) if doc.clinic.phone else ""
    closing = f"{words['questions']} {phone}. " if phone else ""
    story.append(KeepTogether([Spacer(1, 8), p_markup(closing + words["emergency"], "callout")]))
    return story


def build_handouts(docs: Sequence[HandoutDoc]) -> bytes:
    """One PDF with each handout starting on a new page."""
    fonts.ensure_fonts()
    from reportlab.platypus import PageBreak

    if not docs:
        raise ValueError("no handouts to print")
    story: list[Any] = []
    for i, doc in enumerate(docs):
        if i:
            story.append(PageBreak())
        story.extend(handout_story(doc))
    first = docs[0]
    words = WORDS.get(first.language, WORDS["en"])
    titles = "; ".join(fonts.clean(d.title) for d in docs)
    return build_pdf(
        story,
        title=titles[:200],
        header_left=fonts.clean(first.clinic.name)[:80],
        header_right=fonts.clean(first.patient_name)[:80],
        footer_left=date_in(first.language, first.printed_on),
        page_words=(words["page"], words["of"]),
        identity=handout_identity(first),
    )


def handout_identity(doc: HandoutDoc) -> PatientIdentity | None:
    """Name, DOB and MRN for every page; None for the sample preview (no real patient)."""
    if doc.dob is None:
        return None
    words = WORDS.get(doc.language, WORDS["en"])
    return PatientIdentity(doc.patient_name, doc.dob, doc.mrn, words["dob"], words["mrn"])
