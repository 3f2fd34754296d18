"""The first-run wizard: everything a new clinic needs, gathered first, made in one go.

Nothing is written before Finish: the recovery key is made in memory (and may be
printed or saved as a PDF) on the last page, and Finish creates the store with
the whole plan through ``ma_desk.clinic_setup.create_clinic``, off the UI thread.
Cancel, Esc or closing the window on any page leaves the data folder as it was.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ma_desk import clinic_setup
from ma_desk import clinic_setup_rules as rules
from ma_desk.clock import SystemClock
from ma_desk.db import keys
from ma_desk.db.store import OpenedStore
from ma_desk.errors import MADeskError
from ma_desk.security.passwords import MIN_LENGTH
from ma_desk.ui.common import replace_file
from ma_desk.ui.common.errors import FieldMessage
from ma_desk.ui.common.fit import scrolling
from ma_desk.ui.common.passphrase_fields import PassphraseFields
from ma_desk.ui.common.widgets import named
from ma_desk.ui.common.worker import run_in_background
from ma_desk.ui.setup.sections import (
    ClinicSection,
    HoursSection,
    ProvidersSection,
    RoomsSection,
    Section,
    VisitTypesSection,
)


class SectionPage(QWizardPage):
    """A wizard page around one section; Next is refused (with the messages shown) until
    the section is valid."""

    def __init__(self, title: str, section: Section, name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setTitle(title)
        self.section = section
        layout = QVBoxLayout(self)
        layout.addWidget(scrolling(section, f"{name}_scroll"))

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        return self.section.check()


class AdminSection(Section):
    """The administrator's account: adds the other accounts, sees the audit trail."""

    def __init__(self, clinic_words, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic_words = clinic_words
        intro = QLabel(
            "The administrator adds the other staff accounts and can see the audit trail. "
            f"The password needs at least {MIN_LENGTH} characters and must not be easy to "
            "guess: three or four unrelated words work well (not the clinic's name or yours)."
        )
        intro.setWordWrap(True)
        self.username = named(QLineEdit(), "admin_username", "Administrator user name")
        self.display_name = named(QLineEdit(), "admin_display_name", "Administrator full name")
        self.password = named(QLineEdit(), "admin_password", "Administrator password")
        self.repeat = named(QLineEdit(), "admin_password_repeat", "Repeat the password")
        for edit in (self.password, self.repeat):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout(self)
        form.addRow(intro)
        for label, key, edit in (("User name", "username", self.username),
                                 ("Full name", "display_name", self.display_name),
                                 ("Password", "password", self.password),
                                 ("Repeat password", "repeat", self.repeat)):  # fmt: skip
            form.addRow(label, edit)
            form.addRow("", self.message(key))

    def admin(self) -> rules.AdminPlan:
        return rules.AdminPlan(self.username.text(), self.display_name.text(),
                               self.password.text())  # fmt: skip

    def problems(self) -> dict[str, str]:
        problems = rules.admin_problems(self.admin(), self.repeat.text(), self.clinic_words())
        if "repeat" in problems or "password" in problems:
            self.repeat.clear()
        return problems


class PassphraseSection(Section):
    """The store passphrase, asked only where this computer has no keyring."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        intro = QLabel(
            "This computer has no keyring to keep the clinic's key, so the store is locked "
            "with a passphrase, asked each time MA Desk starts. Use four or more unrelated "
            "words, or Suggest six random ones and write them down."
        )
        intro.setWordWrap(True)
        self.fields = PassphraseFields()
        self.passphrase, self.repeat = self.fields.passphrase, self.fields.repeat
        self.suggestion = self.fields.suggestion
        self.fields.suggest_button.clicked.connect(self.suggest)
        form = QFormLayout(self)
        form.addRow(intro)
        form.addRow("Passphrase", self.passphrase)
        form.addRow("", self.message("passphrase"))
        form.addRow("Repeat", self.repeat)
        form.addRow("", self.message("repeat"))
        form.addRow("Suggestion", self.fields.suggestion_row)

    def suggest(self) -> None:
        self.fields.fill_suggestion()

    def problems(self) -> dict[str, str]:
        problems = rules.passphrase_problems(self.passphrase.text(), self.repeat.text())
        if problems:
            self.repeat.clear()
        return problems


class RecoveryKeyPage(QWizardPage):
    """The last page: the recovery key (made in memory), Save as PDF / Print, and Finish
    ("Create the clinic"), which makes the store with everything in it."""

    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__()
        self.setObjectName("recovery_page")
        self.setTitle("Recovery key")
        self.setup = wizard
        self.key: keys.NewKey | None = None
        self.key_for: str | None = None  # the passphrase the key was made from
        self.creating = False
        intro = QLabel(
            "This recovery key opens the clinic's store if this computer's keyring or the "
            "passphrase is lost. Print it or save it as a PDF now and keep the paper locked "
            "away from the computer (anyone with the key and the store file can read it). "
            "It is shown only now."
        )
        intro.setWordWrap(True)
        self.key_label = named(QLabel(), "recovery_key", "Recovery key")
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSize(font.pointSize() + 3)
        font.setBold(True)
        self.key_label.setFont(font)
        self.key_label.setWordWrap(True)
        self.save_button = named(QPushButton("Save as &PDF…"), "recovery_save",
                                 "Save the recovery key as a PDF")  # fmt: skip
        self.print_button = named(QPushButton("P&rint…"), "recovery_print",
                                  "Print the recovery key")  # fmt: skip
        self.save_button.clicked.connect(self.save_pdf)
        self.print_button.clicked.connect(self.print_pdf)
        self.kept = named(QCheckBox("I &have printed, saved or written down the recovery key"),
                          "recovery_kept", "Recovery key kept")  # fmt: skip
        self.kept.toggled.connect(self.completeChanged)
        self.status = QLabel()
        self.status.setObjectName("setup_status")
        self.status.setWordWrap(True)
        self.error = FieldMessage("setup")
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.print_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.key_label)
        layout.addLayout(buttons)
        layout.addWidget(self.kept)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        passphrase = self.setup.passphrase()
        if self.key is None or self.key_for != passphrase:
            self.key = clinic_setup.prepare_key(passphrase)
            self.key_for = passphrase
            self.kept.setChecked(False)
        self.key_label.setText(self.key.recovery_key)
        self.error.show_message("")
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Create the clinic")

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        return self.kept.isChecked() and not self.creating

    # -- the paper
    def pdf(self) -> bytes:
        from ma_desk.reports.recovery_key import recovery_key_pdf

        assert self.key is not None
        return recovery_key_pdf(self.key.recovery_key,
                                clinic_name=rules.clean_text(self.setup.clinic.name.text()),
                                data_dir=str(self.setup.data_dir),
                                created=SystemClock().now())  # fmt: skip

    def ask_save_path(self) -> str | None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the recovery key", str(Path.home() / "MA Desk recovery key.pdf"),
            "PDF document (*.pdf)", options=replace_file.SAVE_OPTIONS,
        )  # fmt: skip
        return path or None

    def save_pdf(self) -> bool:
        from ma_desk.reports.output import write_file_atomic

        target = replace_file.save_target(self, self.ask_save_path(), ".pdf")
        if target is None:
            return False
        path, replace = target
        try:
            write_file_atomic(path, self.pdf(), force=replace)
        except MADeskError as error:
            self.error.show_message(str(error))
            return False
        self.status.setText(f"Saved to {path}. Print it, then keep the paper locked away.")
        return True

    def print_pdf(self) -> None:
        from ma_desk.ui.printing.preview import show_pdf

        show_pdf(self, self.pdf(), title="Recovery key", suggested_name="MA Desk recovery key.pdf")

    # -- Finish
    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        """Start making the clinic; the wizard closes when it is made."""
        if self.creating or self.setup.opened is not None:
            return self.setup.opened is not None
        self.creating = True
        self.completeChanged.emit()
        self.error.show_message("")
        self.status.setText("Creating the clinic store… this takes a few seconds.")
        plan, key, passphrase = self.setup.plan(), self.key, self.setup.passphrase()
        data_dir, create = self.setup.data_dir, self.setup.create
        pause_garbage_collection()
        run_in_background(self, lambda: create(data_dir, plan, key, passphrase=passphrase),
                          self._made, self._failed)  # fmt: skip
        return False

    def _made(self, opened: OpenedStore) -> None:
        gc.enable()
        self.creating = False
        self.setup.opened = opened
        self.status.setText("The clinic is ready.")
        self.setup.accept()

    def _failed(self, error: MADeskError) -> None:
        gc.enable()
        self.creating = False
        self.completeChanged.emit()
        self.status.setText("")
        self.error.show_message(f"{error} The clinic was not created.")


def pause_garbage_collection() -> None:
    """Collect now, on the UI thread, and not again until the job is done: a collection
    started by the worker's allocations would delete unreachable Qt objects (closed
    windows in reference cycles) on the worker thread, which crashes Qt."""
    gc.collect()
    gc.disable()


class SetupWizard(QWizard):
    """First run: clinic, providers, rooms, hours and slot size, visit types,
    administrator, (passphrase), recovery key; Finish makes it all."""

    def __init__(self, data_dir: Path, *, ask_passphrase: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("setup_wizard")
        self.setWindowTitle("MA Desk — set up the clinic")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage)
        self.setMinimumWidth(720)
        self.resize(720, 560)  # a 1280x720 screen at 125 % is lower: the pages then scroll
        self.data_dir = data_dir
        self.opened: OpenedStore | None = None
        self.create = clinic_setup.create_clinic  # tests inject a failure here
        self.clinic = ClinicSection()
        self.providers = ProvidersSection()
        self.rooms = RoomsSection()
        self.hours = HoursSection()
        self.visit_types = VisitTypesSection(self.hours.slot_minutes)
        self.admin = AdminSection(self._clinic_words)
        self.passphrase_section = PassphraseSection() if ask_passphrase else None
        pages = [
            ("The clinic", self.clinic, "clinic_page"),
            ("Providers", self.providers, "providers_page"),
            ("Rooms", self.rooms, "rooms_page"),
            ("Opening hours and slot size", self.hours, "hours_page"),
            ("Visit types", self.visit_types, "visit_types_page"),
            ("Administrator", self.admin, "admin_page"),
        ]
        if self.passphrase_section is not None:
            pages.append(("Store passphrase", self.passphrase_section, "passphrase_page"))
        for title, section, name in pages:
            self.addPage(SectionPage(title, section, name))
        self.recovery_page = RecoveryKeyPage(self)
        self.addPage(self.recovery_page)

    def _clinic_words(self) -> list[str]:
        return [self.clinic.name.text(), *(p.name for p in self.providers.rows())]

    def passphrase(self) -> str | None:
        if self.passphrase_section is not None:
            return self.passphrase_section.passphrase.text()
        return os.environ.get(keys.PASSPHRASE_ENV) or None  # needs_passphrase() saw it set

    def plan(self) -> rules.ClinicPlan:
        hours = self.hours.hours()
        assert not isinstance(hours, dict)  # the hours page refused Next until it was valid
        return rules.ClinicPlan(
            clinic=self.clinic.details(),
            providers=self.providers.rows(),
            rooms=self.rooms.rows(),
            hours=hours,
            slot_minutes=self.hours.slot_minutes(),
            visit_types=self.visit_types.rows(),
            admin=self.admin.admin(),
        )

    def done(self, result: int) -> None:
        gc.enable()  # also after a bug in the job (its error reached the crash dialog)
        super().done(result)

    def reject(self) -> None:
        """Cancel, Esc or closing the window: nothing was written. While the store is
        being made, wait: it is removed again if anything fails."""
        if self.recovery_page.creating:
            self.recovery_page.status.setText("The clinic store is being made; wait a moment.")
            return
        super().reject()


def run_setup_wizard(data_dir: Path) -> tuple[OpenedStore, rules.AdminPlan] | None:
    """The wizard, modal; the new store and its administrator (to sign in), or None."""
    wizard = SetupWizard(data_dir, ask_passphrase=clinic_setup.needs_passphrase())
    if not wizard.exec() or wizard.opened is None:
        return None
    return wizard.opened, wizard.admin.admin()
