"""MA Desk records as FHIR R4 resources (plain dicts, ready for ``json.dumps``).

Each builder takes a row with the model's column names (an ORM object or a
Core row) so the whole-clinic export can stream plain rows. Clinic times are
naive wall-clock times of the clinic; FHIR instants need an offset, so they get the
clinic's zone's offset for that date (``zone``; None: this computer's). Vital signs follow the vital-signs profile:
LOINC code, UCUM unit, HL7 interpretation flag, blood pressure as one panel
with systolic and diastolic components.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from ma_desk.clinical import codes
from ma_desk.clinical.flow import FHIR_STATUS

MRN_SYSTEM = "urn:ma-desk:mrn"
EXTERNAL_SYSTEM = "urn:ma-desk:external:"  # + the source the record was imported from
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
SUBSCRIBER_RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
SNOMED = "http://snomed.info/sct"
NO_KNOWN_ALLERGY = "716186003"
INTERPRETATION_TEXT = {"L": "Low", "H": "High", "A": "Abnormal", "LL": "Critical low",
                       "HH": "Critical high", "AA": "Critical abnormal"}  # fmt: skip
_NOTHING_KNOWN = re.compile(r"^(none|nka|nkda|no known( drug)? allergies|n/?a|-)$", re.I)

Resource = dict[str, Any]


def instant(moment: dt.datetime, zone: dt.tzinfo | None = None) -> str:
    """A clinic wall-clock time with its zone's UTC offset for that date (None: this
    computer's zone)."""
    aware = moment.replace(tzinfo=zone) if zone is not None else moment.astimezone()
    return aware.isoformat(timespec="seconds")


def patient_resource(p: Any) -> Resource:
    identifiers = [{"use": "usual", "system": MRN_SYSTEM, "value": p.mrn}]
    if p.external_source and p.external_id:
        identifiers.append({"use": "old", "system": EXTERNAL_SYSTEM + p.external_source,
                            "value": p.external_id})  # fmt: skip
    given = [p.first_name] + ([p.middle_name] if p.middle_name else [])
    names = [{"use": "official", "family": p.last_name, "given": given}]
    if p.preferred_name:
        names.append({"use": "nickname", "given": [p.preferred_name]})
    resource: Resource = {
        "resourceType": "Patient", "id": str(p.id), "identifier": identifiers,
        "active": bool(p.active), "name": names, "gender": p.sex,
        "birthDate": p.dob.isoformat(),
    }  # fmt: skip
    telecom = [{"system": "phone", "value": p.phone, "use": "home"}] if p.phone else []
    if p.email:
        telecom.append({"system": "email", "value": p.email})
    if telecom:
        resource["telecom"] = telecom
    address = _address(p)
    if address:
        resource["address"] = [address]
    if p.emergency_name or p.emergency_phone:
        contact: Resource = {
            "relationship": [{"text": p.emergency_relation or "Emergency contact"}]
        }
        if p.emergency_name:
            contact["name"] = {"text": p.emergency_name}
        if p.emergency_phone:
            contact["telecom"] = [{"system": "phone", "value": p.emergency_phone}]
        resource["contact"] = [contact]
    if p.preferred_language:
        resource["communication"] = [{"language": {"text": p.preferred_language},
                                      "preferred": True}]  # fmt: skip
    return resource


def _address(p: Any) -> Resource:
    lines = [line for line in (p.address1, p.address2) if line]
    parts = {"line": lines, "city": p.city, "state": p.state, "postalCode": p.zip}
    address = {k: v for k, v in parts.items() if v}
    return {"use": "home", **address} if address else {}


