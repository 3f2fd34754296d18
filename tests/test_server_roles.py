"""Roles the database itself enforces: the workstations' account cannot change the schema
and can only read and add audit entries; a trigger refuses UPDATE, DELETE and TRUNCATE of
audit entries for every account while it stands; check and audit verify notice when it
does not; server init is idempotent; and the services do all their work as that account.

Every test runs on the real PostgreSQL cluster of tests/pg_cluster.py, the workstations'
account connecting over verified TLS with SCRAM-SHA-256, as in a clinic.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from ma_desk.actor import Actor
from ma_desk.cli import main
from ma_desk.db.server import ServerDatabase, make_server_engine
from ma_desk.db.server_setup import (
    APP_PASSWORD_MIN_LENGTH,
    app_password_problem,
    ensure_app_login,
    guard_problems,
    role_name_problem,
    server_state,
)
from ma_desk.errors import StoreReadOnlyError, ValidationError
from ma_desk.security.demo_accounts import DEMO_PASSWORD
from ma_desk.services import Services

# A representative slice of the service suite, run below as the workstations' account
# (the fixtures they use resolve to this module's demo_services and services).
from tests.test_accounts import (  # noqa: F401
    test_admin_creates_changes_and_resets_accounts,
    test_break_glass_is_time_limited_and_flagged,
    test_wrong_password_and_unknown_user_are_audited_failures,
)
from tests.test_audit_trail import test_intact_chain_verifies  # noqa: F401
from tests.test_checkin_service import (  # noqa: F401
    open_appt,
    test_arrive_creates_the_visit_with_copay_complaint_and_forms,
    test_walk_in_books_now_and_arrives_in_one_go,
)
from tests.test_flow import (  # noqa: F401
    clinic,
    test_undo_takes_back_each_step_and_its_side_effects,
    test_walk_through_every_status_with_timestamps,
)
from tests.test_insurance_service import patient_id, test_add_coverage_keeps_all_fields  # noqa: F401
from tests.test_vitals_service import (  # noqa: F401
    ma,
    test_amend_keeps_the_original_with_who_and_why,
    test_critical_values_need_acknowledgement_and_create_a_task,
    test_save_a_full_set_in_canonical_units_attached_to_the_visit,
)

APP_ROLE = "madesk_app_roles"
APP_PASSWORD = "walnut quarry saffron ledger"
_names = itertools.count()


@pytest.fixture(scope="module")
def app_login(pg_cluster, pg_templates) -> str:
    """The workstations' login role (cluster-wide), a member of the workstation group."""
    engine = make_server_engine(pg_cluster.url())
    with engine.begin() as conn:
        ensure_app_login(conn, APP_ROLE, APP_PASSWORD)
    engine.dispose()
    return APP_ROLE


@pytest.fixture
def clinic_pair(pg_cluster, pg_database, app_login):
    """``clinic_pair("demo")``: (owner's ServerDatabase, workstations' ServerDatabase)."""
    opened: list[ServerDatabase] = []

    def make(template: str = "demo") -> tuple[ServerDatabase, ServerDatabase]:
        owner = pg_database(template)
        name = owner.engine.url.database
        url = pg_cluster.url(name, app_login, APP_PASSWORD, tls=True)
        app = ServerDatabase(make_server_engine(url), url)
        opened.append(app)
        return owner, app

    yield make
    for db in opened:
        db.close()


@pytest.fixture
def demo_services(clinic_pair, clock) -> Services:
    """The demo clinic, reached with the workstations' account (overrides conftest's)."""
    return Services(clinic_pair("demo")[1], clock, actor=Actor.system())


@pytest.fixture
def services(clinic_pair, clock) -> Services:
    """An empty clinic, reached with the workstations' account (overrides conftest's)."""
    return Services(clinic_pair("empty")[1], clock, actor=Actor.system())


def audit_count(db: ServerDatabase) -> int:
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one()


