"""Moving a clinic in and out: 100,000 patients imported from CSV; the whole clinic exported
as FHIR NDJSON (issue 18).

Import: a synthetic old-system export of as many patients as the clinic size
(100,000 for ``large``) goes through ``services.interchange.import_csv`` into
a new, empty store (after its dry run, timed apart). Floor: the same file read
with ``csv`` and its rows inserted with one ``executemany`` into the same
patients table of a raw SQLCipher store.

Export: ``services.interchange.export_clinic_fhir`` of the clinic (every
patient, coverage, appointment, visit and vital sign) to NDJSON files. Floor:
the same tables read raw and each row written as ``json.dumps`` of its values.

Both report wall and CPU seconds for the app and the floor, and the load average
when measured: on a shared machine wall time mostly waits for a core.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import random
import secrets
import shutil
import time

from benchmarks.context import RunContext
from benchmarks.harness import Result, Samples, Target
from benchmarks.tasks.visit_summary import open_raw

IMPORT_TARGET = Target(limit=60.0, stat="median")
EXPORT_TARGET = Target(limit=60.0, stat="median")
PASSPHRASE = "benchmark import meadow lantern 4711"
LAST = ["Smith", "Johnson", "Williams", "García", "Nguyen", "O'Brien", "Müller", "Kowalski",
        "Patel", "Kim", "Okafor", "Rossi", "Cohen", "Hernández", "Lee", "Brown"]  # fmt: skip
FIRST = ["Ann", "José", "Zoë", "Wei", "Fatima", "John", "Maria", "Olu", "Priya", "Sam",
         "Noah", "Liam", "Ava", "Chloé", "Omar", "Ines"]  # fmt: skip
EXPORTED_TABLES = ("patients", "insurance_coverages", "appointments", "visits",
                   "vital_sets", "vital_observations")  # fmt: skip


def old_system_export(rows: int, seed: int = 18) -> bytes:
    """A practice-management export: quoted commas, MM/DD/YYYY dates, phones as typed."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Patient ID", "Last Name", "First Name", "Date of Birth", "Gender",
                     "Home Phone", "Address 1", "City", "State", "Zip Code"])  # fmt: skip
    for n in range(rows):
        born = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(32000))
        writer.writerow([
            f"A{n:07d}", f"{rng.choice(LAST)}{n}", rng.choice(FIRST), f"{born:%m/%d/%Y}",
            rng.choice("FM"), f"(555) 01{n % 10}-{n % 10000:04d}",
            f"{rng.randrange(1, 9999)} Oak St, Apt {rng.randrange(1, 40)}", "Springfield",
            "OR", "97477",
        ])  # fmt: skip
    return out.getvalue().encode("utf-8-sig")


def run(ctx: RunContext) -> list[Result]:
    results = []
    for size in ctx.sizes:
        results.append(_import(ctx, size))
        results.append(_export(ctx, size))
    return results


# ---------------------------------------------------------------------- import
def _import(ctx: RunContext, size) -> Result:
    data = old_system_export(size.patients)
    samples, floors, dry = Samples(), Samples(), []
    for attempt in range(ctx.reps(3, 1)):
        folder = ctx.workdir / f"import-{size.name}-{attempt}"
        dry_s, import_s, cpu_s = _import_once(folder, data)
        dry.append(dry_s)
        samples.append(import_s)
        samples.cpu.append(cpu_s)
        floor_wall, floor_cpu = _floor_import(folder.with_name(folder.name + "-floor"), data)
        floors.append(floor_wall)
        floors.cpu.append(floor_cpu)
        shutil.rmtree(folder.parent / folder.name, ignore_errors=True)
    note = (f"{size.patients:,} rows; its dry run {_median(dry):.1f} s; floor CPU "
            f"{_median(floors.cpu):.1f} s; load {_load()}")  # fmt: skip
    return Result("import: patients CSV", size.display, samples, floors, IMPORT_TARGET,
                  unit="s", note=note)  # fmt: skip


