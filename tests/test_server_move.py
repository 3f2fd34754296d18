"""``ma-desk migrate-to-server`` through the real CLI, on a real store and a real server.

Attacks what it promises: every row arrives with its id, the audit chain and its
seals verify on the server, the original file keeps every byte, and a refusal, a
failure on the server or a kill -9 mid-way leaves the server empty.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ma_desk.cli import main
from ma_desk.db.models import AuditEvent
from ma_desk.db.server import ServerDatabase, make_server_engine
from ma_desk.db.server_move import open_store_read_only, tables
from ma_desk.security.demo_accounts import DEMO_PASSWORD
from tests.conftest import PASSPHRASE

_names = itertools.count()
# Tables this small are compared row by row; bigger ones by count and a digest of every row.
ROW_BY_ROW_LIMIT = 5000


@pytest.fixture
def server(pg_cluster, monkeypatch, tmp_path):
    """A new, empty database; ``server.init()`` runs ``ma-desk server init`` on it."""
    name = f"mv{next(_names)}_{os.getpid()}"
    pg_cluster.psql(f"CREATE DATABASE {name}")
    handle = ServerHandle(pg_cluster, name)
    monkeypatch.setenv("MA_DESK_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("MA_DESK_USER", "admin")
    monkeypatch.setenv("MA_DESK_PASSWORD", DEMO_PASSWORD)
    yield handle
    handle.close()
    pg_cluster.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class ServerHandle:
    def __init__(self, cluster, name: str) -> None:
        self.cluster = cluster
        self.name = name
        self.url = cluster.url(name).replace("+psycopg", "")
        self._db: ServerDatabase | None = None

    def init(self) -> None:
        assert main(["server", "init", "--database-url", self.url]) == 0

    @property
    def db(self) -> ServerDatabase:
        if self._db is None:
            self._db = ServerDatabase(make_server_engine(self.url), self.url)
        return self._db

    def rows_in_every_table(self) -> int:
        with self.db.engine.connect() as conn:
            return sum(conn.scalar(select(func.count()).select_from(t)) for t in tables())

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


@pytest.fixture
def sealed_demo_dir(demo_dir: Path) -> Path:
    """The demo clinic after an administrator signed in once (so its trail carries seals)."""
    from ma_desk.db.store import open_store
    from ma_desk.services import Services

    opened = open_store(demo_dir, passphrase=PASSPHRASE)
    try:
        services = Services(opened.db)
        services.accounts.sign_in("admin", DEMO_PASSWORD)
        services.accounts.sign_out()
    finally:
        opened.db.close()
    return demo_dir


def migrate(demo_dir: Path, server: ServerHandle, *extra: str) -> int:
    return main(["migrate-to-server", "--data-dir", str(demo_dir),
                 "--database-url", server.url, *extra])  # fmt: skip


def file_digests(folder: Path) -> dict[str, str]:
    """Every file in the data folder and its SHA-256 (the store must keep every byte)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}  # fmt: skip


def table_rows(conn, table, *, upto_audit_id: int | None = None):
    stmt = select(table).order_by(*table.primary_key.columns)
    if upto_audit_id is not None and table.name == "audit_events":
        stmt = stmt.where(table.c.id <= upto_audit_id)
    return [tuple(row) for row in conn.execute(stmt)]


def assert_same_rows(source_conn, server_conn, audit_head: int) -> None:
    """Every table equal: row by row when small, count + digest of the rows when big."""
    for table in tables():
        mine = table_rows(source_conn, table, upto_audit_id=audit_head)
        theirs = table_rows(server_conn, table, upto_audit_id=audit_head)
        if table.name == "audit_head":
            continue  # moved on by the migration's own audit entry
        if len(mine) <= ROW_BY_ROW_LIMIT:
            assert mine == theirs, table.name
        else:
            assert len(mine) == len(theirs), table.name
            assert _digest(mine) == _digest(theirs), table.name


