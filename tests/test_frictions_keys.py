"""Issue 15 item 7: Ctrl+Enter saves in every note dialog. Every dialog of the app (the
list test_focus_dialogs keeps complete) is opened, and every editable multi-line text in
it must answer Ctrl+Enter (Enter types a new line there)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QPlainTextEdit, QTextEdit

from ma_desk.ui.common.note_keys import SAVE_KEYS, SAVE_PROPERTY
from ma_desk.ui.insurance import forms
from tests.test_focus_dialogs import _coverage, _factories

CTRL = Qt.KeyboardModifier.ControlModifier


def notes_in(dialog: QDialog) -> list[QPlainTextEdit | QTextEdit]:
    editors = [*dialog.findChildren(QPlainTextEdit), *dialog.findChildren(QTextEdit)]
    return [e for e in editors if not e.isReadOnly()]


def save_keys_of(editor) -> set[str]:
    return {
        s.key().toString(QKeySequence.SequenceFormat.PortableText)
        for s in editor.findChildren(QShortcut)
        if s.context() == Qt.ShortcutContext.WidgetShortcut
    }


def test_the_note_dialogs_are_found() -> None:
    """The enumeration below sees the dialogs with notes (so it cannot pass empty)."""
    names = set(_factories())
    assert {"NoteDialog", "VerifyDialog", "PriorAuthDialog", "HandoutAdminDialog",
            "LabelsDialog"} <= names  # fmt: skip


@pytest.mark.parametrize("name", sorted(_factories()))
def test_every_multi_line_note_saves_on_ctrl_enter(qtbot, demo_services, sign_in_as, name):
    sign_in_as("admin")
    build, _enter = _factories()[name]
    dialog = build(demo_services)
    qtbot.addWidget(dialog)
    for editor in notes_in(dialog):
        label = f"{name}.{editor.objectName()}"
        assert editor.property(SAVE_PROPERTY), f"{label}: Ctrl+Enter does not save"
        assert set(SAVE_KEYS) <= save_keys_of(editor), label
        assert "Ctrl+Enter" in editor.toolTip(), label


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Enter])
def test_ctrl_enter_saves_a_note_typed_over_two_lines(qtbot, demo_services, sign_in_as, key):
    sign_in_as("admin")
    patient_id, coverages = _coverage(demo_services)
    before = len(demo_services.insurance.notes(patient_id))
    dialog = forms.NoteDialog(demo_services, patient_id, coverages)
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
        dialog.activateWindow()
    dialog.text.setFocus()
    qtbot.waitUntil(dialog.text.hasFocus)
    qtbot.keyClicks(dialog.text, "Called payer")
    qtbot.keyClick(dialog.text, Qt.Key.Key_Return)  # a new line, not Save
    assert dialog.isVisible()
    qtbot.keyClicks(dialog.text, "ref 4471")
    qtbot.keyClick(dialog.text, key, CTRL)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert dialog.result() == QDialog.DialogCode.Accepted
    notes = demo_services.insurance.notes(patient_id)
    assert len(notes) == before + 1
    assert any(n.text == "Called payer\nref 4471" for n in notes)


def test_ctrl_enter_with_a_refused_note_keeps_the_dialog_open(qtbot, demo_services, sign_in_as):
    sign_in_as("admin")
    patient_id, coverages = _coverage(demo_services)
    dialog = forms.NoteDialog(demo_services, patient_id, coverages)
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
        dialog.activateWindow()
    dialog.text.setFocus()
    qtbot.waitUntil(dialog.text.hasFocus)
    qtbot.keyClick(dialog.text, Qt.Key.Key_Return, CTRL)  # empty note
    assert dialog.isVisible() and not dialog.messages["text"].isHidden()
