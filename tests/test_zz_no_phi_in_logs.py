"""No patient data in logs or in the files the security features write beside the store.

The second test reads the log file that tests/conftest.py's ``suite_log`` fixture has
been writing (root logger at DEBUG) for the whole session, after logging a representative
workflow itself, so it checks something in any order; the ``test_zz_`` name runs it after
every other test file, where it checks the whole suite's records too.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from ma_desk.db.models import Patient
from ma_desk.db.store import open_store
from ma_desk.security.demo_accounts import DEMO_PASSWORD
from ma_desk.services.audit_log import AuditFilter
from tests.conftest import PASSPHRASE


def names_in(data_dir) -> set[str]:
    """Full names and distinctive last names of every synthetic patient."""
    opened = open_store(data_dir, passphrase=PASSPHRASE)
    try:
        with opened.db.read() as s:
            rows = s.execute(select(Patient.first_name, Patient.last_name)).all()
    finally:
        opened.db.close()
    assert rows
    full = {f"{first} {last}" for first, last in rows} | {
        f"{last}, {first}" for first, last in rows
    }
    return full | {last for _first, last in rows if len(last) >= 6}


def leaked(text: str, names: set[str]) -> list[str]:
    return sorted(name for name in names if name in text)


def representative_workflow(services, data_dir, sign_in_as, tmp_path, monkeypatch):
    """What a clinic's day logs: a failed sign-in typed with a patient's name, searches by
    name, an edit, a backup, a lock, an audit export and the CLI's verify at DEBUG.
    Returns the files it wrote beside the log (export, witness, backup)."""
    from ma_desk.backup import backup_store
    from ma_desk.cli import main
    from ma_desk.errors import MADeskError
    from ma_desk.security.witness import witness_path, write_witness
    from tests.cli_helpers import sign_in_cli

    with services.ctx.db.read() as s:
        first, last = s.execute(select(Patient.first_name, Patient.last_name).limit(1)).one()
    with pytest.raises(MADeskError):
        services.accounts.sign_in("ma", f"{last} is not a password")
    actor = sign_in_as("ma")
    assert services.patients.search(last)
    assert services.patients.search(f"{last}, {first}")
    services.patients.open_chart(1)
    services.patients.update(1, phone="(555) 010-0177")
    backup = backup_store(services.ctx.db, tmp_path / "b.madesk", actor=actor)
    services.accounts.record_lock("idle")
    sign_in_as("admin")
    export = tmp_path / "audit.csv"
    services.audit_log.export_csv(AuditFilter(), export)
    assert services.audit_log.verify().problems == []
    write_witness(data_dir, services.ctx.db)
    sign_in_cli(monkeypatch, "admin")
    assert main(["--debug", "audit", "verify", "--data-dir", str(data_dir)]) == 0
    return export, witness_path(data_dir), backup.path


def test_a_representative_workflow_logs_no_patient_names(
    caplog, capsys, demo_services, demo_dir, sign_in_as, tmp_path, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    names = names_in(demo_dir)
    export, witness, backup = representative_workflow(demo_services, demo_dir, sign_in_as,
                                                      tmp_path, monkeypatch)  # fmt: skip
    assert "The audit trail is intact" in capsys.readouterr().out
    assert "backup written" in caplog.text  # the workflow did log

    assert leaked(caplog.text, names) == []
    assert leaked(export.read_text(), names) == []
    assert leaked(witness.read_text(), names) == []
    raw = backup.read_bytes()
    assert [n for n in names if n.encode() in raw] == []


def test_the_log_of_the_whole_test_session_has_no_patient_names(
    suite_log, demo_services, demo_dir, sign_in_as, tmp_path, monkeypatch
):
    """Run alone or first, this checks its own workflow's records in the session's log;
    run last (its file name sorts last), every record the suite wrote as well."""
    names = names_in(demo_dir)
    start = suite_log.stat().st_size
    representative_workflow(demo_services, demo_dir, sign_in_as, tmp_path, monkeypatch)
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = suite_log.read_text(encoding="utf-8", errors="replace")
    assert "backup written" in text[start:]  # this test's own records reached the file
    assert leaked(text, names) == []
    assert DEMO_PASSWORD not in text
