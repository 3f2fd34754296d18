"""Put a PDF on paper at true size: 1 PDF point = 1/72 inch on the sheet, from the paper's corner.

Labels only work at true size: an Avery sheet's die-cut positions and a barcode's bar
widths are fixed on paper. So the printer is set to full-page mode with no margins and
the document's own paper size, every page is rasterised at the printer's resolution (or
a whole fraction of it above ``MAX_RENDER_DPI``, so each pixel is a whole number of
printer dots) and drawn at the page origin, never scaled. Shrinking into the printable
area happens only when staff choose it (``PrintOptions.fit_to_printable``); when the
printer's hardware margins would cut off printed content, ``clipped_edges`` says where,
so the dialog can warn before anything is printed.

Where the print system takes PDF the document goes as it is, as vectors (``send_pdf``):
Qt's "print to file" gets the PDF itself, and a CUPS printer (``lp`` on Linux and macOS)
gets it on ``lp``'s standard input, never through a temporary file. Rasterising is for
the rest (Windows printers, a calibrated offset, fit to the printable area). Printing runs
off the UI thread (the preview uses the worker helper); a ``PrintJob`` carries the pages
done and the request to stop between the two threads.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QMarginsF,
    QPointF,
    QRectF,
    QSettings,
    QSize,
    QSizeF,
)
from PySide6.QtGui import QColor, QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter

from ma_desk.errors import MADeskError
from ma_desk.reports.output import write_file_atomic
from ma_desk.ui.common import palette

MAX_RENDER_DPI = 600  # above this a page image would take hundreds of MB: use 2+ dots/pixel
INK_CHECK_DPI = 144  # resolution (half-point steps) of the quick look for where a page has print
POINTS_PER_INCH = 72.0
POINTS_PER_MM = POINTS_PER_INCH / 25.4
OFFSET_KEY = "printing/offset"  # per computer and printer: the printer's own shift
MAX_OFFSET_MM = 10.0
LP_TIMEOUT_S = 120  # a print spooler that takes longer than this to accept a job is stuck

PDF_FILE = "pdf file"  # Qt's print to file: the PDF itself
CUPS = "cups"  # a CUPS queue: the PDF on lp's standard input
RASTER = "raster"  # page images at the printer's resolution


@dataclass(frozen=True)
class PrintOptions:
    """How a document goes onto paper; the default is true size at the paper's corner."""

    fit_to_printable: bool = False  # only by explicit choice: shrinks, labels miss their die-cuts
    offset_x: float = 0.0  # points; a printer's calibrated shift, + moves print right
    offset_y: float = 0.0  # points; + moves print down


def _offset_key(printer_name: str) -> str:
    name = printer_name.replace("/", "_").replace("\\", "_").strip() or "file"
    return f"{OFFSET_KEY}/{name}"


def saved_offset(printer_name: str) -> tuple[float, float]:
    """The calibrated shift of ``printer_name`` in mm (right, down); (0, 0) if never set."""
    settings = QSettings()
    key = _offset_key(printer_name)

    def read(name: str) -> float:
        try:
            value = float(settings.value(f"{key}/{name}", 0.0))
        except (TypeError, ValueError):
            return 0.0
        return value if abs(value) <= MAX_OFFSET_MM else 0.0

    return read("right_mm"), read("down_mm")


def save_offset(printer_name: str, right_mm: float, down_mm: float) -> None:
    """Remember how far this printer's print must move to sit on the labels."""
    if max(abs(right_mm), abs(down_mm)) > MAX_OFFSET_MM:
        raise ValueError(f"offsets are limited to {MAX_OFFSET_MM:.0f} mm")
    settings = QSettings()
    key = _offset_key(printer_name)
    settings.setValue(f"{key}/right_mm", round(right_mm, 2))
    settings.setValue(f"{key}/down_mm", round(down_mm, 2))


def calibrated_options(printer_name: str) -> PrintOptions:
    """True size, shifted by the offset calibrated for ``printer_name``."""
    right, down = saved_offset(printer_name)
    return PrintOptions(offset_x=right * POINTS_PER_MM, offset_y=down * POINTS_PER_MM)


