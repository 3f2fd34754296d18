"""Reading an old system's CSV export, whatever its encoding, delimiter and line ends.

Problems with the whole file (empty, binary, an encoding nobody can read, no
header) raise a ValidationError that says so; problems of one row (too few or
too many cells, a cell too long, the file ending inside a quoted cell) are kept
with its line number so the report can say which rows were not read and why.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from charset_normalizer import from_bytes

from ma_desk.errors import ValidationError

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_CELL_CHARS = 4000  # the longest field (allergies, medications) is 4,000 characters
DELIMITERS = ",;\t|"
_ENCODINGS_TRIED = ("utf-8", "cp1252")
NOT_TEXT = ("This is not a text (CSV) file; it looks like a binary file (a spreadsheet or a "
            "database?). In the old system, choose Export as CSV and import that file.")  # fmt: skip


@dataclass(frozen=True)
class CsvRow:
    line: int  # line of the file where the row starts (the header is line 1)
    cells: dict[str, str]


@dataclass
class CsvTable:
    headers: list[str]
    rows: list[CsvRow]
    encoding: str
    delimiter: str
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, message)


def read_csv(data: bytes) -> CsvTable:
    """The header and rows of ``data``; see the module docstring for what is refused."""
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError("The file is larger than 200 MB; split it into smaller files.")
    text, encoding = decode(data)
    if not text.strip():
        raise ValidationError("The file is empty: export the data again from the old system.")
    delimiter = sniff_delimiter(text)
    return _table(text, encoding, delimiter)


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was in: UTF-8 (with or without BOM), UTF-16 (with a BOM, or
    without one when charset-normalizer is sure), Windows-1252. Binary files are refused, and
    so are other code pages: guessing one (Cyrillic? Japanese?) would garble names silently."""
    if not data.strip():
        return "", "utf-8"
    if data.startswith(b"\xef\xbb\xbf"):
        return _decoded(data[3:], "utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decoded(data, "utf-16"), "utf-16"
    head = data[:4096]
    if b"\x00" in head:
        return _wide_or_binary(data)
    if _looks_binary(head):
        raise ValidationError(NOT_TEXT)
    for encoding in _ENCODINGS_TRIED:  # Python's cp1252 refuses its five undefined bytes
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ValidationError(
        "The file's characters could not be read: it is neither UTF-8 nor Windows-1252 (the "
        "encodings US practice systems export). In the old system, export it again as CSV UTF-8."
    )


def _wide_or_binary(data: bytes) -> tuple[str, str]:
    """UTF-16/32 text without a byte-order mark, or a binary file."""
    best = from_bytes(data[:1_000_000]).best()
    if best is not None and best.encoding.startswith(("utf_16", "utf_32")):
        return _decoded(data, best.encoding), best.encoding
    raise ValidationError(NOT_TEXT)


def _decoded(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise ValidationError(
            f"The file says it is {encoding.upper()} but has bytes that are not. Export it "
            "again as CSV UTF-8."
        ) from None


def _looks_binary(head: bytes) -> bool:
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > max(2, len(head) // 100)


def sniff_delimiter(text: str) -> str:
    """The delimiter of the header line and the first rows (comma when unsure)."""
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = text.splitlines()[0] if text else ""
        counts = {d: first.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)  # type: ignore[arg-type]
        return best if counts[best] else ","


def _table(text: str, encoding: str, delimiter: str) -> CsvTable:
    csv.field_size_limit(MAX_FILE_BYTES)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ValidationError("The file has no header line of column names.") from None
    headers = _unique([" ".join(h.replace("\ufeff", "").split()) for h in header])
    if not any(headers):
        raise ValidationError("The first line must name the columns; it is blank.")
    table = CsvTable(headers, [], encoding, delimiter)
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:
            table.problems.append((line, "The file ends inside a quoted cell (cut off?); "
                                   "this row and any after it were not read."))  # fmt: skip
            break
        start, line = line, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        problem = _row_problem(cells, len(headers))
        if problem:
            table.problems.append((start, problem))
            continue
        table.rows.append(
            CsvRow(start, dict(zip(headers, (c.strip() for c in cells), strict=True)))
        )
    return table


def _unique(headers: list[str]) -> list[str]:
    """Column names as written, a repeated one numbered ("Phone", "Phone (2)")."""
    seen: dict[str, int] = {}
    unique = []
    for header in headers:
        seen[header] = seen.get(header, 0) + 1
        unique.append(header if seen[header] == 1 else f"{header} ({seen[header]})")
    return unique


def _row_problem(cells: list[str], width: int) -> str:
    if len(cells) != width:
        return (f"Has {len(cells)} cells where the header has {width} (a missing or extra "
                "delimiter, or a cut-off line); the row was not read.")  # fmt: skip
    longest = max(len(c) for c in cells)
    if longest > MAX_CELL_CHARS:
        return (f"A cell has {longest:,} characters (at most {MAX_CELL_CHARS:,}); the row "
                "was not read.")  # fmt: skip
    return ""
