"""Encrypted backups of the clinic store and restoring one, safely.

A backup is ``VACUUM INTO`` a new file: one read transaction, so the copy is
consistent while the app keeps writing, and SQLCipher encrypts it with the
store's key. It is written under a ``.partial`` name, checked (integrity,
audit entry count) through ATTACH, fsynced, then renamed, and a
``FILE.sha256`` sidecar (sha256sum format) is written beside it.

Restoring checks everything on a private copy first (SHA-256, key, schema,
``integrity_check``, the audit chain); only then is the live store moved
aside (``clinic.madesk.replaced-STAMP``) and the copy put in its place. A
file that fails any check changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from ma_desk import audit
from ma_desk.actor import Actor
from ma_desk.db.engine import Database, check_not_plain_sqlite, connect_raw, make_engine
from ma_desk.db.keys import StoreKey
from ma_desk.db.migrate import SCHEMA_REVISIONS, current_revision
from ma_desk.db.network_fs import refuse_network_path
from ma_desk.errors import MADeskError, StoreError, WrongKeyError
from ma_desk.paths import store_path

log = logging.getLogger("ma_desk.backup")

BACKUP_SUFFIX = ".madesk"
SIDECAR_SUFFIX = ".sha256"
BACKUP_DIRNAME = "backups"
_SCHEDULED = re.compile(r"^clinic-(\d{8})-(\d{6})\.madesk$")


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


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ------------------------------------------------------------------ backup
def backup_store(db: Database, out: Path, *, actor: Actor | None = None) -> BackupResult:
    """Write a consistent encrypted copy of the open store to ``out`` (+ ``out.sha256``)."""
    out = Path(out)
    if out.exists():
        raise BackupError(f"{out} already exists; choose a new file name. Nothing was written.")
    if not out.parent.is_dir():
        raise BackupError(f"The folder {out.parent} does not exist. Nothing was written.")
    if db.path is not None and out.resolve() == db.path.resolve():
        raise BackupError("A backup cannot overwrite the live store.")
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        pooled = db.engine.raw_connection()  # autocommit: VACUUM needs no open transaction
        try:
            raw = pooled.driver_connection
            raw.execute("VACUUM INTO ?", (str(partial),))
            raw.execute("ATTACH DATABASE ? AS backup_check", (str(partial),))
            try:
                ok = raw.execute("PRAGMA backup_check.integrity_check").fetchone()[0]
                copied = raw.execute("SELECT count(*) FROM backup_check.audit_events").fetchone()[0]
            finally:
                raw.execute("DETACH DATABASE backup_check")
        finally:
            pooled.close()
        if ok != "ok":
            raise BackupError(f"The new backup failed its integrity check ({ok}); it was removed.")
        _fsync_file(partial)
        digest = file_sha256(partial)
        size = partial.stat().st_size
        os.replace(partial, out)
        side = sidecar_path(out)
        side.write_text(f"{digest}  {out.name}\n", encoding="ascii")
        _fsync_file(side)
        _fsync_dir(out.parent)
    except MADeskError:
        partial.unlink(missing_ok=True)
        raise
    except Exception as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(
            f"The backup to {out} failed ({_reason(exc)}). The clinic store was not changed."
        ) from exc
    if actor is not None:
        with db.write() as s:
            audit.record(s, actor, "backup", "store", out.name,
                         details={"file": str(out), "sha256": digest, "bytes": size})  # fmt: skip
    log.info("backup written (%d bytes)", size)
    return BackupResult(out, digest, size, int(copied or 0))


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
    return not any(_SCHEDULED.match(p.name).group(1) == stamp for p in scheduled_backups(data_dir))


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
    return old


# ------------------------------------------------------------------ restore
def check_sidecar(backup: Path) -> str:
    """The file's SHA-256, after checking it against ``FILE.sha256``."""
    side = sidecar_path(backup)
    try:
        expected = side.read_text(encoding="ascii").split()[0].lower()
    except (OSError, IndexError, UnicodeDecodeError) as exc:
        raise BackupError(
            f"{side.name} is missing or unreadable beside {backup.name}, so the backup "
            "cannot be checked. Nothing was changed."
        ) from exc
    actual = file_sha256(backup)
    if actual != expected:
        raise BackupError(
            f"{backup.name} does not match its SHA-256 checksum: the file is damaged or was "
            "changed after the backup. Nothing was changed; use another backup."
        )
    return actual


