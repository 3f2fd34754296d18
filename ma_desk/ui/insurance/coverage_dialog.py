"""Adding or correcting one coverage: payer, IDs, subscriber, dates, copays and notes.

A correction is saved against the version the dialog opened: when another
workstation saved the coverage meanwhile, the conflict bar names who, when and
where, compares, and re-applies the user's changes on the saved version.
"""

from __future__ import annotations

import re

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from ma_desk.display_format import typed_date_text
from ma_desk.errors import MADeskError, StaleVersionError
from ma_desk.services import Services
from ma_desk.services.insurance import CoverageRow
from ma_desk.services.insurance_rules import (
    PRIORITY_LABELS,
    RELATIONSHIPS,
    CoverageInput,
    format_money,
    normalise_member_id,
)
from ma_desk.ui.common.conflict import ConflictBar, differences
from ma_desk.ui.insurance.common import ServiceFormDialog


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _money_text(cents: int | None) -> str:
    return "" if cents is None else format_money(cents).replace("$", "").replace(",", "")


class CoverageDialog(ServiceFormDialog):
    """Save goes straight to the service; the dialog closes only when the coverage is stored."""

    def __init__(
        self,
        services: Services,
        patient_id: int,
        coverage: CoverageRow | None = None,
        *,
        next_priority: int = 1,
        parent: QWidget | None = None,
    ) -> None:
        title = "Edit coverage" if coverage else "Add coverage"
        super().__init__(title, "coverage_dialog", parent)
        self.services = services
        self.patient_id = patient_id
        self.coverage = coverage
        self.conflict = ConflictBar("coverage_dialog")
        self.conflict.reapply.connect(self.reapply_mine)
        self.layout().insertWidget(0, self.conflict)
        self._used_keys.update(ConflictBar.MNEMONICS)
        self.priority = QComboBox()
        for value, label in PRIORITY_LABELS.items():
            self.priority.addItem(label, value)
        self.add_field("priority", "Order", self.priority)
        self.payer = self.add_field("payer", "Payer", QLineEdit(), "e.g. Demo Blue Shield")
        self.plan = self.add_field("plan", "Plan", QLineEdit(), "e.g. PPO Gold")
        self.member_id = self.add_field(
            "member_id", "Member ID", QLineEdit(), "as on the card; spaces and dashes are removed"
        )
        self.member_id.editingFinished.connect(self._show_cleaned_member_id)
        self.group_number = self.add_field("group_number", "Group number", QLineEdit())
        self.relationship = QComboBox()
        for value, label in RELATIONSHIPS.items():
            self.relationship.addItem(label, value)
        self.add_field("subscriber_relationship", "Subscriber is", self.relationship)
        self.subscriber_name = self.add_field(
            "subscriber_name", "Subscriber name", QLineEdit(), "as on the card"
        )
        self.subscriber_dob = self.add_field(
            "subscriber_dob", "Subscriber DOB", QLineEdit(), "MM/DD/YYYY"
        )
        self.effective_date = self.add_field(
            "effective_date", "Effective date", QLineEdit(), "MM/DD/YYYY"
        )
        self.end_date = self.add_field("end_date", "End date", QLineEdit(), "blank if open-ended")
        self.default_copay = self.add_field(
            "default_copay", "Copay (default)", QLineEdit(), "dollars, e.g. 25"
        )
        self.copay_inputs: dict[str, QLineEdit] = {}
        for visit_type in services.schedule.appointment_types():
            widget = QLineEdit()
            self.add_field(
                f"copay_{_slug(visit_type.name)}", f"Copay: {visit_type.name}", widget,
                "same as default", key=f"copay:{visit_type.name}",
            )  # fmt: skip
            self.copay_inputs[visit_type.name] = widget
        self.deductible_note = self.add_field(
            "deductible_note", "Deductible", QLineEdit(), "e.g. $1,500; $300 met"
        )
        self.coinsurance_note = self.add_field(
            "coinsurance_note", "Coinsurance", QLineEdit(), "e.g. 20% after deductible"
        )
        self.relationship.currentIndexChanged.connect(self._subscriber_enabled)
        if coverage is not None:
            self._load(coverage)
        else:
            self.priority.setCurrentIndex(max(0, min(next_priority, 3) - 1))
        self._subscriber_enabled()
        self.payer.setFocus()

    def _load(self, c: CoverageRow) -> None:
        self.priority.setCurrentIndex(self.priority.findData(c.priority))
        self.priority.setEnabled(False)
        self.priority.setToolTip("Change the order with Move up / Move down.")
        self.payer.setText(c.payer)
        self.plan.setText(c.plan)
        self.member_id.setText(c.member_id)
        self.group_number.setText(c.group_number)
        self.relationship.setCurrentIndex(self.relationship.findData(c.subscriber_relationship))
        self.subscriber_name.setText(c.subscriber_name)
        self.subscriber_dob.setText(typed_date_text(c.subscriber_dob))
        self.effective_date.setText(typed_date_text(c.effective_date))
        self.end_date.setText(typed_date_text(c.end_date))
        self.default_copay.setText(_money_text(c.default_copay_cents))
        for visit_type, cents in c.copays_cents.items():
            if visit_type in self.copay_inputs:
                self.copay_inputs[visit_type].setText(_money_text(cents))

    def _subscriber_enabled(self) -> None:
        other = self.relationship.currentData() != "self"
        self.subscriber_name.setEnabled(other)
        self.subscriber_dob.setEnabled(other)

    def _show_cleaned_member_id(self) -> None:
        """Leaving the field shows the ID as it will be stored ('XYZ 123-45' -> 'XYZ12345')."""
        cleaned = normalise_member_id(self.member_id.text())
        if cleaned != self.member_id.text():
            self.member_id.setText(cleaned)

    def collect(self) -> CoverageInput:
        copays: dict[str, int | str] = {
            name: widget.text() for name, widget in self.copay_inputs.items() if widget.text()
        }
        if self.coverage is not None:  # keep copays for visit types no longer offered
            for name, cents in self.coverage.copays_cents.items():
                if name not in self.copay_inputs:
                    copays.setdefault(name, cents)
        return CoverageInput(
            payer=self.payer.text(),
            member_id=self.member_id.text(),
            priority=int(self.priority.currentData()),
            plan=self.plan.text(),
            group_number=self.group_number.text(),
            subscriber_relationship=str(self.relationship.currentData()),
            subscriber_name=self.subscriber_name.text(),
            subscriber_dob=self.subscriber_dob.text(),
            effective_date=self.effective_date.text(),
            end_date=self.end_date.text(),
            default_copay=self.default_copay.text(),
            copays=copays,
            deductible_note=self.deductible_note.text(),
            coinsurance_note=self.coinsurance_note.text(),
        )

    def submit(self) -> CoverageRow:
        data = self.collect()
        if self.coverage is None:
            return self.services.insurance.add_coverage(self.patient_id, data)
        return self.services.insurance.update_coverage(
            self.coverage.id, data, expected_version=self.coverage.version
        )

    # ------------------------------------------------------------- conflicts
    def show_error(self, error: MADeskError) -> None:
        if isinstance(error, StaleVersionError) and isinstance(error.current, CoverageRow):
            captions = {key: widget.accessibleName() for key, widget in self.inputs.items()}
            rows = differences(captions, self._texts(error.current), self.typed_values())
            self.conflict.show_conflict(error, rows)
            return
        super().show_error(error)

    def typed_values(self) -> dict[str, str]:
        """Every input as the form shows it."""
        return {
            key: widget.currentText() if isinstance(widget, QComboBox) else widget.text()
            for key, widget in self.inputs.items()
            if isinstance(widget, QComboBox | QLineEdit)
        }

    def _texts(self, c: CoverageRow) -> dict[str, str]:
        """A stored coverage as this form would show it."""
        texts = {
            "priority": PRIORITY_LABELS.get(c.priority, str(c.priority)),
            "payer": c.payer, "plan": c.plan, "member_id": c.member_id,
            "group_number": c.group_number,
            "subscriber_relationship": RELATIONSHIPS.get(c.subscriber_relationship, ""),
            "subscriber_name": c.subscriber_name, "subscriber_dob": typed_date_text(c.subscriber_dob),
            "effective_date": typed_date_text(c.effective_date), "end_date": typed_date_text(c.end_date),
            "default_copay": _money_text(c.default_copay_cents),
            "deductible_note": c.deductible_note, "coinsurance_note": c.coinsurance_note,
        }  # fmt: skip
        for name in self.copay_inputs:
            cents = c.copays_cents.get(name)
            texts[f"copay:{name}"] = "" if cents is None else _money_text(cents)
        return texts

    def reapply_mine(self) -> None:
        """Take the saved coverage, keep what the user changed where it differs, save again."""
        error = self.conflict.error
        if error is None or not isinstance(error.current, CoverageRow) or self.coverage is None:
            return
        loaded = self._texts(self.coverage)
        mine = {k: v for k, v in self.typed_values().items() if v != loaded.get(k, "")}
        self.coverage = error.current
        self.conflict.clear()
        saved = self._texts(self.coverage)
        for key, widget in self.inputs.items():
            text = mine.get(key, saved.get(key, ""))
            if isinstance(widget, QComboBox):
                widget.setCurrentIndex(max(0, widget.findText(text)))
            elif isinstance(widget, QLineEdit):
                widget.setText(text)
        self.save()