def _import_once(folder, data: bytes) -> tuple[float, float, float]:
    from ma_desk.actor import Actor
    from ma_desk.db.store import create_store
    from ma_desk.services import Services
    from ma_desk.services.interchange import ImportOptions

    opened = create_store(folder, passphrase=PASSPHRASE)
    try:
        services = Services(opened.db, actor=Actor.system())
        options = ImportOptions(source="oldpm")
        start = time.perf_counter()
        report = services.interchange.dry_run_csv("patients", data, options)
        dry = time.perf_counter() - start
        cpu, start = time.process_time(), time.perf_counter()
        done = services.interchange.import_csv("patients", data, options, confirm=report.token)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert done.counts()["create"] == len(done.outcomes), done.summary()
    finally:
        opened.db.close()
    return dry, wall, cpu


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def _load() -> str:
    """The load average now (1, 5, 15 min): on a shared machine wall time waits for a core."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _floor_import(folder, data: bytes) -> tuple[float, float]:
    """csv.reader + one executemany into the same table, raw SQLCipher, one transaction;
    wall and CPU seconds."""
    import sqlcipher3
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    from ma_desk.db.models import Patient

    folder.mkdir(parents=True)
    conn = sqlcipher3.connect(str(folder / "floor.db"))
    conn.execute(f"PRAGMA key = \"x'{secrets.token_hex(32)}'\"")
    for pragma in ("journal_mode = WAL", "synchronous = FULL", "foreign_keys = OFF"):
        conn.execute(f"PRAGMA {pragma}")
    table = Patient.__table__
    dialect = sqlite.dialect()
    conn.execute(str(CreateTable(table).compile(dialect=dialect)))  # foreign keys are off
    for index in table.indexes:
        conn.execute(str(CreateIndex(index).compile(dialect=dialect)))
    now = dt.datetime(2026, 1, 1).isoformat(" ")
    cpu, start = time.process_time(), time.perf_counter()
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    next(reader)
    rows = []
    for n, (ext, last, first, dob, sex, phone, address, city, state, zip_code) in enumerate(reader):
        month, day, year = dob.split("/")
        rows.append((f"M{n:07d}", first, last, f"{year}-{month}-{day}", sex, phone, address,
                     city, state, zip_code, last.casefold(), first.casefold(), now, now, ext))  # fmt: skip
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO patients (mrn, first_name, last_name, dob, sex, phone, address1, city, state,"
        " zip, search_last, search_first, created_at, updated_at, external_id, middle_name,"
        " preferred_name, email, address2, preferred_language, emergency_name, emergency_phone,"
        " emergency_relation, allergies, medications, phone_digits, phone_reversed, active,"
        " version, updated_by, updated_on, external_source) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
        "'','','','','English','','','','','','','',1,1,'','','oldpm')", rows)  # fmt: skip
    conn.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    conn.close()
    shutil.rmtree(folder, ignore_errors=True)
    return elapsed, cpu


# ---------------------------------------------------------------------- export
def _export(ctx: RunContext, size) -> Result:
    clinic = ctx.writable_clinic(size)  # the export is audited
    opened = clinic.open()
    samples, floors = Samples(), Samples()
    counts: dict[str, int] = {}
    try:
        services = clinic.services(opened)
        for attempt in range(ctx.reps(3, 1)):
            folder = ctx.workdir / f"export-{size.name}-{attempt}"
            cpu, start = time.process_time(), time.perf_counter()
            counts = services.interchange.export_clinic_fhir(folder)
            samples.append(time.perf_counter() - start)
            samples.cpu.append(time.process_time() - cpu)
            shutil.rmtree(folder, ignore_errors=True)
            floor_wall, floor_cpu = _floor_export(clinic, ctx.workdir / f"export-floor-{attempt}")
            floors.append(floor_wall)
            floors.cpu.append(floor_cpu)
    finally:
        opened.db.close()
    note = (f"{sum(counts.values()):,} resources; floor CPU {_median(floors.cpu):.1f} s; "
            f"load {_load()}")  # fmt: skip
    return Result("export: clinic to FHIR NDJSON", size.display, samples, floors, EXPORT_TARGET,
                  unit="s", note=note)  # fmt: skip


def _floor_export(clinic, folder) -> tuple[float, float]:
    """Every exported table read raw and each row written as json.dumps of its values;
    wall and CPU seconds."""
    folder.mkdir(parents=True)
    conn = open_raw(clinic)
    cpu, start = time.process_time(), time.perf_counter()
    for table in EXPORTED_TABLES:
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")
                   if row[2] != "BLOB"]  # fmt: skip
        with open(folder / f"{table}.ndjson", "w", encoding="utf-8") as out:
            for row in conn.execute(f"SELECT {', '.join(columns)} FROM {table}"):
                out.write(json.dumps(row, ensure_ascii=False, default=str))
                out.write("\n")
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    conn.close()
    shutil.rmtree(folder, ignore_errors=True)
    return elapsed, cpu
