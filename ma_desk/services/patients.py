"""Patients: search as you type, register, edit in place, verify at the desk."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from ma_desk.audit import changes
from ma_desk.clinical.flow import IN_CLINIC_STATUSES, OPEN_STATUSES
from ma_desk.db.models import Appointment, Patient, PatientNamePart, Provider, User
from ma_desk.errors import NeedsConfirmation, ValidationError
from ma_desk.names import (
    NAME_MAX_LENGTH,
    clean_name,
    could_be_confused,
    name_part_keys,
    name_problem,
    one_typo_keys,
    same_person_name,
)
from ma_desk.services.base import Service
from ma_desk.services.policy import READ, REFERENCE, WRITE, policy
from ma_desk.services.rows import existing
from ma_desk.services.versions import check_version
from ma_desk.text import fold, format_us_phone, phone_digits, prefix_upper_bound

if TYPE_CHECKING:
    from ma_desk.db.statement_types import AnyRow, AnySelect

US_STATES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "AS",
        "GU",
        "MP",
        "PR",
        "VI",
    ]
)
SEXES = ("female", "male", "other", "unknown")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ZIP_RE = re.compile(r"^\d{5}(-\d{4})?$")
DOB_FORMATS = (
    "%m/%d/%Y", "%Y-%m-%d", "%m-%d-%Y", "%Y/%m/%d", "%m/%d/%y", "%m-%d-%y", "%m%d%Y",
    "%Y%m%d", "%d.%m.%Y", "%b %d %Y", "%b %d, %Y", "%B %d %Y", "%B %d, %Y", "%d %b %Y",
    "%d %B %Y",
)  # fmt: skip
DUPLICATE_LIMIT = 20
# What a search result shows, in PatientHit's field order.
HIT_COLUMNS = (Patient.id, Patient.mrn, Patient.last_name, Patient.first_name, Patient.dob,
               Patient.phone)  # fmt: skip
EDITABLE = (
    "first_name", "middle_name", "last_name", "preferred_name", "dob", "sex", "phone", "email",
    "address1", "address2", "city", "state", "zip", "preferred_language", "emergency_name",
    "emergency_phone", "emergency_relation", "allergies", "medications",
)  # fmt: skip


@dataclass
class PatientInput:
    """What the registration form collects; strings as typed, DOB as a date or text."""

    first_name: str = ""
    last_name: str = ""
    dob: dt.date | str | None = None
    middle_name: str = ""
    preferred_name: str = ""
    sex: str = "unknown"
    phone: str = ""
    email: str = ""
    address1: str = ""
    address2: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    preferred_language: str = "English"
    emergency_name: str = ""
    emergency_phone: str = ""
    emergency_relation: str = ""
    allergies: str = ""
    medications: str = ""


@dataclass(frozen=True)
class PatientRecord:
    id: int
    mrn: str
    first_name: str
    middle_name: str
    last_name: str
    preferred_name: str
    dob: dt.date
    sex: str
    phone: str
    email: str
    address1: str
    address2: str
    city: str
    state: str
    zip: str
    preferred_language: str
    emergency_name: str
    emergency_phone: str
    emergency_relation: str
    allergies: str
    medications: str
    verified_at: dt.datetime | None
    verified_by_id: int | None
    # The saved version a form edits against (``update(expected_version=...)``), and its author.
    version: int = 1
    updated_at: dt.datetime | None = None
    updated_by: str = ""
    updated_on: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.last_name}, {self.first_name}"

    def age_on(self, day: dt.date) -> int:
        return age_years(self.dob, day)


@dataclass(frozen=True)
class PatientHit:
    """One search result; the appointment fields are set when the patient is booked today."""

    id: int
    mrn: str
    last_name: str
    first_name: str
    dob: dt.date
    phone: str
    appointment_time: dt.datetime | None = None
    provider_name: str = ""
    appointment_id: int | None = None
    appointment_status: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.last_name}, {self.first_name}"


@dataclass(frozen=True)
class DuplicateCandidate:
    """A patient on file who may be the person being registered, and why."""

    id: int
    mrn: str
    last_name: str
    first_name: str
    dob: dt.date
    phone: str
    reason: str

    @property
    def full_name(self) -> str:
        return f"{self.last_name}, {self.first_name}"

    def describe(self) -> str:
        return f"{self.full_name}, DOB {self.dob:%m/%d/%Y}, MRN {self.mrn}: {self.reason}"


@dataclass(frozen=True)
class Verification:
    """The desk's "verified today" mark: when, by whom."""

    at: dt.datetime | None
    by: str
    today: bool


