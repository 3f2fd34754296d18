"""The bar a form shows when its save was refused because someone saved the record first.

The user's input stays in the form. The bar says who changed the record, when
and on which workstation (the StaleVersionError's message), shows the saved
values next to the typed ones on request, and offers to re-apply: the form then
loads the saved version, keeps the user's typed values where they differ, and
saves again (each form does that part; the bar only asks).
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ma_desk.errors import StaleVersionError
from ma_desk.ui.common import palette
from ma_desk.ui.common.widgets import named

# (caption, the saved value, the value in the form)
Difference = tuple[str, str, str]


def differences(
    captions: dict[str, str], saved: dict[str, str], typed: dict[str, str]
) -> list[Difference]:
    """The fields whose saved value differs from what is in the form, in form order."""
    return [
        (caption, saved.get(name, ""), typed.get(name, ""))
        for name, caption in captions.items()
        if saved.get(name, "") != typed.get(name, "")
    ]


class ConflictBar(QFrame):
    """Shown above a form after a refused save; ``reapply`` asks the form to merge and save."""

    reapply = Signal()
    MNEMONICS = ("m", "y")  # Alt+M compare, Alt+Y re-apply: a form keeps these free

    def __init__(self, prefix: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "conflict")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(f"QFrame[role='conflict'] {{ background: {palette.AMBER_LIGHT}; }}")
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.message = named(QLabel(""), f"{prefix}_conflict", "Changed by someone else")
        self.message.setWordWrap(True)
        self.compare_button = named(QPushButton("Co&mpare"), f"{prefix}_conflict_compare",
                                    "Show the saved values next to yours")  # fmt: skip
        self.compare_button.setCheckable(True)
        self.reapply_button = named(QPushButton("Re-appl&y my changes"),
                                    f"{prefix}_conflict_reapply",
                                    "Load the saved version and save my changes on it")  # fmt: skip
        top.addWidget(self.message, 1)
        top.addWidget(self.compare_button)
        top.addWidget(self.reapply_button)
        layout.addLayout(top)
        self.comparison = named(QLabel(""), f"{prefix}_conflict_table",
                                "Saved values next to yours")  # fmt: skip
        self.comparison.setWordWrap(True)
        self.comparison.hide()
        layout.addWidget(self.comparison)
        self.compare_button.toggled.connect(self.comparison.setVisible)
        self.reapply_button.clicked.connect(self.reapply)
        self.error: StaleVersionError | None = None
        self.hide()

    def show_conflict(self, error: StaleVersionError, rows: list[Difference]) -> None:
        self.error = error
        self.message.setText(str(error))
        who = escape(error.changed_by or "the other workstation")
        body = "".join(
            f"<tr><td><b>{escape(caption)}</b></td><td>{escape(saved)}</td>"
            f"<td>{escape(yours)}</td></tr>"
            for caption, saved, yours in rows
        )
        self.comparison.setText(
            f"<table cellspacing='6'><tr><th></th><th>Saved by {who}</th><th>Yours</th></tr>"
            f"{body}</table>"
            if rows
            else "Your entries match the saved version."
        )
        self.compare_button.setChecked(False)
        self.show()

    def clear(self) -> None:
        self.error = None
        self.compare_button.setChecked(False)
        self.hide()
