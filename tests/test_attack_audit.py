"""Attacks on the audit trail by an insider who holds the store key (tests/tamper.py).

Every class of tampering the review found undetected, at random positions over
a thousand trials, must be detected by the checks ``audit verify`` runs; the
CLI must report each class, and keep reporting it on the next run after its
own sign-in wrote on top. What stays out of reach is stated, and tested, too.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ma_desk.actor import Actor
from ma_desk.cli import main
from ma_desk.clock import FixedClock
from ma_desk.db import keys
from ma_desk.db.engine import Database, make_engine
from ma_desk.db.models import AuditEvent
from ma_desk.db.store import create_store, open_store
from ma_desk.paths import store_path
from ma_desk.security import seal, verification
from ma_desk.security.witness import witness_path, witness_paths
from ma_desk.services import Services, audit_seals
from ma_desk.services.patients import PatientInput
from tests import tamper
from tests.conftest import NOW, PASSPHRASE

ADMIN_PASSWORD = "violet anchor tundra 4417 cascade"
MA_PASSWORD = "copper kettle marsh 2290 lantern"


@dataclass(frozen=True)
class Trail:
    folder: Path
    key: keys.StoreKey
    seal_key: bytes
    newest_sealed: int  # the highest entry id any seal vouches for


def _clinic_day(services: Services) -> None:
    accounts = services.accounts
    accounts.create_first_administrator("boss", "Pat Boss", ADMIN_PASSWORD)
    accounts.create_user("maria", "Maria Lopez", "medical_assistant", MA_PASSWORD)
    for first, last in (("Ada", "Quill"), ("Ben", "Rook"), ("Cy", "Moss"), ("Di", "Fern"),
                        ("Ed", "Lark"), ("Flo", "Wren")):  # fmt: skip
        patient = services.patients.register(
            PatientInput(first_name=first, last_name=last, dob="02/03/1980")
        )
        services.patients.update(patient.id, city="Salem")
    accounts.sign_out()
    accounts.sign_in("maria", MA_PASSWORD)
    services.patients.search("quill")
    services.patients.get(1)
    accounts.sign_out()
    accounts.sign_in("maria", MA_PASSWORD)
    services.patients.get(3)
    accounts.sign_out()
    accounts.sign_in("boss", ADMIN_PASSWORD)
    services.patients.get(2)
    accounts.sign_out()  # seals everything before its own entry


@pytest.fixture(autouse=True)
def no_settling(monkeypatch):
    """Nothing else writes to these stores: no need to look twice at the witness."""
    monkeypatch.setattr(verification, "WITNESS_SETTLE_SECONDS", 0)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """Where the thousand trials copy their store: memory when the machine has a tmpfs there
    (each trial commits and closes a store; on a real disk the fsyncs dominate)."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        folder = Path(tempfile.mkdtemp(prefix="ma-desk-attack-", dir=shm))
        yield folder
        shutil.rmtree(folder, ignore_errors=True)
    else:
        yield tmp_path_factory.mktemp("attack")


@pytest.fixture(scope="module")
def trail(tmp_path_factory) -> Trail:
    """A small clinic's trail (about 40 entries, several seals), built once."""
    folder = tmp_path_factory.mktemp("trail") / "clinic"
    opened = create_store(folder, passphrase=PASSPHRASE)
    try:
        _clinic_day(Services(opened.db, FixedClock(NOW)))
        with opened.db.read() as s:
            admin_copy = audit_seals.copy_for(s, 1)
            newest = s.scalars(select(AuditEvent).where(AuditEvent.action == "seal")
                               .order_by(AuditEvent.id.desc())).first()  # fmt: skip
        opened.db.checkpoint()
    finally:
        opened.db.close()
    store_key = keys.find_key(folder, keys.read_keyinfo(folder), passphrase=PASSPHRASE)
    sealed_id = int(__import__("json").loads(newest.details)["sealed_id"])
    return Trail(folder, store_key, seal.unwrap(admin_copy, ADMIN_PASSWORD), sealed_id)


def copy_of(trail: Trail, target: Path) -> Path:
    shutil.copytree(trail.folder, target)
    for path in witness_paths(target)[1:]:  # the shadow lives outside the folder
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(witness_path(trail.folder), path)
    return target


def findings(trail: Trail, folder: Path) -> list:
    """Everything ``audit verify`` checks, with the administrator's seal key."""
    db = Database(make_engine(store_path(folder), trail.key), store_path(folder))
    try:
        report = verification.check_trail(db, folder)
        with db.read() as s:
            seals = audit_seals.check_seals(s, trail.seal_key)
        return report.problems + seals.problems
    finally:
        db.close()


