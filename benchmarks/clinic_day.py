"""A simulated clinic day: 10 workstations working on one clinic server at once.

Each workstation is a process with its own Services and connection pool (as its own
computer would have), started together, running a scripted round of desk work again
and again: a search typed three keys deep, the day's schedule, the flow board,
registering a new patient (an MRN allocated under contention), booking a visit,
arriving one of today's patients and saving their vitals. Every action is timed.

Afterwards every acknowledged write is looked for on the server: a registration,
booking, arrival or vitals set that returned but is not there (or not as saved) is a
lost update. MRNs must be unique and the audit chain must verify.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

from benchmarks.data import BENCH_TODAY

WORKSTATIONS = 10
ACTIONS = ("search", "day view", "flow board", "register", "book", "arrive", "vitals save")


@dataclass
class Acknowledged:
    """What the server said it saved, to look for afterwards."""

    patients: list[tuple[int, str]] = field(default_factory=list)  # id, MRN
    appointments: list[int] = field(default_factory=list)
    arrivals: list[int] = field(default_factory=list)
    vital_sets: list[int] = field(default_factory=list)


@dataclass
class DayResult:
    timings: dict[str, list[float]]
    wall_seconds: float
    lost_updates: int
    mrns_unique: bool
    chain_problems: int
    errors: list[str]


def simulate(url: str, rounds: int, seed: int = 1) -> DayResult:
    """Run the scripted day on ``url`` with WORKSTATIONS concurrent workstations.

    Each workstation is its own process (as on its own computer: no shared interpreter
    lock), started together at a barrier.
    """
    import multiprocessing

    from benchmarks import pg

    checker = pg.server_services(url)
    try:
        today = _todays_future_appointments(checker)
        spawn = multiprocessing.get_context("spawn")
        barrier, reports = spawn.Barrier(WORKSTATIONS + 1), spawn.Queue()
        desks = [spawn.Process(target=_workstation, args=(url, i, today[i::WORKSTATIONS],
                                                          rounds, seed, barrier, reports))
                 for i in range(WORKSTATIONS)]  # fmt: skip
        for desk in desks:
            desk.start()
        barrier.wait(timeout=300)  # every workstation connected and ready
        began = time.perf_counter()
        collected = [reports.get(timeout=3600) for _ in desks]
        wall = time.perf_counter() - began
        for desk in desks:
            desk.join(timeout=60)
        timings: dict[str, list[float]] = defaultdict(list)
        acknowledged, errors = Acknowledged(), []
        for desk_timings, saved, desk_errors in collected:
            for name, samples in desk_timings.items():
                timings[name] += samples
            for name in vars(acknowledged):
                getattr(acknowledged, name).extend(getattr(saved, name))
            errors += desk_errors
        lost, unique, problems = _look_for(checker, acknowledged)
    finally:
        checker.ctx.db.close()
    return DayResult(dict(timings), wall, lost, unique, problems, errors)


def _workstation(url, index, today, rounds, seed, barrier, reports) -> None:
    """One workstation's process: connect, wait for the others, work, report."""
    from benchmarks import pg

    services = pg.server_services(url)
    try:
        desk = Desk(services, index, today, random.Random(seed * 1000 + index))
        barrier.wait(timeout=300)
        for number in range(rounds):
            desk.round(number)
        reports.put((dict(desk.timings), desk.saved, desk.errors))
    finally:
        services.ctx.db.close()


def _todays_future_appointments(services) -> list[tuple[int, int]]:
    """(appointment id, patient id) of today's adult patients not yet arrived."""
    rows = services.schedule.day(BENCH_TODAY)
    return [(r.id, r.patient_id) for r in rows
            if r.status in ("scheduled", "confirmed") and r.patient_age >= 18]  # fmt: skip


