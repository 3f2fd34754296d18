"""The Insurance tab driven like the desk uses it: typing, clicking, keyboard."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QFileDialog

from ma_desk.services.insurance_rules import CoverageInput
from ma_desk.services.patients import PatientInput
from ma_desk.ui.common.dialogs import dialogs
from ma_desk.ui.insurance import common
from ma_desk.ui.insurance.cards import CardViewer
from ma_desk.ui.insurance.coverage_dialog import CoverageDialog
from ma_desk.ui.insurance.forms import EndDateDialog, NoteDialog, VerifyDialog
from ma_desk.ui.insurance.panels import NoteHistoryDialog
from ma_desk.ui.insurance.tab import InsuranceTab
from ma_desk.ui.selection import Selection
from tests.test_insurance_service import tiny_png

MARKER = b"CARD-MARKER-7f3a9c-do-not-leak"


class DialogDriver:
    """Stands in for ``run_dialog``: each queued handler answers the next dialog."""

    def __init__(self) -> None:
        self.handlers: list[Callable[[QDialog], bool]] = []
        self.seen: list[str] = []

    def queue(self, *handlers: Callable[[QDialog], bool]) -> None:
        self.handlers.extend(handlers)

    def __call__(self, dialog: QDialog) -> bool:
        self.seen.append(type(dialog).__name__)
        assert self.handlers, f"unexpected dialog {type(dialog).__name__}"
        return self.handlers.pop(0)(dialog)


@pytest.fixture
def driver(monkeypatch) -> DialogDriver:
    d = DialogDriver()
    monkeypatch.setattr(common, "run_dialog", d)
    monkeypatch.setattr(dialogs, "confirm", lambda *a: True)
    warnings: list[str] = []
    monkeypatch.setattr(dialogs, "warn", lambda _p, _t, text: warnings.append(text))
    d.warnings = warnings  # type: ignore[attr-defined]
    return d


@pytest.fixture
def tab(qtbot, services):
    pid = services.patients.register(
        PatientInput(first_name="Robin", last_name="Sample", dob="07/14/1975")
    ).id
    selection = Selection()
    widget = InsuranceTab(services, selection)
    qtbot.addWidget(widget)
    widget.resize(1400, 900)
    widget.show()
    selection.select_patient(pid)
    widget.patient_id_for_test = pid
    return widget


def type_into(qtbot, widget, text: str) -> None:
    widget.setFocus()
    widget.clear() if hasattr(widget, "clear") else None
    qtbot.keyClicks(widget, text)


def save(dialog) -> bool:
    dialog.save_button.click()
    return dialog.result() == QDialog.DialogCode.Accepted


def fill_coverage(qtbot, payer: str, member: str, *, bad_member: str = ""):
    def handler(dialog: CoverageDialog) -> bool:
        assert isinstance(dialog, CoverageDialog)
        type_into(qtbot, dialog.payer, payer)
        type_into(qtbot, dialog.effective_date, "01/01/2025")
        type_into(qtbot, dialog.default_copay, "30")
        if bad_member:
            type_into(qtbot, dialog.member_id, bad_member)
            assert not save(dialog)
            message = dialog.messages["member_id"]
            assert not message.isHidden() and "letters and digits" in message.text()
        type_into(qtbot, dialog.member_id, member)
        return save(dialog)

    return handler


def test_add_verify_reorder_end_date_with_notes_and_card(qtbot, tab, driver, services, tmp_path):
    pid = tab.patient_id_for_test
    driver.queue(fill_coverage(qtbot, "Demo Health", "DH100", bad_member="DH/100"))
    qtbot.mouseClick(tab.actions["add"], Qt.MouseButton.LeftButton)
    driver.queue(fill_coverage(qtbot, "Demo Dental", "DD200"))
    qtbot.mouseClick(tab.actions["add"], Qt.MouseButton.LeftButton)
    rows = services.insurance.coverages(pid)
    assert [(r.payer, r.priority_label, r.member_id) for r in rows] == [
        ("Demo Health", "Primary", "DH100"),
        ("Demo Dental", "Secondary", "DD200"),
    ]
    assert tab.model.rowCount() == 2
    assert "Insurance never verified" in tab.banner.alert_label.text()

    # Verify the primary by phone: the reference number is required.
    tab.table.selectRow(0)

    def verify(dialog: VerifyDialog) -> bool:
        dialog.method.setCurrentIndex(dialog.method.findData("phone"))
        assert not save(dialog)
        assert "reference" in dialog.messages["reference"].text()
        type_into(qtbot, dialog.reference, "CALL-778")
        type_into(qtbot, dialog.notes, "Active, copay $30")
        return save(dialog)

    driver.queue(verify)
    qtbot.mouseClick(tab.actions["verify"], Qt.MouseButton.LeftButton)
    log = services.insurance.verification_log(rows[0].id)
    assert [(e.method, e.reference, e.result) for e in log] == [("phone", "CALL-778", "active")]
    assert tab.checks.model.rowCount() == 1
    assert tab.current().last_reference == "CALL-778"

    # Reorder from the keyboard: Ctrl+Up on the secondary makes it primary.
    tab.table.selectRow(1)
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert [r.payer for r in services.insurance.coverages(pid)] == ["Demo Dental", "Demo Health"]
    assert tab.current().payer == "Demo Dental"
    qtbot.mouseClick(tab.actions["up"], Qt.MouseButton.LeftButton)  # disabled: already primary
    assert [r.payer for r in services.insurance.coverages(pid)] == ["Demo Dental", "Demo Health"]

    # A note about the dental coverage, then a correction that keeps the old text.
    def note(dialog: NoteDialog) -> bool:
        assert dialog.about.currentData() == tab.current().id
        type_into(qtbot, dialog.text, "Called payer: dental is secondary only")
        return save(dialog)

    driver.queue(note)
    qtbot.mouseClick(tab.notes.buttons["notes_add"], Qt.MouseButton.LeftButton)

    def correction(dialog: NoteDialog) -> bool:
        type_into(qtbot, dialog.text, "Called payer: dental plan is primary for dental visits")
        return save(dialog)

    tab.notes.table.selectRow(0)
    driver.queue(correction)
    qtbot.mouseClick(tab.notes.buttons["notes_edit"], Qt.MouseButton.LeftButton)
    notes = services.insurance.notes(pid)
    assert len(notes) == 1 and notes[0].edited
    assert tab.notes.model.rowCount() == 1
    tab.notes.table.selectRow(0)

    def history(dialog: NoteHistoryDialog) -> bool:
        assert isinstance(dialog, NoteHistoryDialog)
        assert dialog.model.rowCount() == 2
        assert "secondary only" in dialog.model.row_at(0).text
        return True

    driver.queue(history)
    qtbot.mouseClick(tab.notes.buttons["notes_history"], Qt.MouseButton.LeftButton)
    qtbot.keyClicks(tab.notes.search, "primary dental")
    assert tab.notes.model.rowCount() == 1
    tab.notes.search.clear()
    qtbot.keyClicks(tab.notes.search, "medicare")
    assert tab.notes.model.rowCount() == 0
    tab.notes.search.clear()

    # Card front from a file, stored in the store and shown as a thumbnail.
    card = tmp_path / "card-front.png"
    card.write_bytes(tiny_png(MARKER))
    original_open = QFileDialog.getOpenFileName
    QFileDialog.getOpenFileName = staticmethod(lambda *a, **k: (str(card), ""))  # type: ignore
    try:
        qtbot.mouseClick(tab.cards.buttons["front_file"], Qt.MouseButton.LeftButton)
    finally:
        QFileDialog.getOpenFileName = original_open  # type: ignore
    assert card.exists()  # an ordinary file is the user's; only scanner files are removed
    dental = services.insurance.coverages(pid)[0]
    assert dental.has_card_front
    assert services.insurance.card_image(dental.id, "front").data == tiny_png(MARKER)
    assert tab.cards.thumbs["front"].pixmap() is not None
    assert not tab.cards.thumbs["front"].pixmap().isNull()

    # View, then print to a PDF in the temp dir (deleted afterwards).
    pdf = tmp_path / "card.pdf"

    def viewer(dialog: CardViewer) -> bool:
        assert isinstance(dialog, CardViewer)
        driver.queue(printer)
        dialog.print_button.click()
        return True

    def printer(dialog: QPrintDialog) -> bool:
        assert isinstance(dialog, QPrintDialog)
        dialog.printer().setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        dialog.printer().setOutputFileName(str(pdf))
        return True

    driver.queue(viewer)
    qtbot.mouseClick(tab.cards.view_button, Qt.MouseButton.LeftButton)
    assert len(PdfReader(str(pdf)).pages) == 1
    pdf.unlink()

    # End-date the (now secondary) health plan: a bad date is refused next to the field.
    tab.table.selectRow(1)
    assert tab.current().payer == "Demo Health"

    def end(dialog: EndDateDialog) -> bool:
        type_into(qtbot, dialog.end_date, "12/31/2024")
        assert not save(dialog)
        assert "before the coverage started" in dialog.messages["end_date"].text()
        type_into(qtbot, dialog.end_date, "10/31/2026")
        return save(dialog)

    driver.queue(end)
    qtbot.mouseClick(tab.actions["end"], Qt.MouseButton.LeftButton)
    assert [r.payer for r in services.insurance.coverages(pid)] == ["Demo Dental"]
    assert tab.show_ended.isChecked() and tab.model.rowCount() == 2
    ended = [r for r in tab.model.rows() if r.payer == "Demo Health"][0]
    assert ended.end_date.isoformat() == "2026-10-31"
    assert driver.warnings == []
    assert driver.handlers == []


def test_a_second_primary_is_refused_next_to_the_order(qtbot, tab, driver, services):
    pid = tab.patient_id_for_test
    services.insurance.add_coverage(pid, CoverageInput(payer="A", member_id="A1"))
    tab.reload()

    def second(dialog: CoverageDialog) -> bool:
        dialog.priority.setCurrentIndex(0)
        type_into(qtbot, dialog.payer, "B")
        type_into(qtbot, dialog.member_id, "B1")
        assert not save(dialog)
        assert "Only one primary" in dialog.messages["priority"].text()
        dialog.reject()
        return False

    driver.queue(second)
    qtbot.mouseClick(tab.actions["add"], Qt.MouseButton.LeftButton)
    assert [r.payer for r in services.insurance.coverages(pid)] == ["A"]


def test_scanner_import_from_folder(qtbot, tab, driver, services, tmp_path):
    pid = tab.patient_id_for_test
    services.insurance.add_coverage(pid, CoverageInput(payer="A", member_id="A1"))
    tab.reload()
    scans = tmp_path / "scans"
    scans.mkdir()
    scan = scans / "scan0001.jpg"
    scan.write_bytes(tiny_png(b"back"))  # scanners lie about extensions; content decides
    tab.cards.scanner_folder = scans
    qtbot.mouseClick(tab.cards.buttons["back_scan"], Qt.MouseButton.LeftButton)
    assert not scan.exists()
    assert services.insurance.coverages(pid)[0].has_card_back


def test_card_image_is_not_readable_in_the_raw_store(qtbot, tab, driver, services, store):
    pid = tab.patient_id_for_test
    row = services.insurance.add_coverage(pid, CoverageInput(payer="A", member_id="A1"))
    services.insurance.set_card_image(row.id, "front", tiny_png(MARKER))
    assert MARKER in services.insurance.card_image(row.id, "front").data
    path = Path(store.db.path)
    raw = path.read_bytes()
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        raw += wal.read_bytes()
    assert len(raw) > 4096
    assert MARKER not in raw
    assert b"\x89PNG" not in raw
    assert not raw.startswith(b"SQLite format 3")


def test_stale_verification_flag_on_the_demo_clinic(qtbot, demo_services, clock):
    services = demo_services
    stale_days = services.settings.get().verification_stale_days
    patient = None
    for pid in range(1, 300):
        rows = services.insurance.coverages(pid)
        if rows and rows[0].last_verified_at and rows[0].is_stale(clock.now(), stale_days):
            patient = pid
            break
    assert patient is not None
    selection = Selection()
    tab = InsuranceTab(services, selection)
    qtbot.addWidget(tab)
    selection.select_patient(patient)
    assert "Insurance last verified" in tab.banner.alert_label.text()
    attention = tab.model.index(0, tab.model.columnCount() - 1)
    assert tab.model.data(attention).startswith("Verification stale")
    assert tab.model.data(attention, Qt.ItemDataRole.BackgroundRole) is not None


def test_models_pass_qt_model_checks(qtbot, qtmodeltester, demo_services):
    selection = Selection()
    tab = InsuranceTab(demo_services, selection)
    qtbot.addWidget(tab)
    ins = demo_services.insurance
    pid = next(
        p
        for p in range(1, 300)
        if ins.prior_auths(p) and ins.notes(p) and ins.coverages(p)[0].last_verified_at
    )
    selection.select_patient(pid)
    for model in (tab.model, tab.checks.model, tab.notes.model, tab.auths.model):
        assert model.rowCount() > 0
        qtmodeltester.check(model)


def test_prior_authorization_added_refused_and_used(qtbot, tab, driver, services):
    pid = tab.patient_id_for_test
    services.insurance.add_coverage(pid, CoverageInput(payer="Demo Health", member_id="A1"))
    tab.reload()
    tab.pages.setCurrentWidget(tab.auths)

    def add(dialog) -> bool:
        assert dialog.coverage.currentText() == "Primary: Demo Health"
        type_into(qtbot, dialog.service_name, "Physical therapy")
        type_into(qtbot, dialog.auth_number, "PA-555")
        type_into(qtbot, dialog.units_approved, "2")
        type_into(qtbot, dialog.start_date, "11/30/2026")
        type_into(qtbot, dialog.end_date, "11/01/2026")
        assert not save(dialog)
        assert "before the start" in dialog.messages["end_date"].text()
        type_into(qtbot, dialog.start_date, "11/01/2026")
        type_into(qtbot, dialog.end_date, "12/31/2026")
        return save(dialog)

    driver.queue(add)
    qtbot.mouseClick(tab.auths.buttons["auth_add"], Qt.MouseButton.LeftButton)
    [auth] = services.insurance.prior_auths(pid)
    assert (auth.payer, auth.units_approved, auth.flag) == ("Demo Health", 2, "")
    tab.auths.table.selectRow(0)
    qtbot.mouseClick(tab.auths.buttons["auth_use"], Qt.MouseButton.LeftButton)
    assert tab.auths.model.row_at(0).flag == "1 unit left"
    assert "1 authorization needs attention" in tab.banner.alert_label.text()
    tab.auths.table.selectRow(0)
    qtbot.mouseClick(tab.auths.buttons["auth_use"], Qt.MouseButton.LeftButton)
    tab.auths.table.selectRow(0)
    qtbot.mouseClick(tab.auths.buttons["auth_use"], Qt.MouseButton.LeftButton)
    assert driver.warnings == ["Only 0 of 2 approved units are left."]
    assert services.insurance.prior_auths(pid)[0].flag == "Exhausted: all units used"


def test_remove_entered_in_error_and_read_only_role(qtbot, tab, driver, services):
    from ma_desk.actor import Actor
    from ma_desk.ui.insurance.forms import RemoveCoverageDialog

    pid = tab.patient_id_for_test
    services.insurance.add_coverage(pid, CoverageInput(payer="Wrong", member_id="W1"))
    tab.reload()

    def remove(dialog: RemoveCoverageDialog) -> bool:
        assert not save(dialog)  # a reason is required
        type_into(qtbot, dialog.reason, "Belongs to the patient's brother")
        return save(dialog)

    driver.queue(remove)
    qtbot.mouseClick(tab.actions["remove"], Qt.MouseButton.LeftButton)
    assert services.insurance.coverages(pid, include_ended=True) == []
    assert "No current insurance" in tab.banner.alert_label.text()

    services.set_actor(Actor(None, "doc", "Dr Demo", "provider", "ws"))

    def note(dialog: NoteDialog) -> bool:
        type_into(qtbot, dialog.text, "Provider note")
        assert not save(dialog)
        assert "does not allow" in dialog.general_message.text()
        dialog.reject()
        return False

    driver.queue(note)
    qtbot.mouseClick(tab.notes.buttons["notes_add"], Qt.MouseButton.LeftButton)
    assert services.insurance.notes(pid) == []
