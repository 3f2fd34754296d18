"""Moving a clinic between a store file and a clinic server, in either direction.

``migrate_to_server`` copies a single-workstation store (opened read-only, so
its file is never changed) into an empty, initialised server; ``snapshot_to_file``
writes a server's clinic into a new encrypted store file (a server backup).
Both copy every column of every table generically from the models' metadata
(so a new column needs no change here), in foreign-key order and in batches,
inside ONE transaction on the receiving side, then compare the counts of every
table and verify the audit chain there before committing: a failure or a kill
leaves the receiving side as it was.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, func, select
from sqlalchemy.orm import Session

from ma_desk import audit
from ma_desk.actor import Actor
from ma_desk.db.engine import Database, open_database
from ma_desk.db.migrate import SCHEMA_HEAD, current_revision
from ma_desk.db.models import Base
from ma_desk.errors import MADeskError, StoreError

if TYPE_CHECKING:
    from ma_desk.db.keys import NewPassphrasePrompt, PassphrasePrompt, StoreKey
    from ma_desk.db.server import ServerDatabase

log = logging.getLogger("ma_desk.db.server_move")

BATCH_ROWS = 2000
# Progress callback: (table name, rows copied so far, rows in the table).
Progress = Callable[[str, int, int], None]
READ_ONLY_REASON = "Opened read-only to be copied; MA Desk does not change it."


class MoveError(StoreError):
    """The clinic could not be moved; the receiving side was left as it was."""


@dataclass
class MoveResult:
    counts: dict[str, int]  # rows per table, equal on both sides
    audit_head: tuple[int, str] | None  # the newest audit entry copied
    seals: int | None = None  # seals checked on the copy (None: no seal key given)


def tables() -> list[Table]:
    """Every table of the models, parents before children."""
    return list(Base.metadata.sorted_tables)


def _no_progress(_table: str, _done: int, _total: int) -> None:
    """Progress nobody watches."""


# ------------------------------------------------------------------ opening the source
def open_store_read_only(
    data_dir: Path,
    *,
    recovery_key: str | None = None,
    ask_passphrase: PassphrasePrompt | None = None,
) -> Database:
    """The store in ``data_dir`` opened read-only (mode=ro): nothing can write to its file.

    A store closed cleanly (no -wal) is opened immutable, so SQLite does not even create
    its -wal/-shm beside it; one with a -wal (open in MA Desk, or not closed) is read with
    its WAL. Refuses a missing, foreign, damaged or older-schema store with a clear message.
    """
    from ma_desk.db import keys
    from ma_desk.db.engine import check_not_plain_sqlite
    from ma_desk.db.store import refuse_missing_store
    from ma_desk.db.store_file import check_store_file, wal_path
    from ma_desk.paths import store_path

    refuse_missing_store(data_dir)
    path = store_path(data_dir)
    check_store_file(path)
    check_not_plain_sqlite(path)
    key, _info = keys.key_for_open(data_dir, recovery_key=recovery_key,
                                   ask_passphrase=ask_passphrase)  # fmt: skip
    closed_cleanly = not wal_path(path).exists()
    db = open_database(path, key, read_only_reason=READ_ONLY_REASON, immutable=closed_cleanly)
    try:
        _refuse_unfit_source(db, path)
    except BaseException:
        db.close()
        raise
    return db


def _refuse_unfit_source(db: Database, path: Path) -> None:
    """Only a whole store at this MA Desk's schema is copied."""
    with db.engine.connect() as conn:
        revision = current_revision(conn)
        if revision != SCHEMA_HEAD:
            raise MoveError(
                f"{path} is at schema {revision or 'none'}, this MA Desk needs {SCHEMA_HEAD}. "
                "Open it once with this MA Desk (which upgrades it after keeping a copy), "
                "then move it. Nothing was copied."
            )
        problems = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise MoveError(
            f"{path} failed its integrity check ({problems[0]}): a damaged store is not "
            "moved. Restore a backup first. Nothing was copied."
        )


def check_administrator(db: Database, username: str, password: str) -> tuple[Actor, bytes | None]:
    """The administrator ``username`` of a read-only store, and their audit seal key (if any).

    Nothing is written: a read-only store's sign-in checks count failures in memory.
    """
    from ma_desk.errors import PermissionDenied
    from ma_desk.permissions import ADMINISTRATOR
    from ma_desk.security import seal
    from ma_desk.services import Services, audit_seals

    actor = Services(db).accounts.authenticate(username, password, purpose="move_auth")
    if actor.role != ADMINISTRATOR:
        raise PermissionDenied("Only an administrator of the clinic can move or back it up.")
    assert actor.user_id is not None  # authenticate() returns a signed-in account
    with db.read() as s:
        copy = audit_seals.copy_for(s, actor.user_id)
    return actor, (seal.unwrap(copy, password) if copy is not None else None)


