"""Insurance coverages on file (the Insurance tab builds on this)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from ma_desk.db.models import EligibilityCheck, InsuranceCoverage
from ma_desk.services.base import Service


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
    copays_cents: dict
    last_verified_at: dt.datetime | None
    last_result: str

    @property
    def priority_label(self) -> str:
        return {1: "Primary", 2: "Secondary", 3: "Tertiary"}.get(self.priority, str(self.priority))

    def is_stale(self, now: dt.datetime, days: int) -> bool:
        return self.last_verified_at is None or now - self.last_verified_at > dt.timedelta(
            days=days
        )

    def copay_for(self, visit_type: str) -> int:
        return int(self.copays_cents.get(visit_type, self.default_copay_cents))


class InsuranceService(Service):
    def verification_flags(self, patient_ids: list[int]) -> dict[int, str]:
        """A short warning per patient whose active coverage is unverified or stale.

        Used by the Check-in and Schedule screens; patients with no flag are omitted.
        """
        if not patient_ids:
            return {}
        from ma_desk.services.settings import SettingsService

        days = SettingsService(self.ctx).get().verification_stale_days
        now = self.now()
        today = now.date()
        flags: dict[int, str] = {}
        with self._read("insurance.read") as s:
            last_check = (
                select(
                    EligibilityCheck.coverage_id,
                    func.max(EligibilityCheck.checked_at).label("last"),
                )
                .group_by(EligibilityCheck.coverage_id)
                .subquery()
            )
            rows = s.execute(
                select(InsuranceCoverage.patient_id, InsuranceCoverage.end_date, last_check.c.last)
                .outerjoin(last_check, last_check.c.coverage_id == InsuranceCoverage.id)
                .where(
                    InsuranceCoverage.patient_id.in_(patient_ids),
                    InsuranceCoverage.active.is_(True),
                )
            ).all()
        for patient_id, end_date, last in rows:
            if end_date is not None and end_date < today:
                continue
            if last is None:
                flags.setdefault(patient_id, "Insurance never verified")
            elif now - last > dt.timedelta(days=days):
                flags.setdefault(
                    patient_id, f"Insurance last verified {(now - last).days} days ago"
                )
        return flags

    def coverages(self, patient_id: int, *, include_ended: bool = False) -> list[CoverageRow]:
        today = self.now().date()
        with self._read("insurance.read") as s:
            stmt = (
                select(InsuranceCoverage)
                .where(
                    InsuranceCoverage.patient_id == patient_id, InsuranceCoverage.active.is_(True)
                )
                .order_by(InsuranceCoverage.priority)
            )
            rows = []
            for c in s.scalars(stmt):
                if not include_ended and c.end_date is not None and c.end_date < today:
                    continue
                last = s.execute(
                    select(EligibilityCheck.checked_at, EligibilityCheck.result)
                    .where(EligibilityCheck.coverage_id == c.id)
                    .order_by(EligibilityCheck.checked_at.desc())
                    .limit(1)
                ).first()
                rows.append(
                    CoverageRow(
                        c.id,
                        c.priority,
                        c.payer,
                        c.plan,
                        c.member_id,
                        c.group_number,
                        c.subscriber_relationship,
                        c.effective_date,
                        c.end_date,
                        c.default_copay_cents,
                        dict(c.copays_cents or {}),
                        last[0] if last else None,
                        last[1] if last else "",
                    )  # fmt: skip
                )
            return rows