@dataclass
class SearchQuery:
    """What was typed, read as one kind of search; ``alternatives`` are tried after it."""

    # name | first | dob | phone | phone_tail | mrn | empty | all (today's list) | ids; and,
    # tried after those: last_part | first_part (a later part of a compound name) and
    # last_typo | first_typo | last_part_typo (one typo away).
    kind: str
    last: str = ""
    first: str = ""
    dob: dt.date | None = None
    digits: str = ""  # phone digits, or the MRN prefix for kind "mrn"
    alternatives: list[SearchQuery] = field(default_factory=list)
    ids: tuple[int, ...] = ()  # kind "ids": these patients

    @property
    def main(self) -> str:
        """The key this reading scans: the first name for first-name kinds, else the last."""
        return self.first if self.kind.startswith("first") else self.last

    @property
    def other(self) -> str:
        """The other half of the name, a prefix both must match ("" for none)."""
        if self.kind in ("name", "last_part", "last_typo", "last_part_typo"):
            return self.first
        return self.last if self.kind in ("first_part", "first_typo") else ""


MAX_COMMA_SPLITS = 4


def _last_comma_first(last: str, first: str) -> SearchQuery:
    """'Last, First' typed: a name search, or first names only when no last name."""
    if not fold(last):
        return SearchQuery("first", first=fold(first)) if fold(first) else SearchQuery("empty")
    return SearchQuery("name", last=fold(last), first=fold(first))


def age_years(dob: dt.date, on: dt.date) -> int:
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def parse_dob(text: str, today: dt.date | None = None) -> dt.date | None:
    """A date typed in any of the common US formats, or None.

    Two-digit years are read as the most recent past year ("4/5/80" is 1980).
    """
    text = " ".join(text.strip().split())
    if not text or len(text) > 40:
        return None
    today = today or dt.date.today()
    for fmt in DOB_FORMATS:
        try:
            parsed = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if "%y" in fmt and parsed > today:
            parsed = parsed.replace(year=parsed.year - 100)
        return parsed
    return None


_DATE_SHAPED = re.compile(
    r"^\d{1,4}[/.\-]\d{1,2}[/.\-]\d{2,4}$|^\d{8}$|^[A-Za-z]+\.? \d{1,2},? \d{4}$|^\d{1,2} [A-Za-z]+\.? \d{4}$"
)
_MRN_SHAPED = re.compile(r"^[A-Za-z]{1,3}\d+$")


def parse_query(text: str, today: dt.date | None = None) -> SearchQuery:
    """Work out what was typed: a DOB, a phone number, an MRN or a name."""
    text = " ".join(str(text).split())[:100]
    if not text:
        return SearchQuery("empty")
    if _DATE_SHAPED.match(text):
        dob = parse_dob(text.replace(".", "") if text[0].isalpha() else text, today)
        if dob is not None:
            return SearchQuery("dob", dob=dob)
    letters = re.sub(r"[\d\s()+\-./]", "", text)
    if not letters:
        digits = phone_digits(text)
        if not digits:
            return SearchQuery("empty")
        mrn = SearchQuery("mrn", digits=f"M{digits}")
        phone = SearchQuery("phone", digits=digits)
        # The last 4 or 7 digits ("the number ending 4477"); 3 digits would match too many.
        tail = [SearchQuery("phone_tail", digits=digits)] if 4 <= len(digits) < 10 else []
        looks_like_phone = len(digits) >= 7 or bool(re.search(r"[()\-\s]", text))
        if looks_like_phone:
            return SearchQuery("phone", digits=digits, alternatives=[mrn, *tail])
        return SearchQuery("mrn", digits=f"M{digits}", alternatives=[phone, *tail])
    if _MRN_SHAPED.match(text):
        return SearchQuery("mrn", digits=text.upper())
    if "," in text:
        # "Last, First" at the first comma; more commas: one may belong to a name, so each
        # other split is tried after it (a name with commas is rare, a query has few).
        commas = [i for i, ch in enumerate(text) if ch == ","][:MAX_COMMA_SPLITS]
        splits = (_last_comma_first(text[:i], text[i + 1 :]) for i in commas)
        queries = [query for query in splits if query.kind != "empty"]
        if not queries:
            return SearchQuery("empty")
        queries[0].alternatives.extend(queries[1:])
        return queries[0]
    parts = [fold(part) for part in text.split()]
    parts = [part for part in parts if part]
    if not parts:
        return SearchQuery("empty")
    if len(parts) == 1:
        return SearchQuery(
            "name", last=parts[0], alternatives=[SearchQuery("first", first=parts[0])]
        )
    # "jo smith", "smith jo", "mary ann smith", "de la cruz": try each reading in turn.
    readings = [
        SearchQuery("name", last="".join(parts[1:]), first=parts[0]),
        SearchQuery("name", last=parts[-1], first=parts[0]),
        SearchQuery("name", last=parts[0], first="".join(parts[1:])),
        SearchQuery("name", last="".join(parts)),
    ]
    unique: list[SearchQuery] = []
    for reading in readings:
        if all((r.last, r.first) != (reading.last, reading.first) for r in unique):
            unique.append(reading)
    return SearchQuery(unique[0].kind, last=unique[0].last, first=unique[0].first,
                       alternatives=unique[1:])  # fmt: skip


