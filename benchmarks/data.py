"""Synthetic benchmark clinics, built once per size and seed and cached.

A clinic here has 6 providers working Monday to Friday, a visit history of
one or five years and two fixed days the tasks use:

- ``BENCH_TODAY`` (Monday 2026-11-23, the clock stands at 10:30): 30
  appointments per provider, the day view and the cold start show it;
- ``REPORT_DAY`` (the Friday before): 50 appointments per provider, all
  checked out, so the end-of-day report covers 300 visits.

Patients and the clinic's reference data (settings, rooms, appointment
types, whatever later features seed) come from ``ma_desk.demo.build_demo``;
the years of visits are added here with bulk inserts, which builds a large
clinic in minutes instead of hours. Everything is fake (Faker names,
555-01xx phones). The store is a real encrypted MA Desk store whose key sits
in the benchmark keyring (see ``keyring_backend``); since the data is
synthetic, the key is kept beside the cached store so reruns can open it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, insert, select

from benchmarks import keyring_backend
from ma_desk.actor import Actor

NOW = dt.datetime(2026, 11, 23, 10, 30)
BENCH_TODAY = NOW.date()
REPORT_DAY = dt.date(2026, 11, 20)
PROVIDERS_TOTAL = 6
TODAY_PER_PROVIDER = 30
REPORT_PER_PROVIDER = 50
EXTRA_PROVIDERS = [
    ("Dr. Noor Haddad", "MD", "Internal medicine", "#d35400"),
    ("Dr. Tomasz Wiśniewski", "DO", "Family medicine", "#16a085"),
    ("Grace Abernathy", "PA-C", "Physician assistant", "#c0392b"),
]
# Bump when HistoryBuilder or SIZES change what gets built. A schema change rebuilds by
# itself; other changes to the demo builder do not (``--rebuild`` forces a fresh build).
BUILDER_VERSION = "2"
REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Size:
    name: str
    patients: int
    history_days: int  # days of visits before BENCH_TODAY
    label: str
    # Share of a provider's free slots booked on ordinary days: a 2,000-patient practice
    # sees each patient ~3-4 times a year, not the 17 times a full 6-provider book would.
    fill: float = 0.9

    @property
    def display(self) -> str:
        return f"{self.name} ({self.label})"


SIZES = {
    "tiny": Size("tiny", 300, 21, "300 pts, 3 wks"),
    "small": Size("small", 2_000, 365, "2k pts, 1 yr", fill=0.2),
    "large": Size("large", 100_000, 5 * 365, "100k pts, 5 yrs"),
    "10k": Size("10k", 10_000, 5 * 365, "10k pts, 5 yrs"),
    "1m": Size("1m", 1_000_000, 5 * 365, "1M pts, 5 yrs"),
}


@dataclass(frozen=True)
class Clinic:
    """A built clinic in its own data folder, opened through the benchmark keyring."""

    size: Size
    seed: int
    data_dir: Path
    key_hex: str

    @property
    def store_path(self) -> Path:
        from ma_desk.paths import store_path

        return store_path(self.data_dir)

    def use_key(self) -> None:
        """Make the benchmark keyring hand out this clinic's key (cheap when it already does)."""
        keyring_backend.install(self.key_hex)

    def open(self):
        from ma_desk.db.store import open_store

        self.use_key()
        return open_store(self.data_dir)

    def services(self, opened):
        from ma_desk.clock import FixedClock
        from ma_desk.services import Services

        return Services(opened.db, FixedClock(NOW), actor=Actor.system())


def default_cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / "ma-desk-bench-cache"


def fingerprint() -> str:
    """Changes when the schema or this builder changes."""
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    from ma_desk.db.models import Base

    digest = hashlib.sha256(BUILDER_VERSION.encode())
    dialect = sqlite.dialect()
    for table in Base.metadata.sorted_tables:
        digest.update(str(CreateTable(table).compile(dialect=dialect)).encode())
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            digest.update(str(CreateIndex(index).compile(dialect=dialect)).encode())
    return digest.hexdigest()[:10]


def cached_clinic(
    size: Size, seed: int, cache_dir: Path, log=print, *, rebuild: bool = False
) -> Clinic:
    """The clinic for (size, seed, code fingerprint), built first if it is not cached.

    A lock file keeps two benchmark runs from building the same clinic at once.
    """
    entry = cache_dir / f"{size.name}-seed{seed}-{fingerprint()}"
    key_file = entry / "bench-key.hex"
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / f"{size.name}-seed{seed}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if rebuild or not key_file.exists():
            _build_entry(entry, size, seed, log)
    return Clinic(size, seed, entry / "clinic", key_file.read_text().strip())