def render_step(printer_dpi: int) -> int:
    """Printer dots per rendered pixel: 1 up to ``MAX_RENDER_DPI``, else the smallest whole
    number that brings the rendering under it (1200 dpi -> 2: 600 pixels per inch)."""
    return max(1, math.ceil(printer_dpi / MAX_RENDER_DPI))


def render_page(document: QPdfDocument, page: int, size: QSize) -> QImage:
    """One page as an opaque image: QtPdf renders on transparent, so white goes behind it
    in place (a 600 dpi Letter page is 135 MB; no second copy is made)."""
    image = document.render(page, size)
    painter = QPainter(image)
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_DestinationOver)
    painter.fillRect(image.rect(), QColor(palette.SURFACE))
    painter.end()
    image.convertTo(QImage.Format.Format_RGB32)
    return image


def ink_rect(document: QPdfDocument, page: int) -> QRectF | None:
    """Where the page has print, in points from its top-left corner (None: a blank page).

    A coarse raster look: any pixel touched counts, so the box errs on the large side."""
    points = document.pagePointSize(page)
    scale = INK_CHECK_DPI / POINTS_PER_INCH
    size = QSize(max(1, math.ceil(points.width() * scale)),
                 max(1, math.ceil(points.height() * scale)))  # fmt: skip
    image = render_page(document, page, size)
    row_bytes = image.bytesPerLine()
    data = bytes(image.constBits())[: row_bytes * size.height()]
    used = size.width() * 4
    left, right, top, bottom = size.width(), -1, -1, -1
    for y in range(size.height()):
        row = data[y * row_bytes : y * row_bytes + used]
        start = len(row) - len(row.lstrip(b"\xff"))
        if start == len(row):
            continue
        end = len(row.rstrip(b"\xff"))
        left, right = min(left, start // 4), max(right, (end - 1) // 4)
        top = y if top < 0 else top
        bottom = y
    if right < 0:
        return None
    return QRectF(left / scale, top / scale, (right - left + 1) / scale,
                  (bottom - top + 1) / scale)  # fmt: skip


def prepare_printer(printer: QPrinter, page_points: QSizeF) -> None:
    """Full-page mode, no margins of ours, and the document's own paper size."""
    printer.setFullPage(True)
    size = QPageSize(page_points, QPageSize.Unit.Point, "",
                     QPageSize.SizeMatchPolicy.FuzzyMatch)  # fmt: skip
    layout = QPageLayout(size, QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0),
                         QPageLayout.Unit.Point)  # fmt: skip
    layout.setMode(QPageLayout.Mode.FullPageMode)
    printer.setPageLayout(layout)


def hardware_margins(printer: QPrinter) -> QMarginsF:
    """The edges (points) this printer cannot print on, for the paper now chosen."""
    layout = printer.pageLayout()
    layout.setUnits(QPageLayout.Unit.Point)
    return layout.minimumMargins()


def clipped_edges(document: QPdfDocument, margins: QMarginsF,
                  options: PrintOptions = PrintOptions()) -> list[tuple[int, list[str]]]:  # fmt: skip
    """Pages (1-based) whose print falls in the printer's unprintable ``margins``, and which
    edges, at true size with ``options``' offset (fitted pages never clip)."""
    if options.fit_to_printable:
        return []
    found = []
    for page in range(document.pageCount()):
        ink = ink_rect(document, page)
        if ink is None:
            continue
        ink.translate(options.offset_x, options.offset_y)
        points = document.pagePointSize(page)
        edges = [name for name, cut in (
            ("left", ink.left() < margins.left()),
            ("top", ink.top() < margins.top()),
            ("right", ink.right() > points.width() - margins.right()),
            ("bottom", ink.bottom() > points.height() - margins.bottom()),
        ) if cut]  # fmt: skip
        if edges:
            found.append((page + 1, edges))
    return found


