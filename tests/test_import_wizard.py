"""The import wizard and the patient's FHIR export, driven as an administrator would."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from ma_desk.db.models import Patient
from ma_desk.ui.common import dialogs as dialogs_module
from ma_desk.ui.interchange.wizard import ImportDialog
from tests.import_files import tab_export_iso

DEADLINE_MS = 60_000


def press(qtbot, widget, key=Qt.Key.Key_Space) -> None:
    widget.setFocus()
    qtbot.keyClick(widget, key)


def imported(services) -> list[str]:
    with services.ctx.db.read() as s:
        return sorted(s.scalars(select(Patient.external_id).where(
            Patient.external_source == "oldpm")))  # fmt: skip


def test_preview_dry_run_then_import_by_keyboard(qtbot, demo_services, sign_in_as, tmp_path):
    sign_in_as("admin")
    export = tmp_path / "old.txt"
    export.write_bytes(tab_export_iso())
    dialog = ImportDialog(demo_services)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.path.setFocus()
    qtbot.keyClicks(dialog.path, str(export))
    dialog.source.selectAll()
    qtbot.keyClicks(dialog.source, "oldpm")
    assert not dialog.import_button.isEnabled()

    press(qtbot, dialog.preview_button)
    qtbot.waitUntil(lambda: dialog.mapping_model.rowCount() == 7, timeout=DEADLINE_MS)
    assert dialog.mapping_model.mapping() == {"Chart Number": "external_id", "LName": "last_name",
                                              "FName": "first_name", "Birthdate": "dob",
                                              "Gender": "sex"}  # fmt: skip
    assert "3 rows, read as utf-8." in dialog.summary.text()
    assert not dialog.import_button.isEnabled()

    press(qtbot, dialog.dry_run_button)
    qtbot.waitUntil(dialog.import_button.isEnabled, timeout=DEADLINE_MS)
    assert dialog.summary.text().startswith("Dry run: 3 rows would be: 1 created, 2 refused.")
    model = dialog.outcome_model
    assert [model.data(model.index(r, 1)) for r in range(model.rowCount())] == [
        "create", "error", "error"]  # fmt: skip
    assert imported(demo_services) == []

    dialog.duplicates.setFocus()
    qtbot.keyClick(dialog.duplicates, Qt.Key.Key_Down)  # link: the options changed
    assert not dialog.import_button.isEnabled()
    qtbot.keyClick(dialog.duplicates, Qt.Key.Key_Up)
    press(qtbot, dialog.dry_run_button)
    qtbot.waitUntil(dialog.import_button.isEnabled, timeout=DEADLINE_MS)

    press(qtbot, dialog.import_button)
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("Imported:"), timeout=DEADLINE_MS)
    assert dialog.summary.text() == "Imported: 3 rows: 1 created, 2 refused."
    assert dialog.progress.value() == dialog.progress.maximum() == 3
    assert not dialog.import_button.isEnabled()
    assert imported(demo_services) == ["C1"]


def test_a_file_that_cannot_be_read_is_said_in_the_dialog(qtbot, demo_services, sign_in_as,
                                                          tmp_path):  # fmt: skip
    sign_in_as("admin")
    dialog = ImportDialog(demo_services)
    qtbot.addWidget(dialog)
    dialog.path.setText(str(tmp_path / "missing.csv"))
    press(qtbot, dialog.dry_run_button)
    qtbot.waitUntil(lambda: "Cannot read the file" in dialog.summary.text(), timeout=DEADLINE_MS)
    assert not dialog.import_button.isEnabled() and dialog.dry_run_button.isEnabled()


@pytest.fixture
def told(monkeypatch):
    messages: list[tuple[str, str]] = []
    monkeypatch.setattr(dialogs_module.dialogs, "info", lambda _p, t, m: messages.append((t, m)))
    monkeypatch.setattr(dialogs_module.dialogs, "warn", lambda _p, t, m: messages.append((t, m)))
    return messages


def test_export_for_patient_from_the_print_menu(qtbot, demo_services, sign_in_as, tmp_path, told):
    from ma_desk.ui.main_window import MainWindow

    sign_in_as("frontdesk")
    window = MainWindow(demo_services, store_label="test store", settings_file=tmp_path / "w.ini")
    qtbot.addWidget(window)
    actions = window.interchange_actions
    assert actions.export_action in window.print_menu.menu.actions()
    assert actions.import_action.isEnabled() is False  # the front desk does not import
    target = tmp_path / "patient.json"
    actions.ask_path = lambda: str(target)
    actions.export_action.trigger()
    assert told == [("Export for patient", "Select a patient first.")]
    window.selection.select_patient(1)
    actions.export_action.trigger()
    qtbot.waitUntil(lambda: len(told) == 2, timeout=DEADLINE_MS)
    assert told[1][1].startswith("Wrote ") and str(target) in told[1][1]
    assert json.loads(target.read_text())["resourceType"] == "Bundle"