def run_sql(db: ServerDatabase, statement: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(statement))


# ------------------------------------------------------------------ the workstations' account
def test_the_workstations_connect_over_verified_tls_with_scram(clinic_pair, pg_cluster):
    _owner, app = clinic_pair("empty")
    with app.engine.connect() as conn:
        assert conn.execute(text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                            ).scalar_one() is True  # fmt: skip
        assert conn.execute(text("SELECT current_user")).scalar_one() == APP_ROLE
    stored = pg_cluster.psql(f"SELECT rolpassword FROM pg_authid WHERE rolname = '{APP_ROLE}'")
    assert stored.startswith("SCRAM-SHA-256$")


DDL = [
    "CREATE TABLE stolen (x int)",
    "CREATE VIEW everyone AS SELECT * FROM patients",
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "CREATE SCHEMA elsewhere",
    "ALTER TABLE patients ADD COLUMN leaked text",
    "ALTER TABLE audit_events DISABLE TRIGGER ma_desk_audit_no_change",
    "DROP TRIGGER ma_desk_audit_no_change ON audit_events",
    "DROP TABLE appointments",
    "DROP FUNCTION ma_desk_audit_append_only() CASCADE",
    "TRUNCATE patients CASCADE",
    "CREATE INDEX ix_x ON patients (id)",
    "SET session_replication_role = replica",
    "UPDATE alembic_version SET version_num = '0000'",
]


@pytest.mark.parametrize("statement", DDL)
def test_the_workstations_account_cannot_change_the_schema(clinic_pair, statement):
    owner, app = clinic_pair("demo")
    before = server_state_of(owner)
    with pytest.raises(StoreReadOnlyError, match="does not allow this account"):
        run_sql(app, statement)
    assert server_state_of(owner) == before


def server_state_of(db: ServerDatabase) -> tuple:
    with db.engine.connect() as conn:
        tables = conn.execute(text(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
        )).scalar_one()  # fmt: skip
        return (tables, server_state(conn), [p.problem for p in guard_problems(conn)])


AUDIT_CHANGES = [
    "UPDATE audit_events SET username = 'nobody' WHERE id = 3",
    "UPDATE audit_events SET details = '{}'",
    "DELETE FROM audit_events WHERE id = 5",
    "DELETE FROM audit_events",
    "TRUNCATE audit_events",
    "TRUNCATE audit_events CASCADE",
]


@pytest.mark.parametrize("statement", AUDIT_CHANGES)
@pytest.mark.parametrize("account", ["workstations", "owner"])
def test_nobody_changes_or_removes_audit_entries_while_the_trigger_stands(
    clinic_pair, statement, account
):
    owner, app = clinic_pair("demo")
    with owner.engine.connect() as conn:
        before = conn.execute(text("SELECT id, hash FROM audit_events ORDER BY id")).all()
    with pytest.raises(StoreReadOnlyError, match="does not allow this account"):
        run_sql(app if account == "workstations" else owner, statement)
    with owner.engine.connect() as conn:
        assert conn.execute(text("SELECT id, hash FROM audit_events ORDER BY id")).all() == before


def test_the_workstations_account_reads_and_adds_audit_entries(demo_services, sign_in_as):
    db = demo_services.ctx.db
    before = audit_count(db)
    sign_in_as("admin")
    report = demo_services.audit_log.verify()
    assert report.intact, [str(p) for p in report.problems]
    assert audit_count(db) > before


