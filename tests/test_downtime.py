"""The downtime copy: today's schedule and face sheets, encrypted, read-only, printable,
taken from a real clinic server and opened while that server is down."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from ma_desk import downtime
from ma_desk.actor import Actor
from ma_desk.cli import main
from ma_desk.db import keys
from ma_desk.db.engine import connect_raw
from ma_desk.db.models import Appointment, AuditEvent, Patient
from ma_desk.errors import KeyUnavailableError, NotFoundError, ServerUnavailableError, WrongKeyError
from ma_desk.reports.downtime import face_sheet_pdf, schedule_pdf
from ma_desk.services import Services
from tests.conftest import NOW, PASSPHRASE
from tests.report_helpers import pdf_text, squash

TODAY = NOW.date()


@pytest.fixture
def server(pg_database, clock) -> Services:
    return Services(pg_database("demo"), clock, actor=Actor.system())


@pytest.fixture
def workstation(tmp_path) -> Path:
    return tmp_path / "workstation"


@pytest.fixture
def key(workstation, memory_keyring) -> keys.StoreKey:
    return downtime.downtime_key(workstation)


def booked_today(services: Services) -> tuple[set[int], set[int]]:
    """(appointment ids, patient ids) the copy should hold: today's, not cancelled."""
    start = dt.datetime.combine(TODAY, dt.time())
    with services.ctx.db.read() as s:
        rows = s.execute(
            select(Appointment.id, Appointment.patient_id)
            .where(Appointment.start >= start, Appointment.start < start + dt.timedelta(days=1))
            .where(Appointment.status.not_in(downtime.LEFT_OUT))
        ).all()  # fmt: skip
    return {a for a, _ in rows}, {p for _, p in rows}


def test_the_copy_holds_todays_schedule_and_those_patients_only(server, workstation, key):
    count = downtime.take_snapshot(server, workstation, key)
    snapshot = downtime.open_snapshot(workstation, key)
    appointments, patients = booked_today(server)
    assert count == len(patients) > 10
    assert len(snapshot.schedule) == len(appointments)
    assert {line.patient_ref for line in snapshot.schedule} == patients
    assert set(snapshot.face_sheets) == patients  # no one who is not booked today
    assert snapshot.day == TODAY and snapshot.clinic_name == server.settings.get().clinic_name
    assert [line.start for line in snapshot.schedule] == sorted(x.start for x in snapshot.schedule)
    with server.ctx.db.read() as s:
        someone = s.get(Patient, next(iter(patients)))
        sheet = snapshot.face_sheet(someone.id)
        assert (sheet.mrn, sheet.dob, sheet.allergies) == (someone.mrn, someone.dob,
                                                           someone.allergies)  # fmt: skip
        assert len(sheet.insurance) == sum(1 for c in someone.coverages if c.active)
    with pytest.raises(NotFoundError, match="not in the downtime copy"):
        snapshot.face_sheet(-1)


def test_the_copy_keeps_nothing_more_than_it_needs(server, workstation, key):
    downtime.take_snapshot(server, workstation, key)
    conn = connect_raw(downtime.snapshot_path(workstation), key, read_only=True)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        sheet = json.loads(conn.execute("SELECT sheet FROM face_sheets LIMIT 1").fetchone()[0])
    finally:
        conn.close()
    assert tables == {"meta", "schedule", "face_sheets"}
    assert set(sheet) == {f.name for f in downtime.FaceSheet.__dataclass_fields__.values()}
    assert not {"email", "card_front", "card_back", "notes", "vitals"} & set(sheet)


def test_the_copy_is_encrypted_on_disk(server, workstation, key):
    downtime.take_snapshot(server, workstation, key)
    data = downtime.snapshot_path(workstation).read_bytes()
    assert not data.startswith(b"SQLite format 3")
    with server.ctx.db.read() as s:
        people = s.execute(select(Patient.last_name, Patient.mrn).limit(50)).all()
    for last_name, mrn in people:
        assert last_name.encode() not in data and mrn.encode() not in data
    files = {p.name for p in downtime.folder(workstation).iterdir()}
    assert files == {"today.db", "openings.db", "keyinfo.json"}  # no temp file, -wal or -shm
    log = (downtime.folder(workstation) / "openings.db").read_bytes()
    assert not log.startswith(b"SQLite format 3")


def test_the_copy_opens_read_only_and_reading_changes_nothing(server, workstation, key):
    downtime.take_snapshot(server, workstation, key)
    path = downtime.snapshot_path(workstation)
    before = path.read_bytes()
    downtime.open_snapshot(workstation, key)
    conn = connect_raw(path, key, read_only=True)
    try:
        with pytest.raises(Exception, match="readonly|read-only|read only"):
            conn.execute("DELETE FROM schedule")
    finally:
        conn.close()
    assert path.read_bytes() == before


