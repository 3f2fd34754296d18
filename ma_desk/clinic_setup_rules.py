"""What a new clinic's set-up plan must satisfy: the wizard's pages and the service share it.

Each ``*_problems`` function returns ``{field: message}`` (empty when all is well),
so a page can show every message under its own field and the service can refuse
the same plan with the same words. Nothing here touches a store or Qt.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol, TypeVar

from ma_desk.clinic_settings import INTEGER_RANGES
from ma_desk.db import keys
from ma_desk.security import passwords
from ma_desk.text import phone_digits

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_CLINIC_NAME = 120
MAX_ADDRESS = 200
MAX_PROVIDER_NAME = 120
MAX_CREDENTIALS = 40
MAX_ROOM_NAME = 40
MAX_VISIT_TYPE_NAME = 60
MAX_VISIT_MINUTES = 480
MAX_ROWS = 200  # providers, rooms or visit types: far above any small clinic
SLOT_RANGE = INTEGER_RANGES["slot_minutes"]
ROOM_TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,19}$")
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")  # as AccountService checks
PHONE_DIGITS = (10, 15)  # a US number has 10; an international one (with +) up to 15


@dataclass(frozen=True)
class ClinicDetails:
    name: str
    address: str
    phone: str
    time_zone: str


@dataclass(frozen=True)
class ProviderPlan:
    name: str
    credentials: str = ""


@dataclass(frozen=True)
class RoomPlan:
    name: str
    room_type: str = "exam"


@dataclass(frozen=True)
class DayHours:
    """One weekday's opening hours; both None when the clinic is closed that day."""

    opens: dt.time | None
    closes: dt.time | None

    @property
    def is_open(self) -> bool:
        return self.opens is not None or self.closes is not None


@dataclass(frozen=True)
class VisitTypePlan:
    name: str
    minutes: int


@dataclass(frozen=True)
class AdminPlan:
    username: str
    display_name: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class ClinicSetup:
    """What an administrator may change later (Clinic settings): the plan without the account."""

    clinic: ClinicDetails
    providers: tuple[ProviderPlan, ...]
    rooms: tuple[RoomPlan, ...]
    hours: tuple[DayHours, ...]
    slot_minutes: int
    visit_types: tuple[VisitTypePlan, ...]


@dataclass(frozen=True)
class ClinicPlan:
    """Everything the wizard gathers; nothing is written until it is whole and valid."""

    clinic: ClinicDetails
    providers: tuple[ProviderPlan, ...]
    rooms: tuple[RoomPlan, ...]
    hours: tuple[DayHours, ...]  # Monday first, seven days
    slot_minutes: int
    visit_types: tuple[VisitTypePlan, ...]
    admin: AdminPlan


def clean_text(text: str) -> str:
    """Trimmed, inner runs of white space made one space, control characters dropped."""
    return " ".join("".join(ch for ch in text if ch.isprintable() or ch == " ").split())


def room_type_key(text: str) -> str:
    """What staff type ("Procedure", "x ray") as the stored key ("procedure", "x_ray")."""
    return "_".join(clean_text(text).casefold().split())


@cache
def time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def system_time_zone() -> str:
    """This computer's IANA zone name, or "" when it cannot be told."""
    try:
        import tzlocal

        name = tzlocal.get_localzone_name() or ""
    except Exception:  # noqa: BLE001 - an odd system setting: staff then choose the zone
        return ""
    return name if name in time_zones() else ""


def _length(text: str, low: int, high: int, what: str) -> str | None:
    cleaned = clean_text(text)
    if len(cleaned) < low:
        return f"Enter {what}."
    if len(cleaned) > high:
        return f"{what[0].upper()}{what[1:]} may have at most {high} characters."
    return None


def phone_problem(phone: str) -> str | None:
    text = phone.strip()
    if not text:
        return "Enter the clinic's phone number, like (555) 010-0100."
    if re.search(r"[^0-9+()\-. /]", text) or "+" in text[1:]:
        return "A phone number has only digits, spaces, ( ) - . and a leading +."
    digits = phone_digits(text)
    if text.startswith("+") and PHONE_DIGITS[0] <= len(digits) <= PHONE_DIGITS[1]:
        return None
    if len(digits) != PHONE_DIGITS[0]:
        return "Enter a 10-digit phone number with its area code, or +country code and number."
    return None


def clinic_problems(details: ClinicDetails) -> dict[str, str]:
    problems: dict[str, str] = {}
    name = _length(details.name, 1, MAX_CLINIC_NAME, "the clinic's name")
    if name:
        problems["clinic_name"] = name
    if len(clean_text(details.address)) > MAX_ADDRESS:
        problems["address"] = f"The address may have at most {MAX_ADDRESS} characters."
    phone = phone_problem(details.phone)
    if phone:
        problems["phone"] = phone
    if details.time_zone not in time_zones():
        problems["time_zone"] = (
            "Choose the clinic's time zone from the list (e.g. America/Chicago)."
        )
    return problems


