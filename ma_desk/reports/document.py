"""The shared page furniture of every letter-size document: letterhead, styles, page numbers.

``build_pdf`` lays a story out in memory and returns the PDF bytes; nothing is
written to disk here. Every page carries a running header and "Page N of M".
On a patient document the header holds two identifiers, date of birth and MRN,
always whole: a long name is shortened with an ellipsis before they ever are
(a page that has come loose from the rest still names its patient twice).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ma_desk.reports import fonts, i18n
from ma_desk.reports.data import ClinicHeader

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Flowable, Paragraph

INK = "#1f2933"
MUTED = "#52606d"
RULE = "#9aa5b1"
ACCENT = "#1f5f8b"
SHADE = "#eef2f6"
ATTENTION = "#8a5a00"
CRITICAL = "#b00020"

RTL_WRAP_SLACK = 0.5  # points: right-to-left lines are wrapped this much short of the frame
HEADER_SIZE = 9
HEADER_GAP = 12  # points between the left and the right part of the running header
CLINIC_MIN_WIDTH = 100  # points of the clinic's name kept when a patient's name is long


@dataclass(frozen=True)
class PatientIdentity:
    """Who a patient document is about, as its running header prints it on every page."""

    name: str
    dob: dt.date
    mrn: str
    language: str = i18n.DEFAULT  # the document's language: the words and the date format

    def identifiers(self) -> str:
        """DOB and MRN, the two identifiers that are never shortened."""
        words = i18n.words(self.language)
        parts = [f"{words['dob']} {words.date(self.dob)}"]
        if fonts.clean(self.mrn).strip():
            parts.append(f"{words['mrn']} {fonts.clean(self.mrn).strip()}")
        return "  ·  ".join(parts)


def identity_header(identity: PatientIdentity, width: float, *, size: float = HEADER_SIZE) -> str:
    """The header "Name · DOB ... · MRN ..." in ``width`` points; only the name is shortened."""
    ids = identity.identifiers()
    sep = "  ·  "
    ids_width = fonts.text_width(ids + sep, font=fonts.BOLD, size=size)
    name_room = width - ids_width
    name = fonts.clean(identity.name).replace("\n", " ").strip()
    if not name or name_room < fonts.text_width("…", font=fonts.BOLD, size=size):
        return ids
    return fonts.fit(name, name_room, font=fonts.BOLD, size=size) + sep + ids


def header_parts(
    left: str, right: str, identity: PatientIdentity | None, usable: float
) -> tuple[str, str]:
    """The (left, right) header texts fitted to ``usable`` points of one line.

    With a patient identity the right side comes first: identifiers whole, then as much
    of the name as fits once the clinic's name (printed in full in the letterhead) has
    given way to ``CLINIC_MIN_WIDTH``; the clinic's name takes what is left.
    """
    size = HEADER_SIZE
    if identity is not None:
        full = identity_header(identity, 10_000, size=size)
        full_width = fonts.text_width(full, font=fonts.BOLD, size=size)
        clinic_keeps = min(fonts.text_width(left, size=size), CLINIC_MIN_WIDTH)
        right_room = min(full_width, usable - HEADER_GAP - clinic_keeps)
        right_text = identity_header(identity, right_room, size=size)
        right_width = fonts.text_width(right_text, font=fonts.BOLD, size=size)
        room = usable - right_width - HEADER_GAP
        left_text = fonts.fit(left, room, size=size) if room > 12 else ""
        return left_text, right_text
    right_text = fonts.fit(right, usable * 0.6, font=fonts.BOLD, size=size)
    right_width = fonts.text_width(right_text, font=fonts.BOLD, size=size)
    return fonts.fit(left, usable - right_width - HEADER_GAP, size=size), right_text


LOGO_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif")
LOGO_MAX_BYTES = 2_000_000


@functools.cache
def styles() -> dict[str, Any]:
    """Paragraph styles in large, readable type (patients read these at home)."""
    fonts.ensure_fonts()
    from reportlab.lib.colors import HexColor
    from reportlab.lib.styles import ParagraphStyle

    ink, muted, accent = HexColor(INK), HexColor(MUTED), HexColor(ACCENT)
    base = ParagraphStyle(
        "body", fontName=fonts.REGULAR, bulletFontName=fonts.REGULAR, fontSize=12, leading=16,
        textColor=ink,
        splitLongWords=True, spaceAfter=4,
    )  # fmt: skip
    made = {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=9.5, leading=12, spaceAfter=0),
        "muted": ParagraphStyle("muted", parent=base, fontSize=10, leading=13, textColor=muted),
        "cell": ParagraphStyle("cell", parent=base, fontSize=11, leading=14, spaceAfter=0),
        "cell_bold": ParagraphStyle(
            "cell_bold", parent=base, fontName=fonts.BOLD, fontSize=11, leading=14, spaceAfter=0
        ),
        "tiny": ParagraphStyle("tiny", parent=base, fontSize=8, leading=9.5, spaceAfter=0),
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontName=fonts.BOLD,
            fontSize=20,
            leading=24,
            textColor=accent,
            spaceBefore=4,
            spaceAfter=8,
        ),  # fmt: skip
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=fonts.BOLD,
            fontSize=14,
            leading=18,
            textColor=accent,
            spaceBefore=10,
            spaceAfter=4,
            keepWithNext=True,
        ),  # fmt: skip
        "h3": ParagraphStyle(
            "h3",
            parent=base,
            fontName=fonts.BOLD,
            fontSize=12.5,
            leading=16,
            spaceBefore=6,
            spaceAfter=2,
            keepWithNext=True,
        ),  # fmt: skip
        "bullet": ParagraphStyle(
            "bullet", parent=base, leftIndent=18, bulletIndent=6, spaceAfter=2
        ),
        "clinic": ParagraphStyle(
            "clinic",
            parent=base,
            fontName=fonts.BOLD,
            fontSize=16,
            leading=19,
            textColor=accent,
            spaceAfter=0,
        ),  # fmt: skip
        "clinic_line": ParagraphStyle(
            "clinic_line", parent=base, fontSize=10, leading=13, textColor=muted, spaceAfter=0
        ),
        "callout": ParagraphStyle(
            "callout",
            parent=base,
            fontName=fonts.BOLD,
            fontSize=13,
            leading=17,
            backColor=HexColor(SHADE),
            borderPadding=(6, 8, 6, 8),
            spaceBefore=12,
            spaceAfter=6,
        ),  # fmt: skip
    }
    # The same heading, allowed to end a page (above a long table that may split).
    made["h2_loose"] = ParagraphStyle("h2_loose", parent=made["h2"], keepWithNext=False)
    # Tighter spacing (same type size) for a document that would spill a few lines.
    made["h2_tight"] = ParagraphStyle("h2_tight", parent=made["h2"], spaceBefore=5, spaceAfter=2)
    made["callout_tight"] = ParagraphStyle("callout_tight", parent=made["callout"], spaceBefore=8,
                                           spaceAfter=0)  # fmt: skip
    return made


def p(text: object, style: str = "body", *, limit: int | None = None) -> Flowable:
    """A Paragraph of user text, always escaped (see ``fonts.para``); right-to-left text
    is wrapped line by line before each line is put in drawing order (``rtl_paragraph``)."""
    from reportlab.platypus import Paragraph

    value = fonts.clean(text)
    if limit is not None and len(value) > limit:
        value = value[: limit - 1].rstrip() + "…"
    if fonts.has_rtl(value):
        return rtl_paragraph(value, styles()[style])
    return Paragraph(fonts.para(value), styles()[style])


def rtl_paragraph(text: str, style: Any, *, bullet: str | None = None) -> Flowable:
    """A paragraph with Arabic or Hebrew whose lines read top to bottom in typed order.

    ReportLab wraps what it is given; given the whole paragraph in drawing order it would
    put the last words of a right-to-left paragraph on its first line. So the text is
    wrapped in typed order at the width the frame offers, then each line is shaped and
    reordered on its own, and a Paragraph with those explicit lines does the drawing.
    """
    from reportlab.platypus import Paragraph
    from reportlab.platypus.flowables import Flowable

    class RtlParagraph(Flowable):  # type: ignore[misc]  # ReportLab ships no types
        def __init__(self) -> None:
            super().__init__()
            self.style = style
            self.spaceBefore, self.spaceAfter = style.spaceBefore, style.spaceAfter
            self.keepWithNext = getattr(style, "keepWithNext", 0)
            self._para: Any = None

        def _lay_out(self, avail_width: float) -> Any:
            room = avail_width - style.leftIndent - style.rightIndent - RTL_WRAP_SLACK
            lines = fonts.wrap_lines(text, room, font=style.fontName, size=style.fontSize)
            markup = "<br/>".join(fonts.para(line) for line in lines)
            self._para = Paragraph(markup, style, bulletText=bullet)
            return self._para

        def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
            self.width, self.height = self._lay_out(avail_width).wrap(avail_width, avail_height)
            return self.width, self.height

        def split(self, avail_width: float, avail_height: float) -> list[Any]:
            parts: list[Any] = self._lay_out(avail_width).split(avail_width, avail_height)
            return parts

        def minWidth(self) -> float:  # noqa: N802 - ReportLab's name
            return float(self._lay_out(10_000).minWidth())

        def draw(self) -> None:
            self._para.drawOn(self.canv, 0, 0)

    return RtlParagraph()


def p_markup(markup: str, style: str = "body", *, bullet: str | None = None) -> Paragraph:
    """A Paragraph of markup this package wrote itself; user parts must already be ``para()``."""
    from reportlab.platypus import Paragraph

    return Paragraph(markup, styles()[style], bulletText=bullet)


def logo_image(path: str, max_height: float) -> Flowable | None:
    """The clinic logo as a flowable, or None when there is none or it cannot be read."""
    if not path:
        return None
    try:
        if not path.lower().endswith(LOGO_SUFFIXES) or not os.path.isfile(path):
            return None
        if os.path.getsize(path) > LOGO_MAX_BYTES:
            return None
        from reportlab.lib.utils import ImageReader
        from reportlab.platypus import Image

        with open(path, "rb") as fh:
            data = io.BytesIO(fh.read())
        width, height = ImageReader(data).getSize()
        data.seek(0)
        if not width or not height:
            return None
        scale = max_height / height
        return Image(data, width=width * scale, height=max_height)
    except Exception:  # a broken logo must never stop a print
        return None


def letterhead(
    clinic: ClinicHeader, width: float, title: str = "", language: str = i18n.DEFAULT
) -> list[Flowable]:
    """Clinic name, address and phone beside the logo, then a rule and the title."""
    from reportlab.lib.colors import HexColor
    from reportlab.platypus import HRFlowable, Table, TableStyle

    words = i18n.words(language)
    lines = [p(clinic.name or words["clinic"], "clinic", limit=120)]
    if clinic.address:
        lines.append(p(clinic.address, "clinic_line", limit=200))
    if clinic.phone:
        lines.append(p(words.fmt("phone", phone=fonts.clean(clinic.phone)[:60]), "clinic_line"))
    logo = logo_image(clinic.logo_path, 0.7 * 72)
    if logo is not None:
        row = [[logo, lines]]
        col_widths = [logo.drawWidth + 10, width - logo.drawWidth - 10]
    else:
        row = [[lines]]
        col_widths = [width]
    table = Table(row, colWidths=col_widths, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )  # fmt: skip
    )
    flow: list[Any] = [table, HRFlowable(width="100%", thickness=1.2, color=HexColor(ACCENT),
                                         spaceBefore=4, spaceAfter=6)]  # fmt: skip
    if title:
        flow.append(p_markup(title, "title"))
    return flow


@dataclass(frozen=True)
class Furniture:
    """What the running header and footer of a page say, in the page's own language."""

    header_left: str
    header_right: str = ""
    footer_left: str = ""
    language: str = i18n.DEFAULT  # "Page N of M"
    identity: PatientIdentity | None = None


