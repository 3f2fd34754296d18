"""Printing at true size through the app's real print path, into Qt's PDF printer.

The printed PDF is rasterised with poppler and compared with the original: every label's
print must sit where the original has it (within 0.5 pt) at the same size, and every
barcode must still decode with zbar at 203 and 300 dpi. Shrinking into the printable
area happens only when staff choose it, and a printer that would cut print off is
named before anything is printed.
"""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageOps
from pypdf import PdfReader
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QSettings, Qt
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter

from ma_desk.reports.data import LabelData
from ma_desk.reports.labels import INCH, LAYOUTS, LabelLayout, build_labels
from ma_desk.ui.printing import paper, preview
from ma_desk.ui.printing.calibration import PrinterOffsetDialog
from ma_desk.ui.printing.paper import (
    PrintOptions,
    clipped_edges,
    ink_rect,
    print_document,
    render_step,
    save_offset,
    saved_offset,
)
from ma_desk.ui.printing.preview import FIT, TRUE_SIZE, PdfPreviewDialog
from tests.barcode_scan import decode_labels, label_crop, needs_zbar, render_pages

COMPARE_DPI = 300
TOLERANCE_PT = 0.5


def specimen_rows(count: int) -> list[LabelData]:
    return [LabelData("specimen", f"S261130-1042-{n}", "Nguyễn, Thị Minh Khai", dt.date(2024, 12, 1),
                      "M100042", "Blood", dt.datetime(2026, 11, 30, 9, 5), "Alex Rivera")
            for n in range(1, count + 1)]  # fmt: skip


def load(pdf: bytes, keep: list) -> QPdfDocument:
    """A QPdfDocument reading ``pdf`` from memory (``keep`` holds the buffer alive)."""
    buffer = QBuffer()
    buffer.setData(QByteArray(pdf))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    document.load(buffer)
    keep.append(buffer)
    return document


