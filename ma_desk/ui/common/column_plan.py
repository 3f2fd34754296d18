"""How a table's columns share a width that is too small for one line per row (issue 15).

Pure arithmetic over measured text widths (no Qt), so the rule can be tested on any
text: words are never cut while the longest words fit. Each column is measured once
for one, two and three lines per row; a narrow table uses the fewest lines per row
whose widths fit, and the width left over goes first to the columns that make rows
taller, then to those nearest to reading on one line. Only when even the longest
words do not fit does a column fall back to its first word and "…" (its tooltip has
the rest), and only below that is anything cut.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

MAX_LINES = 3  # lines per row at the most: a taller row hides the board's other patients
Measure = Callable[[str], int]
CellNeed = tuple[tuple[int, ...], int]  # widths for 1..MAX_LINES lines, least


@dataclass(frozen=True)
class ColumnNeed:
    """The width a column needs for each number of lines per row, then at the least.

    ``lines[k]`` fits every cell in k + 1 lines (non-increasing, the last at least
    the longest word); ``least`` keeps each cell's first word whole and ends it in "…".
    """

    lines: tuple[int, ...]
    least: int
    stretch: bool = False  # takes the spare width when one line per row fits

    def at(self, line_count: int) -> int:
        return self.lines[min(line_count, len(self.lines)) - 1]


@dataclass(frozen=True)
class ColumnPlan:
    widths: list[int]
    lines: int  # lines per row the widths need


def first_word(text: str) -> str:
    """The text up to its first word with a letter or digit ("⚠ Latex", not "⚠")."""
    words = text.split()
    for count, word in enumerate(words, 1):
        if any(ch.isalnum() for ch in word):
            return " ".join(words[:count])
    return " ".join(words)


def line_count(words: Sequence[int], space: int, width: int) -> int:
    """Lines that words of these widths fill when wrapped greedily at width."""
    lines, used = 1, -space
    for word in words:
        if used + space + word > width and used >= 0:
            lines, used = lines + 1, word
        else:
            used += space + word
    return lines


def width_for_lines(words: Sequence[int], space: int, lines: int) -> int:
    """The narrowest width (never below the longest word) that wraps words into lines."""
    low = max(words, default=0)
    high = sum(words) + space * max(len(words) - 1, 0)
    while low < high:
        middle = (low + high) // 2
        if line_count(words, space, middle) <= lines:
            high = middle
        else:
            low = middle + 1
    return low


def text_need(text: str, measure: Measure) -> CellNeed:
    """One cell's widths for 1..MAX_LINES lines and its least (first word and "…")."""
    words = [measure(word) for word in text.strip().split(" ")]  # "Hayes  $?": two spaces
    space = measure(" ")
    lines = tuple(width_for_lines(words, space, count) for count in range(1, MAX_LINES + 1))
    whole = measure(text.strip())
    least = min(lines[0], whole, measure(first_word(text) + " …"))
    return (max(lines[0], whole), *lines[1:]), least


def column_need(texts: Iterable[str], title: tuple[int, int], padding: int,
                need_of: Callable[[str], CellNeed], *, stretch: bool = False) -> ColumnNeed:  # fmt: skip
    """A column's need from its cells' texts (each measured by need_of, usually a
    cached text_need), its title's (whole, least) width on one line and the padding
    a cell adds around its text."""
    lines, least = [title[0]] * MAX_LINES, title[1]
    for text in set(texts):
        if not text.strip():
            continue
        cell_lines, cell_least = need_of(text)
        lines = [max(have, need + padding) for have, need in zip(lines, cell_lines, strict=True)]
        least = max(least, cell_least + padding)
    return ColumnNeed(tuple(lines), min(least, lines[-1]), stretch)


def plan_columns(needs: Sequence[ColumnNeed], available: int) -> ColumnPlan:
    """Widths that together never exceed available: the fewest lines per row that fit,
    then the longest words, then first words; cut in proportion only below that."""
    for count in range(1, MAX_LINES + 1):
        widths = [need.at(count) for need in needs]
        if sum(widths) <= available:
            spare = available - sum(widths)
            if count == 1:
                return ColumnPlan(_share_spare(widths, needs, spare), 1)
            widths = _towards_one_line(widths, needs, spare)
            return ColumnPlan(widths, _lines_needed(widths, needs))
    least = [need.least for need in needs]
    if sum(least) <= available:
        return ColumnPlan(_towards_one_line(least, needs, available - sum(least)), MAX_LINES)
    return ColumnPlan(_shrunk(least, available), MAX_LINES)


def _share_spare(widths: list[int], needs: Sequence[ColumnNeed], spare: int) -> list[int]:
    """The spare width shared evenly by the stretch columns (the last column without)."""
    takers = [i for i, need in enumerate(needs) if need.stretch] or [len(needs) - 1]
    shared = list(widths)
    if not needs:
        return shared
    for order, column in enumerate(takers):
        shared[column] += spare // len(takers) + (1 if order < spare % len(takers) else 0)
    return shared


def _towards_one_line(widths: list[int], needs: Sequence[ColumnNeed], spare: int) -> list[int]:
    """The spare width first to the columns that make rows taller (every column to
    MAX_LINES - 1 lines, then fewer), each level to the columns closest to it first."""
    grown = list(widths)
    for lines in range(MAX_LINES - 1, 0, -1):
        order = sorted(range(len(needs)), key=lambda i: needs[i].at(lines) - grown[i])
        for column in order:
            more = min(spare, max(0, needs[column].at(lines) - grown[column]))
            grown[column] += more
            spare -= more
    return grown


def _lines_needed(widths: Sequence[int], needs: Sequence[ColumnNeed]) -> int:
    """The lines per row the tallest column needs at its width."""
    counts = [
        next((k + 1 for k, width in enumerate(need.lines) if width <= given), MAX_LINES)
        for given, need in zip(widths, needs, strict=True)
    ]
    return max(counts, default=1)


def _shrunk(widths: Sequence[int], available: int) -> list[int]:
    """Each width cut in proportion so the total is available (nothing better fits)."""
    total = sum(widths)
    room = max(available, 0)
    return [width * room // total for width in widths] if total else list(widths)
