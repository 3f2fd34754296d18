"""'Provider notified': record, from the flow board, who was told about a critical vital,
when and how. One service call (``vitals.mark_provider_notified``); a refusal stays in
the dialog next to what to fix."""

from __future__ import annotations

import datetime as dt
import html

from PySide6.QtCore import QTime
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from ma_desk.display_format import qt_time_format
from ma_desk.errors import MADeskError
from ma_desk.services import Services
from ma_desk.services.notify import HOW_LABELS, IN_PERSON, MESSAGE, PHONE, NotifyTask
from ma_desk.ui.common.errors import FieldMessage
from ma_desk.ui.common.focus import whole_field_tab
from ma_desk.ui.common.widgets import named

HOW_BUTTONS = ((IN_PERSON, "&In person"), (PHONE, "&Phone"), (MESSAGE, "&Message"))


class NotifyProviderDialog(QDialog):
    """Provider (the visit's by default), time told (now by default), how (no default:
    staff say how they told the provider)."""

    def __init__(self, services: Services, task: NotifyTask, *, patient_name: str,
                 provider_id: int, parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.services = services
        self.task = task
        self.result_task: NotifyTask | None = None
        self.setObjectName("notify_provider_dialog")
        self.setWindowTitle("Provider notified")
        layout = QVBoxLayout(self)
        what = named(QLabel(f"<b>{html.escape(patient_name)}</b>: {html.escape(task.message)}"),
                     "notify_what", "Critical value")  # fmt: skip
        what.setWordWrap(True)
        layout.addWidget(what)
        form = QFormLayout()
        self.provider = named(QComboBox(), "notify_provider", "Provider who was told")
        for p in services.schedule.providers():
            self.provider.addItem(p.display_name, p.id)
        self.provider.setCurrentIndex(max(0, self.provider.findData(provider_id)))
        form.addRow("Pro&vider", self.provider)
        now = services.now()
        self.time = named(QTimeEdit(QTime(now.hour, now.minute)), "notify_time", "Time told")
        self.time.setDisplayFormat(qt_time_format())
        whole_field_tab(self.time)
        form.addRow("&Time told", self.time)
        how_row = QHBoxLayout()
        self.how = QButtonGroup(self)
        for value, text in HOW_BUTTONS:
            button = named(QRadioButton(text), f"notify_how_{value}", f"Told {HOW_LABELS[value]}")
            button.setProperty("how", value)
            self.how.addButton(button)
            how_row.addWidget(button)
        form.addRow("How", how_row)
        layout.addLayout(form)
        self.message = FieldMessage("notify", self)
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        named(save, "notify_save", "Save: provider notified")
        save.setDefault(True)
        named(self.buttons.button(QDialogButtonBox.StandardButton.Cancel), "notify_cancel",
              "Cancel")  # fmt: skip
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def chosen_how(self) -> str:
        button = self.how.checkedButton()
        return str(button.property("how")) if button is not None else ""

    def told_at(self) -> dt.datetime:
        today = self.services.now().date()
        t = self.time.time()
        return dt.datetime.combine(today, dt.time(t.hour(), t.minute()))

    def save(self) -> None:
        try:
            self.result_task = self.services.vitals.mark_provider_notified(
                self.task.id, provider_id=self.provider.currentData(), how=self.chosen_how(),
                at=self.told_at(),
            )  # fmt: skip
        except MADeskError as error:
            self.message.show_message(str(error))
            return
        self.accept()
