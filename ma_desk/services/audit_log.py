"""Reading, filtering, verifying and exporting the audit trail (administrators only).

Looking at the trail and exporting it are audited too. Export rows carry the
patient's internal id and MRN, never a name. Times are stored in UTC and
shown in the clinic's local time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select

from ma_desk import audit
from ma_desk.audit_details import exportable_details
from ma_desk.clock import utc_to_wall, wall_to_utc
from ma_desk.db.models import AuditEvent
from ma_desk.errors import ValidationError
from ma_desk.reports.csv_safe import csv_text
from ma_desk.reports.output import write_file_atomic
from ma_desk.security.verification import Anchor, TrailReport, check_trail
from ma_desk.security.witness import data_dir_of
from ma_desk.services import audit_seals
from ma_desk.services.base import Service
from ma_desk.services.policy import EXPORT, READ, REFERENCE, policy

CSV_COLUMNS = ["id", "time_local", "time_utc", "user", "workstation", "action", "entity",
               "entity_id", "patient_id", "mrn", "outcome", "details", "hash"]  # fmt: skip
MAX_ROWS = 5000


@dataclass(frozen=True)
class AuditFilter:
    username: str = ""
    patient_id: int | None = None
    start: dt.date | None = None  # local dates, inclusive
    end: dt.date | None = None
    action: str = ""


@dataclass(frozen=True)
class AuditRow:
    id: int
    at_utc: str
    at_local: dt.datetime
    username: str
    workstation: str
    action: str
    entity: str
    entity_id: str
    patient_id: int | None
    mrn: str
    outcome: str
    details: str
    hash: str

    @property
    def break_glass(self) -> bool:
        return '"break_glass":true' in self.details


def _utc_text(local: dt.datetime, zone: ZoneInfo | None) -> str:
    """A clinic wall-clock time as the audit trail's UTC string, for range comparisons."""
    return wall_to_utc(local, zone).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _local(at: str, zone: ZoneInfo | None) -> dt.datetime:
    """The trail's UTC string as the clinic's wall-clock time (the schedule's times)."""
    try:
        utc = dt.datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return dt.datetime.min
    return utc_to_wall(utc, zone).replace(microsecond=0)


def _row(e: AuditEvent, zone: ZoneInfo | None) -> AuditRow:
    from ma_desk.services.patients import mrn_for

    return AuditRow(
        e.id, e.at, _local(e.at, zone), e.username, e.workstation, e.action, e.entity, e.entity_id,
        e.patient_id, mrn_for(e.patient_id) if e.patient_id else "", e.outcome, e.details,
        e.hash,
    )  # fmt: skip


