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

import contextlib
import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import sqlcipher3
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool

from ma_desk.db.keys import StoreKey
from ma_desk.db.sqlcipher_pages import key_fits_file
from ma_desk.db.sqlite_errors import (
    SQLITE_CORRUPT,
    SQLITE_NOTADB,
    damaged_message,
    result_code,
    result_name,
    store_error_for,
)
from ma_desk.db.store_file import shm_path, wal_path
from ma_desk.db.text_guard import refuse_nul_text
from ma_desk.errors import (
    DiskReadOnlyError,
    NotAStoreError,
    StoreDamagedError,
    StoreError,
    StoreReadOnlyError,
    WrongKeyError,
)

log = logging.getLogger("ma_desk.db")

SQLITE_PLAIN_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000
_HEX_KEY = re.compile(r"^x'[0-9a-f]{64}'$")
FIRST_PAGE_DAMAGED = (
    "its first page, which describes everything else, is unreadable (the key is right)"
)
CUT_SHORT_OR_BROKEN = "it is shorter than it says it is (cut short) or its structure is broken"
SET_READ_ONLY = "The clinic store was set read-only. Call your support contact."


def _apply_key(raw_conn: sqlcipher3.Connection, key: StoreKey) -> None:
    value = key.pragma_value()
    if not _HEX_KEY.match(value):  # pragma: no cover - StoreKey always makes this form
        raise StoreError("Internal error: malformed store key.")
    raw_conn.execute("PRAGMA cipher_log_level = NONE")
    raw_conn.execute(f'PRAGMA key = "{value}"')


def _check_readable(raw_conn: sqlcipher3.Connection, path: Path, key: StoreKey) -> None:
    try:
        raw_conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.Error as exc:
        raise _open_error(exc, path, key) from exc


def _open_error(exc: sqlcipher3.Error, path: Path, key: StoreKey) -> StoreError:
    """What a failure while opening means: wrong key, damage, or a disk/lock problem."""
    code = (result_code(exc) or 0) & 0xFF
    if code == SQLITE_NOTADB and key_fits_file(path, key.raw):
        return StoreDamagedError(
            damaged_message(path, FIRST_PAGE_DAMAGED) + " The file was not changed.",
            details=["page 1 fails its HMAC check; later pages authenticate with this key"],
        )
    if code == SQLITE_NOTADB:
        return WrongKeyError(
            f"The clinic store {path} could not be opened with this key: the key is wrong or "
            "the file is not an MA Desk store. The file was not changed. Use the right "
            "passphrase or the recovery key, or choose another data folder."
        )
    if code == SQLITE_CORRUPT:
        return StoreDamagedError(
            damaged_message(path, CUT_SHORT_OR_BROKEN) + " The file was not changed.",
            details=[f"SQLite reported {result_name(exc)} at open"],
        )
    return store_error_for(exc, path) or StoreError(
        f"The clinic store {path} cannot be opened ({result_name(exc)}). The file was not "
        "changed. Call your support contact."
    )


def _configure(raw_conn: sqlcipher3.Connection, *, read_only: bool = False) -> None:
    raw_conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if read_only:
        raw_conn.execute("PRAGMA query_only = ON")
    else:
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


def store_uri(
    path: Path, *, create: bool = False, read_only: bool = False, immutable: bool = False
) -> str:
    """The SQLite URI of ``path``; ``#``, ``?`` and ``%`` in folder names are escaped."""
    mode = "ro" if read_only else ("rwc" if create else "rw")
    uri = f"file:{quote(path.as_posix(), safe='/:')}?mode={mode}"
    return uri + "&immutable=1" if immutable else uri


def connect_raw(
    path: Path,
    key: StoreKey,
    *,
    create: bool = False,
    read_only: bool = False,
    immutable: bool = False,
) -> sqlcipher3.Connection:
    """One keyed, checked, configured DB-API connection (also used by backup/benchmarks).

    ``read_only`` opens with mode=ro: SQLite cannot write the file, and closing
    does not checkpoint the WAL into it. ``immutable`` is for a read-only disk
    with no WAL to read (SQLite could not create its -shm file there).
    """
    uri = store_uri(path, create=create, read_only=read_only, immutable=immutable)
    sidecars = {p: p.exists() for p in (wal_path(path), shm_path(path))}
    try:
        raw_conn = sqlcipher3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
    except sqlcipher3.Error as exc:
        raise _open_error(exc, path, key) from exc
    try:
        _apply_key(raw_conn, key)
        # Before the first read, so a lock held elsewhere is waited for, then named as such.
        raw_conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _check_readable(raw_conn, path, key)
        try:
            _configure(raw_conn, read_only=read_only)
        except sqlcipher3.Error as exc:
            raise _open_error(exc, path, key) from exc
    except BaseException:
        raw_conn.close()
        if read_only:
            _remove_new_empty_sidecars(path, sidecars)
        raise
    return raw_conn


def _remove_new_empty_sidecars(path: Path, existed: dict[Path, bool]) -> None:
    """A failed read-only open leaves no empty -wal/-shm of its own making behind."""
    wal, shm = wal_path(path), shm_path(path)
    if existed[wal] or existed[shm]:
        return
    with contextlib.suppress(OSError):
        if wal.exists() and wal.stat().st_size == 0:
            wal.unlink()
        if not wal.exists():
            shm.unlink(missing_ok=True)


