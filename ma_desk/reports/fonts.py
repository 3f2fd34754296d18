"""The bundled Unicode fonts and the one way user text becomes Paragraph markup.

ReportLab's Paragraph text is a small markup language: an unescaped ``<`` or
``&`` in a patient's name would raise a parse error or inject tags (``<img>``
even makes ReportLab fetch a URL). Every user string therefore goes through
``para()``, which drops control characters, escapes the rest and switches runs
that DejaVu Sans cannot show (Chinese, Japanese, Korean) to the fallback font.
Fonts are registered once per process, on first use, so importing this module
costs nothing until something is printed.
"""

from __future__ import annotations

import threading
import unicodedata
from xml.sax.saxutils import escape

from ma_desk.paths import resource

REGULAR = "MADesk"
BOLD = "MADesk-Bold"
CJK = "MADeskCJK"

_FILES = {
    REGULAR: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
}
_CJK_FILE = "DroidSansFallbackFull.ttf"

_lock = threading.Lock()
_base_ready = False
_cjk_ready = False
_regular_chars: frozenset[int] = frozenset()
_cjk_chars: frozenset[int] = frozenset()


def ensure_fonts() -> None:
    """Register DejaVu Sans (regular + bold) as the MADesk family; cheap after the first call."""
    global _base_ready, _regular_chars
    if _base_ready:
        return
    with _lock:
        if _base_ready:
            return
        from reportlab.lib.fonts import addMapping
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        for name, filename in _FILES.items():
            pdfmetrics.registerFont(TTFont(name, str(resource("fonts", filename))))
        for bold in (0, 1):
            for italic in (0, 1):
                addMapping(REGULAR, bold, italic, BOLD if bold else REGULAR)
        _regular_chars = frozenset(pdfmetrics.getFont(REGULAR).face.charWidths)
        _base_ready = True


def _ensure_cjk() -> None:
    global _cjk_ready, _cjk_chars
    if _cjk_ready:
        return
    with _lock:
        if _cjk_ready:
            return
        from reportlab.lib.fonts import addMapping
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        pdfmetrics.registerFont(TTFont(CJK, str(resource("fonts", _CJK_FILE))))
        for bold in (0, 1):
            for italic in (0, 1):
                addMapping(CJK, bold, italic, CJK)
        _cjk_chars = frozenset(pdfmetrics.getFont(CJK).face.charWidths)
        _cjk_ready = True


def clean(text: object) -> str:
    """Printable text: control, surrogate, private-use and unassigned characters removed.

    Tabs and line breaks become spaces or newlines; everything else a person could type
    is kept as it is.
    """
    value = "" if text is None else str(text)
    if value.isascii() and value.isprintable():
        return value
    out = []
    for ch in value.replace("\r\n", "\n"):
        if ch in "\n\r":
            out.append("\n")
        elif ch == "\t":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp"):
            continue
        else:
            out.append(ch)
    return "".join(out)


def runs(text: str) -> list[tuple[str, str]]:
    """Split cleaned text into (font, run) pieces: DejaVu where it has the glyph, else CJK."""
    ensure_fonts()
    if text.isascii():
        return [(REGULAR, text)] if text else []
    pieces: list[tuple[str, str]] = []
    current_font, current = REGULAR, []
    for ch in text:
        code = ord(ch)
        font = REGULAR
        if code not in _regular_chars and not ch.isspace():
            _ensure_cjk()
            if code in _cjk_chars:
                font = CJK
        if font != current_font and current:
            pieces.append((current_font, "".join(current)))
            current = []
        current_font = font
        current.append(ch)
    if current:
        pieces.append((current_font, "".join(current)))
    return pieces


def missing_glyphs(text: object) -> set[str]:
    """Characters of ``text`` that neither bundled font can draw (they print as a box)."""
    ensure_fonts()
    value = clean(text)
    missing = {ch for ch in value if ord(ch) not in _regular_chars and not ch.isspace()}
    if missing:
        _ensure_cjk()
        missing = {ch for ch in missing if ord(ch) not in _cjk_chars}
    return missing


def para(text: object, *, limit: int | None = None, keep_newlines: bool = True) -> str:
    """Safe Paragraph markup for one user string (escaped, font-switched, newlines kept)."""
    value = clean(text)
    if limit is not None and len(value) > limit:
        value = value[: limit - 1].rstrip() + "…"
    parts = []
    for font, run in runs(value):
        escaped = escape(run)
        escaped = escaped.replace("\n", "<br/>") if keep_newlines else escaped.replace("\n", " ")
        parts.append(escaped if font == REGULAR else f'<font name="{font}">{escaped}</font>')
    return "".join(parts)


def draw_string(canvas, x: float, y: float, text: object, *, font: str = REGULAR,
                size: float = 9, align: str = "left") -> float:  # fmt: skip
    """Draw one line on a canvas with the same font fallback; returns the width drawn."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    pieces = runs(clean(text).replace("\n", " "))
    widths = [stringWidth(run, font if f == REGULAR else f, size) for f, run in pieces]
    total = sum(widths)
    if align == "right":
        x -= total
    elif align == "center":
        x -= total / 2
    for (f, run), width in zip(pieces, widths, strict=True):
        canvas.setFont(font if f == REGULAR else f, size)
        canvas.drawString(x, y, run)
        x += width
    return total


def text_width(text: object, *, font: str = REGULAR, size: float = 9) -> float:
    """Width in points of one line of text, with the same font fallback as ``draw_string``."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    value = clean(text).replace("\n", " ")
    return sum(stringWidth(r, font if f == REGULAR else f, size) for f, r in runs(value))


def fit(text: object, width: float, *, font: str = REGULAR, size: float = 9) -> str:
    """The text shortened with an ellipsis so that it fits ``width`` points on one line."""
    value = clean(text).replace("\n", " ")

    def measure(s: str) -> float:
        return text_width(s, font=font, size=size)

    if measure(value) <= width:
        return value
    lo, hi = 0, len(value)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if measure(value[:mid] + "…") <= width:
            lo = mid
        else:
            hi = mid - 1
    return value[:lo].rstrip() + "…"
