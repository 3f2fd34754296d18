"""Registering a new patient at the desk, with the duplicate check before saving.

When the service finds patients who may be the same person, the panel lists
them and the user must choose: use the existing patient, or create anyway.
Both choices are recorded in the audit trail by the service.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ma_desk.display_format import date_text, typed_date_text
from ma_desk.errors import MADeskError, NeedsConfirmation, ValidationError
from ma_desk.services import Services
from ma_desk.services.patients import SEXES, DuplicateCandidate, PatientInput, parse_query
from ma_desk.ui.checkin.fields import FieldGrid
from ma_desk.ui.common.errors import field_errors
from ma_desk.ui.common.fit import FlowLayout, fit_columns, scrolling, wrapping
from ma_desk.ui.common.shortcuts import add_shortcut
from ma_desk.ui.common.table_model import Column, RowTableModel
from ma_desk.ui.common.widgets import make_table, named

FIELDS: list[tuple[str, str, str]] = [
    ("last_name", "&Last name *", ""),
    ("first_name", "&First name *", ""),
    ("middle_name", "Middle name", ""),
    ("dob", "&Date of birth *", "MM/DD/YYYY"),
    ("sex", "Sex", ""),
    ("preferred_name", "Preferred name", ""),
    ("phone", "&Phone", "(555) 201-4477"),
    ("email", "Email", "name@example.com"),
    ("preferred_language", "Language", "English"),
    ("address1", "Address", ""),
    ("address2", "Address line 2", ""),
    ("city", "City", ""),
    ("state", "State", "OR"),
    ("zip", "ZIP", "97201"),
    ("emergency_name", "Emergency contact", ""),
    ("emergency_relation", "Relationship", "Spouse, parent..."),
    ("emergency_phone", "Emergency phone", ""),
]

CANDIDATE_COLUMNS: list[Column[DuplicateCandidate]] = [
    Column("Patient", lambda c: c.full_name),
    Column("DOB", lambda c: date_text(c.dob)),
    Column("MRN", lambda c: c.mrn),
    Column("Phone", lambda c: c.phone),
    Column("Why", lambda c: c.reason),
]


class RegistrationPanel(QWidget):
    """Emits ``patient_chosen(id)`` with the new or the existing patient, or ``cancelled``."""

    patient_chosen = Signal(int)
    cancelled = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setObjectName("checkin_registration")
        body = QWidget()  # scrolls on short screens instead of making the window taller
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scrolling(body, "reg_scroll"))
        layout = QVBoxLayout(body)
        title = QLabel("Register a new patient")
        title.setProperty("role", "panel-title")
        layout.addWidget(title)
        hint = wrapping(
            QLabel("Fields marked * are required. Enter saves; Esc goes back to the search.")
        )
        hint.setProperty("role", "hint")
        layout.addWidget(hint)
        self.form = FieldGrid("reg", columns=2)  # two columns fit beside the search at 1024 px
        for name, caption, placeholder in FIELDS:
            if name == "sex":
                self.form.add_combo(name, caption, [s.capitalize() for s in SEXES])
                self.form.combo(name).setCurrentIndex(SEXES.index("unknown"))
            else:
                editor = self.form.add_line(name, caption, placeholder)
                editor.returnPressed.connect(self.save)
        self.form.set_value("preferred_language", "English")
        layout.addWidget(self.form)
        self.form_message = QLabel("")
        self.form_message.setObjectName("reg_message")
        self.form_message.setProperty("role", "field-error")
        self.form_message.setWordWrap(True)
        layout.addWidget(self.form_message)
        buttons = FlowLayout()
        self.save_button = named(QPushButton("&Save patient"), "reg_save", "Save patient")
        self.save_button.setProperty("role", "primary")
        self.save_button.setAutoDefault(True)
        self.cancel_button = named(QPushButton("Cancel (Esc)"), "reg_cancel", "Cancel registration")
        self.cancel_button.setAutoDefault(True)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)

        self.duplicates_box = QFrame()
        self.duplicates_box.setObjectName("reg_duplicates")
        self.duplicates_box.setProperty("role", "duplicates")
        dup_layout = QVBoxLayout(self.duplicates_box)
        self.duplicates_label = QLabel("")
        self.duplicates_label.setObjectName("reg_duplicates_label")
        self.duplicates_label.setWordWrap(True)
        self.duplicates_label.setProperty("role", "name-alert")
        dup_layout.addWidget(self.duplicates_label)
        self.candidates: RowTableModel[DuplicateCandidate] = RowTableModel(CANDIDATE_COLUMNS, self)
        self.candidate_view = make_table("reg_candidates", "Possible duplicate patients")
        self.candidate_view.setModel(self.candidates)
        fit_columns(self.candidate_view, stretch=("Patient", "Why"))
        self.candidate_view.setMinimumHeight(110)
        dup_layout.addWidget(self.candidate_view)
        dup_buttons = FlowLayout()
        self.use_existing_button = named(
            QPushButton("&Use existing patient"), "reg_use_existing", "Use existing patient"
        )
        self.use_existing_button.setAutoDefault(True)
        self.create_anyway_button = named(
            QPushButton("Create new anyway (Alt+A)"),
            "reg_create_anyway",
            "Create new patient anyway",
        )
        self.create_anyway_button.setAutoDefault(True)
        dup_buttons.addWidget(self.use_existing_button)
        dup_buttons.addWidget(self.create_anyway_button)
        dup_layout.addLayout(dup_buttons)
        self.duplicates_box.hide()
        layout.addWidget(self.duplicates_box)
        layout.addStretch(1)

        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.cancelled.emit)
        self.use_existing_button.clicked.connect(self.use_existing)
        self.create_anyway_button.clicked.connect(self.create_anyway)
        self.candidate_view.activated.connect(lambda _index: self.use_existing())
        add_shortcut(self, "Alt+A", self._create_anyway_if_asked,
                     "Registration: create the new patient although a possible duplicate exists")  # fmt: skip
        add_shortcut(self, Qt.Key.Key_Escape, self.cancelled.emit, "Registration: cancel")

    # ------------------------------------------------------------- filling
    def start(self, typed: str = "") -> None:
        """A blank form, pre-filled from what was typed in the search box."""
        for name, _caption, _placeholder in FIELDS:
            if name == "sex":
                self.form.combo(name).setCurrentIndex(SEXES.index("unknown"))
            else:
                self.form.set_value(name, "")
        self.form.set_value("preferred_language", "English")
        self.form.clear_errors()
        self.form_message.setText("")
        self._hide_duplicates()
        query = parse_query(typed)
        typed = " ".join(typed.split())
        if query.kind == "dob" and query.dob is not None:
            self.form.set_value("dob", typed_date_text(query.dob))
        elif query.kind == "phone":
            self.form.set_value("phone", typed)
        elif "," in typed:
            last, _, first = typed.partition(",")
            self.form.set_value("last_name", last.strip().title())
            self.form.set_value("first_name", first.strip().title())
        elif query.kind == "name" and typed:
            parts = typed.split()
            if len(parts) == 1:
                self.form.set_value("last_name", parts[0].title())
            else:
                self.form.set_value("first_name", parts[0].title())
                self.form.set_value("last_name", " ".join(parts[1:]).title())
        first_empty = next(
            (n for n in ("last_name", "first_name", "dob") if not self.form.value(n).strip()),
            "phone",
        )
        self.form.editors[first_empty].setFocus()

    def collected(self) -> PatientInput:
        values = {name: self.form.value(name) for name, _c, _p in FIELDS}
        values["sex"] = values["sex"].lower()
        return PatientInput(**values)

    # ------------------------------------------------------------- saving
    def save(self) -> None:
        self._register(override=False)

    def create_anyway(self) -> None:
        self._register(override=True)

    def _create_anyway_if_asked(self) -> None:
        if self.showing_duplicates:
            self.create_anyway()

    def _register(self, *, override: bool) -> None:
        self.form.clear_errors()
        self.form_message.setText("")
        try:
            record = self.services.patients.register(self.collected(), duplicate_override=override)
        except NeedsConfirmation as exc:
            self._show_duplicates(exc)
            return
        except ValidationError as exc:
            self._hide_duplicates()
            first = self.form.show_errors(field_errors(exc))
            if first is None:
                self.form_message.setText(str(exc))
            else:
                self.form.editors[first].setFocus()
            return
        except MADeskError as exc:
            self.form_message.setText(str(exc))
            return
        self._hide_duplicates()
        self.patient_chosen.emit(record.id)

    def use_existing(self) -> None:
        rows = self.candidates.rows()
        if not rows:
            return
        current = self.candidate_view.currentIndex()
        chosen = self.candidates.row_at(current.row()) if current.isValid() else rows[0]
        if chosen is None:
            chosen = rows[0]
        try:
            self.services.patients.use_existing(chosen.id, [c.id for c in rows])
        except MADeskError as exc:
            self.form_message.setText(str(exc))
            return
        self._hide_duplicates()
        self.patient_chosen.emit(chosen.id)

    def _show_duplicates(self, exc: NeedsConfirmation) -> None:
        candidates = [c for c in exc.candidates if isinstance(c, DuplicateCandidate)]
        count = len(candidates)
        self.duplicates_label.setText(
            f"Possible duplicate: {count} patient{'s' if count != 1 else ''} on file may be this "
            "person. Check name, DOB and phone with the patient, then use the existing record "
            "(Enter) or create a new one anyway (Alt+A)."
        )
        self.candidates.set_rows(candidates)
        self.duplicates_box.show()
        self.candidate_view.setFocus()
        self.candidate_view.setCurrentIndex(self.candidates.index(0, 0))

    def _hide_duplicates(self) -> None:
        self.candidates.set_rows([])
        self.duplicates_box.hide()

    @property
    def showing_duplicates(self) -> bool:
        return not self.duplicates_box.isHidden()