# ------------------------------------------------------------------ noticing a lifted guard
def test_a_disabled_trigger_is_reported_by_check_and_audit_verify(
    clinic_pair, pg_cluster, monkeypatch, tmp_path, capsys
):
    owner, _app = clinic_pair("demo")
    name = owner.engine.url.database
    run_sql(owner, "ALTER TABLE audit_events DISABLE TRIGGER ma_desk_audit_no_change")
    monkeypatch.setenv("MA_DESK_DATA_DIR", str(tmp_path))
    app_url = pg_cluster.url(name, APP_ROLE, tls=True).replace("+psycopg", "")
    monkeypatch.setenv("MA_DESK_DATABASE_PASSWORD", APP_PASSWORD)
    assert main(["check", "--database-url", app_url]) == 1
    out = capsys.readouterr().out
    assert "PROTECTION" in out and "UPDATE or DELETE of audit entries is disabled" in out
    monkeypatch.setenv("MA_DESK_USER", "admin")
    monkeypatch.setenv("MA_DESK_PASSWORD", DEMO_PASSWORD)
    assert main(["audit", "verify", "--database-url", app_url]) == 1
    out = capsys.readouterr().out
    assert "DAMAGED: the trigger that refuses UPDATE or DELETE of audit entries is disabled" in out


@pytest.mark.parametrize(
    ("lifting", "reported"),
    [
        ("DROP TRIGGER ma_desk_audit_no_change ON audit_events",
         "refuses UPDATE or DELETE of audit entries is missing"),
        ("DROP TRIGGER ma_desk_audit_no_truncate ON audit_events",
         "refuses TRUNCATE of audit entries is missing"),
        ("ALTER TABLE audit_events DISABLE TRIGGER ALL",
         "refuses TRUNCATE of audit entries is disabled"),
        ("CREATE OR REPLACE FUNCTION ma_desk_audit_append_only() RETURNS trigger "
         "LANGUAGE plpgsql AS $$BEGIN RETURN OLD; END;$$",
         "keeps audit entries append-only is missing or changed"),
        ("DROP TRIGGER ma_desk_audit_no_change ON audit_events; CREATE TRIGGER "
         "ma_desk_audit_no_change BEFORE UPDATE ON audit_events FOR EACH ROW EXECUTE "
         "FUNCTION ma_desk_audit_append_only()",
         "refuses UPDATE or DELETE of audit entries was changed"),
        ("GRANT UPDATE ON audit_events TO PUBLIC", "the account PUBLIC may UPDATE audit entries"),
        (f"GRANT DELETE ON audit_events TO {APP_ROLE}",
         f"the account {APP_ROLE} may DELETE audit entries"),
        ("GRANT TRUNCATE ON audit_events TO ma_desk_workstation",
         "the account ma_desk_workstation may TRUNCATE audit entries"),
        ("GRANT CREATE ON SCHEMA public TO PUBLIC",
         "the account PUBLIC may create tables in the clinic's schema"),
    ],
)  # fmt: skip
def test_every_way_of_lifting_the_guard_is_named_by_audit_verify(
    clinic_pair, clock, lifting, reported
):
    owner, app = clinic_pair("demo")
    run_sql(owner, lifting)
    services = Services(app, clock, actor=Actor.system())
    services.accounts.sign_in("admin", DEMO_PASSWORD)
    report = services.audit_log.verify()
    assert any(reported in str(p) for p in report.problems), [str(p) for p in report.problems]