class _HasName(Protocol):
    @property
    def name(self) -> str: ...


_Named = TypeVar("_Named", bound=_HasName)


def _duplicates(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    repeated: list[str] = []
    for name in names:
        key = clean_text(name).casefold()
        if key in seen and key:
            repeated.append(clean_text(name))
        seen.add(key)
    return repeated


def _rows_problem(count: int, what: str) -> str | None:
    if count == 0:
        return f"Add at least one {what}."
    if count > MAX_ROWS:
        return f"At most {MAX_ROWS} {what}s."
    return None


def providers_problems(providers: tuple[ProviderPlan, ...]) -> dict[str, str]:
    problem = _named_rows_problem(providers, "provider", _provider_problem,
                                  "{name} is listed twice; give each provider one row.")  # fmt: skip
    return {"providers": problem} if problem else {}


def _provider_problem(number: int, provider: ProviderPlan) -> str | None:
    name = _length(provider.name, 1, MAX_PROVIDER_NAME, f"provider {number}'s name")
    if name:
        return name
    if len(clean_text(provider.credentials)) > MAX_CREDENTIALS:
        return (f"Provider {number}'s credentials may have at most {MAX_CREDENTIALS} "
                "characters (e.g. MD, FNP-C).")  # fmt: skip
    return None


def rooms_problems(rooms: tuple[RoomPlan, ...]) -> dict[str, str]:
    problem = _named_rows_problem(rooms, "room", _room_problem,
                                  "There are two rooms called {name}; give each room its own name.")  # fmt: skip
    return {"rooms": problem} if problem else {}


def _room_problem(number: int, room: RoomPlan) -> str | None:
    name = _length(room.name, 1, MAX_ROOM_NAME, f"room {number}'s name")
    if name:
        return name
    if not ROOM_TYPE_PATTERN.match(room_type_key(room.room_type)):
        return (f"Room {number} ({clean_text(room.name)}) needs a type: a word of up to 20 "
                "letters, like exam or procedure.")  # fmt: skip
    return None


def _named_rows_problem(
    rows: Sequence[_Named], what: str, row_problem: Callable[[int, _Named], str | None],
    twice: str,
) -> str | None:  # fmt: skip
    """The first problem of a list of named rows (providers, rooms): none or too many rows,
    then each row's own problem in order, then a name given twice (``twice`` names it)."""
    problem = _rows_problem(len(rows), what)
    if problem:
        return problem
    for number, row in enumerate(rows, 1):
        problem = row_problem(number, row)
        if problem:
            return problem
    repeated = _duplicates(row.name for row in rows)
    return twice.format(name=repeated[0]) if repeated else None


def slot_problem(slot_minutes: int) -> str | None:
    low, high = SLOT_RANGE
    if isinstance(slot_minutes, bool) or not isinstance(slot_minutes, int):
        return f"The slot size is a whole number of minutes from {low} to {high}."
    if not low <= slot_minutes <= high:
        return f"The slot size must be {low} to {high} minutes (most clinics use 15)."
    return None


_TIME = re.compile(r"^\s*(\d{1,2})(?::?(\d{2}))?\s*$")


def parse_time(text: str) -> dt.time | None:
    """A time of day as staff type it ("8:30", "08:30", "0830", "17"), or None."""
    match = _TIME.match(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def hours_problems(hours: tuple[DayHours, ...], slot_minutes: int) -> dict[str, str]:
    if len(hours) != len(WEEKDAYS):
        return {"hours": "Give the hours for each day of the week."}
    for day, day_hours in zip(WEEKDAYS, hours, strict=True):
        if not day_hours.is_open:
            continue
        if day_hours.opens is None or day_hours.closes is None:
            return {"hours": f"{day}: give both the opening and the closing time, or tick Closed."}
        if day_hours.opens >= day_hours.closes:
            return {"hours": f"{day}: the clinic must close after it opens "
                             f"({day_hours.opens:%H:%M} to {day_hours.closes:%H:%M})."}  # fmt: skip
        length = _minutes(day_hours.closes) - _minutes(day_hours.opens)
        if not slot_problem(slot_minutes) and length < slot_minutes:
            return {"hours": f"{day}: the clinic must be open for at least one "
                             f"{slot_minutes}-minute slot."}  # fmt: skip
    if not any(day.is_open for day in hours):
        return {"hours": "The clinic must be open on at least one day."}
    return {}


def _minutes(time: dt.time) -> int:
    return time.hour * 60 + time.minute


def visit_types_problems(types: tuple[VisitTypePlan, ...], slot_minutes: int) -> dict[str, str]:
    slot = slot_problem(slot_minutes)
    if slot:
        return {"slot_minutes": slot}
    problem = _rows_problem(len(types), "visit type")
    if problem:
        return {"visit_types": problem}
    for number, visit_type in enumerate(types, 1):
        name = _length(visit_type.name, 1, MAX_VISIT_TYPE_NAME, f"visit type {number}'s name")
        if name:
            return {"visit_types": name}
        minutes = visit_type.minutes
        label = clean_text(visit_type.name)
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
            return {"visit_types": f"{label}: the length is a whole number of minutes."}
        if minutes > MAX_VISIT_MINUTES or minutes % slot_minutes:
            return {"visit_types": f"{label}: the length must be a whole number of "
                                   f"{slot_minutes}-minute slots, at most {MAX_VISIT_MINUTES} "
                                   "minutes."}  # fmt: skip
    repeated = _duplicates(t.name for t in types)
    if repeated:
        return {"visit_types": f"{repeated[0]} is listed twice; give each visit type one row."}
    return {}


def admin_problems(admin: AdminPlan, repeat: str, clinic_words: Iterable[str]) -> dict[str, str]:
    """The administrator's account; ``clinic_words`` are what an attacker at the desk tries."""
    problems: dict[str, str] = {}
    username = admin.username.strip().casefold()
    if not USERNAME_PATTERN.match(username):
        problems["username"] = (
            "User names have 2 to 64 letters, digits, dots, dashes or underscores "
            "(no spaces) and start with a letter or digit."
        )
    name = _length(admin.display_name, 1, 120, "the administrator's name")
    if name:
        problems["display_name"] = name
    password = passwords.password_problem(
        admin.password, username=username, display_name=admin.display_name,
        clinic_words=list(clinic_words),
    )  # fmt: skip
    if password:
        problems["password"] = password
    elif admin.password != repeat:
        problems["repeat"] = "The two passwords differ; type the same one twice."
    return problems


def passphrase_problems(passphrase: str, repeat: str) -> dict[str, str]:
    problem = keys.passphrase_problem(passphrase)
    if problem:
        return {"passphrase": problem}
    if passphrase != repeat:
        return {"repeat": "The two passphrases differ; type the same one twice."}
    return {}


def plan_words(plan: ClinicPlan) -> list[str]:
    """The clinic's own words, as ma_desk.security.clinic_words reads them from a store."""
    return [plan.clinic.name, *(p.name for p in plan.providers)]


def setup_problems(setup: ClinicSetup | ClinicPlan) -> dict[str, str]:
    """Every problem of the clinic's set-up (the service's last check before it writes)."""
    return {
        **clinic_problems(setup.clinic),
        **providers_problems(setup.providers),
        **rooms_problems(setup.rooms),
        **visit_types_problems(setup.visit_types, setup.slot_minutes),
        **hours_problems(setup.hours, setup.slot_minutes),
    }


def plan_problems(plan: ClinicPlan) -> dict[str, str]:
    """Every problem of a whole first-run plan, the administrator's account included."""
    return {
        **setup_problems(plan),
        **admin_problems(plan.admin, plan.admin.password, plan_words(plan)),
    }


def open_days(hours: tuple[DayHours, ...]) -> str:
    """Weekday digits the clinic is open (Monday = 0), as Provider.work_days keeps them."""
    return "".join(str(i) for i, day in enumerate(hours) if day.is_open)


def day_span(hours: tuple[DayHours, ...]) -> tuple[dt.time, dt.time]:
    """Earliest opening and latest closing: the schedule's day."""
    opens = [day.opens for day in hours if day.opens is not None and day.closes is not None]
    closes = [day.closes for day in hours if day.opens is not None and day.closes is not None]
    return min(opens), max(closes)


def hours_to_store(hours: tuple[DayHours, ...]) -> dict[str, list[str]]:
    """{"0": ["08:00", "17:00"], ...} for open days; ClinicSettings.weekly_hours keeps it."""
    return {
        str(i): [f"{d.opens:%H:%M}", f"{d.closes:%H:%M}"]
        for i, d in enumerate(hours)
        if d.opens is not None and d.closes is not None
    }


def hours_from_store(
    stored: dict[str, list[str]], opens: dt.time, closes: dt.time
) -> tuple[DayHours, ...]:
    """The weekly hours back; a clinic set up before per-day hours is open opens..closes daily."""
    if not stored:
        return tuple(DayHours(opens, closes) for _ in WEEKDAYS)
    days = []
    for i in range(len(WEEKDAYS)):
        span = stored.get(str(i))
        if span:
            days.append(DayHours(dt.time.fromisoformat(span[0]), dt.time.fromisoformat(span[1])))
        else:
            days.append(DayHours(None, None))
    return tuple(days)
