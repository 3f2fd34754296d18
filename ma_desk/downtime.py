"""Downtime copy: today's schedule and face sheets, kept on each workstation for outages.

In server mode the clinic's records are on its PostgreSQL server; when that server
is down, staff still need to know who is coming and to print a face sheet, as a
hospital's business-continuity workstation does. Each workstation therefore keeps
``downtime/today.db`` in its data folder: an SQLCipher file under the
workstation's own key (the OS keyring, or a passphrase: ma_desk/db/keys.py,
with ``downtime/`` as its key folder) holding today's appointments and, for their
patients only, demographics, allergies, medications and an insurance summary:
nothing more (no history, no card images, no notes). It is rebuilt every few
minutes while the server answers (one audit entry per copy, no patient content),
replaced atomically, and only ever opened read-only.

Opening it cannot be audited on the server (it is down), so each opening is
appended to ``downtime/openings.db`` (encrypted, same key) and moved into the
server's audit trail by the next copy, once the server answers. A separate file,
because the copy itself is replaced every few minutes.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlcipher3
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ma_desk import audit
from ma_desk.actor import Actor, workstation_name
from ma_desk.atomic_file import TEMP_PREFIX, TEMP_SUFFIX, fsync_folder, publish
from ma_desk.clinical import flow
from ma_desk.db import keys
from ma_desk.db.engine import connect_raw
from ma_desk.db.models import Appointment, Patient
from ma_desk.errors import NotFoundError, StoreError

if TYPE_CHECKING:
    from ma_desk.db.engine import Database
    from ma_desk.services import Services

FOLDER = "downtime"
SNAPSHOT_NAME = "today.db"
OPENINGS_NAME = "openings.db"
FORMAT = 1
REFRESH_MINUTES = 5
LEFT_OUT = frozenset({flow.CANCELLED, flow.ENTERED_IN_ERROR})

SNAPSHOT_SCHEMA = (
    "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE schedule (start TEXT NOT NULL, minutes INTEGER NOT NULL, provider TEXT NOT "
    "NULL, patient_ref INTEGER NOT NULL, patient TEXT NOT NULL, mrn TEXT NOT NULL, dob TEXT "
    "NOT NULL, visit_type TEXT NOT NULL, reason TEXT NOT NULL, status TEXT NOT NULL)",
    "CREATE TABLE face_sheets (patient_ref INTEGER PRIMARY KEY, sheet TEXT NOT NULL)",
)
OPENINGS_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS openings (id INTEGER PRIMARY KEY, at TEXT NOT NULL, "
    "username TEXT NOT NULL, what TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0)"
)


@dataclass(frozen=True)
class ScheduleLine:
    start: dt.datetime
    minutes: int
    provider: str
    patient_ref: int
    patient: str  # "Last, First"
    mrn: str
    dob: dt.date
    visit_type: str
    reason: str
    status: str


@dataclass(frozen=True)
class FaceSheet:
    """What the desk needs to see a patient without the server: identity, contact, safety."""

    patient_ref: int
    mrn: str
    name: str
    preferred_name: str
    dob: dt.date
    sex: str
    phone: str
    address: str
    language: str
    emergency_contact: str
    allergies: str
    medications: str
    insurance: tuple[str, ...]  # "priority. payer plan, member ID"


@dataclass(frozen=True)
class Snapshot:
    """A read-only view of the copy as it was taken."""

    day: dt.date
    taken_at: dt.datetime
    clinic_name: str
    schedule: tuple[ScheduleLine, ...]
    face_sheets: dict[int, FaceSheet]

    def face_sheet(self, patient_ref: int) -> FaceSheet:
        try:
            return self.face_sheets[patient_ref]
        except KeyError:
            raise NotFoundError("That patient is not in the downtime copy.") from None


# ---------------------------------------------------------------- where and with which key
def folder(data_dir: Path) -> Path:
    return data_dir / FOLDER


def snapshot_path(data_dir: Path) -> Path:
    return folder(data_dir) / SNAPSHOT_NAME


def downtime_key(
    data_dir: Path,
    *,
    ask_passphrase: Callable[[str], str | None] | None = None,
    ask_new_passphrase: Callable[[str], str | None] | None = None,
) -> keys.StoreKey:
    """The workstation's key for its downtime files, made on first use.

    The same keyring-or-passphrase rules as a clinic store, with ``downtime/`` as the key
    folder; no recovery key is needed: a lost key only means the next copy starts afresh.
    """
    where = folder(data_dir)
    where.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = keys.read_keyinfo(where)
    if info is not None:
        return keys.find_key(where, info, ask_passphrase=ask_passphrase)
    made = keys.create_key(where, ask_new_passphrase=ask_new_passphrase)
    keys.write_keyinfo(where, made.info)
    return made.key


# ---------------------------------------------------------------- taking the copy
def take_snapshot(services: Services, data_dir: Path, key: keys.StoreKey) -> int:
    """Copy today's schedule and its patients' face sheets from the server; returns how
    many patients the copy holds. Openings logged meanwhile go to the server's trail."""
    ctx = services.ctx
    now = ctx.clock.now()
    lines, sheets = _read_today(ctx.db, now.date())
    clinic_name = services.settings.get().clinic_name
    _write_snapshot(snapshot_path(data_dir), key, now, clinic_name, lines, sheets)
    pending = pending_openings(data_dir, key)
    with ctx.db.write() as session:
        audit.record(session, services.actor, "downtime_copy", "downtime", now.date().isoformat(),
                     details={"patients": len(sheets), "appointments": len(lines)})  # fmt: skip
        for opening in pending:
            _record_opening(session, opening)
    _mark_sent(data_dir, key, [opening[0] for opening in pending])  # after the commit
    return len(sheets)


