"""Insurance input rules: what a coverage, check, note or authorisation must look like.

Plain functions with no database so that the service, the UI and property
tests share one definition of "valid". Every refusal is a ValidationError
whose message says what to fix.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ma_desk.errors import ValidationError
from ma_desk.services.patients import parse_dob

T = TypeVar("T")

PRIORITY_LABELS = {1: "Primary", 2: "Secondary", 3: "Tertiary"}
RELATIONSHIPS = {"self": "Self", "spouse": "Spouse", "child": "Child", "other": "Other"}
METHODS = {"portal": "Payer portal", "phone": "Phone", "clearinghouse": "Clearinghouse"}
RESULTS = {"active": "Active", "inactive": "Inactive", "needs_info": "Needs information"}
AUTH_STATUSES = {
    "pending": "Pending",
    "approved": "Approved",
    "denied": "Denied",
    "cancelled": "Cancelled",
}
SIDES = ("front", "back")
MAX_CARD_BYTES = 10 * 1024 * 1024
MAX_NOTE_CHARS = 4000
AUTH_EXPIRING_DAYS = 14
AUTH_LOW_UNITS = 1
AUTH_RECENTLY_EXPIRED_DAYS = 30
MEMBER_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9*]*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_MONEY_RE = re.compile(r"^\$?\s*(\d{1,5})(?:\.(\d{1,2}))?$")
IMAGE_SIGNATURES: list[tuple[bytes, int, str]] = [
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"BM", 0, "image/bmp"),
    (b"II*\x00", 0, "image/tiff"),
    (b"MM\x00*", 0, "image/tiff"),
    (b"WEBP", 8, "image/webp"),
]
SCAN_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp")


def priority_label(priority: int) -> str:
    return PRIORITY_LABELS.get(priority, str(priority))


def verification_is_stale(
    last_verified_at: dt.datetime | None, now: dt.datetime, days: int
) -> bool:
    """Never verified, or verified more than ``days`` days ago (exactly ``days`` is fresh).

    The one staleness rule: the Insurance tab, the Check-in and Schedule flags and the
    end-of-day report all ask it.
    """
    return last_verified_at is None or now - last_verified_at > dt.timedelta(days=days)


def coverage_has_ended(end_date: dt.date | None, today: dt.date) -> bool:
    """A coverage is still in force on its end date; ended from the day after."""
    return end_date is not None and end_date < today


def image_type(data: bytes) -> str | None:
    """The image's MIME type from its first bytes (not its file name), or None."""
    for magic, offset, mime in IMAGE_SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            if mime == "image/webp" and not data.startswith(b"RIFF"):
                continue
            return mime
    return None


def check_card_image(data: bytes) -> str:
    """Refuse empty, oversized or non-image files; returns the MIME type."""
    if not data:
        raise ValidationError("The card image file is empty.", field="card")
    if len(data) > MAX_CARD_BYTES:
        raise ValidationError(
            f"The card image is {len(data) / 1_048_576:.1f} MB; the limit is "
            f"{MAX_CARD_BYTES // 1_048_576} MB. Scan at a lower resolution.",
            field="card",
        )
    mime = image_type(data)
    if mime is None:
        raise ValidationError(
            "That file is not a card image. Use a PNG, JPEG, GIF, BMP, TIFF or WebP image.",
            field="card",
        )
    return mime


def parse_date(value: dt.date | str | None, label: str, name: str) -> dt.date | None:
    """A date typed as MM/DD/YYYY (or ISO and the other accepted forms); blank is None."""
    if value is None or isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text:
        return None
    parsed = parse_dob(text)
    if parsed is None:
        raise ValidationError(f"{label} not understood; type it as MM/DD/YYYY.", field=name)
    return parsed


def parse_money(value: int | str | None, label: str, name: str) -> int:
    """Dollars as typed ("$25", "25.00", "25") to whole cents; blank is 0."""
    if value is None:
        return 0
    if isinstance(value, int):
        if value < 0:
            raise ValidationError(f"{label} cannot be negative.", field=name)
        return value
    text = str(value).strip().replace(",", "")
    if not text:
        return 0
    match = _MONEY_RE.match(text)
    if not match:
        raise ValidationError(
            f"{label} must be an amount in dollars, like 25 or 25.50.", field=name
        )
    dollars, cents = match.group(1), (match.group(2) or "0").ljust(2, "0")
    return int(dollars) * 100 + int(cents)


