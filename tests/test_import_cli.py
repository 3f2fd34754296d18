"""``ma-desk import`` and ``ma-desk export fhir`` as a clinic's administrator runs them."""

from __future__ import annotations

import json
import re

import pytest

from ma_desk.cli import main
from tests.cli_helpers import make_cli_clinic, sign_in_cli
from tests.import_files import comma_export_utf8_bom


@pytest.fixture(scope="module")
def cli_clinic(tmp_path_factory):
    return make_cli_clinic(tmp_path_factory, "import-cli", patients=60, seed=8)


@pytest.fixture
def admin(cli_clinic, monkeypatch):
    sign_in_cli(monkeypatch, "admin")
    return cli_clinic


def test_dry_run_then_confirmed_import_then_nothing_twice(admin, tmp_path, capsys):
    export = tmp_path / "patients.csv"
    export.write_bytes(comma_export_utf8_bom())
    mapping = tmp_path / "mapping.json"
    base = ["import", "patients", str(export), "--data-dir", str(admin), "--source", "oldpm"]
    assert main([*base, "--dry-run", "--save-mapping", str(mapping)]) == 0
    out = capsys.readouterr().out
    assert "File read as utf-8-sig, columns separated by commas." in out
    assert "patients line 5: ERROR: Date of birth: 02/30/2025 is not a real date" in out
    assert "patients line 11: SKIP: Same ID as line 2 of this file" in out
    assert "8 rows would be: 3 created, 1 skipped, 4 refused." in out
    token = re.search(r"Dry run ID: (\w+)", out).group(1)
    assert f"--confirm {token}" in out and "Nothing was written." in out
    saved = json.loads(mapping.read_text())
    assert saved["kind"] == "patients" and saved["columns"]["Date of Birth"] == "dob"

    assert main([*base, "--confirm", "0123456789abcdef0123"]) == 1
    assert "Run the dry run first" in capsys.readouterr().err
    assert main([*base, "--confirm", token, "--all-rows"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"patients line 2: CREATE: New patient\. MRN M\d{6}\.", out)
    assert "8 rows: 3 created, 1 skipped, 4 refused." in out
    assert main([*base, "--mapping", str(mapping), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "8 rows would be: 3 unchanged (imported before), 1 skipped, 4 refused." in out


def test_import_needs_a_step_and_an_administrator(admin, tmp_path, monkeypatch, capsys):
    export = tmp_path / "p.csv"
    export.write_bytes(comma_export_utf8_bom())
    with pytest.raises(SystemExit):
        main(["import", "patients", str(export), "--data-dir", str(admin)])
    assert "--dry-run" in capsys.readouterr().err
    monkeypatch.setenv("MA_DESK_USER", "ma")
    assert main(["import", "patients", str(export), "--data-dir", str(admin), "--dry-run"]) == 1
    assert "does not allow this (records import)" in capsys.readouterr().err
    missing = tmp_path / "nope.csv"
    monkeypatch.setenv("MA_DESK_USER", "admin")
    assert main(["import", "patients", str(missing), "--data-dir", str(admin), "--dry-run"]) == 1
    assert "nope.csv does not exist." in capsys.readouterr().err


def test_export_one_patient_and_the_clinic(admin, tmp_path, capsys):
    out = tmp_path / "patient.json"
    args = ["export", "fhir", "--patient", "m100001", "--out", str(out), "--data-dir", str(admin)]
    assert main(args) == 0
    assert re.match(r"Wrote \d+ resources to ", capsys.readouterr().out)
    assert json.loads(out.read_text())["resourceType"] == "Bundle"
    assert main(args) == 1
    assert "already exists; choose another name or add --force." in capsys.readouterr().err
    assert main([*args, "--force"]) == 0
    capsys.readouterr()
    folder = tmp_path / "ehi"
    assert main(["export", "fhir", "--all", "--out", str(folder), "--data-dir", str(admin)]) == 0
    assert re.search(r"Patient\.ndjson: 6\d\n", capsys.readouterr().out)
    assert main(["export", "fhir", "--patient", "M999999", "--out", str(tmp_path / "x.json"),
                 "--data-dir", str(admin)]) == 1  # fmt: skip
    assert "No patient has MRN M999999." in capsys.readouterr().err
