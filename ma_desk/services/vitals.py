"""Vital signs: record a set (validated, audited, criticals acknowledged), correct it
without deleting anything, and read the history, previous values and trends.

All clinical rules come from :mod:`ma_desk.clinical.vitals`; this module only loads
what they need (age, sex, previous values, the clinic's weight-change threshold) and
writes what they allow.

Corrections: *amend* marks the original set ``amended`` (superseded, kept with the
reason, who and when) and writes a new ``final`` set that ``replaces_id`` it;
*entered in error* marks the set ``entered-in-error`` with the reason. Nothing is
deleted; ``history(include_voided=True)`` shows it all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ma_desk.clinical import codes
from ma_desk.clinical import vitals as rules
from ma_desk.db.models import (
    Appointment,
    Patient,
    Provider,
    User,
    Visit,
    VisitTask,
    VitalObservation,
    VitalSet,
)
from ma_desk.errors import ConflictError, NeedsConfirmation, NotFoundError, ValidationError
from ma_desk.services import notify
from ma_desk.services.base import Service
from ma_desk.services.notify import HOW_LABELS, NOTIFY_PROVIDER, NotifyTask
from ma_desk.services.policy import READ, REFERENCE, WRITE, policy
from ma_desk.services.rows import existing
from ma_desk.services.settings import SettingsService

FINAL = "final"
AMENDED = "amended"
ENTERED_IN_ERROR = "entered-in-error"
STATUS_LABELS = {
    FINAL: "Final",
    AMENDED: "Amended (superseded)",
    ENTERED_IN_ERROR: "Entered in error",
}
MAX_REASON = 300
MAX_NOTE = 500


class UnlikelyValues(NeedsConfirmation):
    """Values that can hardly be real (a height jump): saved only once confirmed."""


@dataclass(frozen=True)
class ObservationRow:
    loinc: str
    value: float
    unit: str
    entered_value: str = ""
    entered_unit: str = ""
    qualifiers: Mapping[str, Any] = field(default_factory=dict)
    flag: str = ""

    @property
    def field(self) -> str:
        return rules.FIELD_OF_LOINC.get(self.loinc, self.loinc)


@dataclass(frozen=True)
class VitalSetRow:
    id: int
    taken_at: dt.datetime
    status: str
    visit_id: int | None
    values: dict[str, float] = field(default_factory=dict)  # LOINC -> canonical value
    observations: tuple[ObservationRow, ...] = ()
    taken_by: str = ""
    changed_by: str = ""
    changed_at: dt.datetime | None = None
    reason: str = ""  # why it was amended / marked entered in error
    replaces_id: int | None = None
    critical_acknowledged_by: str = ""
    note: str = ""

    def get(self, loinc: str) -> float | None:
        return self.values.get(loinc)

    def flag(self, loinc: str) -> str:
        """Interpretation code (N, L, H, LL, HH, A, AA) of the first reading of a code."""
        for obs in self.observations:
            if obs.loinc == loinc:
                return obs.flag
        return ""

    def observation(self, loinc: str) -> ObservationRow | None:
        return next((o for o in self.observations if o.loinc == loinc), None)

    @property
    def blood_pressure(self) -> str:
        s, d = self.get(codes.SYSTOLIC), self.get(codes.DIASTOLIC)
        return f"{s:.0f}/{d:.0f}" if s is not None and d is not None else ""

    @property
    def bp_readings(self) -> list[tuple[float, float, Mapping[str, Any], str]]:
        """Every BP reading in the set: (systolic, diastolic, qualifiers, flag)."""
        systolic = [o for o in self.observations if o.loinc == codes.SYSTOLIC]
        diastolic = [o for o in self.observations if o.loinc == codes.DIASTOLIC]
        return [
            (s.value, d.value, s.qualifiers, s.flag)
            for s, d in zip(systolic, diastolic, strict=False)
        ]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class SaveResult:
    set_id: int
    visit_id: int | None
    criticals: tuple[str, ...] = ()
    task_id: int | None = None
    findings: Mapping[str, rules.Finding] = field(default_factory=dict)


class VitalsService(Service):
    # ------------------------------------------------------------------ reading
    @policy("vitals.read", audit=READ)
    def history(self, patient_id: int, *, include_voided: bool = False) -> list[VitalSetRow]:
        """Newest first; ``values`` holds the first reading of each code in a set."""
        self._record_vitals_view(patient_id, "history")
        with self._read() as s:
            stmt = (
                select(VitalSet)
                .options(selectinload(VitalSet.observations))
                .where(VitalSet.patient_id == patient_id)
                .order_by(VitalSet.taken_at.desc(), VitalSet.id.desc())
            )
            if not include_voided:
                stmt = stmt.where(VitalSet.status == FINAL)
            sets = list(s.scalars(stmt))
            names = _user_names(s, sets)
            return [_row(vs, names) for vs in sets]

    @policy("vitals.read", audit=READ)
    def get_set(self, set_id: int) -> VitalSetRow:
        row = self._get_set(set_id)
        self._record_vitals_view(self._patient_of(set_id), "vital_set")
        return row

    def _get_set(self, set_id: int) -> VitalSetRow:
        with self._read() as s:
            vs = existing(s, VitalSet, set_id, "vital-sign set")
            return _row(vs, _user_names(s, [vs]))

    def _record_vitals_view(self, patient_id: int, purpose: str) -> None:
        """One entry per opening of a patient's vitals (history, form, previous values)."""
        self._record_read("view", "vital_sets", patient_id, patient_id=patient_id,
                          details={"purpose": purpose}, view=patient_id)  # fmt: skip

    @policy("vitals.read", audit=READ)
    def previous_values(
        self, patient_id: int, *, exclude_set_id: int | None = None
    ) -> dict[str, rules.Previous]:
        """The latest final value of each field, with its date and what was typed."""
        self._record_vitals_view(patient_id, "previous_values")
        with self._read() as s:
            return self._previous(s, patient_id, exclude_set_id)

    @policy("vitals.read", audit=READ)
    def context(
        self, patient_id: int, *, exclude_set_id: int | None = None
    ) -> rules.PatientContext:
        """What the rules need for this patient today: age, sex and previous values."""
        self._record_vitals_view(patient_id, "assessment")
        return self._context(patient_id, exclude_set_id=exclude_set_id)

    def _context(
        self, patient_id: int, *, exclude_set_id: int | None = None
    ) -> rules.PatientContext:
        with self._read() as s:
            patient = existing(s, Patient, patient_id, "patient")
            # An amendment is judged as of its own set: the values before it, at its age.
            amended = s.get(VitalSet, exclude_set_id) if exclude_set_id is not None else None
            as_of = amended.taken_at if amended is not None else None
            previous = self._previous(s, patient_id, exclude_set_id, before=as_of)
            day = as_of.date() if as_of is not None else self.now().date()
            return rules.PatientContext.on(patient.dob, day, patient.sex, previous)

    @policy("settings.read", audit=REFERENCE)
    def rule_settings(self) -> tuple[float, rules.Thresholds]:
        """The clinic's weight-change threshold (%) and flag/critical limits."""
        settings = SettingsService(self.ctx).get()
        limits = rules.Thresholds.from_settings(settings.vitals_thresholds)
        return float(settings.weight_change_percent), limits

    @policy("vitals.read", audit=READ)
    def assess(
        self, patient_id: int, form: rules.VitalsForm, *, exclude_set_id: int | None = None
    ) -> rules.Assessment:
        """The rules applied to a form for this patient (what save would decide)."""
        self._record_vitals_view(patient_id, "assessment")
        return self._assess(patient_id, form, exclude_set_id=exclude_set_id)

    def _assess(
        self, patient_id: int, form: rules.VitalsForm, *, exclude_set_id: int | None = None
    ) -> rules.Assessment:
        context = self._context(patient_id, exclude_set_id=exclude_set_id)
        percent, limits = self.rule_settings()
        return rules.evaluate(form, context, weight_change_percent=percent, limits=limits)

    @policy("vitals.read", audit=REFERENCE)
    def visit_for(self, patient_id: int, appointment_id: int | None) -> int | None:
        """The visit new vitals attach to: the appointment's, else the patient's visit today."""
        with self._read() as s:
            return self._visit_id(s, patient_id, appointment_id)

    @policy("vitals.read", audit=READ)
    def open_tasks(self, visit_id: int) -> list[tuple[int, str]]:
        """Open 'notify provider' items on a visit: (task id, message)."""
        with self._read() as s:
            tasks = notify.open_tasks(s, [visit_id]).get(visit_id, [])
            patient_id = s.scalar(select(Visit.patient_id).where(Visit.id == visit_id))
        if patient_id is not None:
            self._record_vitals_view(patient_id, "open_tasks")
        return [(t.id, t.message) for t in tasks]

    @policy("vitals.write", audit=WRITE)
    def mark_provider_notified(
        self, task_id: int, *, provider_id: int, how: str, at: dt.datetime | None = None
    ) -> NotifyTask:
        """Record that a provider was told about a critical vital-sign set: who, when
        (default now) and how (in person, phone, message). Once per item."""
        if how not in HOW_LABELS:
            raise ValidationError(
                "Choose how the provider was told: in person, by phone or by message.",
                field="how",
            )
        now = self.now()
        at = now if at is None else at.replace(second=0, microsecond=0)
        with self._write() as s:
            task = s.get(VisitTask, task_id)
            if task is None or task.kind not in notify.NOTIFY_KINDS:
                raise NotFoundError(
                    "That 'notify provider' item no longer exists. Refresh the flow board."
                )
            self._check_notifiable(s, task, provider_id, at, now)
            task.done_at, task.done_by_id = at, self.actor.user_id
            task.notified_provider_id, task.notified_how = provider_id, how
            patient_id = s.scalar(select(Visit.patient_id).where(Visit.id == task.visit_id))
            self._audit(s, "notify_provider_done", "visit_task", task.id, patient_id=patient_id,
                        details={"provider_id": provider_id, "how": how, "at": at,
                                 "vital_set_id": task.vital_set_id})  # fmt: skip
            s.flush()
            tasks = notify.notify_tasks(s, [task.visit_id])[task.visit_id]
            return next(t for t in tasks if t.id == task.id)

    def _check_notifiable(
        self, s: Session, task: VisitTask, provider_id: int, at: dt.datetime, now: dt.datetime
    ) -> None:
        """The states that must stay illegal: done twice, for a set with no critical
        value, by an unknown provider, at a time that cannot be."""
        if task.done_at is not None:
            raise ConflictError(
                f"The provider was already recorded as notified at {task.done_at:%H:%M}; "
                "nothing was changed."
            )
        vital_set = s.get(VitalSet, task.vital_set_id) if task.vital_set_id else None
        if vital_set is not None and vital_set.critical_acknowledged_by_id is None:
            raise ValidationError(
                "That vital-sign set has no critical value, so there is no provider to notify."
            )
        provider = s.get(Provider, provider_id)
        if provider is None or not provider.active:
            raise ValidationError(
                "Choose the provider who was told from the list (that provider is not on "
                "the clinic's list of active providers).",
                field="provider",
            )
        if at > now:
            raise ValidationError(
                f"The time told cannot be later than now ({now:%H:%M}).", field="at"
            )
        if at < task.created_at.replace(second=0, microsecond=0):
            raise ValidationError(
                f"The time told cannot be before the critical value was recorded "
                f"({task.created_at:%H:%M}).",
                field="at",
            )

    # ------------------------------------------------------------------ writing
    @policy("vitals.write", audit=WRITE)
    def save(
        self,
        patient_id: int,
        form: rules.VitalsForm,
        *,
        appointment_id: int | None = None,
        acknowledge_critical: bool = False,
        note: str = "",
        confirm_unlikely: bool = False,
    ) -> SaveResult:
        """Record one set in one transaction. Refused values raise ValidationError (errors
        keyed by field); unlikely values (a height jump) raise UnlikelyValues until
        confirmed; critical values raise NeedsConfirmation until acknowledged, then add a
        'notify provider' task to the visit."""
        assessment = self._check(
            patient_id, form, None, acknowledge_critical, note, confirm_unlikely
        )
        with self._write() as s:
            existing(s, Patient, patient_id, "patient")
            visit_id = self._visit_id(s, patient_id, appointment_id)
            vital_set = VitalSet(
                patient_id=patient_id,
                visit_id=visit_id,
                taken_at=self.now(),
                taken_by_id=self.actor.user_id,
                status=FINAL,
                note=note.strip(),
            )
            result = self._store(s, vital_set, assessment, "vitals_record", {})
        return result

    @policy("vitals.write", audit=WRITE)
    def amend(
        self,
        set_id: int,
        form: rules.VitalsForm,
        *,
        reason: str,
        acknowledge_critical: bool = False,
        confirm_unlikely: bool = False,
    ) -> SaveResult:
        """Correct a saved set: the original stays (status 'amended', with the reason and
        who changed it); a new final set replaces it."""
        reason = _reason(reason)
        original = self._get_set(set_id)
        if original.status != FINAL:
            raise ConflictError(f"This set is already {original.status_label.lower()}.")
        patient_id = self._patient_of(set_id)
        assessment = self._check(
            patient_id, form, set_id, acknowledge_critical, "", confirm_unlikely
        )
        with self._write() as s:
            old = s.get(VitalSet, set_id)
            if old is None or old.status != FINAL:
                raise ConflictError("This set was corrected by someone else; reload it.")
            old.status = AMENDED
            old.changed_at = self.now()
            old.changed_by_id = self.actor.user_id
            old.error_reason = reason
            new = VitalSet(
                patient_id=old.patient_id,
                visit_id=old.visit_id,
                taken_at=old.taken_at,
                taken_by_id=old.taken_by_id,
                status=FINAL,
                replaces_id=old.id,
                changed_at=self.now(),
                changed_by_id=self.actor.user_id,
                note=old.note,
            )
            before = {_key(o): _shown(o) for o in old.observations}
            return self._store(
                s, new, assessment, "vitals_amend", {"reason": reason, "replaces": old.id}, before
            )

    @policy("vitals.write", audit=WRITE)
    def mark_entered_in_error(self, set_id: int, reason: str) -> None:
        """Void a set (wrong patient, wrong time...): kept, hidden from current values."""
        reason = _reason(reason)
        with self._write() as s:
            vs = existing(s, VitalSet, set_id, "vital-sign set")
            if vs.status != FINAL:
                raise ConflictError(
                    f"This set is already {STATUS_LABELS.get(vs.status, vs.status).lower()}."
                )
            vs.status = ENTERED_IN_ERROR
            vs.error_reason = reason
            vs.changed_at = self.now()
            vs.changed_by_id = self.actor.user_id
            self._audit(
                s,
                "vitals_entered_in_error",
                "vital_set",
                vs.id,
                patient_id=vs.patient_id,
                details={"status": {"old": FINAL, "new": ENTERED_IN_ERROR}, "reason": reason},
            )

    # ------------------------------------------------------------------ helpers
    def _check(
        self,
        patient_id: int,
        form: rules.VitalsForm,
        exclude_set_id: int | None,
        acknowledge_critical: bool,
        note: str,
        confirm_unlikely: bool = False,
    ) -> rules.Assessment:
        if len(note) > MAX_NOTE:
            raise ValidationError(f"Keep the note under {MAX_NOTE} characters.", field="note")
        if form.is_empty():
            raise ValidationError("Enter at least one vital sign before saving.")
        assessment = self._assess(patient_id, form, exclude_set_id=exclude_set_id)
        if assessment.refusals:
            names = ", ".join(rules.key_label(k) for k in assessment.refusals)
            raise ValidationError(f"Not saved: check {names}.", errors=dict(assessment.refusals))
        if not assessment.measurements:
            raise ValidationError("Enter at least one vital sign before saving.")
        if assessment.confirmations and not confirm_unlikely:
            raise UnlikelyValues(
                "This can hardly be right: re-measure before saving.",
                warnings=list(assessment.confirmations.values()),
            )
        if assessment.criticals:
            if not acknowledge_critical:
                warnings = [f.summary() for f in assessment.criticals]
                raise NeedsConfirmation(
                    "Critical values: confirm they were re-checked. Saving adds a "
                    "'notify provider' item to the visit.",
                    warnings=warnings,
                )
            self.check("vitals.acknowledge", patient_id=patient_id)
        return assessment

    def _store(
        self,
        s: Session,
        vital_set: VitalSet,
        assessment: rules.Assessment,
        action: str,
        details: dict[str, Any],
        before: dict[str, str] | None = None,
    ) -> SaveResult:
        vital_set.observations = [
            VitalObservation(
                seq=i,
                loinc=m.loinc,
                value=m.value,
                unit=m.unit,
                entered_value=m.entered_value[:20],
                entered_unit=m.entered_unit[:20],
                qualifiers=dict(m.qualifiers),
                flag=m.flag,
            )
            for i, m in enumerate(assessment.measurements)
        ]
        criticals = tuple(f.summary() for f in assessment.criticals)
        if criticals:
            vital_set.critical_acknowledged_by_id = self.actor.user_id
        s.add(vital_set)
        s.flush()
        task_id = None
        if criticals and vital_set.visit_id is not None:
            task = VisitTask(
                visit_id=vital_set.visit_id,
                vital_set_id=vital_set.id,
                kind=NOTIFY_PROVIDER,
                message=assessment.critical_summary()[:300],
                created_at=self.now(),
                created_by_id=self.actor.user_id,
            )
            s.add(task)
            s.flush()
            task_id = task.id
        # The audit entry names the fields, never the values (no clinical content there).
        after = {_key(o): _shown(o) for o in vital_set.observations}
        audit_details: dict[str, Any] = dict(details)
        audit_details["fields"] = (
            sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
            if before is not None
            else sorted(after)
        )
        if assessment.confirmations:
            audit_details["confirmed_unlikely"] = sorted(assessment.confirmations)
        if criticals:
            audit_details["critical_fields"] = sorted(f.key for f in assessment.criticals)
            audit_details["notify_provider_task"] = task_id
        self._audit(
            s, action, "vital_set", vital_set.id, patient_id=vital_set.patient_id,
            details=audit_details,
        )  # fmt: skip
        return SaveResult(
            vital_set.id, vital_set.visit_id, criticals, task_id, dict(assessment.findings)
        )

    def _patient_of(self, set_id: int) -> int:
        with self._read() as s:
            vs = existing(s, VitalSet, set_id, "vital-sign set")
            return vs.patient_id

    def _visit_id(self, s: Session, patient_id: int, appointment_id: int | None) -> int | None:
        if appointment_id is not None:
            appointment = existing(s, Appointment, appointment_id, "appointment")
            if appointment.patient_id != patient_id:
                raise ConflictError("That appointment belongs to another patient.")
            if appointment.visit is not None:
                return appointment.visit.id
        return s.scalar(
            select(Visit.id)
            .where(Visit.patient_id == patient_id, Visit.visit_date == self.now().date())
            .order_by(Visit.id.desc())
            .limit(1)
        )

    def _previous(
        self,
        s: Session,
        patient_id: int,
        exclude_set_id: int | None,
        *,
        before: dt.datetime | None = None,
    ) -> dict[str, rules.Previous]:
        stmt = (
            select(VitalSet)
            .options(selectinload(VitalSet.observations))
            .where(VitalSet.patient_id == patient_id, VitalSet.status == FINAL)
            .order_by(VitalSet.taken_at.desc(), VitalSet.id.desc())
        )
        if exclude_set_id is not None:
            stmt = stmt.where(VitalSet.id != exclude_set_id)
        if before is not None:
            stmt = stmt.where(VitalSet.taken_at < before)
        previous: dict[str, rules.Previous] = {}
        for vs in s.scalars(stmt):
            for obs in vs.observations:
                name = rules.FIELD_OF_LOINC.get(obs.loinc)
                if name and name not in previous:
                    previous[name] = rules.Previous(
                        obs.value, vs.taken_at, obs.entered_value, obs.entered_unit
                    )
        return previous


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give a reason for the correction.", field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationError(f"Keep the reason under {MAX_REASON} characters.", field="reason")
    return reason


