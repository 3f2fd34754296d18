"""Patients: search as you type, register, edit in place, verify at the desk."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field, fields

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ma_desk.audit import changes
from ma_desk.db.models import Appointment, Patient, Provider
from ma_desk.errors import NotFoundError, ValidationError
from ma_desk.services.base import Service
from ma_desk.text import fold, format_us_phone, phone_digits, prefix_upper_bound

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
DOB_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y", "%m%d%Y", "%d.%m.%Y", "%Y%m%d")
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

    @property
    def full_name(self) -> str:
        return f"{self.last_name}, {self.first_name}"

    def age_on(self, day: dt.date) -> int:
        return age_years(self.dob, day)


@dataclass(frozen=True)
class PatientHit:
    id: int
    mrn: str
    last_name: str
    first_name: str
    dob: dt.date
    phone: str
    appointment_time: dt.datetime | None = None
    provider_name: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.last_name}, {self.first_name}"


@dataclass
class SearchQuery:
    kind: str  # name | dob | phone | mrn | empty
    last: str = ""
    first: str = ""
    dob: dt.date | None = None
    digits: str = ""
    alternatives: list[SearchQuery] = field(default_factory=list)


def age_years(dob: dt.date, on: dt.date) -> int:
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def parse_dob(text: str) -> dt.date | None:
    """A date typed in any of the common US formats, or None."""
    text = text.strip()
    for fmt in DOB_FORMATS:
        try:
            parsed = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if fmt == "%m/%d/%y" and parsed.year > dt.date.today().year:
            parsed = parsed.replace(year=parsed.year - 100)
        return parsed
    return None


def parse_query(text: str) -> SearchQuery:
    """Work out what was typed: a DOB, a phone number, an MRN or a name."""
    text = text.strip()
    if not text:
        return SearchQuery("empty")
    dob = parse_dob(text) if re.search(r"[/.\-]", text) or len(text) == 8 else None
    if dob is not None:
        return SearchQuery("dob", dob=dob)
    digits = phone_digits(text)
    letters = re.sub(r"[\d\s()+\-.]", "", text)
    if not letters and digits:
        if len(digits) >= 7:
            return SearchQuery(
                "phone", digits=digits, alternatives=[SearchQuery("mrn", digits=digits)]
            )
        return SearchQuery("mrn", digits=digits)
    if re.fullmatch(r"[A-Za-z]{1,3}\d{3,}", text):
        return SearchQuery("mrn", digits=text.upper())
    if "," in text:
        last, _, first = text.partition(",")
        return SearchQuery("name", last=fold(last), first=fold(first))
    parts = text.split()
    if len(parts) >= 2:
        first, last = fold(parts[0]), fold("".join(parts[1:]))
        # "smith jo" or "jo smith": try both orders
        return SearchQuery(
            "name",
            last=last,
            first=first,
            alternatives=[SearchQuery("name", last=first, first=last)],
        )
    return SearchQuery("name", last=fold(text))


def _record(p: Patient) -> PatientRecord:
    return PatientRecord(
        **{f.name: getattr(p, f.name) for f in fields(PatientRecord)}  # type: ignore[arg-type]
    )


def validate(data: PatientInput, today: dt.date) -> dict:
    """Check a registration or edit; returns clean values or raises ValidationError."""
    errors: dict[str, str] = {}
    clean: dict = {}
    for name in ("first_name", "last_name"):
        value = " ".join(str(getattr(data, name) or "").split())
        if not value:
            errors[name] = f"{'First' if name == 'first_name' else 'Last'} name is required."
        elif len(value) > 80:
            errors[name] = "Names are limited to 80 characters."
        elif not fold(value):
            errors[name] = "A name needs at least one letter."
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
        "middle_name": 80, "preferred_name": 80, "address1": 120, "address2": 120, "city": 80,
        "preferred_language": 40, "emergency_name": 120, "emergency_relation": 40,
        "allergies": 4000, "medications": 4000,
    }  # fmt: skip
    for name, limit in limits.items():
        value = str(getattr(data, name) or "").strip()
        if len(value) > limit:
            errors[name] = f"At most {limit} characters."
        clean[name] = value
    if not clean["preferred_language"]:
        clean["preferred_language"] = "English"
    if errors:
        first_field = next(iter(errors))
        raise ValidationError(errors[first_field], field=first_field, errors=errors)
    return clean


class PatientService(Service):
    def get(self, patient_id: int) -> PatientRecord:
        with self._read("patient.read") as session:
            patient = session.get(Patient, patient_id)
            if patient is None:
                raise NotFoundError("That patient no longer exists.")
            return _record(patient)

    def open_chart(self, patient_id: int, purpose: str = "view") -> PatientRecord:
        """Read a patient's record and audit the view (for chart-opening screens)."""
        record = self.get(patient_id)
        with self.ctx.db.write() as session:
            self._audit(session, "view", "patient", patient_id, patient_id=patient_id,
                        details={"purpose": purpose})  # fmt: skip
        return record

    def search(
        self, text: str, *, limit: int = 50, today: dt.date | None = None
    ) -> list[PatientHit]:
        """Patients matching what was typed; today's scheduled patients first."""
        query = parse_query(text)
        if query.kind == "empty":
            return []
        today = today or self.now().date()
        with self._read("patient.read") as session:
            found: dict[int, Patient] = {}
            for q in [query, *query.alternatives]:
                for p in session.execute(self._search_stmt(q).limit(limit)).scalars():
                    found.setdefault(p.id, p)
            if not found:
                return []
            todays = self._todays_appointments(session, list(found), today)
        hits = [
            PatientHit(
                p.id,
                p.mrn,
                p.last_name,
                p.first_name,
                p.dob,
                p.phone,
                *todays.get(p.id, (None, "")),
            )  # fmt: skip
            for p in found.values()
        ]
        hits.sort(
            key=lambda h: (
                h.appointment_time is None,
                h.appointment_time or dt.datetime.min,
                fold(h.last_name),
                fold(h.first_name),
                h.dob,
            )
        )
        return hits[:limit]

    @staticmethod
    def _search_stmt(q: SearchQuery):
        stmt = select(Patient).where(Patient.active.is_(True))
        if q.kind == "dob":
            return stmt.where(Patient.dob == q.dob).order_by(Patient.search_last)
        if q.kind == "phone":
            return stmt.where(Patient.phone_digits == q.digits)
        if q.kind == "mrn":
            return stmt.where(or_(Patient.mrn == q.digits, Patient.mrn == f"M{q.digits}"))
        conds = [Patient.search_last >= q.last, Patient.search_last < prefix_upper_bound(q.last)]
        if q.first:
            conds += [Patient.search_first >= q.first,
                      Patient.search_first < prefix_upper_bound(q.first)]  # fmt: skip
        return stmt.where(and_(*conds)).order_by(Patient.search_last, Patient.search_first)

    @staticmethod
    def _todays_appointments(session: Session, ids: list[int], today: dt.date):
        start = dt.datetime.combine(today, dt.time())
        rows = session.execute(
            select(Appointment.patient_id, func.min(Appointment.start), Provider.display_name)
            .join(Provider, Provider.id == Appointment.provider_id)
            .where(
                Appointment.patient_id.in_(ids),
                Appointment.start >= start,
                Appointment.start < start + dt.timedelta(days=1),
                Appointment.status.notin_(("cancelled", "entered_in_error")),
            )
            .group_by(Appointment.patient_id, Provider.display_name)
        ).all()
        return {pid: (when, provider) for pid, when, provider in rows}

    def register(self, data: PatientInput, *, duplicate_override: bool = False) -> PatientRecord:
        """Save a new patient; one transaction with its audit entry."""
        now = self.now()
        clean = validate(data, now.date())
        with self._write("patient.write") as session:
            patient = Patient(
                mrn="", **clean, search_last=fold(clean["last_name"]),
                search_first=fold(clean["first_name"]),
                phone_digits=phone_digits(clean["phone"]), created_at=now, updated_at=now,
            )  # fmt: skip
            session.add(patient)
            session.flush()
            patient.mrn = mrn_for(patient.id)
            self._audit(session, "create", "patient", patient.id, patient_id=patient.id,
                        details={"duplicate_override": duplicate_override})  # fmt: skip
            return _record(patient)

    def update(self, patient_id: int, **values) -> PatientRecord:
        """Edit fields in place; the audit entry names each field with old and new value."""
        unknown = set(values) - set(EDITABLE)
        if unknown:
            raise ValidationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
        now = self.now()
        with self._write("patient.write", patient_id=patient_id) as session:
            patient = session.get(Patient, patient_id)
            if patient is None:
                raise NotFoundError("That patient no longer exists.")
            current = {name: getattr(patient, name) for name in EDITABLE}
            merged = PatientInput(**{**current, **values})
            clean = validate(merged, now.date())
            diff = changes(current, {k: clean[k] for k in EDITABLE})
            if not diff:
                return _record(patient)
            for name in diff:
                setattr(patient, name, clean[name])
            patient.search_last = fold(patient.last_name)
            patient.search_first = fold(patient.first_name)
            patient.phone_digits = phone_digits(patient.phone)
            patient.updated_at = now
            self._audit(session, "update", "patient", patient_id, patient_id=patient_id,
                        details=diff)  # fmt: skip
            return _record(patient)

    def mark_verified(self, patient_id: int) -> PatientRecord:
        now = self.now()
        with self._write("patient.write", patient_id=patient_id) as session:
            patient = session.get(Patient, patient_id)
            if patient is None:
                raise NotFoundError("That patient no longer exists.")
            patient.verified_at = now
            patient.verified_by_id = self.actor.user_id
            self._audit(session, "verify", "patient", patient_id, patient_id=patient_id)
            return _record(patient)

    def count(self) -> int:
        with self.ctx.db.read() as session:
            return session.scalar(select(func.count(Patient.id))) or 0


def mrn_for(patient_id: int) -> str:
    return f"M{100000 + patient_id:06d}"


def input_from_record(record: PatientRecord) -> PatientInput:
    values = asdict(record)
    return PatientInput(**{f.name: values[f.name] for f in fields(PatientInput)})