# ------------------------------------------------------------------ the receiving server
def refuse_unready_server(conn: Connection, where: str) -> None:
    """The server must be initialised (this schema) and hold no clinic yet."""
    revision = current_revision(conn)
    if revision in (None, ""):
        raise MoveError(
            f"The clinic server {where} is not initialised. Run first: ma-desk server init "
            "--database-url ... (with the database owner's account). Nothing was copied."
        )
    if revision != SCHEMA_HEAD:
        raise MoveError(
            f"The clinic server {where} is at schema {revision}, this MA Desk has "
            f"{SCHEMA_HEAD}. Run ma-desk server init with the matching MA Desk. Nothing "
            "was copied."
        )
    filled = [t.name for t in tables() if conn.scalar(select(func.count()).select_from(t))]
    if filled:
        raise MoveError(
            f"The clinic server {where} already holds data (in {', '.join(filled[:4])}"
            f"{' ...' if len(filled) > 4 else ''}); a clinic is only moved into an empty "
            "one. Nothing was copied; use a new database."
        )


# ------------------------------------------------------------------ copying
def count_rows(conn: Connection) -> dict[str, int]:
    return {t.name: int(conn.scalar(select(func.count()).select_from(t)) or 0) for t in tables()}


def copy_rows(source: Connection, target: Connection, progress: Progress = _no_progress) -> None:
    """Every row of every table from ``source`` to ``target``, ids included, in batches."""
    for table in tables():
        total = int(source.scalar(select(func.count()).select_from(table)) or 0)
        progress(table.name, 0, total)
        done = 0
        ordered = select(table).order_by(*table.primary_key.columns)
        result = source.execution_options(yield_per=BATCH_ROWS).execute(ordered)
        for batch in result.partitions():
            insert_rows(target, table, [dict(row._mapping) for row in batch])
            done += len(batch)
            progress(table.name, done, total)


