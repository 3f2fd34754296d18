"""Calibrate a printer's print position once, so labels land on their die-cuts.

Printers feed paper with a small, repeatable shift (often 0.5-2 mm). Staff print a label
sheet at true size, measure how far the print sits from the labels and enter the move
here; it is kept for that printer on this computer and applied to every true-size print.
"""

from __future__ import annotations

from PySide6.QtPrintSupport import QPrinterInfo
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ma_desk.ui.common.widgets import named
from ma_desk.ui.printing.paper import MAX_OFFSET_MM, save_offset, saved_offset

FILE_PRINTER = ""  # Qt's "Print to file": kept under its own name


class PrinterOffsetDialog(QDialog):
    """Printer, move right (mm), move down (mm); Save keeps it, Escape leaves it as it was."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("printer_offset_dialog")
        self.setWindowTitle("Adjust print position")
        self.printer = named(QComboBox(), "offset_printer", "Printer")
        for name in QPrinterInfo.availablePrinterNames():
            self.printer.addItem(name, name)
        self.printer.addItem("Print to file (PDF)", FILE_PRINTER)
        default = QPrinterInfo.defaultPrinterName()
        self.printer.setCurrentIndex(max(0, self.printer.findData(default)))
        self.right = self._spin("offset_right", "Move print right (mm)")
        self.down = self._spin("offset_down", "Move print down (mm)")
        note = QLabel(
            "Print a label sheet at true size. If the print sits left of the labels, move it "
            "right by the distance you measure (negative moves left); the same for up and "
            "down. Applies to this printer on this computer."
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setDefault(True)  # Enter saves
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&Printer", self.printer)
        form.addRow("Move &right", self.right)
        form.addRow("Move &down", self.down)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.printer.currentIndexChanged.connect(self._show_saved)
        self._show_saved()

    def _spin(self, name: str, accessible: str) -> QDoubleSpinBox:
        spin = named(QDoubleSpinBox(), name, accessible)
        spin.setRange(-MAX_OFFSET_MM, MAX_OFFSET_MM)
        spin.setDecimals(1)
        spin.setSingleStep(0.1)
        spin.setSuffix(" mm")
        return spin

    def _show_saved(self) -> None:
        right, down = saved_offset(self.printer.currentData())
        self.right.setValue(right)
        self.down.setValue(down)

    def save(self) -> None:
        save_offset(self.printer.currentData(), self.right.value(), self.down.value())
        self.accept()
