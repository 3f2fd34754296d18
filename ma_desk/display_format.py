"""One way to show dates and times on every screen, following the clinic's locale.

Before this, the report dialog showed ISO dates, the status bar a 24-hour clock and the
insurance history a 12-hour one. Every date or time staff read on screen now comes from
here: the clinic's locale (CLDR data through Babel) decides the order, separators and the
12- or 24-hour clock; dates always carry two-digit days and months and a four-digit year
("11/23/2026"), so no date reads as two. File names get a sortable stamp instead.

Pure: no Qt. Results are cached per value, as tables format the same slot times often.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime

DEFAULT_LOCALE = "en_US"
_NARROW_SPACES = str.maketrans({"\u202f": " ", "\u00a0": " "})
_current = DEFAULT_LOCALE


@dataclass(frozen=True)
class Patterns:
    """CLDR patterns of one locale: date, time, day+month and the weekday's form."""

    date: str  # "MM/dd/yyyy"
    time: str  # "h:mm a"
    day_month: str  # "MM/dd"
    long_date: str  # "EEEE, MMMM d, y"


def use_locale(code: str | None) -> str:
    """Show dates the way ``code`` (e.g. 'en_US', 'es_US', 'de_DE') writes them; an unknown
    or empty code keeps the default. Returns the locale in use."""
    global _current
    _current = _checked(code or DEFAULT_LOCALE)
    return _current


def current_locale() -> str:
    return _current


@functools.cache
def _checked(code: str) -> str:
    try:
        return str(Locale.parse(code.replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError):
        return DEFAULT_LOCALE


def _two_digits(pattern: str) -> str:
    """'M/d/yy' -> 'MM/dd/yyyy': fixed widths, a four-digit year."""
    pattern = re.sub(r"y+", "yyyy", pattern)
    pattern = re.sub(r"(?<!M)M(?!M)", "MM", pattern)
    return re.sub(r"(?<!d)d(?!d)", "dd", pattern)


@functools.cache
def patterns(code: str) -> Patterns:
    """The patterns of a locale in use (see :func:`use_locale`)."""
    locale = Locale.parse(code)
    return Patterns(
        date=_two_digits(locale.date_formats["short"].pattern),
        time=locale.time_formats["short"].pattern.translate(_NARROW_SPACES),
        day_month=_two_digits(locale.datetime_skeletons["Md"].pattern),
        long_date=locale.date_formats["full"].pattern,
    )


@functools.lru_cache(maxsize=8192)
def _format(value: dt.date | dt.time, pattern: str, code: str) -> str:
    if isinstance(value, dt.time):
        value = dt.datetime.combine(dt.date(2000, 1, 1), value)
    if isinstance(value, dt.datetime):
        text = format_datetime(value, pattern, locale=code)
    else:
        text = format_date(value, pattern, locale=code)
    return text.translate(_NARROW_SPACES)


def _show(value: dt.date | dt.time | None, pattern: str) -> str:
    return "" if value is None else _format(value, pattern, _current)


def date_text(day: dt.date | None) -> str:
    """'11/23/2026' (en_US), '23/11/2026' (es_US), '23.11.2026' (de_DE)."""
    return _show(day, patterns(_current).date)


def time_text(moment: dt.datetime | dt.time | None) -> str:
    """'10:30 AM' (en_US), '10:30' (de_DE)."""
    return _show(moment, patterns(_current).time)


def date_time_text(moment: dt.datetime | None) -> str:
    """'11/23/2026 10:30 AM'."""
    p = patterns(_current)
    return _show(moment, f"{p.date} {p.time}")


def day_month_text(day: dt.date | None) -> str:
    """'11/23': a date in this week's or this month's context."""
    return _show(day, patterns(_current).day_month)


def weekday_text(day: dt.date | None) -> str:
    """'Mon 11/23': a day in a week view."""
    return _show(day, f"EEE {patterns(_current).day_month}")


def weekday_time_text(moment: dt.datetime | None) -> str:
    """'Mon 11/23 10:30 AM': an appointment's start."""
    p = patterns(_current)
    return _show(moment, f"EEE {p.day_month} {p.time}")


def day_month_time_text(moment: dt.datetime | None) -> str:
    """'11/23 10:30 AM'."""
    p = patterns(_current)
    return _show(moment, f"{p.day_month} {p.time}")


def long_date_text(day: dt.date | None) -> str:
    """'Monday, November 23, 2026': the status bar's date."""
    return _show(day, patterns(_current).long_date)


def seconds_text(moment: dt.datetime | None) -> str:
    """'11/23/2026 10:30:05 AM': where the order of events within a minute matters (audit)."""
    p = patterns(_current)
    return _show(moment, f"{p.date} {p.time.replace('mm', 'mm:ss', 1)}")


# ------------------------------------------------------------------ Qt date/time inputs
def qt_pattern(cldr: str) -> str:
    """A CLDR pattern as Qt's QDateTimeEdit display format ('a' is 'AP' there)."""
    return re.sub(r"a+", "AP", cldr).replace("EEEE", "dddd").replace("EEE", "ddd")


def qt_date_format() -> str:
    return qt_pattern(patterns(_current).date)


def qt_weekday_date_format() -> str:
    return qt_pattern(f"EEE {patterns(_current).date}")


def qt_time_format() -> str:
    return qt_pattern(patterns(_current).time)


# ------------------------------------------------------------------ typed text
def typed_time_text(moment: dt.time) -> str:
    """'08:00': a time put back into a field where staff type 24-hour times (the setup's
    opening hours), so it reads back the way it is parsed."""
    return f"{moment:%H:%M}"


def typed_date_text(day: dt.date | None) -> str:
    """'04/03/2026': a date put back into a field staff type in, in the month-first form
    the services parse (``parse_dob``), whatever the display locale, so that saving an
    unchanged form never swaps day and month."""
    return "" if day is None else f"{day:%m/%d/%Y}"


# ------------------------------------------------------------------ file names
def file_date(day: dt.date) -> str:
    """'2026-11-23': sorts by date in any folder, whatever the locale."""
    return f"{day:%Y-%m-%d}"


def file_stamp(moment: dt.datetime) -> str:
    """'20261123-1030'."""
    return f"{moment:%Y%m%d-%H%M}"


def compact_date(day: dt.date) -> str:
    """'20261123': the date in a file name that already has other dashes."""
    return f"{day:%Y%m%d}"


# Loading the default locale's CLDR data takes tens of ms: done on import, which the app
# runs off the UI thread while staff type their password (ma_desk.ui.warm_up).
long_date_text(dt.date(2000, 1, 3))
date_time_text(dt.datetime(2000, 1, 3, 9, 0))