def format_money(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def clean_text(value: str | None, label: str, name: str, limit: int) -> str:
    """Trimmed single-field text; control characters and overlong text are refused."""
    text = str(value or "").strip()
    if _CONTROL.search(text):
        raise ValidationError(f"{label} contains invisible control characters.", field=name)
    if len(text) > limit:
        raise ValidationError(f"{label} is limited to {limit} characters.", field=name)
    return text


# Spaces and dashes payers print on cards to group the characters ("XYZ 123-456-789"):
# not part of the ID, so removed (with look-alike dashes and Unicode spaces).
MEMBER_ID_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d]+")


def normalise_member_id(value: str | None) -> str:
    """The ID as payers take it: full-width characters folded (NFKC), grouping spaces and
    dashes removed ('XYZ 123-45' -> 'XYZ12345')."""
    text = MEMBER_ID_SEPARATORS.sub("", unicodedata.normalize("NFKC", str(value or "")))
    return unicodedata.normalize("NFC", text)  # a mark freed by NFKC ('E¨') composes now


def clean_member_id(value: str | None) -> str:
    """Member IDs go to payers exactly as stored: normalised, then only letters, digits
    and '*' (refused otherwise, with what to do)."""
    text = normalise_member_id(value)
    if not text:
        raise ValidationError("Member ID is required.", field="member_id")
    if _CONTROL.search(text):
        raise ValidationError("Member ID contains invisible control characters.",
                              field="member_id")  # fmt: skip
    if len(text) > 40:
        raise ValidationError(
            "Member ID is limited to 40 characters (spaces and dashes not counted).",
            field="member_id",
        )
    if not MEMBER_ID_RE.match(text):
        raise ValidationError(
            "Member ID may contain only letters and digits (and '*'), as printed on the card.",
            field="member_id",
        )
    return text


@dataclass
class CoverageInput:
    """What the coverage form collects; text as typed, dates and money as text or values."""

    payer: str = ""
    member_id: str = ""
    priority: int = 1
    plan: str = ""
    group_number: str = ""
    subscriber_relationship: str = "self"
    subscriber_name: str = ""
    subscriber_dob: dt.date | str | None = None
    effective_date: dt.date | str | None = None
    end_date: dt.date | str | None = None
    default_copay: int | str | None = None  # cents when int, dollars when text
    copays: dict[str, int | str] = field(default_factory=dict)  # visit type -> copay
    deductible_note: str = ""
    coinsurance_note: str = ""


def _collect(errors: dict[str, str], name: str, fn: Callable[..., T], *args: object) -> T | None:
    try:
        return fn(*args)
    except ValidationError as exc:
        errors.setdefault(exc.field or name, exc.message)
        return None


def _raise(errors: dict[str, str]) -> None:
    if errors:
        first = next(iter(errors))
        raise ValidationError(errors[first], field=first, errors=errors)


