"""A new clinic made in one go: the store appears in the data folder whole, or not at all.

The first-run wizard gathers the whole plan first. ``create_clinic`` then builds
the store under a staging name in the data folder, writes the plan in one
transaction (``ClinicSetupService.set_up_clinic``), and only then moves it into
place. Any failure on the way removes everything it made: the staging file, the
key description, the witness copies and the keyring entry.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from pathlib import Path

from ma_desk.clinic_setup_rules import ClinicPlan
from ma_desk.clock import Clock
from ma_desk.db import keys
from ma_desk.db.engine import open_database
from ma_desk.db.network_fs import refuse_network_path
from ma_desk.db.store import OpenedStore, open_store, store_exists
from ma_desk.errors import KeyUnavailableError, StoreError
from ma_desk.paths import keyinfo_path, store_path

log = logging.getLogger("ma_desk.clinic_setup")

# Not "clinic.madesk.*": a staging file left by a killed set-up is no trace of a store.
STAGING_FILENAME = ".clinic-setup-in-progress.madesk"


def staging_path(data_dir: Path) -> Path:
    return data_dir / STAGING_FILENAME


def keyring_available() -> bool:
    """True when this computer's keyring keeps and returns a secret (probed, then removed)."""
    probe = Path(f"/ma-desk-probe/{secrets.token_hex(8)}")
    if not keys.keyring_set(probe, secrets.token_bytes(keys.KEY_BYTES)):
        keys.keyring_delete(probe)
        return False
    keys.keyring_delete(probe)
    return True


def needs_passphrase() -> bool:
    """The wizard asks for a store passphrase only where no keyring and no
    MA_DESK_PASSPHRASE will provide the key."""
    return not os.environ.get(keys.PASSPHRASE_ENV) and not keyring_available()


def prepare_key(passphrase: str | None) -> keys.NewKey:
    """The new store's key, made before anything is written, so the recovery key can be
    shown and printed while cancelling still leaves nothing: from the passphrase where
    there is no keyring, random otherwise (kept in the keyring only by ``create_clinic``)."""
    if passphrase:
        raw, info = keys.passphrase_key(passphrase)
    else:
        raw, info = secrets.token_bytes(keys.KEY_BYTES), keys.KeyInfo(source=keys.SOURCE_KEYRING)
    return keys.NewKey(keys.StoreKey(raw, info.source), info, keys.format_recovery_key(raw))


def create_clinic(
    data_dir: Path,
    plan: ClinicPlan,
    key: keys.NewKey,
    *,
    passphrase: str | None = None,
    clock: Clock | None = None,
) -> OpenedStore:
    """Make the store with the whole plan in it under ``key`` (``passphrase``: the one
    it was derived from), then open it; all or nothing."""
    made_folder = not data_dir.exists()
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise _cannot_create(data_dir, exc) from exc
    try:
        refuse_network_path(data_dir)
        if store_exists(data_dir):  # or a trace of one: evidence, never touched
            raise StoreError(
                f"{data_dir} already holds a clinic store (or what is left of one); "
                "nothing there was changed. Choose another data folder."
            )
    except BaseException:
        _remove_folder_if_made(data_dir, made_folder)
        raise
    try:
        _remove_staging(data_dir)  # left by a set-up that was killed
        if key.info.source == keys.SOURCE_KEYRING and not keys.keyring_set(data_dir, key.key.raw):
            raise KeyUnavailableError(
                "This computer's keyring did not keep the clinic key. Nothing was created. "
                "Start MA Desk again: it will ask for a store passphrase instead."
            )
        _build(data_dir, plan, key, clock)
    except BaseException as exc:
        _undo(data_dir, key, made_folder)
        if isinstance(exc, OSError):
            raise _cannot_create(data_dir, exc) from exc
        raise
    log.info("set up a new clinic store (key in %s)", key.info.source)
    return open_store(data_dir, passphrase=passphrase)


def _cannot_create(data_dir: Path, exc: OSError) -> StoreError:
    return StoreError(
        f"The clinic store could not be created in {data_dir}: {exc.strerror or exc}. "
        "Nothing was kept there. Free some disk space, or choose a data folder you may "
        "write to, then try again."
    )


def _build(data_dir: Path, plan: ClinicPlan, new: keys.NewKey, clock: Clock | None) -> None:
    """Staging store, migrated, the plan committed, witness set; then moved into place."""
    from ma_desk.db.migrate import upgrade
    from ma_desk.security.witness import reset_witness
    from ma_desk.services import Services
    from ma_desk.services.accounts import signed_out_actor

    staging = staging_path(data_dir)
    db = open_database(staging, new.key, create=True)
    try:
        with db.engine.begin() as conn:
            upgrade(conn)
        Services(db, clock, actor=signed_out_actor()).clinic_setup.set_up_clinic(plan)
        reset_witness(data_dir, db)  # also drops a shadow copy an earlier store left here
    finally:
        db.close()
    staging.chmod(0o600)
    keys.write_keyinfo(data_dir, new.info)
    os.replace(staging, store_path(data_dir))  # from here on the clinic exists


def _staging_files(data_dir: Path) -> list[Path]:
    path = staging_path(data_dir)
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def _remove_staging(data_dir: Path) -> None:
    for leftover in _staging_files(data_dir):
        leftover.unlink(missing_ok=True)


def _undo(data_dir: Path, new: keys.NewKey, made_folder: bool) -> None:
    """Remove everything a failed set-up made; the folder is as it was before."""
    from ma_desk.security.witness import witness_paths

    _remove_staging(data_dir)
    if not store_path(data_dir).exists():  # never touch a store that made it into place
        keyinfo_path(data_dir).unlink(missing_ok=True)
        for witness in witness_paths(data_dir):
            witness.unlink(missing_ok=True)
        if new.info.source == keys.SOURCE_KEYRING:
            keys.keyring_delete(data_dir)
    _remove_folder_if_made(data_dir, made_folder)


def _remove_folder_if_made(data_dir: Path, made_folder: bool) -> None:
    if made_folder:
        with contextlib.suppress(OSError):  # not empty: something else is there; keep it
            data_dir.rmdir()
