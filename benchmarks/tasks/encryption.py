"""The price of encryption: one round of desk work on SQLCipher vs plain SQLite.

The round: a name typed into the search (one call per keystroke), today's
schedule, five patients' records and vitals histories, and one audited write
(opening a chart). It runs through the same services on two files with the
same data: the encrypted store and its plain SQLite export. The "floor" is
the plain file; the ratio is the encryption overhead (target ≤ 1.5x).
"""

from __future__ import annotations

import random

from benchmarks.context import RunContext
from benchmarks.data import BENCH_TODAY, NOW
from benchmarks.harness import Result, Samples, Target, measure
from benchmarks.plain import export_plain, plain_database
from ma_desk.actor import Actor

TARGET = Target(max_ratio=1.5)


def workload(services, name: str, patient_ids: list[int]):
    def round_of_work() -> None:
        for i in range(1, len(name) + 1):
            services.patients.search(name[:i])
        services.schedule.day(BENCH_TODAY)
        for pid in patient_ids:
            services.patients.get(pid)
            services.vitals.history(pid)
        services.patients.open_chart(patient_ids[0])

    return round_of_work


def run(ctx: RunContext) -> list[Result]:
    from ma_desk.clock import FixedClock
    from ma_desk.services import Services

    results = []
    for size in ctx.sizes:
        clinic = ctx.writable_clinic(size)
        plain_path = export_plain(clinic, clinic.data_dir.parent / "plain-copy.sqlite")
        rng = random.Random(ctx.seed)
        opened = clinic.open()
        plain_db = plain_database(plain_path)
        try:
            enc = clinic.services(opened)
            plain = Services(plain_db, FixedClock(NOW), actor=Actor.system())
            ids = rng.sample(range(1, size.patients + 1), 5)
            name = enc.patients.get(ids[0]).last_name
            reps = ctx.reps(30, 6)
            enc_work, plain_work = workload(enc, name, ids), workload(plain, name, ids)
            enc_samples, plain_samples = Samples(), Samples()
            for _ in range(reps):  # alternate so that machine noise hits both alike
                for work, out in ((enc_work, enc_samples), (plain_work, plain_samples)):
                    one = measure(work, repeat=1, warmup=0 if out else 2)
                    out += one
                    out.cpu += one.cpu
            results.append(Result("encryption: desk workload", size.display, enc_samples,
                                  plain_samples, target=TARGET))  # fmt: skip
        finally:
            opened.db.close()
            plain_db.close()
            plain_path.unlink(missing_ok=True)
            for suffix in ("-wal", "-shm"):
                plain_path.with_name(plain_path.name + suffix).unlink(missing_ok=True)
    return results
