"""Printing off the UI thread, with progress and Cancel, and the vector route.

Where the print system takes PDF (Qt's print to file, a CUPS queue through ``lp``) the
document goes as it is, so its text stays text (pdftotext reads it back); elsewhere pages
are rasterised at the printer's resolution. The preview stays responsive meanwhile.
"""

from __future__ import annotations

import os
import stat
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QSizeF, Qt, QTimer
from PySide6.QtPrintSupport import QPrinter

from ma_desk.errors import MADeskError
from ma_desk.reports.labels import build_labels
from ma_desk.reports.visit_summary import build_visit_summary
from ma_desk.ui.printing import paper
from ma_desk.ui.printing.paper import (
    CUPS,
    PDF_FILE,
    RASTER,
    PrintOptions,
    choose_route,
    route_for,
)
from ma_desk.ui.printing.preview import PdfPreviewDialog
from tests.pdf_extract import have_pdftotext
from tests.report_helpers import summary_data
from tests.test_true_size_printing import specimen_rows

needs_pdftotext = pytest.mark.skipif(not have_pdftotext(), reason="poppler-utils missing")


def pdftotext(path: Path) -> str:
    done = subprocess.run(["pdftotext", "-q", "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, check=True, timeout=60, text=True)  # fmt: skip
    return " ".join(done.stdout.split())


def file_printer(path: Path, dpi: int = 300) -> QPrinter:
    """Qt's PDF printer, as the print dialog hands it over for "Print to file"."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    printer.setResolution(dpi)
    return printer


def preview(qtbot, pdf: bytes, printer: QPrinter) -> PdfPreviewDialog:
    dialog = PdfPreviewDialog(pdf, title="After-visit summary", suggested_name="s.pdf")
    qtbot.addWidget(dialog)
    dialog.ask_printer = lambda: printer
    return dialog


@pytest.fixture
def fake_lp(tmp_path, monkeypatch):
    """An ``lp`` on PATH that keeps its arguments and what it read on standard input."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "lp"
    script.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$LP_ARGS"\ncat > "$LP_INPUT"\n'
                      'if [ -n "$LP_FAIL" ]; then echo "lp: $LP_FAIL" >&2; exit 1; fi\n'
                      'echo "request id is q-1 (1 file(s))"\n')  # fmt: skip
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("LP_ARGS", str(tmp_path / "lp-args"))
    monkeypatch.setenv("LP_INPUT", str(tmp_path / "lp-input"))
    return tmp_path


# ------------------------------------------------------------------ the vector route
@needs_pdftotext
def test_print_to_file_sends_vectors_whose_text_reads_back(qtbot, tmp_path):
    pdf = build_visit_summary(summary_data())
    out = tmp_path / "printed.pdf"
    dialog = preview(qtbot, pdf, file_printer(out))
    qtbot.keyClick(dialog.print_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dialog.outputs == ["print"], timeout=30_000)
    text = pdftotext(out)
    assert "After-Visit Summary" in text and "Rosa María Pérez" in text and "142/91" in text
    assert out.read_bytes() == pdf  # exactly the document: true size, nothing resampled
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert dialog.print_status.text() == "Sent 1 page to the printer."


@needs_pdftotext
def test_a_shifted_print_is_rasterised_at_the_printer_resolution(qtbot, tmp_path):
    pdf = build_labels(specimen_rows(3), "sheet")
    out = tmp_path / "printed.pdf"
    job = paper.PrintJob()
    pages = paper.send_pdf(pdf, file_printer(out, 300), PrintOptions(offset_x=2.0), job)
    assert pages == 1 and job.route == RASTER and job.done == 1
    assert pdftotext(out) == ""  # page images: no text left to extract


def test_routes(tmp_path, fake_lp, monkeypatch):
    to_file = file_printer(tmp_path / "x.pdf")
    assert route_for(to_file, PrintOptions()) == PDF_FILE
    assert route_for(to_file, PrintOptions(fit_to_printable=True)) == RASTER
    assert route_for(to_file, PrintOptions(offset_y=-1.0)) == RASTER
    assert choose_route(False, "front-desk-laser", PrintOptions(), "linux") == CUPS
    assert choose_route(False, "front-desk-laser", PrintOptions(), "darwin") == CUPS
    assert choose_route(False, "front-desk-laser", PrintOptions(), "win32") == RASTER
    assert choose_route(False, "", PrintOptions(), "linux") == RASTER
    assert choose_route(False, "laser", PrintOptions(offset_x=0.5), "linux") == RASTER
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert choose_route(False, "front-desk-laser", PrintOptions(), "linux") == RASTER  # no lp


@pytest.mark.parametrize(("layout", "media"), [("sheet", "Letter"), ("roll", "Custom.162x90")])
def test_cups_gets_the_pdf_on_standard_input_at_true_size(fake_lp, layout, media):
    pdf = build_labels(specimen_rows(2), layout)
    document, buffer = paper.load_pdf(pdf)
    paper.send_to_cups(pdf, "label-printer", document.pagePointSize(0), 2, "Labels")
    document.close()
    buffer.close()
    args = (fake_lp / "lp-args").read_text().split("\n")
    assert args[:4] == ["-d", "label-printer", "-n", "2"]
    assert "print-scaling=none" in args and f"media={media}" in args and "Labels" in args
    assert (fake_lp / "lp-input").read_bytes() == pdf  # no temporary copy: a pipe


def test_a_refusing_cups_queue_says_which_and_what_to_do(fake_lp, monkeypatch):
    monkeypatch.setenv("LP_FAIL", "The printer or class does not exist.")
    with pytest.raises(
        MADeskError, match=r"printer gone did not accept.*does not exist.*print again"
    ):
        paper.send_to_cups(b"%PDF-1.4", "gone", QSizeF(612, 792))


def test_cups_media_names():
    assert paper.cups_media(QSizeF(612, 792)) == "Letter"
    assert paper.cups_media(QSizeF(595.28, 841.89)) == "A4"
    assert paper.cups_media(QSizeF(162, 90)) == "Custom.162x90"


def test_unreadable_bytes_are_refused_before_printing(tmp_path):
    with pytest.raises(MADeskError, match="could not be read"):
        paper.send_pdf(b"not a pdf", file_printer(tmp_path / "x.pdf"))
    assert not (tmp_path / "x.pdf").exists()


# ------------------------------------------------------------------ off the UI thread
def long_document() -> bytes:
    return build_visit_summary(summary_data(instructions="Rest and drink water. " * 2500))


def test_raster_print_runs_off_the_ui_thread_and_cancels_by_keyboard(qtbot, tmp_path, monkeypatch):
    pdf = long_document()
    escape_pressed = threading.Event()
    worker_waiting = threading.Event()
    real_render = paper.render_page

    def render_waiting_after_page_2(document, page, size):
        if page >= 2:  # however fast the machine, Esc lands while pages remain
            worker_waiting.set()
            escape_pressed.wait(timeout=60)
        return real_render(document, page, size)

    monkeypatch.setattr(paper, "render_page", render_waiting_after_page_2)
    dialog = preview(qtbot, pdf, file_printer(tmp_path / "printed.pdf", 300))
    dialog.fit_check.setChecked(True)  # fitted: the page-image route
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    assert dialog.print_now() is True
    job = dialog.job
    assert job is not None and not dialog.print_button.isEnabled()
    assert dialog.print_now() is False  # one print at a time
    qtbot.waitUntil(lambda: dialog.progress is not None and dialog.progress.isVisible(),
                    timeout=30_000)  # fmt: skip
    qtbot.waitUntil(lambda: job.done >= 1 and worker_waiting.is_set(), timeout=60_000)
    ticks_while_rendering = len(ticks)
    # The worker is held inside a page render: the UI's event loop must keep ticking.
    qtbot.waitUntil(lambda: len(ticks) >= ticks_while_rendering + 3, timeout=10_000)
    assert job.total > 5 and job.route == RASTER
    qtbot.waitUntil(lambda: "of" in dialog.progress.labelText(), timeout=10_000)
    qtbot.keyClick(dialog.progress, Qt.Key.Key_Escape)
    escape_pressed.set()
    qtbot.waitUntil(lambda: dialog.job is None, timeout=60_000)
    timer.stop()
    assert job.cancelled and job.done < job.total
    # Qt's PDF (like its CUPS) engine cannot take back pages already drawn: they are written,
    # so the print is recorded, and staff are told how many went out.
    assert not job.withdrawn and job.done >= 1
    assert dialog.outputs == ["print"]
    assert dialog.print_status.text() == (
        f"Cancelled: {job.done} of {job.total} pages had already gone to the printer."
    )
    assert dialog.print_button.isEnabled() and dialog.progress is None


def test_closing_the_preview_waits_for_its_print_and_records_it(qtbot, tmp_path):
    out = tmp_path / "printed.pdf"
    dialog = preview(qtbot, build_visit_summary(summary_data()), file_printer(out, 150))
    dialog.fit_check.setChecked(True)
    dialog.show()
    assert dialog.print_now() is True
    dialog.reject()  # staff close the preview at once
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=30_000)
    assert dialog.outputs == ["print"]
    printed = PdfReader(out).pages  # fitted to the printable area: one page image
    assert len(printed) == 1 and list(printed[0].images)
    assert dialog.document.pageCount() == 0  # dropped once the print had ended


def test_a_failed_print_is_told_and_the_preview_stays_usable(qtbot, tmp_path, monkeypatch):
    told = []
    from ma_desk.ui.common import dialogs as dialogs_module

    monkeypatch.setattr(dialogs_module.dialogs, "warn", lambda _p, t, m: told.append((t, m)))
    dialog = preview(qtbot, build_visit_summary(summary_data()),
                     file_printer(Path(tempfile.gettempdir()) / "no-such-dir-ma" / "x.pdf"))  # fmt: skip
    dialog.print_now()
    qtbot.waitUntil(lambda: dialog.job is None, timeout=30_000)
    assert dialog.outputs == [] and told and told[0][0] == "Print"
    assert dialog.print_button.isEnabled()