def attack(trail: Trail, folder: Path, name: str, seed: int, *, witnesses: bool = False) -> str:
    db = Database(make_engine(store_path(folder), trail.key), store_path(folder))
    try:
        with db.engine.begin() as conn:
            rng = random.Random(seed)
            if name == "rewrite" and witnesses:
                done = tamper.rewrite(conn, rng, at_most=trail.newest_sealed)
            else:
                done = tamper.ATTACKS[name](conn, rng)
            if witnesses:
                tamper.rewrite_witnesses(conn, folder)
        return done
    finally:
        db.close()


def test_the_untouched_trail_verifies(trail, tmp_path):
    folder = copy_of(trail, tmp_path / "clinic")
    assert findings(trail, folder) == []
    db = Database(make_engine(store_path(folder), trail.key), store_path(folder))
    with db.read() as s:
        count = s.scalar(select(func.count(AuditEvent.id)))
    db.close()
    assert count >= 30 and trail.newest_sealed == count - 2  # all but the seal and sign-out


@settings(max_examples=1000, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(
    name=st.sampled_from([*tamper.CLASSES, "rewrite+witnesses", "edit+witnesses",
                          "reorder+witnesses", "delete+witnesses", "insert+witnesses"]),
    seed=st.integers(0, 2**32 - 1),
)  # fmt: skip
def test_every_tampering_at_any_position_is_detected(trail, scratch, name, seed):
    folder = copy_of(trail, scratch / "clinic")
    try:
        base, _, strong = name.partition("+")
        done = attack(trail, folder, base, seed, witnesses=bool(strong))
        assert findings(trail, folder), f"undetected: {done}"
    finally:
        shutil.rmtree(folder)


@pytest.mark.parametrize("name", ["append", "truncate"])
def test_the_tail_after_the_newest_seal_with_both_witnesses_rewritten_is_the_known_limit(
    trail, tmp_path, name
):
    """Entries forged after the newest seal, or the tail cut off together with its seals, by
    someone who also rewrites both witness files, contradict nothing inside the computer
    (docs/security.md): only an outside anchor (a printed report, a backup kept elsewhere)
    can tell. Entries at or before a surviving seal stay protected."""
    folder = copy_of(trail, tmp_path / "clinic")
    attack(trail, folder, name, 7, witnesses=True)
    assert findings(trail, folder) == []
    rewrite_inside = copy_of(trail, tmp_path / "inside")
    attack(trail, rewrite_inside, "rewrite", 7, witnesses=True)
    assert findings(trail, rewrite_inside)


def test_a_printed_anchor_catches_a_rewrite_of_the_unsealed_tail(trail, tmp_path, capsys):
    folder = copy_of(trail, tmp_path / "clinic")
    opened = open_store(folder, passphrase=PASSPHRASE)
    try:
        with opened.db.read() as s:
            head = s.execute(select(AuditEvent.id, AuditEvent.hash)
                             .order_by(AuditEvent.id.desc())).first()  # fmt: skip
    finally:
        opened.db.close()
    printed = verification.printed_anchor(tuple(head))
    db = Database(make_engine(store_path(folder), trail.key), store_path(folder))
    try:
        with db.engine.begin() as conn:  # the unsealed tail: after the newest seal
            conn.exec_driver_sql(
                f"UPDATE audit_events SET username = 'nobody' WHERE id = {head[0]}"
            )
            tamper._rehash_from(conn, head[0])
            tamper.rewrite_witnesses(conn, folder)
    finally:
        db.close()
    assert findings(trail, folder) == []  # nothing inside the computer can tell
    anchored = Database(make_engine(store_path(folder), trail.key), store_path(folder))
    try:
        report = verification.check_trail(anchored, folder,
                                          anchors=[verification.parse_anchor(printed)])  # fmt: skip
    finally:
        anchored.close()
    assert [p.entry_id for p in report.problems] == [head[0]]
    assert "rewritten" in str(report.problems[0])


# ------------------------------------------------------------------ through the real CLI
@pytest.fixture
def cli_env(monkeypatch, tmp_path):
    monkeypatch.setenv("MA_DESK_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("MA_DESK_USER", "boss")
    monkeypatch.setenv("MA_DESK_PASSWORD", ADMIN_PASSWORD)
    return monkeypatch


def verify_cli(capsys, folder: Path, *extra: str) -> tuple[int, str]:
    code = main(["audit", "verify", "--data-dir", str(folder), *extra])
    captured = capsys.readouterr()
    verify_cli.err = captured.err
    return code, captured.out


@pytest.mark.parametrize("name", [*tamper.CLASSES, "rewrite+witnesses"])
def test_audit_verify_reports_each_tampering_and_keeps_reporting_it(
    trail, tmp_path, cli_env, capsys, name
):
    folder = copy_of(trail, tmp_path / "clinic")
    base, _, strong = name.partition("+")
    attack(trail, folder, base, 11, witnesses=bool(strong))
    code, out = verify_cli(capsys, folder)
    assert code == 1 and "DAMAGED" in out and "FAILED" in out, out
    code, out = verify_cli(capsys, folder)  # its own sign-in wrote on top: still damaged
    assert code == 1 and "FAILED" in out, out


def test_audit_verify_checks_before_its_sign_in_hides_a_truncation(trail, tmp_path, cli_env,
                                                                  capsys):  # fmt: skip
    """With no witness at all, only the in-store head anchor knows about the last entries:
    verify must look at it before signing in rewrites it."""
    folder = copy_of(trail, tmp_path / "clinic")
    for path in witness_paths(folder):
        path.unlink()
    db = Database(make_engine(store_path(folder), trail.key), store_path(folder))
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM audit_events WHERE id > 25")  # head anchor left
    db.close()
    code, out = verify_cli(capsys, folder)
    assert code == 1 and "truncated" in out
    code, out = verify_cli(capsys, folder)
    assert code == 1 and "failed" in out  # the first verification's finding is kept


def test_audit_verify_accepts_a_printed_anchor_and_refuses_a_malformed_one(trail, tmp_path,
                                                                          cli_env, capsys):  # fmt: skip
    folder = copy_of(trail, tmp_path / "clinic")
    code, out = verify_cli(capsys, folder)
    assert code == 0 and "intact" in out
    head = out.rsplit("Head: ", 1)[1].rstrip(".\n")
    code, out = verify_cli(capsys, folder, "--anchor", head)
    assert code == 0 and "given on the command line" in out
    code, out = verify_cli(capsys, folder, "--anchor", "5:" + "0" * 16)
    assert code == 1 and "rewritten" in out
    assert main(["audit", "verify", "--data-dir", str(folder), "--anchor", "12-abc"]) == 1
    assert "not an audit anchor" in capsys.readouterr().err


def test_a_non_administrator_learns_nothing_from_audit_verify(trail, tmp_path, cli_env, capsys):
    folder = copy_of(trail, tmp_path / "clinic")
    attack(trail, folder, "edit", 3)
    cli_env.setenv("MA_DESK_USER", "maria")
    cli_env.setenv("MA_DESK_PASSWORD", MA_PASSWORD)
    code, out = verify_cli(capsys, folder)
    assert code == 1 and out == ""  # refused before anything is shown
    assert "does not allow" in verify_cli.err


def test_an_administrator_sign_in_does_not_seal_over_a_broken_seal(trail, tmp_path):
    folder = copy_of(trail, tmp_path / "clinic")
    attack(trail, folder, "rewrite", 5, witnesses=True)
    opened = open_store(folder, passphrase=PASSPHRASE)
    try:
        services = Services(opened.db, FixedClock(NOW))
        services.accounts.sign_in("boss", ADMIN_PASSWORD)
        with opened.db.read() as s:
            actions = list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id.desc())
                                     .limit(2)))  # fmt: skip
        assert actions == ["seal_check_failed", "sign_in"]
        assert not services.audit_log.verify().intact
    finally:
        opened.db.close()