def _record(p: Patient) -> PatientRecord:
    return PatientRecord(**{f.name: getattr(p, f.name) for f in fields(PatientRecord)})


def validate(data: PatientInput, today: dt.date) -> dict[str, Any]:
    """Check a registration or edit; returns clean values or raises ValidationError."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name in ("first_name", "last_name", "middle_name", "preferred_name"):
        value = clean_name(getattr(data, name) or "")
        if not value and name in ("first_name", "last_name"):
            errors[name] = f"{'First' if name == 'first_name' else 'Last'} name is required."
        elif value and (problem := name_problem(value)):
            errors[name] = problem
        clean[name] = value
    dob = data.dob
    if isinstance(dob, str):
        dob = parse_dob(dob) if dob.strip() else None
        if dob is None and str(data.dob).strip():
            errors["dob"] = "Date of birth not understood; type it as MM/DD/YYYY."
    if dob is None:
        errors.setdefault("dob", "Date of birth is required.")
    elif dob > today:
        errors["dob"] = "Date of birth cannot be in the future."
    elif age_years(dob, today) > 120:
        errors["dob"] = "Date of birth is more than 120 years ago; check the year."
    clean["dob"] = dob
    sex = (data.sex or "unknown").strip().lower()
    if sex not in SEXES:
        errors["sex"] = "Sex must be female, male, other or unknown."
    clean["sex"] = sex
    for name in ("phone", "emergency_phone"):
        raw = str(getattr(data, name) or "").strip()
        if raw:
            digits = phone_digits(raw)
            if len(digits) != 10 or re.search(r"[A-Za-z]", raw):
                errors[name] = "Enter a 10-digit US phone number, e.g. (555) 201-4477."
            clean[name] = format_us_phone(digits)
        else:
            clean[name] = ""
    email = str(data.email or "").strip()
    if email and (not EMAIL_RE.match(email) or len(email) > 254):
        errors["email"] = "Enter an email address like name@example.com."
    clean["email"] = email
    state = str(data.state or "").strip().upper()
    if state and state not in US_STATES:
        errors["state"] = "Use the two-letter US state code, e.g. OR."
    clean["state"] = state
    zip_code = str(data.zip or "").strip()
    if zip_code and not ZIP_RE.match(zip_code):
        errors["zip"] = "ZIP codes have 5 digits (or 5+4, e.g. 97201-1234)."
    clean["zip"] = zip_code
    limits = {
        "address1": 120, "address2": 120, "city": 80,
        "preferred_language": 40, "emergency_name": 120, "emergency_relation": 40,
        "allergies": 4000, "medications": 4000,
    }  # fmt: skip
    for name, limit in limits.items():
        value = str(getattr(data, name) or "").strip()
        if len(value) > limit:
            errors[name] = f"At most {limit} characters."
        elif problem := _text_problem(value):
            errors[name] = problem
        clean[name] = value
    if not clean["preferred_language"]:
        clean["preferred_language"] = "English"
    if errors:
        first_field = next(iter(errors))
        raise ValidationError(errors[first_field], field=first_field, errors=errors)
    return clean


# Half of a surrogate pair; a control character (Unicode category Cc: U+0000-U+001F and
# U+007F-U+009F, a stable set) other than tab and line feed. Regexes, not a loop over the
# characters: an import checks eight fields of 100,000 rows.
_BROKEN_PAIR = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _text_problem(value: str) -> str | None:
    """Characters no store or printer can take: half of a surrogate pair, control characters."""
    if _BROKEN_PAIR.search(value):
        return ("The text contains a broken character (half of a pair, often left by copy "
                "and paste). Delete it and type it again.")  # fmt: skip
    if _CONTROL.search(value):
        return "The text contains an invisible control character; delete it and type it again."
    return None


def search_columns(clean: dict[str, Any]) -> dict[str, Any]:
    """The normalised copies search scans, from a patient's names and phone."""
    digits = phone_digits(clean.get("phone", ""))
    return {
        "search_last": fold(clean["last_name"])[:NAME_MAX_LENGTH],
        "search_first": fold(clean["first_name"])[:NAME_MAX_LENGTH],
        "phone_digits": digits,
        "phone_reversed": digits[::-1],
    }


def name_part_rows(patient_id: int, first_name: str, last_name: str) -> list[dict[str, Any]]:
    """The PatientNamePart rows of one patient (any part of a compound name finds them)."""
    return [
        {"patient_id": patient_id, "part": part, "key": key[:NAME_MAX_LENGTH]}
        for part, name in (("first", first_name), ("last", last_name))
        for key in name_part_keys(name)
    ]


