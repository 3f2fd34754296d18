"""Create and open a clinic's store in a data folder.

``open_store`` never creates anything: a missing, empty or cut-short store is
reported, a wrong key or a foreign file leaves every byte as it was. It first
opens the store read-only and checks it (``ma_desk.db.health``); a damaged
store, one that lost records, or one on a disk MA Desk cannot write stays
read-only, and only a healthy one is reopened for writing. ``create_store``
refuses a folder that holds a store or any trace of one.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ma_desk.audit import ChainProblem
from ma_desk.audit import chain_head as audit_head
from ma_desk.backup import clean_leftovers
from ma_desk.db import health, keys
from ma_desk.db.engine import Database, check_not_plain_sqlite, open_database
from ma_desk.db.keys import StoreKey
from ma_desk.db.migrate import SCHEMA_HEAD, SCHEMA_REVISIONS, current_revision, table_count
from ma_desk.db.network_fs import refuse_network_path
from ma_desk.db.store_file import (
    RESTORE_ADVICE,
    check_store_file,
    shm_path,
    store_traces,
    wal_has_content,
    write_problem,
)
from ma_desk.errors import (
    DiskReadOnlyError,
    NotAStoreError,
    StoreDamagedError,
    StoreError,
    StoreTooNewError,
)
from ma_desk.paths import store_path

log = logging.getLogger("ma_desk.db.store")


@dataclass
class OpenedStore:
    db: Database
    data_dir: Path
    key_source: str
    revision: str
    recovery_key: str | None = None  # after creation or a re-key: show it once
    upgraded_from: str | None = None
    backup_before_upgrade: Path | None = None
    # What the witness files say is wrong with the audit chain (empty when it agrees);
    # while non-empty the witness is frozen, so the evidence is kept.
    witness_problems: list[ChainProblem] = field(default_factory=list)
    # What the open-time checks found wrong with the file (empty when it is whole).
    damage: list[str] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return store_path(self.data_dir)


def store_exists(data_dir: Path) -> bool:
    """True when the folder holds a store or a trace of one: never create a store there."""
    path = store_path(data_dir)
    return path.exists() or path.is_symlink() or bool(store_traces(path))


def refuse_missing_store(data_dir: Path) -> None:
    """A missing store is reported; one that vanished leaving traces is not "no store yet"."""
    path = store_path(data_dir)
    if path.exists() or path.is_symlink():
        return
    traces = store_traces(path)
    if traces:
        raise StoreDamagedError(
            f"The clinic store file {path} is missing, but the folder held one (found: "
            f"{', '.join(t.name for t in traces)}). MA Desk will not start a new clinic "
            f"there and changed nothing. {RESTORE_ADVICE}"
        )
    raise StoreError(
        f"There is no clinic store in {data_dir}. Create one (ma-desk demo, or start "
        "MA Desk and follow the first-run steps) or choose another data folder."
    )


def create_store(
    data_dir: Path,
    *,
    passphrase: str | None = None,
    ask_new_passphrase: keys.NewPassphrasePrompt | None = None,
    use_keyring: bool = True,
) -> OpenedStore:
    """A new, empty, migrated store; returns it with the recovery key to show once."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    refuse_network_path(data_dir)
    path = store_path(data_dir)
    if store_exists(data_dir):
        raise StoreError(f"{data_dir} already holds a clinic store; it was not changed.")
    new = keys.create_key(
        data_dir,
        passphrase=passphrase,
        ask_new_passphrase=ask_new_passphrase,
        use_keyring=use_keyring,
    )
    db = open_database(path, new.key, create=True)
    from ma_desk.security.witness import reset_witness

    try:
        with db.engine.begin() as conn:
            from ma_desk.db.migrate import upgrade

            upgrade(conn)
        keys.write_keyinfo(data_dir, new.info)
        path.chmod(0o600)
        reset_witness(data_dir, db)  # a shadow copy left by an earlier store at this path
        attach_witness(db, data_dir)
    except BaseException:
        db.close()
        for leftover in (
            path,
            path.with_name(path.name + "-wal"),
            path.with_name(path.name + "-shm"),
        ):
            leftover.unlink(missing_ok=True)
        raise
    log.info("created store (key in %s)", new.info.source)
    return OpenedStore(db, data_dir, new.info.source, SCHEMA_HEAD, recovery_key=new.recovery_key)


