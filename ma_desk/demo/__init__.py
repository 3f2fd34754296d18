"""A realistic synthetic clinic for demos, screenshots, tests and benchmarks.

Everything here is fake: names from Faker, phone numbers in the 555-01xx
fiction range, e-mail at example.com, payers named "Demo ...". The same seed
always builds the same clinic relative to ``today``.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from faker import Faker
from sqlalchemy import insert, select

from ma_desk import audit
from ma_desk.clinic_settings import ClinicSettings
from ma_desk.clinical import codes, flow
from ma_desk.db.models import (
    Appointment,
    AppointmentStatusChange,
    AppointmentType,
    EligibilityCheck,
    InsuranceCoverage,
    Patient,
    PatientNamePart,
    Provider,
    Room,
    Visit,
    VitalObservation,
    VitalSet,
)
from ma_desk.db.server import reset_sequences
from ma_desk.demo.handouts import seed_demo_handouts
from ma_desk.demo.insurance import seed_demo_insurance
from ma_desk.demo.roomprep import seed_demo_roomprep
from ma_desk.demo.waitlist import seed_demo_waitlist
from ma_desk.security.demo_accounts import DEMO_PASSWORD, seed_demo_accounts
from ma_desk.services import Services
from ma_desk.services.patients import mrn_for, name_part_rows, search_columns
from ma_desk.text import fold, format_us_phone

DEMO_CLINIC = ClinicSettings(
    clinic_name="Maple Grove Family Practice (demo)",
    address="100 Example Way, Springfield, OR 97477",
    phone="(555) 010-0100",
)

PROVIDERS = [
    ("Dr. Amara Okafor", "MD", "Family medicine", "#2e86c1"),
    ("Dr. Lucas Brennan", "DO", "Family medicine", "#28a745"),
    ("Priya Natarajan", "FNP-C", "Family nurse practitioner", "#8e44ad"),
]
ROOMS = [("Exam 1", "exam"), ("Exam 2", "exam"), ("Exam 3", "exam"), ("Exam 4", "exam"),
         ("Exam 5", "exam"), ("Procedure", "procedure")]  # fmt: skip
APPOINTMENT_TYPES = [
    # name, minutes, colour, share of bookings
    ("Follow-up", 15, "#aed6f1", 0.38),
    ("Sick visit", 15, "#f9e79f", 0.22),
    ("Annual physical", 30, "#a9dfbf", 0.15),
    ("New patient", 45, "#d7bde2", 0.08),
    ("Well child", 30, "#fad7a0", 0.07),
    ("Procedure", 30, "#f5b7b1", 0.05),
    ("Telehealth", 15, "#d5dbdb", 0.05),
]
REASONS = {
    "Follow-up": ["Blood pressure follow-up", "Diabetes check", "Lab results", "Medication review",
                  "Thyroid follow-up", "Cholesterol follow-up", "Asthma check"],
    "Sick visit": ["Cough and congestion", "Sore throat", "Ear pain", "Fever", "Rash",
                   "Back pain", "Urinary symptoms", "Headache", "Sprained ankle"],
    "Annual physical": ["Annual physical", "Medicare wellness visit", "Sports physical"],
    "New patient": ["Establish care", "New patient visit"],
    "Well child": ["Well child check", "Vaccines"],
    "Procedure": ["Mole removal", "Wart treatment", "Skin tag removal", "Joint injection"],
    "Telehealth": ["Medication refill", "Follow-up by video"],
}  # fmt: skip
PAYERS = [
    ("Demo Blue Shield", "PPO Gold", 3000), ("Demo HealthFirst", "HMO Select", 2500),
    ("Demo Medicare", "Part B", 0), ("Demo Medicaid", "Oregon Health Plan", 0),
    ("Demo United Care", "Choice Plus", 4000), ("Demo Aetna-like", "Open Access", 3500),
]  # fmt: skip
LANGUAGES = ["English"] * 80 + ["Spanish"] * 14 + ["Vietnamese"] * 3 + ["Chinese"] * 2 + ["Russian"]


@dataclass
class DemoSummary:
    patients: int
    appointments: int
    visits: int
    providers: int
    rooms: int


def build_demo(
    services: Services,
    *,
    patients: int = 2000,
    seed: int = 7,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    days_before: int = 7,
    days_after: int = 7,
    demo_password: str = DEMO_PASSWORD,
) -> DemoSummary:
    """Fill an empty store with a synthetic clinic; one transaction, audited as one event."""
    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    now = now or services.ctx.clock.now()
    today = today or now.date()
    services.settings.seed(DEMO_CLINIC)
    with services.ctx.db.write() as s:
        providers = [
            Provider(
                display_name=n,
                credentials=c,
                specialty=sp,
                color=col,
                work_start=dt.time(8),
                work_end=dt.time(17),
                work_days="0123456",
            )  # fmt: skip
            for n, c, sp, col in PROVIDERS
        ]
        rooms = [Room(name=n, room_type=t, state="ready", state_since=now, sort_order=i)
                 for i, (n, t) in enumerate(ROOMS)]  # fmt: skip
        types = [
            AppointmentType(name=n, default_minutes=m, color=c) for n, m, c, _ in APPOINTMENT_TYPES
        ]
        s.add_all(providers + rooms + types)
        s.flush()

        first_id = (s.scalar(select(Patient.id).order_by(Patient.id.desc()).limit(1)) or 0) + 1
        patient_rows = [_fake_patient(fake, rng, first_id + i, today, now) for i in range(patients)]
        for start in range(0, len(patient_rows), 5000):
            s.execute(insert(Patient), patient_rows[start : start + 5000])
        part_rows = [part for row in patient_rows
                     for part in name_part_rows(row["id"], row["first_name"], row["last_name"])]  # fmt: skip
        for start in range(0, len(part_rows), 5000):
            s.execute(insert(PatientNamePart), part_rows[start : start + 5000])
        reset_sequences(s, ["patients"])  # the rows came with their ids (a server's sequence)
        patient_ids = [row["id"] for row in patient_rows]
        dobs = {row["id"]: row["dob"] for row in patient_rows}
        _add_coverages(s, rng, patient_ids, now)

        baselines: dict[int, tuple[float, float]] = {}
        n_appts = n_visits = 0
        weights = [w for *_, w in APPOINTMENT_TYPES]
        children = [p for p in patient_ids if (today - dobs[p]).days < 18 * 365]
        adults = [p for p in patient_ids if (today - dobs[p]).days >= 18 * 365]
        for offset in range(-days_before, days_after + 1):
            day = today + dt.timedelta(days=offset)  # the demo clinic is open every day
            booked_today: set[int] = set()  # one visit per patient per day
            for provider in providers:
                for start, appt_type in _day_slots(rng, day, types, weights):
                    pid = _patient_for(
                        rng, appt_type.name, patient_ids, children, adults, booked_today
                    )
                    booked_today.add(pid)
                    status = _status_for(rng, start, now)
                    appt = Appointment(
                        patient_id=pid, provider_id=provider.id, type_id=appt_type.id,
                        start=start, minutes=appt_type.default_minutes,
                        reason=_reason_for(rng, appt_type.name, (start.date() - dobs[pid]).days // 365),
                        status=status,
                        is_walk_in=False, created_at=start - dt.timedelta(days=rng.randint(1, 30)),
                    )  # fmt: skip
                    s.add(appt)
                    n_appts += 1
                    if status in (flow.SCHEDULED, flow.CONFIRMED, flow.NO_SHOW, flow.CANCELLED):
                        if status == flow.CANCELLED:
                            appt.cancel_reason = "Patient called to cancel"
                        continue
                    s.flush()
                    visit = _visit_for(s, rng, appt, rooms, status, now)
                    n_visits += 1
                    if status != flow.ARRIVED:
                        _add_vitals(s, rng, visit, dobs[pid], baselines)
        s.flush()
        audit.record(s, services.actor, "demo_created", "clinic", details={
            "patients": patients, "seed": seed, "appointments": n_appts})  # fmt: skip
    seed_demo_roomprep(services, rng)
    seed_demo_insurance(services, rng)
    seed_demo_handouts(services, rng)
    seed_demo_waitlist(services, rng)
    seed_demo_accounts(services, demo_password)
    return DemoSummary(patients, n_appts, n_visits, len(providers), len(services.rooms.board()))


# Every 97th demo patient has one of these names, so the demo clinic, like real ones, has
# names in several scripts and compound names (search, labels and documents meet them).
WORLD_NAMES = {
    "female": [("María José", "García-López"), ("Елена", "Петрова"), ("Mary Ann", "McAllister"),
               ("Thị Lan", "Nguyễn"), ("Σοφία", "Παπαδοπούλου"), ("Fatima", "العلي"),
               ("서연", "김"), ("美玲", "王")],
    "male": [("Luis", "López García"), ("Иван", "Петров"), ("Văn An", "Nguyễn"),
             ("Γιώργος", "Παπαδόπουλος"), ("محمد", "حداد"), ("יוסף", "כהן"), ("민준", "이"),
             ("小龙", "李")],
}  # fmt: skip


def _fake_patient(
    fake: Faker, rng: random.Random, pid: int, today: dt.date, now: dt.datetime
) -> dict:
    sex = rng.choice(["female", "male"])
    first = fake.first_name_female() if sex == "female" else fake.first_name_male()
    last = fake.last_name()
    if pid % 97 == 0:
        names = WORLD_NAMES[sex]
        first, last = names[(pid // 97) % len(names)]
    age_days = int(rng.triangular(0, 92 * 365, 45 * 365))
    dob = today - dt.timedelta(days=age_days)
    phone = f"555{rng.randint(100, 199):03d}{rng.randint(0, 9999):04d}"
    return {
        "id": pid, "mrn": mrn_for(pid), "first_name": first, "middle_name": "",
        "last_name": last, "preferred_name": "", "dob": dob, "sex": sex,
        "phone": format_us_phone(phone),
        "email": f"{fold(first)}.{fold(last)}{pid}@example.com",
        "address1": fake.street_address(), "address2": "", "city": fake.city(),
        "state": fake.state_abbr(include_territories=False), "zip": fake.zipcode(),
        "preferred_language": rng.choice(LANGUAGES),
        "emergency_name": fake.name(), "emergency_relation": rng.choice(["Spouse", "Parent", "Child", "Friend", "Sibling"]),
        "emergency_phone": format_us_phone(f"555{rng.randint(100, 199):03d}{rng.randint(0, 9999):04d}"),
        "allergies": rng.choice(["", "", "", "Penicillin", "Sulfa drugs", "Latex", "Peanuts"]),
        "medications": rng.choice(["", "", "Lisinopril 10 mg daily", "Metformin 500 mg twice daily",
                                   "Atorvastatin 20 mg nightly", "Levothyroxine 50 mcg daily"]),
        **search_columns({"first_name": first, "last_name": last, "phone": phone}), "active": True,
        "created_at": now - dt.timedelta(days=rng.randint(30, 2000)), "updated_at": now,
        "verified_at": None, "verified_by_id": None,
    }  # fmt: skip


def _add_coverages(s, rng: random.Random, patient_ids: list[int], now: dt.datetime) -> None:
    rows, checks = [], []
    for pid in patient_ids:
        if rng.random() > 0.88:
            continue
        payer, plan, copay = rng.choice(PAYERS)
        rows.append({
            "patient_id": pid, "priority": 1, "payer": payer, "plan": plan,
            "member_id": f"DEM{rng.randint(10**8, 10**9 - 1)}", "group_number": f"G{rng.randint(1000, 99999)}",
            "subscriber_relationship": "self", "subscriber_name": "", "effective_date": dt.date(now.year - rng.randint(0, 5), 1, 1),
            "copays_cents": {"Annual physical": 0}, "default_copay_cents": copay,
            "deductible_note": "", "coinsurance_note": "", "card_front_type": "", "card_back_type": "",
            "active": True, "created_at": now, "updated_at": now,
        })  # fmt: skip
    for start in range(0, len(rows), 5000):
        s.execute(insert(InsuranceCoverage), rows[start : start + 5000])
    coverage_ids = s.scalars(select(InsuranceCoverage.id)).all()
    for cid in coverage_ids:
        if rng.random() < 0.7:
            checks.append({
                "coverage_id": cid, "checked_at": now - dt.timedelta(days=rng.randint(0, 90), hours=rng.randint(0, 8)),
                "user_id": None, "method": rng.choice(["portal", "phone", "clearinghouse"]),
                "reference": f"REF{rng.randint(100000, 999999)}", "result": "active", "notes": "",
            })  # fmt: skip
    for start in range(0, len(checks), 5000):
        s.execute(insert(EligibilityCheck), checks[start : start + 5000])


def _patient_for(
    rng: random.Random, type_name: str, everyone, children, adults, booked_today: set[int]
) -> int:
    """An age-appropriate patient not yet booked that day (well child: under 18s)."""
    pool = {"Well child": children, "Procedure": adults}.get(type_name) or everyone
    pid = rng.choice(pool)
    for _ in range(20):
        if pid not in booked_today:
            break
        pid = rng.choice(pool)
    return pid


def _reason_for(rng: random.Random, type_name: str, age: int) -> str:
    """Medicare wellness visits for 65+, sports physicals for the young."""
    reasons = REASONS[type_name]
    if type_name == "Annual physical":
        if age >= 65:
            reasons = ["Medicare wellness visit", "Annual physical"]
        elif age < 22:
            reasons = ["Sports physical", "Annual physical"]
        else:
            reasons = ["Annual physical"]
    return rng.choice(reasons)


def _day_slots(rng: random.Random, day: dt.date, types, weights):
    """About 20 appointments between 8:00 and 17:00 with a lunch break."""
    t = dt.datetime.combine(day, dt.time(8, 0))
    end = dt.datetime.combine(day, dt.time(17, 0))
    while t < end:
        if dt.time(12, 0) <= t.time() < dt.time(13, 0):
            t = t.replace(hour=13, minute=0)
            continue
        appt_type = rng.choices(types, weights)[0]
        if t + dt.timedelta(minutes=appt_type.default_minutes) > end:
            break
        if rng.random() < 0.88:
            yield t, appt_type
            t += dt.timedelta(minutes=appt_type.default_minutes + rng.choice([0, 0, 0, 5, 10]))
        else:
            t += dt.timedelta(minutes=15)


def _status_for(rng: random.Random, start: dt.datetime, now: dt.datetime) -> str:
    if start > now:
        return (
            flow.CONFIRMED
            if start.date() - now.date() <= dt.timedelta(days=2) and rng.random() < 0.5
            else flow.SCHEDULED
        )
    if rng.random() < 0.05:
        return flow.CANCELLED
    if rng.random() < 0.09:
        return flow.NO_SHOW
    minutes_ago = (now - start).total_seconds() / 60
    if minutes_ago > 75:
        return flow.CHECKED_OUT
    if minutes_ago > 40:
        return rng.choice([flow.WITH_PROVIDER, flow.CHECKED_OUT])
    if minutes_ago > 15:
        return rng.choice([flow.ROOMED, flow.WITH_PROVIDER])
    return flow.ARRIVED


def _visit_for(
    s, rng, appt: Appointment, rooms: list[Room], status: str, now: dt.datetime
) -> Visit:
    arrived = appt.start - dt.timedelta(minutes=rng.randint(-12, 15))
    arrived = min(arrived, now)
    roomed = arrived + dt.timedelta(minutes=rng.randint(3, 25))
    with_provider = roomed + dt.timedelta(minutes=rng.randint(2, 20))
    out = with_provider + dt.timedelta(minutes=rng.randint(10, 30))
    expected = 2500 if appt.type.name != "Annual physical" else 0
    visit = Visit(
        appointment_id=appt.id, patient_id=appt.patient_id, provider_id=appt.provider_id,
        visit_date=appt.start.date(), arrived_at=arrived, created_at=arrived,
        chief_complaint=appt.reason, copay_expected_cents=expected,
        copay_collected_cents=expected if rng.random() < 0.92 else 0,
        copay_method=rng.choice(["card", "card", "card", "cash", "check"]) if expected else "",
        copay_receipt=f"R{rng.randint(10000, 99999)}" if expected else "",
        forms_signed=list(DEMO_CLINIC.forms),
    )  # fmt: skip
    history = [(flow.SCHEDULED, flow.ARRIVED, arrived)]
    if status in (flow.ROOMED, flow.WITH_PROVIDER, flow.CHECKED_OUT):
        free = [r for r in rooms if r.state == "ready"] if status != flow.CHECKED_OUT else rooms
        room = rng.choice(free or rooms)
        visit.roomed_at = min(roomed, now)
        visit.room_id = room.id
        appt.room_id = room.id
        history.append((flow.ARRIVED, flow.ROOMED, visit.roomed_at))
        if status != flow.CHECKED_OUT:
            room.state, room.state_since = "occupied", visit.roomed_at
    if status in (flow.WITH_PROVIDER, flow.CHECKED_OUT):
        visit.provider_at = min(with_provider, now)
        history.append((flow.ROOMED, flow.WITH_PROVIDER, visit.provider_at))
    if status == flow.CHECKED_OUT:
        visit.checked_out_at = min(out, now)
        history.append((flow.WITH_PROVIDER, flow.CHECKED_OUT, visit.checked_out_at))
    s.add(visit)
    s.flush()
    if status in (flow.ROOMED, flow.WITH_PROVIDER):
        s.get(Room, visit.room_id).current_visit_id = visit.id
    for old, new, at in history:
        s.add(
            AppointmentStatusChange(appointment_id=appt.id, from_status=old, to_status=new, at=at)
        )
    return visit


def _add_vitals(s, rng: random.Random, visit: Visit, dob: dt.date, baselines: dict) -> None:
    age = (visit.visit_date - dob).days / 365.25
    if visit.patient_id not in baselines:
        height = 50 + age * 6 if age < 16 else rng.gauss(170, 9)
        bmi = 16 if age < 2 else (17 if age < 16 else rng.gauss(28, 5))
        baselines[visit.patient_id] = (max(45.0, height), max(12.0, bmi))
    height, bmi = baselines[visit.patient_id]
    weight = round(bmi * (height / 100) ** 2 * rng.uniform(0.98, 1.02), 1)
    taken = (visit.roomed_at or visit.arrived_at) + dt.timedelta(minutes=2)
    vs = VitalSet(patient_id=visit.patient_id, visit_id=visit.id, taken_at=taken, status="final")
    systolic = int(rng.gauss(126 if age >= 18 else 105, 14))
    observations = [
        (codes.HEIGHT, round(height, 1)),
        (codes.WEIGHT, weight),
        (codes.BMI, round(weight / (height / 100) ** 2, 1)),
        (codes.SYSTOLIC, systolic),
        (codes.DIASTOLIC, int(systolic * rng.uniform(0.58, 0.68))),
        (codes.HEART_RATE, int(rng.gauss(76 if age >= 12 else 100, 10))),
        (codes.RESPIRATORY_RATE, rng.choice([14, 16, 16, 18]) if age >= 12 else 24),
        (codes.TEMPERATURE, round(rng.gauss(36.8, 0.3), 1)),
        (codes.SPO2, rng.choice([96, 97, 98, 98, 99, 100])),
        (codes.PAIN, rng.choice([0, 0, 0, 1, 2, 3, 5])),
    ]
    vs.observations = [
        VitalObservation(seq=i, loinc=code, value=float(value), unit=codes.CANONICAL_UNIT[code])
        for i, (code, value) in enumerate(observations)
    ]
    s.add(vs)