def _digest(rows) -> str:
    return hashlib.sha256(repr(rows).encode()).hexdigest()


# ------------------------------------------------------------------ the move
def test_demo_store_moves_every_row_and_the_original_keeps_every_byte(
    sealed_demo_dir, server, capsys
):
    demo_dir = sealed_demo_dir
    server.init()
    before = file_digests(demo_dir)
    assert migrate(demo_dir, server) == 0
    out, err = capsys.readouterr()
    assert "counts equal" in out and "Audit chain verified" in out and "seals verified" in out
    assert "patients:" in err  # progress on the terminal
    assert file_digests(demo_dir) == before

    source = open_store_read_only(demo_dir)
    try:
        with source.engine.connect() as src, server.db.engine.connect() as dst:
            head = src.scalar(select(func.max(AuditEvent.id)))
            assert_same_rows(src, dst, head)
            last = dst.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
            assert last.action == "migrate_to_server" and last.username == "admin"
    finally:
        source.close()
    assert file_digests(demo_dir) == before


def test_the_moved_clinic_verifies_and_works_on_the_server(sealed_demo_dir, server, capsys):
    demo_dir = sealed_demo_dir
    server.init()
    assert migrate(demo_dir, server) == 0
    capsys.readouterr()
    # audit verify signs the administrator in: the seals are checked with their key.
    assert main(["audit", "verify", "--database-url", server.url]) == 0
    out = capsys.readouterr().out
    assert "intact" in out and "seals" in out
    # New rows get new ids (sequences moved past the copied ones): a patient registers.
    from ma_desk.services import Services

    services = Services(server.db)
    services.accounts.sign_in("frontdesk", DEMO_PASSWORD)
    with server.db.read() as s:
        highest = s.scalar(select(func.max(tables_by_name()["patients"].c.id)))
    patient = services.patients.register(_new_patient(), duplicate_override=True)
    assert patient.id == highest + 1


def tables_by_name():
    return {t.name: t for t in tables()}


def _new_patient():
    import datetime as dt

    from ma_desk.services.patients import PatientInput

    return PatientInput(first_name="Ivo", last_name="Marsh", dob=dt.date(1980, 4, 2),
                        sex="male", phone="(555) 201-0142")  # fmt: skip


# ------------------------------------------------------------------ refusals
def test_a_server_that_holds_a_clinic_is_refused_and_unchanged(demo_dir, server, capsys):
    server.init()
    assert migrate(demo_dir, server) == 0
    rows = server.rows_in_every_table()
    capsys.readouterr()
    assert migrate(demo_dir, server) == 1
    assert "already holds data" in capsys.readouterr().err
    assert server.rows_in_every_table() == rows


def test_an_uninitialised_server_is_refused_with_what_to_run(demo_dir, server, capsys):
    assert migrate(demo_dir, server) == 1
    assert "ma-desk server init" in capsys.readouterr().err


