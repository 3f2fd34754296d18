"""Insurance tab: the selected patient's coverages, cards, eligibility, notes and authorisations."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ma_desk.display_format import date_text
from ma_desk.services.insurance import CoverageRow
from ma_desk.services.insurance_rules import format_money
from ma_desk.ui.common import palette
from ma_desk.ui.common.dialogs import dialogs
from ma_desk.ui.common.fit import (
    FlowLayout,
    fit_columns,
    keep_panels,
    keeps_rows,
    scrolling,
    wrapping,
)
from ma_desk.ui.common.patient_banner import PatientBanner
from ma_desk.ui.common.role_gate import gate, show_reason
from ma_desk.ui.common.shortcuts import add_shortcut
from ma_desk.ui.common.table_model import Column, RowTableModel
from ma_desk.ui.common.widgets import named
from ma_desk.ui.insurance import common
from ma_desk.ui.insurance.cards import CardPanel
from ma_desk.ui.insurance.common import when_text
from ma_desk.ui.insurance.coverage_dialog import CoverageDialog
from ma_desk.ui.insurance.forms import EndDateDialog, RemoveCoverageDialog, VerifyDialog
from ma_desk.ui.insurance.panels import EligibilityPanel, NotesPanel, PriorAuthPanel
from ma_desk.ui.tab_base import Tab

if TYPE_CHECKING:
    from ma_desk.services import Services
    from ma_desk.ui.selection import Selection

AMBER, RED = palette.AMBER, palette.RED
AUTHS_TITLE = "Pr&ior authorizations"
COVERAGE_ROWS_KEPT = 3  # primary, secondary, tertiary: all in view on the smallest screen


def _attention_colour(text: str) -> str | None:
    if not text or text.startswith("Starts"):
        return None
    if text.startswith(("Ended", "Last check")):
        return RED if text.startswith("Last check") else palette.GREY_ENDED
    return AMBER


class InsuranceTab(Tab):
    title = "Insurance"

    def __init__(self, services: Services, selection: Selection, parent: QWidget | None = None):
        super().__init__(services, selection, parent)
        self.patient_id: int | None = None
        self.patient_label = ""
        self.stale_days = 30
        layout = QVBoxLayout(self)
        self.banner = PatientBanner()
        layout.addWidget(self.banner)

        toolbar = FlowLayout()
        self.actions: dict[str, QPushButton] = {}
        for key, text, accessible, slot in (
            ("add", "Add &coverage…", "Add coverage", self.add_coverage),
            ("edit", "&Edit…", "Edit coverage", self.edit_coverage),
            ("verify", "&Verify eligibility…", "Verify eligibility", self.verify),
            ("up", "Move &up", "Move coverage up", lambda: self.move(-1)),
            ("down", "&Move down", "Move coverage down", lambda: self.move(1)),
            ("end", "E&nd-date…", "End-date coverage", self.end_date),
            ("remove", "Remove…", "Remove coverage entered in error", self.remove),
        ):
            button = named(QPushButton(text), f"insurance_{key}", accessible)
            button.clicked.connect(slot)
            toolbar.addWidget(button)
            self.actions[key] = button
        self.actions["add"].setProperty("role", "primary")
        self.actions["add"].setStyleSheet(  # the clinic style has no disabled look for primary
            f"QPushButton:disabled {{ background: {palette.DISABLED_FILL}; color: {palette.DISABLED_TEXT}; border-color: {palette.BORDER}; }}"
        )
        self.show_ended = named(QCheckBox("Show ended coverages"), "insurance_show_ended")
        self.show_ended.toggled.connect(lambda _on: self.reload())
        toolbar.addWidget(self.show_ended)
        layout.addLayout(toolbar)
        self.role_note = named(
            wrapping(QLabel("")), "insurance_role_note", "Why insurance is read-only"
        )
        self.role_note.hide()
        layout.addWidget(self.role_note)

        self.model: RowTableModel[CoverageRow] = RowTableModel(self._columns(), self)
        self.table = common.row_table("insurance_coverages", "Coverages on file")
        self.table.setModel(self.model)
        fit_columns(
            self.table,
            stretch=("Payer", "Plan", "Member ID", "Subscriber", "Last verified", "Attention"),
            hide_first=("Subscriber", "Group", "Copay", "Effective"),  # no room for their words
        )
        keeps_rows(self.table, COVERAGE_ROWS_KEPT)
        self.table.selectionModel().currentRowChanged.connect(self._coverage_selected)
        self.table.doubleClicked.connect(lambda _i: self.edit_coverage())
        move_keys = [
            add_shortcut(self.table, keys, lambda s=step: self.move(s),
                         f"Move the selected coverage {what} in the order",
                         context=Qt.ShortcutContext.WidgetShortcut)
            for keys, step, what in (("Ctrl+Up", -1, "up"), ("Ctrl+Down", 1, "down"))
        ]  # fmt: skip

        lower = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.details = QLabel("")
        self.details.setObjectName("coverage_details")
        self.details.setAccessibleName("Coverage details")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cards = CardPanel(services)
        self.cards.changed.connect(lambda: self._written())
        left_layout.addWidget(self.details, 1)
        left_layout.addWidget(self.cards)
        self.pages = QTabWidget()
        self.pages.setObjectName("insurance_pages")
        self.pages.setAccessibleName("Insurance details")
        self.checks = EligibilityPanel(services)
        self.checks.verify_requested.connect(self.verify)
        self.notes = NotesPanel(services)
        self.notes.changed.connect(lambda: self._written())
        self.auths = PriorAuthPanel(services)
        self.auths.changed.connect(lambda: self._written())
        self.pages.addTab(self.checks, "Eli&gibility log")
        self.pages.addTab(self.notes, "Note&s")
        self.pages.addTab(self.auths, AUTHS_TITLE)
        self.pages.currentChanged.connect(self._page_chosen)
        lower.addWidget(scrolling(left, "coverage_details_scroll"))
        lower.addWidget(self.pages)
        keep_panels(lower, (2, 3))
        lower.setSizes([520, 900])
        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(self.table)
        body.addWidget(lower)
        keep_panels(body, (1, 2))
        body.setSizes([220, 480])
        layout.addWidget(body, 1)

        # A role that may only read insurance sees every change disabled, with the reason.
        self.locks = {key: gate(button, services, "insurance.write",
                                note=self.role_note if key == "add" else None)
                      for key, button in self.actions.items()}  # fmt: skip
        for target in (*move_keys, self.checks.verify_button, self.notes.buttons["notes_add"],
                       self.notes.buttons["notes_edit"], self.auths.buttons["auth_add"],
                       self.auths.buttons["auth_edit"], self.auths.buttons["auth_use"],
                       *(b for k, b in self.cards.buttons.items()
                         if k.endswith(("_file", "_scan", "_remove")))):  # fmt: skip
            gate(target, services, "insurance.write")
        selection.patient_changed.connect(self.show_patient)
        self.show_patient(selection.patient_id)

    def _page_chosen(self, _index: int) -> None:
        """A page chosen by its mnemonic (Alt+G, Alt+S, Alt+I) takes the cursor to its
        tab bar, as Qt does for a button: Ctrl+Tab and the arrows go on from there, and
        a page that scrolls brings the tabs into view."""
        focused = QApplication.focusWidget()
        if self.isVisible() and not (focused and self.pages.isAncestorOf(focused)):
            self.pages.tabBar().setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _columns(self) -> list[Column[CoverageRow]]:
        def attention(c: CoverageRow) -> str:
            return c.attention(self.services.now(), self.stale_days)

        return [
            Column("Order", lambda c: "—" if c.is_ended(self._today()) else c.priority_label),
            Column("Payer", lambda c: c.payer),
            Column("Plan", lambda c: c.plan),
            Column("Member ID", lambda c: c.member_id),
            Column("Group", lambda c: c.group_number),
            Column(
                "Subscriber",
                lambda c: (
                    c.relationship_label
                    if c.subscriber_relationship == "self"
                    else f"{c.subscriber_name} ({c.relationship_label.lower()})"
                ),
            ),  # fmt: skip
            Column("Effective", lambda c: date_text(c.effective_date)),
            Column("Ends", lambda c: date_text(c.end_date)),
            Column("Copay", lambda c: format_money(c.default_copay_cents), align_right=True),
            Column("Last verified", lambda c: when_text(c.last_verified_at)),
            Column("Result", lambda c: c.last_result_label),
            Column("Attention", attention, background=lambda c: _attention_colour(attention(c))),
        ]

    def _today(self):
        return self.services.now().date()

    # ------------------------------------------------------------------ loading
    def activated(self) -> None:
        self.reload()

    def show_patient(self, patient_id) -> None:
        self.patient_id = patient_id
        self.reload()

    def reload(self, select_id: int | None = None) -> None:
        """Reload everything shown; keeps (or moves to ``select_id``) the selected coverage."""
        current = self.current()
        keep = select_id if select_id is not None else (current.id if current else None)
        today = self._today()
        self.stale_days = self.services.insurance.stale_days()
        if self.patient_id is None:
            self.banner.show_patient(None, today)
            self.patient_label = ""
            self.model.set_rows([])
        else:
            patient = self.services.patients.get(self.patient_id)
            self.patient_label = (
                f"{patient.full_name}   DOB {date_text(patient.dob)}   MRN {patient.mrn}"
            )
            self.model.set_rows(
                self.services.insurance.coverages(
                    self.patient_id, include_ended=self.show_ended.isChecked()
                )
            )
            self.banner.show_patient(patient, today, self._patient_alert())
        row = next(
            (i for i, c in enumerate(self.model.rows()) if c.id == keep),
            0,
        )
        if self.model.rowCount():
            self.table.selectRow(row)
        self._coverage_selected()

    def _patient_alert(self) -> str:
        if self.patient_id is None:
            return ""
        parts = []
        flag = self.services.insurance.verification_flags([self.patient_id]).get(self.patient_id)
        if flag:
            parts.append(flag)
        today = self._today()
        if not any(not c.is_ended(today) for c in self.model.rows()):
            parts.append("No current insurance on file (self-pay?)")
        flagged = [a for a in self.services.insurance.prior_auths(self.patient_id) if a.flag]
        if flagged:
            parts.append(
                "1 authorization needs attention"
                if len(flagged) == 1
                else f"{len(flagged)} authorizations need attention"
            )  # fmt: skip
        return " · ".join(parts)

    def current(self) -> CoverageRow | None:
        return self.model.row_at(self.table.currentIndex().row())

    def _coverage_selected(self, *_args) -> None:
        c = self.current()
        today = self._today()
        has_patient = self.patient_id is not None
        ended = bool(c and c.is_ended(today))
        self.actions["add"].setEnabled(has_patient)
        for key in ("edit", "remove"):
            self.actions[key].setEnabled(c is not None)
        self.actions["verify"].setEnabled(c is not None and not ended)
        self.actions["end"].setEnabled(c is not None)
        self.actions["up"].setEnabled(c is not None and not ended and c.priority > 1)
        self.actions["down"].setEnabled(c is not None and not ended and c.priority < 3)
        self.details.setText(self._details_html(c))
        self.cards.show_coverage(c, self.patient_label)
        self.checks.show_coverage(c)
        self.notes.show_patient(self.patient_id, self.model.rows(), c.id if c else None)
        self.auths.show_patient(self.patient_id, [r for r in self.model.rows()
                                                  if not r.is_ended(today)])  # fmt: skip
        flagged = sum(1 for a in self.auths.model.rows() if a.flag)
        self.pages.setTabText(2, f"{AUTHS_TITLE} ({flagged} ⚠)" if flagged
                              else AUTHS_TITLE)  # fmt: skip
        self.pages.setTabText(1, f"Note&s ({self.notes.model.rowCount()})")

    def _details_html(self, c: CoverageRow | None) -> str:
        if self.patient_id is None:
            return "<p>Choose a patient on the Schedule or Check-in tab.</p>"
        if c is None:
            return "<p>No coverage selected. Use <b>Add coverage</b> to enter the card.</p>"
        esc = html.escape
        now = self.services.now()
        lines = [f"<h3 style='margin:0'>{esc(c.priority_label)}: {esc(c.payer)} "
                 f"{esc(c.plan)}</h3>"]  # fmt: skip
        attention = c.attention(now, self.stale_days)
        if attention:
            lines.append(f"<p style='background:{AMBER};color:{palette.WARNING_TEXT};padding:4px'>"
                         f"<b>⚠ {esc(attention)}</b> — verify before the visit.</p>")  # fmt: skip
        if c.subscriber_relationship == "self":
            subscriber = "Patient is the subscriber"
        else:
            subscriber = (f"Subscriber: {esc(c.subscriber_name)} ({esc(c.relationship_label)}), "
                          f"DOB {date_text(c.subscriber_dob)}")  # fmt: skip
        lines.append(f"<p>{subscriber}<br>Member ID <b>{esc(c.member_id)}</b> · Group "
                     f"{esc(c.group_number) or '—'}<br>Effective {date_text(c.effective_date) or '—'}"
                     f" · Ends {date_text(c.end_date) or 'open-ended'}</p>")  # fmt: skip
        copays = [f"Default {format_money(c.default_copay_cents)}"] + [
            f"{esc(name)} {format_money(cents)}" for name, cents in sorted(c.copays_cents.items())
        ]
        lines.append(f"<p><b>Copays</b>: {' · '.join(copays)}</p>")
        if c.deductible_note or c.coinsurance_note:
            lines.append(f"<p><b>Deductible</b>: {esc(c.deductible_note) or '—'}<br>"
                         f"<b>Coinsurance</b>: {esc(c.coinsurance_note) or '—'}</p>")  # fmt: skip
        verified = (
            f"{when_text(c.last_verified_at)} — {esc(c.last_result_label)}"
            f"{' (ref ' + esc(c.last_reference) + ')' if c.last_reference else ''}"
            if c.last_verified_at
            else "never"
        )
        lines.append(f"<p><b>Last verified</b>: {verified}</p>")
        return "".join(lines)

    # ------------------------------------------------------------------ actions
    def _written(self, select_id: int | None = None) -> None:
        self.reload(select_id)
        self.selection.notify_changed("insurance")

    def add_coverage(self) -> None:
        if self.patient_id is None:
            return
        today = self._today()
        in_effect = [c for c in self.model.rows() if c.in_effect(today)]
        dialog = CoverageDialog(self.services, self.patient_id,
                                next_priority=len(in_effect) + 1, parent=self)  # fmt: skip
        if common.show(dialog):
            self._written(dialog.result_row.id)

    def edit_coverage(self) -> None:
        c = self.current()
        if self.patient_id is None or c is None:
            return
        if self.locks["edit"].reason:  # a double-click by a role that may not change it
            show_reason(self.table, self.locks["edit"].reason)
            return
        if common.show(CoverageDialog(self.services, self.patient_id, c, parent=self)):
            self._written()

    def verify(self) -> None:
        c = self.current()
        if c is None:
            return
        if common.show(VerifyDialog(self.services, c, parent=self)):
            self._written()

    def move(self, step: int) -> None:
        c = self.current()
        if c is None:
            return
        if common.guarded(self, lambda: self.services.insurance.move_coverage(c.id, step)):
            self._written()

    def end_date(self) -> None:
        c = self.current()
        if c is None:
            return
        if common.show(EndDateDialog(self.services, c, parent=self)):
            self.show_ended.setChecked(True)
            self._written()

    def remove(self) -> None:
        c = self.current()
        if c is None:
            return
        if not dialogs.confirm(
            self,
            "Remove coverage",
            f"Remove {c.payer} as entered in error? A coverage that simply stopped should be "
            "end-dated instead, so its history stays with the patient.",
        ):
            return
        if common.show(RemoveCoverageDialog(self.services, c, parent=self)):
            self._written()