def _render_size(points: QSizeF, dpi: int) -> QSize:
    """Pixels of the page image: whole pixels of ``render_step`` dots each, covering the page
    (a page that is not a whole number of dots wide gets the part of a dot it needs)."""
    step = render_step(dpi)
    return QSize(max(1, math.ceil(round(points.width() * dpi / POINTS_PER_INCH / step, 6))),
                 max(1, math.ceil(round(points.height() * dpi / POINTS_PER_INCH / step, 6))))  # fmt: skip


def _page_target(printer: QPrinter, points: QSizeF, size: QSize, options: PrintOptions) -> QRectF:
    """Where the page image goes, in printer dots: at true size each pixel on whole dots
    from the (offset) paper corner; shrunk into the printable area when that was chosen."""
    dpi = printer.resolution()
    per_point = dpi / POINTS_PER_INCH
    if options.fit_to_printable:
        margins = hardware_margins(printer)
        scale = min((points.width() - margins.left() - margins.right()) / points.width(),
                    (points.height() - margins.top() - margins.bottom()) / points.height())  # fmt: skip
        return QRectF(margins.left() * per_point, margins.top() * per_point,
                      points.width() * per_point * scale, points.height() * per_point * scale)  # fmt: skip
    step = render_step(dpi)
    corner = QPointF(round(options.offset_x * per_point), round(options.offset_y * per_point))
    return QRectF(corner, QSizeF(size.width() * step, size.height() * step))


@dataclass
class PrintJob:
    """How far a print got and whether staff asked it to stop (read and set across threads)."""

    total: int = 0
    done: int = 0
    route: str = ""
    stop: threading.Event = field(default_factory=threading.Event)
    # False when the print system could not take back the pages already sent (Qt's CUPS
    # engine cannot abort): they print, so they count as printed.
    withdrawn: bool = False

    def cancel(self) -> None:
        self.stop.set()

    @property
    def cancelled(self) -> bool:
        return self.stop.is_set()


def route_for(printer: QPrinter, options: PrintOptions) -> str:
    """How ``printer`` gets the document (see ``choose_route``)."""
    to_file = printer.outputFormat() == QPrinter.OutputFormat.PdfFormat
    return choose_route(to_file and bool(printer.outputFileName()), printer.printerName(),
                        options)  # fmt: skip


def choose_route(to_pdf_file: bool, printer_name: str, options: PrintOptions,
                 platform: str = sys.platform) -> str:  # fmt: skip
    """The PDF itself where the print system takes PDF and the print is neither shifted nor
    shrunk (vectors go as they are); page images otherwise (and on Windows)."""
    if options.fit_to_printable or options.offset_x or options.offset_y:
        return RASTER
    if to_pdf_file:
        return PDF_FILE
    if platform != "win32" and printer_name and shutil.which("lp"):
        return CUPS
    return RASTER


def load_pdf(pdf: bytes) -> tuple[QPdfDocument, QBuffer]:
    """A QPdfDocument over ``pdf`` in memory, for the calling thread (keep the buffer)."""
    buffer = QBuffer()
    buffer.setData(QByteArray(pdf))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    document.load(buffer)
    if document.status() != QPdfDocument.Status.Ready:
        raise MADeskError("The document could not be read for printing. Build it again.")
    return document, buffer


def send_pdf(pdf: bytes, printer: QPrinter, options: PrintOptions = PrintOptions(),
             job: PrintJob | None = None) -> int:  # fmt: skip
    """Print ``pdf`` on ``printer`` by the best route (``route_for``); returns pages sent.

    Runs on a worker thread: the UI must leave ``printer`` alone until it returns.
    """
    job = job or PrintJob()
    document, buffer = load_pdf(pdf)
    try:
        job.route = route_for(printer, options)
        job.total = document.pageCount()
        if job.route == RASTER:
            return print_document(document, printer, options, job)
        if job.cancelled or job.total <= 0:
            return 0
        if job.route == PDF_FILE:
            write_file_atomic(printer.outputFileName(), pdf, force=True)
        else:
            send_to_cups(pdf, printer.printerName(), document.pagePointSize(0),
                         printer.copyCount(), printer.docName())  # fmt: skip
        job.done = job.total
        return job.total
    finally:
        document.close()
        buffer.close()