def _store_name_parts(session: Session, patient: Patient) -> None:
    """Replace the patient's name-part keys with those of the current name."""
    session.execute(delete(PatientNamePart).where(PatientNamePart.patient_id == patient.id))
    rows = name_part_rows(patient.id, patient.first_name, patient.last_name)
    if rows:
        session.execute(insert(PatientNamePart), rows)


class PatientService(Service):
    @policy("patient.read", audit=READ)
    def get(self, patient_id: int) -> PatientRecord:
        """The patient's record; the chart view is audited (once per opening)."""
        return self.open_chart(patient_id)

    @policy("patient.read", audit=READ)
    def open_chart(self, patient_id: int, purpose: str = "view") -> PatientRecord:
        """Read a patient's record and audit the view, saying which screen asked."""
        with self._read() as session:
            patient = existing(session, Patient, patient_id, "patient")
            record = _record(patient)
        self._record_read("view", "patient", patient_id, patient_id=patient_id,
                          details={"purpose": purpose}, view=patient_id)  # fmt: skip
        return record

    # ------------------------------------------------------------- search
    @policy("patient.read", audit=READ)
    def search(
        self, text: str, *, limit: int = 50, today: dt.date | None = None
    ) -> list[PatientHit]:
        """Patients matching what was typed; those booked today first, with their time.

        Every reading of the query is an indexed range scan stopped by ``limit``,
        so a keystroke costs a few milliseconds even with 100,000 patients. Each
        search is audited (who, when, how many found; the text stays in the store).
        """
        today = today or self.now().date()
        query = parse_query(text, today)
        if query.kind == "empty":
            return []
        limit = max(1, min(int(limit), 500))
        readings = [query, *query.alternatives]
        with self._read() as session:
            booked = {h.id: h for h in self._booked_today(session, readings, today)}
            found: dict[int, tuple[tuple[Any, ...], tuple[Any, ...]]] = {}
            for rank, reading in enumerate([*readings, *_wider_readings(readings)]):
                if len(found) + len(booked) >= limit:
                    break
                stmt = _search_base(reading.kind, bool(reading.other), limit)
                for row in session.execute(stmt, _search_params(reading)):
                    if row.id not in booked and row.id not in found:
                        found[row.id] = ((_match_tier(reading, row), rank, row[6], row[7]),
                                         tuple(row))  # fmt: skip
            wider = [pid for pid, (order, _row) in found.items() if order[1] >= len(readings)]
            if wider:  # found by a name part or a typo, and booked today
                for hit in self._booked_today(session, [SearchQuery("ids", ids=tuple(wider))],
                                              today):  # fmt: skip
                    booked.setdefault(hit.id, hit)
                    found.pop(hit.id, None)
        todays = sorted(booked.values(), key=_desk_order)
        others = [PatientHit(*row[:6]) for _order, row in sorted(found.values())]
        hits = (todays + others)[:limit]
        self._record_read("query", "patient", details={"query": text.strip()[:100],
                          "kind": query.kind, "results": len(hits)},
                          view=("search", text.strip().casefold()))  # fmt: skip
        return hits

    @policy("patient.read", audit=READ)
    def booked_today(self, today: dt.date | None = None) -> list[PatientHit]:
        """Everyone with an appointment today (the desk's list before anything is typed)."""
        today = today or self.now().date()
        with self._read() as session:
            hits = self._booked_today(session, [SearchQuery("all")], today)
        self._record_read("view", "checkin_list", today, details={"results": len(hits)},
                          view=today)  # fmt: skip
        return sorted(hits, key=_desk_order)

    @staticmethod
    def _search_stmt(q: SearchQuery, limit: int | None = None) -> AnySelect:
        """The statement for one reading, with its values bound (query plans, tests)."""
        return _search_base(q.kind, bool(q.other), limit).params(**_search_params(q))

    @classmethod
    def _booked_today_stmt(
        cls, readings: SearchQuery | list[SearchQuery], today: dt.date
    ) -> AnySelect:
        """Today's matching appointments as one statement with its values bound (query plans)."""
        readings = [readings] if isinstance(readings, SearchQuery) else readings
        stmt, params = _booked_today_query(readings, today)
        return stmt.params(**params)

    def _booked_today(
        self, session: Session, readings: list[SearchQuery], today: dt.date
    ) -> list[PatientHit]:
        """Today's matching patients; an open appointment wins over one already seen."""
        best: dict[int, PatientHit] = {}
        for row in session.execute(*_booked_today_query(readings, today)):
            hit = PatientHit(*row)
            current = best.get(hit.id)
            if current is None or (
                current.appointment_status not in OPEN_STATUSES
                and hit.appointment_status in OPEN_STATUSES
            ):
                best[hit.id] = hit
        return list(best.values())

    # ------------------------------------------------------------- duplicates
    @policy("patient.read", audit=READ)
    def find_duplicates(
        self, data: PatientInput, *, exclude_id: int | None = None
    ) -> list[DuplicateCandidate]:
        """Patients on file who may be this person: same DOB and a similar name, or same phone.

        Raises ValidationError first if the input itself cannot be saved.
        """
        clean = validate(data, self.now().date())
        with self._read() as session:
            found = self._duplicates(session, clean, exclude_id)
        self._record_read("query", "duplicate_check", exclude_id or "",
                          details={"results": len(found), "candidates": [c.id for c in found]})  # fmt: skip
        return found

    @staticmethod
    def _duplicates(
        session: Session, clean: dict[str, Any], exclude_id: int | None = None
    ) -> list[DuplicateCandidate]:
        reasons: dict[int, list[str]] = {}
        patients: dict[int, Patient] = {}
        same_dob = session.scalars(
            select(Patient).where(Patient.dob == clean["dob"], Patient.active.is_(True)).limit(500)
        )
        for p in same_dob:
            why = same_person_name(clean["first_name"], clean["last_name"], p.first_name,
                                   p.last_name)  # fmt: skip
            if why is None and p.preferred_name:
                why = same_person_name(clean["first_name"], clean["last_name"],
                                       p.preferred_name, p.last_name)  # fmt: skip
            if why is not None:
                patients[p.id] = p
                reasons.setdefault(p.id, []).append(f"same date of birth, {why}")
        digits = phone_digits(clean["phone"])
        if digits:
            same_phone = session.scalars(
                select(Patient)
                .where(Patient.phone_digits == digits, Patient.active.is_(True))
                .limit(DUPLICATE_LIMIT)
            )
            for p in same_phone:
                patients[p.id] = p
                reasons.setdefault(p.id, []).append("same phone number")
        patients.pop(exclude_id, None)  # type: ignore[arg-type]
        ordered = sorted(patients.values(), key=lambda p: (-len(reasons[p.id]), p.search_last))
        return [
            DuplicateCandidate(
                p.id, p.mrn, p.last_name, p.first_name, p.dob, p.phone, "; ".join(reasons[p.id])
            )  # fmt: skip
            for p in ordered[:DUPLICATE_LIMIT]
        ]

    # ------------------------------------------------------------- writing
    @policy("patient.write", audit=WRITE)
    def register(self, data: PatientInput, *, duplicate_override: bool = False) -> PatientRecord:
        """Save a new patient; one transaction with its audit entry.

        Possible duplicates stop the save with NeedsConfirmation (its ``candidates``
        are DuplicateCandidate rows) unless ``duplicate_override`` says the user chose
        "create anyway"; that choice and the candidates are recorded in the audit.
        Registering is done with the patient at the desk, so it counts as today's
        verification of the demographics (check-in does not ask again).
        """
        now = self.now()
        clean = validate(data, now.date())
        with self._write() as session:
            candidates = self._duplicates(session, clean)
            if candidates and not duplicate_override:
                raise NeedsConfirmation(
                    "This person may already be registered. Use the existing patient, "
                    "or create a new record anyway.",
                    warnings=[c.describe() for c in candidates],
                    candidates=candidates,
                )
            patient = Patient(mrn="", **clean, **search_columns(clean), created_at=now,
                              updated_at=now, verified_at=now,
                              verified_by_id=self.actor.user_id)  # fmt: skip
            session.add(patient)
            session.flush()
            patient.mrn = mrn_for(patient.id)
            _store_name_parts(session, patient)
            details: dict[str, Any] = changes({}, {**clean, "mrn": patient.mrn, "verified_at": now})
            details["duplicate_override"] = duplicate_override
            if candidates:
                details["duplicate_choice"] = "create_anyway"
                details["duplicate_candidates"] = [c.id for c in candidates]
            self._audit(session, "create", "patient", patient.id, patient_id=patient.id,
                        details=details)  # fmt: skip
            return _record(patient)

    @policy("patient.write", audit=WRITE)
    def use_existing(self, patient_id: int, candidate_ids: list[int]) -> PatientRecord:
        """Record that registration stopped because the person was already on file."""
        with self._write() as session:
            patient = existing(session, Patient, patient_id, "patient")
            self._audit(session, "duplicate_use_existing", "patient", patient_id,
                        patient_id=patient_id,
                        details={"duplicate_choice": "use_existing",
                                 "duplicate_candidates": sorted(set(candidate_ids))})  # fmt: skip
            return _record(patient)

    @policy("patient.write", audit=WRITE)
    def update(
        self, patient_id: int, *, expected_version: int | None = None, **values: Any
    ) -> PatientRecord:
        """Edit fields in place; the audit entry names each field with old and new value.

        ``expected_version`` is the version the form loaded: a newer saved version is
        refused (StaleVersionError, with the record as it is now) and nothing is written.
        """
        unknown = set(values) - set(EDITABLE)
        if unknown:
            raise ValidationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
        now = self.now()
        with self._write() as session:
            patient = self._patient_for_edit(session, patient_id, expected_version)
            current = {name: getattr(patient, name) for name in EDITABLE}
            merged = PatientInput(**{**current, **values})
            clean = validate(merged, now.date())
            diff = changes(current, {k: clean[k] for k in EDITABLE})
            if not diff:
                return _record(patient)
            for name in diff:
                setattr(patient, name, clean[name])
            for column, value in search_columns(clean).items():
                setattr(patient, column, value)
            if {"first_name", "last_name"} & set(diff):
                _store_name_parts(session, patient)
            patient.updated_at = now
            self._audit(session, "update", "patient", patient_id, patient_id=patient_id,
                        details=diff)  # fmt: skip
            session.flush()  # the record returned carries its new version
            return _record(patient)

    @policy("patient.write", audit=WRITE)
    def mark_verified(
        self, patient_id: int, *, expected_version: int | None = None
    ) -> PatientRecord:
        """The patient confirmed what is on file (the version the desk showed), now."""
        now = self.now()
        with self._write() as session:
            patient = self._patient_for_edit(session, patient_id, expected_version)
            old = {"verified_at": patient.verified_at, "verified_by_id": patient.verified_by_id}
            patient.verified_at = now
            patient.verified_by_id = self.actor.user_id
            new = {"verified_at": now, "verified_by_id": self.actor.user_id}
            self._audit(session, "verify", "patient", patient_id, patient_id=patient_id,
                        details=changes(old, new))  # fmt: skip
            session.flush()  # the record returned carries its new version
            return _record(patient)

    def _patient_for_edit(
        self, session: Session, patient_id: int, expected_version: int | None
    ) -> Patient:
        patient = existing(session, Patient, patient_id, "patient", lock=True)
        check_version(patient, expected_version, what="patient", now=self.now(),
                      current=lambda: _record(patient))  # fmt: skip
        return patient

    # ------------------------------------------------------------- desk checks
    @policy("patient.read", audit=READ)
    def verification(self, patient_id: int) -> Verification:
        """When and by whom the patient's details were last confirmed at the desk."""
        today = self.now().date()
        with self._read() as session:
            patient = existing(session, Patient, patient_id, "patient")
            by = ""
            if patient.verified_by_id is not None:
                user = session.get(User, patient.verified_by_id)
                by = user.display_name if user is not None else ""
            elif patient.verified_at is not None:
                by = "system"
            at = patient.verified_at
        self._record_read("view", "patient", patient_id, patient_id=patient_id,
                          details={"purpose": "verification"}, view=patient_id)  # fmt: skip
        return Verification(at, by, at is not None and at.date() == today)

    @policy("patient.read", audit=READ)
    def name_alerts(self, day: dt.date) -> dict[int, str]:
        """For each patient booked on ``day``: a warning when another booked patient that
        day has the same last name and a similar first name (easy to mix up)."""
        start = dt.datetime.combine(day, dt.time())
        with self._read() as session:
            rows = session.execute(
                select(Patient.id, Patient.first_name, Patient.last_name, Patient.dob)
                .join(Appointment, Appointment.patient_id == Patient.id)
                .where(
                    Appointment.start >= start,
                    Appointment.start < start + dt.timedelta(days=1),
                    Appointment.status.notin_(("cancelled", "entered_in_error")),
                )
                .distinct()
            ).all()
        alerts = _alerts_among(rows, [r[0] for r in rows])
        self._record_read("view", "name_alerts", day, details={"patients": len(rows),
                          "alerts": len(alerts)}, view=day)  # fmt: skip
        return alerts

    @policy("patient.read", audit=READ)
    def name_alert(self, patient_id: int, day: dt.date | None = None) -> str:
        """The name alert for one patient against everyone booked on ``day`` (walk-ins too)."""
        day = day or self.now().date()
        start = dt.datetime.combine(day, dt.time())
        with self._read() as session:
            me = existing(session, Patient, patient_id, "patient")
            rows = session.execute(
                select(Patient.id, Patient.first_name, Patient.last_name, Patient.dob)
                .join(Appointment, Appointment.patient_id == Patient.id)
                .where(
                    Appointment.start >= start,
                    Appointment.start < start + dt.timedelta(days=1),
                    Appointment.status.notin_(("cancelled", "entered_in_error")),
                    Patient.search_last == me.search_last,
                )
                .distinct()
            ).all()
            mine = (me.id, me.first_name, me.last_name, me.dob)
        self._record_read("view", "patient", patient_id, patient_id=patient_id,
                          details={"purpose": "name_alert"}, view=patient_id)  # fmt: skip
        return _alerts_among([*rows, mine], [patient_id]).get(patient_id, "")

    @policy("patient.read", audit=REFERENCE)
    def count(self) -> int:
        """How many patients the clinic has (a number, no one named)."""
        with self._read() as session:
            return session.scalar(select(func.count(Patient.id))) or 0


