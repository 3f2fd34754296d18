"""Show a PDF held in memory, then print it through Qt's print dialog or save it.

The PDF bytes live in a QBuffer only: nothing is written to a temporary file,
so no unencrypted copy of patient data is left on disk when the dialog closes.
Printing is at true size (``paper.py``): when the printer cannot print where the
document has print, staff are asked whether to print at true size anyway or fit the
pages into the printable area; "Fit to printable area" can also be ticked up front.
``ask_printer``, ``ask_clipping`` and ``ask_save_path`` are separate methods so tests
can answer them without opening modal system dialogs. Saving over an existing file asks first
(default: keep it); the saved copy is owner-only. Printing runs on the worker thread
(``send_pdf``: the PDF itself where the printer takes PDF, else page images) with a
progress window and Cancel; the rest of the app stays usable meanwhile, and the preview
closes only once its print has ended, so the print is always recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ma_desk.atomic_file import PRIVATE_MODE, open_private
from ma_desk.errors import MADeskError
from ma_desk.reports.output import write_file_atomic
from ma_desk.ui.common import replace_file
from ma_desk.ui.common.dialogs import dialogs
from ma_desk.ui.common.widgets import named
from ma_desk.ui.common.worker import run_in_background
from ma_desk.ui.printing.paper import (
    PrintJob,
    PrintOptions,
    calibrated_options,
    clipped_edges,
    describe_clipping,
    hardware_margins,
    prepare_printer,
    send_pdf,
)

TRUE_SIZE = "true size"
FIT = "fit"
PROGRESS_POLL_MS = 100  # how often the progress window reads the worker's page count
PROGRESS_SHOW_MS = 300  # a print that ends sooner never shows the progress window


def make_output_file_private(printer: QPrinter) -> None:
    """Printing to a file writes patient data too: owner-only before Qt writes a byte."""
    name = printer.outputFileName()
    if not name:
        return
    path = Path(name)
    if path.exists():
        path.chmod(PRIVATE_MODE)
    else:
        open_private(path).close()


class PdfPreviewDialog(QDialog):
    """The in-app preview with Print and Save; ``on_output`` runs after a print or a save."""

    def __init__(
        self,
        pdf: bytes,
        *,
        title: str,
        suggested_name: str,
        on_output: Callable[[str], None] | None = None,
        parent: QWidget | None = None,
        note: str = "",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("pdf_preview_dialog")
        self.setWindowTitle(title)
        self.setAccessibleName(f"{title} preview")
        self.resize(820, 940)
        self._suggested_name = suggested_name
        self._on_output = on_output
        self.outputs: list[str] = []
        self.job: PrintJob | None = None  # the print now running, if any
        self.progress: QProgressDialog | None = None
        self._progress_timer = QTimer(self)
        self._progress_timer.setInterval(PROGRESS_POLL_MS)
        self._progress_timer.timeout.connect(self._show_progress)
        self._close_with: int | None = None  # closing waits for the print to end

        self._bytes = QByteArray(pdf)
        self._buffer = QBuffer(self)
        self._buffer.setData(self._bytes)
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document = QPdfDocument(self)
        self.document.load(self._buffer)

        self.view = QPdfView(self)
        named(self.view, "pdf_view", "Document preview")
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)

        pages = self.document.pageCount()
        self.pages_label = QLabel(f"{pages} page{'s' if pages != 1 else ''}")
        self.pages_label.setObjectName("pdf_pages")
        self.print_status = QLabel("")
        self.print_status.setObjectName("print_status")
        self.print_button = named(QPushButton("&Print…"), "print_button", "Print")
        self.save_button = named(QPushButton("&Save…"), "save_button", "Save as file")
        self.close_button = named(QPushButton("Close"), "close_button", "Close preview")
        self.fit_check = named(QCheckBox("&Fit to printable area"), "fit_to_printable",
                               "Fit to printable area (shrinks the pages; not for labels)")  # fmt: skip
        self.position_button = named(QPushButton("Ad&just position…"), "printer_position",
                                     "Adjust a printer's print position")  # fmt: skip
        self.position_button.clicked.connect(self.adjust_position)
        self.fit_check.setToolTip("Off: pages print at true size, as labels need. On: pages "
                                  "shrink to stay inside the printer's margins.")  # fmt: skip
        self.print_button.setDefault(True)
        self.print_button.clicked.connect(self.print_now)
        self.save_button.clicked.connect(self.save_now)
        self.close_button.clicked.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Print, self, activated=self.print_now)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save_now)

        buttons = QHBoxLayout()
        buttons.addWidget(self.pages_label)
        buttons.addWidget(self.print_status)
        buttons.addStretch(1)
        buttons.addWidget(self.position_button)
        buttons.addWidget(self.fit_check)
        for button in (self.save_button, self.print_button, self.close_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        self.note_label = QLabel(note)  # e.g. printed in English: no translation for the patient
        self.note_label.setObjectName("pdf_note")
        self.note_label.setWordWrap(True)
        self.note_label.setVisible(bool(note))
        layout.addWidget(self.note_label)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        if self.document.status() != QPdfDocument.Status.Ready:
            self.print_button.setEnabled(False)
            self.save_button.setEnabled(False)
            self.pages_label.setText("The document could not be shown.")

    # -- hooks that tests replace
    def ask_printer(self) -> QPrinter | None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.windowTitle())
        if self.document.pageCount() > 0:  # the dialog shows the document's own paper
            prepare_printer(printer, self.document.pagePointSize(0))
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(f"Print {self.windowTitle()}")
        return printer if dialog.exec() == QDialog.DialogCode.Accepted else None

    def ask_clipping(self, text: str) -> str | None:
        """True size, fit, or None to cancel (Escape and the default both cancel)."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Print", text, parent=self)
        true_size = box.addButton("Print at &true size", QMessageBox.ButtonRole.AcceptRole)
        fit = box.addButton("&Fit to printable area", QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.exec()
        return {true_size: TRUE_SIZE, fit: FIT}.get(box.clickedButton())

    def print_options(self, printer: QPrinter) -> PrintOptions | None:
        """True size unless fitting was chosen; asks first when the printer would cut print
        off (None: staff cancelled)."""
        if self.fit_check.isChecked():
            return PrintOptions(fit_to_printable=True)
        options = calibrated_options(printer.printerName())
        prepare_printer(printer, self.document.pagePointSize(0))
        margins = hardware_margins(printer)
        found = clipped_edges(self.document, margins, options)
        if not found:
            return options
        answer = self.ask_clipping(describe_clipping(found, margins))
        if answer is None:
            return None
        return PrintOptions(fit_to_printable=True) if answer == FIT else options

    def adjust_position(self) -> None:
        """Calibrate a printer once so its print lands on the label stock."""
        from ma_desk.ui.printing.calibration import PrinterOffsetDialog

        PrinterOffsetDialog(self).exec()

    def ask_save_path(self) -> str | None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save a copy", self._suggested_name, "PDF document (*.pdf)",
            options=replace_file.SAVE_OPTIONS,
        )  # fmt: skip
        return path or None

    # -- actions
    def print_now(self) -> bool:
        """Start printing on the worker thread; True when a print was started."""
        if self.job is not None:
            return False  # one print at a time from one preview
        printer = self.ask_printer()
        if printer is None:
            return False
        options = self.print_options(printer)
        if options is None:
            return False
        try:
            make_output_file_private(printer)
        except OSError as error:
            dialogs.warn(self, "Print", f"The file could not be written: {error}")
            return False
        job = self.job = PrintJob()
        pdf = bytes(self._bytes.data())
        self._set_printing(True)
        run_in_background(self, lambda: send_pdf(pdf, printer, options, job),
                          lambda pages: self._print_ended(job, pages),
                          lambda error: self._print_failed(error))  # fmt: skip
        return True

    def _set_printing(self, printing: bool) -> None:
        for widget in (self.print_button, self.close_button, self.fit_check,
                       self.position_button):  # fmt: skip
            widget.setEnabled(not printing)
        self.print_status.setText("Printing…" if printing else "")
        if printing:
            self.progress = QProgressDialog("Sending the document to the printer…", "&Cancel",
                                            0, 0, self)  # fmt: skip
            self.progress.setObjectName("print_progress")
            self.progress.setWindowTitle("Printing")
            self.progress.setAccessibleName("Printing progress")
            self.progress.setWindowModality(Qt.WindowModality.WindowModal)
            self.progress.setMinimumDuration(PROGRESS_SHOW_MS)
            self.progress.setAutoClose(False)
            self.progress.setAutoReset(False)
            self.progress.canceled.connect(self.cancel_print)
            self._progress_timer.start()
        else:
            self._progress_timer.stop()
            if self.progress is not None:
                self.progress.canceled.disconnect(self.cancel_print)
                self.progress.close()
                self.progress.deleteLater()
                self.progress = None

    def _show_progress(self) -> None:
        job, progress = self.job, self.progress
        if job is None or progress is None or job.total <= 0:
            return
        progress.setMaximum(job.total)
        progress.setValue(job.done)
        if not job.cancelled:
            progress.setLabelText(f"Printing page {min(job.done + 1, job.total)} of {job.total}…")

    def cancel_print(self) -> None:
        """Stop the running print after the page being sent (the printer drops the job)."""
        if self.job is not None:
            self.job.cancel()
            self.print_status.setText("Cancelling…")
            if self.progress is not None:
                self.progress.setLabelText("Cancelling after this page…")

    def _print_ended(self, job: PrintJob, pages: int) -> None:
        self.job = None
        self._set_printing(False)
        if job.cancelled and pages < job.total and (job.withdrawn or pages == 0):
            self.print_status.setText("Printing was cancelled.")
        elif job.cancelled and pages < job.total:  # the pages already sent still print
            self.print_status.setText(
                f"Cancelled: {pages} of {job.total} pages had already gone to the printer."
            )
            self._output("print")
        else:
            self.print_status.setText(
                f"Sent {pages} page{'s' if pages != 1 else ''} to the printer."
            )
            self._output("print")
        self._close_if_asked()

    def _print_failed(self, error: MADeskError) -> None:
        self.job = None
        self._set_printing(False)
        dialogs.warn(self, "Print", str(error))
        self._close_if_asked()

    def _close_if_asked(self) -> None:
        if self._close_with is not None:
            result, self._close_with = self._close_with, None
            self.done(result)

    def save_now(self) -> bool:
        target = replace_file.save_target(self, self.ask_save_path(), ".pdf")
        if target is None:
            return False
        path, replace = target
        try:
            write_file_atomic(path, bytes(self._bytes.data()), force=replace)
        except (MADeskError, OSError) as error:
            dialogs.warn(self, "Save", f"The file was not saved: {error}")
            return False
        self._output("save")
        return True

    def _output(self, kind: str) -> None:
        self.outputs.append(kind)
        if self._on_output is not None:
            try:
                self._on_output(kind)
            except MADeskError as error:
                dialogs.warn(self, self.windowTitle(), str(error))

    def done(self, result: int) -> None:
        """Drop the document and its bytes as soon as the dialog closes (after a running
        print has ended: it is then recorded like any other)."""
        if self.job is not None:
            self._close_with = result
            return
        self.view.setDocument(None)
        self.document.close()
        self._buffer.close()
        self._buffer.setData(QByteArray())
        self._bytes = QByteArray()
        super().done(result)


def show_pdf(
    parent: QWidget | None,
    pdf: bytes,
    *,
    title: str,
    suggested_name: str,
    on_output: Callable[[str], None] | None = None,
    note: str = "",
) -> PdfPreviewDialog:
    """Open the preview modally (tests replace ``PdfPreviewDialog.exec``)."""
    dialog = PdfPreviewDialog(pdf, title=title, suggested_name=suggested_name,
                              on_output=on_output, parent=parent, note=note)  # fmt: skip
    dialog.exec()
    return dialog
