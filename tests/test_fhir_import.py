"""FHIR R4 import of Patient, Coverage and Appointment (Bundle and NDJSON), and the round
trip: the demo clinic exported and imported into an empty clinic gives the same records."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ma_desk.db.models import Appointment, AppointmentType, InsuranceCoverage, Patient, Provider
from ma_desk.demo import APPOINTMENT_TYPES, PROVIDERS
from ma_desk.errors import ValidationError
from ma_desk.interchange.fhir_in import read_fhir
from ma_desk.services import Services
from ma_desk.services.interchange import COVERAGE_COMPARED, ImportOptions
from ma_desk.services.patients import EDITABLE
from tests.import_files import by_line, run_import

FREELY_ASSOCIATED = {"FM", "MH", "PW"}


def same_providers_and_types(services: Services) -> None:
    """The empty clinic set up with the demo's providers and visit types (first-run setup)."""
    with services.ctx.db.write() as s:
        s.add_all(Provider(display_name=name, credentials=cred, specialty=spec, color=color)
                  for name, cred, spec, color in PROVIDERS)  # fmt: skip
        s.add_all(AppointmentType(name=name, default_minutes=minutes, color=color)
                  for name, minutes, color, _share in APPOINTMENT_TYPES)  # fmt: skip


def export_ndjson(demo: Services, folder) -> bytes:
    demo.accounts.sign_in("admin", _password())
    demo.interchange.export_clinic_fhir(folder)
    return b"".join((folder / f"{kind}.ndjson").read_bytes()
                    for kind in ("Patient", "AllergyIntolerance", "MedicationStatement", "Coverage",
                                 "Appointment", "Observation"))  # fmt: skip


def _password() -> str:
    from ma_desk.security.demo_accounts import DEMO_PASSWORD

    return DEMO_PASSWORD


def test_round_trip_into_an_empty_clinic_gives_the_same_records(demo_services, services,
                                                                tmp_path, clock):  # fmt: skip
    data = export_ndjson(demo_services, tmp_path / "out")
    same_providers_and_types(services)
    report = run_import(services, "fhir", data, source="fhir")
    assert report.ignored == {"Observation": len((tmp_path / "out" / "Observation.ndjson")
                                                 .read_text().splitlines())}  # fmt: skip
    with demo_services.ctx.db.read() as s:
        old_patients = {p.mrn: {n: getattr(p, n) for n in EDITABLE}
                        for p in s.scalars(select(Patient))}  # fmt: skip
    # The demo gives some patients the postal codes of Micronesia, the Marshall Islands and
    # Palau, which registration (patients.US_STATES) refuses: the import refuses them too,
    # and says so, rather than store what the form would not.
    refused = {
        o.external_id for o in report.outcomes if o.action == "error" and o.kind == "patients"
    }
    assert {m for m, p in old_patients.items() if p["state"] in FREELY_ASSOCIATED} == refused
    assert all(o.message == "State: Use the two-letter US state code, e.g. OR."
               for o in report.outcomes if o.kind == "patients" and o.action == "error")  # fmt: skip
    assert all("No patient with ID" in o.message for o in report.outcomes
               if o.kind != "patients" and o.action == "error")  # fmt: skip
    old_patients = {m: p for m, p in old_patients.items() if m not in refused}
    with demo_services.ctx.db.read() as s:
        old_coverages = sorted(
            (c.patient.mrn, *(getattr(c, n) for n in COVERAGE_COMPARED))
            for c in s.scalars(select(InsuranceCoverage)) if c.patient.mrn not in refused)  # fmt: skip
        old_future = sorted(
            (a.patient.mrn, a.start, a.minutes, a.provider.display_name, a.type.name, a.reason)
            for a in s.scalars(select(Appointment).where(
                Appointment.start >= clock.now(),
                Appointment.status.in_(("scheduled", "confirmed"))))
            if a.patient.mrn not in refused)  # fmt: skip
    with services.ctx.db.read() as s:
        new_patients = {p.external_id: {n: getattr(p, n) for n in EDITABLE}
                        for p in s.scalars(select(Patient))}  # fmt: skip
        new_coverages = sorted(
            (c.patient.external_id, *(getattr(c, n) for n in COVERAGE_COMPARED))
            for c in s.scalars(select(InsuranceCoverage)))  # fmt: skip
        new_future = sorted(
            (a.patient.external_id, a.start, a.minutes, a.provider.display_name, a.type.name,
             a.reason) for a in s.scalars(select(Appointment)))  # fmt: skip
    diffs = {
        m: {k: (v, new_patients[m][k]) for k, v in p.items() if new_patients[m][k] != v}
        for m, p in old_patients.items()
        if new_patients.get(m) != p
    }
    assert diffs == {}
    assert new_coverages == old_coverages
    assert new_future == old_future
    skipped = [o for o in report.outcomes if o.action == "skip"]
    assert skipped and all(o.kind == "appointments" for o in skipped)
    assert all("only booked appointments" in o.message or "In the past" in o.message
               for o in skipped)  # fmt: skip
    again = run_import(services, "fhir", data, source="fhir").counts()
    assert again["create"] == again["update"] == 0


