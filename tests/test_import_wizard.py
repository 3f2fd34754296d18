"""The import wizard and the patient's FHIR export, driven as an administrator would."""

from __future__ import annotations

import csv
import json

import pytest
import shiboken6
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QComboBox
from sqlalchemy import func, select

from ma_desk.db.models import AuditEvent, Patient
from ma_desk.services.interchange import ImportOptions
from ma_desk.ui.common import dialogs as dialogs_module
from ma_desk.ui.interchange.wizard import ImportDialog, field_names
from tests.import_files import comma_export_utf8_bom, semicolon_export_cp1252, tab_export_iso

DEADLINE_MS = 60_000


def press(qtbot, widget, key=Qt.Key.Key_Space) -> None:
    widget.setFocus()
    qtbot.keyClick(widget, key)


def imported(services) -> list[str]:
    with services.ctx.db.read() as s:
        return sorted(s.scalars(select(Patient.external_id).where(
            Patient.external_source == "oldpm")))  # fmt: skip


def choose_kind(qtbot, dialog: ImportDialog, kind: str) -> None:
    """Down the "What the file holds" list by keyboard until ``kind`` is chosen."""
    dialog.kind.setFocus()
    for _ in range(dialog.kind.count()):
        if dialog.kind.currentData() == kind:
            return
        qtbot.keyClick(dialog.kind, Qt.Key.Key_Down)
    raise AssertionError(f"no {kind} in the list")


def type_path(qtbot, dialog: ImportDialog, path) -> None:
    dialog.path.setFocus()
    dialog.path.selectAll()
    qtbot.keyClicks(dialog.path, str(path))


def open_dialog(qtbot, services) -> ImportDialog:
    dialog = ImportDialog(services)
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog, timeout=DEADLINE_MS):
        dialog.show()
        dialog.activateWindow()
    dialog.source.selectAll()
    qtbot.keyClicks(dialog.source, "oldpm")
    return dialog


def column(model, col: int) -> list[str]:
    return [model.data(model.index(r, col)) for r in range(model.rowCount())]


def test_preview_dry_run_then_import_by_keyboard(qtbot, demo_services, sign_in_as, tmp_path):
    sign_in_as("admin")
    export = tmp_path / "old.txt"
    export.write_bytes(tab_export_iso())
    dialog = open_dialog(qtbot, demo_services)
    type_path(qtbot, dialog, export)
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
    assert column(model, 2) == ["create", "error", "error"]
    assert imported(demo_services) == []
    assert dialog.choice_box.isHidden()  # nobody on file matches

    qtbot.keyClicks(dialog.source, "2")  # an option changed: the dry run no longer holds
    assert not dialog.import_button.isEnabled()
    qtbot.keyClick(dialog.source, Qt.Key.Key_Backspace)
    press(qtbot, dialog.dry_run_button)
    qtbot.waitUntil(dialog.import_button.isEnabled, timeout=DEADLINE_MS)

    press(qtbot, dialog.import_button)
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("Imported:"), timeout=DEADLINE_MS)
    assert dialog.summary.text() == "Imported: 3 rows: 1 created, 2 refused."
    assert dialog.progress.value() == dialog.progress.maximum() == 3
    assert not dialog.import_button.isEnabled()
    assert imported(demo_services) == ["C1"]


def demo_people(services, count: int) -> list:
    with services.ctx.db.read() as s:
        return s.execute(select(Patient.id, Patient.last_name, Patient.first_name, Patient.dob)
                         .where(Patient.active.is_(True)).order_by(Patient.id).limit(count)).all()  # fmt: skip


def export_with_patients_on_file(services, path) -> list:
    """Three demo patients again (D1-D3), two new ones, one bad date; "AKA" is not recognised."""
    people = demo_people(services, 3)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Chart Number", "LName", "FName", "Birthdate", "AKA"])
        for n, person in enumerate(people, 1):
            writer.writerow([f"D{n}", person.last_name, person.first_name,
                             person.dob.isoformat(), ""])  # fmt: skip
        writer.writerow(["N1", "Quillfeather", "Ottoline", "1961-03-04", "Otti"])
        writer.writerow(["N2", "Quillfeather", "Bartholomew", "1962-05-06", ""])
        writer.writerow(["B1", "Baddate", "Bea", "2025-02-30", ""])
    return people


def edit_cell(qtbot, view, row: int, col: int, text: str) -> None:
    """Arrow keys to the cell, F2, type over, Enter: as staff edit a table."""
    view.setFocus()
    view.setCurrentIndex(view.model().index(0, col))
    for _ in range(row):
        qtbot.keyClick(view, Qt.Key.Key_Down)
    qtbot.keyClick(view, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.state() != view.State.EditingState, timeout=DEADLINE_MS)


