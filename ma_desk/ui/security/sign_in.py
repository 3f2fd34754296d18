"""Sign-in (and first-run administrator) dialogs.

The sign-in dialog is built for quick keyboard use on a shared workstation:
the user name has focus, Tab goes to the password, Enter signs in. Errors
appear under the password; the password is cleared after a failure. Nothing
here tells whether a user name exists (no completer; the service's messages
are the same for every name).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ma_desk.errors import MADeskError
from ma_desk.ui.common.errors import FieldMessage, field_errors
from ma_desk.ui.common.fit import wrapping_in_dialog
from ma_desk.ui.common.widgets import named

if TYPE_CHECKING:  # the sign-in screen shows before the services are imported
    from ma_desk.services import Services

OPENING_MESSAGE = "Opening the clinic's records…"


class CredentialsForm(QWidget):
    """User name + password + message; used by the sign-in dialog and the lock screen."""

    def __init__(self, services: Services | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services  # None until the store has opened (SignInDialog)
        self.username = named(QLineEdit(), "signin_username", "User name")
        self.username.setPlaceholderText("user name")
        self.password = named(QLineEdit(), "signin_password", "Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("password")
        # No completer of user names: a list of the accounts on the sign-in screen would
        # tell anyone at the desk which user names exist.
        self.message = FieldMessage("signin")
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("User name", self.username)
        form.addRow("Password", self.password)
        form.addRow("", self.message)
        self.setTabOrder(self.username, self.password)

    def try_sign_in(self) -> bool:
        """Sign in with what was typed; show why not and clear the password on failure."""
        username = self.username.text().strip()
        if not username:
            self.message.show_message("Type your user name.")
            self.username.setFocus()
            return False
        try:
            self.services.accounts.sign_in(username, self.password.text())
        except MADeskError as exc:
            self.message.show_message(str(exc))
            self.password.clear()
            self.password.setFocus()
            return False
        self.message.show_message("")
        self.password.clear()
        return True

    def reset(self, username: str = "") -> None:
        self.username.setText(username)
        self.password.clear()
        self.message.show_message("")
        (self.password if username else self.username).setFocus()


class SignInDialog(QDialog):
    """Sign in; shown before the store has opened when ``services`` is None (store_ready
    then hands them over, and an Enter pressed meanwhile signs in at that moment)."""

    refused = Signal()  # a sign-in was tried and refused (its reason is shown)

    def __init__(
        self, services: Services | None, parent: QWidget | None = None, *, clinic: str = ""
    ) -> None:
        super().__init__(parent)
        self.setObjectName("signin_dialog")
        self.setWindowTitle("MA Desk — sign in")
        self.setMinimumWidth(380)
        self.waiting_for_store = False
        self.heading = QLabel()
        self.heading.setObjectName("signin_heading")
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self._show_clinic(clinic)
        self.form = CredentialsForm(services, self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Sign in")
        named(ok, "signin_button", "Sign in")
        ok.setDefault(True)
        self.ok_button = ok
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Quit")
        buttons.accepted.connect(self._sign_in)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.form)
        layout.addWidget(buttons)
        self.form.username.setFocus()

    def _show_clinic(self, clinic: str) -> None:
        self.heading.setText(f"<b>{_escape(clinic) or 'MA Desk'}</b><br>Sign in to continue.")

    def store_ready(self, services: Services, clinic: str) -> None:
        """The store has opened: sign-ins go to it; an Enter that waited for it is done now."""
        self.form.services = services
        self._show_clinic(clinic)
        if self.waiting_for_store:
            self.waiting_for_store = False
            self.form.setEnabled(True)
            self.ok_button.setEnabled(True)
            self.form.message.show_message("")
            self._sign_in()

    def _sign_in(self) -> None:
        if self.form.services is None:  # Enter before the store has opened: wait for it
            self.waiting_for_store = True
            self.form.message.show_message(OPENING_MESSAGE)
            self.form.setEnabled(False)
            self.ok_button.setEnabled(False)
            return
        if self.form.try_sign_in():
            self.accept()
        else:
            self.refused.emit()


class FirstAdministratorDialog(QDialog):
    """First run: the store has no accounts; create the administrator and sign in."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setObjectName("first_admin_dialog")
        self.setWindowTitle("MA Desk — create the administrator")
        self.setMinimumWidth(460)
        from ma_desk.security.passwords import MIN_LENGTH

        intro = QLabel(
            "This clinic store has no user accounts yet. Create the administrator: the "
            "person who adds the other accounts and can see the audit trail. "
            f"The password needs at least {MIN_LENGTH} characters and must not be easy to "
            "guess: three or four unrelated words work well (not the clinic's name or yours)."
        )
        intro.setObjectName("admin_intro")
        wrapping_in_dialog(intro)  # every line shows, at 12 pt system text too
        self.username = named(QLineEdit(), "admin_username", "Administrator user name")
        self.display_name = named(QLineEdit(), "admin_display_name", "Administrator full name")
        self.password = named(QLineEdit(), "admin_password", "Administrator password")
        self.repeat = named(QLineEdit(), "admin_password_repeat", "Repeat the password")
        for edit in (self.password, self.repeat):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.errors = {k: FieldMessage(f"admin_{k}") for k in
                       ("username", "display_name", "password", "repeat")}  # fmt: skip
        form = QFormLayout()
        for label, key, edit in (("User name", "username", self.username),
                                 ("Full name", "display_name", self.display_name),
                                 ("Password", "password", self.password),
                                 ("Repeat password", "repeat", self.repeat)):  # fmt: skip
            form.addRow(label, edit)
            form.addRow("", self.errors[key])
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Create and sign in")
        named(ok, "admin_create_button", "Create and sign in")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Quit")
        buttons.accepted.connect(self._create)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.username.setFocus()

    def _create(self) -> None:
        for label in self.errors.values():
            label.show_message("")
        if self.password.text() != self.repeat.text():
            self.errors["repeat"].show_message("The two passwords differ.")
            self.repeat.clear()
            self.repeat.setFocus()
            return
        try:
            self.services.accounts.create_first_administrator(
                self.username.text(), self.display_name.text(), self.password.text()
            )
        except MADeskError as exc:
            shown = field_errors(exc) or {"username": str(exc)}
            for key, text in shown.items():
                self.errors.get(key, self.errors["username"]).show_message(text)
            return
        self.accept()


def _escape(text: str) -> str:
    from html import escape

    return escape(text)