def cups_media(points: QSizeF) -> str:
    """CUPS's name for the document's paper: a standard size by name, else its points."""
    size = QPageSize(points, QPageSize.Unit.Point, "", QPageSize.SizeMatchPolicy.FuzzyMatch)
    if size.id() != QPageSize.PageSizeId.Custom:
        return size.key()
    return f"Custom.{points.width():g}x{points.height():g}"


def send_to_cups(pdf: bytes, queue: str, page_points: QSizeF, copies: int = 1,
                 title: str = "") -> None:  # fmt: skip
    """Hand the PDF to CUPS at true size on its own paper (no scaling to the printable area)."""
    command = ["lp", "-d", queue, "-n", str(max(1, copies)), "-o", "print-scaling=none",
               "-o", f"media={cups_media(page_points)}"]  # fmt: skip
    if title:
        command += ["-t", title]
    try:
        done = subprocess.run(command, input=pdf, capture_output=True, timeout=LP_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise MADeskError(f"The print system did not take the document ({error}). "
                          "Check that the printer is set up, then print again.") from None  # fmt: skip
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        raise MADeskError(f"The printer {queue} did not accept the document"
                          f"{': ' + reason[0] if reason else ''}. Check that it is on and "
                          "connected, then print again.")  # fmt: skip


def print_document(document: QPdfDocument, printer: QPrinter,
                   options: PrintOptions = PrintOptions(),
                   job: PrintJob | None = None) -> int:  # fmt: skip
    """Send every page to ``printer`` at true size as page images (see the module note);
    returns pages sent. ``job`` counts the pages and stops between two when cancelled."""
    pages = document.pageCount()
    if pages <= 0:
        return 0
    job = job or PrintJob()
    job.total = pages
    prepare_printer(printer, document.pagePointSize(0))
    painter = QPainter()
    if not painter.begin(printer):
        raise MADeskError("The printer could not be started. Check that it is connected.")
    try:
        true_size = not options.fit_to_printable
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, not true_size)
        painter.setRenderHint(QPainter.RenderHint.LosslessImageRendering)  # no JPEG bars
        for page in range(pages):
            if job.cancelled:
                job.withdrawn = bool(printer.abort())
                return page
            points = document.pagePointSize(page)
            if page:
                if points != document.pagePointSize(page - 1):
                    prepare_printer(printer, points)
                printer.newPage()
            painter.resetTransform()
            size = _render_size(points, printer.resolution())
            target = _page_target(printer, points, size, options)
            painter.drawImage(target, render_page(document, page, size))
            job.done = page + 1
    finally:
        if painter.isActive():
            painter.end()
    return pages


def describe_clipping(found: list[tuple[int, list[str]]], margins: QMarginsF) -> str:
    """Words for staff: what the printer would cut off, and the choices they have."""
    edges = sorted({edge for _page, sides in found for edge in sides},
                   key=["top", "left", "right", "bottom"].index)  # fmt: skip
    widest = max(getattr(margins, edge)() for edge in edges) / POINTS_PER_INCH
    pages = ", ".join(str(page) for page, _ in found[:5]) + (" ..." if len(found) > 5 else "")
    which = " and ".join([", ".join(edges[:-1]), edges[-1]] if len(edges) > 1 else edges)
    return (
        f"This printer cannot print within {widest:.2f} in of the {which} edge"
        f"{'s' if len(edges) > 1 else ''} of the paper, and page{'s' if len(found) > 1 else ''} "
        f"{pages} {'have' if len(found) > 1 else 'has'} print there, which would be cut off.\n\n"
        "Print at true size to keep labels on their die-cuts (the cut-off part is lost), "
        "or fit the pages into the printable area (everything prints slightly smaller and "
        "labels no longer line up with the sheet)."
    )
