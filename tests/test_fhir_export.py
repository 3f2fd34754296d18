"""FHIR R4 export: one patient's Bundle and the whole clinic as Bulk Data NDJSON (issue 18).

Every exported resource is parsed and validated by fhir.resources' R4B models
(an independent, maintained FHIR library), and checked against the store.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ma_desk.clinical import codes
from ma_desk.clock import FixedClock
from ma_desk.db.models import (
    Appointment,
    AuditEvent,
    InsuranceCoverage,
    Patient,
    Visit,
    VitalObservation,
    VitalSet,
)
from ma_desk.errors import PermissionDenied, ValidationError
from ma_desk.security.demo_accounts import DEMO_PASSWORD
from ma_desk.services import Services

pytestmark = pytest.mark.both_stores  # the bulk export streams with a server-side cursor there
EVERY_TYPE = {"Patient", "Coverage", "Appointment", "Encounter", "Observation",
              "AllergyIntolerance", "MedicationStatement"}  # fmt: skip


def validated(resource: dict):
    """The resource through its fhir.resources R4B model (raises when it is not valid)."""
    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def patient_with_everything(services: Services) -> int:
    """A demo patient with a coverage, a visit with vitals and an allergy, plus a critical,
    flagged blood pressure and SpO2 saved now through the vitals service."""
    from ma_desk.clinical import vitals as v

    with services.ctx.db.read() as s:
        found = (
            select(VitalSet.patient_id)
            .join(InsuranceCoverage, InsuranceCoverage.patient_id == VitalSet.patient_id)
            .join(Patient, Patient.id == VitalSet.patient_id)
            .where(Patient.allergies != "", VitalSet.visit_id.is_not(None))
            .order_by(VitalSet.patient_id)
        )  # fmt: skip
        patient_id = s.scalars(found).first()
    actor = services.actor
    services.accounts.sign_in("ma", DEMO_PASSWORD)
    form = v.VitalsForm(entries={v.SPO2: v.Entry("87"), v.PULSE: v.Entry("72")},
                        bp=(v.BPEntry("184/122"),))  # fmt: skip
    services.vitals.save(patient_id, form, acknowledge_critical=True)
    services.ctx.new_session(actor)
    return patient_id


def test_one_patient_as_a_valid_bundle_with_every_resource_type(demo_services, sign_in_as,
                                                                tmp_path):  # fmt: skip
    sign_in_as("ma")
    patient_id = patient_with_everything(demo_services)
    out = tmp_path / "patient.json"
    count = demo_services.interchange.export_patient_fhir(patient_id, out)
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    document = json.loads(out.read_text(encoding="utf-8"))
    bundle = Bundle.model_validate(document)
    assert bundle.type == "collection" and len(bundle.entry) == count
    resources = [entry["resource"] for entry in document["entry"]]
    for resource in resources:
        validated(resource)
    kinds = {r["resourceType"] for r in resources}
    assert kinds >= EVERY_TYPE - {"MedicationStatement"}
    with demo_services.ctx.db.read() as s:
        patient = s.get(Patient, patient_id)
        expected = {
            "Coverage": s.scalar(select(func.count()).where(InsuranceCoverage.patient_id == patient_id)),
            "Appointment": s.scalar(select(func.count()).where(Appointment.patient_id == patient_id)),
            "Encounter": s.scalar(select(func.count()).where(Visit.patient_id == patient_id)),
        }  # fmt: skip
        mrn, dob, last = patient.mrn, patient.dob, patient.last_name
    for kind, number in expected.items():
        assert sum(1 for r in resources if r["resourceType"] == kind) == number, kind
    (person,) = [r for r in resources if r["resourceType"] == "Patient"]
    assert person["identifier"][0] == {"use": "usual", "system": "urn:ma-desk:mrn", "value": mrn}
    assert person["birthDate"] == dob.isoformat() and person["name"][0]["family"] == last
    assert all(r["subject" if "subject" in r else "patient" if "patient" in r else "beneficiary"]
               ["reference"] == f"Patient/{patient_id}"
               for r in resources if r["resourceType"] not in ("Patient", "Appointment"))  # fmt: skip


def test_vital_signs_follow_the_profile_with_bp_as_one_panel(demo_services, sign_in_as, tmp_path):
    sign_in_as("admin")
    patient_id = patient_with_everything(demo_services)
    out = tmp_path / "vitals.json"
    demo_services.interchange.export_patient_fhir(patient_id, out)
    observations = [e["resource"] for e in json.loads(out.read_text())["entry"]
                    if e["resource"]["resourceType"] == "Observation"]  # fmt: skip
    panels = [o for o in observations if o["code"]["coding"][0]["code"] == codes.BP_PANEL]
    assert panels
    for observation in observations:
        assert observation["category"][0]["coding"][0]["code"] == "vital-signs"
        assert observation["code"]["coding"][0]["system"] == "http://loinc.org"
        quantities = [observation.get("valueQuantity")] + [
            c["valueQuantity"] for c in observation.get("component", [])]  # fmt: skip
        for quantity in filter(None, quantities):
            assert quantity["system"] == "http://unitsofmeasure.org"
            assert quantity["code"] == quantity["unit"]
    for panel in panels:
        assert "valueQuantity" not in panel
        assert [c["code"]["coding"][0]["code"] for c in panel["component"]] == [
            codes.SYSTOLIC, codes.DIASTOLIC]  # fmt: skip
        assert {c["valueQuantity"]["code"] for c in panel["component"]} == {"mm[Hg]"}
    flags = {c["interpretation"][0]["coding"][0]["code"] for o in observations
             for c in [o, *o.get("component", [])] if "interpretation" in c}  # fmt: skip
    assert flags and flags <= {"L", "H", "A", "LL", "HH", "AA"}
    with demo_services.ctx.db.read() as s:
        stored = s.scalar(select(func.count(VitalObservation.id)).join(VitalSet).where(
            VitalSet.patient_id == patient_id))  # fmt: skip
    components = sum(len(o.get("component", [])) for o in observations)
    assert components + sum(1 for o in observations if "valueQuantity" in o) == stored


def test_the_export_is_a_disclosure_in_the_audit_and_never_overwrites(demo_services, sign_in_as,
                                                                      tmp_path):  # fmt: skip
    sign_in_as("frontdesk")
    patient_id = patient_with_everything(demo_services)
    out = tmp_path / "p.json"
    demo_services.interchange.export_patient_fhir(patient_id, out)
    with demo_services.ctx.db.read() as s:
        entry = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        last_name = s.get(Patient, patient_id).last_name
    assert (entry.action, entry.entity, entry.patient_id) == ("export", "fhir_bundle", patient_id)
    details = json.loads(entry.details)
    assert details["purpose"] == "disclosure" and details["format"] == "fhir-r4-bundle"
    assert last_name not in entry.details
    before = out.read_bytes()
    with pytest.raises(ValidationError, match="already exists"):
        demo_services.interchange.export_patient_fhir(patient_id, out)
    assert out.read_bytes() == before
    demo_services.interchange.export_patient_fhir(patient_id, out, replace=True)


def test_the_whole_clinic_as_bulk_ndjson_one_file_per_type(demo_services, sign_in_as, tmp_path):
    sign_in_as("admin")
    folder = tmp_path / "ehi"
    seen = []
    counts = demo_services.interchange.export_clinic_fhir(
        folder, progress=lambda kind, n: seen.append((kind, n)))  # fmt: skip
    assert set(counts) == EVERY_TYPE
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{k}.ndjson" for k in EVERY_TYPE)
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    for kind in EVERY_TYPE:
        path = folder / f"{kind}.ndjson"
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        lines = path.read_text(encoding="utf-8").splitlines()
        assert len(lines) == counts[kind] > 0
        ids = set()
        for line in lines:
            resource = json.loads(line)
            assert resource["resourceType"] == kind
            validated(resource)
            ids.add(resource["id"])
        assert len(ids) == len(lines), f"{kind}: ids repeat"
    assert (("Patient", counts["Patient"]) in seen) and seen
    with demo_services.ctx.db.read() as s:
        assert counts["Patient"] == s.scalar(select(func.count(Patient.id)))
        assert counts["Appointment"] == s.scalar(select(func.count(Appointment.id)))
        assert counts["Encounter"] == s.scalar(select(func.count(Visit.id)))
        entry = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (entry.action, entry.entity) == ("export", "fhir_bulk")
    assert json.loads(entry.details)["resources"] == counts
    with pytest.raises(ValidationError, match="already holds"):
        demo_services.interchange.export_clinic_fhir(folder)
    assert not [p for p in folder.iterdir() if p.suffix == ".part"]


def test_who_may_export(demo_services, sign_in_as, tmp_path):
    patient_id = patient_with_everything(demo_services)
    sign_in_as("provider")
    with pytest.raises(PermissionDenied):
        demo_services.interchange.export_patient_fhir(patient_id, tmp_path / "x.json")
    for user in ("ma", "frontdesk", "provider"):
        sign_in_as(user)
        with pytest.raises(PermissionDenied):
            demo_services.interchange.export_clinic_fhir(tmp_path / "all")
    assert not (tmp_path / "x.json").exists() and not (tmp_path / "all").exists()


def test_bulk_ndjson_says_exactly_what_each_patients_bundle_says(demo_services, sign_in_as,
                                                                   tmp_path):  # fmt: skip
    """The bulk export streams plain rows of a few columns and writes them with orjson; the
    one-patient Bundle reads ORM objects and writes with json. Both must give every patient
    the same resources, value for value (a column left out of the stream, or a vital set
    split across groups, would show here)."""
    patient_with_everything(demo_services)
    sign_in_as("admin")
    folder = tmp_path / "ehi"
    demo_services.interchange.export_clinic_fhir(folder)
    bulk: dict[str, list[dict]] = {}
    for kind in EVERY_TYPE:
        for line in (folder / f"{kind}.ndjson").read_text(encoding="utf-8").splitlines():
            resource = json.loads(line)
            bulk.setdefault(_patient_of(resource), []).append(resource)
    with demo_services.ctx.db.read() as s:
        patient_ids = list(s.scalars(select(Patient.id).order_by(Patient.id)))
    assert sorted(bulk, key=int) == [str(i) for i in patient_ids]
    for n, patient_id in enumerate(patient_ids):
        if n % 7 and n != len(patient_ids) - 1:  # every seventh patient, and the last
            continue
        out = tmp_path / f"p{patient_id}.json"
        demo_services.interchange.export_patient_fhir(patient_id, out)
        bundle = [e["resource"] for e in json.loads(out.read_text(encoding="utf-8"))["entry"]]
        assert _by_id(bulk[str(patient_id)]) == _by_id(bundle), patient_id


def _patient_of(resource: dict) -> str:
    if resource["resourceType"] == "Patient":
        return resource["id"]
    for key in ("subject", "patient", "beneficiary"):
        if key in resource:
            return resource[key]["reference"].removeprefix("Patient/")
    return resource["participant"][0]["actor"]["reference"].removeprefix("Patient/")


def _by_id(resources: list[dict]) -> dict[tuple[str, str], dict]:
    return {(r["resourceType"], r["id"]): r for r in resources}


TYPED = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
                max_size=80).filter(str.strip)  # fmt: skip


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(address=TYPED, allergies=st.lists(TYPED, min_size=1, max_size=3))
def test_any_typed_text_reaches_the_bulk_ndjson_unchanged(services: Services, tmp_path,
                                                          address, allergies):  # fmt: skip
    """Whatever staff typed (quotes, backslashes, emoji, U+2028, right-to-left text) is
    written by orjson as JSON that reads back as the same text and validates."""
    from ma_desk.interchange.fhir_out import recorded_items
    from ma_desk.services.patients import PatientInput

    record = services.patients.register(PatientInput(
        first_name="Ines", last_name="Okafor", dob="03/07/1980", address1=address,
        allergies="\n".join(allergies)), duplicate_override=True)  # fmt: skip
    folder = tmp_path / f"ehi-{record.id}"
    services.interchange.export_clinic_fhir(folder)
    patient = next(r for r in _lines(folder, "Patient") if r["id"] == str(record.id))
    validated(patient)
    assert patient["address"][0]["line"] == [record.address1]
    found = [r for r in _lines(folder, "AllergyIntolerance")
             if r["patient"]["reference"] == f"Patient/{record.id}"]  # fmt: skip
    assert [r["code"]["text"] for r in found] == recorded_items(record.allergies)
    for resource in found:
        validated(resource)


def _lines(folder, kind: str) -> list[dict]:
    text = (folder / f"{kind}.ndjson").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.split("\n") if line]


def test_instants_carry_the_clinics_zone_not_the_computers(
    demo_services, sign_in_as, tmp_path, clock, monkeypatch, computer_in_new_york
):
    """A workstation set to New York exporting for a clinic in Kolkata: every instant
    carries Kolkata's +05:30 and the clinic's wall-clock time, as the schedule shows it."""
    zone = ZoneInfo("Asia/Kolkata")
    monkeypatch.setattr(demo_services.ctx, "clock", FixedClock(clock.now(), zone))
    sign_in_as("admin")
    demo_services.interchange.export_clinic_fhir(tmp_path / "ehi")
    lines = (tmp_path / "ehi" / "Appointment.ndjson").read_text(encoding="utf-8").splitlines()
    exported = {int(r["id"]): r for r in map(json.loads, lines)}
    with demo_services.ctx.db.read() as s:
        starts = {row.id: row.start for row in s.execute(select(Appointment.id, Appointment.start))}
    for appointment_id, resource in exported.items():
        moment = dt.datetime.fromisoformat(resource["start"])
        assert moment.utcoffset() == dt.timedelta(hours=5, minutes=30)
        assert moment.replace(tzinfo=None) == starts[appointment_id]
    patient = next(iter(exported.values()))["participant"][0]["actor"]["reference"]
    demo_services.interchange.export_patient_fhir(int(patient.split("/")[1]), tmp_path / "b.json")
    stamp = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))["timestamp"]
    assert stamp.endswith("+05:30")
