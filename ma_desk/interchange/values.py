"""Cells of an old system's export: dates, phone numbers, formulas, in the common US forms."""

from __future__ import annotations

import datetime as dt
import re

import phonenumbers

# A date as practice-management systems write it: 03/07/2025, 3/7/25, 2025-03-07.
_US_DATE = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{2}|\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\S*)?$")
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?(?::\d{2})?\s*([AaPp]\.?[Mm]\.?)?$")
# (555) 201-4477, 555-201-4477, 555.201.4477, 555 201 4477, 5552014477, +1 555 201 4477
_PLAIN_US_PHONE = re.compile(r"^(?:\+?1[\s.-]?)?\(?([2-9]\d{2})\)?[\s.-]?(\d{3})[\s.-]?(\d{4})$")
# What a spreadsheet would run as a formula (CSV injection): never stored as typed.
_FORMULA = re.compile(r"^[=@]|^[+\-]\s*[A-Za-z(]|^[\t\r]")


class CellError(ValueError):
    """A cell that cannot be read; the message says what was expected."""


def parse_date(text: str, today: dt.date) -> dt.date | None:
    """MM/DD/YYYY, M/D/YY or YYYY-MM-DD; None for an empty cell.

    Two-digit years are the most recent past year up to today ("4/5/80" is 1980).
    A date that does not exist (02/30/2025) is refused, never moved to March.
    """
    text = text.strip()
    if not text:
        return None
    us = _US_DATE.match(text)
    iso = _ISO_DATE.match(text)
    if us:
        month, day, year = (int(part) for part in us.groups())
        if len(us.group(3)) == 2:
            year += 2000 if 2000 + year <= today.year else 1900
    elif iso:
        year, month, day = (int(part) for part in iso.groups())
    else:
        raise CellError(f"“{_short(text)}” is not a date; use MM/DD/YYYY or YYYY-MM-DD.")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise CellError(f"{_short(text)} is not a real date (check month and day).") from None


def parse_time(text: str) -> dt.time:
    """9:30, 09:30, 14:05, 2:05 PM, 2 pm."""
    found = _TIME.match(text.strip())
    if not found:
        raise CellError(f"“{_short(text)}” is not a time; use e.g. 9:30 AM or 14:30.")
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    half = (found.group(3) or "").lower().replace(".", "")
    if half:
        if not 1 <= hour <= 12:
            raise CellError(f"{_short(text)} is not a time of day.")
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise CellError(f"{_short(text)} is not a time of day.")
    return dt.time(hour, minute)


def parse_datetime(text: str, today: dt.date) -> dt.datetime:
    """A date and time in one cell: "03/07/2026 9:30 AM" or "2026-03-07T09:30"."""
    text = text.strip().replace("T", " ", 1)
    date_part, _, time_part = text.partition(" ")
    day = parse_date(date_part, today)
    if day is None or not time_part.strip():
        raise CellError(f"“{_short(text)}” needs a date and a time, e.g. 03/07/2026 9:30 AM.")
    return dt.datetime.combine(day, parse_time(time_part))


def parse_us_phone(text: str) -> str:
    """The 10 digits of a US number written any usual way: (555) 201-4477, 555.201.4477,
    +1 555 201 4477, 5552014477 x12 (the extension is dropped); "" for an empty cell."""
    text = text.strip()
    if not text:
        return ""
    plain = _PLAIN_US_PHONE.match(text)
    if plain:  # the usual shapes, read without the full parser (imports of 100k rows)
        return "".join(plain.groups())
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        raise CellError(f"“{_short(text)}” is not a phone number.") from None
    digits = str(number.national_number)
    if number.country_code != 1 or len(digits) != 10:
        raise CellError(f"“{_short(text)}” is not a 10-digit US phone number.")
    return digits


def looks_like_formula(text: str) -> bool:
    """True for a cell a spreadsheet would execute (=cmd|..., @SUM(...), +HYPERLINK(...))."""
    return bool(_FORMULA.match(text))


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