def test_a_wrong_key_does_not_open_it(server, workstation, key):
    downtime.take_snapshot(server, workstation, key)
    with pytest.raises(WrongKeyError):
        downtime.open_snapshot(workstation, keys.StoreKey(b"\x01" * 32, "keyring"))


def test_the_passphrase_path_when_the_computer_has_no_keyring(server, workstation, monkeypatch):
    with pytest.raises(KeyUnavailableError):
        downtime.downtime_key(workstation)  # no keyring, no passphrase: said, not guessed
    monkeypatch.setenv(keys.PASSPHRASE_ENV, PASSPHRASE)
    key = downtime.downtime_key(workstation)
    assert key.source == keys.SOURCE_PASSPHRASE
    downtime.take_snapshot(server, workstation, key)
    again = downtime.downtime_key(workstation)  # found from downtime/keyinfo.json
    assert len(downtime.open_snapshot(workstation, again).schedule) > 0


def test_a_dead_server_leaves_the_last_copy_in_place(server, workstation, key, pg_cluster):
    downtime.take_snapshot(server, workstation, key)
    before = downtime.snapshot_path(workstation).read_bytes()
    server.ctx.db.engine.dispose()
    pg_cluster.stop()
    try:
        with pytest.raises(ServerUnavailableError):
            downtime.take_snapshot(server, workstation, key)
    finally:
        pg_cluster.start()
    assert downtime.snapshot_path(workstation).read_bytes() == before
    assert len(downtime.open_snapshot(workstation, key).schedule) > 0


def test_no_copy_yet_is_said_in_words(workstation, key):
    with pytest.raises(NotFoundError, match="no downtime copy yet"):
        downtime.open_snapshot(workstation, key)


def test_openings_are_logged_locally_then_sent_to_the_server_trail(server, workstation, key):
    downtime.take_snapshot(server, workstation, key)
    ref = next(iter(booked_today(server)[1]))
    at = NOW + dt.timedelta(minutes=20)
    downtime.log_opening(workstation, key, "ma", "schedule", at)
    downtime.log_opening(workstation, key, "ma", f"face sheet {ref}", at)
    assert [row[2:] for row in downtime.pending_openings(workstation, key)] == [
        ("ma", "schedule"), ("ma", f"face sheet {ref}")]  # fmt: skip
    downtime.take_snapshot(server, workstation, key)  # the server is back
    assert downtime.pending_openings(workstation, key) == []
    with server.ctx.db.read() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "downtime_open")).all()
    assert [(e.username, e.patient_id) for e in events] == [("ma", None), ("ma", ref)]
    assert all(e.workstation.endswith("(downtime)") for e in events)
    assert server.audit_log.verify().intact


def test_the_schedule_and_a_face_sheet_print(server, workstation, key):
    downtime.take_snapshot(server, workstation, key)
    snapshot = downtime.open_snapshot(workstation, key)
    printed = squash(pdf_text(schedule_pdf(snapshot)))
    assert "DOWNTIME" in printed.upper()
    assert all(line.mrn in printed for line in snapshot.schedule)
    sheet = next(iter(snapshot.face_sheets.values()))
    face = squash(pdf_text(face_sheet_pdf(snapshot, sheet)))
    assert sheet.mrn in face and squash(sheet.name) in face


# ------------------------------------------------------------------ the CLI
def test_ma_desk_downtime_lists_and_prints_without_the_server(
    server, workstation, key, tmp_path, capsys
):
    downtime.take_snapshot(server, workstation, key)
    snapshot = downtime.open_snapshot(workstation, key)
    sheet = next(iter(snapshot.face_sheets.values()))
    assert main(["downtime", "--data-dir", str(workstation)]) == 0
    out = capsys.readouterr().out
    assert "DOWNTIME COPY" in out and snapshot.schedule[0].mrn in out
    pdf = tmp_path / "schedule.pdf"
    assert main(["downtime", "--data-dir", str(workstation), "--print-schedule", str(pdf)]) == 0
    assert snapshot.schedule[0].mrn in squash(pdf_text(pdf.read_bytes()))
    face = tmp_path / "face.pdf"
    assert main(["downtime", "--data-dir", str(workstation), "--face-sheet", sheet.mrn,
                 "--out", str(face)]) == 0  # fmt: skip
    assert sheet.mrn in squash(pdf_text(face.read_bytes()))
    missing = ["downtime", "--data-dir", str(workstation), "--face-sheet", "NO-SUCH", "--out",
               str(tmp_path / "none.pdf")]  # fmt: skip
    assert main(missing) != 0
    assert "not in the downtime copy" in capsys.readouterr().err
    assert len(downtime.pending_openings(workstation, key)) == 4
    assert not (tmp_path / "none.pdf").exists()  # each opening noted