@dataclass
class VerifiedCopy:
    """A checked private copy of a backup, open, waiting to be installed or discarded."""

    path: Path
    db: Database
    key: StoreKey
    audit_entries: int

    def discard(self) -> None:
        self.db.close()
        for p in (self.path, *_sidecars_of(self.path)):
            p.unlink(missing_ok=True)


def _sidecars_of(path: Path) -> tuple[Path, Path]:
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


def verify_backup_copy(backup: Path, data_dir: Path, keys_to_try: list[StoreKey]) -> VerifiedCopy:
    """Copy ``backup`` into the data folder and check it; raises BackupError on any fault."""
    backup = Path(backup)
    if not backup.is_file():
        raise BackupError(f"There is no backup file at {backup}. Nothing was changed.")
    try:
        check_not_plain_sqlite(backup)
    except StoreError as exc:
        raise BackupError(f"{backup.name} is not an MA Desk backup: {exc}") from exc
    check_sidecar(backup)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    refuse_network_path(data_dir)
    copy = data_dir / f".restore-{os.getpid()}{BACKUP_SUFFIX}"
    for p in (copy, *_sidecars_of(copy)):
        p.unlink(missing_ok=True)
    copy.write_bytes(backup.read_bytes())
    copy.chmod(0o600)
    key = _key_that_opens(copy, keys_to_try, backup)
    db = Database(make_engine(copy, key), copy)
    verified = VerifiedCopy(copy, db, key, 0)
    try:
        with db.engine.connect() as conn:
            revision = current_revision(conn)
            if revision not in SCHEMA_REVISIONS:
                raise BackupError(
                    f"{backup.name} is an encrypted database but not a backup of an MA Desk "
                    f"store this version can use (schema {revision}). Nothing was changed."
                )
            ok = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
            bad_pages = conn.exec_driver_sql("PRAGMA cipher_integrity_check").fetchall()
            if ok != "ok" or bad_pages:
                raise BackupError(
                    f"{backup.name} failed the integrity check ({ok}). Nothing was changed; "
                    "use another backup."
                )
            conn.execute(text("SELECT 1"))
        with db.read() as s:
            problems = audit.verify_store(s)
            verified.audit_entries = s.execute(text("SELECT count(*) FROM audit_events")).scalar()
        if problems:
            raise BackupError(
                f"The audit trail in {backup.name} is damaged ({problems[0]}). Nothing was "
                "changed; use another backup."
            )
    except BaseException:
        verified.discard()
        raise
    return verified


def _key_that_opens(copy: Path, keys_to_try: list[StoreKey], original: Path) -> StoreKey:
    for key in keys_to_try:
        try:
            connect_raw(copy, key).close()
            return key
        except WrongKeyError:
            continue
        except StoreError as exc:
            raise BackupError(f"{original.name} cannot be read: {exc}") from exc
    for p in (copy, *_sidecars_of(copy)):
        p.unlink(missing_ok=True)
    raise BackupError(
        f"{original.name} does not open with this store's key: it is not an MA Desk backup, "
        "it belongs to another clinic store, or it was made before the key was changed "
        "(then give that time's recovery key with --backup-recovery-key). Nothing was changed."
    )


def refuse_if_in_use(live: Path, live_key: StoreKey | None) -> None:
    """Refuse while another program (MA Desk) has the live store open.

    SQLite removes the ``-shm`` file when the last connection closes; if it is
    still there after our own connection came and went, someone else holds it.
    """
    shm = live.with_name(live.name + "-shm")
    if not live.exists() or not shm.exists():
        return
    if live_key is not None:
        try:
            connect_raw(live, live_key).close()
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
    from ma_desk.security.witness import reset_witness

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
        audit.record(s, actor, "restore", "store", restored_from.name,
                     details={"file": str(restored_from),
                              "sha256": file_sha256(restored_from)})  # fmt: skip
    verified.db.checkpoint()
    verified.db.close()
    for p in _sidecars_of(verified.path):
        p.unlink(missing_ok=True)
    replaced = None
    if live.exists():
        replaced = live.with_name(f"{live.name}.replaced-{now:%Y%m%d-%H%M%S}")
        os.replace(live, replaced)
        for side, moved in zip(_sidecars_of(live), _sidecars_of(replaced), strict=True):
            if side.exists():
                os.replace(side, moved)
    os.replace(verified.path, live)
    _fsync_dir(data_dir)
    reopened = Database(make_engine(live, target_key), live)
    try:
        reset_witness(data_dir, reopened)  # the restored chain is the store's chain now
    finally:
        reopened.close()
    return RestoreResult(restored_from, replaced, verified.audit_entries + 1)