def choose_row(qtbot, view, row: int, key: Qt.Key) -> None:
    """Arrow keys to the row; the choice's first letter opens it on that choice, Enter keeps it."""
    view.setFocus()
    view.setCurrentIndex(view.model().index(0, 0))
    for _ in range(row):
        qtbot.keyClick(view, Qt.Key.Key_Down)
    qtbot.keyClick(view, key)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QComboBox) and editor.parent() is view.viewport()
    qtbot.keyClick(editor, key)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=DEADLINE_MS)


def audit_since(services, first_id: int) -> list[AuditEvent]:
    with services.ctx.db.read() as s:
        entries = s.scalars(select(AuditEvent).where(AuditEvent.id > first_id)
                            .order_by(AuditEvent.id)).all()  # fmt: skip
        s.expunge_all()
    return entries


def test_the_whole_wizard_by_keyboard_with_a_choice_per_row(qtbot, demo_services, sign_in_as,
                                                             tmp_path):  # fmt: skip
    sign_in_as("admin")
    export = tmp_path / "old.csv"
    people = export_with_patients_on_file(demo_services, export)
    with demo_services.ctx.db.read() as s:
        last_audit = s.scalar(select(func.max(AuditEvent.id)))
    dialog = open_dialog(qtbot, demo_services)
    type_path(qtbot, dialog, export)
    qtbot.keyClick(dialog.path, Qt.Key.Key_Return)  # Enter previews
    qtbot.waitUntil(lambda: dialog.mapping_model.rowCount() == 5, timeout=DEADLINE_MS)
    assert "AKA" not in dialog.mapping_model.mapping()
    edit_cell(qtbot, dialog.mapping_view, 4, 1, "preferred_name")
    assert dialog.mapping_model.mapping()["AKA"] == "preferred_name"

    press(qtbot, dialog.dry_run_button)
    qtbot.waitUntil(dialog.import_button.isEnabled, timeout=DEADLINE_MS)
    assert "3 rows may be patients already on file" in dialog.summary.text()
    assert dialog.choice_box.isVisible()
    choices = dialog.choice_model
    assert column(choices, 1) == ["D1", "D2", "D3"]
    assert all(text.startswith("May already be registered") for text in column(choices, 2))
    assert "refused" in dialog.summary.text()
    outcomes = dict(zip(column(dialog.outcome_model, 1), column(dialog.outcome_model, 3),
                        strict=True))  # fmt: skip
    assert "Date of birth" in outcomes["7"] and "not a real date" in outcomes["7"]

    dialog.choice_for_all.setFocus()
    qtbot.keyClick(dialog.choice_for_all, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.choice_for_all, Qt.Key.Key_Down)
    press(qtbot, dialog.apply_all_button)
    assert choices.choices() == {2: "create", 3: "create", 4: "create"}
    choose_row(qtbot, dialog.choice_view, 0, Qt.Key.Key_L)
    choose_row(qtbot, dialog.choice_view, 1, Qt.Key.Key_S)
    assert choices.choices() == {2: "link", 3: "skip", 4: "create"}
    assert dialog.choice_summary.text() == ("The import will skip 1, link 1 and create 1 of "
                                            "these 3 rows.")  # fmt: skip
    assert dialog.import_button.isEnabled()  # choices are made on the dry run: it still holds
    press(qtbot, dialog.dry_run_button)  # a dry run again shows what the choices will do
    qtbot.waitUntil(dialog.import_button.isEnabled, timeout=DEADLINE_MS)
    assert column(dialog.outcome_model, 2)[:3] == ["link", "skip", "create"]
    assert choices.choices() == {2: "link", 3: "skip", 4: "create"}

    press(qtbot, dialog.import_button)
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("Imported:"), timeout=DEADLINE_MS)
    assert dialog.summary.text() == ("Imported: 6 rows: 3 created, 1 linked to records already "
                                     "on file, 1 skipped, 1 refused.")  # fmt: skip
    assert column(dialog.outcome_model, 2) == ["link", "skip", "create", "create", "create",
                                               "error"]  # fmt: skip
    with demo_services.ctx.db.read() as s:
        stored = {p.external_id: (p.id, p.preferred_name) for p in s.scalars(
            select(Patient).where(Patient.external_source == "oldpm"))}  # fmt: skip
    assert sorted(stored) == ["D1", "D3", "N1", "N2"]
    assert stored["D1"][0] == people[0].id  # linked: the record on file got the old ID
    assert stored["D3"][0] != people[2].id  # created anyway, as chosen
    assert stored["N1"][1] == "Otti"  # the column mapped by hand
    batches = [e for e in audit_since(demo_services, last_audit) if e.action == "import"]
    assert len(batches) == 1 and batches[0].entity == "import_patients"
    details = json.loads(batches[0].details)
    assert details["linked"] == [people[0].id]
    assert sorted(details["created"]) == sorted(stored[k][0] for k in ("D3", "N1", "N2"))
    assert (details["skipped"], details["refused"]) == (1, 1)
    assert "Quillfeather" not in batches[0].details

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # finished: Esc closes
    assert not dialog.isVisible()


