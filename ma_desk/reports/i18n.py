"""The fixed words of printed documents in the patient's language.

Every word a document prints that staff did not type (headings, "Page 1 of 2", "DOB",
the letterhead's "Phone") comes from ``resources/i18n/<code>.json``; dates and
numbers ("37,2 °C") are formatted by Babel (CLDR) for that language. A language is added by adding a file:
``names`` in it lists what staff may have typed as the patient's preferred language
("Spanish", "Español"). English is the fallback for anything without a file, and the
English file holds every key (a test checks that every file has exactly its keys).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ma_desk.paths import resource

DEFAULT = "en"
_CODE = re.compile(r"^[a-z]{2,3}$")
_FIELD = re.compile(r"\{[a-z_]+\}")
_FIELD_SPLIT = re.compile(r"(\{[a-z_]+\})")
# A decimal number the app wrote in its own (POSIX) form: "37.2", never part of a word.
_DECIMAL = re.compile(r"(?<![\w.])(\d+)\.(\d+)(?![\w.])")
_NARROW_SPACES = str.maketrans({"\u202f": " ", "\u00a0": " "})


@dataclass(frozen=True)
class Words:
    """One language's words: ``words["key"]`` or ``words.fmt("key", name=value)``."""

    code: str
    name: str  # the language's own name ("Español")
    table: Mapping[str, str]
    phrases: tuple[tuple[re.Pattern[str], str], ...] = ()

    def __getitem__(self, key: str) -> str:
        return self.table[key]

    def fmt(self, key: str, **values: object) -> str:
        return self.table[key].format(**values)

    def phrase(self, text: str) -> str:
        """A sentence the app wrote in English (a vital sign's meaning) in this language.

        The file's ``phrases`` map English templates to this language's; ``{name}`` parts
        match text (see ``_field_pattern``) and are translated in turn, the template with
        the most fixed words first. Text no template matches keeps its words, with its
        decimal numbers in this language's form ("37,2").
        """
        for pattern, own in self.phrases:
            found = pattern.fullmatch(text)
            if found:
                return own.format(**{k: self.phrase(v) for k, v in found.groupdict().items()})
        return self.numbers(text)

    def number(self, value: float | Decimal, decimals: int = 0) -> str:
        """The one way a number reaches a document: this language's decimal sign, no grouping
        ("37.2" / "37,2"), rounded to ``decimals`` places (Babel, CLDR)."""
        from babel.numbers import format_decimal

        pattern = "0." + "0" * decimals if decimals > 0 else "0"
        return format_decimal(value, format=pattern, locale=self.code,
                              decimal_quantization=True)  # fmt: skip

    def numbers(self, text: str) -> str:
        """App-written text with each decimal number ("70.5 kg") in this language's form."""
        if "." not in text:
            return text
        from babel.numbers import get_decimal_symbol

        sign = get_decimal_symbol(self.code)  # digits stay as written ("00.5" -> "00,5")
        return _DECIMAL.sub(lambda m: f"{m.group(1)}{sign}{m.group(2)}", text)

    def date(self, day: dt.date | None, style: str = "medium") -> str:
        """A date in this language: ``style`` is short/medium/long/full or a CLDR pattern key
        of the file (``"label_date"``), e.g. "Jul 9, 1984" / "9 jul 1984"."""
        if day is None:
            return ""
        from babel.dates import format_date

        pattern = self.table.get(f"format.{style}", style)
        return format_date(day, format=pattern, locale=self.code).translate(_NARROW_SPACES)

    def time(self, moment: dt.datetime | dt.time | None) -> str:
        """A clock time in this language ("9:30 AM" / "9:30")."""
        if moment is None:
            return ""
        from babel.dates import format_time

        pattern = self.table.get("format.time", "short")
        return format_time(moment, format=pattern, locale=self.code).translate(_NARROW_SPACES)


@functools.cache
def available() -> tuple[str, ...]:
    """The language codes that have a file, English first."""
    codes = sorted(p.stem for p in resource("i18n").glob("*.json") if _CODE.match(p.stem))
    return tuple(sorted(codes, key=lambda code: code != DEFAULT))


@functools.cache
def _raw(code: str) -> dict[str, Any]:
    words: dict[str, Any] = json.loads(resource("i18n", f"{code}.json").read_text(encoding="utf-8"))
    return words


@functools.cache
def words(code: str) -> Words:
    """The words of ``code``; English when there is no such file."""
    if code not in available():
        code = DEFAULT
    raw = _raw(code)
    table = {key: value for key, value in raw.items() if isinstance(value, str)}
    templates = sorted(raw.get("phrases", {}).items(), key=lambda item: -_fixed_length(item[0]))
    phrases = tuple(_template(english, own) for english, own in templates)
    return Words(code, raw.get("language", code), table, phrases)


def _fixed_length(english: str) -> int:
    """How much of a template is fixed text: the more, the more specific it is."""
    return len(_FIELD.sub("", english))


def _template(english: str, own: str) -> tuple[re.Pattern[str], str]:
    """ "{finding}. Your care team was alerted." as a pattern whose groups fill ``own``."""
    pattern = "".join(_field_pattern(part[1:-1]) if _FIELD.fullmatch(part) else re.escape(part)
                      for part in _FIELD_SPLIT.split(english) if part)  # fmt: skip
    return re.compile(pattern), own


_CLAUSE_FIELDS = frozenset({"finding", "first", "rest"})


def _field_pattern(name: str) -> str:
    """What a ``{field}`` matches: ``{n}`` a whole number (so "{n}th" never eats a word);
    ``{finding}``, ``{first}`` and ``{rest}`` any text; any other field text without the
    "; " that joins separate findings, so it never swallows the next one."""
    if name == "n":
        return f"(?P<{name}>[0-9]+)"
    return f"(?P<{name}>.+?)" if name in _CLAUSE_FIELDS else f"(?P<{name}>[^;]+?)"


def language_for(preferred_language: str | None) -> str | None:
    """The file's code for what staff recorded ("Spanish", "español", "es"); None if no file.

    An empty preferred language is English.
    """
    text = (preferred_language or "").strip().casefold()
    if not text:
        return DEFAULT
    for code in available():
        if text == code or text in (name.casefold() for name in _raw(code).get("names", [])):
            return code
    return None


def document_language(preferred_language: str | None) -> str:
    """The language a patient's document prints in: theirs when it has a file, else English."""
    return language_for(preferred_language) or DEFAULT


def fallback_note(preferred_language: str | None) -> str:
    """What the print preview tells staff when a document falls back to English; else ""."""
    if language_for(preferred_language) is not None:
        return ""
    typed = " ".join((preferred_language or "").split())[:40]
    return f"Printed in English: there is no {typed} translation of printed documents."
