"""The command line signs in and is audited: backup, restore, rekey, audit, users, demo."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select, text

from ma_desk.cli import main
from ma_desk.db.models import AuditEvent
from ma_desk.db.store import open_store
from ma_desk.security.demo_accounts import DEMO_PASSWORD
from tests.conftest import PASSPHRASE


@pytest.fixture
def cli_env(monkeypatch, demo_dir):
    monkeypatch.setenv("MA_DESK_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("MA_DESK_DATA_DIR", str(demo_dir))
    monkeypatch.delenv("MA_DESK_USER", raising=False)
    monkeypatch.delenv("MA_DESK_PASSWORD", raising=False)
    return monkeypatch


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def audit_rows(data_dir: Path, passphrase: str = PASSPHRASE):
    opened = open_store(data_dir, passphrase=passphrase)
    try:
        with opened.db.read() as s:
            return s.execute(
                select(AuditEvent.action, AuditEvent.username, AuditEvent.outcome).order_by(
                    AuditEvent.id
                )
            ).all()
    finally:
        opened.db.close()


def test_patient_data_commands_need_a_user(cli_env, capsys, demo_dir):
    code, _out, err = run(capsys, "audit", "verify")
    assert code == 1 and "--user" in err
    code, _out, err = run(capsys, "backup", "--out", str(demo_dir / "x.madesk"))
    assert code == 1 and "Sign in" in err
    assert not (demo_dir / "x.madesk").exists()


def test_wrong_password_fails_and_is_audited(cli_env, capsys, demo_dir):
    cli_env.setenv("MA_DESK_PASSWORD", "not the password")
    code, _out, err = run(capsys, "audit", "verify", "--user", "admin")
    assert code == 1 and "wrong" in err
    assert tuple(audit_rows(demo_dir)[-1]) == ("sign_in_failed", "admin", "failure")


def test_audit_verify_signs_in_out_and_reports(cli_env, capsys, demo_dir):
    cli_env.setenv("MA_DESK_USER", "admin")
    cli_env.setenv("MA_DESK_PASSWORD", DEMO_PASSWORD)
    code, out, _err = run(capsys, "audit", "verify")
    assert code == 0 and "intact" in out
    # Checked before signing in; an administrator's sign-in, verify and sign-out each seal.
    assert [tuple(r)[:2] for r in audit_rows(demo_dir)[-5:]] == [
        ("sign_in", "admin"),
        ("seal", "admin"),
        ("verify", "admin"),
        ("seal", "admin"),
        ("sign_out", "admin"),
    ]
    assert (demo_dir / "audit-witness.json").exists()


def test_audit_verify_names_a_tampered_entry(cli_env, capsys, demo_dir):
    opened = open_store(demo_dir, passphrase=PASSPHRASE)
    with opened.db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET outcome = 'refused' WHERE id = 4"))
    opened.db.close()
    cli_env.setenv("MA_DESK_PASSWORD", DEMO_PASSWORD)
    code, out, _err = run(capsys, "audit", "verify", "--user", "admin")
    assert code == 1 and "audit entry 4" in out and "FAILED" in out


def test_non_admin_cannot_verify_or_export(cli_env, capsys, demo_dir):
    cli_env.setenv("MA_DESK_PASSWORD", DEMO_PASSWORD)
    code, _out, err = run(capsys, "audit", "export", "--out", str(demo_dir / "a.csv"),
                          "--user", "frontdesk")  # fmt: skip
    assert code == 1 and "administrator" in err
    assert not (demo_dir / "a.csv").exists()


def test_audit_export_filters(cli_env, capsys, demo_dir, tmp_path):
    cli_env.setenv("MA_DESK_PASSWORD", DEMO_PASSWORD)
    run(capsys, "audit", "verify", "--user", "admin")
    out_file = tmp_path / "audit.csv"
    code, out, _err = run(capsys, "audit", "export", "--out", str(out_file), "--by", "admin",
                          "--user", "admin")  # fmt: skip
    assert code == 0 and "written" in out
    lines = out_file.read_text().splitlines()[1:]
    assert lines and all(",admin," in line for line in lines)
    code, _out, err = run(capsys, "audit", "export", "--out", str(out_file), "--from",
                          "yesterday", "--user", "admin")  # fmt: skip
    assert code == 1 and "date" in err


def test_backup_and_restore_round_trip(cli_env, capsys, demo_dir, tmp_path):
    cli_env.setenv("MA_DESK_PASSWORD", DEMO_PASSWORD)
    backup = tmp_path / "nightly.madesk"
    code, out, _err = run(capsys, "backup", "--out", str(backup), "--user", "frontdesk")
    assert code == 0 and "SHA-256" in out and backup.exists()
    code, _out, err = run(capsys, "restore", str(backup), "--user", "frontdesk")
    assert code == 1 and "administrator" in err
    code, out, _err = run(capsys, "restore", str(backup), "--user", "admin")
    assert code == 0 and "kept as clinic.madesk.replaced-" in out
    rows = audit_rows(demo_dir)
    assert ("restore", "admin", "success") in [tuple(r) for r in rows]
    assert list(demo_dir.glob("clinic.madesk.replaced-*"))


def test_restore_of_a_truncated_backup_changes_nothing(cli_env, capsys, demo_dir, tmp_path):
    cli_env.setenv("MA_DESK_PASSWORD", DEMO_PASSWORD)
    backup = tmp_path / "b.madesk"
    run(capsys, "backup", "--out", str(backup), "--user", "admin")
    truncated = tmp_path / "t.madesk"
    truncated.write_bytes(backup.read_bytes()[:5000])
    shutil.copy(backup.with_name("b.madesk.sha256"), truncated.with_name("t.madesk.sha256"))
    before = sorted(p.name for p in demo_dir.iterdir())
    store_bytes = (demo_dir / "clinic.madesk").read_bytes()
    code, _out, err = run(capsys, "restore", str(truncated), "--user", "admin")
    assert code == 1 and "checksum" in err and "Nothing was changed" in err
    assert sorted(p.name for p in demo_dir.iterdir()) == before
    assert (demo_dir / "clinic.madesk").read_bytes() == store_bytes


def test_daily_backup_from_the_command_line(cli_env, capsys, demo_dir):
    cli_env.setenv("MA_DESK_PASSWORD", DEMO_PASSWORD)
    code, out, _err = run(capsys, "backup", "--daily", "--user", "ma")
    assert code == 0 and "backups" in out
    code, out, _err = run(capsys, "backup", "--daily", "--user", "ma")
    assert code == 0 and "already exists" in out


def test_rekey_changes_the_passphrase_and_prints_a_recovery_key(cli_env, capsys, demo_dir):
    cli_env.setenv("MA_DESK_PASSWORD", DEMO_PASSWORD)
    cli_env.setenv("MA_DESK_PASSPHRASE_NEW", "fresh spruce kettle almanac")
    code, _out, err = run(capsys, "rekey", "--user", "ma")
    assert code == 1 and "administrator" in err
    code, out, _err = run(capsys, "rekey", "--user", "admin")
    assert code == 0 and "NEW RECOVERY KEY" in out
    cli_env.setenv("MA_DESK_PASSPHRASE", "fresh spruce kettle almanac")
    assert ("rekey", "admin", "success") in [
        tuple(r) for r in audit_rows(demo_dir, "fresh spruce kettle almanac")
    ]
    code, _out, _err = run(capsys, "check")
    assert code == 0


def test_users_commands(cli_env, capsys, demo_dir):
    cli_env.setenv("MA_DESK_PASSWORD", DEMO_PASSWORD)
    cli_env.setenv("MA_DESK_NEW_PASSWORD", "a fresh start today")
    code, out, _err = run(capsys, "users", "add", "robin", "--name", "Robin Doe",
                          "--role", "front_desk", "--user", "admin")  # fmt: skip
    assert code == 0 and "created" in out
    code, out, _err = run(capsys, "users", "list", "--user", "admin")
    assert "robin" in out and "Front desk" in out
    code, _out, _err = run(capsys, "users", "set-role", "robin", "medical_assistant",
                           "--user", "admin")  # fmt: skip
    assert code == 0
    code, _out, _err = run(capsys, "users", "deactivate", "robin", "--user", "admin")
    assert code == 0
    cli_env.setenv("MA_DESK_PASSWORD", "a fresh start today")
    code, _out, err = run(capsys, "audit", "verify", "--user", "robin")
    assert code == 1 and "wrong" in err
    cli_env.setenv("MA_DESK_PASSWORD", DEMO_PASSWORD)
    code, _out, err = run(capsys, "users", "list", "--user", "ma")
    assert code == 1 and "administrator" in err


def test_create_admin_on_a_store_without_accounts(monkeypatch, capsys, store):
    monkeypatch.setenv("MA_DESK_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("MA_DESK_NEW_PASSWORD", "pelican quarry velvet anthem")
    store.db.close()
    data_dir = str(store.data_dir)
    code, _out, err = run(capsys, "users", "list", "--data-dir", data_dir, "--user", "x")
    assert code == 1 and "no user accounts" in err
    code, out, _err = run(capsys, "users", "create-admin", "--name", "First Admin",
                          "--user", "boss", "--data-dir", data_dir)  # fmt: skip
    assert code == 0 and "boss" in out
    code, _out, err = run(capsys, "users", "create-admin", "--name", "Again",
                          "--user", "boss2", "--data-dir", data_dir)  # fmt: skip
    assert code == 1 and "already has accounts" in err


def test_demo_creates_one_account_per_role_and_says_how_to_sign_in(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("MA_DESK_PASSPHRASE", PASSPHRASE)
    data_dir = tmp_path / "demo-cli"
    code, out, _err = run(capsys, "demo", "--patients", "5", "--data-dir", str(data_dir),
                          "--demo-password", "try the demo now")  # fmt: skip
    assert code == 0
    assert "password: try the demo now" in out
    for user in ("admin", "ma", "frontdesk", "provider"):
        assert f"    {user}" in out
    monkeypatch.setenv("MA_DESK_PASSWORD", "try the demo now")
    code, out, _err = run(capsys, "users", "list", "--data-dir", str(data_dir), "--user", "admin")
    assert code == 0 and out.count("active") == 4
    code, _out, _err = run(capsys, "check", "--data-dir", str(data_dir))
    assert code == 0


def test_restore_is_refused_while_the_store_is_open(cli_env, capsys, demo_dir, tmp_path):
    cli_env.setenv("MA_DESK_PASSWORD", DEMO_PASSWORD)
    backup = tmp_path / "b.madesk"
    run(capsys, "backup", "--out", str(backup), "--user", "admin")
    app = open_store(demo_dir, passphrase=PASSPHRASE)  # as if MA Desk were running
    try:
        with app.db.read() as s:
            s.execute(text("SELECT count(*) FROM patients")).scalar()
        before = sorted(p.name for p in demo_dir.iterdir())
        code, _out, err = run(capsys, "restore", str(backup), "--user", "admin")
        assert code == 1 and "Close MA Desk" in err
        assert sorted(p.name for p in demo_dir.iterdir()) == before
    finally:
        app.db.close()
    code, _out, _err = run(capsys, "restore", str(backup), "--user", "admin")
    assert code == 0