def coverage_resource(c: Any) -> Resource:
    resource: Resource = {
        "resourceType": "Coverage", "id": str(c.id),
        "status": "active" if c.active else "cancelled",
        "subscriberId": c.member_id,
        "beneficiary": {"reference": f"Patient/{c.patient_id}"},
        "relationship": {"coding": [{"system": SUBSCRIBER_RELATIONSHIP,
                                     "code": c.subscriber_relationship}]},
        "payor": [{"display": c.payer}], "order": c.priority,
    }  # fmt: skip
    if c.external_source and c.external_id:
        resource["identifier"] = [{"system": EXTERNAL_SYSTEM + c.external_source,
                                   "value": c.external_id}]  # fmt: skip
    if c.subscriber_relationship != "self" and (c.subscriber_name or c.subscriber_dob):
        resource["contained"] = [_subscriber(c)]
        resource["subscriber"] = {"reference": "#subscriber", "display": c.subscriber_name}
    classes = [("group", c.group_number), ("plan", c.plan)]
    if any(value for _k, value in classes):
        resource["class"] = [
            {"type": {"coding": [{"system": COVERAGE_CLASS, "code": kind}]}, "value": value}
            for kind, value in classes if value
        ]  # fmt: skip
    period = {k: d.isoformat() for k, d in (("start", c.effective_date), ("end", c.end_date)) if d}
    if period:
        resource["period"] = period
    return resource


def _subscriber(c: Any) -> Resource:
    """The policy holder when it is not the patient, as a RelatedPerson inside the Coverage."""
    person: Resource = {"resourceType": "RelatedPerson", "id": "subscriber",
                        "patient": {"reference": f"Patient/{c.patient_id}"}}  # fmt: skip
    if c.subscriber_name:
        person["name"] = [{"text": c.subscriber_name}]
    if c.subscriber_dob:
        person["birthDate"] = c.subscriber_dob.isoformat()
    return person


def appointment_resource(
    a: Any, provider_name: str, type_name: str, zone: dt.tzinfo | None = None
) -> Resource:
    end = a.start + dt.timedelta(minutes=a.minutes)
    resource: Resource = {
        "resourceType": "Appointment", "id": str(a.id), "status": FHIR_STATUS[a.status],
        "appointmentType": {"text": type_name}, "start": instant(a.start, zone), "end": instant(end, zone),
        "minutesDuration": a.minutes,
        "participant": [
            {"actor": {"reference": f"Patient/{a.patient_id}"}, "status": "accepted"},
            {"actor": {"display": provider_name}, "status": "accepted"},
        ],
    }  # fmt: skip
    if a.reason:
        resource["description"] = a.reason
    if a.cancel_reason:
        resource["cancelationReason"] = {"text": a.cancel_reason}
    if a.external_source and a.external_id:
        resource["identifier"] = [{"system": EXTERNAL_SYSTEM + a.external_source,
                                   "value": a.external_id}]  # fmt: skip
    return resource


def encounter_resource(v: Any, zone: dt.tzinfo | None = None) -> Resource:
    finished = v.checked_out_at is not None
    resource: Resource = {
        "resourceType": "Encounter", "id": str(v.id),
        "status": "finished" if finished else "in-progress",
        "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
        "subject": {"reference": f"Patient/{v.patient_id}"},
        "appointment": [{"reference": f"Appointment/{v.appointment_id}"}],
    }  # fmt: skip
    start = v.arrived_at or dt.datetime.combine(v.visit_date, dt.time())
    resource["period"] = {"start": instant(start, zone)}
    if finished:
        resource["period"]["end"] = instant(max(v.checked_out_at, start), zone)
    if v.chief_complaint:
        resource["reasonCode"] = [{"text": v.chief_complaint}]
    return resource