# ------------------------------------------------------------------ server init through the CLI
@pytest.fixture
def fresh_database(pg_cluster, monkeypatch, tmp_path):
    """An empty database (no template), named in MA_DESK_DATABASE_URL with the superuser."""
    name = f"roles{next(_names)}"
    pg_cluster.psql(f"CREATE DATABASE {name}")
    monkeypatch.setenv("MA_DESK_DATABASE_URL", pg_cluster.url(name).replace("+psycopg", ""))
    monkeypatch.setenv("MA_DESK_DATA_DIR", str(tmp_path / "workstation"))
    yield name
    pg_cluster.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def init(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["server", "init", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def state_of(pg_cluster, database: str) -> tuple:
    engine = make_server_engine(pg_cluster.url(database))
    try:
        with engine.connect() as conn:
            return server_state(conn, APP_ROLE)
    finally:
        engine.dispose()


def test_init_twice_changes_nothing_and_says_so(fresh_database, pg_cluster, capsys, monkeypatch):
    monkeypatch.setenv("MA_DESK_APP_ROLE_PASSWORD", APP_PASSWORD)
    code, out, _ = init(capsys, "--app-role", APP_ROLE)
    assert code == 0 and "from empty to" in out and "Nothing changed" not in out
    after_first = state_of(pg_cluster, fresh_database)
    code, out, _ = init(capsys, "--app-role", APP_ROLE)
    assert code == 0 and "already at" in out and "password unchanged" in out
    assert "Nothing changed" in out
    assert state_of(pg_cluster, fresh_database) == after_first


def test_init_repairs_a_lifted_trigger_and_schema_grant(fresh_database, pg_cluster, capsys,
                                                        monkeypatch):  # fmt: skip
    monkeypatch.setenv("MA_DESK_APP_ROLE_PASSWORD", APP_PASSWORD)
    assert init(capsys, "--app-role", APP_ROLE)[0] == 0
    pg_cluster.psql("ALTER TABLE audit_events DISABLE TRIGGER ALL; "
                    "GRANT CREATE ON SCHEMA public TO PUBLIC", fresh_database)  # fmt: skip
    code, out, _ = init(capsys, "--app-role", APP_ROLE)
    assert code == 0 and "Nothing changed" not in out and "WARNING" not in out
    assert main(["check"]) == 0


def test_init_warns_about_a_grant_it_did_not_make(fresh_database, pg_cluster, capsys,
                                                  monkeypatch):  # fmt: skip
    monkeypatch.setenv("MA_DESK_APP_ROLE_PASSWORD", APP_PASSWORD)
    assert init(capsys, "--app-role", APP_ROLE)[0] == 0
    pg_cluster.psql(f"CREATE ROLE auditor_{fresh_database}", fresh_database)
    pg_cluster.psql(f"GRANT DELETE ON audit_events TO auditor_{fresh_database}", fresh_database)
    code, out, _ = init(capsys, "--app-role", APP_ROLE)
    assert code == 1 and f"WARNING: the account auditor_{fresh_database} may DELETE" in out
    pg_cluster.psql(f"DROP OWNED BY auditor_{fresh_database}; DROP ROLE auditor_{fresh_database}",
                    fresh_database)  # fmt: skip


def test_a_new_account_without_a_password_changes_nothing(fresh_database, pg_cluster, capsys,
                                                          monkeypatch):  # fmt: skip
    monkeypatch.delenv("MA_DESK_APP_ROLE_PASSWORD", raising=False)
    code, _, err = init(capsys, "--app-role", f"nopw_{fresh_database}")
    assert code == 1 and "MA_DESK_APP_ROLE_PASSWORD" in err
    assert pg_cluster.psql(f"SELECT count(*) FROM pg_roles WHERE rolname = 'nopw_{fresh_database}'"
                           ).strip() == "0"  # fmt: skip
    assert main(["check"]) == 1  # no schema was created either


@pytest.mark.parametrize("weak", ["password1234", "Summer2024!!", "qwertyuiopas"])
def test_a_weak_workstation_password_is_refused(fresh_database, pg_cluster, capsys, monkeypatch,
                                                weak):  # fmt: skip
    monkeypatch.setenv("MA_DESK_APP_ROLE_PASSWORD", weak)
    code, _, err = init(capsys, "--app-role", f"weak_{fresh_database}")
    assert code == 1 and ("guess" in err or "at least" in err)
    assert pg_cluster.psql(f"SELECT count(*) FROM pg_roles WHERE rolname = 'weak_{fresh_database}'"
                           ).strip() == "0"  # fmt: skip


@pytest.mark.parametrize("privileged", ["postgres", "pg_read_all_data", "ma_desk_workstation"])
def test_a_privileged_or_reserved_role_is_never_made_the_workstations_account(
    fresh_database, capsys, monkeypatch, privileged
):
    monkeypatch.setenv("MA_DESK_APP_ROLE_PASSWORD", APP_PASSWORD)
    code, _, err = init(capsys, "--app-role", privileged)
    assert code == 1 and ("privileged" in err or "reserved" in err)


def test_the_password_never_reaches_the_server_log_or_the_output(fresh_database, pg_cluster,
                                                                 capsys, monkeypatch):  # fmt: skip
    secret = "quince harbour lantern mosaic 4417"
    pg_cluster.psql(f"ALTER ROLE postgres IN DATABASE {fresh_database} SET log_statement = 'all'")
    monkeypatch.setenv("MA_DESK_APP_ROLE_PASSWORD", secret)
    code, out, err = init(capsys, "--app-role", f"logged_{fresh_database}")
    assert code == 0
    log = (pg_cluster.root / "pg.log").read_text(errors="replace")
    assert f'CREATE ROLE "logged_{fresh_database}"' in log  # the statement was logged...
    assert secret not in log and secret not in out + err  # ...with a SCRAM verifier only
    pg_cluster.psql(f"DROP OWNED BY logged_{fresh_database}; DROP ROLE logged_{fresh_database}",
                    fresh_database)  # fmt: skip


def test_no_command_line_option_takes_a_password(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["server", "init", "--app-password", "anything at all here"])
    assert raised.value.code == 2


# ------------------------------------------------------------------ typed input
@given(st.text(max_size=80))
def test_any_typed_role_name_is_accepted_only_as_a_plain_identifier(name):
    problem = role_name_problem(name)
    if problem is None:
        assert name.isascii() and name.replace("_", "a").isalnum() and len(name) <= 63
        assert not name[0].isdigit()
    else:
        assert "account" in problem or "reserved" in problem


@pytest.mark.parametrize(("length", "ok"), [(62, True), (63, True), (64, False)])
def test_role_name_length_boundary(length, ok):
    assert (role_name_problem("a" * length) is None) is ok


@given(st.text(max_size=40))
def test_any_typed_password_gets_an_answer_not_a_crash(password):
    problem = app_password_problem(password)
    if len(password) < APP_PASSWORD_MIN_LENGTH:
        assert problem is not None and "at least" in problem


@pytest.mark.parametrize("extra", [-1, 0, 1])
def test_password_length_boundary(extra):
    password = "zq" * 20
    password = password[: APP_PASSWORD_MIN_LENGTH + extra]
    problem = app_password_problem(password) or ""
    assert ("at least" in problem) is (extra < 0)


def test_a_strong_password_is_accepted_and_words_of_the_clinic_count_against_it():
    assert app_password_problem(APP_PASSWORD) is None
    with pytest.raises(ValidationError):
        from ma_desk.db.server_setup import check_app_password

        check_app_password("maplegrove madesk clinic", ["Maple Grove", "madesk"])


def test_init_with_an_account_that_may_not_create_roles_says_what_it_needs(
    pg_cluster, capsys, monkeypatch, tmp_path
):
    name = f"roles{next(_names)}"
    owner = f"owner_{name}"
    pg_cluster.psql(f"CREATE ROLE {owner} LOGIN")
    pg_cluster.psql(f"CREATE DATABASE {name} OWNER {owner}")
    pg_cluster.psql(f"ALTER SCHEMA public OWNER TO {owner}", name)
    monkeypatch.setenv("MA_DESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MA_DESK_APP_ROLE_PASSWORD", APP_PASSWORD)
    url = pg_cluster.url(name, owner).replace("+psycopg", "")
    code, _, err = init(capsys, "--database-url", url, "--app-role", f"app_{name}")
    assert code == 1 and "CREATEROLE" in err and "Nothing was changed" in err
    assert pg_cluster.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
                           name).strip() == "0"  # fmt: skip
    pg_cluster.psql(f"DROP DATABASE {name} WITH (FORCE)")
    pg_cluster.psql(f"DROP ROLE {owner}")
