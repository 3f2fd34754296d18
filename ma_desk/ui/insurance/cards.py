"""Insurance card images: import (file or scanner folder), view and print.

The image bytes go from the file straight into the encrypted store and back
into memory for display; nothing is written to a temporary file. Printing
goes through QPrinter/QPrintDialog and is audited.
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import QSettings, QSize, Qt, Signal
from PySide6.QtGui import QFont, QImage, QPainter, QPixmap
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ma_desk.display_format import date_time_text
from ma_desk.services import Services
from ma_desk.services.insurance import CoverageRow
from ma_desk.services.insurance_rules import SIDES
from ma_desk.ui.common import palette
from ma_desk.ui.common.dialogs import dialogs
from ma_desk.ui.common.fit import button_row
from ma_desk.ui.common.widgets import named
from ma_desk.ui.insurance import common

SCANNER_KEY = "insurance/scanner_folder"
THUMB = QSize(240, 152)
IMAGE_FILTER = "Card images (*.png *.jpg *.jpeg *.gif *.bmp *.tif *.tiff *.webp)"
CARD_PRINT_WIDTH_IN = 4.5  # a little larger than a real card (3.375 in) so it stays legible


def load_image(data: bytes) -> QImage:
    image = QImage()
    image.loadFromData(data)
    return image


def paint_cards(printer: QPrinter, header: list[str], images: list[tuple[str, QImage]]) -> None:
    """Draw a header (patient identifiers, payer) and each card side on one page."""
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("The printer could not be started.")
    try:
        dpi = printer.resolution()
        page = printer.pageLayout().paintRectPixels(dpi)
        y = 0
        font = QFont("Sans Serif", 11)
        painter.setFont(font)
        line = painter.fontMetrics().height()
        for text in header:
            painter.drawText(0, y + line, text)
            y += int(line * 1.3)
        y += line
        width = min(page.width(), int(CARD_PRINT_WIDTH_IN * dpi))
        for label, image in images:
            painter.drawText(0, y + line, label)
            y += int(line * 1.4)
            if image.isNull():
                continue
            scaled = image.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
            if y + scaled.height() > page.height():
                printer.newPage()
                y = 0
            painter.drawImage(0, y, scaled)
            y += scaled.height() + line * 2
    finally:
        painter.end()


class CardViewer(QDialog):
    """Both sides at a readable size, with Print."""

    def __init__(
        self,
        images: list[tuple[str, QImage]],
        print_action,
        title: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("card_viewer")
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        for label, image in images:
            box = QVBoxLayout()
            caption = QLabel(label)
            caption.setObjectName(f"card_viewer_{label.lower()}_caption")
            picture = QLabel()
            picture.setObjectName(f"card_viewer_{label.lower()}")
            picture.setAccessibleName(f"Card {label.lower()}")
            picture.setPixmap(
                QPixmap.fromImage(image).scaled(
                    QSize(520, 340),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
            box.addWidget(caption)
            box.addWidget(picture)
            row.addLayout(box)
        layout.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.print_button = named(QPushButton("&Print…"), "card_viewer_print", "Print card")
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.print_button.clicked.connect(print_action)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class CardPanel(QGroupBox):
    """Front and back thumbnails of the selected coverage's card, with import/view/print."""

    changed = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__("Insurance card", parent)
        self.setObjectName("card_panel")
        self.services = services
        self.coverage: CoverageRow | None = None
        self.patient_label = ""
        folder = QSettings().value(SCANNER_KEY, "")
        self.scanner_folder: Path | None = Path(str(folder)) if folder else None
        self.thumbs: dict[str, QLabel] = {}
        self.buttons: dict[str, QPushButton] = {}
        layout = QVBoxLayout(self)
        # Front and back side by side where the panel is wide (a short screen's page
        # gives it the whole width), one under the other where it is narrow.
        layout.addWidget(button_row([self._side_box(side) for side in SIDES]))
        self.view_button = named(QPushButton("Vie&w / print…"), "card_view", "View or print card")
        self.view_button.clicked.connect(self.view)
        self.folder_button = named(QPushButton("Scanner folder…"), "card_scanner_folder")
        self.folder_button.clicked.connect(self.choose_scanner_folder)
        actions = QHBoxLayout()
        actions.addWidget(self.view_button, 2)
        actions.addWidget(self.folder_button, 1)
        layout.addLayout(actions)
        self.show_coverage(None)

    def _side_box(self, side: str) -> QWidget:
        """One side of the card: its caption, its thumbnail and its import buttons."""
        box = QWidget()
        box.setObjectName(f"card_{side}_box")
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        thumb = QLabel(f"No {side} image")
        named(thumb, f"card_{side}_thumb", f"Card {side} image")
        thumb.setFixedSize(THUMB)
        thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        thumb.setStyleSheet(
            f"border: 1px dashed {palette.THUMBNAIL_BORDER}; background: {palette.THUMBNAIL}; color: {palette.THUMBNAIL_TEXT};"
        )
        caption = QLabel(f"<b>{side.capitalize()}</b>")
        caption.setObjectName(f"card_{side}_caption")
        grid.addWidget(caption, 0, 0, 1, 3)
        grid.addWidget(thumb, 1, 0, 1, 3)
        self.thumbs[side] = thumb
        for offset, (key, text, slot) in enumerate(
            (
                ("file", "File…", lambda _=False, s=side: self.import_from_file(s)),
                ("scan", "Scanner", lambda _=False, s=side: self.import_from_scanner(s)),
                ("remove", "Remove", lambda _=False, s=side: self.remove(s)),
            )
        ):
            button = named(QPushButton(text), f"card_{side}_{key}", f"{text} card {side}")
            button.setToolTip(
                {
                    "file": f"Import the card {side} from an image file",
                    "scan": f"Import the newest scan from the scanner folder as the {side}",
                    "remove": f"Remove the stored {side} image",
                }[key]  # fmt: skip
            )
            button.clicked.connect(slot)
            grid.addWidget(button, 2, offset)
            self.buttons[f"{side}_{key}"] = button
        return box

    # -- display
    def show_coverage(self, coverage: CoverageRow | None, patient_label: str = "") -> None:
        self.coverage = coverage
        self.patient_label = patient_label
        for side in SIDES:
            thumb = self.thumbs[side]
            image = self._image(side)
            if image is None or image.isNull():
                thumb.setPixmap(QPixmap())
                thumb.setText(f"No {side} image" if coverage else "")
            else:
                thumb.setPixmap(
                    QPixmap.fromImage(image).scaled(
                        THUMB - QSize(4, 4),
                        Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation,
                    )
                )
            has = bool(coverage and getattr(coverage, f"has_card_{side}"))
            for key in ("file", "scan"):
                self.buttons[f"{side}_{key}"].setEnabled(coverage is not None)
            self.buttons[f"{side}_remove"].setEnabled(has)
        self.view_button.setEnabled(
            bool(coverage and (coverage.has_card_front or coverage.has_card_back))
        )

    def _image(self, side: str) -> QImage | None:
        if self.coverage is None or not getattr(self.coverage, f"has_card_{side}"):
            return None
        stored = self.services.insurance.card_image(self.coverage.id, side)
        return load_image(stored.data) if stored else None

    def images(self) -> list[tuple[str, QImage]]:
        found = []
        for side in SIDES:
            image = self._image(side)
            if image is not None and not image.isNull():
                found.append((side.capitalize(), image))
        return found

    # -- actions
    def _stored(self, row: CoverageRow | None) -> None:
        if row is not None:
            self.coverage = row
            self.changed.emit()

    def import_from_file(self, side: str) -> None:
        if self.coverage is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, f"Card {side} image", "", IMAGE_FILTER)
        if path:
            self.import_path(side, Path(path), delete_after=False)

    def import_path(self, side: str, path: Path, *, delete_after: bool) -> None:
        coverage = self.coverage
        if coverage is None:
            return
        self._stored(
            common.guarded(
                self,
                lambda: self.services.insurance.import_card_file(
                    coverage.id, side, path, delete_after=delete_after
                ),
            )
        )

    def import_from_scanner(self, side: str) -> None:
        if self.coverage is None:
            return
        folder = self.scanner_folder
        if folder is None:
            dialogs.warn(self, "Scanner", "Choose the scanner folder first ('Scanner folder…').")
            return
        scan = common.guarded(self, lambda: self.services.insurance.newest_scan(folder))
        if scan is None:
            dialogs.info(self, "Scanner", "There is no scanned image in the scanner folder yet.")
            return
        if dialogs.confirm(
            self,
            "Import scan",
            f"Store the newest scan ({scan.name}) as the card {side}? The scan file is then "
            "deleted from the scanner folder so no patient data is left on disk.",
        ):
            self.import_path(side, scan, delete_after=True)

    def choose_scanner_folder(self) -> None:
        start = str(self.scanner_folder or "")
        folder = QFileDialog.getExistingDirectory(self, "Scanner folder", start)
        if folder:
            self.scanner_folder = Path(folder)
            QSettings().setValue(SCANNER_KEY, folder)

    def remove(self, side: str) -> None:
        coverage = self.coverage
        if coverage is None:
            return
        if dialogs.confirm(self, "Remove card image", f"Remove the stored card {side} image?"):
            self._stored(
                common.guarded(
                    self, lambda: self.services.insurance.clear_card_image(coverage.id, side)
                )
            )

    def view(self) -> None:
        if self.coverage is None:
            return
        images = self.images()
        if not images:
            dialogs.info(self, "Insurance card", "No card image is stored for this coverage.")
            return
        viewer = CardViewer(images, self.print_cards, f"Card — {self.coverage.payer}", self)
        common.show(viewer)

    def print_cards(self) -> bool:
        """Print both sides with the patient's two identifiers; True when printed."""
        coverage = self.coverage
        if coverage is None:
            return False
        images = self.images()
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        try:
            if not common.run_dialog(dialog):
                return False
        finally:  # the dialog points at ``printer``: never let it outlive it
            shiboken6.delete(dialog)
        header = [
            self.patient_label,
            f"{coverage.priority_label}: {coverage.payer} {coverage.plan}".strip(),
            f"Member ID {coverage.member_id}   Group {coverage.group_number or '—'}",
            f"Card copy printed {date_time_text(self.services.now())}",
        ]
        try:
            paint_cards(printer, header, images)
        except OSError as exc:
            dialogs.warn(self, "Print", str(exc))
            return False
        common.guarded(
            self,
            lambda: self.services.insurance.record_card_print(
                coverage.id, [label.lower() for label, _ in images]
            ),
        )
        return True
