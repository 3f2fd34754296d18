"""The Labels and End-of-day dialogs of the Print menu."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QSettings
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ma_desk.display_format import file_date, qt_date_format
from ma_desk.errors import MADeskError
from ma_desk.reports.labels import LAYOUTS, PRINTER_DPIS
from ma_desk.reports.output import write_file_atomic
from ma_desk.services import Services
from ma_desk.ui.common import replace_file
from ma_desk.ui.common.dialogs import dialogs
from ma_desk.ui.common.errors import FieldMessage, field_errors
from ma_desk.ui.common.focus import whole_field_tab
from ma_desk.ui.common.note_keys import ctrl_enter_saves
from ma_desk.ui.common.widgets import named
from ma_desk.ui.common.worker import run_in_background
from ma_desk.ui.printing import preview

LABEL_DPI_KEY = "printing/label_dpi"  # per computer and stock: the printer is local
DPI_WORDS = {203: "203 dpi (most thermal label printers)", 300: "300 dpi (laser, inkjet)",
             600: "600 dpi"}  # fmt: skip


class LabelsDialog(QDialog):
    """Patient labels (MRN barcode) or specimen labels (one per specimen) for a visit."""

    def __init__(self, services: Services, *, visit_id: int | None, patient_id: int,
                 patient_name: str, parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.services = services
        self.visit_id = visit_id
        self.patient_id = patient_id
        self.setObjectName("labels_dialog")
        self.setWindowTitle(f"Labels for {patient_name}")
        self.kind = named(QComboBox(), "label_kind", "Label kind")
        self.kind.addItem("Patient labels (MRN barcode)", "patient")
        if visit_id is not None:
            self.kind.addItem("Specimen labels (specimen ID barcode)", "specimen")
        self.count = named(QSpinBox(), "label_count", "Number of labels")
        self.count.setRange(1, 300)
        self.count.setValue(1)
        self.specimens = named(QPlainTextEdit(), "label_specimens", "Specimens, one per line")
        self.specimens.setPlaceholderText("One specimen per line, e.g.\nBlood, lavender top\nUrine")
        self.specimens.setTabChangesFocus(True)
        ctrl_enter_saves(self.specimens, self.preview_labels, "Preview the labels")
        self.specimens.setMaximumHeight(90)
        self.layout_choice = named(QComboBox(), "label_layout", "Label stock")
        self.layout_choice.addItem("Sheet: Avery 5160, 30 per page", "sheet")
        self.layout_choice.addItem("Roll printer: 2.25 x 1.25 in", "roll")
        self.dpi = named(QComboBox(), "label_dpi", "Label printer resolution")
        for dpi in PRINTER_DPIS:
            self.dpi.addItem(DPI_WORDS.get(dpi, f"{dpi} dpi"), dpi)
        self.start = named(QSpinBox(), "label_start", "First free label position")
        self.start.setRange(1, 30)
        self.message = FieldMessage("labels", self)
        self.preview_button = named(QPushButton("&Preview…"), "labels_preview", "Preview labels")
        self.preview_button.setDefault(True)
        self.preview_button.clicked.connect(self.preview_labels)
        close = named(QPushButton("Close"), "labels_close", "Close")
        close.clicked.connect(self.reject)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.layout_choice.currentIndexChanged.connect(self._kind_changed)
        self.layout_choice.currentIndexChanged.connect(self._show_saved_dpi)

        form = QFormLayout()
        form.addRow("&Kind", self.kind)
        form.addRow("&Copies", self.count)
        form.addRow("&Specimens", self.specimens)
        form.addRow("&Label stock", self.layout_choice)
        form.addRow("Printer &resolution", self.dpi)
        form.addRow("Start at &position", self.start)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.preview_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self._kind_changed()
        self._show_saved_dpi()

    def _show_saved_dpi(self) -> None:
        """The resolution last used on this computer for this stock, else the stock's usual."""
        stock = self.layout_choice.currentData()
        saved = QSettings().value(f"{LABEL_DPI_KEY}/{stock}", LAYOUTS[stock].dpi)
        index = self.dpi.findData(int(saved) if str(saved).isdigit() else LAYOUTS[stock].dpi)
        self.dpi.setCurrentIndex(max(0, index))

    def _kind_changed(self) -> None:
        specimen = self.kind.currentData() == "specimen"
        self.count.setEnabled(not specimen)
        self.specimens.setEnabled(specimen)
        self.start.setEnabled(self.layout_choice.currentData() == "sheet")

    def build(self) -> bytes | None:
        self.message.show_message("")
        try:
            rows = self.services.reports.label_data(
                kind=self.kind.currentData(), visit_id=self.visit_id,
                patient_id=self.patient_id, count=self.count.value(),
                specimen_types=self.specimens.toPlainText().splitlines(),
            )  # fmt: skip
            start = self.start.value() if self.layout_choice.currentData() == "sheet" else 1
            stock, dpi = self.layout_choice.currentData(), self.dpi.currentData()
            pdf = self.services.reports.labels(rows, layout=stock, start_position=start,
                                               dpi=dpi)  # fmt: skip
            QSettings().setValue(f"{LABEL_DPI_KEY}/{stock}", dpi)
            return pdf
        except MADeskError as error:
            errors = field_errors(error)
            self.message.show_message(next(iter(errors.values()), str(error)))
            return None

    def preview_labels(self) -> None:
        pdf = self.build()
        if pdf is not None:
            preview.show_pdf(self, pdf, title="Labels", suggested_name="labels.pdf")


