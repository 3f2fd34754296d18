"""Printing from the app: the preview dialog, the Print menu and its dialogs, driven like staff."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter

from ma_desk.ui.common import dialogs as dialogs_module
from ma_desk.ui.main_window import MainWindow
from ma_desk.ui.printing.dialogs import EndOfDayDialog, LabelsDialog
from ma_desk.ui.printing.handouts import HandoutAdminDialog, HandoutPickerDialog
from ma_desk.ui.printing.preview import PdfPreviewDialog
from tests.conftest import NOW
from tests.report_helpers import pdf_text, summary_data


@pytest.fixture
def shown(monkeypatch):
    """Capture preview dialogs instead of running their modal loop."""
    opened: list[PdfPreviewDialog] = []

    def fake_exec(self):
        opened.append(self)
        return 0

    monkeypatch.setattr(PdfPreviewDialog, "exec", fake_exec)
    return opened


@pytest.fixture
def told(monkeypatch):
    messages: list[tuple[str, str]] = []
    monkeypatch.setattr(dialogs_module.dialogs, "info", lambda _p, t, m: messages.append((t, m)))
    monkeypatch.setattr(dialogs_module.dialogs, "warn", lambda _p, t, m: messages.append((t, m)))
    return messages


def _pdf() -> bytes:
    from ma_desk.reports.visit_summary import build_visit_summary

    return build_visit_summary(summary_data())


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_preview_prints_through_qprinter_and_saves_without_leftovers(qtbot, tmp_path, told):
    outputs: list[str] = []
    dialog = PdfPreviewDialog(_pdf(), title="After-visit summary", suggested_name="s.pdf",
                              on_output=outputs.append)  # fmt: skip
    qtbot.addWidget(dialog)
    assert dialog.document.pageCount() >= 1
    assert dialog.pages_label.text().endswith(("page", "pages"))

    printed = tmp_path / "printed.pdf"

    def fake_printer():
        printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(printed))
        return printer

    dialog.ask_printer = fake_printer
    qtbot.keyClick(dialog.print_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: outputs == ["print"], timeout=30_000)  # printed off the UI thread
    assert printed.exists()
    assert len(PdfReader(io.BytesIO(printed.read_bytes())).pages) == dialog.document.pageCount()

    saved = tmp_path / "copies" / "summary"
    saved.parent.mkdir()
    dialog.ask_save_path = lambda: str(saved)
    qtbot.keyClick(dialog.save_button, Qt.Key.Key_Space)
    assert "Rosa María Pérez" in pdf_text((saved.parent / "summary.pdf").read_bytes())
    assert _files(saved.parent) == {"summary.pdf"}  # no temp or partial files
    assert oct((saved.parent / "summary.pdf").stat().st_mode & 0o777) == "0o600"
    assert outputs == ["print", "save"] and not told

    dialog.ask_save_path = lambda: str(tmp_path / "missing-folder" / "x.pdf")
    assert dialog.save_now() is False and told  # refused with a message, nothing written
    dialog.reject()
    assert dialog.document.pageCount() == 0  # the document was dropped on close


def test_preview_cancelled_print_does_nothing(qtbot):
    outputs: list[str] = []
    dialog = PdfPreviewDialog(_pdf(), title="t", suggested_name="s.pdf", on_output=outputs.append)
    qtbot.addWidget(dialog)
    dialog.ask_printer = lambda: None
    assert dialog.print_now() is False and outputs == []


def test_preview_of_broken_bytes_disables_print(qtbot):
    dialog = PdfPreviewDialog(b"not a pdf", title="t", suggested_name="s.pdf")
    qtbot.addWidget(dialog)
    assert not dialog.print_button.isEnabled() and not dialog.save_button.isEnabled()


def make_window(qtbot, services, tmp_path) -> MainWindow:
    window = MainWindow(services, store_label="test store", settings_file=tmp_path / "w.ini")
    qtbot.addWidget(window)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    return window


def test_print_menu_lists_the_actions(qtbot, demo_services, tmp_path):
    window = make_window(qtbot, demo_services, tmp_path)
    menu = window.print_menu.menu
    texts = [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]
    assert texts == ["Visit summary", "Handout…", "Labels…", "End-of-day report…",
                     "Handout library…", "Export for patient (FHIR)…"]  # fmt: skip
    assert window.print_menu.visit_summary_action.shortcut().toString() == "Ctrl+P"


def test_ctrl_p_previews_the_selected_visit_summary(qtbot, demo_services, tmp_path, shown, told):
    window = make_window(qtbot, demo_services, tmp_path)
    qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert not shown and told and "Select a patient" in told[-1][1]
    row = next(r for r in demo_services.schedule.day(NOW.date()) if r.status == "checked_out")
    window.selection.select_appointment(row.id, row.patient_id)
    qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert len(shown) == 1
    last, first = row.patient_name.split(", ")
    document = shown[0].document
    assert document.pageCount() >= 1
    assert f"{first} {last}" in document.getAllText(0).text()


def test_patient_selected_without_appointment_uses_todays_visit(qtbot, demo_services, tmp_path,
                                                                shown):  # fmt: skip
    window = make_window(qtbot, demo_services, tmp_path)
    row = next(r for r in demo_services.schedule.day(NOW.date()) if r.visit_id)
    window.selection.select_patient(row.patient_id)
    target = window.print_menu.target()
    assert target is not None and target.visit_id is not None


def test_handout_picker_defaults_to_spanish_and_records_on_print(qtbot, demo_services, shown):
    row = next(r for r in demo_services.schedule.day(NOW.date()) if r.status == "checked_out")
    dialog = HandoutPickerDialog(demo_services, row.visit_id, row.patient_name, "Spanish")
    qtbot.addWidget(dialog)
    assert dialog.language.currentData() == "es"
    before = len(demo_services.handouts.given_on_visit(row.visit_id))
    qtbot.keyClick(dialog.preview_button, Qt.Key.Key_Space)
    assert not shown and "at least one" in dialog.message.text()
    dialog.select_slugs(["fever-in-children"])
    qtbot.keyClick(dialog.preview_button, Qt.Key.Key_Space)
    assert len(shown) == 1
    assert "La fiebre en los niños" in shown[0].document.getAllText(0).text()
    assert len(demo_services.handouts.given_on_visit(row.visit_id)) == before
    shown[0]._output("print")  # what Print does after the printer accepted the pages
    given = demo_services.handouts.given_on_visit(row.visit_id)
    assert len(given) == before + 1 and given[-1][1] == "La fiebre en los niños"
    assert "La fiebre en los niños" in dialog.given.text()

    dialog.language.setCurrentIndex(dialog.language.findData("both"))
    assert len(dialog.chosen_ids()) == 2


def test_handout_admin_typing_saves_and_errors_show_next_to_fields(qtbot, services, shown):
    dialog = HandoutAdminDialog(services)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.findChild(type(dialog.save_button), "handout_install"),
                     Qt.MouseButton.LeftButton)  # fmt: skip
    assert dialog.model.rowCount() == 10
    dialog.new_handout()
    qtbot.keyClicks(dialog.slug, "Bad Slug")
    qtbot.keyClicks(dialog.title, "Eating less salt")
    qtbot.keyClicks(dialog.body, "## Why")
    qtbot.keyClick(dialog.body, Qt.Key.Key_Return)
    qtbot.keyClicks(dialog.body, "- Salt raises blood pressure")
    qtbot.keyClick(dialog.save_button, Qt.Key.Key_Space)
    assert dialog.messages["slug"].isVisible() and dialog.model.rowCount() == 10
    dialog.slug.clear()
    qtbot.keyClicks(dialog.slug, "low-salt")
    qtbot.keyClick(dialog.save_button, Qt.Key.Key_Space)
    assert not dialog.messages["slug"].isVisible()
    assert dialog.model.rowCount() == 11
    saved = [h for h in services.handouts.list() if h.slug == "low-salt"]
    assert saved and saved[0].body.startswith("## Why")
    dialog.preview()
    assert len(shown) == 1 and "Sample Patient" in shown[0].document.getAllText(0).text()


def test_labels_dialog_builds_specimen_labels(qtbot, demo_services, shown):
    row = next(r for r in demo_services.schedule.day(NOW.date()) if r.status == "checked_out")
    dialog = LabelsDialog(demo_services, visit_id=row.visit_id, patient_id=row.patient_id,
                          patient_name=row.patient_name)  # fmt: skip
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentIndex(dialog.kind.findData("specimen"))
    qtbot.keyClick(dialog.preview_button, Qt.Key.Key_Space)
    assert not shown and "specimen" in dialog.message.text().lower()
    qtbot.keyClicks(dialog.specimens, "Blood, lavender top")
    dialog.layout_choice.setCurrentIndex(dialog.layout_choice.findData("roll"))
    assert not dialog.start.isEnabled()
    qtbot.keyClick(dialog.preview_button, Qt.Key.Key_Space)
    assert len(shown) == 1
    assert f"-{row.visit_id}-1" in shown[0].document.getAllText(0).text()


def test_end_of_day_dialog_saves_csv_and_previews_pdf(qtbot, demo_services, tmp_path, shown, told):
    dialog = EndOfDayDialog(demo_services)
    qtbot.addWidget(dialog)
    assert dialog.chosen_day() == NOW.date()
    target = tmp_path / "eod"
    dialog.ask_csv_path = lambda: str(target)
    assert dialog.save_csv()
    rows = list(csv.DictReader(io.StringIO((tmp_path / "eod.csv").read_text("utf-8-sig"))))
    assert len(rows) == len(demo_services.schedule.day(NOW.date()))
    qtbot.keyClick(dialog.pdf_button, Qt.Key.Key_Space)
    assert not dialog.pdf_button.isEnabled()  # built on a worker thread meanwhile
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=30_000)
    assert "End-of-Day Report" in shown[0].document.getAllText(0).text()
    assert dialog.pdf_button.isEnabled() and dialog.message.text() == ""


def test_end_of_day_dialog_shows_refusals_from_the_worker(qtbot, demo_services, shown):
    from ma_desk.actor import Actor

    dialog = EndOfDayDialog(demo_services)
    qtbot.addWidget(dialog)
    demo_services.set_actor(Actor(None, "doc", "Doc", "provider", "ws"))
    qtbot.keyClick(dialog.pdf_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dialog.pdf_button.isEnabled(), timeout=30_000)
    assert not shown and "does not allow" in dialog.message.text()