def _desk_order(hit: PatientHit) -> tuple[Any, ...]:
    """Still to arrive first (by time), then those in clinic, then those done for the day."""
    status = hit.appointment_status
    stage = 0 if status in OPEN_STATUSES else 1 if status in IN_CLINIC_STATUSES else 2
    return (stage, hit.appointment_time or dt.datetime.min, fold(hit.last_name))


def _alerts_among(
    rows: Iterable[tuple[int, str, str, dt.date]], wanted: list[int]
) -> dict[int, str]:
    people = {pid: (first, last, dob) for pid, first, last, dob in rows}
    alerts: dict[int, str] = {}
    for pid in wanted:
        if pid not in people:
            continue
        first, last, _dob = people[pid]
        similar = [
            (ofirst, olast, odob)
            for oid, (ofirst, olast, odob) in people.items()
            if oid != pid and could_be_confused(first, last, ofirst, olast)
        ]
        if similar:
            names = "; ".join(f"{f} {ln} (DOB {d:%m/%d/%Y})" for f, ln, d in similar[:3])
            alerts[pid] = f"Name alert: also here today: {names}. Confirm name and DOB."
    return alerts


def mrn_for(patient_id: int) -> str:
    return f"M{100000 + patient_id:06d}"


def input_from_record(record: PatientRecord) -> PatientInput:
    values = asdict(record)
    return PatientInput(**{f.name: values[f.name] for f in fields(PatientInput)})