def test_a_replaced_seal_key_is_noticed_at_the_next_administrator_sign_in(trail, tmp_path):
    """The insider seals with a key of their own: the real administrator's copy no longer
    opens the key the seals use."""
    folder = copy_of(trail, tmp_path / "clinic")
    opened = open_store(folder, passphrase=PASSPHRASE)
    try:
        with opened.db.write() as s:
            audit_seals.append_seal(s, Actor.system(), seal.new_seal_key())
        services = Services(opened.db, FixedClock(NOW))
        services.accounts.sign_in("boss", ADMIN_PASSWORD)
        with opened.db.read() as s:
            failed = s.scalar(select(AuditEvent.details)
                              .where(AuditEvent.action == "seal_check_failed"))  # fmt: skip
        assert failed is not None
        problems = [str(p) for p in services.audit_log.verify().problems]
        assert any("another seal key" in p for p in problems)
    finally:
        opened.db.close()


def test_a_removed_copy_of_the_seal_key_is_recorded_at_sign_in(trail, tmp_path):
    folder = copy_of(trail, tmp_path / "clinic")
    opened = open_store(folder, passphrase=PASSPHRASE)
    try:
        with opened.db.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM audit_seal_keys WHERE user_id = 1")
        with opened.db.write() as s:  # someone else's copy stays: the key still exists
            audit_seals.give_copy(s, 2, seal.new_seal_key(), "x", NOW)
        services = Services(opened.db, FixedClock(NOW))
        services.accounts.sign_in("boss", ADMIN_PASSWORD)
        with opened.db.read() as s:
            last = s.scalars(select(AuditEvent.action).order_by(AuditEvent.id.desc())).first()
        assert last == "seal_key_missing"
        assert services.ctx.seal_key is None
        notes = services.audit_log.verify().notes
        assert any("no copy of the audit seal key" in n for n in notes)
    finally:
        opened.db.close()


