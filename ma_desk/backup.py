"""Encrypted backups of the clinic store and restoring one, safely.

A backup is ``VACUUM INTO`` a new file: one read transaction, so the copy is
consistent while the app keeps writing, and SQLCipher encrypts it with the
store's key. It is written under a ``FILE.PID-TOKEN.partial`` name (created
owner-only before any byte), checked (integrity, audit entry count) through
ATTACH, fsynced, then given its name without ever replacing a file, and a
``FILE.sha256`` sidecar (sha256sum format, owner-only) is written beside it.
While it is written, a ``.backup-PID-TOKEN.pending`` note in the data folder
names the partial file, so a backup killed mid-way is cleaned up at the next
start wherever it was going.

Restoring checks everything on a private copy first (SHA-256, every page's
HMAC, key, schema, ``integrity_check``, the audit chain); only then is the live
store moved aside (``clinic.madesk.replaced-STAMP``) and the copy put in its
place. A file that fails any check is refused with a BackupError saying what is
wrong, and changes nothing. The private copy (``.restore-PID.madesk``) of a
restore that was killed is removed at the next start.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import sqlcipher3
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ma_desk import audit
from ma_desk.actor import Actor
from ma_desk.atomic_file import fsync_folder, open_private, publish, write_text_atomic
from ma_desk.db.engine import (
    Database,
    check_not_plain_sqlite,
    connect_raw,
    make_engine,
    store_uri,
)
from ma_desk.db.keys import StoreKey
from ma_desk.db.migrate import SCHEMA_REVISIONS, current_revision
from ma_desk.db.network_fs import refuse_network_path
from ma_desk.errors import MADeskError, StoreError
from ma_desk.leftovers import remove_stale, stale_files
from ma_desk.paths import store_path
from ma_desk.security.verification import backup_anchor_path

log = logging.getLogger("ma_desk.backup")

BACKUP_SUFFIX = ".madesk"
SIDECAR_SUFFIX = ".sha256"
BACKUP_DIRNAME = "backups"
_SCHEDULED = re.compile(r"^clinic-(\d{8})-(\d{6})\.madesk$")
# What a killed backup or restore leaves; each name carries the writing process's id.
PARTIAL = re.compile(r"^.+\.(?P<pid>\d+)-(?P<token>[0-9a-f]+)\.partial$")
PENDING = re.compile(r"^\.backup-(?P<pid>\d+)-(?P<token>[0-9a-f]+)\.pending$")
RESTORE_COPY = re.compile(r"^\.restore-(?P<pid>\d+)\.madesk(?:-wal|-shm|-journal)?$")
DAMAGE_ERRORS = (DBAPIError, sqlcipher3.DatabaseError)
_SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


class BackupError(StoreError):
    """A backup could not be written or a file cannot be restored; nothing was changed."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    sha256: str
    size: int
    audit_entries: int


@dataclass(frozen=True)
class RestoreResult:
    restored_from: Path
    replaced: Path | None
    audit_entries: int


# ------------------------------------------------------------------ hashing
def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


# ------------------------------------------------------------------ backup
def backup_store(db: Database, out: Path, *, actor: Actor | None = None) -> BackupResult:
    """Write a consistent encrypted copy of the open store to ``out`` (+ ``out.sha256``)."""
    out = Path(out)
    if db.kind != "sqlcipher":  # a server is copied by server_move.snapshot_to_file
        raise BackupError("This copies a store file; a clinic server is backed up with "
                          "ma-desk backup --database-url URL. Nothing was written.")  # fmt: skip
    if os.path.lexists(out):
        raise BackupError(f"{out} already exists; choose a new file name. Nothing was written.")
    if not out.parent.is_dir():
        raise BackupError(f"The folder {out.parent} does not exist. Nothing was written.")
    if db.path is not None and out.resolve() == db.path.resolve():
        raise BackupError("A backup cannot overwrite the live store.")
    token = secrets.token_hex(4)
    partial = out.with_name(f"{out.name}.{os.getpid()}-{token}.partial")
    pending = None
    try:
        pending = _note_pending(db, partial, token)
        open_private(partial).close()  # owner-only before VACUUM INTO writes a byte
        copied, head = _vacuum_into(db, partial)
        _fsync_file(partial)
        digest = file_sha256(partial)
        size = partial.stat().st_size
        publish(partial, out, replace=False)
        _write_sidecar(out, digest)
        _write_anchor(out, head)
        fsync_folder(out.parent)
    except FileExistsError as exc:
        raise BackupError(
            f"{out} appeared while the backup was written; it was left as it is. Choose a "
            "new file name."
        ) from exc
    except MADeskError:
        raise
    except Exception as exc:
        raise BackupError(
            f"The backup to {out} failed ({_reason(exc)}). The clinic store was not changed."
        ) from exc
    finally:
        _remove_sqlite_files(partial)
        if pending is not None:
            pending.unlink(missing_ok=True)
    if actor is not None:
        with db.write() as s:
            audit.record(s, actor, "backup", "store", out.name,
                         details={"file": str(out), "sha256": digest, "bytes": size})  # fmt: skip
    log.info("backup written (%d bytes)", size)
    return BackupResult(out, digest, size, copied)


