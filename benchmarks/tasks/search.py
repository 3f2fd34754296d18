"""Patient search per keystroke (Check-in): name prefix, DOB, MRN and phone.

Folds in ``benchmarks/bench_search.py`` (the Check-in search's own benchmark):
its ``typed_queries`` types real patients of the clinic one character at a
time in the formats a desk uses; each keystroke is one
``services.patients.search`` call.
Floor per keystroke: the best single indexed query for what was typed, run
on the raw SQLCipher connection (no ORM, no second query, no sorting in Python).
"""

from __future__ import annotations

import random
from functools import partial

import sqlcipher3

from benchmarks.bench_search import typed_queries
from benchmarks.context import RunContext
from benchmarks.data import BENCH_TODAY
from benchmarks.harness import Result, Samples, Target, measure_each

TARGET = Target(limit=0.020, stat="p95", max_ratio=3.0)
COLUMNS = "id, mrn, last_name, first_name, dob, phone"


LABELS = {"name": "name", "dob": "DOB", "mrn": "MRN", "phone": "phone"}


def floor_query(text: str) -> tuple[str, tuple] | None:
    """The single best indexed query for what was typed (parsing is not timed).

    Same reading of the text as the app (a DOB, a phone or MRN prefix, a name
    prefix), one range scan on its index, at most 50 rows, nothing else.
    """
    from ma_desk.services.patients import parse_query
    from ma_desk.text import prefix_upper_bound

    q = parse_query(text, BENCH_TODAY)
    base = f"SELECT {COLUMNS} FROM patients WHERE active = 1 AND "

    def prefix(column: str, value: str) -> tuple[str, tuple]:
        return (f"{base}{column} >= ? AND {column} < ? ORDER BY {column} LIMIT 50",
                (value, prefix_upper_bound(value)))  # fmt: skip

    if q.kind == "dob":
        return base + "dob = ? LIMIT 50", (q.dob.isoformat(),)
    if q.kind == "phone":
        return prefix("phone_digits", q.digits)
    if q.kind == "mrn":
        return prefix("mrn", q.digits)
    if q.kind == "first":
        return prefix("search_first", q.first)
    if q.kind != "name":
        return None
    if not q.first:
        return prefix("search_last", q.last)
    return (base + "search_last >= ? AND search_last < ? AND search_first >= ? AND "
            "search_first < ? ORDER BY search_last, search_first LIMIT 50",
            (q.last, prefix_upper_bound(q.last), q.first, prefix_upper_bound(q.first)))  # fmt: skip


def _raw_query(conn, query: tuple[str, tuple]) -> list:
    return conn.execute(query[0], query[1]).fetchall()


def run(ctx: RunContext) -> list[Result]:
    results = []
    for size in ctx.sizes:
        clinic = ctx.clinic(size)
        opened = clinic.open()
        try:
            services = clinic.services(opened)
            rng = random.Random(ctx.seed * 101 + 5)
            typed = typed_queries(services, ctx.reps(40, 8), rng)
            queries = {LABELS.get(kind, kind): texts for kind, texts in typed.items()}
            conn = sqlcipher3.connect(f"file:{clinic.store_path.as_posix()}?mode=ro", uri=True)
            conn.execute(f"PRAGMA key = \"x'{clinic.key_hex}'\"")
            try:
                all_app, all_floor = Samples(), Samples()
                for kind, texts in queries.items():
                    texts = [t for t in texts if floor_query(t) is not None]
                    floors = [floor_query(t) for t in texts]
                    app = measure_each(services.patients.search, texts, rounds=1)
                    floor = measure_each(partial(_raw_query, conn), floors, rounds=1)
                    all_app += app
                    all_app.cpu += app.cpu
                    all_floor += floor
                    results.append(Result(f"search: {kind}", size.display, app, floor))
                results.append(Result("search: every keystroke", size.display, all_app,
                                      all_floor, target=TARGET))  # fmt: skip
            finally:
                conn.close()
        finally:
            opened.db.close()
    return results
