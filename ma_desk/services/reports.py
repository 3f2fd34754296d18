"""Gathering each printed document's data from the store, building it, auditing the print.

The ``ma_desk.reports`` builders get only the dataclasses made here (no session).
Every document handed out or exported is audited as ``print`` / ``export`` with
the ASTM E2147 fields, in its own transaction after the PDF was built.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ma_desk import audit
from ma_desk.clinical import codes, flow, units
from ma_desk.clinical import vitals as rules
from ma_desk.db.models import (
    Appointment,
    AppointmentType,
    ChecklistRun,
    Handout,
    HandoutGiven,
    Patient,
    Provider,
    Room,
    Visit,
    VitalObservation,
    VitalSet,
)
from ma_desk.errors import NotFoundError, ValidationError
from ma_desk.reports.data import (
    ClinicHeader,
    DayVisit,
    EndOfDayData,
    FollowUp,
    LabelData,
    OpenItem,
    PatientHeader,
    VisitSummaryData,
    VitalLine,
)
from ma_desk.reports.i18n import document_language
from ma_desk.security.verification import printed_anchor
from ma_desk.services import notify
from ma_desk.services.base import Service
from ma_desk.services.policy import EXPORT, PRINT, READ, policy
from ma_desk.services.rows import gone_message

if TYPE_CHECKING:
    from ma_desk.clinic_settings import ClinicSettings
    from ma_desk.db.statement_types import AnyRow

CRITICAL_FLAGS = ("LL", "HH", "AA")
LABEL_KINDS = ("patient", "specimen")
LABEL_LAYOUTS = ("sheet", "roll")
MAX_LABELS = 300
_SPECIMEN_TYPE_RE = re.compile(r"^[^\x00-\x1f]{1,40}$")


def printed_name(first: str, middle: str, last: str) -> str:
    return " ".join(part for part in (first, middle, last) if part and part.strip())


def clinic_header(settings: ClinicSettings) -> ClinicHeader:
    return ClinicHeader(settings.clinic_name, settings.address, settings.phone, settings.logo_path)


# ------------------------------------------------------------------ vitals in plain words
def _level_words(finding: rules.Finding) -> tuple[str, str]:
    """(what it means for the patient, severity) from the Vitals rules' finding."""
    if finding.level == rules.CRITICAL:
        return f"{finding.words}. Your care team was alerted.", "critical"
    if finding.level == rules.ABNORMAL:
        return f"{finding.words}. Ask your care team what this means for you.", "attention"
    return finding.words or "In the usual range", ""


def vital_lines(values: dict[str, float], dob: dt.date, day: dt.date, sex: str,
                settings: ClinicSettings) -> list[VitalLine]:  # fmt: skip
    """Each measurement in the clinic's display units (metric in brackets) with its meaning."""
    ctx = rules.PatientContext.on(dob, day, sex)
    lines: list[VitalLine] = []
    get = values.get
    weight_unit = units.LB if settings.units_weight == "lb" else units.KG
    length_unit = units.IN if settings.units_length == "in" else units.CM
    temp_unit = units.DEGF if settings.units_temperature == "F" else units.CEL

    def both(value: float, unit: str, canonical: str) -> str:
        shown = f"{units.format_in(value, unit)} {units.label(unit)}"
        if unit == canonical:
            return shown
        return f"{shown} ({units.format_in(value, canonical)} {units.label(canonical)})"

    def add(label: str, value: str, finding: rules.Finding | None) -> None:
        meaning, severity = _level_words(finding) if finding else ("", "")
        lines.append(VitalLine(label, value, meaning, severity))

    s, d = get(codes.SYSTOLIC), get(codes.DIASTOLIC)
    if s is not None and d is not None:
        add("Blood pressure", f"{s:.0f}/{d:.0f} mmHg",
            rules.classify_bp(s, d, ctx, height_cm=get(codes.HEIGHT)))  # fmt: skip
    if (v := get(codes.HEART_RATE)) is not None:
        add("Pulse (heart rate)", f"{v:.0f} beats/min", rules.classify_pulse(v, ctx))
    if (v := get(codes.RESPIRATORY_RATE)) is not None:
        add("Breathing rate", f"{v:.0f} breaths/min", rules.classify_respiratory_rate(v, ctx))
    if (v := get(codes.TEMPERATURE)) is not None:
        add("Temperature", both(v, temp_unit, units.CEL), rules.classify_temperature(v, ctx))
    if (v := get(codes.SPO2)) is not None:
        add("Oxygen level (SpO2)", f"{v:.0f} %", rules.classify_spo2(v, ctx))
    if (v := get(codes.HEIGHT)) is not None:
        add(
            "Height",
            both(v, length_unit, units.CM),
            rules.classify_growth(rules.HEIGHT, v, ctx, detail=False),
        )
    if (v := get(codes.WEIGHT)) is not None:
        add("Weight", both(v, weight_unit, units.KG),
            rules.classify_growth(rules.WEIGHT, v, ctx, get(codes.HEIGHT), detail=False))  # fmt: skip
    if (v := get(codes.BMI)) is not None:
        add("Body mass index (BMI)", f"{v:.1f}", rules.classify_bmi(v, ctx))
    if (v := get(codes.HEAD_CIRCUMFERENCE)) is not None:
        add("Head circumference", both(v, length_unit, units.CM),
            rules.classify_growth(rules.HEAD_CIRCUMFERENCE, v, ctx, detail=False))  # fmt: skip
    if (v := get(codes.PAIN)) is not None:
        add("Pain (0 to 10)", f"{v:.0f}", rules.classify_pain(v))
    return lines