def insert_rows(target: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (column key -> value) into ``table`` inside the target's transaction.

    On PostgreSQL through COPY (about twice as fast as INSERTs for a large clinic), each
    value first passed through its column type's own conversion, as an INSERT would.
    """
    if target.dialect.name != "postgresql":
        target.execute(table.insert(), rows)
        return
    columns = list(table.columns)
    convert = [c.type.dialect_impl(target.dialect).bind_processor(target.dialect) for c in columns]
    names = ", ".join(f'"{c.name}"' for c in columns)
    driver = target.connection.driver_connection
    assert driver is not None  # psycopg's connection while ``target`` is open
    cursor = driver.cursor()
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([value if fn is None or value is None else fn(value)
                            for fn, value in zip(convert, (row[c.key] for c in columns),
                                                 strict=True)])  # fmt: skip


def verify_copy(
    expected: dict[str, int], head: tuple[int, str] | None, target: Connection, where: str
) -> None:
    """The copy has the same number of rows in every table and an intact audit chain."""
    counted = count_rows(target)
    differ = [f"{name} {expected[name]:,} -> {counted[name]:,}"
              for name in expected if counted[name] != expected[name]]  # fmt: skip
    if differ:
        raise MoveError(f"The copy on {where} does not match the original ({'; '.join(differ)}). "
                        "Nothing was kept.")  # fmt: skip
    session = Session(bind=target)
    problems = audit.verify_store(session)
    if problems:
        raise MoveError(
            f"The audit trail does not verify on {where} ({problems[0]}). Nothing was kept; "
            "run ma-desk audit verify on the original."
        )
    if audit.chain_head(session) != head:
        raise MoveError(f"The newest audit entry differs on {where}. Nothing was kept.")


def check_seals_on(target: Connection, seal_key: bytes, where: str) -> int:
    """Every seal of the copied trail verifies with the administrator's seal key."""
    from ma_desk.services.audit_seals import check_seals

    report = check_seals(Session(bind=target), seal_key)
    if report.problems:
        raise MoveError(
            f"The audit seals do not verify on {where} ({report.problems[0]}). Nothing was kept."
        )
    return report.seals


# ------------------------------------------------------------------ store file -> server
def migrate_to_server(
    source: Database,
    server: ServerDatabase,
    *,
    actor: Actor,
    seal_key: bytes | None = None,
    progress: Progress = _no_progress,
) -> MoveResult:
    """Copy the store ``source`` into the empty server ``server`` in one transaction.

    Counts, audit chain (and seals, given the key) are checked on the server before
    the commit; the move is recorded in the server's audit trail in the same
    transaction. Any failure rolls everything back.
    """
    from ma_desk.db.server import lock_audit_chain, reset_sequences

    where = server.where
    with (
        source.engine.connect() as src,
        src.begin(),
        server.engine.connect() as dst,
        dst.begin(),
    ):
        lock_audit_chain(Session(bind=dst))  # no workstation appends meanwhile
        refuse_unready_server(dst, where)
        expected = count_rows(src)
        head = audit.chain_head(Session(bind=src))
        copy_rows(src, dst, progress)
        verify_copy(expected, head, dst, where)
        seals = check_seals_on(dst, seal_key, where) if seal_key is not None else None
        session = Session(bind=dst)
        reset_sequences(session)
        audit.record(session, actor, "migrate_to_server", "store",
                     details={"tables": len(expected), "rows": sum(expected.values()),
                              "audit_head": list(head or (0, ""))})  # fmt: skip
    log.info("clinic moved to the server (%d tables)", len(expected))
    return MoveResult(expected, head, seals)


# ------------------------------------------------------------------ server -> store file
@dataclass(frozen=True)
class SnapshotResult:
    path: Path
    sha256: str
    size: int
    counts: dict[str, int]
    audit_head: tuple[int, str] | None


def workstation_key(
    data_dir: Path,
    *,
    ask_passphrase: PassphrasePrompt | None = None,
    ask_new_passphrase: NewPassphrasePrompt | None = None,
) -> tuple[StoreKey, str | None]:
    """This workstation's key for the clinic files it writes (server backups), and a new
    recovery key to show once when the key was only now created.

    Kept like a store's key: in the OS keyring, or derived from a passphrase
    (``keyinfo.json`` in the data folder says which).
    """
    from ma_desk.db import keys

    info = keys.read_keyinfo(data_dir)
    if info is not None:
        return keys.find_key(data_dir, info, ask_passphrase=ask_passphrase), None
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    new = keys.create_key(data_dir, ask_new_passphrase=ask_new_passphrase)
    keys.write_keyinfo(data_dir, new.info)
    return new.key, new.recovery_key


def snapshot_to_file(
    server: ServerDatabase, out: Path, key: StoreKey, progress: Progress = _no_progress
) -> SnapshotResult:
    """Write the server's clinic into a new encrypted store file ``out`` (+ sidecars).

    One consistent snapshot (a REPEATABLE READ, READ ONLY transaction on the server),
    copied into a file created owner-only under a ``.partial`` name, checked (counts,
    audit chain), fsynced, then given its name without replacing anything, with the
    ``.sha256`` and ``.anchor.json`` sidecars of a file backup.
    """
    import secrets

    from ma_desk.atomic_file import fsync_folder, open_private, publish
    from ma_desk.backup import BackupError, _write_anchor, _write_sidecar, file_sha256

    out = Path(out)
    if os.path.lexists(out):
        raise BackupError(f"{out} already exists; choose a new file name. Nothing was written.")
    if not out.parent.is_dir():
        raise BackupError(f"The folder {out.parent} does not exist. Nothing was written.")
    partial = out.with_name(f"{out.name}.{os.getpid()}-{secrets.token_hex(4)}.partial")
    try:
        open_private(partial).close()  # owner-only before SQLCipher writes a byte
        counts, head = _copy_snapshot(server, partial, key, progress)
        digest = file_sha256(partial)
        size = partial.stat().st_size
        publish(partial, out, replace=False)
        _write_sidecar(out, digest)
        _write_anchor(out, head)
        fsync_folder(out.parent)
    except FileExistsError as exc:
        raise BackupError(f"{out} appeared while the backup was written; it was left as it "
                          "is. Choose a new file name.") from exc  # fmt: skip
    except MADeskError:
        raise
    except Exception as exc:  # a disk or folder problem: said, not a crash
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise BackupError(f"The backup to {out} failed ({reason}). The clinic server was not "
                          "changed.") from exc  # fmt: skip
    finally:
        for leftover in (partial, *(partial.with_name(partial.name + s) for s in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
    log.info("server backup written (%d bytes)", size)
    return SnapshotResult(out, digest, size, counts, head)


def _copy_snapshot(
    server: ServerDatabase, partial: Path, key: StoreKey, progress: Progress
) -> tuple[dict[str, int], tuple[int, str] | None]:
    """The server's rows into the new store at ``partial``; returns counts and audit head."""
    from ma_desk.db.migrate import upgrade

    db = open_database(partial, key, create=True)
    try:
        with db.engine.begin() as conn:
            upgrade(conn)
        snapshot = server.engine.connect().execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
        with snapshot as src, src.begin(), db.engine.connect() as dst, dst.begin():
            counts = count_rows(src)
            head = audit.chain_head(Session(bind=src))
            copy_rows(src, dst, progress)
            verify_copy(counts, head, dst, f"the backup file (from {server.where})")
        db.checkpoint()
    finally:
        db.close()
    with open(partial, "rb") as fh:
        os.fsync(fh.fileno())
    return counts, head