def furniture_from(furniture: Furniture) -> Flowable:
    """A zero-size flowable: the pages from the one it lands on get ``furniture``.

    Several documents in one PDF (handouts in different languages) each start with one,
    so every page's header and footer belong to the document printed on it.
    """
    from reportlab.platypus.flowables import Flowable

    class FurnitureMarker(Flowable):  # type: ignore[misc]  # ReportLab ships no types
        def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
            return 0, 0

        def draw(self) -> None:
            self.canv._page_furniture = furniture

    return FurnitureMarker()


def _numbered_canvas_class(
    furniture: Furniture, pages_out: list[int] | None = None
) -> type[Canvas]:
    """A canvas that holds pages until the end, so each can say "Page N of M".

    Each page keeps the ``Furniture`` in force when it was drawn (``furniture_from``);
    ``pages_out`` receives the page count (a builder may try a tighter layout).
    """
    from reportlab.lib.colors import HexColor
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # ReportLab ships no types
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved_pages: list[dict[str, Any]] = []
            self._page_furniture = furniture

        def showPage(self) -> None:  # noqa: N802 - ReportLab's name
            self._saved_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved_pages)
            if pages_out is not None:
                pages_out.append(total)
            for state in self._saved_pages:
                self.__dict__.update(state)
                self._furniture(total)
                Canvas.showPage(self)
            Canvas.save(self)

        def _furniture(self, total: int) -> None:
            width, height = self._pagesize
            self.saveState()
            self.setFillColor(HexColor(MUTED))
            self.setStrokeColor(HexColor(RULE))
            page = self._page_furniture
            words = i18n.words(page.language)
            top = height - 0.45 * 72
            usable = width - 1.5 * 72
            left, right = header_parts(page.header_left, page.header_right, page.identity, usable)
            fonts.draw_string(self, 0.75 * 72, top, left, size=9)
            fonts.draw_string(self, width - 0.75 * 72, top, right, size=9, font=fonts.BOLD,
                              align="right")  # fmt: skip
            self.line(0.75 * 72, top - 4, width - 0.75 * 72, top - 4)
            bottom = 0.45 * 72
            self.line(0.75 * 72, bottom + 11, width - 0.75 * 72, bottom + 11)
            fonts.draw_string(self, 0.75 * 72, bottom, page.footer_left, size=9)
            fonts.draw_string(self, width - 0.75 * 72, bottom,
                              words.fmt("page", page=self._pageNumber, pages=total), size=9,
                              align="right")  # fmt: skip
            self.restoreState()

    return NumberedCanvas