class Desk:
    """One workstation's scripted work."""

    def __init__(self, services, index: int, today: list[tuple[int, int]], rng) -> None:
        from benchmarks.tasks.vitals_save import typical_form

        self.services = services
        self.index = index
        self.today = list(today)
        self.rng = rng
        self.form = typical_form()
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.saved = Acknowledged()
        self.errors: list[str] = []
        self.providers = [p.id for p in services.schedule.providers()]
        self.type_id = services.schedule.appointment_types()[0].id
        self.names = [r.last_name for r in services.patients.search("m")[:20]] or ["Smith"]

    def timed(self, name: str, fn, *args, **kwargs):
        began = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # counted and shown: a failed action is a finding
            self.errors.append(f"{name}: {type(exc).__name__}: {exc}"[:200])
            return None
        finally:
            self.timings[name].append(time.perf_counter() - began)

    def round(self, number: int) -> None:
        services = self.services
        name = self.rng.choice(self.names)
        for keys in range(1, 4):
            self.timed("search", services.patients.search, name[:keys])
        self.timed("day view", services.schedule.day, BENCH_TODAY)
        self.timed("flow board", services.schedule.flow_board, BENCH_TODAY)
        patient = self.timed("register", self._register, number)
        if patient is not None:
            self.saved.patients.append((patient.id, patient.mrn))
            booked = self.timed("book", self._book, patient.id, number)
            if booked is not None:
                self.saved.appointments.append(booked.id)
        if self.today:
            appointment_id, patient_id = self.today.pop()
            if self.timed("arrive", services.schedule.transition, appointment_id, "arrived"):
                self.saved.arrivals.append(appointment_id)
                saved = self.timed("vitals save", services.vitals.save, patient_id, self.form,
                                   appointment_id=appointment_id)  # fmt: skip
                if saved is not None:
                    self.saved.vital_sets.append(saved.set_id)

    def _register(self, number: int):
        from ma_desk.services.patients import PatientInput

        data = PatientInput(first_name=f"Desk{self.index}", last_name=f"Visitor{number}",
                            dob=dt.date(1970 + number % 40, 1 + self.index, 1 + number % 28),
                            sex="female", phone=f"(555) 01{self.index:01d}-{number:04d}"[:14])  # fmt: skip
        return self.services.patients.register(data, duplicate_override=True)

    def _book(self, patient_id: int, number: int):
        """A visit next month, in a slot only this workstation and round use."""
        day = BENCH_TODAY + dt.timedelta(days=30 + number % 20)
        start = dt.datetime.combine(day, dt.time(8)) + dt.timedelta(minutes=15 * self.index)
        provider = self.providers[number % len(self.providers)]
        return self.services.schedule.book(patient_id=patient_id, provider_id=provider,
                                           type_id=self.type_id, start=start, confirm=True)  # fmt: skip


def _look_for(services, saved: Acknowledged) -> tuple[int, bool, int]:
    """(lost updates, MRNs unique, audit chain problems) on the server after the day."""
    from sqlalchemy import func, select

    from ma_desk import audit
    from ma_desk.db.models import Appointment, Patient, VitalSet

    with services.ctx.db.read() as s:
        mrns = dict(s.execute(select(Patient.id, Patient.mrn).where(
            Patient.id.in_([p for p, _ in saved.patients]))).all())  # fmt: skip
        lost = sum(1 for pid, mrn in saved.patients if mrns.get(pid) != mrn)
        found = set(s.scalars(select(Appointment.id).where(Appointment.id.in_(saved.appointments))))
        lost += len(set(saved.appointments) - found)
        arrived = dict(s.execute(select(Appointment.id, Appointment.status).where(
            Appointment.id.in_(saved.arrivals))).all())  # fmt: skip
        lost += sum(1 for a in saved.arrivals if arrived.get(a) != "arrived")
        sets = set(s.scalars(select(VitalSet.id).where(VitalSet.id.in_(saved.vital_sets))))
        lost += len(set(saved.vital_sets) - sets)
        total, distinct = s.execute(select(func.count(Patient.id),
                                           func.count(Patient.mrn.distinct()))).one()  # fmt: skip
        problems = len(audit.verify_store(s))
    return lost, total == distinct, problems
