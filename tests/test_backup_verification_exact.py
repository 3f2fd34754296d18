"""Backup verification stated check by check, each refusal with its exact words: the
checksum beside the file, the page-by-page HMAC check under each key tried, the schema
revision, SQLite's integrity check and the audit chain inside the copy. Every refusal
leaves the data folder as it was; a good backup yields its copy, key and entry count."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from pathlib import Path

import pytest
import sqlcipher3
from sqlalchemy import func, select

from ma_desk import audit
from ma_desk.actor import Actor
from ma_desk.backup import (
    BackupError,
    _page_problems,
    backup_store,
    check_sidecar,
    sidecar_path,
    verify_backup_copy,
)
from ma_desk.db import keys
from ma_desk.db.models import AuditEvent
from ma_desk.db.store import create_store, open_store
from tests.conftest import PASSPHRASE

PAGE = 4096
NOTHING_CHANGED = "Nothing was changed; use another backup."


def folder_state(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}  # fmt: skip


def with_sidecar(path: Path, data: bytes, *, digest: str | None = None) -> Path:
    path.write_bytes(data)
    digest = digest or hashlib.sha256(data).hexdigest()
    sidecar_path(path).write_text(f"{digest}  {path.name}\n")
    return path


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """A small store with three audit entries, a backup of it, and the key that opens it."""
    folder = tmp_path_factory.mktemp("verify")
    opened = create_store(folder / "clinic", passphrase=PASSPHRASE)
    try:
        for _ in range(3):
            with opened.db.write() as s:
                audit.record(s, Actor.system(), "lock", "session")
        with opened.db.read() as s:
            entries = s.scalar(select(func.count()).select_from(AuditEvent))
        backup = backup_store(opened.db, folder / "good.madesk").path
    finally:
        opened.db.close()
    key = keys.find_key(folder / "clinic", keys.read_keyinfo(folder / "clinic"),
                        passphrase=PASSPHRASE)  # fmt: skip
    return folder / "clinic", backup.read_bytes(), key, entries


def refusal(bad: Path, data_dir: Path, keys_to_try: list[keys.StoreKey]) -> str:
    before = folder_state(data_dir)
    with pytest.raises(BackupError) as refused:
        verify_backup_copy(bad, data_dir, keys_to_try)
    assert folder_state(data_dir) == before
    assert not list(data_dir.glob(".restore-*"))
    return str(refused.value)


def rewritten(path: Path, key: keys.StoreKey, *statements: str) -> Path:
    """``path`` changed under its key by raw SQL (a backup damaged before its checksum)."""
    conn = sqlcipher3.connect(str(path))
    try:
        conn.execute(f'PRAGMA key = "{key.pragma_value()}"')
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()
    sidecar_path(path).write_text(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  x\n")
    return path


# ------------------------------------------------------------------ a good backup
def test_a_good_backup_gives_its_private_copy_the_key_that_opened_it_and_its_entries(
    clinic, tmp_path
):
    data_dir, good, key, entries = clinic
    wrong = keys.StoreKey(bytes(32), "passphrase")
    backup = with_sidecar(tmp_path / "b.madesk", good)
    verified = verify_backup_copy(backup, data_dir, [wrong, key])
    try:
        assert verified.path == data_dir / f".restore-{os.getpid()}.madesk"
        assert verified.key is key
        assert verified.audit_entries == entries == 3
        assert verified.path.stat().st_size >= len(good)
    finally:
        verified.discard()
    assert not list(data_dir.glob(".restore-*"))


def test_every_page_of_a_good_backup_authenticates_and_a_wrong_key_fails_them_all(clinic, tmp_path):
    data_dir, good, key, _ = clinic
    backup = with_sidecar(tmp_path / "b.madesk", good)
    assert _page_problems(backup, key) == (len(good) // PAGE, [])
    pages, problems = _page_problems(backup, keys.StoreKey(bytes(32), "passphrase"))
    assert pages == len(good) // PAGE and len(problems) >= pages


def test_a_part_page_counts_as_a_page(clinic, tmp_path):
    data_dir, good, key, _ = clinic
    longer = with_sidecar(tmp_path / "long.madesk", good + b"x" * 10)
    pages = len(good) // PAGE + 1
    assert _page_problems(longer, key) == (
        pages, [f"page {pages} has an invalid size of 10 bytes (expected 4096 bytes)"]
    )  # fmt: skip
    assert refusal(longer, data_dir, [key]) == (
        f"long.madesk is damaged: page {pages} has an invalid size of 10 bytes "
        f"(expected 4096 bytes). {NOTHING_CHANGED}"
    )


# ------------------------------------------------------------------ the checksum
def test_the_checksum_may_be_upper_case_and_followed_by_the_file_name(clinic, tmp_path):
    _, good, _, _ = clinic
    digest = hashlib.sha256(good).hexdigest()
    backup = with_sidecar(tmp_path / "b.madesk", good, digest=digest.upper())
    assert check_sidecar(backup) == digest
    sidecar_path(backup).write_text(f"\n  {digest}\n")
    assert check_sidecar(backup) == digest


def test_a_checksum_that_does_not_match_is_refused_in_words(clinic, tmp_path):
    data_dir, good, key, _ = clinic
    backup = with_sidecar(tmp_path / "b.madesk", good, digest="0" * 64)
    assert refusal(backup, data_dir, [key]) == (
        "b.madesk does not match its SHA-256 checksum: the file is damaged or was changed "
        f"after the backup. {NOTHING_CHANGED}"
    )


@pytest.mark.parametrize("words", ["", "f" * 63, "g" * 64, "f" * 65])
def test_a_checksum_that_is_not_one_is_refused_in_words(clinic, tmp_path, words):
    data_dir, good, key, _ = clinic
    backup = tmp_path / "b.madesk"
    backup.write_bytes(good)
    sidecar_path(backup).write_text(words)
    assert refusal(backup, data_dir, [key]) == (
        "b.madesk.sha256 is not a SHA-256 checksum, so b.madesk cannot be checked. "
        "Nothing was changed; use another backup or the checksum written with it."
    )


def test_a_missing_checksum_is_refused_in_words(clinic, tmp_path):
    data_dir, good, key, _ = clinic
    backup = tmp_path / "b.madesk"
    backup.write_bytes(good)
    assert refusal(backup, data_dir, [key]) == (
        "b.madesk.sha256 is missing or unreadable beside b.madesk, so the backup cannot be "
        "checked. Nothing was changed."
    )


# ------------------------------------------------------------------ what the file is
def test_no_file_is_refused_in_words(clinic, tmp_path):
    data_dir, _, key, _ = clinic
    missing = tmp_path / "gone.madesk"
    assert refusal(missing, data_dir, [key]) == (
        f"There is no backup file at {missing}. Nothing was changed."
    )
    assert refusal(tmp_path, data_dir, [key]) == (
        f"There is no backup file at {tmp_path}. Nothing was changed."
    )


def test_a_plain_sqlite_file_is_refused_in_words(clinic, tmp_path):
    data_dir, _, key, _ = clinic
    plain = tmp_path / "plain.madesk"
    conn = sqlite3.connect(plain)
    conn.execute("create table t(x)")
    conn.commit()
    conn.close()
    with_sidecar(plain, plain.read_bytes())
    assert refusal(plain, data_dir, [key]).startswith("plain.madesk is not an MA Desk backup: ")


@pytest.mark.parametrize("tried", [[], ["wrong"], ["wrong", "wrong"]])
def test_a_backup_no_key_opens_is_refused_in_words(clinic, tmp_path, tried):
    data_dir, good, _, _ = clinic
    keys_to_try = [keys.StoreKey(bytes(32), "passphrase") for _ in tried]
    backup = with_sidecar(tmp_path / "b.madesk", good)
    assert refusal(backup, data_dir, keys_to_try) == (
        "b.madesk does not open with this store's key: it is not an MA Desk backup, it "
        "belongs to another clinic store, it is damaged, or it was made before the key was "
        "changed (then give that time's recovery key with --backup-recovery-key). "
        "Nothing was changed."
    )


# ------------------------------------------------------------------ damaged pages
@pytest.mark.parametrize("damaged, more", [(1, ""), (2, " (and 1 more)"), (3, " (and 2 more)")])
def test_damaged_pages_are_named_first_with_a_count_of_the_rest(clinic, tmp_path, damaged, more):
    data_dir, good, key, _ = clinic
    flipped = bytearray(good)
    for page in range(3, 3 + damaged):
        flipped[PAGE * page + 100] ^= 0x01
    backup = with_sidecar(tmp_path / "b.madesk", bytes(flipped))
    assert refusal(backup, data_dir, [keys.StoreKey(bytes(32), "passphrase"), key]) == (
        f"b.madesk is damaged: HMAC verification failed for page 4{more}. {NOTHING_CHANGED}"
    )


# ------------------------------------------------------------------ inside the copy
def test_a_backup_of_another_schema_is_refused_in_words(clinic, tmp_path):
    data_dir, good, key, _ = clinic
    backup = with_sidecar(tmp_path / "b.madesk", good)
    rewritten(backup, key, "UPDATE alembic_version SET version_num = '9999'")
    assert refusal(backup, data_dir, [key]) == (
        "b.madesk is an encrypted database but not a backup of an MA Desk store this version "
        "can use (schema 9999). Nothing was changed."
    )


def test_a_backup_failing_sqlites_integrity_check_is_refused_in_words(clinic, tmp_path):
    data_dir, good, key, _ = clinic
    backup = with_sidecar(tmp_path / "b.madesk", good)
    rewritten(backup, key, "PRAGMA writable_schema = ON",
              "UPDATE sqlite_master SET rootpage = (SELECT rootpage FROM sqlite_master "
              "WHERE name = 'sqlite_autoindex_appointment_types_1') "
              "WHERE name = 'sqlite_autoindex_alembic_version_1'")  # fmt: skip
    message = refusal(backup, data_dir, [key])
    assert message.startswith("b.madesk failed the integrity check (")
    assert "2nd reference to page" in message and message.endswith(f"). {NOTHING_CHANGED}")


def test_a_backup_with_a_damaged_audit_trail_names_the_entry(clinic, tmp_path):
    data_dir, good, key, _ = clinic
    backup = with_sidecar(tmp_path / "b.madesk", good)
    rewritten(backup, key, "UPDATE audit_events SET username = 'x' WHERE id = 2")
    assert refusal(backup, data_dir, [key]) == (
        "The audit trail in b.madesk is damaged (audit entry 2 (position 2): contents "
        f"changed after writing). {NOTHING_CHANGED}"
    )


def test_a_backup_whose_tables_fail_to_read_is_called_damaged_with_sqlites_reason(clinic, tmp_path):
    data_dir, good, key, _ = clinic
    backup = with_sidecar(tmp_path / "b.madesk", good)
    rewritten(backup, key, "DROP TABLE audit_events")
    assert refusal(backup, data_dir, [key]) == (
        f"b.madesk is damaged: no such table: audit_events. {NOTHING_CHANGED}"
    )


def test_a_backup_with_an_empty_audit_trail_counts_no_entries(clinic, tmp_path):
    data_dir, good, key, _ = clinic
    backup = with_sidecar(tmp_path / "b.madesk", good)
    rewritten(backup, key, "DELETE FROM audit_events", "DELETE FROM audit_head")
    verified = verify_backup_copy(backup, data_dir, [key])
    try:
        assert verified.audit_entries == 0
    finally:
        verified.discard()


def test_a_backup_named_in_any_language_is_written_and_verified(clinic, tmp_path):
    """The checksum file carries the backup's name: 'copia añadida' once failed to write."""
    data_dir, _, key, _ = clinic
    opened = open_store(data_dir, passphrase=PASSPHRASE)
    try:
        made = backup_store(opened.db, tmp_path / "copia añadida 備份.madesk")
    finally:
        opened.db.close()
    side = sidecar_path(made.path).read_text(encoding="utf-8")
    assert side == f"{made.sha256}  copia añadida 備份.madesk\n"
    verified = verify_backup_copy(made.path, data_dir, [key])
    verified.discard()
    sidecar_path(made.path).write_text(f"{made.sha256[:-1]}é  x\n", encoding="utf-8")
    assert refusal(made.path, data_dir, [key]) == (
        "copia añadida 備份.madesk.sha256 is not a SHA-256 checksum, so copia añadida "
        "備份.madesk cannot be checked. Nothing was changed; use another backup or the "
        "checksum written with it."
    )


def test_restoring_into_a_new_folder_makes_it_owner_only(clinic, tmp_path):
    _, good, key, _ = clinic
    backup = with_sidecar(tmp_path / "b.madesk", good)
    new_dir = tmp_path / "new machine" / "clinic"
    verified = verify_backup_copy(backup, new_dir, [key])
    try:
        assert verified.path.parent == new_dir
        assert stat.S_IMODE(new_dir.stat().st_mode) == 0o700
    finally:
        verified.discard()
