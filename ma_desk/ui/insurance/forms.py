"""The small insurance forms: verify eligibility, end-date, notes, prior authorisations."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialogButtonBox, QLineEdit, QPlainTextEdit, QWidget

from ma_desk.display_format import date_text, typed_date_text
from ma_desk.services import Services
from ma_desk.services.insurance import CoverageRow, EligibilityRow, NoteRow, PriorAuthRow
from ma_desk.services.insurance_rules import AUTH_STATUSES, METHODS, RESULTS, PriorAuthInput
from ma_desk.ui.insurance.common import ServiceFormDialog


def _combo(options: dict[str, str]) -> QComboBox:
    box = QComboBox()
    for value, label in options.items():
        box.addItem(label, value)
    return box


def _note_edit(text: str = "") -> QPlainTextEdit:
    edit = QPlainTextEdit(text)
    edit.setTabChangesFocus(True)
    edit.setMinimumHeight(90)
    return edit


class VerifyDialog(ServiceFormDialog):
    """Log one eligibility check of a coverage, made now by the signed-in user."""

    def __init__(self, services: Services, coverage: CoverageRow, parent: QWidget | None = None):
        super().__init__(f"Verify eligibility — {coverage.payer}", "verify_dialog", parent)
        self.services = services
        self.coverage = coverage
        self.method = self.add_field("method", "Method", _combo(METHODS))
        self.result_box = self.add_field("result", "Result", _combo(RESULTS))
        self.reference = self.add_field(
            "reference", "Reference number", QLineEdit(), "call or portal reference"
        )
        self.notes = self.add_field("notes", "Notes", _note_edit())
        self.method.setFocus()

    def submit(self) -> EligibilityRow:
        return self.services.insurance.verify(
            self.coverage.id,
            method=str(self.method.currentData()),
            result=str(self.result_box.currentData()),
            reference=self.reference.text(),
            notes=self.notes.toPlainText(),
        )


class EndDateDialog(ServiceFormDialog):
    def __init__(self, services: Services, coverage: CoverageRow, parent: QWidget | None = None):
        super().__init__(f"End-date coverage — {coverage.payer}", "end_date_dialog", parent)
        self.services = services
        self.coverage = coverage
        today = services.now().date()
        self.end_date = self.add_field(
            "end_date", "Last day covered", QLineEdit(date_text(coverage.end_date or today)),
            "MM/DD/YYYY",
        )  # fmt: skip
        self.end_date.selectAll()

    def submit(self) -> list[CoverageRow]:
        return self.services.insurance.end_coverage(
            self.coverage.id, self.end_date.text(), expected_version=self.coverage.version
        )


class RemoveCoverageDialog(ServiceFormDialog):
    """For a coverage entered in error; a real coverage that stopped is end-dated instead."""

    def __init__(self, services: Services, coverage: CoverageRow, parent: QWidget | None = None):
        super().__init__(f"Remove coverage entered in error — {coverage.payer}",
                         "remove_coverage_dialog", parent)  # fmt: skip
        self.services = services
        self.coverage = coverage
        self.reason = self.add_field("reason", "Why it was wrong", _note_edit())
        # Removing is destructive: Enter and Esc both keep the coverage.
        self.save_button.setText("&Remove coverage")
        self.save_button.setAutoDefault(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)

    def submit(self) -> None:
        self.services.insurance.remove_coverage(
            self.coverage.id, self.reason.toPlainText(), expected_version=self.coverage.version
        )
        return None


class NoteDialog(ServiceFormDialog):
    """A new note, or a correction that supersedes ``note`` (the old text stays in history)."""

    def __init__(
        self,
        services: Services,
        patient_id: int,
        coverages: list[CoverageRow],
        note: NoteRow | None = None,
        *,
        coverage_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        title = "Correct insurance note" if note else "Add insurance note"
        super().__init__(title, "note_dialog", parent)
        self.services = services
        self.patient_id = patient_id
        self.note = note
        self.about = QComboBox()
        self.about.addItem("Patient (all coverages)", None)
        for c in coverages:
            self.about.addItem(f"{c.priority_label}: {c.payer}", c.id)
        self.add_field("coverage", "About", self.about)
        wanted = note.coverage_id if note else coverage_id
        self.about.setCurrentIndex(max(0, self.about.findData(wanted)))
        self.text = self.add_field("text", "Note", _note_edit(note.text if note else ""))
        if note is not None:
            self.about.setEnabled(False)
        self.text.setFocus()

    def submit(self) -> NoteRow:
        if self.note is not None:
            return self.services.insurance.edit_note(
                self.note.id, self.text.toPlainText(), expected_version=self.note.version
            )
        return self.services.insurance.add_note(
            self.patient_id, self.text.toPlainText(), coverage_id=self.about.currentData()
        )


class PriorAuthDialog(ServiceFormDialog):
    def __init__(
        self,
        services: Services,
        patient_id: int,
        coverages: list[CoverageRow],
        auth: PriorAuthRow | None = None,
        parent: QWidget | None = None,
    ) -> None:
        title = "Edit prior authorization" if auth else "Add prior authorization"
        super().__init__(title, "auth_dialog", parent)
        self.services = services
        self.patient_id = patient_id
        self.auth = auth
        self.coverage = QComboBox()
        self.coverage.addItem("(not linked to a coverage)", None)
        for c in coverages:
            self.coverage.addItem(f"{c.priority_label}: {c.payer}", c.id)
        self.add_field("coverage_id", "Coverage", self.coverage)
        self.service_name = self.add_field("service", "Service", QLineEdit(), "e.g. MRI lumbar")
        self.payer = self.add_field("payer", "Payer", QLineEdit(), "blank: the coverage's payer")
        self.auth_number = self.add_field("auth_number", "Auth number", QLineEdit())
        self.units_approved = self.add_field("units_approved", "Approved units", QLineEdit("1"))
        self.units_used = self.add_field("units_used", "Units used", QLineEdit("0"))
        self.start_date = self.add_field("start_date", "Start date", QLineEdit(), "MM/DD/YYYY")
        self.end_date = self.add_field("end_date", "End date", QLineEdit(), "MM/DD/YYYY")
        self.status = self.add_field("status", "Status", _combo(AUTH_STATUSES))
        self.status.setCurrentIndex(self.status.findData("approved"))
        if coverages and auth is None:
            self.coverage.setCurrentIndex(1)
        if auth is not None:
            self.coverage.setCurrentIndex(max(0, self.coverage.findData(auth.coverage_id)))
            self.service_name.setText(auth.service)
            self.payer.setText(auth.payer)
            self.auth_number.setText(auth.auth_number)
            self.units_approved.setText(str(auth.units_approved))
            self.units_used.setText(str(auth.units_used))
            self.start_date.setText(typed_date_text(auth.start_date))
            self.end_date.setText(typed_date_text(auth.end_date))
            self.status.setCurrentIndex(self.status.findData(auth.status))
        self.service_name.setFocus()

    def submit(self) -> PriorAuthRow:
        data = PriorAuthInput(
            service=self.service_name.text(),
            auth_number=self.auth_number.text(),
            start_date=self.start_date.text(),
            end_date=self.end_date.text(),
            units_approved=self.units_approved.text(),
            units_used=self.units_used.text(),
            status=str(self.status.currentData()),
            payer=self.payer.text(),
            coverage_id=self.coverage.currentData(),
        )
        if self.auth is None:
            return self.services.insurance.add_prior_auth(self.patient_id, data)
        return self.services.insurance.update_prior_auth(
            self.auth.id, data, expected_version=self.auth.version
        )