# ------------------------------------------------------------------ the window, server down
def test_the_banner_opens_the_copy_while_the_server_is_down(
    qtbot, server, workstation, memory_keyring, pg_cluster, tmp_path, monkeypatch
):
    from PySide6.QtCore import Qt

    from ma_desk.security.demo_accounts import DEMO_PASSWORD
    from ma_desk.ui.downtime_view import DowntimeDialog, install_downtime_copies
    from ma_desk.ui.main_window import MainWindow
    from ma_desk.ui.printing import preview

    printed: list[str] = []
    monkeypatch.setattr(preview.PdfPreviewDialog, "exec",
                        lambda dialog: printed.append(dialog.windowTitle()) or 0)  # fmt: skip
    server.accounts.sign_in("ma", DEMO_PASSWORD)
    window = MainWindow(server, store_label="clinic server", settings_file=tmp_path / "w.ini")
    qtbot.addWidget(window)
    window.show()
    copies = install_downtime_copies(window, server, workstation)
    assert copies is not None
    copies.take_now()  # the timer's work, now
    qtbot.waitUntil(lambda: not copies.running, timeout=30_000)
    assert copies.last_error is None and downtime.snapshot_path(workstation).exists()
    qtbot.waitUntil(window.live.listener.connected.is_set, timeout=10_000)
    pg_cluster.stop()
    try:
        qtbot.waitUntil(window.server_banner.isVisible, timeout=15_000)
        copies.take_now()  # a copy attempted during the outage fails quietly
        qtbot.waitUntil(lambda: not copies.running, timeout=30_000)
        assert isinstance(copies.last_error, ServerUnavailableError)
        button = window.server_banner.downtime_button
        button.setFocus()
        qtbot.keyClick(button, Qt.Key.Key_Space)
        dialog = window.findChild(DowntimeDialog)
        assert dialog is not None and dialog.model.rowCount() > 10
        qtbot.keyClick(dialog.table, Qt.Key.Key_Down)
        sheet = dialog.current_sheet()
        assert sheet is not None and sheet.mrn in dialog.sheet.toPlainText()
        dialog.print_schedule_button.setFocus()
        qtbot.keyClick(dialog.print_schedule_button, Qt.Key.Key_Space)
        dialog.print_sheet_button.setFocus()
        qtbot.keyClick(dialog.print_sheet_button, Qt.Key.Key_Space)
        assert len(printed) == 2
        whats = [row[3] for row in downtime.pending_openings(workstation, copies.key)]
        assert whats[0] == "schedule" and f"face sheet {sheet.patient_ref}" in whats
        assert len(whats) == len(set(whats))  # each thing shown, logged once
        assert {row[2] for row in downtime.pending_openings(workstation, copies.key)} == {"ma"}
    finally:
        pg_cluster.start()
    window.live.stop()


def test_any_typed_mrn_finds_its_sheet_or_says_it_is_not_there(
    demo_services, workstation, memory_keyring, tmp_path, capsys
):
    """Whatever is typed after --face-sheet: a face sheet, or a message; never a crash,
    never a file for a patient who is not in the copy."""
    from hypothesis import HealthCheck, example, given, settings
    from hypothesis import strategies as st

    key = downtime.downtime_key(workstation)
    downtime.take_snapshot(demo_services, workstation, key)
    known = {s.mrn for s in downtime.open_snapshot(workstation, key).face_sheets.values()}
    out = tmp_path / "sheet.pdf"

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.one_of(st.sampled_from(sorted(known)), st.text(max_size=30)))
    @example("-:")  # found by hypothesis: text that looks like an option
    def typed(mrn: str) -> None:
        out.unlink(missing_ok=True)
        # "--face-sheet=TEXT": how a shell user passes text that starts with "-"
        argv = ["downtime", "--data-dir", str(workstation), f"--face-sheet={mrn}",
                "--out", str(out)]  # fmt: skip
        code = main(argv)
        err = capsys.readouterr().err
        if mrn.strip() in known:
            assert code == 0 and mrn.strip() in squash(pdf_text(out.read_bytes()))
        else:
            assert code == 1 and not out.exists() and "ma-desk:" in err
            assert "unexpected" not in err

    typed()
