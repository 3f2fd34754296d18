"""User accounts (administrators), changing one's own password, emergency access."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ma_desk.display_format import date_time_text
from ma_desk.errors import MADeskError
from ma_desk.permissions import ROLE_LABELS, ROLES
from ma_desk.services import Services
from ma_desk.services.accounts import UserRow
from ma_desk.ui.common import palette
from ma_desk.ui.common.dialogs import dialogs
from ma_desk.ui.common.errors import FieldMessage, field_errors
from ma_desk.ui.common.table_model import Column, RowTableModel
from ma_desk.ui.common.widgets import make_table, named

USER_COLUMNS: list[Column[UserRow]] = [
    Column("User name", lambda u: u.username),
    Column("Name", lambda u: u.display_name),
    Column("Role", lambda u: u.role_label),
    Column(
        "State",
        lambda u: (
            ("active" if u.active else "inactive") + (" · locked out" if u.locked_until else "")
        ),
        foreground=lambda u: None if u.active else palette.MUTED_TEXT,
    ),  # fmt: skip
    Column(
        "Last sign-in",
        lambda u: date_time_text(u.last_sign_in_at) if u.last_sign_in_at else "never",
    ),  # fmt: skip
]


def _password_edit(name: str, accessible: str) -> QLineEdit:
    edit = named(QLineEdit(), name, accessible)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


def _new_password_edit(name: str, accessible: str) -> QLineEdit:
    """A field for a new password, hinting at what passes the rules."""
    edit = _password_edit(name, accessible)
    edit.setPlaceholderText("three or four unrelated words")
    return edit


class _FormDialog(QDialog):
    """A form with a message per field and OK/Cancel; subclasses implement ``save``."""

    fields: tuple[str, ...] = ()

    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        self.form = QFormLayout()
        self.errors: dict[str, FieldMessage] = {}
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.buttons)

    def add_field(self, label: str, key: str, widget: QWidget) -> None:
        self.errors[key] = FieldMessage(key)
        self.form.addRow(label, widget)
        self.form.addRow("", self.errors[key])

    def _ok(self) -> None:
        for message in self.errors.values():
            message.show_message("")
        try:
            self.save()
        except MADeskError as exc:
            shown = field_errors(exc) or {next(iter(self.errors)): str(exc)}
            for key, text in shown.items():
                target = self.errors.get(key) or next(iter(self.errors.values()))
                target.show_message(text)
            return
        self.accept()

    def save(self) -> None:
        raise NotImplementedError


class UserEditDialog(_FormDialog):
    """New account (user name, name, role, first password) or changes to one."""

    def __init__(self, services: Services, parent: QWidget | None, user: UserRow | None = None):
        super().__init__("New user account" if user is None else f"Account {user.username}",
                         parent)  # fmt: skip
        self.setObjectName("user_edit_dialog")
        self.services, self.user = services, user
        self.username = named(QLineEdit(user.username if user else ""), "user_username",
                              "User name")  # fmt: skip
        self.username.setReadOnly(user is not None)
        self.display_name = named(QLineEdit(user.display_name if user else ""),
                                  "user_display_name", "Full name")  # fmt: skip
        self.role = named(QComboBox(), "user_role", "Role")
        for role in ROLES:
            self.role.addItem(ROLE_LABELS[role], role)
        self.role.setCurrentIndex(ROLES.index(user.role) if user else 1)
        self.add_field("User name", "username", self.username)
        self.add_field("Full name", "display_name", self.display_name)
        self.add_field("Role", "role", self.role)
        if user is None:
            self.password = _new_password_edit("user_password", "First password")
            self.add_field("First password", "password", self.password)
        else:
            self.active = named(QCheckBox("May sign in"), "user_active", "Account active")
            self.active.setChecked(user.active)
            self.add_field("Active", "active", self.active)

    def save(self) -> None:
        role = self.role.currentData()
        if self.user is None:
            self.services.accounts.create_user(self.username.text(), self.display_name.text(),
                                               role, self.password.text())  # fmt: skip
        else:
            self.services.accounts.update_user(self.user.id, display_name=self.display_name.text(),
                                               role=role, active=self.active.isChecked())  # fmt: skip


class ResetPasswordDialog(_FormDialog):
    def __init__(self, services: Services, parent: QWidget | None, user: UserRow) -> None:
        super().__init__(f"New password for {user.username}", parent)
        self.setObjectName("reset_password_dialog")
        self.services, self.user = services, user
        self.password = _new_password_edit("reset_password", "New password")
        self.add_field("New password", "password", self.password)

    def save(self) -> None:
        self.services.accounts.reset_password(self.user.id, self.password.text())


class ChangePasswordDialog(_FormDialog):
    def __init__(self, services: Services, parent: QWidget | None) -> None:
        super().__init__("Change my password", parent)
        self.setObjectName("change_password_dialog")
        self.services = services
        self.current = _password_edit("current_password", "Current password")
        self.new = _new_password_edit("new_password", "New password")
        self.repeat = _password_edit("repeat_password", "Repeat new password")
        self.add_field("Current password", "current", self.current)
        self.add_field("New password", "password", self.new)
        self.add_field("Repeat", "repeat", self.repeat)

    def save(self) -> None:
        from ma_desk.errors import ValidationError

        if self.new.text() != self.repeat.text():
            raise ValidationError("The two new passwords differ.", field="repeat")
        self.services.accounts.change_own_password(self.current.text(), self.new.text())


class EmergencyAccessDialog(_FormDialog):
    """Break-glass: an administrator types their credentials to open this session."""

    def __init__(self, services: Services, parent: QWidget | None) -> None:
        super().__init__("Emergency access", parent)
        self.setObjectName("emergency_dialog")
        self.services = services
        note = QLabel(
            "Emergency access lets the signed-in user do everything with patient data for a "
            "limited time. An administrator must approve it here. It is flagged in the audit "
            "trail together with every action taken under it."
        )
        note.setWordWrap(True)
        self.form.insertRow(0, note)
        self.admin = named(QLineEdit(), "emergency_admin", "Administrator user name")
        self.password = _password_edit("emergency_password", "Administrator password")
        self.minutes = named(QSpinBox(), "emergency_minutes", "Minutes")
        self.minutes.setRange(1, 240)
        self.minutes.setValue(30)
        self.reason = named(QLineEdit(), "emergency_reason", "Reason")
        self.add_field("Administrator", "admin", self.admin)
        self.add_field("Password", "password", self.password)
        self.add_field("Minutes", "minutes", self.minutes)
        self.add_field("Reason", "reason", self.reason)

    def save(self) -> None:
        self.services.accounts.grant_break_glass(self.admin.text(), self.password.text(),
                                                 self.minutes.value(), self.reason.text())  # fmt: skip


class UserAdminDialog(QDialog):
    """The list of accounts with add / change / reset password / unlock."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("user_admin_dialog")
        self.setWindowTitle("User accounts")
        self.resize(760, 420)
        self.services = services
        self.model: RowTableModel[UserRow] = RowTableModel(USER_COLUMNS, self)
        self.table = make_table("users_table", "User accounts")
        self.table.setModel(self.model)
        self.table.doubleClicked.connect(lambda _i: self.edit_user())
        buttons = QHBoxLayout()
        for text, name, slot in (("Add…", "users_add", self.add_user),
                                 ("Change…", "users_edit", self.edit_user),
                                 ("New password…", "users_reset", self.reset_password),
                                 ("Unlock", "users_unlock", self.unlock)):  # fmt: skip
            button = named(QPushButton(text), name, text.rstrip("…"))
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        close = named(QPushButton("Close"), "users_close", "Close")
        close.clicked.connect(self.accept)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.reload()

    def reload(self) -> None:
        self.model.set_rows(self.services.accounts.list_users())
        self.table.resizeColumnsToContents()

    def selected(self) -> UserRow | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def add_user(self) -> None:
        if UserEditDialog(self.services, self).exec():
            self.reload()

    def edit_user(self) -> None:
        user = self.selected()
        if user and UserEditDialog(self.services, self, user).exec():
            self.reload()

    def reset_password(self) -> None:
        user = self.selected()
        if user and ResetPasswordDialog(self.services, self, user).exec():
            dialogs.info(self, "User accounts", f"{user.username} has a new password.")
            self.reload()

    def unlock(self) -> None:
        user = self.selected()
        if user is None:
            return
        try:
            self.services.accounts.unlock_user(user.id)
        except MADeskError as exc:
            dialogs.warn(self, "User accounts", str(exc))
        self.reload()
