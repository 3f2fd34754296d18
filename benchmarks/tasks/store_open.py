"""Opening the store: key from the keyring, key check, migration check.

Floor: the same SQLCipher file opened with the raw key and read once.
"""

from __future__ import annotations

import sqlcipher3

from benchmarks.context import RunContext
from benchmarks.data import Clinic
from benchmarks.harness import Result, measure


def run(ctx: RunContext) -> list[Result]:
    return [_measure(ctx.clinic(size), ctx.reps(40, 8)) for size in ctx.sizes]


def _measure(clinic: Clinic, reps: int) -> Result:
    clinic.use_key()

    def app_open() -> None:
        clinic.open().db.close()

    uri = f"file:{clinic.store_path.as_posix()}?mode=ro"
    key = clinic.key_hex

    def raw_open() -> None:
        conn = sqlcipher3.connect(uri, uri=True)
        conn.execute(f"PRAGMA key = \"x'{key}'\"")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.close()

    return Result("store open", clinic.size.display, measure(app_open, repeat=reps),
                  measure(raw_open, repeat=reps))  # fmt: skip
