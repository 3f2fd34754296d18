"""Opening the encrypted SQLCipher store through SQLAlchemy.

The rules that keep a clinic's data safe live here:
- ``PRAGMA key`` is the first statement on every connection, and the key is
  checked at once with a read, before anything could write to the file;
- a wrong key or a foreign file is reported, never "fixed" by creating a new
  database; the file is left byte-identical;
- WAL, synchronous=FULL, foreign keys, a busy timeout and in-memory temp
  storage on every connection.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import sqlcipher3
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from ma_desk.db.keys import StoreKey
from ma_desk.errors import NotAStoreError, StoreError, WrongKeyError

log = logging.getLogger("ma_desk.db")

SQLITE_PLAIN_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000
_HEX_KEY = re.compile(r"^x'[0-9a-f]{64}'$")


def _apply_key(raw_conn: sqlcipher3.Connection, key: StoreKey) -> None:
    value = key.pragma_value()
    if not _HEX_KEY.match(value):  # pragma: no cover - StoreKey always makes this form
        raise StoreError("Internal error: malformed store key.")
    raw_conn.execute("PRAGMA cipher_log_level = NONE")
    raw_conn.execute(f'PRAGMA key = "{value}"')


def _check_readable(raw_conn: sqlcipher3.Connection, path: Path) -> None:
    try:
        raw_conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as exc:
        raise WrongKeyError(
            f"The clinic store {path} could not be opened with this key: the key is wrong or "
            "the file is not an MA Desk store. The file was not changed. Use the right "
            "passphrase or the recovery key, or choose another data folder."
        ) from exc


def _configure(raw_conn: sqlcipher3.Connection) -> None:
    raw_conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    raw_conn.execute("PRAGMA journal_mode = WAL")
    raw_conn.execute("PRAGMA synchronous = FULL")
    raw_conn.execute("PRAGMA foreign_keys = ON")
    raw_conn.execute("PRAGMA temp_store = MEMORY")


def check_not_plain_sqlite(path: Path) -> None:
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise StoreError(f"The clinic store {path} cannot be read: {exc.strerror}.") from exc
    if head == SQLITE_PLAIN_HEADER:
        raise NotAStoreError(
            f"{path} is an unencrypted SQLite database, not an MA Desk store. It was not "
            "changed. Move it away or choose another data folder."
        )


def connect_raw(path: Path, key: StoreKey, *, create: bool = False) -> sqlcipher3.Connection:
    """One keyed, checked, configured DB-API connection (also used by backup/benchmarks)."""
    mode = "rwc" if create else "rw"
    uri = f"file:{path.as_posix()}?mode={mode}"
    try:
        raw_conn = sqlcipher3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
    except sqlcipher3.OperationalError as exc:
        raise StoreError(f"The clinic store {path} cannot be opened: {exc}.") from exc
    try:
        _apply_key(raw_conn, key)
        _check_readable(raw_conn, path)
        _configure(raw_conn)
    except BaseException:
        raw_conn.close()
        raise
    return raw_conn


def make_engine(path: Path, key: StoreKey, *, create: bool = False) -> Engine:
    """An engine whose every pooled connection is keyed and checked first."""
    first = {"create": create}

    def creator() -> sqlcipher3.Connection:
        conn = connect_raw(path, key, create=first["create"])
        first["create"] = False
        return conn

    # "sqlite://" alone would make SQLAlchemy pick its one-connection-per-thread pool for
    # in-memory databases; a file store wants a normal pool so a read can run beside a write.
    engine = create_engine(
        "sqlite://",
        creator=creator,
        module=sqlcipher3.dbapi2,
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=8,
    )

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:  # pysqlite's implicit BEGIN is off; say which kind we want
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


class AuditWitness(Protocol):
    def prepare(self, head: tuple[int, str]) -> None: ...
    def confirm(self, head: tuple[int, str]) -> None: ...


class Database:
    """The open store: an engine plus read and write sessions.

    ``write()`` begins IMMEDIATE so that a transaction that reads then writes
    (the audit chain's last hash, the next MRN) cannot race another writer.
    """

    def __init__(self, engine: Engine, path: Path | None) -> None:
        self.engine = engine
        self.path = path
        # The audit witness (ma_desk/security/witness.py): told the newest entry just before
        # and just after each commit that added audit entries.
        self.witness: AuditWitness | None = None
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(
            engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
        )

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self._write() as session, session.begin():
            yield session
            session.flush()
            head = session.info.pop("audit_head", None)
            if head is not None and self.witness is not None:
                self.witness.prepare(head)
        if head is not None and self.witness is not None:
            self.witness.confirm(head)

    def checkpoint(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.engine.dispose()
