"""No patient data in logs or in the files the security features write beside the store.

Named ``test_zz_...`` so that it runs after every other test file: the second
test reads the log file that tests/conftest.py's ``suite_log`` fixture has been
writing (root logger at DEBUG) for the whole session.
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


def test_a_representative_workflow_logs_no_patient_names(
    caplog, demo_services, demo_dir, sign_in_as, tmp_path
):
    from ma_desk.backup import backup_store
    from ma_desk.cli import main
    from ma_desk.errors import MADeskError
    from ma_desk.security.witness import witness_path, write_witness

    caplog.set_level(logging.DEBUG)
    names = names_in(demo_dir)
    with demo_services.ctx.db.read() as s:
        first, last = s.execute(select(Patient.first_name, Patient.last_name).limit(1)).one()
    with pytest.raises(MADeskError):
        demo_services.accounts.sign_in("ma", f"{last} is not a password")
    actor = sign_in_as("ma")
    demo_services.patients.search(last)
    demo_services.patients.search(f"{last}, {first}")
    demo_services.patients.open_chart(1)
    demo_services.patients.update(1, phone="(555) 010-0177")
    backup = backup_store(demo_services.ctx.db, tmp_path / "b.madesk", actor=actor)
    demo_services.accounts.record_lock("idle")
    sign_in_as("admin")
    export = tmp_path / "audit.csv"
    demo_services.audit_log.export_csv(AuditFilter(), export)
    assert demo_services.audit_log.verify().problems == []
    write_witness(demo_dir, demo_services.ctx.db)
    main(["--debug", "audit", "verify", "--data-dir", str(demo_dir), "--user", "nobody"])

    assert leaked(caplog.text, names) == []
    assert leaked(export.read_text(), names) == []
    assert leaked(witness_path(demo_dir).read_text(), names) == []
    raw = backup.path.read_bytes()
    assert [n for n in names if n.encode() in raw] == []


def test_the_log_of_the_whole_test_session_has_no_patient_names(suite_log, demo_template, tmp_path):
    import shutil

    copy = tmp_path / "template-copy"
    shutil.copytree(demo_template, copy)
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = suite_log.read_text(encoding="utf-8", errors="replace")
    assert text  # the suite did log something
    assert leaked(text, names_in(copy)) == []
    assert DEMO_PASSWORD not in text