def observation_resources(
    vital_set: Any, observations: Iterable[Any], zone: dt.tzinfo | None = None
) -> list[Resource]:
    """One Observation per measurement of a set; systolic + diastolic as one BP panel."""
    by_code = {o.loinc: o for o in observations}
    resources: list[Resource] = []
    effective = instant(vital_set.taken_at, zone)  # once per set: a million readings in an export
    systolic, diastolic = by_code.pop(codes.SYSTOLIC, None), by_code.pop(codes.DIASTOLIC, None)
    if systolic is not None and diastolic is not None:
        panel = _observation(vital_set, f"{vital_set.id}-bp", codes.BP_PANEL, "Blood pressure",
                             effective)  # fmt: skip
        panel["component"] = [_component(systolic), _component(diastolic)]
        resources.append(panel)
    else:
        by_code.update({o.loinc: o for o in (systolic, diastolic) if o is not None})
    for loinc, o in by_code.items():
        resource = _observation(vital_set, f"{vital_set.id}-{o.id}", loinc,
                                codes.NAMES.get(loinc, loinc), effective)  # fmt: skip
        resource["valueQuantity"] = _quantity(o)
        if o.flag:
            resource["interpretation"] = [_interpretation(o.flag)]
        resources.append(resource)
    return resources


def _observation(vital_set: Any, resource_id: str, loinc: str, name: str,
                 effective: str) -> Resource:  # fmt: skip
    resource: Resource = {
        "resourceType": "Observation", "id": resource_id, "status": vital_set.status,
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "vital-signs",
                                  "display": "Vital Signs"}]}],
        "code": {"coding": [{"system": LOINC, "code": loinc, "display": name}], "text": name},
        "subject": {"reference": f"Patient/{vital_set.patient_id}"},
        "effectiveDateTime": effective,
    }  # fmt: skip
    if vital_set.visit_id:
        resource["encounter"] = {"reference": f"Encounter/{vital_set.visit_id}"}
    if vital_set.note:
        resource["note"] = [{"text": vital_set.note}]
    return resource


def _component(o: Any) -> Resource:
    component: Resource = {
        "code": {"coding": [{"system": LOINC, "code": o.loinc,
                             "display": codes.NAMES.get(o.loinc, o.loinc)}]},
        "valueQuantity": _quantity(o),
    }  # fmt: skip
    if o.flag:
        component["interpretation"] = [_interpretation(o.flag)]
    return component


def _quantity(o: Any) -> Resource:
    return {"value": o.value, "unit": o.unit, "system": UCUM, "code": o.unit}


def _interpretation(flag: str) -> Resource:
    return {"coding": [{"system": INTERPRETATION, "code": flag,
                        "display": INTERPRETATION_TEXT.get(flag, flag)}]}  # fmt: skip


def recorded_items(text: str) -> list[str]:
    """The entries of a free-text allergy or medication list (one per line or ';')."""
    items = [" ".join(part.split()) for part in re.split(r"[\n;]+", text or "")]
    return [item for item in items if item]


def allergy_resources(p: Any) -> list[Resource]:
    """The allergies as recorded (free text: a code is not guessed, except the SNOMED CT
    concept "no known allergy" for NKA / NKDA / None)."""
    resources = []
    for n, item in enumerate(recorded_items(p.allergies), 1):
        code: Resource = {"text": item}
        if _NOTHING_KNOWN.match(item):
            code["coding"] = [{"system": SNOMED, "code": NO_KNOWN_ALLERGY,
                               "display": "No known allergy"}]  # fmt: skip
        resources.append({
            "resourceType": "AllergyIntolerance", "id": f"{p.id}-{n}",
            "clinicalStatus": {"coding": [{"system": ALLERGY_CLINICAL, "code": "active"}]},
            "code": code, "patient": {"reference": f"Patient/{p.id}"},
        })  # fmt: skip
    return resources


def medication_resources(p: Any) -> list[Resource]:
    """The medication list as recorded (free text; "None" too, as the clinic wrote it)."""
    return [
        {"resourceType": "MedicationStatement", "id": f"{p.id}-{n}", "status": "active",
         "medicationCodeableConcept": {"text": item}, "subject": {"reference": f"Patient/{p.id}"}}
        for n, item in enumerate(recorded_items(p.medications), 1)
    ]  # fmt: skip


def bundle(
    resources: list[Resource], stamp: dt.datetime, zone: dt.tzinfo | None = None
) -> Resource:
    return {"resourceType": "Bundle", "type": "collection", "timestamp": instant(stamp, zone),
            "entry": [{"resource": r} for r in resources]}  # fmt: skip
