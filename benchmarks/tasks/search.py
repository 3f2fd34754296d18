"""Patient search per keystroke (Check-in): name prefix, DOB, MRN and phone.

Folds in the Check-in helper's ``benchmarks/bench_search.py`` way of typing:
real patients of the clinic, typed one character at a time in the formats a
desk uses, one ``services.patients.search`` call per keystroke.
Floor per keystroke: the best single indexed query for what was typed, run
on the raw SQLCipher connection (no ORM, no second query, no sorting in Python).
"""

from __future__ import annotations

import random
from functools import partial

import sqlcipher3

from benchmarks.context import RunContext
from benchmarks.harness import Result, Samples, Target, measure_each

TARGET = Target(limit=0.020, stat="p95", max_ratio=3.0)
COLUMNS = "id, mrn, last_name, first_name, dob, phone"


def keystrokes(text: str) -> list[str]:
    """Every prefix of ``text``: what the search box holds after each key."""
    return [text[:i] for i in range(1, len(text) + 1)]


def typed_queries(
    services, patients: int, samples: int, rng: random.Random
) -> dict[str, list[str]]:
    """What a desk types for ``samples`` real patients, per kind of query."""
    queries: dict[str, list[str]] = {"name": [], "DOB": [], "MRN": [], "phone": []}
    for pid in rng.sample(range(1, patients + 1), samples):
        p = services.patients.get(pid)
        style = rng.random()
        if style < 0.5:
            name = f"{p.last_name}, {p.first_name[:3]}"
        elif style < 0.8:
            name = p.last_name
        else:
            name = f"{p.first_name} {p.last_name[:4]}"
        queries["name"] += keystrokes(name.lower() if rng.random() < 0.5 else name)
        fmt = rng.choice(["%m/%d/%Y", "%Y-%m-%d", "%m-%d-%Y", "%m%d%Y"])
        queries["DOB"] += keystrokes(p.dob.strftime(fmt))
        queries["MRN"] += keystrokes(p.mrn if rng.random() < 0.5 else p.mrn.lstrip("M"))
        digits = "".join(ch for ch in p.phone if ch.isdigit())
        phone = rng.choice([p.phone, digits, f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"])
        queries["phone"] += keystrokes(phone)
    return queries


def floor_query(text: str) -> tuple[str, tuple] | None:
    """The single best indexed query for what was typed (parsing is not timed)."""
    from ma_desk.services.patients import parse_query
    from ma_desk.text import prefix_upper_bound

    q = parse_query(text)
    base = f"SELECT {COLUMNS} FROM patients WHERE active = 1 AND "
    if q.kind == "empty":
        return None
    if q.kind == "dob":
        return base + "dob = ? LIMIT 50", (q.dob.isoformat(),)
    if q.kind == "phone":
        return base + "phone_digits = ? LIMIT 50", (q.digits,)
    if q.kind == "mrn":
        return base + "mrn IN (?, ?)", (q.digits, f"M{q.digits}")
    sql = base + "search_last >= ? AND search_last < ?"
    params: tuple = (q.last, prefix_upper_bound(q.last))
    if q.first:
        sql += " AND search_first >= ? AND search_first < ?"
        params += (q.first, prefix_upper_bound(q.first))
    return sql + " ORDER BY search_last LIMIT 50", params


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
            queries = typed_queries(services, size.patients, ctx.reps(40, 8), rng)
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
