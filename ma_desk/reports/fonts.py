"""The bundled Unicode fonts and the one way user text becomes Paragraph markup.

ReportLab's Paragraph text is a small markup language: an unescaped ``<`` or
``&`` in a patient's name would raise a parse error or inject tags (``<img>``
even makes ReportLab fetch a URL). Every user string therefore goes through
``para()``, which drops control characters, escapes the rest and switches runs
that DejaVu Sans cannot show (Korean, Chinese, Japanese, emoji) to a fallback
font, character by character (``runs``, the one place every document's text goes
through). Right-to-left text is shaped and put in drawing order there too
(``visual``). Fonts are registered once per process, on first use, so importing
this module costs nothing until something is printed.
"""

from __future__ import annotations

import threading
import unicodedata
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from ma_desk.paths import resource

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

REGULAR = "MADesk"
BOLD = "MADesk-Bold"
HANGUL = "MADeskHangul"
CJK = "MADeskCJK"
EMOJI = "MADeskEmoji"
NOTO_EMOJI = "MADeskNotoEmoji"

_FILES = {
    REGULAR: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
}
# Tried in this order for a character DejaVu Sans lacks; each has one weight only.
# Hangul comes before Droid (which has three Hangul syllables that would not match the rest).
FALLBACKS = (
    (HANGUL, "MADeskHangul-Regular.ttf"),
    (CJK, "DroidSansFallbackFull.ttf"),
    (EMOJI, "Symbola-Emoji.ttf"),
    (NOTO_EMOJI, "NotoEmoji-Subset.ttf"),  # the emoji after Unicode 8 that Symbola lacks
)

_lock = threading.Lock()
_base_ready = False
_regular_chars: frozenset[int] = frozenset()
_fallback_chars: dict[str, frozenset[int]] = {}  # filled one font at a time, when first needed

FIT_TOLERANCE = (
    0.01  # points: a width measured in pieces may differ from the whole in the last bits
)
_RTL_CLASSES = frozenset({"R", "AL"})
_INVISIBLE = frozenset({"Cf", "Cc", "Cs", "Co", "Cn", "Zl", "Zp"})


def ensure_fonts() -> None:
    """Register DejaVu Sans (regular + bold) as the MADesk family; cheap after the first call."""
    global _base_ready, _regular_chars
    if _base_ready:
        return
    with _lock:
        if _base_ready:
            return
        from reportlab.pdfbase import pdfmetrics

        _fix_astral_to_unicode()
        _embed_table_default_font()
        for name, filename in _FILES.items():
            _register(name, filename)
        _map_family(REGULAR, BOLD)
        _regular_chars = frozenset(pdfmetrics.getFont(REGULAR).face.charWidths)
        _base_ready = True


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """ReportLab's ToUnicode CMap with each character as UTF-16 (surrogate pairs above U+FFFF).

    ReportLab writes ``<%04X>``, so an emoji (U+1F600) became the invalid ``<1F600>`` and
    text extractors read it as U+1F60 "ὠ"; a PDF's copy, search and screen readers need this.
    """
    entries = [f"<{i:02X}> <{chr(code).encode('utf-16-be').hex().upper()}>"
               for i, code in enumerate(subset)]  # fmt: skip
    return "\n".join([
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
        "/CIDSystemInfo", f"<< /Registry ({fontname})", f"/Ordering ({fontname})",
        "/Supplement 0", ">> def", f"/CMapName /{fontname} def", "/CMapType 2 def",
        "1 begincodespacerange", f"<00> <{len(subset) - 1:02X}>", "endcodespacerange",
        f"{len(subset)} beginbfchar", *entries, "endbfchar", "endcmap",
        "CMapName currentdict /CMap defineresource pop", "end", "end",
    ])  # fmt: skip


def _fix_astral_to_unicode() -> None:
    from reportlab.pdfbase import ttfonts

    ttfonts.makeToUnicodeCMap = _to_unicode_cmap


def _embed_table_default_font() -> None:
    """A table cell's (and a chart's) default font is Helvetica, never embedded: use DejaVu.

    Every cell here holds a Paragraph or sets its font, but ReportLab still selects the
    default font per cell, so each PDF named an unembedded Helvetica (pdffonts "emb no").
    """
    from reportlab.graphics import shapes
    from reportlab.platypus import tables

    tables.CellStyle.fontname = REGULAR
    shapes.STATE_DEFAULTS["fontName"] = REGULAR  # a chart's initial font, likewise


def _register(name: str, filename: str) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(name, str(resource("fonts", filename))))


def _map_family(regular: str, bold: str) -> None:
    """``<b>`` inside a Paragraph picks ``bold``; a one-weight font maps to itself."""
    from reportlab.lib.fonts import addMapping

    for is_bold in (0, 1):
        for italic in (0, 1):
            addMapping(regular, is_bold, italic, bold if is_bold else regular)


def _fallback_covers(name: str, filename: str, code: int) -> bool:
    """Whether fallback font ``name`` has ``code``, registering the font on first use."""
    chars = _fallback_chars.get(name)
    if chars is None:
        with _lock:
            chars = _fallback_chars.get(name)
            if chars is None:
                from reportlab.pdfbase import pdfmetrics

                _register(name, filename)
                _map_family(name, name)
                chars = frozenset(pdfmetrics.getFont(name).face.charWidths)
                _fallback_chars[name] = chars
    return code in chars


def font_for(ch: str) -> str | None:
    """The first bundled font that draws ``ch`` (DejaVu first), or None when none does."""
    ensure_fonts()
    code = ord(ch)
    if code in _regular_chars or ch.isspace():
        return REGULAR
    for name, filename in FALLBACKS:
        if _fallback_covers(name, filename, code):
            return name
    return None