def open_store(
    data_dir: Path,
    *,
    passphrase: str | None = None,
    recovery_key: str | None = None,
    ask_passphrase: keys.PassphrasePrompt | None = None,
    new_passphrase: str | None = None,
    ask_new_passphrase: keys.NewPassphrasePrompt | None = None,
    upgrade: bool = True,
    full_check: bool = False,
) -> OpenedStore:
    """Open an existing store; upgrade an older schema after copying the file.

    ``full_check`` also checks every page and b-tree before deciding (seconds on a
    large clinic): the command line asks for it; the app runs it in the background.
    After a recovery-key open, ``new_passphrase`` / ``ask_new_passphrase`` serve a
    computer without a keyring (see ``keys.settle_key``); a read-only store is left
    as it is.
    """
    path = store_path(data_dir)
    refuse_missing_store(data_dir)
    refuse_network_path(data_dir)
    check_store_file(path)
    check_not_plain_sqlite(path)
    key, info = keys.key_for_open(
        data_dir, passphrase=passphrase, recovery_key=recovery_key, ask_passphrase=ask_passphrase
    )
    checked = _open_checked(path, key, data_dir, full_check=full_check)
    if checked.db.read_only:
        return _read_only_store(checked, data_dir, key)
    checked.db.close()
    revision, upgraded_from, backup = checked.revision, None, None
    db = open_database(path, key)
    try:
        # Connected now, so that closing on any failure below checkpoints and removes the
        # -wal/-shm the read-only check left (the folder looks as before).
        db.engine.connect().close()
        if revision != SCHEMA_HEAD:
            if not upgrade:
                raise StoreError(f"{path} needs an upgrade to schema {SCHEMA_HEAD}.")
            backup = copy_before_upgrade(db, path, revision)
            from ma_desk.db.migrate import upgrade as run_upgrade

            with db.engine.begin() as conn:
                run_upgrade(conn)
            upgraded_from, revision = revision or "empty", SCHEMA_HEAD
        settled = keys.settle_key(data_dir, info, key, release_store=db.close,
                                  new_passphrase=new_passphrase,
                                  ask_new_passphrase=ask_new_passphrase)  # fmt: skip
    except BaseException:
        db.close()
        raise
    if settled.key.raw != key.raw:  # re-keyed: the old engine was closed
        db = open_database(path, settled.key)
    # The read-only check stands unless an upgrade came first (its schema is new here).
    problems = attach_witness(db, data_dir, None if upgraded_from else checked.witness)
    if problems:
        db.switch_to_read_only(health.lost_records_reason(problems))
    clean_leftovers(data_dir)  # of backups and restores killed mid-way
    return OpenedStore(
        db,
        data_dir,
        settled.source,
        revision,
        recovery_key=settled.recovery_key,
        upgraded_from=upgraded_from,
        backup_before_upgrade=backup,
        witness_problems=problems,
    )


def _read_only_store(checked: _Checked, data_dir: Path, key: StoreKey) -> OpenedStore:
    """The checked store as it is: no upgrade, no re-key, no clean-up, nothing written."""
    db = checked.db
    if checked.revision != SCHEMA_HEAD:
        db.close()
        raise StoreError(
            f"{db.path} needs an upgrade to schema {SCHEMA_HEAD}, which cannot be done now. "
            f"{db.read_only_reason}"
        )
    problems = attach_witness(db, data_dir, checked.witness or UNREADABLE_WITNESS)
    return OpenedStore(db, data_dir, key.source, SCHEMA_HEAD, witness_problems=problems,
                       damage=checked.damage)  # fmt: skip


@dataclass
class _Checked:
    """The store opened read-only and checked, before anything may write to it."""

    db: Database
    revision: str | None
    damage: list[str]
    witness: WitnessCheck | None  # None: not checked (an older schema, or unreadable)


