"""Create and open a clinic's store in a data folder.

``open_store`` never creates anything: a missing store is reported, a wrong
key or a foreign file leaves every byte as it was. ``create_store`` refuses a
folder that already holds a store.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ma_desk.audit import chain_head as audit_head
from ma_desk.backup import clean_leftovers
from ma_desk.db import keys
from ma_desk.db.engine import Database, check_not_plain_sqlite, make_engine
from ma_desk.db.migrate import SCHEMA_HEAD, SCHEMA_REVISIONS, current_revision, table_count
from ma_desk.db.network_fs import refuse_network_path
from ma_desk.errors import NotAStoreError, StoreError, StoreTooNewError
from ma_desk.paths import keyinfo_path, store_path

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
    witness_problems: list = field(default_factory=list)

    @property
    def path(self) -> Path:
        return store_path(self.data_dir)


def store_exists(data_dir: Path) -> bool:
    return store_path(data_dir).exists()


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
    if path.exists() or keyinfo_path(data_dir).exists():
        raise StoreError(f"{data_dir} already holds a clinic store; it was not changed.")
    new = keys.create_key(
        data_dir,
        passphrase=passphrase,
        ask_new_passphrase=ask_new_passphrase,
        use_keyring=use_keyring,
    )
    db = Database(make_engine(path, new.key, create=True), path)
    try:
        with db.engine.begin() as conn:
            from ma_desk.db.migrate import upgrade

            upgrade(conn)
        keys.write_keyinfo(data_dir, new.info)
        path.chmod(0o600)
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
) -> OpenedStore:
    """Open an existing store; upgrade an older schema after copying the file.

    After a recovery-key open, ``new_passphrase`` / ``ask_new_passphrase`` serve
    a computer without a keyring (see ``keys.settle_key``).
    """
    path = store_path(data_dir)
    if not path.exists():
        raise StoreError(
            f"There is no clinic store in {data_dir}. Create one (ma-desk demo, or start "
            "MA Desk and follow the first-run steps) or choose another data folder."
        )
    refuse_network_path(data_dir)
    check_not_plain_sqlite(path)
    key, info = keys.key_for_open(
        data_dir, passphrase=passphrase, recovery_key=recovery_key, ask_passphrase=ask_passphrase
    )
    db = Database(make_engine(path, key), path)
    try:
        with db.engine.connect() as conn:  # keys and checks the file before anything else
            revision = current_revision(conn)
            tables = table_count(conn)
        if revision is None and tables > 0:
            raise NotAStoreError(
                f"{path} is an encrypted database but not an MA Desk store; it was not changed."
            )
        upgraded_from = None
        backup = None
        if revision not in SCHEMA_REVISIONS and revision not in (None, ""):
            raise StoreTooNewError(
                f"{path} was written by a newer MA Desk (schema {revision}). Install the "
                "newer version; this one will not touch the store."
            )
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
        db = Database(make_engine(path, settled.key), path)
    clean_leftovers(data_dir)  # of backups and restores killed mid-way
    return OpenedStore(
        db,
        data_dir,
        settled.source,
        revision,
        recovery_key=settled.recovery_key,
        upgraded_from=upgraded_from,
        backup_before_upgrade=backup,
        witness_problems=attach_witness(db, data_dir),
    )


def attach_witness(db: Database, data_dir: Path) -> list:
    """Check the store against its witness files; keep them moving only if they agree."""
    from ma_desk.security.witness import WitnessHook, read_witnesses, witness_problems

    with db.read() as session:
        problems = witness_problems(session, data_dir)
        has_entries = audit_head(session) is not None
    db.witness_frozen = bool(problems)
    db.witness_missing = has_entries and not read_witnesses(data_dir)
    if not problems:
        db.witness = WitnessHook(data_dir)
    return problems


def copy_before_upgrade(db: Database, path: Path, revision: str | None) -> Path:
    """A full copy of the (still encrypted) file before its schema changes."""
    db.checkpoint()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.before-{revision or 'empty'}-{stamp}.bak")
    shutil.copy2(path, target)
    return target
