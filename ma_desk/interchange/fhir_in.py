"""FHIR R4 Patient, Coverage and Appointment resources -> the cells the CSV import reads.

AllergyIntolerance and MedicationStatement texts go back into the patient's
allergy and medication lists (as MA Desk exports them: one resource per entry).

So a FHIR file goes through exactly the checks, matching and report of a CSV
file. A resource is placed by its position: the entry number in a Bundle, the
line in NDJSON. The old system's ID of a patient is its MA Desk MRN identifier
when it has one (a file exported by MA Desk), else its first identifier, else
its resource id.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from ma_desk.errors import ValidationError
from ma_desk.interchange.fhir_out import EXTERNAL_SYSTEM, MRN_SYSTEM

IMPORTED_TYPES = ("Patient", "Coverage", "Appointment")
_LIVE_APPOINTMENT = ("booked", "pending", "proposed")  # still to happen: imported


@dataclass
class FhirRows:
    """Cells per kind, in the CSV import's field names, with their place in the file."""

    patients: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    coverages: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    appointments: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    skipped: list[tuple[str, int, str]] = field(default_factory=list)  # (kind, place, why)
    ignored: dict[str, int] = field(default_factory=dict)  # resource types not imported


def read_fhir(data: bytes, zone: dt.tzinfo | None = None) -> FhirRows:
    """The rows a FHIR file holds; instants become wall-clock times in ``zone`` (the
    clinic's; None: this computer's)."""
    resources = _resources(data)
    rows = FhirRows()
    patient_ids: dict[str, str] = {}  # resource id -> the old system's ID
    lists = _recorded_lists(resources)
    for place, resource in resources:
        if resource.get("resourceType") == "Patient":
            cells = _patient(resource)
            for name, items in lists.get(str(resource.get("id", "")), {}).items():
                cells[name] = "; ".join(items)
            patient_ids[str(resource.get("id", ""))] = cells["external_id"]
            rows.patients.append((place, cells))
    for place, resource in resources:
        kind = resource.get("resourceType")
        if kind == "Coverage":
            rows.coverages.append((place, _coverage(resource, patient_ids)))
        elif kind == "Appointment":
            status = str(resource.get("status") or "")
            if status in _LIVE_APPOINTMENT:
                rows.appointments.append((place, _appointment(resource, patient_ids, zone)))
            else:
                rows.skipped.append(("appointments", place, f"Status “{status}”: only booked "
                                     "appointments are imported."))  # fmt: skip
        elif kind not in ("Patient", *_LISTS):
            name = str(kind or "no resourceType")
            rows.ignored[name] = rows.ignored.get(name, 0) + 1
    return rows


# Resource type -> (the Patient field it fills, where its patient and its text are).
_LISTS = {"AllergyIntolerance": ("allergies", "patient", "code"),
          "MedicationStatement": ("medications", "subject", "medicationCodeableConcept")}  # fmt: skip


def _recorded_lists(resources: list[tuple[int, dict]]) -> dict[str, dict[str, list[str]]]:
    """Allergy and medication texts by patient resource id, in file order."""
    found: dict[str, dict[str, list[str]]] = {}
    for _place, resource in resources:
        spec = _LISTS.get(str(resource.get("resourceType")))
        if spec is None:
            continue
        name, patient_key, concept_key = spec
        patient = _reference_id(resource.get(patient_key), "Patient")
        text = str((resource.get(concept_key) or {}).get("text") or "").strip()
        if patient and text:
            found.setdefault(patient, {}).setdefault(name, []).append(text)
    return found


