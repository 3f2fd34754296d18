"""Every colour the app paints outside the clinic stylesheet, named by what it means, and
the text-on-background pairs they form (issue 15 item 8).

Kept in one place so contrast is checked once: ``TEXT_PAIRS`` lists every foreground and
background that text is drawn in, and tests hold each pair to WCAG 2.2 AA (4.5:1, or 3:1
for large text). Colour never carries a meaning alone: each state also has a word or
symbol where it is shown. No Qt here: plain '#rrggbb' strings.
"""

from __future__ import annotations

import re
from functools import lru_cache

# ---------------------------------------------------------------- surfaces
SURFACE = "#ffffff"  # tables, fields, cards
WINDOW = "#f6f8fa"  # dialog and window background (clinic.qss)
ALTERNATE_ROW = "#f3f7fb"  # every other table row (clinic.qss)
BOARD = "#fafbfc"  # behind the room cards
THUMBNAIL = "#f7f9fb"  # an empty card-image slot
SELECTION = "#1f6fb5"  # the chosen row (clinic.qss)

# ---------------------------------------------------------------- text
TEXT = "#17202a"
INK = "#1b1b1b"  # text drawn on cards and amber bands
HEADING = "#0b4f8a"
TITLE = "#10263d"
MUTED_TEXT = "#5f6b76"  # secondary words: hints, inactive rows, legends
CARD_DETAIL = "#5f6b7a"
HINT = "#4a5563"
THUMBNAIL_TEXT = "#5a6b7c"
PREVIOUS = "#555555"  # last visit's value beside a vitals field
ON_COLOUR = "#ffffff"  # words on a saturated badge or banner
ERROR_TEXT = "#b00020"
CRITICAL_TEXT = "#b71c1c"
WARNING_TEXT = "#7a4a00"  # brown, for amber states
CAUTION_TEXT = "#8a5a00"
ABNORMAL_TEXT = "#a15c00"
FLAG_TEXT = "#9a5b00"  # an insurance or scheduling flag in a details pane
OK_TEXT = "#2e6b30"
VERIFIED_TEXT = "#1e6b34"

# ---------------------------------------------------------------- state fills (text on them)
AMBER = "#fff3cd"  # to do, open, check needed
AMBER_LIGHT = "#fff4d6"  # abnormal vitals field
PEACH = "#fdebd0"  # a long wait, a billing flag
PEACH_LIGHT = "#fef5e7"  # a clash warning in the appointment dialog
RED = "#f8d7da"  # inactive coverage, a stale check
ROSE = "#fde2e1"  # not done, a compliance gap
ROSE_AUDIT = "#fde2e4"  # an emergency-access audit entry
CRITICAL_FILL_LIGHT = "#fde3e1"  # critical vitals field
SALMON = "#f5b7b1"  # a very long wait, a critical vital not yet told
GREEN = "#d4edda"  # active coverage, with provider, provider told
MINT = "#e3f4e4"  # done, restocked
OFFER = "#d5f5e3"  # a waitlist offer
CYAN = "#d1ecf1"  # roomed
GREY = "#eceff1"  # not due, abandoned, provider not working
GREY_ENDED = "#e9ecef"  # an ended coverage
CLOSED = "#d5d8dc"  # clinic closed
CARD_READY = "#eef7ee"
CARD_OCCUPIED = "#eaf1fb"
CARD_TURNOVER = "#fff8e1"
CARD_OUT = "#f1f2f3"

# ---------------------------------------------------------------- saturated fills (white text)
ALERT_RED = "#b3261e"  # read-only banner, a critical vital not yet told
EMERGENCY = "#b00020"  # emergency access on
CRITICAL_FILL = "#c62828"  # critical vitals flag
READY_GREEN = "#2e7d32"
OCCUPIED_BLUE = "#1f5fa8"
TURNOVER_AMBER = "#e0a100"  # dark text on it, not white
OUT_GREY = "#6c757d"
BADGE_CONFIRMED = "#5d6d7e"
BADGE_ARRIVED = "#935d0b"
BADGE_ROOMED = "#1f618d"
BADGE_WITH_PROVIDER = "#1e8449"
BADGE_OUT = "#626e6f"
BADGE_ENDED = "#922b21"  # no-show, cancelled, left without being seen
BADGE_OTHER = "#555555"
TOLD_GREEN = "#2e6b30"