def _build_entry(entry: Path, size: Size, seed: int, log) -> None:
    building = entry.with_name(entry.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    started = time.perf_counter()
    log(f"building the {size.display} clinic (seed {seed}) in {entry} ...")
    key_hex = build_clinic(building / "clinic", size, seed)
    (building / "bench-key.hex").write_text(key_hex)
    shutil.rmtree(entry, ignore_errors=True)
    building.rename(entry)
    for stale in entry.parent.glob(f"{size.name}-seed{seed}-*"):  # older schema or builder
        if stale != entry:
            shutil.rmtree(stale, ignore_errors=True)
    log(f"built the {size.display} clinic in {time.perf_counter() - started:.0f} s")


def working_copy(clinic: Clinic, workdir: Path) -> Clinic:
    """A throw-away copy for tasks that write, so the cached clinic stays as built."""
    target = workdir / f"{clinic.size.name}-seed{clinic.seed}" / "clinic"
    if not target.exists():
        shutil.copytree(clinic.data_dir, target)
    return Clinic(clinic.size, clinic.seed, target, clinic.key_hex)


# ------------------------------------------------------------------ building
def build_clinic(data_dir: Path, size: Size, seed: int) -> str:
    """Create the encrypted store, fill it, and return its raw key (hex)."""
    from ma_desk.clock import FixedClock
    from ma_desk.db.store import create_store
    from ma_desk.demo import build_demo
    from ma_desk.services import Services

    keyring_backend.install()
    keyring_backend.BenchKeyring().delete_password("MA Desk", "benchmark")
    opened = create_store(data_dir)
    key_hex = keyring_backend.BenchKeyring().get_password("MA Desk", "benchmark")
    assert key_hex and opened.key_source == "keyring"
    try:
        services = Services(opened.db, FixedClock(NOW), actor=Actor.system())
        # Patients and reference data; the demo's own few days go two months ahead,
        # out of the way of the days the tasks use.
        build_demo(services, patients=size.patients, seed=seed, now=NOW,
                   today=BENCH_TODAY + dt.timedelta(days=60), days_before=0, days_after=0)  # fmt: skip
        HistoryBuilder(opened.db, size, seed).build()
        opened.db.checkpoint()
    finally:
        opened.db.close()
    return key_hex


STATUS_PAST = ["checked_out"] * 86 + ["no_show"] * 8 + ["cancelled"] * 6


class HistoryBuilder:
    """Years of appointments, visits, flow history and vitals, inserted in bulk."""

    CHUNK_DAYS = 30

    def __init__(self, db, size: Size, seed: int) -> None:
        self.db = db
        self.size = size
        self.rng = random.Random(seed * 7919 + 17)

    def build(self) -> None:
        from ma_desk.db.models import Appointment, AppointmentType, Patient, Provider, Room

        with self.db.write() as s:
            s.add_all([
                Provider(display_name=n, credentials=c, specialty=sp, color=col,
                         work_start=dt.time(8), work_end=dt.time(17), work_days="01234")
                for n, c, sp, col in EXTRA_PROVIDERS
            ])  # fmt: skip
        with self.db.read() as s:
            self.providers = list(s.scalars(select(Provider.id).order_by(Provider.id)))
            self.types = [(t.id, t.name, t.default_minutes)
                          for t in s.scalars(select(AppointmentType).order_by(AppointmentType.id))]  # fmt: skip
            self.rooms = list(s.scalars(select(Room.id).order_by(Room.id)))
            lo, hi = s.execute(select(func.min(Patient.id), func.max(Patient.id))).one()
            self.patient_ids = range(lo, hi + 1)
            dobs = s.execute(select(Patient.id, Patient.dob)).all()
            self.next_appt = (s.scalar(select(func.max(Appointment.id))) or 0) + 1
        self.dob = dict(dobs)
        self.baseline: dict[int, tuple[float, float]] = {}
        self.next_visit = self.next_set = self.next_obs = self.next_change = None
        with self.db.read() as s:
            from ma_desk.db.models import AppointmentStatusChange, Visit, VitalObservation, VitalSet

            self.next_visit = (s.scalar(select(func.max(Visit.id))) or 0) + 1
            self.next_set = (s.scalar(select(func.max(VitalSet.id))) or 0) + 1
            self.next_obs = (s.scalar(select(func.max(VitalObservation.id))) or 0) + 1
            self.next_change = (s.scalar(select(func.max(AppointmentStatusChange.id))) or 0) + 1
        first = BENCH_TODAY - dt.timedelta(days=self.size.history_days)
        last = BENCH_TODAY + dt.timedelta(days=14)
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        for chunk in _chunks(days, self.CHUNK_DAYS):
            self._insert_days(chunk)

    def _insert_days(self, days: list[dt.date]) -> None:
        from ma_desk.db.models import (
            Appointment,
            AppointmentStatusChange,
            Visit,
            VitalObservation,
            VitalSet,
        )

        rows: dict[str, list[dict]] = {"appt": [], "visit": [], "change": [], "set": [], "obs": []}
        for day in days:
            if day.weekday() >= 5 and day not in (BENCH_TODAY, REPORT_DAY):
                continue
            for provider_id in self.providers:
                for start, (type_id, type_name, minutes) in self._slots(day):
                    self._add_appointment(
                        rows, day, provider_id, start, type_id, type_name, minutes
                    )
        with self.db.engine.begin() as conn:
            for model, key in ((Appointment, "appt"), (Visit, "visit"),
                               (AppointmentStatusChange, "change"), (VitalSet, "set"),
                               (VitalObservation, "obs")):  # fmt: skip
                for part in _chunks(rows[key], 20_000):
                    conn.execute(insert(model), part)

    def _slots(self, day: dt.date) -> Iterator[tuple[dt.datetime, tuple[int, str, int]]]:
        rng = self.rng
        if day in (BENCH_TODAY, REPORT_DAY):
            count, step = (
                (TODAY_PER_PROVIDER, 15) if day == BENCH_TODAY else (REPORT_PER_PROVIDER, 10)
            )
            short = [t for t in self.types if t[2] == 15] or self.types
            t = dt.datetime.combine(day, dt.time(8))
            for _ in range(count):
                if t.hour == 12:
                    t = t.replace(hour=13, minute=0)
                type_id, name, _minutes = rng.choice(short)
                yield t, (type_id, name, step)
                t += dt.timedelta(minutes=step)
            return
        t = dt.datetime.combine(day, dt.time(8))
        end = dt.datetime.combine(day, dt.time(17))
        while t < end:
            if t.hour == 12:
                t = t.replace(hour=13, minute=0)
            appt_type = rng.choice(self.types)
            if t + dt.timedelta(minutes=appt_type[2]) > end:
                break
            if rng.random() < self.size.fill:
                yield t, appt_type
                t += dt.timedelta(minutes=appt_type[2])
            else:
                t += dt.timedelta(minutes=15)

    def _status(self, day: dt.date, start: dt.datetime) -> str:
        rng = self.rng
        if day == REPORT_DAY:
            return "checked_out"
        if start > NOW:
            return (
                "confirmed" if (day - BENCH_TODAY).days <= 2 and rng.random() < 0.5 else "scheduled"
            )
        minutes_ago = (NOW - start).total_seconds() / 60
        if minutes_ago > 75 or day < BENCH_TODAY:
            return rng.choice(STATUS_PAST)
        if minutes_ago > 40:
            return rng.choice(["with_provider", "checked_out"])
        if minutes_ago > 15:
            return rng.choice(["roomed", "with_provider"])
        return "arrived"

    def _add_appointment(self, rows, day, provider_id, start, type_id, type_name, minutes) -> None:
        rng = self.rng
        appt_id = self.next_appt
        self.next_appt += 1
        patient_id = rng.choice(self.patient_ids)
        status = self._status(day, start)
        room_id = (
            rng.choice(self.rooms) if status in ("roomed", "with_provider", "checked_out") else None
        )
        rows["appt"].append({
            "id": appt_id, "patient_id": patient_id, "provider_id": provider_id, "type_id": type_id,
            "start": start, "minutes": minutes, "reason": type_name, "status": status,
            "room_id": room_id, "is_walk_in": False, "is_late": False,
            "cancel_reason": "Patient called to cancel" if status == "cancelled" else "",
            "created_at": start - dt.timedelta(days=rng.randint(1, 30)),
        })  # fmt: skip
        if status not in ("arrived", "roomed", "with_provider", "checked_out"):
            return
        arrived = min(start + dt.timedelta(minutes=rng.randint(-10, 10)), NOW)
        roomed = min(arrived + dt.timedelta(minutes=rng.randint(3, 20)), NOW) if room_id else None
        with_provider = (min(roomed + dt.timedelta(minutes=rng.randint(2, 15)), NOW)
                         if status in ("with_provider", "checked_out") else None)  # fmt: skip
        out = (with_provider + dt.timedelta(minutes=rng.randint(8, 25))
               if status == "checked_out" else None)  # fmt: skip
        if out and day == BENCH_TODAY:
            out = min(out, NOW)
        visit_id = self.next_visit
        self.next_visit += 1
        copay = 0 if type_name == "Annual physical" else 2500
        rows["visit"].append({
            "id": visit_id, "appointment_id": appt_id, "patient_id": patient_id,
            "provider_id": provider_id, "visit_date": day, "arrived_at": arrived,
            "roomed_at": roomed, "provider_at": with_provider, "checked_out_at": out,
            "room_id": room_id, "chief_complaint": type_name, "copay_expected_cents": copay,
            "copay_collected_cents": copay if rng.random() < 0.92 else 0,
            "copay_method": rng.choice(["card", "card", "cash", "check"]) if copay else "",
            "copay_receipt": f"R{rng.randint(10000, 99999)}" if copay else "",
            "forms_signed": [], "instructions": "", "created_at": arrived,
        })  # fmt: skip
        flow = [("scheduled", "arrived", arrived)]
        if roomed:
            flow.append(("arrived", "roomed", roomed))
        if with_provider:
            flow.append(("roomed", "with_provider", with_provider))
        if out:
            flow.append(("with_provider", "checked_out", out))
        for old, new, at in flow:
            rows["change"].append({
                "id": self.next_change, "appointment_id": appt_id, "from_status": old,
                "to_status": new, "at": at, "room_id": room_id if new == "roomed" else None,
                "undone": False,
            })  # fmt: skip
            self.next_change += 1
        if roomed:
            self._add_vitals(rows, patient_id, visit_id, day, roomed + dt.timedelta(minutes=2))

    def _add_vitals(
        self, rows, patient_id: int, visit_id: int, day: dt.date, taken: dt.datetime
    ) -> None:
        from ma_desk.clinical import codes

        rng = self.rng
        age = (day - self.dob[patient_id]).days / 365.25
        if patient_id not in self.baseline:
            height = 50 + age * 6 if age < 16 else rng.gauss(170, 9)
            bmi = 16 if age < 2 else (17 if age < 16 else rng.gauss(28, 5))
            self.baseline[patient_id] = (max(45.0, height), max(12.0, bmi))
        height, bmi = self.baseline[patient_id]
        weight = round(bmi * (height / 100) ** 2 * rng.uniform(0.98, 1.02), 1)
        systolic = int(rng.gauss(126 if age >= 18 else 105, 14))
        set_id = self.next_set
        self.next_set += 1
        rows["set"].append({"id": set_id, "patient_id": patient_id, "visit_id": visit_id,
                            "taken_at": taken, "status": "final"})  # fmt: skip
        values = [
            (codes.HEIGHT, round(height, 1)), (codes.WEIGHT, weight),
            (codes.BMI, round(weight / (height / 100) ** 2, 1)), (codes.SYSTOLIC, systolic),
            (codes.DIASTOLIC, int(systolic * rng.uniform(0.58, 0.68))),
            (codes.HEART_RATE, int(rng.gauss(76 if age >= 12 else 100, 10))),
            (codes.RESPIRATORY_RATE, rng.choice([14, 16, 16, 18]) if age >= 12 else 24),
            (codes.TEMPERATURE, round(rng.gauss(36.8, 0.3), 1)),
            (codes.SPO2, rng.choice([96, 97, 98, 98, 99, 100])),
        ]  # fmt: skip
        for seq, (code, value) in enumerate(values):
            rows["obs"].append({"id": self.next_obs, "vital_set_id": set_id, "seq": seq,
                                "loinc": code, "value": float(value),
                                "unit": codes.CANONICAL_UNIT[code]})  # fmt: skip
            self.next_obs += 1


def _chunks(items: list, n: int) -> Iterator[list]:
    for i in range(0, len(items), n):
        yield items[i : i + n]