def _note_pending(db: Database, partial: Path, token: str) -> Path | None:
    """A note in the data folder naming the partial file, for the cleanup after a kill."""
    if db.path is None:
        return None
    note = db.path.parent / f".backup-{os.getpid()}-{token}.pending"
    write_text_atomic(note, str(partial.absolute()), replace=False)
    return note


def _vacuum_into(db: Database, partial: Path) -> tuple[int, tuple[int, str] | None]:
    """Copy the store into ``partial`` and check the copy; returns its audit entry count and
    the newest entry it holds (the head the backup vouches for)."""
    pooled = db.engine.raw_connection()  # autocommit: VACUUM needs no open transaction
    try:
        raw = pooled.driver_connection
        assert raw is not None  # sqlcipher3's connection while the pooled one is open
        raw.execute("VACUUM INTO ?", (str(partial),))
        raw.execute("ATTACH DATABASE ? AS backup_check", (str(partial),))
        try:
            ok = raw.execute("PRAGMA backup_check.integrity_check").fetchone()[0]
            copied = raw.execute("SELECT count(*) FROM backup_check.audit_events").fetchone()[0]
            head = raw.execute("SELECT id, hash FROM backup_check.audit_events "
                               "ORDER BY id DESC LIMIT 1").fetchone()  # fmt: skip
        finally:
            raw.execute("DETACH DATABASE backup_check")
    finally:
        pooled.close()
    if ok != "ok":
        raise BackupError(f"The new backup failed its integrity check ({ok}); it was removed.")
    return int(copied or 0), (int(head[0]), str(head[1])) if head else None


def _write_anchor(out: Path, head: tuple[int, str] | None) -> None:
    """``out.anchor.json``: the audit head this backup holds, an anchor outside the store
    (``audit verify`` compares the live trail with it; ma_desk/security/verification.py)."""
    if head is None:
        return
    write_text_atomic(backup_anchor_path(out), json.dumps(
        {"audit_head": [head[0], head[1]], "made_at": dt.datetime.now(dt.UTC).isoformat()}
    ), encoding="ascii")  # fmt: skip


def _write_sidecar(out: Path, digest: str) -> None:
    """``out.sha256`` beside the new backup; without it the backup is of no use, so it goes."""
    try:
        # UTF-8 (as sha256sum writes it): a backup may be named in any language.
        write_text_atomic(sidecar_path(out), f"{digest}  {out.name}\n", encoding="utf-8")
    except BaseException:
        out.unlink(missing_ok=True)
        raise


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc).split("\n")[0][:200] or type(exc).__name__


# ------------------------------------------------------------------ scheduled
def backup_dir(data_dir: Path) -> Path:
    return data_dir / BACKUP_DIRNAME


def scheduled_backups(data_dir: Path) -> list[Path]:
    """The daily backups in the data folder's backups/, oldest first."""
    folder = backup_dir(data_dir)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _SCHEDULED.match(p.name))


def backup_due(data_dir: Path, today: dt.date) -> bool:
    stamp = today.strftime("%Y%m%d")
    return not any(p.name.startswith(f"clinic-{stamp}-") for p in scheduled_backups(data_dir))


