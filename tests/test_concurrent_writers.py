"""Eight workstations writing the same records at once: nothing lost, MRNs unique, chain intact.

Each writer is a thread with its own Services and its own engine (its own
connections) on one clinic: a real PostgreSQL server, and the SQLCipher file
opened eight times. They hammer the same patient (read, append a token, save
against the version read), the same prior authorisation (a read-modify-write
inside the service) and register patients at the same time. Afterwards every
acknowledged change is in the final record and every refused one is not
(counted), each acknowledged change has exactly one audit entry, every MRN is
unique and the audit chain verifies.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select

from ma_desk import audit
from ma_desk.actor import Actor
from ma_desk.db.models import AuditEvent, Patient
from ma_desk.db.server import ServerDatabase, make_server_engine
from ma_desk.db.store import open_store
from ma_desk.errors import StaleVersionError
from ma_desk.services import Services
from ma_desk.services.insurance_rules import PriorAuthInput
from ma_desk.services.patients import PatientInput
from tests.conftest import PASSPHRASE

WRITERS = 8
ROUNDS = 12
REGISTRATIONS = 4
START_TIMEOUT_SECONDS = 60
FINISH_TIMEOUT_SECONDS = 300


@dataclass
class Tally:
    """What one writer was told: tokens acknowledged or refused, units used, MRNs given."""

    saved: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    units: int = 0
    units_refused: int = 0
    mrns: list[str] = field(default_factory=list)
    failures: list[BaseException] = field(default_factory=list)


def writer(services: Services, number: int, patient_id: int, auth_id: int, start, tally) -> None:
    start.wait(timeout=START_TIMEOUT_SECONDS)
    try:
        for round_ in range(ROUNDS):
            token = f"w{number}r{round_};"
            record = services.patients.get(patient_id)
            try:
                services.patients.update(patient_id, medications=record.medications + token,
                                         expected_version=record.version)  # fmt: skip
                tally.saved.append(token)
            except StaleVersionError:
                tally.refused.append(token)
            try:
                services.insurance.use_auth_units(auth_id, 1)
                tally.units += 1
            except StaleVersionError:
                tally.units_refused += 1
        for n in range(REGISTRATIONS):
            new = PatientInput(first_name=f"Writer{number}", last_name=f"Concurrent{n}",
                               dob="03/04/1985")  # fmt: skip
            tally.mrns.append(services.patients.register(new, duplicate_override=True).mrn)
    except BaseException as exc:  # reported by the test, not lost in the thread
        tally.failures.append(exc)


def run_writers(make_services, setup: Services) -> None:
    pid = setup.patients.register(
        PatientInput(first_name="Shared", last_name="Record", dob="01/02/1970")
    ).id
    auth = setup.insurance.add_prior_auth(pid, PriorAuthInput(
        service="Physical therapy", payer="Demo Health", auth_number="PA-CONC",
        units_approved=WRITERS * ROUNDS, start_date="11/01/2026", end_date="12/31/2026",
    ))  # fmt: skip
    before = setup.patients.get(pid)
    start = threading.Barrier(WRITERS)
    tallies = [Tally() for _ in range(WRITERS)]
    workers = [
        threading.Thread(target=writer, args=(make_services(i), i, pid, auth.id, start, tallies[i]))
        for i in range(WRITERS)
    ]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=FINISH_TIMEOUT_SECONDS)
    assert not any(t.is_alive() for t in workers), "a writer is still running (deadlock?)"
    failures = [f for t in tallies for f in t.failures]
    assert failures == [], f"writers failed: {failures!r}"

    saved = [token for t in tallies for token in t.saved]
    refused = [token for t in tallies for token in t.refused]
    assert len(saved) + len(refused) == WRITERS * ROUNDS
    assert saved, "no save got through"
    final = setup.patients.get(pid)
    stored = [token + ";" for token in final.medications.split(";") if token]
    assert Counter(stored) == Counter(saved), (
        "an acknowledged save is missing or a refused one landed"
    )
    assert final.version == before.version + len(saved)

    units = sum(t.units for t in tallies)
    assert units + sum(t.units_refused for t in tallies) == WRITERS * ROUNDS
    assert setup.insurance.prior_auths(pid)[0].units_used == units, "a used unit was lost"

    mrns = [mrn for t in tallies for mrn in t.mrns]
    assert len(mrns) == WRITERS * REGISTRATIONS and len(set(mrns)) == len(mrns)
    with setup.ctx.db.read() as s:
        assert s.scalar(select(func.count()).where(Patient.mrn.in_(mrns))) == len(mrns)
        updates = s.scalar(select(func.count()).where(
            AuditEvent.action == "update", AuditEvent.entity == "patient",
            AuditEvent.entity_id == str(pid)))  # fmt: skip
        used = s.scalar(select(func.count()).where(
            AuditEvent.action == "use_units", AuditEvent.entity_id == str(auth.id)))  # fmt: skip
        assert (updates, used) == (len(saved), units), "one audit entry per acknowledged change"
        assert audit.verify_store(s) == []


def writer_actor(number: int) -> Actor:
    return Actor(None, f"writer{number}", f"Writer {number}", "administrator", f"WS-{number}")


def test_eight_workstations_on_a_real_server_lose_nothing(pg_database, clock):
    setup_db = pg_database("demo")
    url = setup_db.engine.url.render_as_string(hide_password=False)
    engines: list[ServerDatabase] = []

    def make_services(number: int) -> Services:
        db = ServerDatabase(make_server_engine(url), url)
        engines.append(db)
        return Services(db, clock, actor=writer_actor(number))

    try:
        run_writers(make_services, Services(setup_db, clock, actor=Actor.system()))
    finally:
        for db in engines:
            db.close()


def test_eight_threads_on_one_sqlcipher_file_lose_nothing(demo_dir, clock):
    opened = [open_store(demo_dir, passphrase=PASSPHRASE) for _ in range(WRITERS + 1)]
    try:
        run_writers(lambda n: Services(opened[n].db, clock, actor=writer_actor(n)),
                    Services(opened[WRITERS].db, clock, actor=Actor.system()))  # fmt: skip
    finally:
        for store in opened:
            store.db.close()


def test_a_save_that_lost_a_race_without_the_row_lock_is_still_refused(pg_database, clock):
    """The safety net: UPDATE ... WHERE version = n finds no row; nothing is overwritten."""
    db = pg_database("demo")
    url = db.engine.url.render_as_string(hide_password=False)
    other = ServerDatabase(make_server_engine(url), url)
    try:
        a = Services(db, clock, actor=writer_actor(1))
        b = Services(other, clock, actor=writer_actor(2))
        pid = a.patients.register(PatientInput(first_name="Race", last_name="Lost",
                                               dob="05/06/1977")).id  # fmt: skip
        refusal = pytest.raises(StaleVersionError, match="at the same moment")
        with refusal, a.patients._write() as session:
            row = session.get(Patient, pid)  # read without the lock an edit takes
            b.patients.update(pid, city="Winner")
            row.city = "Loser"
        assert a.patients.get(pid).city == "Winner"
        with db.read() as s:
            assert audit.verify_store(s) == []
    finally:
        other.close()