def clean(text: object) -> str:
    """Printable text: control, format, surrogate, private-use and unassigned characters removed.

    Tabs and line breaks become spaces or newlines. Invisible format characters (zero-width
    joiners, bidi marks, emoji variation selectors) go too: no font draws them, and a
    missing glyph prints as a box. Everything else a person could type is kept as it is.
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
        elif unicodedata.category(ch) in _INVISIBLE or _is_variation_selector(ch):
            continue
        else:
            out.append(ch)
    return "".join(out)


def symbol_name(ch: str) -> str:
    """A symbol no bundled font draws (an emoji newer than the fonts) as its Unicode name in
    brackets, "[stethoscope]": a reader still learns what was typed, and no box prints."""
    return f"[{unicodedata.name(ch, 'symbol').lower()}]"


def _name_missing_symbols(text: str) -> str:
    """``text`` with each symbol no bundled font has replaced by ``symbol_name``."""
    return "".join(symbol_name(ch) if unicodedata.category(ch) == "So" and font_for(ch) is None
                   else ch for ch in text)  # fmt: skip


def _is_variation_selector(ch: str) -> bool:
    code = ord(ch)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def has_rtl(text: str) -> bool:
    """Whether ``text`` holds Arabic, Hebrew or another right-to-left letter."""
    return not text.isascii() and any(unicodedata.bidirectional(ch) in _RTL_CLASSES for ch in text)


def visual(text: str) -> str:
    """One line in drawing order: Arabic letters joined, right-to-left runs reversed.

    Documents are left-to-right, so the base direction is left-to-right: "DOB" and the MRN
    stay where they are, an Arabic or Hebrew name reads right to left in its place, and
    digits inside it keep their order (Unicode bidi algorithm, python-bidi). Arabic is
    shaped into its presentation forms (arabic-reshaper), which DejaVu Sans draws.
    """
    if not has_rtl(text):
        return text
    import arabic_reshaper
    from bidi import get_display

    return "\n".join(get_display(arabic_reshaper.reshape(line), base_dir="L")
                     for line in text.split("\n"))  # fmt: skip


def runs(text: str) -> list[tuple[str, str]]:
    """Cleaned text in drawing order, split into (font, run) pieces: each character in the
    first bundled font that has it; a symbol none has is written as its name
    (``symbol_name``), a letter none has stays in DejaVu (a box)."""
    ensure_fonts()
    if text.isascii():
        return [(REGULAR, text)] if text else []
    pieces: list[tuple[str, str]] = []
    current_font, current = REGULAR, list[str]()
    for ch in visual(_name_missing_symbols(text)):
        font = font_for(ch) or REGULAR
        if font != current_font and current:
            pieces.append((current_font, "".join(current)))
            current = []
        current_font = font
        current.append(ch)
    if current:
        pieces.append((current_font, "".join(current)))
    return pieces


def missing_glyphs(text: object) -> set[str]:
    """Characters of ``text`` that no bundled font can draw (they print as a box)."""
    value = clean(text)
    if value.isascii():
        return set()
    return {ch for ch in set(_name_missing_symbols(value)) if font_for(ch) is None}


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


def draw_string(canvas: Canvas, x: float, y: float, text: object, *, font: str = REGULAR,
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
    return float(total)


def text_width(text: object, *, font: str = REGULAR, size: float = 9) -> float:
    """Width in points of one line of text, with the same font fallback as ``draw_string``."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    value = clean(text).replace("\n", " ")
    return float(sum(stringWidth(r, font if f == REGULAR else f, size) for f, r in runs(value)))


def wrap_lines(text: str, width: float, *, font: str = REGULAR, size: float = 9) -> list[str]:
    """``text`` broken into lines of at most ``width`` points, in typed (logical) order.

    Right-to-left text has to be wrapped before it is put in drawing order: reversing a
    whole paragraph first would print its last words on its first line. Lines break at
    spaces; a word wider than a line is cut between characters.
    """
    lines: list[str] = []
    for hard_line in clean(text).split("\n"):
        current = ""
        for word in hard_line.split(" "):
            candidate = f"{current} {word}" if current else word
            if text_width(candidate, font=font, size=size) <= width + FIT_TOLERANCE:
                current = candidate
                continue
            if current:
                lines.append(current)
            current = word
            while len(current) > 1 and text_width(current, font=font, size=size) > width:
                cut = _longest_fitting_prefix(current, width, font, size)
                lines.append(current[:cut])
                current = current[cut:]
        lines.append(current)
    return lines


def _longest_fitting_prefix(word: str, width: float, font: str, size: float) -> int:
    """How many leading characters of ``word`` fit ``width`` (at least one)."""
    lo, hi = 1, len(word)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if text_width(word[:mid], font=font, size=size) <= width + FIT_TOLERANCE:
            lo = mid
        else:
            hi = mid - 1
    return lo


def fit(text: object, width: float, *, font: str = REGULAR, size: float = 9) -> str:
    """The text shortened with an ellipsis so that it fits ``width`` points on one line."""
    value = clean(text).replace("\n", " ")

    def measure(s: str) -> float:
        return text_width(s, font=font, size=size)

    if measure(value) <= width + FIT_TOLERANCE:
        return value
    lo, hi = 0, len(value)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if measure(value[:mid] + "…") <= width + FIT_TOLERANCE:
            lo = mid
        else:
            hi = mid - 1
    return value[:lo].rstrip() + "…"
