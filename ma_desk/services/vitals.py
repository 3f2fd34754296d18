"""Vital signs: reading a patient's history (entry and rules build on this)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ma_desk.clinical import codes
from ma_desk.db.models import VitalSet
from ma_desk.services.base import Service


@dataclass(frozen=True)
class VitalSetRow:
    id: int
    taken_at: dt.datetime
    status: str
    visit_id: int | None
    values: dict[str, float] = field(default_factory=dict)  # LOINC -> canonical value

    def get(self, loinc: str) -> float | None:
        return self.values.get(loinc)

    @property
    def blood_pressure(self) -> str:
        s, d = self.get(codes.SYSTOLIC), self.get(codes.DIASTOLIC)
        return f"{s:.0f}/{d:.0f}" if s is not None and d is not None else ""


class VitalsService(Service):
    def history(self, patient_id: int, *, include_voided: bool = False) -> list[VitalSetRow]:
        """Newest first; first reading of each code in a set."""
        with self._read("vitals.read") as s:
            stmt = (
                select(VitalSet)
                .options(selectinload(VitalSet.observations))
                .where(VitalSet.patient_id == patient_id)
                .order_by(VitalSet.taken_at.desc(), VitalSet.id.desc())
            )
            if not include_voided:
                stmt = stmt.where(VitalSet.status == "final")
            rows = []
            for vs in s.scalars(stmt):
                values: dict[str, float] = {}
                for obs in vs.observations:
                    values.setdefault(obs.loinc, obs.value)
                rows.append(VitalSetRow(vs.id, vs.taken_at, vs.status, vs.visit_id, values))
            return rows