def test_a_file_that_cannot_be_read_is_said_in_the_dialog(qtbot, demo_services, sign_in_as,
                                                          tmp_path):  # fmt: skip
    sign_in_as("admin")
    dialog = ImportDialog(demo_services)
    qtbot.addWidget(dialog)
    dialog.path.setText(str(tmp_path / "missing.csv"))
    press(qtbot, dialog.dry_run_button)
    qtbot.waitUntil(lambda: "Cannot read the file" in dialog.summary.text(), timeout=DEADLINE_MS)
    assert not dialog.import_button.isEnabled() and dialog.dry_run_button.isEnabled()
    dialog.path.clear()
    press(qtbot, dialog.preview_button)
    qtbot.waitUntil(lambda: dialog.summary.text() == "Choose the file first: type its path, or "
                    "Browse….", timeout=DEADLINE_MS)  # fmt: skip


def test_a_fhir_bundle_through_the_wizard_with_a_link_chosen(qtbot, demo_services, sign_in_as,
                                                             tmp_path):  # fmt: skip
    sign_in_as("admin")
    bundle = tmp_path / "from-other-clinic.json"
    demo_services.interchange.export_patient_fhir(1, bundle)
    dialog = open_dialog(qtbot, demo_services)
    choose_kind(qtbot, dialog, "fhir")
    assert dialog.preview_button.isHidden() and dialog.dry_run_button.isDefault()
    type_path(qtbot, dialog, bundle)
    qtbot.keyClick(dialog.path, Qt.Key.Key_Return)  # Enter makes the dry run of a FHIR file
    qtbot.waitUntil(dialog.import_button.isEnabled, timeout=DEADLINE_MS)
    assert dialog.mapping_model.rowCount() == 0
    assert column(dialog.choice_model, 2)[0].startswith("May already be registered")
    assert "MRN M100001" in column(dialog.choice_model, 2)[0]
    choose_row(qtbot, dialog.choice_view, 0, Qt.Key.Key_L)
    assert dialog.choice_model.choices() == {1: "link"}

    press(qtbot, dialog.import_button)
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("Imported:"), timeout=DEADLINE_MS)
    rows = list(zip(column(dialog.outcome_model, 0), column(dialog.outcome_model, 2),
                    strict=True))  # fmt: skip
    assert rows[0] == ("patients", "link")
    assert all(action != "error" for _kind, action in rows)
    with demo_services.ctx.db.read() as s:
        patient = s.get(Patient, 1)
        assert (patient.external_source, patient.external_id) == ("oldpm", patient.mrn)


def test_ndjson_with_bad_resources_shows_each_one_in_the_wizard(qtbot, services, tmp_path):
    lines = [
        {"resourceType": "Patient", "id": "a", "birthDate": "1980-02-30",
         "name": [{"family": "Doe", "given": ["Jan"]}]},
        {"resourceType": "Patient", "id": "b", "birthDate": "1980-02-03",
         "name": [{"given": ["NoFamily"]}]},
        {"resourceType": "Patient", "id": "c", "birthDate": "1980-02-03",
         "name": [{"family": "Roe", "given": ["Ann"]}]},
        {"resourceType": "Practitioner", "id": "p"},
    ]  # fmt: skip
    ndjson = tmp_path / "Patient.ndjson"
    ndjson.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    dialog = open_dialog(qtbot, services)
    choose_kind(qtbot, dialog, "fhir")
    type_path(qtbot, dialog, ndjson)
    press(qtbot, dialog.dry_run_button)
    qtbot.waitUntil(dialog.import_button.isEnabled, timeout=DEADLINE_MS)
    assert dialog.summary.text().startswith("Dry run: 3 rows would be: 1 created, 2 refused. "
                                            "Not imported (MA Desk does not take them): "
                                            "Practitioner 1.")  # fmt: skip
    why = dict(zip(column(dialog.outcome_model, 1), column(dialog.outcome_model, 3), strict=True))
    assert why == {"1": "Date of birth: 1980-02-30 is not a real date (check month and day).",
                   "2": "Last name is required.", "3": "New patient."}  # fmt: skip
    press(qtbot, dialog.import_button)
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("Imported:"), timeout=DEADLINE_MS)
    assert imported(services) == ["c"]