def _open_checked(path: Path, key: StoreKey, data_dir: Path, *, full_check: bool) -> _Checked:
    """Open read-only, check, and leave ``db.read_only_reason`` empty only if all is well."""
    cannot_write = write_problem(path)
    wal_had_content = wal_has_content(path)
    immutable = cannot_write is not None and _needs_immutable(path, wal_had_content)
    db = open_database(path, key, read_only_reason=health.CHECKING, immutable=immutable)
    try:
        with db.engine.connect() as conn:  # keys and checks the file before anything else
            revision = current_revision(conn)
            tables = table_count(conn)
        _refuse_foreign_or_newer(path, revision, tables)
        damage, witness = _find_damage(
            db, data_dir, revision, full_check=full_check, wal_had_content=wal_had_content
        )
    except BaseException:
        db.close()
        raise
    lost = witness.problems if witness else []
    db.read_only_reason = health.read_only_reason(damage, lost, cannot_write)
    if db.read_only:
        log.info("opened the clinic store read-only")
    return _Checked(db, revision, damage, witness)


def _find_damage(
    db: Database, data_dir: Path, revision: str | None, *, full_check: bool, wal_had_content: bool
) -> tuple[list[str], WitnessCheck | None]:
    """Damage in the file and records missing by the witness; a page SQLite cannot read
    while checking is itself damage (the store then opens read-only)."""
    damage: list[str] = []
    witness = None
    try:
        damage = health.structure_problems(
            db, store_path(data_dir), wal_had_content=wal_had_content
        )
        if full_check and not damage:
            damage = health.integrity_problems(db)
        if revision == SCHEMA_HEAD:  # an older schema is checked after its upgrade
            witness = check_witness(db, data_dir)
    except StoreDamagedError as exc:
        damage = [*damage, *(exc.details or [str(exc)])]
    return damage, witness


def _needs_immutable(path: Path, wal_had_content: bool) -> bool:
    """On a folder MA Desk cannot write, SQLite can read only if the -shm exists or no WAL."""
    if shm_path(path).exists():
        return False
    if wal_had_content:
        raise DiskReadOnlyError(
            f"The clinic store in {path.parent} cannot be opened: its latest changes are still "
            f"in {path.name}-wal, which SQLite can only read where it may write. Nothing was "
            "changed; do not delete any file there. Call your support contact to make the disk "
            "or folder writable again, then restart MA Desk."
        )
    return True


def _refuse_foreign_or_newer(path: Path, revision: str | None, tables: int) -> None:
    if revision is None and tables > 0:
        raise NotAStoreError(
            f"{path} is an encrypted database but not an MA Desk store; it was not changed."
        )
    if revision not in SCHEMA_REVISIONS and revision not in (None, ""):
        raise StoreTooNewError(
            f"{path} was written by a newer MA Desk (schema {revision}). Install the "
            "newer version; this one will not touch the store."
        )


@dataclass(frozen=True)
class WitnessCheck:
    """What the witness files say about a store: problems, or no witness at all."""

    problems: list[ChainProblem]
    missing: bool  # the store has audit entries but no witness file remembers one


def check_witness(db: Database, data_dir: Path) -> WitnessCheck:
    from ma_desk.security.witness import read_witnesses, witness_problems

    with db.read() as session:
        problems = witness_problems(session, data_dir)
        has_entries = audit_head(session) is not None
    return WitnessCheck(problems, has_entries and not read_witnesses(data_dir))


# A damaged store whose audit trail cannot be read: the witness stays where it is.
UNREADABLE_WITNESS = WitnessCheck(problems=[], missing=False)


def attach_witness(
    db: Database, data_dir: Path, checked: WitnessCheck | None = None
) -> list[ChainProblem]:
    """Check the store against its witness files (unless ``checked`` already did, on the
    read-only open); keep them moving only if they agree."""
    from ma_desk.security.witness import WitnessHook, finish_restore

    checked = checked or check_witness(db, data_dir)
    db.witness_frozen = bool(checked.problems)
    db.witness_missing = checked.missing
    if not checked.problems:
        if not db.read_only:
            finish_restore(data_dir, db)
        db.witness = WitnessHook(data_dir)
    return checked.problems


def copy_before_upgrade(db: Database, path: Path, revision: str | None) -> Path:
    """A full copy of the (still encrypted) file before its schema changes."""
    db.checkpoint()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.before-{revision or 'empty'}-{stamp}.bak")
    shutil.copy2(path, target)
    return target