class AuditLogService(Service):
    """Administrators only; break-glass does not open the audit trail."""

    @policy("audit.read", audit=READ)
    def search(self, flt: AuditFilter, *, limit: int = MAX_ROWS) -> list[AuditRow]:
        """Newest first; the query itself is audited."""
        if flt.start and flt.end and flt.start > flt.end:
            raise ValidationError("The start date is after the end date.", field="start")
        zone = self.ctx.clock.zone
        with self.ctx.db.write() as s:
            rows = [_row(e, zone) for e in s.scalars(self._stmt(flt, zone).limit(limit))]
            audit.record(s, self.actor, "query", "audit", details=_filter_details(flt))
        return rows

    @policy("audit.read", audit=EXPORT)
    def export_csv(self, flt: AuditFilter, out: Path, *, replace: bool = False) -> int:
        """Write the filtered entries (oldest first) to ``out``; returns the row count.

        The file is owner-only and written atomically; an existing ``out`` is refused
        unless ``replace``. Cells are neutralised for spreadsheets (a user name typed
        at a failed sign-in is text, never a formula).
        """
        if flt.start and flt.end and flt.start > flt.end:
            raise ValidationError("The start date is after the end date.", field="start")
        zone = self.ctx.clock.zone
        with self.ctx.db.write() as s:
            stmt = self._stmt(flt, zone).order_by(None).order_by(AuditEvent.id)
            rows = [
                _csv_row(_row(e, zone)) for e in s.scalars(stmt.execution_options(yield_per=2000))
            ]
            write_file_atomic(out, csv_text(CSV_COLUMNS, rows).encode("utf-8"), force=replace)
            audit.record(s, self.actor, "export", "audit", details={**_filter_details(flt),
                         "rows": len(rows), "file": out.name})  # fmt: skip
        return len(rows)

    @policy("audit.read", audit=READ)
    def verify(self, anchors: list[Anchor] | None = None) -> TrailReport:
        """Check every link and hash against the head anchor, witnesses, backups and
        ``anchors`` (typed from paper); the check is audited after it is made."""
        report = check_trail(self.ctx.db, data_dir_of(self.ctx.db), anchors=anchors)
        self._record_verification(report)
        return report

    @policy("audit.read", audit=READ)
    def record_verification(self, report: TrailReport) -> None:
        """Audit a check made before signing in (``ma-desk audit verify`` checks first)."""
        self._record_verification(report)

    def _record_verification(self, report: TrailReport) -> None:
        """Add the seal check (the key is open while an administrator is signed in), audit
        the verification, and seal the head when everything agreed."""
        key = self.ctx.seal_key
        with self.ctx.db.read() as s:
            seals = audit_seals.check_seals(s, key) if key is not None else None
        if seals is None:
            report.notes.append("Seals not checked: your account holds no copy of the audit "
                                "seal key (another administrator gives you one by resetting "
                                "your password).")  # fmt: skip
        else:
            report.problems.extend(seals.problems)
            report.anchors_checked.append(f"{seals.seals} seals")
            report.notes.append(f"Newest seal: {seals.describe_newest()}.")
        db = self.ctx.db
        if getattr(db, "read_only", False):  # a damaged store: write nothing
            return
        with db.write() as s:
            audit.record(s, self.actor, "verify", "audit",
                         outcome="success" if report.intact else "failure",
                         details={"problems": len(report.problems), "entries": report.entries,
                                  "anchors": len(report.anchors_checked),
                                  "found": [str(p) for p in report.problems[:10]]})  # fmt: skip
            if key is not None and report.intact and not getattr(db, "witness_frozen", False):
                audit_seals.append_seal(s, self.actor, key)

    @policy("audit.read", audit=REFERENCE)
    def actions(self) -> list[str]:
        with self.ctx.db.read() as s:
            return list(s.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))

    @staticmethod
    def _stmt(flt: AuditFilter, zone: ZoneInfo | None) -> Select[AuditEvent]:
        stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
        if flt.username.strip():
            stmt = stmt.where(AuditEvent.username == flt.username.strip().casefold())
        if flt.patient_id is not None:
            stmt = stmt.where(AuditEvent.patient_id == flt.patient_id)
        if flt.start:
            stmt = stmt.where(
                AuditEvent.at >= _utc_text(dt.datetime.combine(flt.start, dt.time()), zone)
            )
        if flt.end:
            end = dt.datetime.combine(flt.end + dt.timedelta(days=1), dt.time())
            stmt = stmt.where(AuditEvent.at < _utc_text(end, zone))
        if flt.action.strip():
            stmt = stmt.where(AuditEvent.action == flt.action.strip())
        return stmt


def _csv_row(r: AuditRow) -> list[object]:
    return [r.id, r.at_local.isoformat(sep=" "), r.at_utc, r.username, r.workstation, r.action,
            r.entity, r.entity_id, r.patient_id or "", r.mrn, r.outcome,
            exportable_details(r.details), r.hash]  # fmt: skip


def _filter_details(flt: AuditFilter) -> dict[str, object]:
    return {k: v for k, v in {"user": flt.username, "patient_id": flt.patient_id,
            "start": flt.start, "end": flt.end, "action": flt.action}.items() if v}  # fmt: skip