# ---------------------------------------------------------------- lines and marks (no text)
BORDER = "#c9d3dd"
CARD_BORDER = "#c9ced6"
THUMBNAIL_BORDER = "#9fb0c2"
ABNORMAL_BORDER = "#c77700"
FLAG_CORNER = "#e67e22"
NOW_LINE = "#e74c3c"
GRID_MINOR = "#e5e8e8"
GRID_MAJOR = "#b3b6b7"
GRID_CURSOR_FILL = "#d6eaf8"
GRID_CURSOR = "#2e86c1"
GRID_SELECTED = "#1b4f72"
UNTYPED_BLOCK = "#cfd8dc"
DISABLED_FILL = "#e8eef4"
DISABLED_TEXT = "#8a99a8"  # WCAG exempts disabled controls
CHART_WEIGHT = "#1f5fa8"
CHART_BMI = "#6a3d9a"
CHART_SYSTOLIC = "#c62828"
CHART_DIASTOLIC = "#1565c0"
CHART_NORMAL_BAND = "#4caf50"
CHART_NORMAL_DIASTOLIC = "#2196f3"

LARGE = True  # 14 pt bold or 18 pt and larger: 3:1 is enough

# (foreground, background, large text?, where) for every pair text is drawn in.
TEXT_PAIRS: tuple[tuple[str, str, bool, str], ...] = (
    *(
        (TEXT, bg, False, "table text on a state fill")
        for bg in (
            SURFACE,
            ALTERNATE_ROW,
            AMBER,
            PEACH,
            PEACH_LIGHT,
            RED,
            ROSE,
            ROSE_AUDIT,
            SALMON,
            GREEN,
            MINT,
            OFFER,
            CYAN,
            GREY,
            GREY_ENDED,
            CLOSED,
        )
    ),  # fmt: skip
    *(
        (fg, bg, False, "coloured words in a table or pane")
        for fg in (
            HEADING,
            MUTED_TEXT,
            ERROR_TEXT,
            CRITICAL_TEXT,
            WARNING_TEXT,
            CAUTION_TEXT,
            ABNORMAL_TEXT,
            FLAG_TEXT,
            OK_TEXT,
            VERIFIED_TEXT,
            PREVIOUS,
            HINT,
        )
        for bg in (SURFACE, ALTERNATE_ROW, WINDOW)
    ),  # fmt: skip
    (WARNING_TEXT, AMBER, False, "superseded note, coverage attention"),
    (WARNING_TEXT, AMBER_LIGHT, False, "abnormal vitals flag"),
    (ERROR_TEXT, ROSE, False, "compliance gap"),
    (INK, CARD_READY, False, "room card"),
    (INK, CARD_OCCUPIED, False, "room card"),
    (INK, CARD_TURNOVER, False, "room card"),
    (INK, CARD_OUT, False, "room card"),
    *(
        (CARD_DETAIL, bg, False, "room card detail")
        for bg in (CARD_READY, CARD_OCCUPIED, CARD_TURNOVER, CARD_OUT)
    ),  # fmt: skip
    *(
        (ON_COLOUR, bg, False, "room card band") for bg in (READY_GREEN, OCCUPIED_BLUE, OUT_GREY)
    ),  # fmt: skip
    (INK, TURNOVER_AMBER, False, "room card band"),
    (THUMBNAIL_TEXT, THUMBNAIL, False, "empty card-image slot"),
    *(
        (ON_COLOUR, bg, False, "schedule status badge")
        for bg in (
            BADGE_CONFIRMED,
            BADGE_ARRIVED,
            BADGE_ROOMED,
            BADGE_WITH_PROVIDER,
            BADGE_OUT,
            BADGE_ENDED,
            BADGE_OTHER,
            ALERT_RED,
            TOLD_GREEN,
        )
    ),  # fmt: skip
    (ON_COLOUR, ALERT_RED, False, "read-only banner"),
    (ON_COLOUR, EMERGENCY, False, "emergency access label"),
    (ON_COLOUR, CRITICAL_FILL, False, "critical vitals flag"),
    (TITLE, WINDOW, LARGE, "lock screen title"),
    (ON_COLOUR, SELECTION, False, "selected row"),
)


_HEX6 = re.compile(r"#[0-9a-fA-F]{6}")
BLACK = "#000000"  # text on a mid-tone a clinic chose, where neither TEXT nor white reaches AA


@lru_cache(maxsize=256)
def readable_on(background: str) -> str:
    """Text colour for a background the clinic chose (a visit type's colour): the usual
    text if it reads at AA, else white, else black (one of the two always does). A colour
    not written '#rrggbb' gets the usual text."""
    if not _HEX6.fullmatch(background):
        return TEXT
    for candidate in (TEXT, ON_COLOUR):
        if contrast_ratio(candidate, background) >= 4.5:
            return candidate
    return BLACK


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2.2 relative luminance of '#rrggbb'."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