class ReportService(Service):
    # ------------------------------------------------------------- visit summary
    @policy("reports.print", audit=READ)
    def visit_summary_data(self, visit_id: int) -> VisitSummaryData:
        data = self._visit_summary_data(visit_id)
        self._record_read("view", "visit_summary", visit_id,
                          patient_id=self._patient_of(visit_id), view=visit_id)  # fmt: skip
        return data

    def _visit_summary_data(self, visit_id: int) -> VisitSummaryData:
        settings = self._settings()
        with self._read() as s:
            visit = s.get(Visit, visit_id, options=[joinedload(Visit.appointment),
                                                    joinedload(Visit.patient),
                                                    joinedload(Visit.provider)])  # fmt: skip
            if visit is None:
                raise NotFoundError(gone_message("visit"))
            p = visit.patient
            vital_set = s.scalars(
                select(VitalSet)
                .options(selectinload(VitalSet.observations))
                .where(VitalSet.visit_id == visit_id, VitalSet.status == "final")
                .order_by(VitalSet.taken_at.desc(), VitalSet.id.desc())
                .limit(1)
            ).first()
            values: dict[str, float] = {}
            if vital_set is not None:
                for obs in vital_set.observations:
                    values.setdefault(obs.loinc, obs.value)
            follow = s.scalars(
                select(Appointment)
                .options(joinedload(Appointment.provider), joinedload(Appointment.type))
                .where(
                    Appointment.patient_id == p.id,
                    Appointment.start > visit.appointment.start,
                    Appointment.status.in_(tuple(flow.OPEN_STATUSES)),
                )
                .order_by(Appointment.start)
                .limit(1)
            ).first()
            handouts = s.scalars(
                select(Handout.title)
                .join(HandoutGiven, HandoutGiven.handout_id == Handout.id)
                .where(HandoutGiven.visit_id == visit_id)
                .order_by(HandoutGiven.given_at, HandoutGiven.id)
            ).all()
            provider = visit.provider
            return VisitSummaryData(
                clinic=clinic_header(settings),
                patient=PatientHeader(
                    printed_name(p.first_name, p.middle_name, p.last_name),
                    p.dob,
                    p.mrn,
                    p.preferred_language,
                ),  # fmt: skip
                visit_id=visit.id,
                visit_date=visit.visit_date,
                provider=_provider_name(provider),
                reason=visit.chief_complaint or visit.appointment.reason,
                vitals_taken_at=vital_set.taken_at if vital_set else None,
                vitals=tuple(vital_lines(values, p.dob, visit.visit_date, p.sex, settings)),
                allergies=p.allergies,
                medications=p.medications,
                follow_up=FollowUp(
                    follow.start, _provider_name(follow.provider), follow.type.name, follow.reason
                )
                if follow
                else None,  # fmt: skip
                instructions=visit.instructions,
                handouts=tuple(dict.fromkeys(handouts)),
                printed_at=self.now(),
            )

    @policy("reports.print", audit=PRINT)
    def visit_summary(self, visit_id: int) -> bytes:
        """The after-visit summary PDF (in memory); the print is audited."""
        from ma_desk.reports.visit_summary import build_visit_summary

        data = self._visit_summary_data(visit_id)
        pdf = build_visit_summary(data)
        self._record_output(
            "print", "visit_summary", visit_id, patient_id=self._patient_of(visit_id)
        )
        return pdf

    # ------------------------------------------------------------- end of day
    @policy("reports.end_of_day", audit=READ)
    def end_of_day_data(self, day: dt.date, provider_id: int | None = None) -> EndOfDayData:
        data = self._end_of_day_data(day, provider_id)
        self._record_read("view", "end_of_day_report", day.isoformat(),
                          details={"provider_id": provider_id, "appointments": len(data.visits)},
                          view=(day, provider_id))  # fmt: skip
        return data

    def _end_of_day_data(self, day: dt.date, provider_id: int | None = None) -> EndOfDayData:
        settings = self._settings()
        start = dt.datetime.combine(day, dt.time())
        end = start + dt.timedelta(days=1)
        with self._read() as s:
            provider_name = ""
            if provider_id is not None:
                provider = s.get(Provider, provider_id)
                if provider is None:
                    raise ValidationError("There is no provider with that number.",
                                          field="provider")  # fmt: skip
                provider_name = _provider_name(provider)
                providers = [provider_name]
            else:
                providers = [_provider_name(p) for p in s.scalars(
                    select(Provider).where(Provider.active.is_(True)).order_by(Provider.display_name))]  # fmt: skip
            stmt = (
                select(
                    Appointment.id, Appointment.start, Appointment.status, Appointment.is_walk_in,
                    Appointment.provider_id, Appointment.patient_id, Patient.last_name,
                    Patient.first_name, Patient.mrn,
                    Provider.display_name.label("provider_name"), Provider.credentials,
                    AppointmentType.name.label("type_name"), Room.name.label("room_name"),
                    Visit.id.label("visit_id"), Visit.arrived_at, Visit.roomed_at,
                    Visit.provider_at, Visit.checked_out_at, Visit.copay_expected_cents,
                    Visit.copay_collected_cents, Visit.copay_method,
                )
                .join(Patient, Patient.id == Appointment.patient_id)
                .join(Provider, Provider.id == Appointment.provider_id)
                .join(AppointmentType, AppointmentType.id == Appointment.type_id)
                .outerjoin(Room, Room.id == Appointment.room_id)
                .outerjoin(Visit, Visit.appointment_id == Appointment.id)
                .where(Appointment.start >= start, Appointment.start < end,
                       Appointment.status != flow.ENTERED_IN_ERROR)
                .order_by(Appointment.start, Appointment.id)
            )  # fmt: skip
            if provider_id is not None:
                stmt = stmt.where(Appointment.provider_id == provider_id)
            appointments = s.execute(stmt).all()
            visit_ids = [a.visit_id for a in appointments if a.visit_id is not None]
            open_tasks = notify.open_tasks(s, visit_ids)  # the flow board's query
            critical_sets = _critical_unacknowledged(s, visit_ids)
            rooms_open = self._rooms_without_closing(s, start, end)
        stale = self._stale_insurance(appointments)

        visits: list[DayVisit] = []
        items: list[OpenItem] = []
        insurance_listed: set[int] = set()
        for a in appointments:
            name = f"{a.last_name}, {a.first_name}"
            who = f"{name} ({a.mrn})"
            own: list[str] = []
            arrived = a.visit_id is not None
            if arrived and a.status in flow.IN_CLINIC_STATUSES:
                where = f" in {a.room_name}" if a.room_name else ""
                own.append("not checked out")
                items.append(OpenItem("not_checked_out", f"{who} — "
                                      f"{flow.LABELS[a.status].lower()}{where}, booked {a.start:%H:%M}"))  # fmt: skip
            if arrived:
                for task in open_tasks.get(a.visit_id, []):
                    own.append("provider not notified")
                    items.append(OpenItem("notify_provider", f"{who} — {task.message}"))
                if a.visit_id in critical_sets:
                    own.append("critical vitals not acknowledged")
                    items.append(OpenItem("critical_vitals", f"{who} — vitals at "
                                          f"{critical_sets[a.visit_id]:%H:%M}"))  # fmt: skip
                if a.patient_id in stale:
                    flag = stale[a.patient_id].lower()
                    own.append(flag if flag.startswith("insurance") else f"insurance: {flag}")
                    if a.patient_id not in insurance_listed:  # once per patient
                        insurance_listed.add(a.patient_id)
                        items.append(OpenItem("insurance_stale", f"{who} — {stale[a.patient_id]}"))
            visits.append(DayVisit(
                appointment_id=a.id, visit_id=a.visit_id, start=a.start, patient_name=name,
                mrn=a.mrn, provider_id=a.provider_id,
                provider=_provider_label(a.provider_name, a.credentials),
                appointment_type=a.type_name, status=a.status, walk_in=a.is_walk_in,
                arrived_at=a.arrived_at, roomed_at=a.roomed_at, provider_at=a.provider_at,
                checked_out_at=a.checked_out_at,
                copay_expected_cents=a.copay_expected_cents or 0,
                copay_collected_cents=a.copay_collected_cents or 0,
                copay_method=a.copay_method or "",
                open_items=tuple(dict.fromkeys(own)),
            ))  # fmt: skip
        for room_name in rooms_open:
            items.append(OpenItem("room_not_closed", room_name))
        order = ["not_checked_out", "critical_vitals", "notify_provider", "room_not_closed",
                 "insurance_stale"]  # fmt: skip
        items.sort(key=lambda i: order.index(i.kind) if i.kind in order else len(order))
        with self._read() as s:
            anchor = printed_anchor(audit.chain_head(s))
        return EndOfDayData(clinic_header(settings), day, provider_name, tuple(visits),
                            tuple(items), self.now(), tuple(providers), anchor)  # fmt: skip

    @policy("reports.end_of_day", audit=PRINT)
    def end_of_day_pdf(self, day: dt.date, provider_id: int | None = None) -> bytes:
        from ma_desk.reports.end_of_day import build_end_of_day

        data = self._end_of_day_data(day, provider_id)
        pdf = build_end_of_day(data)
        self._record_output("print", "end_of_day_report", day.isoformat(),
                            details={"format": "pdf", "provider_id": provider_id,
                                     "appointments": len(data.visits)})  # fmt: skip
        return pdf

    @policy("reports.end_of_day", audit=EXPORT)
    def end_of_day_csv(self, day: dt.date, provider_id: int | None = None) -> str:
        from ma_desk.reports.end_of_day_csv import build_end_of_day_csv

        data = self._end_of_day_data(day, provider_id)
        text = build_end_of_day_csv(data)
        self._record_output("export", "end_of_day_report", day.isoformat(),
                            details={"format": "csv", "provider_id": provider_id,
                                     "appointments": len(data.visits)})  # fmt: skip
        return text

    # ------------------------------------------------------------- labels
    @policy("reports.print", audit=READ)
    def label_data(
        self,
        *,
        kind: str,
        visit_id: int | None = None,
        patient_id: int | None = None,
        count: int = 1,
        specimen_types: Sequence[str] = (),
        collected_at: dt.datetime | None = None,
    ) -> list[LabelData]:
        """Patient labels (``count`` copies) or one specimen label per specimen type."""
        errors: dict[str, str] = {}
        if kind not in LABEL_KINDS:
            errors["kind"] = "Choose patient or specimen labels."
        if kind == "patient" and not 1 <= count <= MAX_LABELS:
            errors["count"] = f"Print between 1 and {MAX_LABELS} labels."
        types = [" ".join(t.split()) for t in specimen_types if t and t.strip()]
        if kind == "specimen":
            if visit_id is None:
                errors["visit"] = "Specimen labels belong to a visit: choose the patient's visit."
            if not types:
                errors["specimens"] = (
                    "Add at least one specimen (for example: Blood, lavender top)."
                )
            elif len(types) > 30:
                errors["specimens"] = "At most 30 specimens at a time."
            elif not all(_SPECIMEN_TYPE_RE.match(t) for t in types):
                errors["specimens"] = "Each specimen description is limited to 40 characters."
        if visit_id is None and patient_id is None and "visit" not in errors:
            errors["visit"] = "Choose a patient or a visit first."
        if errors:
            raise ValidationError(next(iter(errors.values())), field=next(iter(errors)),
                                  errors=errors)  # fmt: skip
        with self._read() as s:
            visit = s.get(Visit, visit_id) if visit_id is not None else None
            if visit_id is not None and visit is None:
                raise NotFoundError(gone_message("visit"))
            patient = s.get(Patient, visit.patient_id if visit else patient_id)
            if patient is None:
                raise NotFoundError(gone_message("patient"))
            name = f"{patient.last_name}, {patient.first_name}"
            self._record_read("view", "label_data", patient.mrn, patient_id=patient.id,
                              details={"kind": kind}, view=(kind, patient.id))  # fmt: skip
            language = document_language(patient.preferred_language)
            if kind == "patient":
                return [LabelData("patient", patient.mrn, name, patient.dob, patient.mrn,
                                  language=language)] * count  # fmt: skip
            assert visit is not None
            when = collected_at or self.now()
            collector = self.actor.display_name
            return [
                LabelData(
                    "specimen",
                    specimen_id(visit.visit_date, visit.id, n),
                    name,
                    patient.dob,
                    patient.mrn,
                    specimen,
                    when,
                    collector,
                    language,
                )  # fmt: skip
                for n, specimen in enumerate(types, start=1)
            ]

    @policy("reports.print", audit=PRINT)
    def labels(self, labels: Sequence[LabelData], *, layout: str = "sheet",
               start_position: int = 1, dpi: int | None = None) -> bytes:  # fmt: skip
        """The label PDF for rows from ``label_data``; the print is audited per patient.

        ``dpi``: the label printer's resolution (barcodes on its dot grid); default the
        stock's usual one (sheet 300, roll 203)."""
        from ma_desk.reports.labels import LAYOUTS, PRINTER_DPIS, build_labels

        if layout not in LABEL_LAYOUTS:
            raise ValidationError("Choose a label sheet or a roll printer.", field="layout")
        if dpi is not None and dpi not in PRINTER_DPIS:
            choices = ", ".join(str(d) for d in PRINTER_DPIS)
            raise ValidationError(f"Choose the label printer's resolution: {choices} dpi.",
                                  field="dpi")  # fmt: skip
        per_page = LAYOUTS[layout].per_page
        if not 1 <= start_position <= per_page:
            raise ValidationError(f"Start at a label position from 1 to {per_page}.",
                                  field="start_position")  # fmt: skip
        if not labels:
            raise ValidationError("There are no labels to print.", field="count")
        pdf = build_labels(labels, layout, start_position, dpi)
        mrns = sorted({label.mrn for label in labels})
        with self._write() as s:
            ids = dict(
                s.execute(select(Patient.mrn, Patient.id).where(Patient.mrn.in_(mrns))).all()
            )
            for mrn in mrns:
                mine = [label for label in labels if label.mrn == mrn]
                self._audit(s, "print", "labels", mrn, patient_id=ids.get(mrn),
                            details={"kind": mine[0].kind, "count": len(mine), "layout": layout,
                                     "barcodes": sorted({x.barcode_value for x in mine})})  # fmt: skip
        return pdf

    # ------------------------------------------------------------- helpers
    def _settings(self) -> ClinicSettings:
        from ma_desk.services.settings import SettingsService

        return SettingsService(self.ctx).get()

    def _patient_of(self, visit_id: int) -> int | None:
        with self.ctx.db.read() as s:
            return s.scalar(select(Visit.patient_id).where(Visit.id == visit_id))

    def _record_output(self, action: str, entity: str, entity_id: object, *,
                       patient_id: int | None = None, details: dict[str, object] | None = None) -> None:  # fmt: skip
        with self._write() as s:
            self._audit(s, action, entity, entity_id, patient_id=patient_id, details=details)

    @staticmethod
    def _rooms_without_closing(s: Session, start: dt.datetime, end: dt.datetime) -> list[str]:
        closed = set(s.scalars(select(ChecklistRun.room_id).where(
            ChecklistRun.moment == "closing", ChecklistRun.status == "completed",
            ChecklistRun.started_at >= start, ChecklistRun.started_at < end)))  # fmt: skip
        rooms = s.scalars(select(Room).where(Room.active.is_(True))
                          .order_by(Room.sort_order, Room.name))  # fmt: skip
        return [r.name for r in rooms if r.id not in closed and r.state != "out_of_service"]

    def _stale_insurance(self, appointments: Sequence[AnyRow]) -> dict[int, str]:
        from ma_desk.services.insurance import InsuranceService

        patient_ids = sorted({a.patient_id for a in appointments if a.visit_id is not None})
        return InsuranceService(self.ctx).verification_flags(patient_ids)