@functools.cache
def _booked_today_base(shapes: tuple[tuple[str, bool], ...]) -> AnySelect:
    """A day's live appointments of patients matching any reading; built once per shape."""
    terms = [_terms(kind, with_first, f"_{i}") for i, (kind, with_first) in enumerate(shapes)]
    match = [] if any(not t for t in terms) else [or_(*(and_(*t) for t in terms))]
    return (
        select(
            *HIT_COLUMNS,
            Appointment.start,
            Provider.display_name,
            Appointment.id,
            Appointment.status,
        )  # fmt: skip
        .join(Appointment, Appointment.patient_id == Patient.id)
        .join(Provider, Provider.id == Appointment.provider_id)
        .where(
            Appointment.start >= bindparam("day_start"),
            Appointment.start < bindparam("day_end"),
            Appointment.status.notin_(("cancelled", "entered_in_error")),
            Patient.active.is_(True),
            *match,
        )
        .order_by(Appointment.start)
    )


def _booked_today_query(
    readings: list[SearchQuery], today: dt.date
) -> tuple[AnySelect, dict[str, Any]]:
    """The cached statement and its parameters for these readings on ``today``."""
    day_start = dt.datetime.combine(today, dt.time())
    params = {"day_start": day_start, "day_end": day_start + dt.timedelta(days=1)}
    for i, q in enumerate(readings):
        params |= _search_params(q, f"_{i}")
    shapes = tuple((q.kind, bool(q.other)) for q in readings)
    return _booked_today_base(shapes), params