def _read_today(db: Database, day: dt.date) -> tuple[list[ScheduleLine], list[FaceSheet]]:
    start = dt.datetime.combine(day, dt.time())
    with db.read() as s:
        appointments = s.scalars(
            select(Appointment)
            .where(Appointment.start >= start, Appointment.start < start + dt.timedelta(days=1))
            .where(Appointment.status.not_in(LEFT_OUT))
            .options(selectinload(Appointment.patient).selectinload(Patient.coverages),
                     selectinload(Appointment.provider), selectinload(Appointment.type))
            .order_by(Appointment.start, Appointment.id)
        ).all()  # fmt: skip
        lines = [_line(a) for a in appointments]
        patients = {a.patient.id: a.patient for a in appointments}
        sheets = [_sheet(p) for p in patients.values()]
    return lines, sheets


def _line(a: Appointment) -> ScheduleLine:
    p = a.patient
    return ScheduleLine(a.start, a.minutes, a.provider.display_name, p.id,
                        f"{p.last_name}, {p.first_name}", p.mrn, p.dob, a.type.name,
                        a.reason, a.status)  # fmt: skip


def _sheet(p: Patient) -> FaceSheet:
    address = ", ".join(x for x in (p.address1, p.address2, p.city,
                                    f"{p.state} {p.zip}".strip()) if x)  # fmt: skip
    emergency = " ".join(x for x in (p.emergency_name, f"({p.emergency_relation})"
                                     if p.emergency_relation else "", p.emergency_phone) if x)  # fmt: skip
    insurance = tuple(f"{c.priority}. {c.payer} {c.plan}".rstrip() + f", member ID {c.member_id}"
                      for c in p.coverages if c.active)  # fmt: skip
    return FaceSheet(p.id, p.mrn, f"{p.last_name}, {p.first_name} {p.middle_name}".rstrip(),
                     p.preferred_name, p.dob, p.sex, p.phone, address, p.preferred_language,
                     emergency, p.allergies, p.medications, insurance)  # fmt: skip


