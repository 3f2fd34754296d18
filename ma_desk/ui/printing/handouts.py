"""Choosing handouts for a visit, and the administrators' handout library editor."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ma_desk.display_format import time_text
from ma_desk.errors import MADeskError
from ma_desk.services import Services
from ma_desk.services.handouts import LANGUAGES, HandoutRow, language_code
from ma_desk.ui.common import palette
from ma_desk.ui.common.dialogs import dialogs
from ma_desk.ui.common.errors import FieldMessage, field_errors
from ma_desk.ui.common.note_keys import ctrl_enter_saves
from ma_desk.ui.common.table_model import Column, RowTableModel
from ma_desk.ui.common.widgets import make_table, named
from ma_desk.ui.printing import preview

BOTH = "both"


def _title_column_stretches(table) -> None:
    header = table.horizontalHeader()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column in range(1, table.model().columnCount()):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)


class HandoutPickerDialog(QDialog):
    """Pick one or more handouts; preview them personalised; Print/Save records them as given."""

    def __init__(self, services: Services, visit_id: int, patient_name: str,
                 preferred_language: str, parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.services = services
        self.visit_id = visit_id
        self.setObjectName("handout_picker")
        self.setWindowTitle(f"Handouts for {patient_name}")
        self.resize(620, 480)
        self.language = named(QComboBox(), "handout_language", "Handout language")
        for code, label in LANGUAGES.items():
            self.language.addItem(label, code)
        self.language.addItem("English and Spanish", BOTH)
        preferred = language_code(preferred_language)
        self.language.setCurrentIndex(max(0, self.language.findData(preferred)))
        self.model: RowTableModel[tuple[str, dict[str, HandoutRow]]] = RowTableModel([
            Column("Handout", lambda r: r[0]),
            Column("Languages", lambda r: ", ".join(LANGUAGES.get(k, k) for k in sorted(r[1]))),
        ])  # fmt: skip
        self.table = make_table("handout_table", "Handouts")
        self.table.setModel(self.model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        _title_column_stretches(self.table)
        self.table.doubleClicked.connect(lambda _i: self.preview_selected())
        self.message = FieldMessage("handout", self)
        self.given = QLabel()
        self.given.setObjectName("handouts_given")
        self.given.setWordWrap(True)
        self.preview_button = named(QPushButton("&Preview…"), "handout_preview", "Preview handouts")
        self.preview_button.setDefault(True)
        self.preview_button.clicked.connect(self.preview_selected)
        close = named(QPushButton("Close"), "handout_close", "Close")
        close.clicked.connect(self.reject)

        form = QFormLayout()
        form.addRow("&Language", self.language)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.preview_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.given)
        layout.addLayout(buttons)
        self.reload()

    def selected_slugs(self) -> list[str]:
        rows = self.model.rows()
        return [next(iter(rows[i.row()][1].values())).slug
                for i in self.table.selectionModel().selectedRows()]  # fmt: skip

    def reload(self) -> None:
        keep = self.selected_slugs()
        topics: dict[str, dict[str, HandoutRow]] = {}
        for row in self.services.handouts.list():
            topics.setdefault(row.slug, {})[row.language] = row
        rows = []
        for versions in topics.values():
            title = (versions.get("en") or next(iter(versions.values()))).title
            rows.append((title, versions))
        self.model.set_rows(sorted(rows, key=lambda r: r[0].casefold()))
        if keep:
            self.select_slugs(keep)
        given = self.services.handouts.given_on_visit(self.visit_id)
        self.given.setText(
            "Already given on this visit: " + "; ".join(f"{t} ({time_text(at)})" for at, t in given)
            if given else "No handouts given on this visit yet."
        )  # fmt: skip
        if not rows:
            self.message.show_message("The handout library is empty: an administrator can "
                                      "load the shipped handouts in Print > Handout library.")  # fmt: skip

    def select_slugs(self, slugs: list[str]) -> None:
        selection = self.table.selectionModel()
        selection.clearSelection()
        for i, (_title, versions) in enumerate(self.model.rows()):
            if any(v.slug in slugs for v in versions.values()):
                selection.select(self.model.index(i, 0), QItemSelectionModel.SelectionFlag.Select
                                 | QItemSelectionModel.SelectionFlag.Rows)  # fmt: skip

    def chosen_ids(self) -> list[int]:
        language = self.language.currentData()
        wanted = ["en", "es"] if language == BOTH else [language]
        ids: list[int] = []
        for index in sorted(self.table.selectionModel().selectedRows(), key=lambda i: i.row()):
            _title, versions = self.model.rows()[index.row()]
            found = [versions[code].id for code in wanted if code in versions]
            ids.extend(found or [next(iter(versions.values())).id])
        return ids

    def preview_selected(self) -> None:
        ids = self.chosen_ids()
        if not ids:
            self.message.show_message("Choose at least one handout.")
            return
        self.message.show_message("")
        try:
            pdf = self.services.handouts.pdf_for_visit(self.visit_id, ids)
        except MADeskError as error:
            self.message.show_message(str(error))
            return

        def record(_kind: str) -> None:
            self.services.handouts.record_given(self.visit_id, ids)
            self.reload()

        preview.show_pdf(self, pdf, title="Patient handout", suggested_name="handout.pdf",
                         on_output=record)  # fmt: skip


class HandoutAdminDialog(QDialog):
    """Administrators add, edit and retire handouts (light markup), with a live PDF preview."""

    HELP = ("Markup: ## Heading, ### Smaller heading, - bullet, 1. numbered step, "
            "!! important box, **bold**. A blank line starts a new paragraph.")  # fmt: skip

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.current_id: int | None = None
        self.setObjectName("handout_admin")
        self.setWindowTitle("Handout library")
        self.resize(1100, 720)

        self.model: RowTableModel[HandoutRow] = RowTableModel([
            Column("Title", lambda r: r.title),
            Column("Language", lambda r: r.language_label),
            Column("Status", lambda r: "Active" if r.active else "Retired",
                   foreground=lambda r: None if r.active else palette.MUTED_TEXT),
        ])  # fmt: skip
        self.table = make_table("handout_library_table", "Handout library")
        self.table.setModel(self.model)
        _title_column_stretches(self.table)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _p: self._load(cur.row()))

        self.slug = named(QLineEdit(), "handout_slug", "Short name")
        self.language = named(QComboBox(), "handout_edit_language", "Language")
        for code, label in LANGUAGES.items():
            self.language.addItem(label, code)
        self.title = named(QLineEdit(), "handout_title", "Title")
        self.body = named(QPlainTextEdit(), "handout_body", "Handout text")
        self.body.setTabChangesFocus(True)
        ctrl_enter_saves(self.body, self.save, "Save the handout")
        self.active = named(QCheckBox("Active (offered for printing)"), "handout_active", "Active")
        self.active.setChecked(True)
        self.messages = {name: FieldMessage(f"handout_{name}", self)
                         for name in ("slug", "language", "title", "body")}  # fmt: skip
        self.status = QLabel()
        self.status.setObjectName("handout_admin_status")

        new = named(QPushButton("&New"), "handout_new", "New handout")
        new.clicked.connect(self.new_handout)
        self.save_button = named(QPushButton("&Save"), "handout_save", "Save handout")
        self.save_button.clicked.connect(self.save)
        preview_button = named(QPushButton("Pre&view…"), "handout_admin_preview", "Preview")
        preview_button.clicked.connect(self.preview)
        shipped = named(QPushButton("Load shipped handouts"), "handout_install", "Load shipped")
        shipped.clicked.connect(self.install_shipped)
        close = named(QPushButton("Close"), "handout_admin_close", "Close")
        close.clicked.connect(self.accept)

        editor = QWidget()
        form = QFormLayout(editor)
        form.addRow("Short &name", self.slug)
        form.addRow("", self.messages["slug"])
        form.addRow("&Language", self.language)
        form.addRow("", self.messages["language"])
        form.addRow("&Title", self.title)
        form.addRow("", self.messages["title"])
        form.addRow("Te&xt", self.body)
        form.addRow("", self.messages["body"])
        help_label = QLabel(self.HELP)
        help_label.setWordWrap(True)
        help_label.setObjectName("handout_markup_help")
        form.addRow("", help_label)
        form.addRow("", self.active)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_buttons = QHBoxLayout()
        left_buttons.addWidget(new)
        left_buttons.addWidget(shipped)
        left_layout.addLayout(left_buttons)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(editor)
        splitter.setSizes([380, 720])
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(preview_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        self.reload()
        if self.model.rowCount():
            self.table.selectRow(0)

    def reload(self, select_id: int | None = None) -> None:
        rows = self.services.handouts.list(include_inactive=True)
        self.model.set_rows(rows)
        if select_id is not None:
            for i, row in enumerate(rows):
                if row.id == select_id:
                    self.table.selectRow(i)

    def _load(self, row_index: int) -> None:
        row = self.model.row_at(row_index)
        if row is None:
            return
        self.current_id = row.id
        self.slug.setText(row.slug)
        self.language.setCurrentIndex(max(0, self.language.findData(row.language)))
        self.title.setText(row.title)
        self.body.setPlainText(row.body)
        self.active.setChecked(row.active)
        self._clear_messages()

    def new_handout(self) -> None:
        self.table.clearSelection()
        self.current_id = None
        for widget in (self.slug, self.title):
            widget.clear()
        self.body.clear()
        self.active.setChecked(True)
        self._clear_messages()
        self.status.setText("New handout: fill in the fields and Save.")
        self.slug.setFocus()

    def _clear_messages(self) -> None:
        for message in self.messages.values():
            message.show_message("")

    def save(self) -> HandoutRow | None:
        self._clear_messages()
        try:
            row = self.services.handouts.save(
                self.current_id, slug=self.slug.text(), language=self.language.currentData(),
                title=self.title.text(), body=self.body.toPlainText(),
                active=self.active.isChecked(),
            )  # fmt: skip
        except MADeskError as error:
            shown = False
            for name, text in field_errors(error).items():
                if name in self.messages:
                    self.messages[name].show_message(text)
                    shown = True
            if not shown:
                dialogs.warn(self, "Handout library", str(error))
            self.status.setText("Not saved.")
            return None
        self.current_id = row.id
        self.reload(select_id=row.id)
        self.status.setText(f"Saved “{row.title}”.")
        return row

    def preview(self) -> None:
        try:
            pdf = self.services.handouts.preview(title=self.title.text(),
                                                 body=self.body.toPlainText(),
                                                 language=self.language.currentData())  # fmt: skip
        except MADeskError as error:
            dialogs.warn(self, "Handout library", str(error))
            return
        preview.show_pdf(self, pdf, title="Handout preview", suggested_name="handout.pdf")

    def install_shipped(self) -> None:
        try:
            added = self.services.handouts.install_shipped()
        except MADeskError as error:
            dialogs.warn(self, "Handout library", str(error))
            return
        self.reload()
        self.status.setText(f"{added} shipped handout(s) added." if added
                            else "The library already has every shipped handout.")  # fmt: skip