def _wider_readings(readings: list[SearchQuery]) -> list[SearchQuery]:
    """Readings tried after the exact and prefix ones, while results are few: a later part
    of a compound name ("garcia" in "López García", "ann" in "Mary Ann"), then one typo
    in the last or the first name of the first reading."""
    wider: list[SearchQuery] = []
    for q in readings:
        if q.kind == "name":
            wider.append(SearchQuery("last_part", last=q.last, first=q.first))
            if q.first:
                wider.append(SearchQuery("first_part", first=q.first, last=q.last))
        elif q.kind == "first":
            wider.append(SearchQuery("first_part", first=q.first))
    for q in readings[:2]:
        if q.kind == "name" and one_typo_keys(q.last):
            wider.append(SearchQuery("last_typo", last=q.last, first=q.first))
            wider.append(SearchQuery("last_part_typo", last=q.last, first=q.first))
        if q.kind in ("name", "first") and one_typo_keys(q.first):
            wider.append(SearchQuery("first_typo", first=q.first, last=q.last))
    return wider


def _match_tier(q: SearchQuery, row: AnyRow) -> int:
    """0 for an exact match of what was typed, 1 for a prefix match, 2 for one typo away."""
    if q.kind.endswith("_typo"):
        return 2
    last_key, first_key = row[6], row[7]
    if q.kind == "name":
        exact = last_key == q.last and q.first in ("", first_key)
    elif q.kind == "first":
        exact = first_key == q.first
    elif q.kind == "last_part":
        exact = q.last in name_part_keys(row.last_name) and q.first in ("", first_key)
    elif q.kind == "first_part":
        exact = q.first in name_part_keys(row.first_name) and q.last in ("", last_key)
    else:  # DOB, phone, MRN
        exact = True
    return 0 if exact else 1