def test_a_damaged_store_file_is_refused_and_left_as_it_is(demo_dir, server, capsys):
    server.init()
    store = demo_dir / "clinic.madesk"
    data = bytearray(store.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    store.write_bytes(bytes(data))
    before = file_digests(demo_dir)
    assert migrate(demo_dir, server) == 1
    assert "ma-desk:" in capsys.readouterr().err
    assert file_digests(demo_dir) == before
    assert server.rows_in_every_table() == 0


def test_a_wrong_key_is_refused_and_nothing_changes(demo_dir, server, capsys, monkeypatch):
    server.init()
    monkeypatch.setenv("MA_DESK_PASSPHRASE", "not the passphrase of this store at all")
    before = file_digests(demo_dir)
    assert migrate(demo_dir, server) == 1
    assert "could not be opened with this key" in capsys.readouterr().err
    assert file_digests(demo_dir) == before
    assert server.rows_in_every_table() == 0


@pytest.mark.parametrize(("user", "password", "says"), [
    ("ma", DEMO_PASSWORD, "Only an administrator"),
    ("admin", "not the admin password", "password"),
])  # fmt: skip
def test_only_an_administrator_of_the_store_moves_it(
    demo_dir, server, capsys, monkeypatch, user, password, says
):
    server.init()
    monkeypatch.setenv("MA_DESK_USER", user)
    monkeypatch.setenv("MA_DESK_PASSWORD", password)
    before = file_digests(demo_dir)
    assert migrate(demo_dir, server) == 1
    assert says in capsys.readouterr().err
    assert file_digests(demo_dir) == before  # a failed sign-in is not written to the store
    assert server.rows_in_every_table() == 0


@pytest.mark.parametrize(("attack", "says"), [
    ("edit", "audit trail does not verify"),
    ("rewrite", "audit seals do not verify"),  # hashes recomputed: only the seals tell
])  # fmt: skip
def test_a_tampered_audit_trail_is_not_moved(sealed_demo_dir, server, capsys, attack, says):
    """An insider edited the trail with plain SQL; the move refuses and keeps nothing."""
    import random

    from ma_desk.db.store import open_store
    from tests import tamper

    opened = open_store(sealed_demo_dir, passphrase=PASSPHRASE)
    try:
        with opened.db.engine.begin() as conn:
            getattr(tamper, attack)(conn, random.Random(3))
    finally:
        opened.db.close()
    server.init()
    assert migrate(sealed_demo_dir, server) == 1
    assert says in capsys.readouterr().err
    assert server.rows_in_every_table() == 0


def test_a_failure_on_the_server_mid_copy_rolls_everything_back(demo_dir, server, capsys):
    """The server refuses the last table's rows (an adversary's trigger): nothing is kept."""
    server.init()
    server.cluster.psql(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'disk trouble'; END $$; "
        f"CREATE TRIGGER refuse BEFORE INSERT ON {tables()[-1].name} "
        "FOR EACH ROW EXECUTE FUNCTION refuse()",
        server.name,
    )
    assert migrate(demo_dir, server) == 1
    capsys.readouterr()
    assert server.rows_in_every_table() == 0


def test_kill_during_the_move_leaves_the_server_empty(demo_dir, server):
    """kill -9 in the middle of the copy: PostgreSQL rolls the transaction back.

    The test holds the last table in SHARE mode (reads pass, writes wait), so the move
    is caught for certain after copying every other table, before its commit.
    """
    import psycopg

    server.init()
    before = file_digests(demo_dir)
    last = tables()[-1].name
    with psycopg.connect(server.url) as holder:
        holder.execute(f"LOCK TABLE {last} IN SHARE MODE")
        proc = subprocess.Popen(
            [sys.executable, "-m", "ma_desk", "migrate-to-server", "--data-dir", str(demo_dir),
             "--database-url", server.url],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            _wait_until(lambda: _query_waiting_on_a_lock(server), deadline=60)
            # Every table before the last is copied; its own rows are on their way.
            assert _query_waiting_on_a_lock(server).startswith(f'COPY "{last}"')
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        holder.rollback()
    assert proc.returncode == -signal.SIGKILL
    _wait_until(lambda: _backends_of(server) == 0, deadline=30)
    assert server.rows_in_every_table() == 0
    assert file_digests(demo_dir) == before


def _query_waiting_on_a_lock(server: ServerHandle) -> str:
    """The statement of the backend waiting for a lock in the database ("" when none)."""
    return server.cluster.psql(
        f"SELECT query FROM pg_stat_activity WHERE datname = '{server.name}' "
        "AND wait_event_type = 'Lock'"
    ).strip()


def _backends_of(server: ServerHandle) -> int:
    """Connections of other processes to the database (the killed one's must be gone)."""
    out = server.cluster.psql(
        f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{server.name}' "
        "AND pid <> pg_backend_pid()"
    )
    return int(out.strip())


def _wait_until(condition, *, deadline: float) -> None:
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, "condition not reached in time"
        time.sleep(0.05)
