"""A new store passphrase typed twice, with six random words to copy (Suggest).

The setup wizard and the "new passphrase" dialog (a server workstation's
downtime key) ask the same thing the same way; each lays the fields out and
checks them itself. The key module loads only when Suggest is pressed, so the
dialog adds nothing to start-up.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton

from ma_desk.ui.common.widgets import named


class PassphraseFields:
    """The passphrase, its repeat (both masked) and the suggestion row, not yet laid out."""

    def __init__(self) -> None:
        self.passphrase = named(QLineEdit(), "new_passphrase", "New passphrase")
        self.repeat = named(QLineEdit(), "new_passphrase_repeat", "Repeat the passphrase")
        for edit in (self.passphrase, self.repeat):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.suggestion = named(QLineEdit(), "passphrase_suggestion", "Suggested passphrase")
        self.suggestion.setReadOnly(True)
        self.suggestion.setPlaceholderText("Suggest makes six random words to copy")
        self.suggest_button = named(QPushButton("&Suggest"), "passphrase_suggest",
                                    "Suggest a passphrase")  # fmt: skip
        self.suggestion_row = QHBoxLayout()
        self.suggestion_row.addWidget(self.suggestion, 1)
        self.suggestion_row.addWidget(self.suggest_button)

    def fill_suggestion(self) -> None:
        """Six random words shown and put in the first field; the user types them again
        under Repeat (so they were read, not only copied)."""
        from ma_desk.db import keys

        phrase = keys.suggest_passphrase()
        self.suggestion.setText(phrase)
        self.passphrase.setText(phrase)
        self.repeat.clear()
        self.repeat.setFocus()
