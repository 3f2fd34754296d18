"""What can be imported, and which of an export's columns holds each field.

Practice-management systems name their columns differently ("Patient Last
Name", "LName", "Last"); ``guess_mapping`` recognises the common names, and a
clinic saves its own mapping as JSON to reuse with ``--mapping``:
``{"kind": "patients", "columns": {"Acct #": "external_id", ...}}``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ma_desk.errors import ValidationError

KINDS = ("patients", "coverages", "appointments")


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    required: bool = False
    synonyms: tuple[str, ...] = ()


PATIENT_FIELDS = (
    Field("external_id", "Patient ID in the old system", True,
          ("patient id", "patientid", "pt id", "account", "account number", "acct", "acct #",
           "account #", "chart", "chart number", "chart #", "person number", "id", "mrn",
           "patient number", "patient #")),
    Field("last_name", "Last name", True, ("last", "lname", "surname", "family name",
                                           "patient last name", "last name")),
    Field("first_name", "First name", True, ("first", "fname", "given name",
                                             "patient first name", "first name")),
    Field("middle_name", "Middle name", False, ("middle", "mi", "middle initial", "mname")),
    Field("preferred_name", "Preferred name", False, ("nickname", "preferred")),
    Field("dob", "Date of birth", True, ("birth date", "birthdate", "date of birth", "dob",
                                         "birthday", "patient dob")),
    Field("sex", "Sex", False, ("gender", "sex", "birth sex", "sex at birth")),
    Field("phone", "Phone", False, ("phone", "home phone", "cell", "cell phone",
                                    "mobile", "mobile phone", "primary phone", "phone number")),
    Field("email", "Email", False, ("e-mail", "email address", "e mail")),
    Field("address1", "Address", False, ("address", "address 1", "street", "address line 1",
                                         "street address")),
    Field("address2", "Address line 2", False, ("address 2", "address line 2", "apt", "suite")),
    Field("city", "City", False, ("town",)),
    Field("state", "State", False, ("st", "state code")),
    Field("zip", "ZIP", False, ("zip code", "zipcode", "postal code", "postcode")),
    Field("preferred_language", "Language", False, ("language", "preferred language",
                                                    "primary language")),
    Field("emergency_name", "Emergency contact", False, ("emergency contact",
                                                         "emergency contact name")),
    Field("emergency_phone", "Emergency phone", False, ("emergency contact phone",)),
    Field("emergency_relation", "Emergency contact relation", False,
          ("emergency relationship", "emergency contact relationship")),
    Field("allergies", "Allergies", False, ("allergy",)),
    Field("medications", "Medications", False, ("meds", "medication list", "current medications")),
)  # fmt: skip

COVERAGE_FIELDS = (
    Field("patient_external_id", "Patient ID in the old system", True,
          ("patient id", "patientid", "pt id", "account", "account number", "acct", "acct #",
           "account #", "chart", "chart number", "chart #", "patient number", "patient #")),
    Field("external_id", "Policy ID in the old system", False,
          ("policy id", "coverage id", "insurance id", "record id")),
    Field("payer", "Payer", True, ("insurance", "insurance name", "carrier", "insurance company",
                                   "payer name", "plan name", "insurer")),
    Field("member_id", "Member ID", True, ("member id", "subscriber id", "policy number",
                                           "policy #", "insured id", "id number", "member #")),
    Field("plan", "Plan", False, ("plan", "product", "plan type")),
    Field("group_number", "Group number", False, ("group", "group #", "group no", "group id")),
    Field("priority", "Order (primary/secondary/tertiary)", False,
          ("order", "rank", "sequence", "coverage order", "primary/secondary", "level")),
    Field("subscriber_relationship", "Subscriber relationship", False,
          ("relationship", "relationship to subscriber", "relation to insured",
           "patient relationship")),
    Field("subscriber_name", "Subscriber name", False, ("subscriber", "insured name",
                                                        "policy holder", "policyholder")),
    Field("subscriber_dob", "Subscriber date of birth", False,
          ("subscriber birth date", "insured dob", "subscriber date of birth")),
    Field("effective_date", "Effective date", False, ("effective", "start date",
                                                      "effective from", "eff date")),
    Field("end_date", "End date", False, ("termination date", "term date", "expiration date",
                                          "end")),
    Field("active", "Active (yes/no)", False, ("status", "coverage status", "is active")),
)  # fmt: skip

APPOINTMENT_FIELDS = (
    Field("patient_external_id", "Patient ID in the old system", True,
          COVERAGE_FIELDS[0].synonyms),
    Field("external_id", "Appointment ID in the old system", False,
          ("appointment id", "appt id", "appt #", "visit id", "encounter id", "appointment #")),
    Field("date", "Date", True, ("appointment date", "appt date", "visit date", "date of service",
                                 "start date")),
    Field("time", "Time", False, ("appointment time", "appt time", "start time", "start")),
    Field("minutes", "Length (minutes)", False, ("duration", "length", "mins", "minutes",
                                                 "duration (min)")),
    Field("provider", "Provider", True, ("doctor", "physician", "rendering provider",
                                         "resource", "provider name", "clinician")),
    Field("type", "Visit type", False, ("appointment type", "appt type", "visit type",
                                        "type", "reason type", "category")),
    Field("reason", "Reason", False, ("reason for visit", "chief complaint", "notes",
                                      "comment", "comments", "description")),
)  # fmt: skip

FIELDS: dict[str, tuple[Field, ...]] = {
    "patients": PATIENT_FIELDS,
    "coverages": COVERAGE_FIELDS,
    "appointments": APPOINTMENT_FIELDS,
}


def header_key(header: str) -> str:
    """A header compared loosely: case, spaces, dots and underscores don't matter."""
    return " ".join(re.sub(r"[._\-:]+", " ", header.casefold()).split())


