"""Verification at the desk: what is on file, editable in place, and the "verified today" mark.

Each field saves on its own when the user leaves it (or presses Enter) and it
was changed: one service call, one audited transaction. A refused value keeps
what was typed and shows the reason under the field. Saves are made against the
version the panel loaded: when another workstation saved the patient meanwhile,
the conflict bar names who, when and where, compares, and re-applies.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ma_desk.display_format import date_text, time_text
from ma_desk.errors import MADeskError, StaleVersionError
from ma_desk.services import Services
from ma_desk.services.insurance import CoverageRow
from ma_desk.services.patients import SEXES, PatientRecord
from ma_desk.ui.checkin.fields import FieldGrid
from ma_desk.ui.common import palette
from ma_desk.ui.common.conflict import ConflictBar, differences
from ma_desk.ui.common.errors import field_errors
from ma_desk.ui.common.fit import fit_columns, wrapping
from ma_desk.ui.common.table_model import Column, RowTableModel
from ma_desk.ui.common.widgets import make_table, named

DEMOGRAPHICS: list[tuple[str, str]] = [
    ("last_name", "Last name"),
    ("first_name", "First name"),
    ("middle_name", "Middle name"),
    ("dob", "Date of birth"),
    ("sex", "Sex"),
    ("preferred_name", "Preferred name"),
    ("phone", "Phone"),
    ("email", "Email"),
    ("address1", "Address"),
    ("address2", "Address line 2"),
    ("city", "City"),
    ("state", "State"),
    ("zip", "ZIP"),
]
CONTACT: list[tuple[str, str]] = [
    ("emergency_name", "Emergency contact"),
    ("emergency_relation", "Relationship"),
    ("emergency_phone", "Emergency phone"),
    ("preferred_language", "Preferred language"),
]

COVERAGE_COLUMNS: list[Column[CoverageRow]] = [
    Column("", lambda c: c.priority_label),
    Column("Payer / plan", lambda c: f"{c.payer} {c.plan}".strip()),
    Column("Member ID", lambda c: c.member_id),
    Column("Group", lambda c: c.group_number),
    Column("Copay", lambda c: f"${c.default_copay_cents / 100:,.2f}", align_right=True),
    Column(
        "Last verified",
        lambda c: date_text(c.last_verified_at) if c.last_verified_at else "never",
    ),
]


def display_value(record: PatientRecord, name: str) -> str:
    value = getattr(record, name)
    if name == "dob":
        return date_text(value)
    if name == "sex":
        return str(value).capitalize()
    return "" if value is None else str(value)


class VerifyPanel(QWidget):
    """Shows one patient's details for the patient to confirm; ``verified`` after the mark."""

    verified = Signal(int)
    edited = Signal(int)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.patient_id: int | None = None
        self.record: PatientRecord | None = None  # as saved: the version edits are made against
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.conflict = ConflictBar("checkin_verify")
        self.conflict.reapply.connect(self.reapply_mine)
        layout.addWidget(self.conflict)

        mark = QHBoxLayout()
        self.verified_label = named(QLabel("Not verified today"), "checkin_verified_status",
                                    "Verification status")  # fmt: skip
        self.verified_label.setProperty("role", "verify-status")
        self.verify_button = named(
            QPushButton("&Confirmed with patient: mark verified"),
            "checkin_verify",
            "Mark details verified today",
        )
        self.verify_button.setAutoDefault(True)
        self.verify_button.setToolTip("Ask the patient to confirm every line below (Alt+C)")
        mark.addWidget(wrapping(self.verified_label), 1)
        mark.addWidget(self.verify_button)
        layout.addLayout(mark)

        details = QGroupBox("Demographics")  # a group title cannot wrap: the advice goes below
        box = QVBoxLayout(details)
        box.addWidget(wrapping(QLabel("Edit in place; each field is saved when you leave it.")))
        self.form = FieldGrid("verify", columns=4)
        for name, caption in DEMOGRAPHICS:
            if name == "sex":
                self.form.add_combo(name, caption, [s.capitalize() for s in SEXES])
                self.form.combo(name).activated.connect(lambda _i, n=name: self._save_field(n))
            else:
                self._add_editor(self.form, name, caption)
        box.addWidget(self.form)
        layout.addWidget(details)

        contact = QGroupBox("Emergency contact and language")
        contact_box = QVBoxLayout(contact)
        self.contact_form = FieldGrid("verify", columns=4)
        for name, caption in CONTACT:
            self._add_editor(self.contact_form, name, caption)
        contact_box.addWidget(self.contact_form)
        layout.addWidget(contact)

        insurance = QGroupBox("Insurance on file")
        ins_box = QVBoxLayout(insurance)
        self.insurance_flag = named(QLabel(""), "checkin_insurance_flag", "Insurance warning")
        self.insurance_flag.setProperty("role", "name-alert")
        self.insurance_flag.hide()
        ins_box.addWidget(self.insurance_flag)
        self.coverages: RowTableModel[CoverageRow] = RowTableModel(COVERAGE_COLUMNS, self)
        self.coverage_view = make_table("checkin_coverages", "Insurance coverages on file")
        self.coverage_view.setModel(self.coverages)
        fit_columns(self.coverage_view, stretch=("Payer / plan", "Member ID", "Last verified"),
                    hide_first=("Group", "Copay"))  # fmt: skip
        self.coverage_view.setMaximumHeight(96)
        self.coverage_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        ins_box.addWidget(self.coverage_view)
        self.no_coverage = QLabel("No insurance on file: self-pay unless the patient has a card.")
        self.no_coverage.setObjectName("checkin_no_coverage")
        self.no_coverage.hide()
        ins_box.addWidget(self.no_coverage)
        layout.addWidget(insurance)

        self.verify_button.clicked.connect(self.mark_verified)

    def _add_editor(self, form: FieldGrid, name: str, caption: str) -> None:
        editor = form.add_line(name, caption)
        editor.editingFinished.connect(lambda n=name, f=form: self._save_line(f, n))

    # ------------------------------------------------------------- loading
    def load(self, record: PatientRecord | None) -> None:
        self.patient_id = record.id if record else None
        self.record = record
        self.conflict.clear()
        for form, names in ((self.form, DEMOGRAPHICS), (self.contact_form, CONTACT)):
            form.clear_errors()
            for name, _caption in names:
                form.set_value(name, display_value(record, name) if record else "")
        self.setEnabled(record is not None)
        if record is None:
            self.verified_label.setText("")
            self.coverages.set_rows([])
            self.insurance_flag.hide()
            self.no_coverage.hide()
            return
        self.refresh_verification()
        self.refresh_insurance()

    def refresh_verification(self) -> None:
        if self.patient_id is None:
            return
        mark = self.services.patients.verification(self.patient_id)
        if mark.today and mark.at is not None:
            self.verified_label.setText(f"✔ Verified today {time_text(mark.at)} by {mark.by}")
        elif mark.at is not None:
            self.verified_label.setText(
                f"Not verified today (last {date_text(mark.at)} by {mark.by}): confirm details"
            )
        else:
            self.verified_label.setText("Never verified: confirm every detail with the patient")
        ok = mark.today
        self.verified_label.setStyleSheet(
            f"color: {palette.VERIFIED_TEXT}; font-weight: bold;"
            if ok
            else f"color: {palette.CAUTION_TEXT}; font-weight: bold;"
        )

    def refresh_insurance(self) -> None:
        if self.patient_id is None:
            return
        try:
            rows = self.services.insurance.coverages(self.patient_id)
            flag = self.services.insurance.verification_flags([self.patient_id]).get(
                self.patient_id, ""
            )
        except MADeskError as exc:
            rows, flag = [], str(exc)
        self.coverages.set_rows(rows)
        self.coverage_view.setVisible(bool(rows))
        self.no_coverage.setVisible(not rows)
        self.insurance_flag.setText(f"⚠ {flag}: check eligibility" if flag else "")
        self.insurance_flag.setVisible(bool(flag))

    @property
    def verified_today(self) -> bool:
        if self.patient_id is None:
            return False
        return self.services.patients.verification(self.patient_id).today

    # ------------------------------------------------------------- saving
    def _save_line(self, form: FieldGrid, name: str) -> None:
        editor = form.editors[name]
        if not isinstance(editor, QLineEdit) or not editor.isModified():
            return
        self._save_field(name, form)

    def _save_field(self, name: str, form: FieldGrid | None = None) -> bool:
        """Save one field; True when it was saved (or unchanged)."""
        form = form or self.form
        if self.patient_id is None:
            return False
        value = form.value(name)
        if name == "sex":
            value = value.lower()
        try:
            record = self.services.patients.update(
                self.patient_id, expected_version=self._version(), **{name: value}
            )
        except StaleVersionError as exc:
            form.show_error(name, "Not saved: changed on another workstation (see above).")
            self._show_conflict(exc)
            return False
        except MADeskError as exc:
            errors = field_errors(exc) or {name: str(exc)}
            form.show_error(name, errors.get(name, str(exc)))
            return False
        form.show_error(name, "")
        form.set_value(name, display_value(record, name))
        self.record = record
        self.edited.emit(record.id)
        return True

    def _version(self) -> int | None:
        return self.record.version if self.record else None

    # ------------------------------------------------------------- conflicts
    def _forms(self) -> list[tuple[FieldGrid, list[tuple[str, str]]]]:
        return [(self.form, DEMOGRAPHICS), (self.contact_form, CONTACT)]

    def typed_values(self) -> dict[str, str]:
        """What the form shows now, field by field."""
        return {name: form.value(name) for form, names in self._forms() for name, _ in names}

    def _mine(self) -> dict[str, str]:
        """The fields the user changed from the version the panel loaded."""
        loaded = self.record
        return {
            name: value
            for name, value in self.typed_values().items()
            if loaded is None or value != display_value(loaded, name)
        }

    def _show_conflict(self, error: StaleVersionError) -> None:
        current = error.current
        if not isinstance(current, PatientRecord):
            self.conflict.show_conflict(error, [])
            return
        captions = {name: caption for _, names in self._forms() for name, caption in names}
        saved = {name: display_value(current, name) for name in captions}
        self.conflict.show_conflict(error, differences(captions, saved, self.typed_values()))

    def reapply_mine(self) -> None:
        """Take the saved version, keep what the user typed where it differs, save that again."""
        error = self.conflict.error
        if error is None or not isinstance(error.current, PatientRecord):
            return
        mine = self._mine()
        current: PatientRecord = error.current
        self.record = current
        self.conflict.clear()
        for form, names in self._forms():
            form.clear_errors()
            for name, _ in names:
                form.set_value(name, mine.get(name, display_value(current, name)))
        pending = [
            (form, name)
            for form, names in self._forms()
            for name, _ in names
            if name in mine and mine[name] != display_value(current, name)
        ]
        for form, name in pending:
            if not self._save_field(name, form):
                return

    def save_pending(self) -> bool:
        """Save any field still being edited; False if one was refused."""
        ok = True
        for form in (self.form, self.contact_form):
            for name, editor in form.editors.items():
                if isinstance(editor, QLineEdit) and editor.isModified():
                    ok = self._save_field(name, form) and ok
        return ok

    def mark_verified(self) -> None:
        if self.patient_id is None:
            return
        if not self.save_pending():
            return
        try:
            self.record = self.services.patients.mark_verified(
                self.patient_id, expected_version=self._version()
            )
        except StaleVersionError as exc:
            self._show_conflict(exc)
            return
        except MADeskError as exc:
            self.verified_label.setText(str(exc))
            return
        self.refresh_verification()
        self.verified.emit(self.patient_id)