def run_scheduled_backup(
    db: Database, data_dir: Path, *, keep: int, now: dt.datetime, actor: Actor | None = None
) -> BackupResult | None:
    """Today's backup in ``backups/`` unless one exists; keeps the newest ``keep``."""
    if not backup_due(data_dir, now.date()):
        return None
    folder = backup_dir(data_dir)
    folder.mkdir(mode=0o700, exist_ok=True)
    result = backup_store(db, folder / f"clinic-{now:%Y%m%d-%H%M%S}{BACKUP_SUFFIX}", actor=actor)
    prune_backups(data_dir, keep)
    return result


def prune_backups(data_dir: Path, keep: int) -> list[Path]:
    keep = max(1, int(keep))
    old = scheduled_backups(data_dir)[:-keep]
    for path in old:
        path.unlink(missing_ok=True)
        sidecar_path(path).unlink(missing_ok=True)
        backup_anchor_path(path).unlink(missing_ok=True)
    return old


# ------------------------------------------------------------------ leftovers
def clean_leftovers(data_dir: Path) -> list[Path]:
    """Remove what killed backups and restores left behind; never a running process's files.

    Called when the store is opened. A restore's private copy lives in the data
    folder; a backup's partial file is wherever the backup was going, named by the
    ``.pending`` note the backup left in the data folder.
    """
    removed = remove_stale(data_dir, RESTORE_COPY)
    for note in stale_files(data_dir, PENDING):
        partial = _partial_named_by(note)
        if partial is not None:
            removed += _remove_sqlite_files(partial)
        note.unlink(missing_ok=True)
        removed.append(note)
    return removed


def _partial_named_by(note: Path) -> Path | None:
    """The partial backup a note names, only if it is that same backup's (process and token)."""
    try:
        partial = Path(note.read_text(encoding="utf-8").strip())
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    match, owner = PARTIAL.match(partial.name), PENDING.match(note.name)
    if match is None or owner is None or match.group("pid", "token") != owner.group("pid", "token"):
        return None
    return partial


# ------------------------------------------------------------------ restore
def check_sidecar(backup: Path) -> str:
    """The file's SHA-256, after checking it against ``FILE.sha256``."""
    expected = _recorded_sha256(backup)
    actual = file_sha256(backup)
    if actual != expected:
        raise BackupError(
            f"{backup.name} does not match its SHA-256 checksum: the file is damaged or was "
            "changed after the backup. Nothing was changed; use another backup."
        )
    return actual


def _recorded_sha256(backup: Path) -> str:
    side = sidecar_path(backup)
    try:
        words = side.read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError) as exc:
        raise BackupError(
            f"{side.name} is missing or unreadable beside {backup.name}, so the backup "
            "cannot be checked. Nothing was changed."
        ) from exc
    if not words or not _SHA256_HEX.match(words[0]):
        raise BackupError(
            f"{side.name} is not a SHA-256 checksum, so {backup.name} cannot be checked. "
            "Nothing was changed; use another backup or the checksum written with it."
        )
    return words[0].lower()


@dataclass
class VerifiedCopy:
    """A checked private copy of a backup, open, waiting to be installed or discarded."""

    path: Path
    db: Database
    key: StoreKey
    audit_entries: int

    def discard(self) -> None:
        self.db.close()
        _remove_sqlite_files(self.path)


def _sidecars_of(path: Path) -> tuple[Path, Path]:
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


def _remove_sqlite_files(path: Path) -> list[Path]:
    """Remove a database file SQLite was writing and its journal files; returns those removed."""
    removed = []
    for p in (path, *(path.with_name(path.name + s) for s in ("-journal", "-wal", "-shm"))):
        if os.path.lexists(p):
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed


