"""The same clinic as a plain (unencrypted) SQLite file, opened the way the app opens its store.

Used only to price encryption: ``export_plain`` copies every table and index
of a benchmark store with ``sqlcipher_export`` (so both files hold exactly the
same data and layout), and ``plain_database`` opens it with the app's own
connection settings (WAL, synchronous=FULL, foreign keys...) minus the key,
through the same SQLite library (sqlcipher3 without a key is plain SQLite).
The data is synthetic, and the file lives in the run's scratch folder.
"""

from __future__ import annotations

from pathlib import Path

import sqlcipher3
from sqlalchemy import create_engine, event

from benchmarks.data import Clinic


def export_plain(clinic: Clinic, target: Path) -> Path:
    target.unlink(missing_ok=True)
    conn = sqlcipher3.connect(str(clinic.store_path), isolation_level=None)
    try:
        conn.execute(f"PRAGMA key = \"x'{clinic.key_hex}'\"")
        conn.execute("ATTACH DATABASE ? AS plaintext KEY ''", (str(target),))
        conn.execute("SELECT sqlcipher_export('plaintext')")
        conn.execute("DETACH DATABASE plaintext")
    finally:
        conn.close()
    return target


def plain_database(path: Path):
    """A ``ma_desk.db.engine.Database`` on a plain SQLite file, configured like the store."""
    from ma_desk.db import engine as store_engine

    def creator() -> sqlcipher3.Connection:
        conn = sqlcipher3.connect(str(path), check_same_thread=False, isolation_level=None)
        store_engine._configure(conn)
        return conn

    engine = create_engine("sqlite://", creator=creator, module=sqlcipher3.dbapi2)

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:  # the same explicit BEGIN as the store's engine
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return store_engine.Database(engine, path)