class EndOfDayDialog(QDialog):
    """Choose the day (and a provider), then preview the PDF or save the CSV."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setObjectName("end_of_day_dialog")
        self.setWindowTitle("End-of-day report")
        self.setMinimumWidth(460)
        today = services.now().date()
        self.date = named(QDateEdit(QDate(today.year, today.month, today.day)), "eod_date",
                          "Report date")  # fmt: skip
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat(qt_date_format())
        whole_field_tab(self.date)
        self.provider = named(QComboBox(), "eod_provider", "Provider")
        self.provider.addItem("All providers", None)
        for p in services.schedule.providers(active_only=False):
            self.provider.addItem(p.display_name, p.id)
        self.message = FieldMessage("eod", self)
        self.pdf_button = named(QPushButton("&Preview PDF…"), "eod_pdf", "Preview PDF report")
        self.pdf_button.setDefault(True)
        self.pdf_button.clicked.connect(self.preview_pdf)
        self.csv_button = named(QPushButton("Save &CSV…"), "eod_csv", "Save CSV export")
        self.csv_button.clicked.connect(self.save_csv)
        close = named(QPushButton("Close"), "eod_close", "Close")
        close.clicked.connect(self.reject)
        form = QFormLayout()
        form.addRow("&Date", self.date)
        form.addRow("P&rovider", self.provider)
        note = QLabel("The CSV has one row per appointment of the day (times, waits, copay, "
                      "open items) for a spreadsheet; the PDF is the printable summary.")  # fmt: skip
        note.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.csv_button)
        buttons.addWidget(self.pdf_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

    def chosen_day(self) -> dt.date:
        return self.date.date().toPython()

    def preview_pdf(self) -> None:
        """Build the PDF on a worker thread (a busy day takes a moment), then preview it."""
        self.message.show_message("Preparing the report…")
        self.pdf_button.setEnabled(False)
        self.csv_button.setEnabled(False)
        day, provider_id = self.chosen_day(), self.provider.currentData()
        run_in_background(
            self,
            lambda: self.services.reports.end_of_day_pdf(day, provider_id),
            lambda pdf: self._show(pdf, day),
            self._failed,
        )  # fmt: skip

    def _ready(self) -> None:
        self.pdf_button.setEnabled(True)
        self.csv_button.setEnabled(True)

    def _failed(self, error: MADeskError) -> None:
        self._ready()
        self.message.show_message(str(error))

    def _show(self, pdf: bytes, day: dt.date) -> None:
        self._ready()
        self.message.show_message("")
        preview.show_pdf(self, pdf, title="End-of-day report",
                         suggested_name=f"end-of-day-{file_date(day)}.pdf")  # fmt: skip

    def ask_csv_path(self) -> str | None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the end-of-day CSV", f"end-of-day-{file_date(self.chosen_day())}.csv",
            "CSV file (*.csv)", options=replace_file.SAVE_OPTIONS,
        )  # fmt: skip
        return path or None

    def save_csv(self) -> bool:
        self.message.show_message("")
        target = replace_file.save_target(self, self.ask_csv_path(), ".csv")
        if target is None:
            return False
        path, replace = target
        try:
            text = self.services.reports.end_of_day_csv(self.chosen_day(),
                                                        self.provider.currentData())  # fmt: skip
            write_file_atomic(path, text.encode("utf-8-sig"), force=replace)
        except (MADeskError, OSError) as error:
            self.message.show_message(f"The CSV was not saved: {error}")
            return False
        dialogs.info(self, "End-of-day report", f"Saved {path}.")
        return True