@pytest.mark.parametrize(("kind", "data", "message"), [
    ("patients", b"", "empty"),
    ("patients", b"PK\x03\x04\x00\x00binary\x00\x00", "binary"),
    ("fhir", b'{"hello": 1}', "not a FHIR resource or Bundle"),
])  # fmt: skip
def test_a_refused_file_says_why_and_cannot_be_imported(qtbot, services, tmp_path, kind, data,
                                                        message):  # fmt: skip
    bad = tmp_path / "bad.file"
    bad.write_bytes(data)
    dialog = open_dialog(qtbot, services)
    choose_kind(qtbot, dialog, kind)
    type_path(qtbot, dialog, bad)
    press(qtbot, dialog.dry_run_button)
    qtbot.waitUntil(lambda: message in dialog.summary.text(), timeout=DEADLINE_MS)
    assert not dialog.import_button.isEnabled() and dialog.dry_run_button.isEnabled()
    assert imported(services) == []


def test_changing_the_file_after_the_dry_run_drops_the_choices(qtbot, demo_services, sign_in_as,
                                                               tmp_path):  # fmt: skip
    sign_in_as("admin")
    export = tmp_path / "old.csv"
    export_with_patients_on_file(demo_services, export)
    dialog = open_dialog(qtbot, demo_services)
    type_path(qtbot, dialog, export)
    press(qtbot, dialog.dry_run_button)
    qtbot.waitUntil(dialog.import_button.isEnabled, timeout=DEADLINE_MS)
    choose_row(qtbot, dialog.choice_view, 0, Qt.Key.Key_L)
    export.write_bytes(export.read_bytes() + b"N9,Late,Row,1970-01-01,\r\n")  # changed on disk
    press(qtbot, dialog.import_button)
    qtbot.waitUntil(lambda: "Run the dry run first" in dialog.summary.text(), timeout=DEADLINE_MS)
    assert imported(demo_services) == []
    qtbot.keyClicks(dialog.path, " ")  # another file named: the choices and the report go
    assert dialog.choice_model.choices() == {} and dialog.choice_box.isHidden()
    assert dialog.outcome_model.rowCount() == 0
    assert dialog.summary.text() == "Changed since the dry run: make a new dry run."
    assert not dialog.import_button.isEnabled()


@pytest.mark.parametrize("make", [comma_export_utf8_bom, semicolon_export_cp1252])
def test_every_row_message_of_a_messy_export_is_in_the_wizard(qtbot, services, tmp_path, make):
    export = tmp_path / "messy.csv"
    export.write_bytes(make())
    expected = services.interchange.dry_run_csv("patients", make(), ImportOptions(source="oldpm"))
    dialog = open_dialog(qtbot, services)
    type_path(qtbot, dialog, export)
    press(qtbot, dialog.dry_run_button)
    qtbot.waitUntil(dialog.import_button.isEnabled, timeout=DEADLINE_MS)
    shown = list(zip(*(column(dialog.outcome_model, c) for c in range(4)), strict=True))
    assert shown == [(o.kind, str(o.line), o.action, o.message) for o in expected.outcomes]
    assert any("spreadsheet formula" in row[3] or "not a real date" in row[3] for row in shown)
    assert dialog.summary.text().startswith(f"Dry run: {expected.summary()}")


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(name=st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=45))
def test_whatever_is_typed_as_the_old_system_is_checked_or_refused(qtbot, services, tmp_path,
                                                                   name):  # fmt: skip
    export = tmp_path / "old.txt"
    export.write_bytes(tab_export_iso())
    dialog = ImportDialog(services)
    qtbot.addWidget(dialog)
    dialog.path.setText(str(export))
    dialog.source.setText(name)
    press(qtbot, dialog.dry_run_button)
    qtbot.waitUntil(dialog.dry_run_button.isEnabled, timeout=DEADLINE_MS)
    word = name.strip()
    if word and len(word) <= 40 and not any(ch.isspace() for ch in word):
        assert dialog.import_button.isEnabled(), dialog.summary.text()
    else:
        assert not dialog.import_button.isEnabled()
        assert dialog.summary.text().startswith("Name the old system in one word")
    dialog.close()