def verify_backup_copy(backup: Path, data_dir: Path, keys_to_try: list[StoreKey]) -> VerifiedCopy:
    """Copy ``backup`` into the data folder and check it; raises BackupError on any fault."""
    backup = Path(backup)
    if not backup.is_file():
        raise BackupError(f"There is no backup file at {backup}. Nothing was changed.")
    try:
        check_not_plain_sqlite(backup)
    except StoreError as exc:
        raise BackupError(f"{backup.name} is not an MA Desk backup: {exc}") from exc
    expected = check_sidecar(backup)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    refuse_network_path(data_dir)
    copy = data_dir / f".restore-{os.getpid()}{BACKUP_SUFFIX}"
    _remove_sqlite_files(copy)
    try:
        if _private_copy(backup, copy) != expected:
            raise BackupError(
                f"{backup.name} changed while it was being read. Nothing was changed; "
                "restore again when nothing is writing to it."
            )
        key = _key_that_opens(copy, keys_to_try, backup)
        verified = VerifiedCopy(copy, Database(make_engine(copy, key), copy), key, 0)
    except BaseException:
        _remove_sqlite_files(copy)
        raise
    try:
        verified.audit_entries = _check_copy(verified.db, backup.name)
    except BaseException:
        verified.discard()
        raise
    return verified


def _private_copy(backup: Path, copy: Path) -> str:
    """Copy ``backup`` to a new owner-only file; returns the SHA-256 of what was copied."""
    digest = hashlib.sha256()
    try:
        with open(backup, "rb") as source, open_private(copy) as target:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                digest.update(chunk)
                target.write(chunk)
            target.flush()
            os.fsync(target.fileno())
    except OSError as exc:
        raise BackupError(
            f"{backup.name} could not be copied into {copy.parent} ({_reason(exc)}). "
            "Nothing was changed."
        ) from exc
    return digest.hexdigest()


def _check_copy(db: Database, name: str) -> int:
    """Schema, integrity and audit chain of the copy; returns its audit entry count."""
    try:
        with db.engine.connect() as conn:
            revision = current_revision(conn)
            if revision not in SCHEMA_REVISIONS:
                raise BackupError(
                    f"{name} is an encrypted database but not a backup of an MA Desk "
                    f"store this version can use (schema {revision}). Nothing was changed."
                )
            ok = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
            if ok != "ok":
                raise BackupError(
                    f"{name} failed the integrity check ({ok}). Nothing was changed; "
                    "use another backup."
                )
        with db.read() as s:
            problems = audit.verify_store(s)
            entries = s.execute(text("SELECT count(*) FROM audit_events")).scalar()
    except BackupError:
        raise
    except (*DAMAGE_ERRORS, StoreError) as exc:
        raise BackupError(
            f"{name} is damaged: {_db_reason(exc)}. Nothing was changed; use another backup."
        ) from exc
    if problems:
        raise BackupError(
            f"The audit trail in {name} is damaged ({problems[0]}). Nothing was "
            "changed; use another backup."
        )
    return int(entries or 0)


def _db_reason(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).split("\n")[0][:200]


def _key_that_opens(copy: Path, keys_to_try: list[StoreKey], original: Path) -> StoreKey:
    """The first key under which every page of ``copy`` passes its HMAC check.

    A wrong key fails every page; the right key fails only the damaged pages, so a
    damaged backup is reported as damaged, naming the first bad page.
    """
    for key in keys_to_try:
        pages, problems = _page_problems(copy, key)
        if not problems:
            return key
        if len(problems) < pages:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise BackupError(
                f"{original.name} is damaged: {problems[0]}{more}. Nothing was changed; "
                "use another backup."
            )
    raise BackupError(
        f"{original.name} does not open with this store's key: it is not an MA Desk backup, "
        "it belongs to another clinic store, it is damaged, or it was made before the key "
        "was changed (then give that time's recovery key with --backup-recovery-key). "
        "Nothing was changed."
    )


