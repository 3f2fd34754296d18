"""The report service on the demo clinic: data gathered right, prints audited, roles enforced."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from sqlalchemy import select

from ma_desk.actor import Actor
from ma_desk.clinical import codes
from ma_desk.db.models import AuditEvent, ChecklistRun, Room, VisitTask, VitalObservation, VitalSet
from ma_desk.errors import NotFoundError, PermissionDenied, ValidationError
from ma_desk.reports.day_summary import summarise
from ma_desk.reports.document import money
from ma_desk.services.reports import specimen_id
from tests.conftest import NOW
from tests.report_helpers import pdf_pages, pdf_text

pytestmark = pytest.mark.both_stores  # services run on SQLCipher and PostgreSQL


def _visits(services, status: str) -> list:
    return [a for a in services.schedule.day(NOW.date()) if a.status == status and a.visit_id]


def _audits(services, action: str, entity: str) -> list[AuditEvent]:
    with services.ctx.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action,
                                                       AuditEvent.entity == entity)))  # fmt: skip


def test_visit_summary_has_name_vitals_follow_up_and_is_audited(demo_services):
    appt = next(
        a
        for a in _visits(demo_services, "checked_out")
        if demo_services.reports.visit_summary_data(a.visit_id).follow_up is None
    )
    types = demo_services.schedule.appointment_types()
    follow = demo_services.schedule.book(
        patient_id=appt.patient_id, provider_id=appt.provider_id, type_id=types[0].id,
        start=dt.datetime(2026, 12, 14, 9, 45), reason="Recheck", confirm=True,
    )  # fmt: skip
    data = demo_services.reports.visit_summary_data(appt.visit_id)
    assert data.patient.mrn == appt.mrn
    assert data.follow_up is not None and data.follow_up.start == follow.start
    labels = {line.label: line for line in data.vitals}
    assert {"Blood pressure", "Pulse (heart rate)", "Temperature", "Weight"} <= set(labels)
    assert labels["Weight"].value.endswith("kg)") and " lb " in labels["Weight"].value

    pdf = demo_services.reports.visit_summary(appt.visit_id)
    text = pdf_text(pdf)
    last, first = appt.patient_name.split(", ")
    assert f"{first} {last}" in text
    assert labels["Blood pressure"].value in text
    assert "Monday, December 14, 2026 at 9:45 AM" in text and "Recheck" in text
    assert len(pdf_pages(pdf)) <= 2
    printed = _audits(demo_services, "print", "visit_summary")
    assert [(e.entity_id, e.patient_id) for e in printed] == [(str(appt.visit_id), appt.patient_id)]
    assert printed[0].username == demo_services.actor.username


def test_vitals_flags_come_from_the_vitals_rules(demo_services):
    appt = _visits(demo_services, "checked_out")[0]
    with demo_services.ctx.db.write() as s:
        vs = s.scalars(select(VitalSet).where(VitalSet.visit_id == appt.visit_id)).first()
        for obs in vs.observations:
            if obs.loinc == codes.SYSTOLIC:
                obs.value = 186.0
            if obs.loinc == codes.DIASTOLIC:
                obs.value = 124.0
            if obs.loinc == codes.SPO2:
                obs.value = 86.0
    lines = {v.label: v for v in demo_services.reports.visit_summary_data(appt.visit_id).vitals}
    assert lines["Blood pressure"].severity == "critical"
    assert "Hypertensive crisis" in lines["Blood pressure"].meaning
    assert lines["Oxygen level (SpO2)"].severity == "critical"


def test_unknown_visit_is_refused(demo_services):
    with pytest.raises(NotFoundError):
        demo_services.reports.visit_summary(999_999)


def test_end_of_day_counts_match_schedule_and_csv_totals_match_pdf(demo_services):
    day_rows = demo_services.schedule.day(NOW.date())
    data = demo_services.reports.end_of_day_data(NOW.date())
    assert len(data.visits) == len(day_rows)
    summary = summarise(data.visits, data.providers)
    assert summary.no_show == sum(a.status == "no_show" for a in day_rows)
    assert summary.arrived == sum(a.visit_id is not None for a in day_rows)

    rows = list(csv.DictReader(io.StringIO(demo_services.reports.end_of_day_csv(NOW.date()))))
    text = pdf_text(demo_services.reports.end_of_day_pdf(NOW.date()))
    collected = round(sum(float(r["copay_collected"]) for r in rows) * 100)
    expected = round(sum(float(r["copay_expected"]) for r in rows) * 100)
    total = re.search(r"Total\s+(\d+)\s+(\$[\d,]+\.\d\d)\s+(\$[\d,]+\.\d\d)", text)
    assert total and (total.group(2), total.group(3)) == (money(expected), money(collected))
    checked_out = sum(r["status"] == "checked_out" for r in rows)
    assert re.search(rf"All\s+{summary.scheduled}\s+{summary.walk_ins}\s+{summary.arrived}\s+"
                     rf"{summary.no_show}\s+{summary.cancelled}\s+{checked_out}", text)  # fmt: skip
    assert _audits(demo_services, "export", "end_of_day_report")
    assert _audits(demo_services, "print", "end_of_day_report")


def test_end_of_day_open_items(demo_services):
    in_clinic = _visits(demo_services, "roomed") + _visits(demo_services, "with_provider")
    target = in_clinic[0]
    with demo_services.ctx.db.write() as s:
        s.add(VisitTask(visit_id=target.visit_id, kind="notify_provider",
                        message="Critical vitals - notify provider: SpO2 86 %", created_at=NOW))  # fmt: skip
        vs = s.scalars(select(VitalSet).where(VitalSet.visit_id == target.visit_id)).first()
        s.add(VitalObservation(vital_set_id=vs.id, seq=99, loinc=codes.SPO2, value=86,
                               unit="%", flag="LL"))  # fmt: skip
        room = s.scalars(select(Room).order_by(Room.id)).first()
        s.add(ChecklistRun(room_id=room.id, template_id=1, moment="closing", started_at=NOW,
                           finished_at=NOW, status="completed"))  # fmt: skip
        closed_room = room.name
    data = demo_services.reports.end_of_day_data(NOW.date())
    kinds = {item.kind for item in data.open_items}
    assert {"not_checked_out", "notify_provider", "critical_vitals", "room_not_closed"} <= kinds
    rooms = [i.description for i in data.open_items if i.kind == "room_not_closed"]
    assert closed_room not in rooms and rooms
    row = next(v for v in data.visits if v.visit_id == target.visit_id)
    assert {"not checked out", "provider not notified", "critical vitals not acknowledged"} <= set(
        row.open_items
    )
    text = pdf_text(demo_services.reports.end_of_day_pdf(NOW.date()))
    assert "Critical vitals not acknowledged (1)" in text
    assert "Provider not yet notified (1)" in text


def test_end_of_day_for_one_provider(demo_services):
    provider = demo_services.schedule.providers()[0]
    data = demo_services.reports.end_of_day_data(NOW.date(), provider.id)
    assert data.visits and {v.provider_id for v in data.visits} == {provider.id}
    assert provider.display_name in data.provider_filter
    with pytest.raises(ValidationError):
        demo_services.reports.end_of_day_data(NOW.date(), 9999)


def test_roles(demo_services):
    appt = _visits(demo_services, "checked_out")[0]
    demo_services.set_actor(Actor(None, "doc", "Doc", "provider", "ws"))
    text = pdf_text(demo_services.reports.visit_summary(appt.visit_id))
    last, first = appt.patient_name.split(", ")
    assert f"{first} {last}" in text and f"MRN {appt.mrn}" in text
    printed = _audits(demo_services, "print", "visit_summary")
    assert [(e.entity_id, e.username) for e in printed] == [(str(appt.visit_id), "doc")]
    with pytest.raises(PermissionDenied):
        demo_services.reports.end_of_day_pdf(NOW.date())
    assert _audits(demo_services, "print", "end_of_day_report") == []


def test_specimen_and_patient_labels(demo_services):
    appt = _visits(demo_services, "checked_out")[0]
    rows = demo_services.reports.label_data(kind="specimen", visit_id=appt.visit_id,
                                            specimen_types=["Blood, lavender", " Urine "])  # fmt: skip
    assert [r.barcode_value for r in rows] == [specimen_id(NOW.date(), appt.visit_id, 1),
                                               specimen_id(NOW.date(), appt.visit_id, 2)]  # fmt: skip
    assert rows[1].specimen_type == "Urine" and rows[0].collected_at == NOW
    pdf = demo_services.reports.labels(rows, layout="roll")
    assert rows[0].barcode_value in pdf_text(pdf)
    patient_rows = demo_services.reports.label_data(kind="patient", patient_id=appt.patient_id,
                                                    count=4)  # fmt: skip
    assert len(patient_rows) == 4 and {r.barcode_value for r in patient_rows} == {appt.mrn}
    demo_services.reports.labels(patient_rows, layout="sheet", start_position=30)
    audits = _audits(demo_services, "print", "labels")
    assert len(audits) == 2 and all(a.patient_id == appt.patient_id for a in audits)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "specimen", "specimen_types": ["Blood"]}, "visit"),
        ({"kind": "specimen", "visit_id": 1, "specimen_types": []}, "specimens"),
        ({"kind": "specimen", "visit_id": 1, "specimen_types": ["x" * 41]}, "specimens"),
        ({"kind": "patient", "patient_id": 1, "count": 0}, "count"),
        ({"kind": "sticker", "patient_id": 1}, "kind"),
    ],
)
def test_label_validation(demo_services, kwargs, field):
    with pytest.raises(ValidationError) as info:
        demo_services.reports.label_data(**kwargs)
    assert field in info.value.errors


def test_label_print_validation(demo_services):
    rows = demo_services.reports.label_data(kind="patient", patient_id=1)
    with pytest.raises(ValidationError, match="position from 1 to 30"):
        demo_services.reports.labels(rows, layout="sheet", start_position=31)
    with pytest.raises(ValidationError, match="label sheet or a roll"):
        demo_services.reports.labels(rows, layout="envelope")
    with pytest.raises(ValidationError, match="no labels to print"):
        demo_services.reports.labels([], layout="sheet")
    assert _audits(demo_services, "print", "labels") == []  # nothing printed, nothing recorded