def _resources(data: bytes) -> list[tuple[int, dict]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("A FHIR file must be UTF-8 JSON; this one is not.") from None
    if not text.strip():
        raise ValidationError("The file is empty.")
    try:
        document = json.loads(text)
    except ValueError:
        return _ndjson(text)
    if not isinstance(document, dict) or "resourceType" not in document:
        raise ValidationError("This is JSON but not a FHIR resource or Bundle.")
    if document["resourceType"] != "Bundle":
        return [(1, document)]
    entries = document.get("entry") or []
    if not isinstance(entries, list):
        raise ValidationError("The Bundle's entry is not a list.")
    return [(n, e["resource"]) for n, e in enumerate(entries, 1)
            if isinstance(e, dict) and isinstance(e.get("resource"), dict)]  # fmt: skip


def _ndjson(text: str) -> list[tuple[int, dict]]:
    found = []
    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            resource = json.loads(line)
        except ValueError:
            raise ValidationError(
                f"Line {line_no} is not JSON: the file is neither a FHIR Bundle nor NDJSON "
                "(one resource per line). Was it cut off?"
            ) from None
        if not isinstance(resource, dict) or "resourceType" not in resource:
            raise ValidationError(f"Line {line_no} is not a FHIR resource.")
        found.append((line_no, resource))
    return found


def _patient(r: dict) -> dict[str, str]:
    name = _official_name(r.get("name") or [])
    given = [str(g) for g in name.get("given") or []]
    nickname = next((n for n in r.get("name") or [] if n.get("use") == "nickname"), {})
    address = next(iter(r.get("address") or []), {})
    lines = [str(x) for x in address.get("line") or []]
    contact = next(iter(r.get("contact") or []), {})
    relation = next(iter(contact.get("relationship") or []), {})
    language = next(iter(r.get("communication") or []), {}).get("language") or {}
    return {
        "external_id": _patient_id(r), "last_name": str(name.get("family") or ""),
        "first_name": given[0] if given else "", "middle_name": " ".join(given[1:]),
        "preferred_name": " ".join(nickname.get("given") or []),
        "dob": str(r.get("birthDate") or ""), "sex": str(r.get("gender") or ""),
        "phone": _telecom(r.get("telecom"), "phone"), "email": _telecom(r.get("telecom"), "email"),
        "address1": lines[0] if lines else "", "address2": " ".join(lines[1:]),
        "city": str(address.get("city") or ""), "state": str(address.get("state") or ""),
        "zip": str(address.get("postalCode") or ""),
        "preferred_language": str(language.get("text") or _coding_code(language) or ""),
        "emergency_name": str((contact.get("name") or {}).get("text") or ""),
        "emergency_phone": _telecom(contact.get("telecom"), "phone"),
        "emergency_relation": "" if relation.get("text") == "Emergency contact"
        else str(relation.get("text") or ""),
    }  # fmt: skip


def _official_name(names: list) -> dict:
    usable = [n for n in names if isinstance(n, dict) and n.get("use") != "nickname"]
    return next((n for n in usable if n.get("use") == "official"), usable[0] if usable else {})


def _patient_id(r: dict) -> str:
    identifiers = [i for i in r.get("identifier") or [] if isinstance(i, dict) and i.get("value")]
    mrn = next((i for i in identifiers if i.get("system") == MRN_SYSTEM), None)
    chosen = mrn or (identifiers[0] if identifiers else None)
    return str(chosen["value"]) if chosen else str(r.get("id") or "")


def _telecom(telecom, system: str) -> str:
    found = next((t for t in telecom or [] if isinstance(t, dict) and t.get("system") == system),
                 {})  # fmt: skip
    return str(found.get("value") or "")


def _reference_id(reference: dict | None, kind: str) -> str:
    text = str((reference or {}).get("reference") or "")
    prefix = f"{kind}/"
    return text.rsplit("/", 1)[-1] if prefix in text or text.startswith(prefix) else ""


def _coverage(r: dict, patient_ids: dict[str, str]) -> dict[str, str]:
    beneficiary = _reference_id(r.get("beneficiary"), "Patient")
    classes = {_coding_code(c.get("type") or {}): str(c.get("value") or "")
               for c in r.get("class") or [] if isinstance(c, dict)}  # fmt: skip
    period = r.get("period") or {}
    return {
        "patient_external_id": patient_ids.get(beneficiary, ""),
        "external_id": _own_id(r), "payer": str(next(iter(r.get("payor") or []), {})
                                                .get("display") or ""),
        "member_id": str(r.get("subscriberId") or ""), "plan": classes.get("plan", ""),
        "group_number": classes.get("group", ""), "priority": str(r.get("order") or "1"),
        "subscriber_relationship": _coding_code(r.get("relationship") or {}) or "self",
        "subscriber_name": str((r.get("subscriber") or {}).get("display") or ""),
        "subscriber_dob": _subscriber_dob(r),
        "effective_date": str(period.get("start") or "")[:10],
        "end_date": str(period.get("end") or "")[:10],
        "active": "no" if r.get("status") in ("cancelled", "entered-in-error") else "yes",
    }  # fmt: skip


def _subscriber_dob(r: dict) -> str:
    """The birth date of the RelatedPerson the Coverage's subscriber points to, if inside it."""
    wanted = str((r.get("subscriber") or {}).get("reference") or "").lstrip("#")
    for contained in r.get("contained") or []:
        if isinstance(contained, dict) and wanted and contained.get("id") == wanted:
            return str(contained.get("birthDate") or "")
    return ""


def _appointment(r: dict, patient_ids: dict[str, str], zone: dt.tzinfo | None) -> dict[str, str]:
    patient, provider = "", ""
    for participant in r.get("participant") or []:
        actor = participant.get("actor") or {}
        if "Patient/" in str(actor.get("reference") or ""):
            patient = patient_ids.get(_reference_id(actor, "Patient"), "")
        elif actor.get("display") and not provider:
            provider = str(actor["display"])
    start = _local(str(r.get("start") or ""), zone)
    minutes = r.get("minutesDuration")
    return {
        "patient_external_id": patient, "external_id": _own_id(r),
        "date": start, "time": "", "minutes": str(minutes) if minutes else "",
        "provider": provider, "type": str((r.get("appointmentType") or {}).get("text") or ""),
        "reason": str(r.get("description") or ""),
    }  # fmt: skip


def _local(moment: str, zone: dt.tzinfo | None) -> str:
    """An instant as the clinic's wall-clock time in ``zone``, 'YYYY-MM-DD HH:MM'."""
    try:
        parsed = dt.datetime.fromisoformat(moment)
    except ValueError:
        return moment
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(zone).replace(tzinfo=None)
    return f"{parsed:%Y-%m-%d %H:%M}"


def _own_id(r: dict) -> str:
    """The ID kept for a Coverage or Appointment: an identifier it was imported with, else
    its resource id."""
    for identifier in r.get("identifier") or []:
        if isinstance(identifier, dict) and identifier.get("value"):
            system = str(identifier.get("system") or "")
            if system.startswith(EXTERNAL_SYSTEM) or not system.startswith("urn:ma-desk"):
                return str(identifier["value"])
    return f"{r.get('resourceType')}/{r.get('id')}" if r.get("id") else ""


def _coding_code(concept: dict) -> str:
    coding = next(iter(concept.get("coding") or []), {})
    return str(coding.get("code") or "")