# ------------------------------------------------------------------ backups as anchors
def test_a_backup_records_its_head_and_catches_a_rewrite_of_the_unsealed_tail(trail, tmp_path):
    from ma_desk.backup import backup_store

    folder = copy_of(trail, tmp_path / "clinic")
    (folder / "backups").mkdir()
    opened = open_store(folder, passphrase=PASSPHRASE)
    try:
        result = backup_store(opened.db, folder / "backups" / "clinic-20261123-103000.madesk")
        with opened.db.read() as s:
            head = s.execute(select(AuditEvent.id, AuditEvent.hash)
                             .order_by(AuditEvent.id.desc())).first()  # fmt: skip
    finally:
        opened.db.close()
    anchor = verification.read_backup_anchor(verification.backup_anchor_path(result.path))
    assert (anchor.entry_id, anchor.hash_prefix) == (head[0], head[1])
    assert findings(trail, folder) == []
    db = Database(make_engine(store_path(folder), trail.key), store_path(folder))
    try:
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"UPDATE audit_events SET username = 'x' WHERE id = {head[0]}")
            tamper._rehash_from(conn, head[0])
            tamper.rewrite_witnesses(conn, folder)
    finally:
        db.close()
    problems = findings(trail, folder)
    assert [p.entry_id for p in problems] == [head[0]]
    assert "backup clinic-20261123-103000.madesk" in str(problems[0])


def test_after_a_restore_older_chains_backups_are_noted_not_alarmed(trail, tmp_path):
    from ma_desk.backup import backup_store, install_verified, verify_backup_copy

    folder = copy_of(trail, tmp_path / "clinic")
    backups = folder / "backups"
    backups.mkdir()
    opened = open_store(folder, passphrase=PASSPHRASE)
    services = Services(opened.db, FixedClock(NOW))
    older = backup_store(opened.db, backups / "clinic-20261120-090000.madesk")
    services.accounts.sign_in("maria", MA_PASSWORD)
    services.patients.get(4)
    services.accounts.sign_out()
    newer = backup_store(opened.db, backups / "clinic-20261121-090000.madesk")
    opened.db.close()
    verified = verify_backup_copy(older.path, folder, [trail.key])
    install_verified(verified, folder, live_key=trail.key, actor=Actor.system(),
                     restored_from=older.path, now=NOW)  # fmt: skip
    db = Database(make_engine(store_path(folder), trail.key), store_path(folder))
    try:
        report = verification.check_trail(db, folder)
    finally:
        db.close()
    assert report.intact, report.problems
    assert any(newer.path.name in note and "before the restore" in note for note in report.notes)


def test_a_restore_cut_short_after_its_swap_is_no_false_alarm(trail, tmp_path, monkeypatch):
    """Killed between putting the backup in place and resetting the witness: the next open
    finds the restored store as expected (the witness knew), not 'entries missing'."""
    import ma_desk.security.witness as witness_module
    from ma_desk.backup import backup_store, install_verified, verify_backup_copy

    folder = copy_of(trail, tmp_path / "clinic")
    opened = open_store(folder, passphrase=PASSPHRASE)
    older = backup_store(opened.db, tmp_path / "older.madesk")
    services = Services(opened.db, FixedClock(NOW))
    services.accounts.sign_in("maria", MA_PASSWORD)
    services.accounts.sign_out()
    opened.db.close()
    verified = verify_backup_copy(older.path, folder, [trail.key])

    def killed(*_args, **_kwargs):
        raise KeyboardInterrupt("kill -9 here")

    monkeypatch.setattr(witness_module, "reset_witness", killed)
    with pytest.raises(KeyboardInterrupt):
        install_verified(verified, folder, live_key=trail.key, actor=Actor.system(),
                         restored_from=older.path, now=NOW)  # fmt: skip
    monkeypatch.undo()
    reopened = open_store(folder, passphrase=PASSPHRASE)
    try:
        assert not reopened.db.read_only and reopened.witness_problems == []
        assert list(folder.glob("clinic.madesk.replaced-*"))  # the old store was kept
    finally:
        reopened.db.close()
    assert findings(trail, folder) == []