def build_pdf(
    story: Sequence[Any],
    *,
    title: str,
    header_left: str,
    header_right: str = "",
    footer_left: str = "",
    landscape: bool = False,
    language: str = i18n.DEFAULT,
    identity: PatientIdentity | None = None,
    pages_out: list[int] | None = None,
) -> bytes:
    """Lay the story out on US Letter pages with 0.75" margins; returns the PDF bytes.

    ``identity`` (patient documents) replaces ``header_right`` with the patient's name,
    DOB and MRN, the identifiers always whole. ``language`` is the footer's ("Page 1 of 2");
    a story can change the header and footer from a page on with ``furniture_from``.
    """
    fonts.ensure_fonts()
    from reportlab.lib.pagesizes import landscape as to_landscape
    from reportlab.lib.pagesizes import letter
    from reportlab.platypus import SimpleDocTemplate

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=to_landscape(letter) if landscape else letter,
        leftMargin=0.75 * 72,
        rightMargin=0.75 * 72,
        topMargin=0.7 * 72,
        bottomMargin=0.75 * 72,
        title=title,
        author="MA Desk",
        creator="MA Desk",
        subject="",
        initialFontName=fonts.REGULAR,  # every font embedded: no Helvetica set by default
    )
    furniture = Furniture(header_left, header_right, footer_left, language, identity)
    canvas_class = _numbered_canvas_class(furniture, pages_out)
    doc.build(list(story), canvasmaker=canvas_class)
    return buffer.getvalue()


def frame_width(landscape: bool = False) -> float:
    return (11 if landscape else 8.5) * 72 - 1.5 * 72


def fmt_date(day: dt.date | None) -> str:
    return f"{day:%b} {day.day}, {day.year}" if day else ""


def fmt_long_date(day: dt.date | None) -> str:
    return f"{day:%A, %B} {day.day}, {day.year}" if day else ""


def fmt_time(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100:,}.{abs(cents) % 100:02d}"