def _page_problems(path: Path, key: StoreKey) -> tuple[int, list[str]]:
    """(pages in the file, SQLCipher's complaints) from a read-only page-by-page HMAC check."""
    conn = sqlcipher3.connect(store_uri(path, read_only=True), uri=True, isolation_level=None)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f'PRAGMA key = "{key.pragma_value()}"')
        page_size = int(conn.execute("PRAGMA cipher_page_size").fetchone()[0])
        problems = [str(row[0]) for row in conn.execute("PRAGMA cipher_integrity_check")]
    except sqlcipher3.DatabaseError as exc:
        return 1, [_db_reason(exc)]
    finally:
        conn.close()
    return -(-path.stat().st_size // page_size), problems


def refuse_if_in_use(live: Path, live_key: StoreKey | None) -> None:
    """Refuse while another program (MA Desk) has the live store open.

    SQLite removes the ``-shm`` file when the last connection closes; if it is
    still there after our own connection came and went, someone else holds it.
    """
    shm = live.with_name(live.name + "-shm")
    if not live.exists() or not shm.exists():
        return
    if live_key is not None:
        try:  # read-only: closing must not checkpoint a damaged store's WAL into it
            connect_raw(live, live_key, read_only=True).close()
        except StoreError:
            return  # a damaged live store is exactly what a restore is for
    if shm.exists():
        raise BackupError(
            f"The clinic store in {live.parent} is open in MA Desk (or another program). "
            "Close MA Desk on this computer, then restore again. Nothing was changed."
        )


def install_verified(
    verified: VerifiedCopy,
    data_dir: Path,
    *,
    live_key: StoreKey | None,
    actor: Actor,
    restored_from: Path,
    now: dt.datetime,
) -> RestoreResult:
    """Move the live store aside and put the verified copy in its place (audited).

    A backup made before a key change is re-keyed to today's key first, so the
    restored store opens with the keyring entry or passphrase as usual.
    """
    from ma_desk.security.witness import expect_restore, reset_witness

    live = store_path(data_dir)
    try:
        refuse_if_in_use(live, live_key)
    except BackupError:
        verified.discard()
        raise
    target_key = live_key or verified.key
    if target_key.raw != verified.key.raw:
        verified.db.close()
        raw = connect_raw(verified.path, verified.key)
        try:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            raw.execute(f'PRAGMA rekey = "{target_key.pragma_value()}"')
        finally:
            raw.close()
        verified.db = Database(make_engine(verified.path, target_key), verified.path)
        verified.key = target_key
    with verified.db.write() as s:
        restored_head = audit.chain_head(s)
        audit.record(s, actor, "restore", "store", restored_from.name,
                     details={"file": str(restored_from), "sha256": file_sha256(restored_from),
                              "restored_head": list(restored_head or (0, ""))})  # fmt: skip
        new_head = audit.chain_head(s)
    verified.db.checkpoint()
    verified.db.close()
    for p in _sidecars_of(verified.path):
        p.unlink(missing_ok=True)
    expect_restore(data_dir, new_head)  # a kill from here on is not mistaken for tampering
    replaced = _swap_in(verified.path, live, live_key, now)
    fsync_folder(data_dir)
    reopened = Database(make_engine(live, target_key), live)
    try:
        reset_witness(data_dir, reopened)  # the restored chain is the store's chain now
    finally:
        reopened.close()
    return RestoreResult(restored_from, replaced, verified.audit_entries + 1)


def _swap_in(new: Path, live: Path, live_key: StoreKey | None, now: dt.datetime) -> Path | None:
    """Put ``new`` at ``live``'s name; the old store is kept as ``.replaced-STAMP``.

    A healthy live store is checkpointed (no WAL left), kept by a hard link, and
    replaced in one rename: at every instant a store is at ``live``. A damaged one
    (its WAL must not be written into it) is moved aside with its WAL first.
    """
    if not live.exists():
        os.replace(new, live)
        return None
    replaced = live.with_name(f"{live.name}.replaced-{now:%Y%m%d-%H%M%S}")
    if live_key is not None and _checkpointed(live, live_key):
        try:
            os.link(live, replaced)
        except OSError:  # no hard links on this filesystem: the two-step move below
            pass
        else:
            os.replace(new, live)
            return replaced
    os.replace(live, replaced)
    for side, moved in zip(_sidecars_of(live), _sidecars_of(replaced), strict=True):
        if side.exists():
            os.replace(side, moved)
    os.replace(new, live)
    return replaced


def _checkpointed(live: Path, key: StoreKey) -> bool:
    """True when the live store is readable and its WAL is now empty and gone."""
    try:
        raw = connect_raw(live, key)
    except StoreError:
        return False
    try:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlcipher3.Error:
        return False
    finally:
        raw.close()
    return not any(side.exists() and side.stat().st_size for side in _sidecars_of(live))
