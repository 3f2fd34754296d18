"""Reading, filtering, verifying and exporting the audit trail (administrators only).

Looking at the trail and exporting it are audited too. Export rows carry the
patient's internal id and MRN, never a name. Times are stored in UTC and
shown in the clinic's local time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from ma_desk import audit
from ma_desk.db.models import AuditEvent
from ma_desk.errors import PermissionDenied, ValidationError
from ma_desk.permissions import allowed
from ma_desk.reports.csv_safe import csv_text
from ma_desk.reports.output import write_file_atomic
from ma_desk.security.witness import data_dir_of, read_witness
from ma_desk.services.base import Service

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


def _utc_text(local: dt.datetime) -> str:
    """A naive local time as the audit trail's UTC string, for range comparisons."""
    return local.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _local(at: str) -> dt.datetime:
    try:
        utc = dt.datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return dt.datetime.min
    return utc.astimezone().replace(tzinfo=None, microsecond=0)


def _row(e: AuditEvent) -> AuditRow:
    from ma_desk.services.patients import mrn_for

    return AuditRow(
        e.id, e.at, _local(e.at), e.username, e.workstation, e.action, e.entity, e.entity_id,
        e.patient_id, mrn_for(e.patient_id) if e.patient_id else "", e.outcome, e.details,
        e.hash,
    )  # fmt: skip


class AuditLogService(Service):
    def _require(self, action: str) -> None:
        """Administrators only; break-glass does not open the audit trail."""
        if allowed(self.actor.role, "audit.read"):
            return
        with self.ctx.db.write() as s:
            audit.record(s, self.actor, "permission_refused", "permission", "audit.read",
                         outcome="refused", details={"wanted": action})  # fmt: skip
        raise PermissionDenied("Only an administrator can look at the audit trail.")

    def search(self, flt: AuditFilter, *, limit: int = MAX_ROWS) -> list[AuditRow]:
        """Newest first; the query itself is audited."""
        self._require("search")
        if flt.start and flt.end and flt.start > flt.end:
            raise ValidationError("The start date is after the end date.", field="start")
        with self.ctx.db.write() as s:
            rows = [_row(e) for e in s.scalars(self._stmt(flt).limit(limit))]
            audit.record(s, self.actor, "query", "audit", details=_filter_details(flt))
        return rows

    def export_csv(self, flt: AuditFilter, out: Path, *, replace: bool = False) -> int:
        """Write the filtered entries (oldest first) to ``out``; returns the row count.

        The file is owner-only and written atomically; an existing ``out`` is refused
        unless ``replace``. Cells are neutralised for spreadsheets (a user name typed
        at a failed sign-in is text, never a formula).
        """
        self._require("export")
        if flt.start and flt.end and flt.start > flt.end:
            raise ValidationError("The start date is after the end date.", field="start")
        with self.ctx.db.write() as s:
            stmt = self._stmt(flt).order_by(None).order_by(AuditEvent.id)
            rows = [_csv_row(_row(e)) for e in s.scalars(stmt.execution_options(yield_per=2000))]
            write_file_atomic(out, csv_text(CSV_COLUMNS, rows).encode("utf-8"), force=replace)
            audit.record(s, self.actor, "export", "audit", details={**_filter_details(flt),
                         "rows": len(rows), "file": out.name})  # fmt: skip
        return len(rows)

    def verify(self) -> list[audit.ChainProblem]:
        """Check every link, hash, the head anchor and the witness file; audited."""
        self._require("verify")
        witness = read_witness(data_dir_of(self.ctx.db))
        with self.ctx.db.read() as s:
            problems = audit.verify_store(s, witness=witness)
        with self.ctx.db.write() as s:
            audit.record(s, self.actor, "verify", "audit", outcome="success" if not problems
                         else "failure", details={"problems": len(problems)})  # fmt: skip
        return problems

    def actions(self) -> list[str]:
        self._require("list actions")
        with self.ctx.db.read() as s:
            return list(s.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))

    @staticmethod
    def _stmt(flt: AuditFilter):
        stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
        if flt.username.strip():
            stmt = stmt.where(AuditEvent.username == flt.username.strip().casefold())
        if flt.patient_id is not None:
            stmt = stmt.where(AuditEvent.patient_id == flt.patient_id)
        if flt.start:
            stmt = stmt.where(AuditEvent.at >= _utc_text(dt.datetime.combine(flt.start, dt.time())))
        if flt.end:
            end = dt.datetime.combine(flt.end + dt.timedelta(days=1), dt.time())
            stmt = stmt.where(AuditEvent.at < _utc_text(end))
        if flt.action.strip():
            stmt = stmt.where(AuditEvent.action == flt.action.strip())
        return stmt


def _csv_row(r: AuditRow) -> list:
    return [r.id, r.at_local.isoformat(sep=" "), r.at_utc, r.username, r.workstation, r.action,
            r.entity, r.entity_id, r.patient_id or "", r.mrn, r.outcome, r.details, r.hash]  # fmt: skip


def _filter_details(flt: AuditFilter) -> dict:
    return {k: v for k, v in {"user": flt.username, "patient_id": flt.patient_id,
            "start": flt.start, "end": flt.end, "action": flt.action}.items() if v}  # fmt: skip