def pdf_printer(path: Path, dpi: int) -> QPrinter:
    """Qt's PDF printer as the print dialog hands it over: Letter with Qt's 10 pt margins."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    printer.setResolution(dpi)
    return printer


def print_through_app(pdf: bytes, tmp_path: Path, dpi: int,
                      options: PrintOptions | None = None) -> bytes:  # fmt: skip
    keep: list = []
    out = tmp_path / f"printed-{dpi}.pdf"
    assert print_document(load(pdf, keep), pdf_printer(out, dpi), options or PrintOptions()) >= 1
    return out.read_bytes()


def ink_box(image: Image.Image) -> tuple[float, float, float, float]:
    """Bounding box (left, top, right, bottom) of everything printed, in points."""
    inked = ImageOps.invert(image.convert("L").point(lambda v: 255 if v > 128 else 0))
    box = inked.getbbox()
    assert box is not None, "nothing printed there"
    return tuple(edge * 72 / COMPARE_DPI for edge in box)  # type: ignore[return-value]


def label_boxes(pdf: bytes, layout: LabelLayout, count: int) -> list[tuple[float, ...]]:
    pages = render_pages(pdf, COMPARE_DPI)
    boxes = []
    for n in range(count):
        page, position = divmod(n, layout.per_page)
        x, y = layout.origin(position)
        top = layout.page_height - y - layout.label_height
        left, upper, right, lower = ink_box(label_crop(pages[page], layout, position, COMPARE_DPI))
        boxes.append((x + left, top + upper, x + right, top + lower))
    return boxes


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    return [(float(p.mediabox.width), float(p.mediabox.height))
            for p in PdfReader(io.BytesIO(pdf)).pages]  # fmt: skip


# ------------------------------------------------------------------ true size
@pytest.mark.parametrize("printer_dpi", [203, 300, 1200])
def test_a_label_sheet_prints_where_the_original_has_it(qapp, tmp_path, printer_dpi) -> None:
    original = build_labels(specimen_rows(30), "sheet", dpi=300 if printer_dpi != 203 else 203)
    printed = print_through_app(original, tmp_path, printer_dpi)
    assert page_sizes(printed) == page_sizes(original) == [(612.0, 792.0)]
    want = label_boxes(original, LAYOUTS["sheet"], 30)
    got = label_boxes(printed, LAYOUTS["sheet"], 30)
    for position, (a, b) in enumerate(zip(want, got, strict=True)):
        moved = max(abs(p - q) for p, q in zip(a, b, strict=True))
        assert moved <= TOLERANCE_PT, f"label {position + 1} moved or resized by {moved:.2f} pt"


def test_the_roll_label_keeps_its_own_paper_size_and_place(qapp, tmp_path) -> None:
    original = build_labels(specimen_rows(3), "roll")
    printed = print_through_app(original, tmp_path, 203)
    assert page_sizes(printed) == page_sizes(original) == [(162.0, 90.0)] * 3
    for a, b in zip(label_boxes(original, LAYOUTS["roll"], 3),
                    label_boxes(printed, LAYOUTS["roll"], 3), strict=True):  # fmt: skip
        assert max(abs(p - q) for p, q in zip(a, b, strict=True)) <= TOLERANCE_PT


@pytest.mark.parametrize(("printer_dpi", "pixels"), [(203, 1726), (300, 2550), (600, 5100),
                                                     (1200, 5100)])  # fmt: skip
def test_pages_are_rendered_at_the_printer_resolution(qapp, tmp_path, printer_dpi, pixels) -> None:
    printed = print_through_app(build_labels(specimen_rows(1), "sheet"), tmp_path, printer_dpi)
    (tmp_path / "p.pdf").write_bytes(printed)
    listing = subprocess.run(["pdfimages", "-list", str(tmp_path / "p.pdf")], check=True,
                             capture_output=True, text=True).stdout.splitlines()[2:]  # fmt: skip
    assert [(int(row.split()[3]), row.split()[8]) for row in listing] == [(pixels, "image")]
    # one page image as wide as the paper in dots, stored losslessly (no JPEG on bars)  # 8.5 in x dpi (1200 dpi: 600 pixels of 2 x 2 dots each)


def test_render_step_keeps_whole_dots_per_pixel() -> None:
    assert [render_step(d) for d in (96, 203, 300, 599, 600, 601, 1200, 2400)] == [
        1, 1, 1, 1, 1, 2, 2, 4,
    ]  # fmt: skip


@needs_zbar
@pytest.mark.parametrize("layout", ["sheet", "roll"])
@pytest.mark.parametrize(("printer_dpi", "scan_dpis"), [(203, (203, 300)), (300, (300,))])
def test_printed_barcodes_decode(qapp, tmp_path, layout, printer_dpi, scan_dpis) -> None:
    """Labels made for the printer's resolution, read from the printed raster at the
    printer's own resolution (what it puts on paper), and a 203 dpi print also at 300.
    Not claimed: re-sampling a 300 dpi print's raster by poppler to 203 or 600 dpi (20-27
    of 30 read there; a label made for 300 dpi is not meant for a 203 dpi printer)."""
    rows = specimen_rows(12)
    printed = print_through_app(build_labels(rows, layout, dpi=printer_dpi), tmp_path,
                                printer_dpi)  # fmt: skip
    for scan_dpi in scan_dpis:
        found = decode_labels(printed, LAYOUTS[layout], scan_dpi, len(rows))
        assert found == [[row.barcode_value] for row in rows], f"scanned at {scan_dpi} dpi"


# ------------------------------------------------------------------ fitting, only by choice
def test_fit_to_printable_area_shrinks_into_the_hardware_margins(qapp, tmp_path,
                                                                 monkeypatch) -> None:  # fmt: skip
    quarter = 0.25 * INCH
    monkeypatch.setattr(paper, "hardware_margins", lambda _p: QMarginsF(*[quarter] * 4))
    original = build_labels(specimen_rows(30), "sheet")
    printed = print_through_app(original, tmp_path, 300, PrintOptions(fit_to_printable=True))
    scale = min((612 - 2 * quarter) / 612, (792 - 2 * quarter) / 792)
    a = ink_box(render_pages(original, COMPARE_DPI)[0])
    b = ink_box(render_pages(printed, COMPARE_DPI)[0])
    assert abs((b[2] - b[0]) - (a[2] - a[0]) * scale) <= 1.0
    assert abs(b[1] - (quarter + a[1] * scale)) <= 1.0


# ------------------------------------------------------------------ clipping warnings
def test_clipping_is_found_at_the_edge_of_the_print(qapp) -> None:
    keep: list = []
    document = load(build_labels(specimen_rows(30), "sheet"), keep)
    ink = ink_rect(document, 0)
    assert ink is not None
    left = ink.left()
    assert clipped_edges(document, QMarginsF(left - 0.01, 0, 0, 0)) == []  # just below
    assert clipped_edges(document, QMarginsF(left, 0, 0, 0)) == []  # at
    assert clipped_edges(document, QMarginsF(left + 0.01, 0, 0, 0)) == [(1, ["left"])]  # above
    bottom = 792 - ink.bottom()
    assert clipped_edges(document, QMarginsF(0, 0, 0, bottom + 0.01)) == [(1, ["bottom"])]
    assert clipped_edges(document, QMarginsF(*[0.25 * INCH] * 4)) == []  # a laser's 1/4 in
    assert clipped_edges(document, QMarginsF(0.25 * INCH, 0, 0, 0),
                         PrintOptions(offset_x=-5)) == [(1, ["left"])]  # fmt: skip
    fitted = PrintOptions(fit_to_printable=True)
    assert clipped_edges(document, QMarginsF(*[0.5 * INCH] * 4), fitted) == []


def test_a_blank_page_never_clips(qapp) -> None:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(612, 792))
    canvas.showPage()
    canvas.save()
    keep: list = []
    document = load(buffer.getvalue(), keep)
    assert ink_rect(document, 0) is None
    assert clipped_edges(document, QMarginsF(*[72.0] * 4)) == []


@pytest.fixture
def wide_margins(monkeypatch):
    """A printer that cannot print within 0.3 in of any edge (an Avery sheet's print starts
    0.26 in from the left)."""
    margins = QMarginsF(*[0.3 * INCH] * 4)
    monkeypatch.setattr(preview, "hardware_margins", lambda _p: margins)
    monkeypatch.setattr(paper, "hardware_margins", lambda _p: margins)


def preview_dialog(qtbot, tmp_path: Path, answer: str | None):
    dialog = PdfPreviewDialog(build_labels(specimen_rows(30), "sheet"), title="Labels",
                              suggested_name="labels.pdf")  # fmt: skip
    qtbot.addWidget(dialog)
    out = tmp_path / "printed.pdf"
    dialog.ask_printer = lambda: pdf_printer(out, 300)
    asked: list[str] = []

    def ask(text: str) -> str | None:
        asked.append(text)
        return answer

    dialog.ask_clipping = ask
    return dialog, out, asked


@pytest.mark.parametrize("answer", [None, TRUE_SIZE, FIT])
def test_the_preview_warns_before_the_printer_cuts_print_off(qtbot, tmp_path, wide_margins,
                                                            answer) -> None:  # fmt: skip
    dialog, out, asked = preview_dialog(qtbot, tmp_path, answer)
    qtbot.keyClick(dialog.print_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dialog.job is None, timeout=30_000)
    assert len(asked) == 1
    assert "0.30 in of the left edge" in asked[0]
    if answer is None:
        assert dialog.outputs == [] and not out.exists()  # cancelled: nothing printed
        return
    assert dialog.outputs == ["print"]
    left = ink_box(render_pages(out.read_bytes(), COMPARE_DPI)[0])[0]
    true_left = ink_box(render_pages(build_labels(specimen_rows(30), "sheet"), COMPARE_DPI)[0])[0]
    if answer == TRUE_SIZE:
        assert abs(left - true_left) <= TOLERANCE_PT
    else:
        assert left >= 0.3 * INCH


def test_fit_ticked_up_front_prints_without_asking(qtbot, tmp_path, wide_margins) -> None:
    dialog, out, asked = preview_dialog(qtbot, tmp_path, None)
    assert not dialog.fit_check.isChecked()  # true size unless staff choose otherwise
    dialog.fit_check.setFocus()
    qtbot.keyClick(dialog.fit_check, Qt.Key.Key_Space)
    assert dialog.fit_check.isChecked()
    qtbot.keyClick(dialog.print_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dialog.outputs == ["print"], timeout=30_000)
    assert asked == []
    assert ink_box(render_pages(out.read_bytes(), COMPARE_DPI)[0])[0] >= 0.3 * INCH


# ------------------------------------------------------------------ per-printer calibration
def test_a_calibrated_offset_moves_the_print_by_whole_dots(qtbot, tmp_path, own_settings) -> None:
    dialog, out, asked = preview_dialog(qtbot, tmp_path, None)
    name = pdf_printer(out, 300).printerName()
    save_offset(name, 1.5, -0.8)
    assert saved_offset(name) == (1.5, -0.8)
    qtbot.keyClick(dialog.print_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dialog.outputs == ["print"], timeout=30_000)
    assert asked == []
    original = ink_box(render_pages(build_labels(specimen_rows(30), "sheet"), COMPARE_DPI)[0])
    printed = ink_box(render_pages(out.read_bytes(), COMPARE_DPI)[0])
    assert abs(printed[0] - original[0] - 1.5 * 72 / 25.4) <= TOLERANCE_PT
    assert abs(printed[1] - original[1] + 0.8 * 72 / 25.4) <= TOLERANCE_PT
    assert abs((printed[2] - printed[0]) - (original[2] - original[0])) <= TOLERANCE_PT  # same size


def test_offsets_are_limited_and_bad_settings_read_as_none(own_settings) -> None:
    save_offset("Zebra GK420d", 10.0, -10.0)  # at the limit
    assert saved_offset("Zebra GK420d") == (10.0, -10.0)
    for right, down in ((10.01, 0), (0, -10.01)):
        with pytest.raises(ValueError, match="10 mm"):
            save_offset("Zebra GK420d", right, down)
    assert saved_offset("Zebra GK420d") == (10.0, -10.0)  # unchanged
    QSettings().setValue("printing/offset/Brother QL/right_mm", "not a number")
    QSettings().setValue("printing/offset/Brother QL/down_mm", 55)
    assert saved_offset("Brother QL") == (0.0, 0.0)
    assert saved_offset("never calibrated") == (0.0, 0.0)
    save_offset("Office/Laser", 0.5, 0.5)  # a slash in a printer name is not a settings group
    assert saved_offset("Office/Laser") == (0.5, 0.5) and saved_offset("Office") == (0.0, 0.0)


def test_the_offset_dialog_saves_by_keyboard_and_escape_keeps(qtbot, own_settings) -> None:
    dialog = PrinterOffsetDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    name = dialog.printer.currentData()
    dialog.right.setFocus()
    dialog.right.selectAll()
    qtbot.keyClicks(dialog.right, "1.5")
    dialog.down.setFocus()
    dialog.down.selectAll()
    qtbot.keyClicks(dialog.down, "-0.7")
    qtbot.keyClick(dialog.down, Qt.Key.Key_Return)
    assert dialog.result() == dialog.DialogCode.Accepted
    assert saved_offset(name) == (1.5, -0.7)
    again = PrinterOffsetDialog()
    qtbot.addWidget(again)
    again.show()
    assert (again.right.value(), again.down.value()) == (1.5, -0.7)
    again.right.selectAll()
    qtbot.keyClicks(again.right, "3")
    qtbot.keyClick(again.right, Qt.Key.Key_Escape)
    assert saved_offset(name) == (1.5, -0.7)
