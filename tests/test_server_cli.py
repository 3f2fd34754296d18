"""Server mode through the real CLI: init, demo, check and audit verify on PostgreSQL."""

from __future__ import annotations

import itertools

import pytest

from ma_desk.cli import main
from ma_desk.security.demo_accounts import DEMO_PASSWORD

_names = itertools.count()


@pytest.fixture
def server_url(pg_cluster, monkeypatch, tmp_path):
    """An empty database on the test server, named in MA_DESK_DATABASE_URL."""
    name = f"cli{next(_names)}"
    pg_cluster.psql(f"CREATE DATABASE {name}")
    url = pg_cluster.url(name).replace("+psycopg", "")
    monkeypatch.setenv("MA_DESK_DATABASE_URL", url)
    monkeypatch.setenv("MA_DESK_DATA_DIR", str(tmp_path / "workstation"))
    monkeypatch.setenv("MA_DESK_APP_ROLE_PASSWORD", "walnut quarry saffron ledger")
    yield url
    pg_cluster.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_init_creates_then_finds_the_schema_ready(server_url, capsys):
    code, out, _ = run(capsys, "server", "init")
    assert code == 0 and "from empty to 0001" in out
    code, out, _ = run(capsys, "server", "init")
    assert code == 0 and "already at 0001" in out


def test_a_server_without_a_clinic_is_refused_with_what_to_do(server_url, capsys):
    code, _, err = run(capsys, "check")
    assert code == 1 and "ma-desk server init" in err


def test_demo_check_and_verify_on_the_server(server_url, capsys, monkeypatch):
    assert run(capsys, "server", "init")[0] == 0
    code, out, err = run(capsys, "demo", "--patients", "60")
    assert code == 0 and "60 patients" in out and "clinic server" in out, err
    code, out, _ = run(capsys, "demo", "--patients", "60")
    assert code == 1  # a clinic is there already: nothing changed
    code, out, _ = run(capsys, "check")
    assert code == 0 and "links and hashes agree" in out and "patients         60" in out
    monkeypatch.setenv("MA_DESK_USER", "admin")
    monkeypatch.setenv("MA_DESK_PASSWORD", DEMO_PASSWORD)
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0 and "intact" in out


def test_a_newer_schema_on_the_server_is_refused(server_url, pg_cluster, capsys):
    assert run(capsys, "server", "init")[0] == 0
    database = server_url.split("@/", 1)[1].split("?")[0]
    pg_cluster.psql("UPDATE alembic_version SET version_num = '9999'", database)
    code, _, err = run(capsys, "check")
    assert code == 1 and "newer MA Desk" in err
    code, _, err = run(capsys, "server", "init")
    assert code == 1 and "newer MA Desk" in err


def test_not_a_postgresql_address_is_refused(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("MA_DESK_DATABASE_URL", "mysql://clinic@server/clinic")
    code, _, err = run(capsys, "check", "--data-dir", str(tmp_path))
    assert code == 1 and "not a PostgreSQL address" in err


def test_an_unreachable_server_is_named_and_nothing_hangs(monkeypatch, capsys, tmp_path):
    from tests.pg_cluster import free_port

    url = f"postgresql://madesk@127.0.0.1:{free_port()}/clinic?sslmode=disable"
    monkeypatch.setenv("MA_DESK_DATABASE_URL", url)
    code, _, err = run(capsys, "check", "--data-dir", str(tmp_path))
    assert code == 1 and "cannot be reached" in err


@pytest.mark.parametrize(
    ("argv", "advice"),
    [(["restore", "/tmp/any-backup.madesk"], "migrate-to-server"),
     (["rekey"], "--new-app-password")],
)  # fmt: skip
def test_file_only_commands_refuse_a_server_in_words(server_url, capsys, argv, advice):
    """restore and rekey act on a store file: on a server they said a key was missing, or
    ended in an unexpected HashingError."""
    code, out, err = run(capsys, *argv)
    assert code == 1 and "not to the clinic server" in err and advice in err
    assert "unexpected" not in err and len(err.strip().splitlines()) == 1