def guess_mapping(kind: str, headers: list[str]) -> dict[str, str]:
    """Column -> field for the headers recognised; each field takes one column at most."""
    fields = FIELDS[kind]
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for exact in (True, False):
        for header in headers:
            key = header_key(header)
            if header in mapping or not key:
                continue
            for f in fields:
                names = {f.name.replace("_", " "), header_key(f.label), *f.synonyms}
                hit = key in names if exact else _near(key, names)
                if hit and f.name not in taken:
                    mapping[header] = f.name
                    taken.add(f.name)
                    break
    return mapping


def _near(key: str, names: set[str]) -> bool:
    """ "Patient Last Name" matches "last name"; "Pt. DOB" matches "dob"."""
    words = key.replace("patient ", "").replace("pt ", "")
    return words in names


def missing_required(kind: str, mapping: dict[str, str]) -> list[Field]:
    mapped = set(mapping.values())
    return [f for f in FIELDS[kind] if f.required and f.name not in mapped]


def check_mapping(kind: str, mapping: dict[str, str], headers: list[str]) -> None:
    """Refuse a mapping that names unknown fields or columns, or maps a field twice."""
    known = {f.name for f in FIELDS[kind]}
    unknown = sorted(set(mapping.values()) - known)
    if unknown:
        raise ValidationError(
            f"The mapping names fields that {kind} do not have: {', '.join(unknown)}. "
            f"Fields: {', '.join(sorted(known))}."
        )
    absent = sorted(set(mapping) - set(headers))
    if absent:
        raise ValidationError(
            f"The mapping names columns the file does not have: {', '.join(absent)}."
        )
    targets = list(mapping.values())
    twice = sorted({t for t in targets if targets.count(t) > 1})
    if twice:
        raise ValidationError(f"More than one column is mapped to: {', '.join(twice)}.")


def load_mapping(path: Path, kind: str) -> dict[str, str]:
    """A saved mapping file (see the module docstring)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValidationError(f"Cannot read the mapping file: {exc.strerror or exc}.") from None
    except ValueError:
        raise ValidationError("The mapping file is not valid JSON.") from None
    columns = data.get("columns") if isinstance(data, dict) else None
    if not isinstance(columns, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
    ):
        raise ValidationError('The mapping file needs {"columns": {"Column": "field", ...}}.')
    if data.get("kind", kind) != kind:
        raise ValidationError(f"That mapping is for {data['kind']}, not {kind}.")
    return {k: v for k, v in columns.items() if v}


def mapping_json(kind: str, mapping: dict[str, str]) -> str:
    return json.dumps({"kind": kind, "columns": mapping}, indent=2, ensure_ascii=False) + "\n"