def _write_snapshot(
    target: Path,
    key: keys.StoreKey,
    now: dt.datetime,
    clinic_name: str,
    lines: list[ScheduleLine],
    sheets: list[FaceSheet],
) -> None:
    """Build the copy beside ``target`` and put it in place in one rename."""
    tmp = target.with_name(f"{TEMP_PREFIX}{os.getpid()}-{target.name}{TEMP_SUFFIX}")
    tmp.unlink(missing_ok=True)
    conn = connect_raw(tmp, key, create=True)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")  # one self-contained file to rename
        conn.execute("BEGIN")
        for statement in SNAPSHOT_SCHEMA:
            conn.execute(statement)
        meta = {"format": str(FORMAT), "day": now.date().isoformat(),
                "taken_at": now.isoformat(), "clinic_name": clinic_name}  # fmt: skip
        conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        conn.executemany("INSERT INTO schedule VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         [_line_row(line) for line in lines])  # fmt: skip
        conn.executemany("INSERT INTO face_sheets VALUES (?, ?)",
                         [(s.patient_ref, _sheet_json(s)) for s in sheets])  # fmt: skip
        conn.execute("COMMIT")
    except BaseException:
        conn.close()
        tmp.unlink(missing_ok=True)
        raise
    conn.close()
    publish(tmp, target, replace=True)
    fsync_folder(target.parent)


def _line_row(line: ScheduleLine) -> tuple[object, ...]:
    return (line.start.isoformat(), line.minutes, line.provider, line.patient_ref, line.patient,
            line.mrn, line.dob.isoformat(), line.visit_type, line.reason, line.status)  # fmt: skip


def _sheet_json(sheet: FaceSheet) -> str:
    values = {**sheet.__dict__, "dob": sheet.dob.isoformat(), "insurance": list(sheet.insurance)}
    return json.dumps(values)


# ---------------------------------------------------------------- reading the copy
def open_snapshot(data_dir: Path, key: keys.StoreKey) -> Snapshot:
    """Read the copy (read-only: SQLite could not change the file even by mistake)."""
    path = snapshot_path(data_dir)
    if not path.exists():
        raise NotFoundError(
            "This workstation has no downtime copy yet: it is made a few minutes after MA "
            "Desk connects to the clinic server. Use the paper schedule printed this morning."
        )
    conn = connect_raw(path, key, read_only=True)
    try:
        meta = dict(conn.execute("SELECT name, value FROM meta"))
        if meta.get("format") != str(FORMAT):
            raise StoreError("The downtime copy was made by another MA Desk version.")
        lines = tuple(_line_from(row) for row in conn.execute(
            "SELECT * FROM schedule ORDER BY start, provider"))  # fmt: skip
        sheets = {ref: _sheet_from(text) for ref, text in conn.execute(
            "SELECT patient_ref, sheet FROM face_sheets")}  # fmt: skip
    finally:
        conn.close()
    return Snapshot(dt.date.fromisoformat(meta["day"]), dt.datetime.fromisoformat(meta["taken_at"]),
                    meta["clinic_name"], lines, sheets)  # fmt: skip


def _line_from(row: Sequence[Any]) -> ScheduleLine:
    start, minutes, provider, ref, patient, mrn, dob, visit_type, reason, status = row
    return ScheduleLine(dt.datetime.fromisoformat(start), minutes, provider, ref, patient, mrn,
                        dt.date.fromisoformat(dob), visit_type, reason, status)  # fmt: skip


def _sheet_from(text: str) -> FaceSheet:
    values = json.loads(text)
    values["dob"] = dt.date.fromisoformat(values["dob"])
    values["insurance"] = tuple(values["insurance"])
    return FaceSheet(**values)


# ---------------------------------------------------------------- who opened it
def _openings(data_dir: Path, key: keys.StoreKey) -> sqlcipher3.Connection:
    path = folder(data_dir) / OPENINGS_NAME
    conn = connect_raw(path, key, create=not path.exists())
    conn.execute(OPENINGS_SCHEMA)
    return conn


def log_opening(data_dir: Path, key: keys.StoreKey, username: str | None, what: str,
                at: dt.datetime) -> None:  # fmt: skip
    """Note locally that the copy was opened (what: "schedule" or "face sheet <ref>")."""
    who = username or f"{getpass.getuser()} (computer login)"
    conn = _openings(data_dir, key)
    try:
        conn.execute("INSERT INTO openings (at, username, what) VALUES (?, ?, ?)",
                     (at.isoformat(), who, what))  # fmt: skip
    finally:
        conn.close()


def pending_openings(data_dir: Path, key: keys.StoreKey) -> list[tuple[int, str, str, str]]:
    """(id, at, username, what) not yet in the server's trail."""
    conn = _openings(data_dir, key)
    try:
        return list(conn.execute("SELECT id, at, username, what FROM openings WHERE sent = 0"))
    finally:
        conn.close()


def _record_opening(session: Session, opening: tuple[int, str, str, str]) -> None:
    """One opening logged while the server was away, in its audit trail as that person's."""
    _id, at, username, what = opening
    ref = int(what.rsplit(" ", 1)[1]) if what.startswith("face sheet ") else None
    who = Actor(None, username, username, "", f"{workstation_name()} (downtime)")
    audit.record(session, who, "downtime_open", "downtime", f"{at} {what.split(' ')[0]}",
                 patient_id=ref)  # fmt: skip


def _mark_sent(data_dir: Path, key: keys.StoreKey, ids: list[int]) -> None:
    if not ids:
        return
    conn = _openings(data_dir, key)
    try:
        conn.executemany("UPDATE openings SET sent = 1 WHERE id = ?", [(i,) for i in ids])
    finally:
        conn.close()