def make_engine(
    path: Path,
    key: StoreKey,
    *,
    create: bool = False,
    read_only: bool = False,
    immutable: bool = False,
) -> Engine:
    """An engine whose every pooled connection is keyed and checked first."""
    first = {"create": create}

    def creator() -> sqlcipher3.Connection:
        conn = connect_raw(
            path, key, create=first["create"], read_only=read_only, immutable=immutable
        )
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
    def _begin(
        conn: Connection,
    ) -> None:  # pysqlite's implicit BEGIN is off; say which kind we want
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

    Read-only mode (``read_only``, why in ``read_only_reason``): a damaged
    store, a read-only disk, or damage found while in use. ``write()`` then
    refuses before touching the file, every connection is ``query_only``, and
    a read-only "guard" connection stays open until ``close()`` so that the
    last read-write connection to close cannot checkpoint the WAL into the
    damaged file. Every SQLite failure is turned into a known StoreError here
    (see ``sqlite_errors``); damage found in use switches to read-only.
    """

    def __init__(
        self,
        engine: Engine,
        path: Path | None,
        *,
        read_only_reason: str = "",
        connect_reader: Callable[[], sqlcipher3.Connection] | None = None,
    ) -> None:
        self.engine = engine
        self.path = path
        self.read_only_reason = read_only_reason
        # Called with the reason when the store switches to read-only (from any thread).
        self.read_only_listeners: list[Callable[[str], None]] = []
        # The audit witness (ma_desk/security/witness.py): told the newest entry just before
        # and just after each commit that added audit entries.
        self.witness: AuditWitness | None = None
        self.witness_frozen = False  # the witness disagrees with the store (see store.py)
        self.witness_missing = False  # the store has audit entries but no witness file
        self._connect_reader = connect_reader
        self._guard: sqlcipher3.Connection | None = None
        self._switch_lock = threading.Lock()
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(
            engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
        )
        event.listen(self._write, "before_flush", refuse_nul_text)
        self._listen(engine)

    kind = "sqlcipher"  # the clinic's store is a file on this workstation

    def _listen(self, engine: Engine) -> None:
        event.listen(engine, "handle_error", self._known_store_error)
        event.listen(engine, "checkout", self._match_read_only)

    @property
    def read_only(self) -> bool:
        return bool(self.read_only_reason)

    @read_only.setter
    def read_only(self, value: bool) -> None:
        """For tools and tests; setting False makes a store opened writable writable again."""
        if value:
            self.switch_to_read_only(self.read_only_reason or SET_READ_ONLY)
            return
        with self._switch_lock:
            self.read_only_reason = ""
            if self._guard is not None:
                self._guard.close()
                self._guard = None

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        self.refuse_if_read_only()
        with self._write() as session, session.begin():
            yield session
            session.flush()
            head = session.info.pop("audit_head", None)
            if head is not None and self.witness is not None:
                self.witness.prepare(head)
        if head is not None and self.witness is not None:
            self.witness.confirm(head)

    def refuse_if_read_only(self) -> None:
        if self.read_only:
            raise StoreReadOnlyError(
                f"Not saved: the clinic store is open read-only. {self.read_only_reason}"
            )

    def switch_to_read_only(self, reason: str) -> None:
        """From now on nothing is written to the file (the first reason is kept)."""
        with self._switch_lock:
            if self.read_only:
                return
            self.read_only_reason = reason
            self._guard = self._open_guard()
        log.info("the clinic store was switched to read-only")
        for listener in list(self.read_only_listeners):
            try:
                listener(reason)
            except Exception:  # a window that is gone must not undo the switch's error
                log.exception("a read-only listener failed")

    def _open_guard(self) -> sqlcipher3.Connection | None:
        if self._connect_reader is None:
            return None
        try:
            return self._connect_reader()
        except StoreError:
            return None  # the file cannot even be opened read-only: nothing can be written

    def _known_store_error(self, context: ExceptionContext) -> None:
        """SQLAlchemy's handle_error hook: raise the known StoreError instead."""
        error = store_error_for(context.original_exception, self.path)
        if error is None:
            return  # a bug: let it crash loudly
        if self.read_only and isinstance(error, DiskReadOnlyError):  # query_only said no
            self.refuse_if_read_only()
        if isinstance(error, StoreDamagedError | DiskReadOnlyError):
            self.switch_to_read_only(str(error))
        raise error from context.original_exception

    def _match_read_only(
        self, dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: object
    ) -> None:
        """Each connection handed out is query_only exactly while the store is read-only."""
        wanted = self.read_only
        if record.info.get("query_only", False) != wanted:
            dbapi_connection.execute(f"PRAGMA query_only = {'ON' if wanted else 'OFF'}")
            record.info["query_only"] = wanted

    def checkpoint(self) -> None:
        self.refuse_if_read_only()
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.engine.dispose()
        if self._guard is not None:  # closed last, and read-only: it never checkpoints
            self._guard.close()
            self._guard = None


def open_database(
    path: Path,
    key: StoreKey,
    *,
    create: bool = False,
    read_only_reason: str = "",
    immutable: bool = False,
) -> Database:
    """A Database on ``path``; a ``read_only_reason`` opens every connection with mode=ro."""
    read_only = bool(read_only_reason)
    engine = make_engine(path, key, create=create, read_only=read_only, immutable=immutable)
    reader = partial(connect_raw, path, key, read_only=True, immutable=immutable)
    return Database(engine, path, read_only_reason=read_only_reason, connect_reader=reader)