def specimen_id(visit_date: dt.date, visit_id: int, number: int) -> str:
    """A clinic specimen ID, unique per visit and tube: S<yymmdd>-<visit>-<n>."""
    return f"S{visit_date:%y%m%d}-{visit_id}-{number}"


def _provider_name(provider: Provider) -> str:
    return _provider_label(provider.display_name, provider.credentials)


def _provider_label(display_name: str, credentials: str) -> str:
    if credentials and credentials not in display_name:
        return f"{display_name}, {credentials}"
    return display_name


def _critical_unacknowledged(s: Session, visit_ids: list[int]) -> dict[int, dt.datetime]:
    """Visits with a final vital set flagged critical that nobody acknowledged (first time)."""
    if not visit_ids:
        return {}
    rows = s.execute(
        select(VitalSet.visit_id, func.min(VitalSet.taken_at))
        .join(VitalObservation, VitalObservation.vital_set_id == VitalSet.id)
        .where(VitalSet.visit_id.in_(visit_ids), VitalSet.status == "final",
               VitalSet.critical_acknowledged_by_id.is_(None),
               VitalObservation.flag.in_(CRITICAL_FLAGS))
        .group_by(VitalSet.visit_id)
    ).all()  # fmt: skip
    return {visit_id: taken for visit_id, taken in rows if visit_id is not None}
