"""Patient education handouts on the clinic letterhead, personalised with name and date.

Each handout prints in its own language (``HandoutDoc.language``): letterhead, greeting,
closing, running header and footer, so an English handout printed beside a Spanish
one keeps its English footer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ma_desk.reports import fonts, i18n
from ma_desk.reports.data import HandoutDoc
from ma_desk.reports.document import (
    Furniture,
    PatientIdentity,
    build_pdf,
    frame_width,
    furniture_from,
    letterhead,
    p_markup,
    rtl_paragraph,
    styles,
)
from ma_desk.reports.handout_markup import inline, parse

if TYPE_CHECKING:
    from reportlab.platypus import Flowable


def handout_story(doc: HandoutDoc) -> list[Any]:
    """The flowables of one handout (used alone or several in one PDF)."""
    from reportlab.platypus import KeepTogether, Spacer

    words = i18n.words(doc.language)
    story: list[Any] = [furniture_from(handout_furniture(doc))]
    story += letterhead(doc.clinic, frame_width(), fonts.para(doc.title, limit=200), words.code)
    name = f"<b>{fonts.para(doc.patient_name, limit=120)}</b>"
    story.append(p_markup(words.fmt("handout.prepared", name=name,
                                    date=words.date(doc.printed_on, "long")), "muted"))  # fmt: skip
    story.append(Spacer(1, 4))
    for block in parse(doc.body):
        if block.kind in ("h2", "h3"):
            story.append(_block(block.text, block.kind, limit=200))
        elif block.kind == "bullet":
            story.append(_block(block.text, "bullet", bullet="•"))
        elif block.kind == "number":
            story.append(_block(block.text, "bullet", bullet=f"{block.number}."))
        elif block.kind == "callout":
            story.append(_block(block.text, "callout"))
        else:
            story.append(_block(block.text, "body"))
    phone = fonts.para(doc.clinic.phone, limit=60) if doc.clinic.phone else ""
    closing = words.fmt("handout.questions", phone=phone) + " " if phone else ""
    story.append(KeepTogether([Spacer(1, 8),
                               p_markup(closing + words["handout.emergency"], "callout")]))  # fmt: skip
    return story


def _block(
    text: str, style: str, *, bullet: str | None = None, limit: int | None = None
) -> Flowable:
    """One block of the handout body; Arabic or Hebrew wraps in typed line order, without
    its **bold** (a bold span reordered apart from its line would read out of order)."""
    if fonts.has_rtl(text):
        plain = fonts.clean(text).replace("**", "")
        if limit is not None and len(plain) > limit:
            plain = plain[: limit - 1] + "…"
        return rtl_paragraph(plain, styles()[style], bullet=bullet)
    return p_markup(inline(text, limit=limit), style, bullet=bullet)


def handout_furniture(doc: HandoutDoc) -> Furniture:
    """This handout's running header and footer, in its own language."""
    words = i18n.words(doc.language)
    return Furniture(
        header_left=fonts.clean(doc.clinic.name)[:80],
        header_right=fonts.clean(doc.patient_name)[:80],
        footer_left=words.date(doc.printed_on, "long"),
        language=words.code,
        identity=handout_identity(doc),
    )


def build_handouts(docs: Sequence[HandoutDoc]) -> bytes:
    """One PDF with each handout starting on a new page, each page in its handout's language."""
    fonts.ensure_fonts()
    from reportlab.platypus import PageBreak

    if not docs:
        raise ValueError("no handouts to print")
    story: list[Any] = []
    for i, doc in enumerate(docs):
        if i:
            story.append(PageBreak())
        story.extend(handout_story(doc))
    first = handout_furniture(docs[0])
    titles = "; ".join(fonts.clean(d.title) for d in docs)
    return build_pdf(story, title=titles[:200], header_left=first.header_left,
                     header_right=first.header_right, footer_left=first.footer_left,
                     language=first.language, identity=first.identity)  # fmt: skip


def handout_identity(doc: HandoutDoc) -> PatientIdentity | None:
    """Name, DOB and MRN for every page; None for the sample preview (no real patient)."""
    if doc.dob is None:
        return None
    return PatientIdentity(doc.patient_name, doc.dob, doc.mrn, i18n.words(doc.language).code)