def validate_coverage(data: CoverageInput, today: dt.date) -> dict[str, Any]:
    """Clean values for an InsuranceCoverage row, or a ValidationError naming every problem."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    clean["payer"] = _collect(errors, "payer", clean_text, data.payer, "Payer", "payer", 120)
    if clean["payer"] == "":
        errors.setdefault("payer", "Payer is required.")
    clean["member_id"] = _collect(errors, "member_id", clean_member_id, data.member_id)
    try:
        priority = int(data.priority)
    except (TypeError, ValueError):
        priority = 0
    if priority not in PRIORITY_LABELS:
        errors["priority"] = "Order must be primary, secondary or tertiary."
    clean["priority"] = priority
    clean["plan"] = _collect(errors, "plan", clean_text, data.plan, "Plan", "plan", 120)
    group = _collect(
        errors, "group_number", clean_text, data.group_number, "Group number", "group_number", 40
    )
    if group and any(ch.isspace() for ch in group):
        errors.setdefault("group_number", "Group number contains a space; type it without.")
    clean["group_number"] = group
    relation = str(data.subscriber_relationship or "self").strip().lower()
    if relation not in RELATIONSHIPS:
        errors["subscriber_relationship"] = "Subscriber must be self, spouse, child or other."
    clean["subscriber_relationship"] = relation
    name = _collect(
        errors, "subscriber_name", clean_text, data.subscriber_name, "Subscriber name",
        "subscriber_name", 120,
    )  # fmt: skip
    sub_dob = _collect(
        errors, "subscriber_dob", parse_date, data.subscriber_dob, "Subscriber date of birth",
        "subscriber_dob",
    )  # fmt: skip
    if relation == "self":
        name, sub_dob = "", None
    else:
        if name == "":
            errors.setdefault("subscriber_name", "Subscriber name is required when not self.")
        if sub_dob is None and "subscriber_dob" not in errors:
            errors["subscriber_dob"] = "Subscriber date of birth is required when not self."
        elif sub_dob is not None and sub_dob > today:
            errors["subscriber_dob"] = "Subscriber date of birth cannot be in the future."
        elif sub_dob is not None and sub_dob.year < today.year - 120:
            errors["subscriber_dob"] = "Subscriber date of birth is over 120 years ago."
    clean["subscriber_name"] = name or ""
    clean["subscriber_dob"] = sub_dob
    start = _collect(
        errors, "effective_date", parse_date, data.effective_date, "Effective date",
        "effective_date",
    )  # fmt: skip
    end = _collect(errors, "end_date", parse_date, data.end_date, "End date", "end_date")
    if start is not None and end is not None and end < start:
        errors.setdefault("end_date", "End date is before the effective date.")
    for label, day, key in (
        ("Effective date", start, "effective_date"),
        ("End date", end, "end_date"),
    ):
        if day is not None and not (dt.date(1950, 1, 1) <= day <= dt.date(2199, 12, 31)):
            errors.setdefault(key, f"{label} is out of range; check the year.")
    clean["effective_date"], clean["end_date"] = start, end
    clean["default_copay_cents"] = _collect(
        errors, "default_copay", parse_money, data.default_copay, "Copay", "default_copay"
    )
    copays: dict[str, int] = {}
    for visit_type, amount in (data.copays or {}).items():
        if amount is None or (isinstance(amount, str) and not amount.strip()):
            continue
        cents = _collect(
            errors, f"copay:{visit_type}", parse_money, amount, f"Copay for {visit_type}",
            f"copay:{visit_type}",
        )  # fmt: skip
        if cents is not None:
            copays[str(visit_type)] = cents
    clean["copays_cents"] = copays
    for key, label in (
        ("deductible_note", "Deductible note"),
        ("coinsurance_note", "Coinsurance note"),
    ):
        clean[key] = _collect(errors, key, clean_text, getattr(data, key), label, key, 300)
    _raise(errors)
    return clean


def validate_verification(method: str, result: str, reference: str, notes: str) -> dict[str, Any]:
    errors: dict[str, str] = {}
    method = str(method or "").strip().lower()
    if method not in METHODS:
        errors["method"] = "Choose how coverage was checked: payer portal, phone or clearinghouse."
    result = str(result or "").strip().lower()
    if result not in RESULTS:
        errors["result"] = "Choose the result: active, inactive or needs information."
    ref = _collect(errors, "reference", clean_text, reference, "Reference number", "reference", 60)
    if ref == "" and method == "phone":
        errors.setdefault(
            "reference", "A phone check needs the call reference number the payer gave."
        )
    text = _collect(errors, "notes", clean_note_body, notes, "notes", True)
    if result == "needs_info" and not text and "notes" not in errors:
        errors["notes"] = "Say what information the payer needs."
    _raise(errors)
    return {"method": method, "result": result, "reference": ref, "notes": text}


def clean_note_body(value: str | None, name: str = "text", allow_empty: bool = False) -> str:
    """Multi-line note text: trimmed, line breaks kept, control characters refused."""
    text = str(value or "").replace("\r\n", "\n").strip()
    if not text and not allow_empty:
        raise ValidationError("The note is empty.", field=name)
    if _CONTROL.search(text):  # tabs and line breaks are kept: _CONTROL leaves them out
        raise ValidationError("The note contains invisible control characters.", field=name)
    if len(text) > MAX_NOTE_CHARS:
        raise ValidationError(f"Notes are limited to {MAX_NOTE_CHARS} characters.", field=name)
    return text


@dataclass
class PriorAuthInput:
    service: str = ""
    auth_number: str = ""
    start_date: dt.date | str | None = None
    end_date: dt.date | str | None = None
    units_approved: int | str = 1
    units_used: int | str = 0
    status: str = "approved"
    payer: str = ""
    coverage_id: int | None = None


def _units(value: int | str, label: str, name: str) -> int:
    try:
        units = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise ValidationError(f"{label} must be a whole number.", field=name) from None
    if not 0 <= units <= 9999:
        raise ValidationError(f"{label} must be between 0 and 9999.", field=name)
    return units


def validate_prior_auth(data: PriorAuthInput) -> dict[str, Any]:
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {"coverage_id": data.coverage_id}
    clean["service"] = _collect(
        errors, "service", clean_text, data.service, "Service", "service", 120
    )
    if clean["service"] == "":
        errors.setdefault("service", "Service is required (what was authorised).")
    number = _collect(
        errors, "auth_number", clean_text, data.auth_number, "Authorization number",
        "auth_number", 40,
    )  # fmt: skip
    if number == "":
        errors.setdefault("auth_number", "Authorization number is required.")
    elif number and any(ch.isspace() for ch in number):
        errors.setdefault("auth_number", "Authorization number contains a space; type it without.")
    clean["auth_number"] = number
    clean["payer"] = _collect(errors, "payer", clean_text, data.payer, "Payer", "payer", 120)
    start = _collect(errors, "start_date", parse_date, data.start_date, "Start date", "start_date")
    end = _collect(errors, "end_date", parse_date, data.end_date, "End date", "end_date")
    if start is None and "start_date" not in errors:
        errors["start_date"] = "Start date is required."
    if end is None and "end_date" not in errors:
        errors["end_date"] = "End date is required."
    if start is not None and end is not None and end < start:
        errors.setdefault("end_date", "End date is before the start date.")
    clean["start_date"], clean["end_date"] = start, end
    approved = _collect(
        errors, "units_approved", _units, data.units_approved, "Approved units", "units_approved"
    )
    used = _collect(errors, "units_used", _units, data.units_used, "Units used", "units_used")
    if approved is not None and approved < 1:
        errors.setdefault("units_approved", "Approved units must be at least 1.")
    if approved is not None and used is not None and used > approved:
        errors.setdefault("units_used", "Units used cannot exceed the approved units.")
    clean["units_approved"], clean["units_used"] = approved, used
    status = str(data.status or "").strip().lower()
    if status not in AUTH_STATUSES:
        errors["status"] = "Status must be pending, approved, denied or cancelled."
    clean["status"] = status
    _raise(errors)
    return clean


def auth_flag(
    status: str, start: dt.date, end: dt.date, approved: int, used: int, today: dt.date
) -> str:
    """Why an authorisation needs attention, or "" when it is fine (or no longer matters)."""
    if status in ("denied", "cancelled"):
        return ""
    if end < today:  # recently lapsed with units left: the patient may need a new one
        recent = (today - end).days <= AUTH_RECENTLY_EXPIRED_DAYS
        return "Expired" if status == "approved" and used < approved and recent else ""
    if status == "approved":
        if used >= approved:
            return "Exhausted: all units used"
        days_left = (end - today).days
        if days_left == 0:
            return "Expires today"
        if days_left <= AUTH_EXPIRING_DAYS:
            return f"Expires in {days_left} day{'s' if days_left != 1 else ''}"
        if approved - used <= AUTH_LOW_UNITS:
            return f"{approved - used} unit left"
    if status == "pending" and start <= today:
        return "Pending: not yet approved"
    return ""