def test_a_bundle_of_one_patient_is_imported_and_matched(demo_services, sign_in_as, tmp_path):
    sign_in_as("admin")
    out = tmp_path / "one.json"
    demo_services.interchange.export_patient_fhir(1, out)
    report = run_import(demo_services, "fhir", out.read_bytes(), source="otherclinic")
    rows = by_line(report)
    assert rows[1][0] == "skip" and "May already be registered" in rows[1][1]
    assert "MRN M100001" in rows[1][1]
    linked = run_import(demo_services, "fhir", out.read_bytes(), source="otherclinic",
                        duplicates="link")  # fmt: skip
    assert by_line(linked)[1][0] == "link"
    with demo_services.ctx.db.read() as s:
        patient = s.get(Patient, 1)
        assert (patient.external_source, patient.external_id) == ("otherclinic", patient.mrn)


BAD_FHIR = [
    (b"", "The file is empty."),
    (b"\xff\xfe\x00garbage", "must be UTF-8 JSON"),
    (b'{"hello": 1}', "not a FHIR resource or Bundle"),
    (b'{"resourceType": "Patient"}\n{"resourceType": "Pat', "Line 2 is not JSON"),
    (b'[1, 2]', "not a FHIR resource or Bundle"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "message"), BAD_FHIR)
def test_a_file_that_is_not_fhir_is_refused_in_words(services: Services, data, message):
    with pytest.raises(ValidationError, match=message.replace(".", r"\.")):
        services.interchange.dry_run_fhir(data, ImportOptions(source="fhir"))


def test_resources_with_bad_values_are_reported_per_entry(services: Services):
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "a", "birthDate": "1980-02-30",
                      "name": [{"family": "Doe", "given": ["Jan"]}]}},
        {"resource": {"resourceType": "Patient", "id": "b", "birthDate": "1980-02-03",
                      "name": [{"given": ["NoFamily"]}]}},
        {"resource": {"resourceType": "Patient", "id": "c", "birthDate": "1980-02-03",
                      "name": [{"family": "Roe", "given": ["Ann"]}], "gender": "female",
                      "telecom": [{"system": "phone", "value": "+1 555 010 7788"}]}},
        {"resource": {"resourceType": "Coverage", "id": "k", "status": "active",
                      "beneficiary": {"reference": "Patient/zzz"}, "payor": [{"display": "X"}],
                      "subscriberId": "1"}},
        {"resource": {"resourceType": "Practitioner", "id": "p"}},
    ]}  # fmt: skip
    report = run_import(services, "fhir", json.dumps(bundle).encode(), source="fhir")
    rows = {(o.kind, o.line): (o.action, o.message) for o in report.outcomes}
    assert rows[("patients", 1)] == ("error", "Date of birth: 1980-02-30 is not a real date "
                                    "(check month and day).")  # fmt: skip
    assert rows[("patients", 2)] == ("error", "Last name is required.")
    assert rows[("patients", 3)][0] == "create"
    assert rows[("coverages", 4)][0] == "error"
    assert report.ignored == {"Practitioner": 1}
    with services.ctx.db.read() as s:
        (stored,) = s.scalars(select(Patient)).all()
        assert (stored.external_id, stored.last_name, stored.phone, stored.sex) == (
            "c", "Roe", "(555) 010-7788", "female")  # fmt: skip


@pytest.mark.parametrize(("zone", "wall_clock"), [("Asia/Kolkata", "2026-11-24 09:00"),
                                                  ("America/Chicago", "2026-11-23 21:30"),
                                                  (None, "2026-11-23 22:30")])  # fmt: skip
def test_an_appointments_instant_becomes_the_clinics_wall_clock(zone, wall_clock,
                                                                 computer_in_new_york):  # fmt: skip
    """09:00 in Kolkata is 09:00 for a clinic there, 21:30 the evening before in Chicago,
    and (no clinic zone known) 22:30 on this computer in New York."""
    appointment = {"resourceType": "Appointment", "id": "a1", "status": "booked",
                   "start": "2026-11-24T09:00:00+05:30", "minutesDuration": 20,
                   "participant": [{"actor": {"reference": "Patient/p1"}}]}  # fmt: skip
    data = json.dumps({"resourceType": "Bundle", "type": "collection",
                       "entry": [{"resource": appointment}]}).encode()  # fmt: skip
    found = read_fhir(data, ZoneInfo(zone) if zone else None)
    assert [cells["date"] for _place, cells in found.appointments] == [wall_clock]
