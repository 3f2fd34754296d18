"""One imported row -> clean values ready to store, or the message saying why not.

The same checks as the forms (``validate`` of patients and coverages), after
the cells were read the way old systems write them (``values``). Nothing here
touches the store: matching and writing are the service's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from ma_desk.errors import ValidationError
from ma_desk.interchange.fields import FIELDS
from ma_desk.interchange.values import (
    CellError,
    looks_like_formula,
    parse_date,
    parse_datetime,
    parse_time,
    parse_us_phone,
)
from ma_desk.services.insurance_rules import CoverageInput, validate_coverage
from ma_desk.services.patients import PatientInput
from ma_desk.services.patients import validate as validate_patient

MAX_EXTERNAL_ID = 80
SEX_WORDS = {"f": "female", "female": "female", "woman": "female", "m": "male", "male": "male",
             "man": "male", "o": "other", "other": "other", "x": "other", "nonbinary": "other",
             "non-binary": "other", "u": "unknown", "unknown": "unknown", "": "unknown",
             "unk": "unknown"}  # fmt: skip
PRIORITY_WORDS = {"1": 1, "p": 1, "primary": 1, "pri": 1, "2": 2, "s": 2, "secondary": 2,
                  "sec": 2, "3": 3, "t": 3, "tertiary": 3, "ter": 3}  # fmt: skip
# Words and X12 codes (18 self, 01 spouse, 19 child, G8 other) for the subscriber.
RELATION_WORDS = {"self": "self", "18": "self", "patient": "self", "spouse": "spouse",
                  "01": "spouse", "1": "spouse", "wife": "spouse", "husband": "spouse",
                  "child": "child", "19": "child", "son": "child", "daughter": "child",
                  "dependent": "child", "other": "other", "g8": "other", "": "self"}  # fmt: skip
ACTIVE_WORDS = {"": True, "yes": True, "y": True, "true": True, "1": True, "active": True,
                "no": False, "n": False, "false": False, "0": False, "inactive": False,
                "cancelled": False, "ended": False, "terminated": False}  # fmt: skip


@dataclass
class RowValues:
    """A row read and checked: ``clean`` for the store, or ``error`` for the report."""

    line: int
    external_id: str = ""
    clean: dict = field(default_factory=dict)
    error: str = ""


def read_row(kind: str, line: int, cells: dict[str, str], today: dt.date) -> RowValues:
    """``cells`` maps field names to cell text (already through the column mapping)."""
    row = RowValues(line, " ".join(cells.get("external_id", "").split())[:MAX_EXTERNAL_ID])
    formula = next((name for name, text in cells.items() if looks_like_formula(text)), None)
    if formula is not None:
        label = _label(kind, formula)
        row.error = (f"{label} holds a spreadsheet formula (starts with "
                     f"“{cells[formula][:1]}”); the row was not imported. Fix the cell in the "
                     "file and import again.")  # fmt: skip
        return row
    try:
        reader = {"patients": _patient, "coverages": _coverage, "appointments": _appointment}
        row.clean = reader[kind](cells, today)
    except ValidationError as exc:
        row.error = _joined(kind, exc)
        return row
    row.external_id = row.clean.pop("external_id")
    return row


def _patient(cells: dict[str, str], today: dt.date) -> dict:
    errors: dict[str, str] = {}
    external_id = _external_id(cells.get("external_id", ""), errors)
    dob = _cell(errors, "dob", parse_date, cells.get("dob", ""), today)
    phones = {name: _cell(errors, name, parse_us_phone, cells.get(name, ""))
              for name in ("phone", "emergency_phone")}  # fmt: skip
    sex = SEX_WORDS.get(cells.get("sex", "").strip().casefold())
    if sex is None:
        errors["sex"] = "Sex must be female, male, other or unknown (F, M, O or U)."
    text_fields = {f.name for f in FIELDS["patients"]} - {"external_id", "dob", "sex", "phone",
                                                           "emergency_phone"}  # fmt: skip
    data = PatientInput(
        dob=dob if dob is not None else ("" if "dob" in errors else None),
        sex=sex or "unknown", **{k: v or "" for k, v in phones.items()},
        **{name: cells.get(name, "") for name in text_fields},
    )  # fmt: skip
    data.state = data.state.upper()
    try:
        clean = validate_patient(data, today)
    except ValidationError as exc:
        errors = {**exc.errors, **errors}
    _raise(errors)
    return {**clean, "external_id": external_id}


def _coverage(cells: dict[str, str], today: dt.date) -> dict:
    errors: dict[str, str] = {}
    patient_ref = _external_id(cells.get("patient_external_id", ""), errors,
                               "patient_external_id")  # fmt: skip
    priority = PRIORITY_WORDS.get(cells.get("priority", "1").strip().casefold() or "1")
    if priority is None:
        errors["priority"] = "Order must be primary, secondary or tertiary (1, 2 or 3)."
    relation = RELATION_WORDS.get(cells.get("subscriber_relationship", "").strip().casefold())
    if relation is None:
        errors["subscriber_relationship"] = "Subscriber must be self, spouse, child or other."
    active = ACTIVE_WORDS.get(cells.get("active", "").strip().casefold())
    if active is None:
        errors["active"] = "Active must be yes or no."
    dates = {name: _cell(errors, name, parse_date, cells.get(name, ""), today)
             for name in ("subscriber_dob", "effective_date", "end_date")}  # fmt: skip
    data = CoverageInput(
        payer=cells.get("payer", ""), member_id=cells.get("member_id", ""),
        priority=priority or 1, plan=cells.get("plan", ""),
        group_number=cells.get("group_number", ""),
        subscriber_relationship=relation or "self",
        subscriber_name=cells.get("subscriber_name", ""), **dates,
    )  # fmt: skip
    try:
        clean = validate_coverage(data, today)
    except ValidationError as exc:
        errors = {**exc.errors, **errors}
    _raise(errors)
    own = cells.get("external_id", "").strip()
    external_id = own or _derived_id(patient_ref, clean["payer"], clean["member_id"])
    if len(external_id) > MAX_EXTERNAL_ID:
        raise ValidationError("The policy ID is longer than 80 characters.", field="external_id")
    return {
        **clean,
        "active": active is not False,
        "patient_external_id": patient_ref,
        "external_id": external_id,
    }


def _appointment(cells: dict[str, str], today: dt.date) -> dict:
    errors: dict[str, str] = {}
    patient_ref = _external_id(cells.get("patient_external_id", ""), errors,
                               "patient_external_id")  # fmt: skip
    start = _start(cells.get("date", ""), cells.get("time", ""), today, errors)
    minutes = None
    if cells.get("minutes", "").strip():
        try:
            minutes = int(float(cells["minutes"].strip()))
        except ValueError:
            minutes = 0
        if not 5 <= minutes <= 480:
            errors["minutes"] = "Length must be a number of minutes from 5 to 480."
    provider = " ".join(cells.get("provider", "").split())
    if not provider:
        errors["provider"] = "Provider is required."
    reason = " ".join(cells.get("reason", "").split())
    if len(reason) > 200:
        errors["reason"] = "The reason is longer than 200 characters."
    _raise(errors)
    own = cells.get("external_id", "").strip()
    external_id = own or _derived_id(patient_ref, f"{start:%Y-%m-%dT%H:%M}", provider)
    if len(external_id) > MAX_EXTERNAL_ID:
        raise ValidationError("The appointment ID is longer than 80 characters.",
                              field="external_id")  # fmt: skip
    return {"patient_external_id": patient_ref, "external_id": external_id, "start": start,
            "minutes": minutes, "provider": provider,
            "type": " ".join(cells.get("type", "").split()), "reason": reason}  # fmt: skip


def _start(date_text: str, time_text: str, today: dt.date, errors: dict) -> dt.datetime | None:
    """The start from a date cell and a time cell, or from one cell holding both."""
    if not date_text.strip():
        errors["date"] = "Date is required."
        return None
    if not time_text.strip():
        return _cell(errors, "date", parse_datetime, date_text, today)
    day = _cell(errors, "date", parse_date, date_text, today)
    at = _cell(errors, "time", parse_time, time_text)
    return None if day is None or at is None else dt.datetime.combine(day, at)


def _external_id(text: str, errors: dict, name: str = "external_id") -> str:
    value = " ".join(text.split())
    if not value:
        errors[name] = "The old system's ID is empty; every row needs one."
    elif len(value) > MAX_EXTERNAL_ID:
        errors[name] = "The old system's ID is longer than 80 characters."
    return value


def _derived_id(*parts: str) -> str:
    """A stable ID for a record the old system gave none: the same row gives the same ID."""
    return "row:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _cell(errors: dict, name: str, parse, *args):
    try:
        return parse(*args)
    except CellError as exc:
        errors[name] = str(exc)
        return None


def _raise(errors: dict[str, str]) -> None:
    if errors:
        first = next(iter(errors))
        raise ValidationError(errors[first], field=first, errors=errors)


def _label(kind: str, name: str) -> str:
    return next((f.label for f in FIELDS[kind] if f.name == name), name.replace("_", " "))


def _joined(kind: str, exc: ValidationError) -> str:
    """Every problem of the row, each said once with the field it is about."""
    errors = exc.errors or {exc.field or "": exc.message}
    return " ".join(_with_label(_label(kind, name), message) if name else message
                    for name, message in errors.items())  # fmt: skip


def _with_label(label: str, message: str) -> str:
    return message if message.casefold().startswith(label.casefold()) else f"{label}: {message}"
