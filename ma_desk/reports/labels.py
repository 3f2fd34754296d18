"""Patient and specimen labels with a Code 128 barcode, for a sheet or a roll printer.

Layouts (sizes in inches):

- ``sheet``: Avery 5160 / 8160 and compatibles, US Letter, 3 x 10 labels of
  2.625 x 1, top margin 0.5, left margin 0.1875, 2.75 across, 1 down. Printing
  can start at any position so a partly used sheet is not wasted.
- ``roll``: one 2.25 x 1.25 label per page (Dymo 30334, Zebra and Brother
  2.25 x 1.25 stock), for a single-label roll printer.

The barcode is ReportLab's own Code 128 (MRN on patient labels, specimen ID on
specimen labels); the encoded value is also printed under the bars.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from ma_desk.reports import fonts, i18n
from ma_desk.reports.data import LabelData

INCH = 72.0


@dataclass(frozen=True)
class LabelLayout:
    name: str
    page_width: float
    page_height: float
    label_width: float
    label_height: float
    columns: int
    rows: int
    left: float
    top: float
    pitch_x: float
    pitch_y: float

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def origin(self, position: int) -> tuple[float, float]:
        """Bottom-left corner of label ``position`` (0-based, across then down)."""
        row, col = divmod(position, self.columns)
        x = self.left + col * self.pitch_x
        y = self.page_height - self.top - row * self.pitch_y - self.label_height
        return x, y


LAYOUTS = {
    "sheet": LabelLayout("Avery 5160 sheet (30 per page)", 8.5 * INCH, 11 * INCH,
                         2.625 * INCH, 1 * INCH, 3, 10, 0.1875 * INCH, 0.5 * INCH,
                         2.75 * INCH, 1 * INCH),
    "roll": LabelLayout("Roll printer, 2.25 x 1.25 in", 2.25 * INCH, 1.25 * INCH,
                        2.25 * INCH, 1.25 * INCH, 1, 1, 0, 0, 2.25 * INCH, 1.25 * INCH),
}  # fmt: skip

MIN_TEXT_SIZE = 6.0  # points: the smallest identifier text a label prints (legible at arm's length)
BAR_WIDTH = 0.0085 * INCH  # narrowest bar, ~8.5 mil: scans on 203 and 300 dpi printers


def barcode_value(value: str) -> str:
    """What the barcode will encode: printable ASCII only (Code 128 sets A/B/C)."""
    return "".join(ch for ch in fonts.clean(value) if 32 <= ord(ch) < 127)[:40]


def make_barcode(value: str, height: float, max_width: float):
    """The Code 128 widget for ``value``, narrowed if needed to fit ``max_width``."""
    from reportlab.graphics.barcode.code128 import Code128

    encoded = barcode_value(value) or "?"
    bar_width = BAR_WIDTH
    barcode = Code128(encoded, barWidth=bar_width, barHeight=height, quiet=0, humanReadable=0)
    if barcode.width > max_width:
        bar_width = bar_width * max_width / barcode.width
        barcode = Code128(encoded, barWidth=bar_width, barHeight=height, quiet=0,
                          humanReadable=0)  # fmt: skip
    return barcode


def identifier_lines(label: LabelData, width: float, size: float) -> tuple[list[str], float]:
    """DOB and MRN whole: one line, shrunk to ``MIN_TEXT_SIZE`` at most, else two lines.

    A label that has lost its identifiers is worse than none, so they are never cut;
    only the name line above is shortened with an ellipsis.
    """
    words = i18n.words(label.language)
    mrn = fonts.clean(label.mrn).replace("\n", " ").strip()
    dob = f"{words['dob']} {words.date(label.dob, 'label_date')}"
    mrn = f"{words['mrn']} {mrn}"
    one = f"{dob}   {mrn}"
    current = size
    while current > MIN_TEXT_SIZE and fonts.text_width(one, size=current) > width:
        current = max(MIN_TEXT_SIZE, current - 0.25)
    if fonts.text_width(one, size=current) <= width:
        return [one], current
    return [dob, mrn], MIN_TEXT_SIZE


def _draw_identifiers(canvas, label: LabelData, x: float, line: float, width: float,
                      size: float) -> float:  # fmt: skip
    """Draw the DOB and MRN line(s); returns the baseline of the last one."""
    lines, used = identifier_lines(label, width, size)
    for i, text in enumerate(lines):
        if i:
            line -= used + 1.5
        fonts.draw_string(canvas, x, line, text, size=used)
    return line


def _draw_label(canvas, label: LabelData, x: float, y: float, layout: LabelLayout) -> None:
    pad = 0.07 * INCH
    width = layout.label_width - 2 * pad
    top = y + layout.label_height - pad
    roll = layout.name.startswith("Roll")
    name_size = 9 if roll else 8.5
    small = 7 if roll else 6.5
    line = top - name_size
    name = fonts.fit(label.patient_name, width, font=fonts.BOLD, size=name_size)
    fonts.draw_string(canvas, x + pad, line, name, font=fonts.BOLD, size=name_size)
    line -= small + 2.5
    line = _draw_identifiers(canvas, label, x + pad, line, width, small)
    if label.kind == "specimen":
        words = i18n.words(label.language)
        line -= small + 2
        when = "__/__ __:__"
        if label.collected_at:
            when = f"{words.date(label.collected_at.date(), 'label_date')} {label.collected_at:%H:%M}"
        collector = label.collector or "____"
        specimen = label.specimen_type or words["label.specimen"]
        details = [f"{specimen} · {when} · {collector}"]
        if roll:  # the roll label has room for the collector on a line of its own
            details = [f"{specimen} · {when}", words.fmt("label.collected_by", collector=collector)]
        for i, detail in enumerate(details):
            if i:
                line -= small + 2
            fonts.draw_string(canvas, x + pad, line, fonts.fit(detail, width, size=small),
                              size=small)  # fmt: skip
    text_size = 6
    bottom = y + pad
    bar_height = max(10.0, line - 3 - (bottom + text_size + 1.5))
    barcode = make_barcode(label.barcode_value, bar_height, width)
    barcode.drawOn(canvas, x + pad, bottom + text_size + 1.5)
    fonts.draw_string(canvas, x + pad + barcode.width / 2, bottom,
                      barcode_value(label.barcode_value), size=text_size, align="center")  # fmt: skip


def build_labels(
    labels: Sequence[LabelData], layout: str = "sheet", start_position: int = 1
) -> bytes:
    """The labels' PDF; on a sheet, the first label goes to ``start_position`` (1-based)."""
    fonts.ensure_fonts()
    from reportlab.pdfgen.canvas import Canvas

    if layout not in LAYOUTS:
        raise ValueError(f"unknown label layout {layout!r}")
    spec = LAYOUTS[layout]
    if not 1 <= start_position <= spec.per_page:
        raise ValueError(f"start position must be 1 to {spec.per_page}")
    if not labels:
        raise ValueError("no labels to print")
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(spec.page_width, spec.page_height), pageCompression=1,
                    initialFontName=fonts.REGULAR)  # fmt: skip
    canvas.setTitle("Labels")
    canvas.setAuthor("MA Desk")
    canvas.setCreator("MA Desk")
    position = start_position - 1
    for label in labels:
        if position >= spec.per_page:
            canvas.showPage()
            position = 0
        x, y = spec.origin(position)
        _draw_label(canvas, label, x, y, spec)
        position += 1
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
