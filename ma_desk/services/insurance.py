"""The insurance desk: coverages, card images, eligibility checks, notes, prior authorisations.

Every write is one audited transaction. Card images live in the encrypted
store (never in temp files); notes are never edited in place: an edit adds a
new row that supersedes the old one, so the history stays readable.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session

from ma_desk.audit import changes
from ma_desk.db.models import (
    EligibilityCheck,
    InsuranceCoverage,
    InsuranceNote,
    Patient,
    PriorAuthorization,
    User,
)
from ma_desk.db.versioning import Versioned
from ma_desk.errors import NotFoundError, ValidationError
from ma_desk.services.base import Service
from ma_desk.services.insurance_rules import (
    AUTH_STATUSES,
    METHODS,
    RELATIONSHIPS,
    RESULTS,
    SCAN_SUFFIXES,
    SIDES,
    CoverageInput,
    PriorAuthInput,
    auth_flag,
    check_card_image,
    clean_note_body,
    coverage_has_ended,
    priority_label,
    validate_coverage,
    validate_prior_auth,
    validate_verification,
    verification_is_stale,
)
from ma_desk.services.policy import PRINT, READ, REFERENCE, WRITE, policy
from ma_desk.services.rows import existing
from ma_desk.services.versions import check_version, locked, stale_error

EDITABLE_COVERAGE = (
    "payer", "plan", "member_id", "group_number", "subscriber_relationship", "subscriber_name",
    "subscriber_dob", "effective_date", "end_date", "copays_cents", "default_copay_cents",
    "deductible_note", "coinsurance_note", "priority",
)  # fmt: skip


@dataclass(frozen=True)
class CoverageRow:
    id: int
    priority: int
    payer: str
    plan: str
    member_id: str
    group_number: str
    subscriber_relationship: str
    effective_date: dt.date | None
    end_date: dt.date | None
    default_copay_cents: int
    copays_cents: dict[str, int]
    last_verified_at: dt.datetime | None
    last_result: str
    subscriber_name: str = ""
    subscriber_dob: dt.date | None = None
    deductible_note: str = ""
    coinsurance_note: str = ""
    has_card_front: bool = False
    has_card_back: bool = False
    last_method: str = ""
    last_reference: str = ""
    patient_id: int = 0
    # The saved version a form edits against (``expected_version``), and its author.
    version: int = 1
    updated_at: dt.datetime | None = None
    updated_by: str = ""
    updated_on: str = ""

    @property
    def priority_label(self) -> str:
        return priority_label(self.priority)

    @property
    def relationship_label(self) -> str:
        return RELATIONSHIPS.get(self.subscriber_relationship, self.subscriber_relationship)

    @property
    def last_result_label(self) -> str:
        return RESULTS.get(self.last_result, self.last_result)

    def is_stale(self, now: dt.datetime, days: int) -> bool:
        return verification_is_stale(self.last_verified_at, now, days)

    def is_ended(self, today: dt.date) -> bool:
        return coverage_has_ended(self.end_date, today)

    def in_effect(self, today: dt.date) -> bool:
        started = self.effective_date is None or self.effective_date <= today
        return started and not self.is_ended(today)

    def copay_for(self, visit_type: str) -> int:
        return int(self.copays_cents.get(visit_type, self.default_copay_cents))

    def attention(self, now: dt.datetime, stale_days: int) -> str:
        """The one thing the desk must act on for this coverage, or ""."""
        today = now.date()
        if self.is_ended(today):
            return f"Ended {self.end_date:%m/%d/%Y}"
        if self.effective_date is not None and self.effective_date > today:
            return f"Starts {self.effective_date:%m/%d/%Y}"
        if self.last_verified_at is None:
            return "Never verified"
        if self.last_result in ("inactive", "needs_info"):
            return f"Last check: {self.last_result_label.lower()}"
        if self.is_stale(now, stale_days):
            return f"Verification stale ({(now - self.last_verified_at).days} days)"
        return ""


@dataclass(frozen=True)
class CardImage:
    coverage_id: int
    side: str
    data: bytes = field(repr=False)
    content_type: str


@dataclass(frozen=True)
class EligibilityRow:
    id: int
    coverage_id: int
    checked_at: dt.datetime
    user_name: str
    method: str
    reference: str
    result: str
    notes: str

    @property
    def method_label(self) -> str:
        return METHODS.get(self.method, self.method)

    @property
    def result_label(self) -> str:
        return RESULTS.get(self.result, self.result)


@dataclass(frozen=True)
class NoteRow:
    id: int
    patient_id: int
    coverage_id: int | None
    coverage_label: str
    created_at: dt.datetime
    author_name: str
    text: str
    supersedes_id: int | None
    superseded: bool
    # The saved version a form edits against (``expected_version``), and its author.
    version: int = 1
    updated_at: dt.datetime | None = None
    updated_by: str = ""
    updated_on: str = ""

    @property
    def edited(self) -> bool:
        return self.supersedes_id is not None


@dataclass(frozen=True)
class PriorAuthRow:
    id: int
    patient_id: int
    coverage_id: int | None
    service: str
    payer: str
    auth_number: str
    units_approved: int
    units_used: int
    start_date: dt.date
    end_date: dt.date
    status: str
    flag: str
    # The saved version a form edits against (``expected_version``), and its author.
    version: int = 1
    updated_at: dt.datetime | None = None
    updated_by: str = ""
    updated_on: str = ""

    @property
    def units_left(self) -> int:
        return max(self.units_approved - self.units_used, 0)

    @property
    def status_label(self) -> str:
        return AUTH_STATUSES.get(self.status, self.status)


def _user_names(session: Session, ids: set[int | None]) -> dict[int | None, str]:
    wanted = {i for i in ids if i is not None}
    names: dict[int | None, str] = {None: "system"}
    if wanted:
        for uid, name in session.execute(
            select(User.id, User.display_name).where(User.id.in_(wanted))
        ):
            names[uid] = name
    return names


def _version_of(row: Versioned) -> dict[str, Any]:
    return {"version": row.version, "updated_at": row.updated_at,
            "updated_by": row.updated_by, "updated_on": row.updated_on}  # fmt: skip


def _coverage_values(c: InsuranceCoverage) -> dict[str, Any]:
    return {name: getattr(c, name) for name in EDITABLE_COVERAGE}


def _overlaps(a: InsuranceCoverage, b: InsuranceCoverage) -> bool:
    a_start, b_start = a.effective_date or dt.date.min, b.effective_date or dt.date.min
    a_end, b_end = a.end_date or dt.date.max, b.end_date or dt.date.max
    return a_start <= b_end and b_start <= a_end


class InsuranceService(Service):
    # ------------------------------------------------------------------ flags
    @policy("insurance.read", audit=READ)
    def verification_flags(self, patient_ids: list[int]) -> dict[int, str]:
        """A short warning per patient whose active coverage is unverified or stale.

        Used by the Check-in and Schedule screens; patients with no flag are omitted.
        """
        if not patient_ids:
            return {}
        days = self.stale_days()
        now = self.now()
        today = now.date()
        flags: dict[int, str] = {}
        with self._read() as s:
            # Correlated per coverage (an index lookup each), not a GROUP BY over every
            # check in the store: 100 ms -> 2 ms for a day of 180 patients at 100k.
            last_check = (
                select(func.max(EligibilityCheck.checked_at))
                .where(EligibilityCheck.coverage_id == InsuranceCoverage.id)
                .correlate(InsuranceCoverage)
                .scalar_subquery()
            )
            rows = s.execute(
                select(InsuranceCoverage.patient_id, InsuranceCoverage.end_date, last_check).where(
                    InsuranceCoverage.patient_id.in_(patient_ids),
                    InsuranceCoverage.active.is_(True),
                )
            ).all()
        for patient_id, end_date, last in rows:
            if coverage_has_ended(end_date, today):
                continue
            if last is None:
                flags.setdefault(patient_id, "Insurance never verified")
            elif verification_is_stale(last, now, days):
                flags.setdefault(
                    patient_id, f"Insurance last verified {(now - last).days} days ago"
                )
        self._record_read("view", "insurance_flags", details={"patients": len(patient_ids),
                          "flags": len(flags)}, view=tuple(sorted(patient_ids)))  # fmt: skip
        return flags

    @policy("settings.read", audit=REFERENCE)
    def stale_days(self) -> int:
        from ma_desk.services.settings import SettingsService

        return SettingsService(self.ctx).get().verification_stale_days

    # ------------------------------------------------------------------ coverages
    @policy("insurance.read", audit=READ)
    def coverages(self, patient_id: int, *, include_ended: bool = False) -> list[CoverageRow]:
        """The patient's coverages in order (primary first); ended ones only when asked."""
        today = self.now().date()
        with self._read() as s:
            stmt = (
                select(InsuranceCoverage)
                .where(
                    InsuranceCoverage.patient_id == patient_id, InsuranceCoverage.active.is_(True)
                )
                .order_by(InsuranceCoverage.priority, InsuranceCoverage.effective_date)
            )
            rows = [
                self._row(s, c)
                for c in s.scalars(stmt)
                if include_ended or not coverage_has_ended(c.end_date, today)
            ]
        if include_ended:
            rows.sort(
                key=lambda r: (r.is_ended(today), r.priority, r.effective_date or dt.date.min)
            )
        self._record_insurance_view(patient_id, "coverages")
        return rows

    @policy("insurance.read", audit=READ)
    def coverage(self, coverage_id: int) -> CoverageRow:
        with self._read() as s:
            c = self._get(s, coverage_id)
            row, patient_id = self._row(s, c), c.patient_id
        self._record_insurance_view(patient_id, "coverage")
        return row

    def _record_insurance_view(self, patient_id: int, purpose: str) -> None:
        """One entry per opening of a patient's insurance (coverages, log, notes, auths)."""
        self._record_read("view", "insurance", patient_id, patient_id=patient_id,
                          details={"purpose": purpose}, view=patient_id)  # fmt: skip

    @staticmethod
    def _get(s: Session, coverage_id: int) -> InsuranceCoverage:
        c = s.get(InsuranceCoverage, coverage_id)
        if c is None or not c.active:
            raise NotFoundError("That coverage no longer exists; reload the patient.")
        return c

    def _coverage_for_edit(
        self, s: Session, coverage_id: int, expected_version: int | None
    ) -> InsuranceCoverage:
        c = locked(s, InsuranceCoverage, coverage_id)
        if c is None or not c.active:
            raise NotFoundError("That coverage no longer exists; reload the patient.")
        check_version(c, expected_version, what="coverage", now=self.now(),
                      current=lambda: self._row(s, c))  # fmt: skip
        return c

    @staticmethod
    def _row(s: Session, c: InsuranceCoverage) -> CoverageRow:
        last = s.execute(
            select(
                EligibilityCheck.checked_at,
                EligibilityCheck.result,
                EligibilityCheck.method,
                EligibilityCheck.reference,
            )
            .where(EligibilityCheck.coverage_id == c.id)
            .order_by(EligibilityCheck.checked_at.desc(), EligibilityCheck.id.desc())
            .limit(1)
        ).first()
        has_front, has_back = s.execute(
            select(
                InsuranceCoverage.card_front.is_not(None), InsuranceCoverage.card_back.is_not(None)
            ).where(InsuranceCoverage.id == c.id)
        ).one()
        return CoverageRow(
            c.id, c.priority, c.payer, c.plan, c.member_id, c.group_number,
            c.subscriber_relationship, c.effective_date, c.end_date, c.default_copay_cents,
            dict(c.copays_cents or {}), last[0] if last else None, last[1] if last else "",
            subscriber_name=c.subscriber_name, subscriber_dob=c.subscriber_dob,
            deductible_note=c.deductible_note, coinsurance_note=c.coinsurance_note,
            has_card_front=bool(has_front), has_card_back=bool(has_back),
            last_method=last[2] if last else "", last_reference=last[3] if last else "",
            patient_id=c.patient_id, **_version_of(c),
        )  # fmt: skip

    def _check_order(self, s: Session, patient_id: int, today: dt.date) -> None:
        """One coverage per order at a time, and no gap (a secondary needs a primary)."""
        s.flush()
        current = [
            c
            for c in s.scalars(
                select(InsuranceCoverage).where(
                    InsuranceCoverage.patient_id == patient_id,
                    InsuranceCoverage.active.is_(True),
                    or_(InsuranceCoverage.end_date.is_(None), InsuranceCoverage.end_date >= today),
                )
            )
        ]
        for i, a in enumerate(current):
            for b in current[i + 1 :]:
                if a.priority == b.priority and _overlaps(a, b):
                    label = priority_label(a.priority).lower()
                    raise ValidationError(
                        f"Only one {label} coverage at a time: {a.payer} and {b.payer} would "
                        f"both be {label} for the same dates. End-date or move one of them "
                        "first.",
                        field="priority",
                    )
        in_effect = sorted(
            c.priority for c in current if c.effective_date is None or c.effective_date <= today
        )
        if in_effect and in_effect != list(range(1, len(in_effect) + 1)):
            missing = priority_label(next(p for p in range(1, 4) if p not in in_effect))
            raise ValidationError(
                f"There would be no {missing.lower()} coverage in effect today. Coverages must "
                "be in order primary, secondary, tertiary without gaps; add or move the "
                f"{missing.lower()} coverage first.",
                field="priority",
            )

    @policy("insurance.write", audit=WRITE)
    def add_coverage(self, patient_id: int, data: CoverageInput) -> CoverageRow:
        now = self.now()
        clean = validate_coverage(data, now.date())
        with self._write() as s:
            existing(s, Patient, patient_id, "patient")
            c = InsuranceCoverage(patient_id=patient_id, created_at=now, updated_at=now, **clean)
            s.add(c)
            self._check_order(s, patient_id, now.date())
            self._audit(s, "create", "insurance_coverage", c.id, patient_id=patient_id,
                        details=changes({}, _coverage_values(c)))  # fmt: skip
            return self._row(s, c)

    @policy("insurance.write", audit=WRITE)
    def update_coverage(
        self, coverage_id: int, data: CoverageInput, *, expected_version: int | None = None
    ) -> CoverageRow:
        """Correct a coverage's details (order changes go through move/end-date).

        A newer saved version than ``expected_version`` is refused (StaleVersionError).
        """
        now = self.now()
        clean = validate_coverage(data, now.date())
        with self._read() as s:
            patient_id = self._get(s, coverage_id).patient_id
        with self._write() as s:
            c = self._coverage_for_edit(s, coverage_id, expected_version)
            before = _coverage_values(c)
            for key, value in clean.items():
                setattr(c, key, value)
            diff = changes(before, _coverage_values(c))
            if not diff:
                return self._row(s, c)
            c.updated_at = now
            if coverage_has_ended(c.end_date, now.date()):
                diff["moved_up"] = self._close_gaps(s, patient_id, now.date())
            self._check_order(s, patient_id, now.date())
            self._audit(s, "update", "insurance_coverage", c.id, patient_id=patient_id,
                        details=diff)  # fmt: skip
            s.flush()  # the row returned carries its new version
            return self._row(s, c)

    @policy("insurance.write", audit=WRITE)
    def end_coverage(
        self, coverage_id: int, end_date: dt.date | str, *, expected_version: int | None = None
    ) -> list[CoverageRow]:
        """Set the last day of a coverage; once ended, the others move up to close the gap."""
        from ma_desk.services.insurance_rules import parse_date

        now = self.now()
        today = now.date()
        day = parse_date(end_date, "End date", "end_date")
        if day is None:
            raise ValidationError("Type the coverage's last day (MM/DD/YYYY).", field="end_date")
        with self._read() as s:
            patient_id = self._get(s, coverage_id).patient_id
        with self._write() as s:
            c = self._coverage_for_edit(s, coverage_id, expected_version)
            if c.effective_date is not None and day < c.effective_date:
                raise ValidationError(
                    f"The end date is before the coverage started ({c.effective_date:%m/%d/%Y}).",
                    field="end_date",
                )
            if day > today + dt.timedelta(days=3 * 366):
                raise ValidationError("The end date is more than 3 years ahead; check the year.",
                                      field="end_date")  # fmt: skip
            before = c.end_date
            c.end_date, c.updated_at = day, now
            moved = self._close_gaps(s, patient_id, today) if day < today else {}
            self._check_order(s, patient_id, today)
            self._audit(s, "end_date", "insurance_coverage", c.id, patient_id=patient_id,
                        details={"end_date": {"old": before, "new": day},
                                 "moved_up": moved})  # fmt: skip
        return self.coverages(patient_id, include_ended=True)

    @staticmethod
    def _close_gaps(s: Session, patient_id: int, today: dt.date) -> dict[str, dict[str, Any]]:
        s.flush()
        in_effect = s.scalars(
            select(InsuranceCoverage)
            .where(
                InsuranceCoverage.patient_id == patient_id,
                InsuranceCoverage.active.is_(True),
                or_(InsuranceCoverage.end_date.is_(None), InsuranceCoverage.end_date >= today),
                or_(
                    InsuranceCoverage.effective_date.is_(None),
                    InsuranceCoverage.effective_date <= today,
                ),
            )
            .order_by(InsuranceCoverage.priority)
        ).all()
        moved: dict[str, dict[str, Any]] = {}
        for number, c in enumerate(in_effect, start=1):
            if c.priority != number:
                moved[str(c.id)] = {"old": c.priority, "new": number}
                c.priority = number
        return moved

    @policy("insurance.write", audit=WRITE)
    def move_coverage(
        self, coverage_id: int, step: int, *, expected_version: int | None = None
    ) -> list[CoverageRow]:
        """Move a coverage up (-1) or down (+1) in order, swapping with its neighbour."""
        if step not in (-1, 1):
            raise ValidationError("A coverage moves one place up or down at a time.")
        today = self.now().date()
        with self._read() as s:
            patient_id = self._get(s, coverage_id).patient_id
        with self._write() as s:
            c = self._coverage_for_edit(s, coverage_id, expected_version)
            if coverage_has_ended(c.end_date, today):
                raise ValidationError("An ended coverage has no order; it cannot be moved.")
            target = c.priority + step
            if target < 1:
                raise ValidationError(f"{c.payer} is already the primary coverage.")
            neighbours = [
                n
                for n in s.scalars(
                    select(InsuranceCoverage).where(
                        InsuranceCoverage.patient_id == patient_id,
                        InsuranceCoverage.active.is_(True),
                        InsuranceCoverage.priority == target,
                        or_(
                            InsuranceCoverage.end_date.is_(None),
                            InsuranceCoverage.end_date >= today,
                        ),
                    )
                )
                if _overlaps(n, c)
            ]
            if not neighbours:
                where = "above" if step < 0 else "below"
                raise ValidationError(
                    f"There is no coverage {where} {c.payer} to swap with; "
                    f"{c.payer} stays {priority_label(c.priority).lower()}."
                )
            old = c.priority
            for n in neighbours:
                n.priority = old
            c.priority = target
            self._check_order(s, patient_id, today)
            moved = {str(c.id): {"old": old, "new": target}}
            moved.update({str(n.id): {"old": target, "new": old} for n in neighbours})
            self._audit(s, "reorder", "insurance_coverage", c.id, patient_id=patient_id,
                        details={"priority": moved})  # fmt: skip
        return self.coverages(patient_id, include_ended=True)

    @policy("insurance.write", audit=WRITE)
    def remove_coverage(
        self, coverage_id: int, reason: str, *, expected_version: int | None = None
    ) -> None:
        """Take a coverage entered in error off the patient (kept in the store, audited)."""
        reason = clean_note_body(reason, "reason")
        today = self.now().date()
        with self._read() as s:
            patient_id = self._get(s, coverage_id).patient_id
        with self._write() as s:
            c = self._coverage_for_edit(s, coverage_id, expected_version)
            c.active, c.updated_at = False, self.now()
            moved = self._close_gaps(s, patient_id, today)
            self._audit(s, "remove", "insurance_coverage", c.id, patient_id=patient_id,
                        details={"reason": reason, "moved_up": moved})  # fmt: skip

    # ------------------------------------------------------------------ card images
    @policy("insurance.write", audit=WRITE)
    def set_card_image(
        self, coverage_id: int, side: str, data: bytes, *, source: str = "file"
    ) -> CoverageRow:
        """Store a card image inside the encrypted store (the bytes never touch a temp file)."""
        if side not in SIDES:
            raise ValidationError("A card image is either the front or the back.", field="side")
        mime = check_card_image(data)
        with self._read() as s:
            patient_id = self._get(s, coverage_id).patient_id
        with self._write() as s:
            c = self._get(s, coverage_id)
            setattr(c, f"card_{side}", bytes(data))
            setattr(c, f"card_{side}_type", mime)
            c.updated_at = self.now()
            self._audit(s, "card_image", "insurance_coverage", c.id, patient_id=patient_id,
                        details={"side": side, "bytes": len(data), "type": mime,
                                 "source": source})  # fmt: skip
            return self._row(s, c)

    @policy("insurance.write", audit=WRITE)
    def import_card_file(
        self, coverage_id: int, side: str, path: Path, *, delete_after: bool = False
    ) -> CoverageRow:
        """Read an image file into the store; a scanner's file is then deleted from disk."""
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ValidationError(
                f"The file could not be read ({exc.strerror or 'unreadable'}).", field="card"
            ) from exc
        row = self.set_card_image(
            coverage_id, side, data, source="scanner" if delete_after else "file"
        )
        if delete_after:
            try:
                Path(path).unlink()
            except OSError as exc:
                raise ValidationError(
                    "The card was saved, but the scan file could not be deleted from the "
                    f"scanner folder ({exc.strerror}). Delete it by hand: it holds patient data.",
                    field="card",
                ) from exc
        return row

    @policy("insurance.write", audit=REFERENCE)
    def newest_scan(self, folder: Path) -> Path | None:
        """The most recent image file a scanner left in ``folder`` (None when there is none)."""
        folder = Path(folder)
        if not folder.is_dir():
            raise ValidationError(
                "The scanner folder is not set or no longer exists. Choose it with "
                "'Scanner folder…'.",
                field="card",
            )
        scans = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SCAN_SUFFIXES]
        return max(scans, key=lambda p: (p.stat().st_mtime, p.name)) if scans else None

    @policy("insurance.write", audit=WRITE)
    def clear_card_image(self, coverage_id: int, side: str) -> CoverageRow:
        if side not in SIDES:
            raise ValidationError("A card image is either the front or the back.", field="side")
        with self._read() as s:
            patient_id = self._get(s, coverage_id).patient_id
        with self._write() as s:
            c = self._get(s, coverage_id)
            setattr(c, f"card_{side}", None)
            setattr(c, f"card_{side}_type", "")
            c.updated_at = self.now()
            self._audit(s, "card_image_removed", "insurance_coverage", c.id,
                        patient_id=patient_id, details={"side": side})  # fmt: skip
            return self._row(s, c)

    @policy("insurance.read", audit=READ)
    def card_image(self, coverage_id: int, side: str) -> CardImage | None:
        """The card's picture; each side shown is audited (once per opening)."""
        if side not in SIDES:
            raise ValidationError("A card image is either the front or the back.", field="side")
        with self._read() as s:
            c = self._get(s, coverage_id)
            data = getattr(c, f"card_{side}")
            image = (
                None
                if data is None
                else CardImage(coverage_id, side, bytes(data), getattr(c, f"card_{side}_type"))
            )
            patient_id = c.patient_id
        if image is not None:
            self._record_read("view", "card_image", coverage_id, patient_id=patient_id,
                              details={"side": side}, view=(coverage_id, side))  # fmt: skip
        return image

    @policy("reports.print", "insurance.read", audit=PRINT)
    def record_card_print(self, coverage_id: int, sides: list[str]) -> None:
        """Printing PHI is audited like any other disclosure."""
        with self._read() as s:
            patient_id = self._get(s, coverage_id).patient_id
        with self.ctx.db.write() as s:
            self._audit(s, "print", "insurance_card", coverage_id,
                        patient_id=patient_id, details={"sides": sides})  # fmt: skip

    # ------------------------------------------------------------------ eligibility
    @policy("insurance.write", audit=WRITE)
    def verify(
        self,
        coverage_id: int,
        *,
        method: str,
        result: str,
        reference: str = "",
        notes: str = "",
    ) -> EligibilityRow:
        """Log one eligibility check made now by the signed-in user."""
        clean = validate_verification(method, result, reference, notes)
        now = self.now()
        with self._read() as s:
            c = self._get(s, coverage_id)
            patient_id, ended = c.patient_id, coverage_has_ended(c.end_date, now.date())
        if ended:
            raise ValidationError("This coverage has ended; verify the patient's current one.")
        with self._write() as s:
            check = EligibilityCheck(
                coverage_id=coverage_id, checked_at=now, user_id=self.actor.user_id, **clean
            )
            s.add(check)
            s.flush()
            self._audit(s, "verify", "insurance_coverage", coverage_id, patient_id=patient_id,
                        details={"method": clean["method"], "result": clean["result"],
                                 "check_id": check.id})  # fmt: skip
            names = _user_names(s, {check.user_id})
            return self._check_row(check, names)

    @staticmethod
    def _check_row(e: EligibilityCheck, names: dict[int | None, str]) -> EligibilityRow:
        return EligibilityRow(
            e.id, e.coverage_id, e.checked_at, names.get(e.user_id, "unknown user"), e.method,
            e.reference, e.result, e.notes,
        )  # fmt: skip

    @policy("insurance.read", audit=READ)
    def verification_log(self, coverage_id: int) -> list[EligibilityRow]:
        """Every check of one coverage, newest first."""
        with self._read() as s:
            patient_id = self._get(s, coverage_id).patient_id
            checks = s.scalars(
                select(EligibilityCheck)
                .where(EligibilityCheck.coverage_id == coverage_id)
                .order_by(EligibilityCheck.checked_at.desc(), EligibilityCheck.id.desc())
            ).all()
            names = _user_names(s, {e.user_id for e in checks})
            rows = [self._check_row(e, names) for e in checks]
        self._record_insurance_view(patient_id, "verification_log")
        return rows

    # ------------------------------------------------------------------ notes
    @policy("insurance.write", audit=WRITE)
    def add_note(self, patient_id: int, text: str, *, coverage_id: int | None = None) -> NoteRow:
        body = clean_note_body(text)
        with self._write() as s:
            existing(s, Patient, patient_id, "patient")
            if coverage_id is not None and self._get(s, coverage_id).patient_id != patient_id:
                raise ValidationError("That coverage belongs to another patient.")
            note = InsuranceNote(patient_id=patient_id, coverage_id=coverage_id,
                                 created_at=self.now(), author_id=self.actor.user_id,
                                 text=body, superseded=False)  # fmt: skip
            s.add(note)
            s.flush()
            self._audit(s, "create", "insurance_note", note.id, patient_id=patient_id,
                        details={"coverage_id": coverage_id, "chars": len(body)})  # fmt: skip
            return self._note_rows(s, [note])[0]

    @policy("insurance.write", audit=WRITE)
    def edit_note(self, note_id: int, text: str, *, expected_version: int | None = None) -> NoteRow:
        """A correction is a new note that supersedes the old one; the old text is kept.

        Correcting a note someone else has corrected meanwhile (it is superseded, or
        newer than ``expected_version``) is refused with their correction attached.
        """
        body = clean_note_body(text)
        with self._read() as s:
            old = existing(s, InsuranceNote, note_id, "note")
            patient_id = old.patient_id
        with self._write() as s:
            old = existing(s, InsuranceNote, note_id, "note", lock=True)
            if old.superseded or expected_version not in (None, old.version):
                newest = self._note_rows(s, [_newest_note(s, old)])[0]
                raise stale_error(old, what="note", current=newest, now=self.now())
            if old.text == body:
                raise ValidationError("The note is unchanged; nothing to save.", field="text")
            new = InsuranceNote(patient_id=patient_id, coverage_id=old.coverage_id,
                                created_at=self.now(), author_id=self.actor.user_id, text=body,
                                supersedes_id=old.id, superseded=False)  # fmt: skip
            old.superseded = True
            s.add(new)
            s.flush()
            self._audit(s, "edit", "insurance_note", new.id, patient_id=patient_id,
                        details={"supersedes": old.id, "chars": len(body)})  # fmt: skip
            return self._note_rows(s, [new])[0]

    @policy("insurance.read", audit=READ)
    def notes(
        self,
        patient_id: int,
        *,
        search: str = "",
        coverage_id: int | None = None,
        include_superseded: bool = False,
    ) -> list[NoteRow]:
        """The patient's insurance notes, newest first; ``search`` matches words in any order."""
        with self._read() as s:
            stmt = select(InsuranceNote).where(InsuranceNote.patient_id == patient_id)
            if not include_superseded:
                stmt = stmt.where(InsuranceNote.superseded.is_(False))
            if coverage_id is not None:
                stmt = stmt.where(InsuranceNote.coverage_id == coverage_id)
            if "\x00" in search:  # nothing stored holds a NUL, so nothing matches
                stmt = stmt.where(false())
            for word in search.replace("\x00", "").split():
                escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                stmt = stmt.where(InsuranceNote.text.ilike(f"%{escaped}%", escape="\\"))
            notes = s.scalars(
                stmt.order_by(InsuranceNote.created_at.desc(), InsuranceNote.id.desc())
            ).all()
            rows = self._note_rows(s, list(notes))
        self._record_insurance_view(patient_id, "notes")
        return rows

    @policy("insurance.read", audit=READ)
    def note_history(self, note_id: int) -> list[NoteRow]:
        """Every version of a note, oldest first (the last one is current)."""
        with self._read() as s:
            note = existing(s, InsuranceNote, note_id, "note")
            chain = [note]
            while chain[0].supersedes_id is not None:
                chain.insert(0, existing(s, InsuranceNote, chain[0].supersedes_id, "note"))
            while True:
                newer = s.scalar(
                    select(InsuranceNote).where(InsuranceNote.supersedes_id == chain[-1].id)
                )
                if newer is None:
                    break
                chain.append(newer)
            rows = self._note_rows(s, chain)
        self._record_insurance_view(note.patient_id, "note_history")
        return rows

    @staticmethod
    def _note_rows(s: Session, notes: list[InsuranceNote]) -> list[NoteRow]:
        names = _user_names(s, {n.author_id for n in notes})
        coverage_ids = {n.coverage_id for n in notes if n.coverage_id is not None}
        payers = (
            dict(
                s.execute(
                    select(InsuranceCoverage.id, InsuranceCoverage.payer).where(
                        InsuranceCoverage.id.in_(coverage_ids)
                    )
                ).all()
            )
            if coverage_ids
            else {}
        )
        return [
            NoteRow(
                n.id,
                n.patient_id,
                n.coverage_id,
                payers.get(n.coverage_id, "") if n.coverage_id is not None else "",
                n.created_at,
                names.get(n.author_id, "unknown user"),
                n.text,
                n.supersedes_id,
                n.superseded,
                **_version_of(n),
            )  # fmt: skip
            for n in notes
        ]

    # ------------------------------------------------------------------ prior authorisations
    @policy("insurance.read", audit=READ)
    def prior_auths(self, patient_id: int) -> list[PriorAuthRow]:
        """The patient's authorisations: flagged ones first, then by end date."""
        today = self.now().date()
        with self._read() as s:
            auths = s.scalars(
                select(PriorAuthorization)
                .where(PriorAuthorization.patient_id == patient_id)
                .order_by(PriorAuthorization.end_date.desc())
            ).all()
            rows = [self._auth_row(a, today) for a in auths]
        self._record_insurance_view(patient_id, "prior_auths")
        return sorted(rows, key=lambda r: (not r.flag, r.end_date < today, r.end_date))

    @staticmethod
    def _auth_row(a: PriorAuthorization, today: dt.date) -> PriorAuthRow:
        return PriorAuthRow(
            a.id, a.patient_id, a.coverage_id, a.service, a.payer, a.auth_number,
            a.units_approved, a.units_used, a.start_date, a.end_date, a.status,
            auth_flag(a.status, a.start_date, a.end_date, a.units_approved, a.units_used, today),
            **_version_of(a),
        )  # fmt: skip

    def _auth_payer(self, s: Session, patient_id: int, clean: dict[str, Any]) -> None:
        if clean["coverage_id"] is not None:
            c = self._get(s, clean["coverage_id"])
            if c.patient_id != patient_id:
                raise ValidationError("That coverage belongs to another patient.")
            clean["payer"] = clean["payer"] or c.payer
        if not clean["payer"]:
            raise ValidationError("Payer is required (or choose the coverage).", field="payer")

    @policy("insurance.write", audit=WRITE)
    def add_prior_auth(self, patient_id: int, data: PriorAuthInput) -> PriorAuthRow:
        clean = validate_prior_auth(data)
        now = self.now()
        with self._write() as s:
            existing(s, Patient, patient_id, "patient")
            self._auth_payer(s, patient_id, clean)
            auth = PriorAuthorization(patient_id=patient_id, created_at=now, **clean)
            s.add(auth)
            s.flush()
            self._audit(s, "create", "prior_authorization", auth.id, patient_id=patient_id,
                        details=changes({}, clean))  # fmt: skip
            return self._auth_row(auth, now.date())

    @policy("insurance.write", audit=WRITE)
    def update_prior_auth(
        self, auth_id: int, data: PriorAuthInput, *, expected_version: int | None = None
    ) -> PriorAuthRow:
        """Correct an authorisation; a newer saved version than ``expected_version`` is refused."""
        clean = validate_prior_auth(data)
        today = self.now().date()
        with self._read() as s:
            auth = existing(s, PriorAuthorization, auth_id, "authorization")
            patient_id = auth.patient_id
        with self._write() as s:
            auth = existing(s, PriorAuthorization, auth_id, "authorization", lock=True)
            check_version(auth, expected_version, what="authorization", now=self.now(),
                          current=lambda: self._auth_row(auth, today))  # fmt: skip
            self._auth_payer(s, patient_id, clean)
            before = {key: getattr(auth, key) for key in clean}
            diff = changes(before, clean)
            for key in diff:
                setattr(auth, key, clean[key])
            if diff:
                self._audit(s, "update", "prior_authorization", auth.id, patient_id=patient_id,
                            details=diff)  # fmt: skip
            s.flush()  # the row returned carries its new version
            return self._auth_row(auth, today)

    @policy("insurance.write", audit=WRITE)
    def use_auth_units(self, auth_id: int, units: int = 1) -> PriorAuthRow:
        """Count units used by a visit; refuses when the authorisation cannot cover them."""
        today = self.now().date()
        with self._read() as s:
            auth = existing(s, PriorAuthorization, auth_id, "authorization")
            patient_id = auth.patient_id
        with self._write() as s:
            auth = existing(s, PriorAuthorization, auth_id, "authorization", lock=True)
            if units < 1:
                raise ValidationError("Use at least one unit.", field="units")
            if auth.status != "approved":
                raise ValidationError(
                    f"This authorization is {AUTH_STATUSES.get(auth.status, auth.status).lower()}"
                    "; units can only be used on an approved one."
                )
            if not auth.start_date <= today <= auth.end_date:
                raise ValidationError(
                    f"This authorization covers {auth.start_date:%m/%d/%Y}–"
                    f"{auth.end_date:%m/%d/%Y}, not today. Ask the payer for a new one."
                )
            if auth.units_used + units > auth.units_approved:
                left = auth.units_approved - auth.units_used
                raise ValidationError(
                    f"Only {left} of {auth.units_approved} approved units are left.",
                    field="units",
                )
            before = auth.units_used
            auth.units_used += units
            self._audit(s, "use_units", "prior_authorization", auth.id, patient_id=patient_id,
                        details={"units_used": {"old": before, "new": auth.units_used}})  # fmt: skip
            s.flush()  # the row returned carries its new version
            return self._auth_row(auth, today)


def _newest_note(s: Session, note: InsuranceNote) -> InsuranceNote:
    """The latest correction of ``note`` (itself when nobody has corrected it)."""
    while True:
        newer = s.scalar(select(InsuranceNote).where(InsuranceNote.supersedes_id == note.id))
        if newer is None:
            return note
        note = newer
