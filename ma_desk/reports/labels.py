"""Patient and specimen labels with a Code 128 barcode, for a sheet or a roll printer.

Layouts (sizes in inches):

- ``sheet``: Avery 5160 / 8160 and compatibles, US Letter, 3 x 10 labels of
  2.625 x 1, top margin 0.5, left margin 0.1875, 2.75 across, 1 down. Printing
  can start at any position so a partly used sheet is not wasted.
- ``roll``: one 2.25 x 1.25 label per page (Dymo 30334, Zebra and Brother
  2.25 x 1.25 stock), for a single-label roll printer.

The barcode is ReportLab's own Code 128 (MRN on patient labels, specimen ID on
specimen labels); the encoded value is also printed under the bars. Its geometry is
made for the printer: the narrowest bar (the module) is a whole number of printer dots
at the label stock's resolution (``dpi``: 300 for sheets, 203 for thermal rolls; any
whole multiple, e.g. 600, works too), every bar edge falls on that dot grid, and at
least ``QUIET_MODULES`` of blank label lie either side. A printer then draws each bar
exactly as wide as encoded instead of rounding some bars up and others down, which is
what made 203 dpi prints unreadable.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ma_desk.reports import fonts, i18n
from ma_desk.reports.data import LabelData

if TYPE_CHECKING:
    from reportlab.graphics.barcode.code128 import Code128
    from reportlab.pdfgen.canvas import Canvas

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
    dpi: int  # the usual resolution of printers for this stock (barcode dot grid)

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
                         2.75 * INCH, 1 * INCH, 300),
    "roll": LabelLayout("Roll printer, 2.25 x 1.25 in", 2.25 * INCH, 1.25 * INCH,
                        2.25 * INCH, 1.25 * INCH, 1, 1, 0, 0, 2.25 * INCH, 1.25 * INCH, 203),
}  # fmt: skip

MIN_TEXT_SIZE = 6.0  # points: the smallest identifier text a label prints (legible at arm's length)
PRINTER_DPIS = (203, 300, 600)  # label printer resolutions offered (600 = 2 x 300 dots)
TARGET_MODULE_INCH = 0.010  # 10 mil narrowest bar: 2 dots at 203 dpi, 3 at 300, 6 at 600
QUIET_MODULES = 10  # blank modules required either side of a Code 128 symbol
EDGE_INCH = 0.03  # kept clear inside the die-cut edge, for the stock's registration


def barcode_value(value: str) -> str:
    """What the barcode will encode: printable ASCII only (Code 128 sets A/B/C)."""
    return "".join(ch for ch in fonts.clean(value) if 32 <= ord(ch) < 127)[:40]


@dataclass(frozen=True)
class BarcodeGeometry:
    """Where a symbol goes: module in printer dots, left edge of the bars in points."""

    dpi: int
    module_dots: int
    modules: int  # symbol width in modules, quiet zones excluded
    x: float

    @property
    def module(self) -> float:
        return self.module_dots * INCH / self.dpi

    @property
    def width(self) -> float:
        return self.modules * self.module


def symbol_modules(encoded: str) -> int:
    """Width of the Code 128 symbol for ``encoded`` in modules (start to stop)."""
    from reportlab.graphics.barcode.code128 import Code128

    modules: float = Code128(encoded, barWidth=1, quiet=0).width
    return round(modules)


def barcode_geometry(encoded: str, left: float, width: float, dpi: int) -> BarcodeGeometry:
    """The widest whole-dot module (up to 10 mil) that fits the symbol and its quiet zones
    in ``width`` points from ``left``; the symbol is centred with its left edge on a dot."""
    if dpi <= 0:
        raise ValueError("printer resolution must be positive")
    modules = symbol_modules(encoded)
    dot = INCH / dpi
    room = math.floor(round(width / dot, 6))
    dots = max(1, round(TARGET_MODULE_INCH * dpi))
    while dots > 1 and (modules + 2 * QUIET_MODULES) * dots > room:
        dots -= 1
    if (modules + 2 * QUIET_MODULES) * dots > room:
        raise ValueError(f"barcode {encoded!r} is too long for the label")
    first = math.ceil(round(left / dot, 6))
    start = first + (room - modules * dots) // 2
    return BarcodeGeometry(dpi, dots, modules, start * dot)


def code128(encoded: str, height: float, module: float) -> Code128:
    """ReportLab's Code 128 widget, bars only (quiet zones are left blank by the layout)."""
    from reportlab.graphics.barcode.code128 import Code128

    return Code128(encoded, barWidth=module, barHeight=height, quiet=0, humanReadable=0)


def make_barcode(value: str, height: float, max_width: float, dpi: int = 300) -> Code128:
    """The Code 128 widget for ``value`` as it would fit ``max_width`` at ``dpi``."""
    encoded = barcode_value(value) or "?"
    return code128(encoded, height, barcode_geometry(encoded, 0.0, max_width, dpi).module)


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


def _draw_identifiers(canvas: Canvas, label: LabelData, x: float, line: float, width: float,
                      size: float) -> float:  # fmt: skip
    """Draw the DOB and MRN line(s); returns the baseline of the last one."""
    lines, used = identifier_lines(label, width, size)
    for i, text in enumerate(lines):
        if i:
            line -= used + 1.5
        fonts.draw_string(canvas, x, line, text, size=used)
    return line


def _draw_label(canvas: Canvas, label: LabelData, x: float, y: float, layout: LabelLayout,
                dpi: int) -> None:  # fmt: skip
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
            when = (
                f"{words.date(label.collected_at.date(), 'label_date')} {label.collected_at:%H:%M}"
            )
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
    edge = EDGE_INCH * INCH
    encoded = barcode_value(label.barcode_value) or "?"
    geometry = barcode_geometry(encoded, x + edge, layout.label_width - 2 * edge, dpi)
    barcode = code128(encoded, bar_height, geometry.module)
    barcode.drawOn(canvas, geometry.x, bottom + text_size + 1.5)
    fonts.draw_string(canvas, geometry.x + geometry.width / 2, bottom,
                      barcode_value(label.barcode_value), size=text_size, align="center")  # fmt: skip


def build_labels(
    labels: Sequence[LabelData],
    layout: str = "sheet",
    start_position: int = 1,
    dpi: int | None = None,
) -> bytes:
    """The labels' PDF; on a sheet, the first label goes to ``start_position`` (1-based).

    ``dpi`` is the label printer's resolution (default: the stock's usual one); the
    barcodes are drawn on its dot grid."""
    fonts.ensure_fonts()
    from reportlab.pdfgen.canvas import Canvas

    if layout not in LAYOUTS:
        raise ValueError(f"unknown label layout {layout!r}")
    spec = LAYOUTS[layout]
    if not 1 <= start_position <= spec.per_page:
        raise ValueError(f"start position must be 1 to {spec.per_page}")
    if not labels:
        raise ValueError("no labels to print")
    dpi = dpi or spec.dpi
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
        _draw_label(canvas, label, x, y, spec, dpi)
        position += 1
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
