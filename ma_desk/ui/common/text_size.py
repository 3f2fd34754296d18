"""The clinic stylesheet follows the system font size (issue 15 item 8).

Its point sizes were chosen for Windows' default 9 pt text. Staff who set larger text in
the system get every size in the stylesheet grown by the same factor; smaller system text
keeps the chosen sizes, which are the least that reads across a desk. Sizes are in
points only: pixel sizes would ignore both the system setting and display scaling.
"""

from __future__ import annotations

import re

REFERENCE_POINTS = 9.0  # the system text size the stylesheet's sizes were chosen at
_POINT_SIZE = re.compile(r"font-size:\s*(\d+(?:\.\d+)?)pt")


def text_scale(system_points: float) -> float:
    """How much larger than the reference the system's text is (never below 1)."""
    return max(1.0, system_points / REFERENCE_POINTS) if system_points > 0 else 1.0


def scaled_stylesheet(stylesheet: str, system_points: float) -> str:
    """The stylesheet with every 'font-size: N pt' grown by the system's text scale."""
    scale = text_scale(system_points)
    return _POINT_SIZE.sub(lambda m: f"font-size: {float(m.group(1)) * scale:.1f}pt", stylesheet)