def test_columns_mapped_by_hand_are_saved_and_loaded_for_the_next_file(qtbot, services,
                                                                       tmp_path):  # fmt: skip
    export = tmp_path / "old.csv"
    export.write_text("Chart Number,LName,FName,Birthdate,AKA\nN1,Roe,Ann,1961-03-04,Annie\n")
    saved = tmp_path / "columns.json"
    dialog = open_dialog(qtbot, services)
    dialog.ask_mapping_path = lambda *, save: str(saved)
    type_path(qtbot, dialog, export)
    qtbot.keyClick(dialog.path, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.mapping_model.rowCount() == 5, timeout=DEADLINE_MS)
    edit_cell(qtbot, dialog.mapping_view, 4, 1, "preferred_name")
    press(qtbot, dialog.save_mapping_button)
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("Columns saved"), timeout=DEADLINE_MS)
    assert json.loads(saved.read_text()) == {"kind": "patients", "columns": {
        "Chart Number": "external_id", "LName": "last_name", "FName": "first_name",
        "Birthdate": "dob", "AKA": "preferred_name"}}  # fmt: skip
    assert saved.stat().st_mode & 0o777 == 0o600

    later = open_dialog(qtbot, services)
    later.ask_mapping_path = lambda *, save: str(saved)
    type_path(qtbot, later, export)
    press(qtbot, later.load_mapping_button)
    qtbot.waitUntil(lambda: later.mapping_model.rowCount() == 5, timeout=DEADLINE_MS)
    assert later.mapping_model.mapping()["AKA"] == "preferred_name"
    press(qtbot, later.dry_run_button)
    qtbot.waitUntil(later.import_button.isEnabled, timeout=DEADLINE_MS)

    saved.write_text("{not json")
    press(qtbot, later.load_mapping_button)
    qtbot.waitUntil(lambda: later.summary.text() == "The mapping file is not valid JSON.",
                    timeout=DEADLINE_MS)  # fmt: skip
    assert later.mapping_model.mapping()["AKA"] == "preferred_name"  # what was shown stays


MAPPING_REFUSALS = ("The mapping names fields that patients do not have",
                    "More than one column is mapped to", "No column of the file is mapped to")  # fmt: skip


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(typed=st.one_of(st.sampled_from(field_names("patients")),
                       st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30)))  # fmt: skip
def test_whatever_is_typed_as_a_column_s_field_is_checked_or_refused(qtbot, services, tmp_path,
                                                                     typed):  # fmt: skip
    export = tmp_path / "old.txt"
    export.write_bytes(tab_export_iso())
    dialog = ImportDialog(services)
    qtbot.addWidget(dialog)
    dialog.path.setText(str(export))
    dialog.source.setText("oldpm")
    press(qtbot, dialog.preview_button)
    qtbot.waitUntil(lambda: dialog.mapping_model.rowCount() == 7, timeout=DEADLINE_MS)
    before = dialog.mapping_model.mapping()
    assert dialog.mapping_model.setData(dialog.mapping_model.index(6, 1), typed)  # "Last Visit"
    press(qtbot, dialog.dry_run_button)
    qtbot.waitUntil(dialog.dry_run_button.isEnabled, timeout=DEADLINE_MS)
    field = typed.strip()
    if not field or (field in field_names("patients") and field not in before.values()):
        assert dialog.import_button.isEnabled(), dialog.summary.text()
    else:
        assert not dialog.import_button.isEnabled()
        assert dialog.summary.text().startswith(MAPPING_REFUSALS), dialog.summary.text()
    dialog.close()


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


def test_the_administrator_opens_the_wizard_from_the_menu(qtbot, demo_services, sign_in_as,
                                                          tmp_path):  # fmt: skip
    from ma_desk.ui.main_window import MainWindow

    sign_in_as("admin")
    window = MainWindow(demo_services, store_label="test store", settings_file=tmp_path / "w.ini")
    qtbot.addWidget(window)
    actions = window.interchange_actions
    assert actions.import_action.isEnabled()
    opened = []

    def close_it() -> None:
        dialog = QApplication.activeModalWidget()
        opened.append(dialog)
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)

    QTimer.singleShot(0, close_it)
    actions.import_action.trigger()  # modal until Esc
    assert isinstance(opened[0], ImportDialog)
    qtbot.waitUntil(lambda: not shiboken6.isValid(opened[0]), timeout=DEADLINE_MS)  # not kept