def _key(obs: VitalObservation) -> str:
    name = rules.FIELD_OF_LOINC.get(obs.loinc, obs.loinc)
    reading = (obs.qualifiers or {}).get("reading")
    return f"{name}.{reading}" if reading else name


def _shown(obs: VitalObservation) -> str:
    if obs.entered_value:
        return f"{obs.entered_value} {obs.entered_unit}"
    return f"{obs.value:.1f} {obs.unit}"


def _user_names(s: Session, sets: list[VitalSet]) -> dict[int, str]:
    ids = {
        i
        for vs in sets
        for i in (vs.taken_by_id, vs.changed_by_id, vs.critical_acknowledged_by_id)
        if i is not None
    }
    if not ids:
        return {}
    return dict(s.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def _row(vs: VitalSet, names: dict[int, str]) -> VitalSetRow:
    values: dict[str, float] = {}
    for obs in vs.observations:
        values.setdefault(obs.loinc, obs.value)
    observations = tuple(
        ObservationRow(
            o.loinc,
            o.value,
            o.unit,
            o.entered_value,
            o.entered_unit,
            dict(o.qualifiers or {}),
            o.flag,
        )  # fmt: skip
        for o in vs.observations
    )

    def name(user_id: int | None) -> str:
        return "" if user_id is None else names.get(user_id, f"user {user_id}")

    return VitalSetRow(
        vs.id, vs.taken_at, vs.status, vs.visit_id, values, observations,
        name(vs.taken_by_id) or ("system" if vs.taken_by_id is None else ""),
        name(vs.changed_by_id), vs.changed_at, vs.error_reason, vs.replaces_id,
        name(vs.critical_acknowledged_by_id), vs.note,
    )  # fmt: skip
