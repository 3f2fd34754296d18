"""CSV that a spreadsheet opens as data, never as formulas (OWASP's CSV injection guidance).

Every CSV MA Desk writes goes through ``csv_text``. Its rules for a cell:

- **Text** (names, notes, user names typed at a failed sign-in, anything a person typed)
  gets a leading apostrophe when a spreadsheet could run it: when it starts with a tab,
  carriage return or line feed, or when its first character after any blanks, control or
  invisible format characters is ``=``, ``+``, ``-``, ``@`` or a look-alike that Unicode
  folds to one of them (the full-width ``＝＋－＠``, the small forms ``﹦﹢﹣﹫``, the
  super- and subscript signs) or the minus sign ``−``. Line breaks inside a cell become
  spaces, so each record stays on one line for tools that split lines naively.
- **Numbers** (``int``, ``Decimal``, finite ``float``) are values MA Desk computed, not
  typed text: they are written as they are, so a copay of ``-5.00`` stays a number a
  spreadsheet can add up. Text that merely looks like a number (``"-5"`` typed as a
  name) is text and is neutralised like any other. A non-finite float is written as text.
- ``None`` is an empty cell.
"""

from __future__ import annotations

import csv
import io
import math
import unicodedata
from collections.abc import Iterable
from decimal import Decimal

FORMULA_STARTS = frozenset("=+-@\u2212")
LINE_BREAKS = ("\r\n", "\r", "\n")
Cell = str | int | float | Decimal


def _is_blank(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def _starts_formula(ch: str) -> bool:
    return ch in FORMULA_STARTS or unicodedata.normalize("NFKC", ch)[:1] in FORMULA_STARTS


def is_formula_risk(text: str) -> bool:
    """True when a spreadsheet might run ``text`` as a formula (or split it at a tab)."""
    if text[:1] in ("\t", "\r", "\n"):
        return True
    for ch in text:
        if not _is_blank(ch):
            return _starts_formula(ch)
    return False


def safe_text(value: object) -> str:
    """``value`` as one line of text, with a leading apostrophe when it could run."""
    text = "" if value is None else str(value)
    if is_formula_risk(text):
        text = "'" + text
    for brk in LINE_BREAKS:
        text = text.replace(brk, " ")
    return text


def safe_cell(value: object) -> Cell:
    """A number MA Desk computed stays a number; everything else becomes safe text."""
    if isinstance(value, bool):
        return safe_text(value)
    if isinstance(value, int) or (isinstance(value, Decimal) and value.is_finite()):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return safe_text(value)


def csv_text(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """The whole CSV (header, then one safe row per record) with CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_text(name) for name in header])
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return out.getvalue()