# Which normalised, indexed column each kind of reading scans, and its sort order.
_RANGE_COLUMN = {
    "phone": "phone_digits",
    "phone_tail": "phone_reversed",
    "mrn": "mrn",
    "first": "search_first",
}
_ORDER = {
    "dob": ("search_last", "search_first"),
    "phone": ("phone_digits",),
    "phone_tail": ("phone_reversed",),
    "mrn": ("mrn",),
    "first": ("search_first",),
}
_TYPO_KINDS = ("last_typo", "first_typo", "last_part_typo")


class _json_text_list(FunctionElement[Any]):
    """The strings of a JSON array bound as one parameter, as rows of a column "value".

    Several hundred one-typo keys go in as one value, so the statement text stays the
    same (an expanding IN would be rendered again on every keystroke).
    """

    name = "json_text_list"
    inherit_cache = True


@compiles(_json_text_list, "sqlite")
def _json_text_list_sqlite(element: _json_text_list, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_each({compiler.process(element.clauses, **kw)})"


@compiles(_json_text_list, "postgresql")
def _json_text_list_postgresql(element: _json_text_list, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_array_elements_text(CAST({compiler.process(element.clauses, **kw)} AS json))"


def _one_of_keys(name: str) -> AnySelect:
    """``IN`` these keys: a JSON list bound as ``name``."""
    return select(literal_column("value")).select_from(
        _json_text_list(bindparam(name, type_=String()))
    )


_PART_KINDS = ("last_part", "first_part", "last_part_typo")


def _terms(kind: str, with_other: bool, suffix: str = "") -> list[ColumnElement[bool]]:
    """WHERE terms of one reading, with bind parameters named ``low{suffix}`` etc.

    Each term is a range or a list of keys on an indexed, normalised column.
    """
    if kind == "dob":
        return [Patient.dob == bindparam(f"dob{suffix}")]
    if kind == "all":
        return []
    if kind == "ids":
        return [Patient.id.in_(bindparam(f"ids{suffix}", expanding=True))]
    if kind in _PART_KINDS:
        column = PatientNamePart.key
    elif kind in _TYPO_KINDS:
        column = Patient.search_first if kind.startswith("first") else Patient.search_last
    else:
        column = getattr(Patient, _RANGE_COLUMN.get(kind, "search_last"))
    if kind in _TYPO_KINDS:
        terms: list[ColumnElement[bool]] = [column.in_(_one_of_keys(f"keys{suffix}"))]
    else:
        terms = [column >= bindparam(f"low{suffix}"), column < bindparam(f"high{suffix}")]
    if kind in _PART_KINDS:
        part = "first" if kind.startswith("first") else "last"
        terms = [Patient.id.in_(select(PatientNamePart.patient_id)
                                .where(PatientNamePart.part == part, *terms))]  # fmt: skip
    if with_other:
        other = Patient.search_last if kind.startswith("first") else Patient.search_first
        terms += [other >= bindparam(f"other_low{suffix}"),
                  other < bindparam(f"other_high{suffix}")]  # fmt: skip
    return terms


@functools.cache
def _search_base(kind: str, with_other: bool, limit: int | None) -> AnySelect:
    """One reading's statement, built once per shape, ordered the way its index is so
    that LIMIT stops the scan early; the values come from ``_search_params``."""
    order = [getattr(Patient, name) for name in _ORDER.get(kind, ("search_last", "search_first"))]
    stmt = (
        select(*HIT_COLUMNS, Patient.search_last, Patient.search_first)
        .where(Patient.active.is_(True), *_terms(kind, with_other))
        .order_by(*order)
    )
    return stmt if limit is None else stmt.limit(limit)


def _search_params(q: SearchQuery, suffix: str = "") -> dict[str, Any]:
    if q.kind == "dob":
        return {f"dob{suffix}": q.dob}
    if q.kind == "all":
        return {}
    if q.kind == "ids":
        return {f"ids{suffix}": list(q.ids)}
    if q.kind in _TYPO_KINDS:
        params = {f"keys{suffix}": json.dumps(one_typo_keys(q.main))}
    else:
        prefix = {"phone": q.digits, "phone_tail": q.digits[::-1], "mrn": q.digits}.get(
            q.kind, q.main[:NAME_MAX_LENGTH]
        )
        params = {f"low{suffix}": prefix, f"high{suffix}": prefix_upper_bound(prefix)}
    if q.other:
        other = q.other[:NAME_MAX_LENGTH]
        params |= {f"other_low{suffix}": other, f"other_high{suffix}": prefix_upper_bound(other)}
    return params
