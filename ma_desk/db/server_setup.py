"""What a clinic server needs beyond the tables: functions, triggers, roles and grants.

``install_server_objects`` runs every step in order, each idempotent (CREATE OR
REPLACE, IF NOT EXISTS), after the Alembic migrations, from ``ma-desk server
init`` (with the database owner's account) and from the tests' template
databases. A step is one small function with one job; add new ones to STEPS.

The workstations sign in to the server with their own login role, a member of
WORKSTATION_GROUP, which may read and change the clinic's records but cannot
run DDL, and may only SELECT and INSERT audit entries. The database itself
enforces that, and a trigger refuses UPDATE, DELETE and TRUNCATE of audit
entries for every account, the owner too: only dropping or disabling the
trigger gets past it, and ``guard_problems`` (``ma-desk check``, ``audit
verify``) reports exactly that.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from ma_desk.audit import ChainProblem
from ma_desk.errors import ValidationError
from ma_desk.security import strength

ServerStep = Callable[[Connection], None]

SCHEMA = "public"
WORKSTATION_GROUP = "ma_desk_workstation"
DEFAULT_APP_ROLE = "madesk_app"
AUDIT_TABLE = "audit_events"
# Tables whose rows only migrations change.
READ_ONLY_TABLES = ("alembic_version",)
APPEND_ONLY_FUNCTION = "ma_desk_audit_append_only"
ROW_TRIGGER = "ma_desk_audit_no_change"
TRUNCATE_TRIGGER = "ma_desk_audit_no_truncate"
APPEND_ONLY_BODY = """
BEGIN
    RAISE EXCEPTION 'MA Desk audit entries are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
"""
# The workstations' password guards every record of the clinic over the network.
APP_PASSWORD_MIN_GUESSES = 10**12
APP_PASSWORD_MIN_LENGTH = 12
APP_PASSWORD_MAX_LENGTH = 1024
# pg_trigger.tgtype bits: ROW 1, BEFORE 2, INSERT 4, DELETE 8, UPDATE 16, TRUNCATE 32.
_ROW_TRIGGER_TYPE = 1 | 2 | 8 | 16
_TRUNCATE_TRIGGER_TYPE = 2 | 32
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


# ------------------------------------------------------------------ steps
def close_schema_to_public(connection: Connection) -> None:
    """No account but the owner may create objects in the clinic's schema."""
    connection.execute(text(f"REVOKE CREATE ON SCHEMA {SCHEMA} FROM PUBLIC"))


def make_audit_append_only(connection: Connection) -> None:
    """A trigger refuses UPDATE, DELETE and TRUNCATE of audit entries, for every account."""
    connection.execute(text(
        f"CREATE OR REPLACE FUNCTION {APPEND_ONLY_FUNCTION}() RETURNS trigger "
        f"LANGUAGE plpgsql AS $body${APPEND_ONLY_BODY}$body$"
    ))  # fmt: skip
    connection.execute(text(
        f"CREATE OR REPLACE TRIGGER {ROW_TRIGGER} BEFORE UPDATE OR DELETE ON {AUDIT_TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {APPEND_ONLY_FUNCTION}()"
    ))  # fmt: skip
    connection.execute(text(
        f"CREATE OR REPLACE TRIGGER {TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {AUDIT_TABLE} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {APPEND_ONLY_FUNCTION}()"
    ))  # fmt: skip
    connection.execute(text(f"ALTER TABLE {AUDIT_TABLE} ENABLE ALWAYS TRIGGER {ROW_TRIGGER}"))
    connection.execute(text(f"ALTER TABLE {AUDIT_TABLE} ENABLE ALWAYS TRIGGER {TRUNCATE_TRIGGER}"))


def create_workstation_group(connection: Connection) -> None:
    """The role that holds the workstations' rights; login roles are its members."""
    connection.execute(text(
        "DO $$ BEGIN "
        f"IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{WORKSTATION_GROUP}') THEN "
        f"CREATE ROLE {WORKSTATION_GROUP} NOLOGIN; END IF; END $$"
    ))  # fmt: skip


def grant_workstation_rights(connection: Connection) -> None:
    """Records: read and change; audit entries: read and add; schema: use, never create."""
    group = WORKSTATION_GROUP
    for statement in (
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {SCHEMA} FROM {group}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {SCHEMA} FROM {group}",
        f"REVOKE ALL ON SCHEMA {SCHEMA} FROM {group}",
        f"GRANT USAGE ON SCHEMA {SCHEMA} TO {group}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {SCHEMA} TO {group}",
        f"REVOKE UPDATE, DELETE ON {AUDIT_TABLE} FROM {group}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {AUDIT_TABLE} FROM PUBLIC",
        *(f"REVOKE INSERT, UPDATE, DELETE ON {table} FROM {group}" for table in READ_ONLY_TABLES),
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {SCHEMA} TO {group}",
    ):
        connection.execute(text(statement))


# ------------------------------------------------------------------ live workstations
# Statement-level triggers NOTIFY this channel with the table's name when a transaction
# changes a table the screens show. PostgreSQL delivers at commit (a rollback tells nobody)
# and sends identical notifications of one transaction once.
CHANGES_CHANNEL = "ma_desk_changes"

WATCHED_TABLES = (
    "appointments", "appointment_status_changes", "appointment_series", "appointment_types",
    "waitlist_entries", "visits", "visit_tasks", "vital_sets", "rooms", "checklist_runs",
    "checklist_run_items", "patients", "providers", "insurance_coverages", "eligibility_checks",
    "insurance_notes", "prior_authorizations", "settings",
)  # fmt: skip


def install_change_notifications(connection: Connection) -> None:
    """NOTIFY ma_desk_changes with the table name after each statement that changes a row."""
    connection.execute(text(f"""
        CREATE OR REPLACE FUNCTION ma_desk_notify_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANGES_CHANNEL}', TG_TABLE_NAME);
            RETURN NULL;
        END $$
    """))  # fmt: skip
    for table in WATCHED_TABLES:
        connection.execute(text(f"""
            CREATE OR REPLACE TRIGGER ma_desk_notify_{table}
            AFTER INSERT OR UPDATE OR DELETE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION ma_desk_notify_change()
        """))  # fmt: skip


# grant_workstation_rights stays last: it grants on every table the steps before it made.
STEPS: list[ServerStep] = [
    close_schema_to_public,
    make_audit_append_only,
    create_workstation_group,
    install_change_notifications,
    grant_workstation_rights,
]


def install_server_objects(connection: Connection) -> list[str]:
    """Run every step on ``connection`` (a PostgreSQL transaction); returns their names."""
    if connection.dialect.name != "postgresql":
        return []
    for step in STEPS:
        step(connection)
    return [step.__name__ for step in STEPS]


# ------------------------------------------------------------------ the workstations' login
def role_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be the workstations' account, or None."""
    if not _ROLE_NAME.match(name):
        return (
            f"'{name}' cannot name the workstations' database account: use lower-case "
            "letters, digits and _ (at most 63, not starting with a digit), e.g. madesk_app."
        )
    if name.startswith("pg_") or name == WORKSTATION_GROUP:
        return f"'{name}' is reserved; choose another name for the workstations' account."
    return None


def app_password_problem(password: str, extra_words: Iterable[str] = ()) -> str | None:
    """Why ``password`` may not protect the workstations' account, or None (zxcvbn)."""
    if len(password) < APP_PASSWORD_MIN_LENGTH:
        return (
            f"The workstations' database password must have at least "
            f"{APP_PASSWORD_MIN_LENGTH} characters: use four or more unrelated words."
        )
    if len(password) > APP_PASSWORD_MAX_LENGTH:
        return f"The password may have at most {APP_PASSWORD_MAX_LENGTH} characters."
    weak = strength.weakness(password, APP_PASSWORD_MIN_GUESSES, extra_words)
    if weak is None:
        return None
    reason = f" ({weak.warning.rstrip('.')})" if weak.warning else ""
    return (
        f"Someone on the clinic's network could guess this password in "
        f"{strength.order_of(weak.guesses)} tries{reason}; it must take more than 10^12. "
        "Use four or more unrelated words (not a saying, a name or a date)."
    )


def check_app_password(password: str, extra_words: Iterable[str] = ()) -> None:
    problem = app_password_problem(password, extra_words)
    if problem:
        raise ValidationError(problem, field="password")


def app_role_exists(connection: Connection, name: str) -> bool:
    found = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name})
    return found.first() is not None


def ensure_app_login(connection: Connection, name: str, password: str | None) -> str:
    """Create the workstations' login role (or set its password); says what it did.

    The password reaches the server only as a SCRAM-SHA-256 verifier computed
    here (libpq's PQencryptPasswordConn), so it never appears in the server's
    statement log.
    """
    problem = role_name_problem(name)
    if problem:
        raise ValidationError(problem, field="app_role")
    _refuse_privileged_role(connection, name)
    exists = app_role_exists(connection, name)
    if not exists and password is None:
        raise ValidationError(f"The new account {name} needs a password.", field="password")
    if exists and password is None:
        _grant_membership(connection, name)
        return "unchanged"
    assert password is not None  # refused above for a new account, kept for an existing one
    verifier = _scram_verifier(connection, name, password)
    verb = "ALTER" if exists else "CREATE"
    connection.execute(text(
        f'{verb} ROLE "{name}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION '
        f"NOBYPASSRLS INHERIT PASSWORD '{verifier.replace(':', chr(92) + ':')}'"
    ))  # fmt: skip
    _grant_membership(connection, name)
    return "password changed" if exists else "created"


def _grant_membership(connection: Connection, name: str) -> None:
    member = connection.execute(
        text("SELECT pg_has_role(:n, :g, 'MEMBER')"), {"n": name, "g": WORKSTATION_GROUP}
    ).scalar()
    if not member:
        connection.execute(text(f'GRANT {WORKSTATION_GROUP} TO "{name}"'))


def _refuse_privileged_role(connection: Connection, name: str) -> None:
    """The workstations' account must not be a superuser or own the clinic's tables."""
    row = connection.execute(
        text(
            "SELECT r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolbypassrls, "
            "EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "        WHERE n.nspname = :s AND c.relowner = r.oid) "
            "OR r.oid = (SELECT datdba FROM pg_database WHERE datname = current_database()) "
            "FROM pg_roles r WHERE r.rolname = :n"
        ),
        {"n": name, "s": SCHEMA},
    ).first()
    if row is not None and (row[0] or row[1]):
        raise ValidationError(
            f"{name} is a privileged account (a superuser, or the owner of the clinic's "
            "database): the workstations need an account of their own, e.g. madesk_app.",
            field="app_role",
        )


def _driver_connection(connection: Connection) -> Any:
    """psycopg's own connection under SQLAlchemy's (always there while ``connection`` is open)."""
    driver = connection.connection.driver_connection
    assert driver is not None
    return driver


def _scram_verifier(connection: Connection, name: str, password: str) -> str:
    pgconn = _driver_connection(connection).pgconn
    verifier: bytes = pgconn.encrypt_password(password.encode(), name.encode(), b"scram-sha-256")
    return verifier.decode("ascii").replace("'", "")  # base64, $ and :, never a quote


# ------------------------------------------------------------------ is it all still in place?
@dataclass(frozen=True)
class GuardProblem(ChainProblem):
    """A protection of the audit trail that the server no longer enforces."""

    def __str__(self) -> str:
        return self.problem


def guard_problems(connection: Connection) -> list[GuardProblem]:
    """What is missing of the append-only trigger and the grants; empty when all is there."""
    found = [
        *_trigger_problems(connection),
        *_audit_grant_problems(connection),
        *_schema_grant_problems(connection),
    ]
    return [GuardProblem(0, 0, problem) for problem in found]


def _trigger_problems(connection: Connection) -> list[str]:
    rows = connection.execute(
        text(
            "SELECT t.tgname, t.tgenabled::text, t.tgtype, p.proname FROM pg_trigger t "
            "JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE t.tgrelid = to_regclass(:table) AND NOT t.tgisinternal"
        ),
        {"table": AUDIT_TABLE},
    ).all()
    triggers = {name: (enabled, kind, function) for name, enabled, kind, function in rows}
    problems = []
    for name, needs, kind in ((ROW_TRIGGER, "UPDATE or DELETE", _ROW_TRIGGER_TYPE),
                              (TRUNCATE_TRIGGER, "TRUNCATE", _TRUNCATE_TRIGGER_TYPE)):  # fmt: skip
        if name not in triggers:
            problems.append(f"the trigger that refuses {needs} of audit entries is missing")
        elif triggers[name][0] == "D":
            problems.append(f"the trigger that refuses {needs} of audit entries is disabled")
        elif triggers[name][1:] != (kind, APPEND_ONLY_FUNCTION):
            problems.append(f"the trigger that refuses {needs} of audit entries was changed")
    body = connection.execute(
        text("SELECT prosrc FROM pg_proc WHERE proname = :f"), {"f": APPEND_ONLY_FUNCTION}
    ).scalar()
    if body is None or body.strip() != APPEND_ONLY_BODY.strip():
        problems.append("the function that keeps audit entries append-only is missing or changed")
    return problems


def _audit_grant_problems(connection: Connection) -> list[str]:
    """Any account but the table's owner allowed to change or remove audit entries."""
    rows = connection.execute(
        text(
            "SELECT COALESCE(r.rolname, 'PUBLIC'), a.privilege_type "
            "FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a "
            "LEFT JOIN pg_roles r ON r.oid = a.grantee "
            "WHERE c.oid = to_regclass(:table) AND a.grantee <> c.relowner "
            "AND a.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE') ORDER BY 1, 2"
        ),
        {"table": AUDIT_TABLE},
    ).all()
    return [f"the account {who} may {what} audit entries" for who, what in rows]


def _schema_grant_problems(connection: Connection) -> list[str]:
    problems = []
    group = connection.execute(
        text("SELECT oid FROM pg_roles WHERE rolname = :g"), {"g": WORKSTATION_GROUP}
    ).scalar()
    if group is None:
        problems.append(f"the workstations' role {WORKSTATION_GROUP} is missing")
    rows = connection.execute(
        text(
            "SELECT COALESCE(r.rolname, 'PUBLIC') FROM pg_namespace n "
            "CROSS JOIN LATERAL aclexplode(n.nspacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee "
            "WHERE n.nspname = :s AND a.grantee <> n.nspowner AND a.privilege_type = 'CREATE' "
            "ORDER BY 1"
        ),
        {"s": SCHEMA},
    ).all()
    problems += [f"the account {who} may create tables in the clinic's schema" for (who,) in rows]
    return problems


def connected_as_privileged(connection: Connection) -> bool:
    """True when this connection may change audit entries (the owner or a superuser)."""
    return bool(
        connection.execute(
            text("SELECT has_table_privilege(current_user, to_regclass(:t), 'UPDATE')"),
            {"t": AUDIT_TABLE},
        ).scalar()
    )


def server_state(
    connection: Connection, app_role: str | None = None
) -> tuple[tuple[object, ...], ...]:
    """Everything the steps and the login set up, to tell whether a run changed anything."""
    rows = connection.execute(
        text(
            "SELECT 'rel', c.relname::text, c.relacl::text FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :s "
            "UNION ALL SELECT 'schema', nspname, nspacl::text FROM pg_namespace WHERE nspname = :s "
            "UNION ALL SELECT 'trigger', tgname, pg_get_triggerdef(oid) || tgenabled::text "
            "  FROM pg_trigger WHERE NOT tgisinternal "
            "UNION ALL SELECT 'function', proname, prosrc FROM pg_proc WHERE proname LIKE 'ma_desk%' "
            "UNION ALL SELECT 'role', rolname, concat_ws(',', rolcanlogin, rolsuper, rolinherit, "
            "  rolpassword IS NOT NULL) FROM pg_roles WHERE rolname IN (:g, :a) "
            "UNION ALL SELECT 'member', m.roleid::regrole::text, m.member::regrole::text "
            "  FROM pg_auth_members m WHERE m.roleid::regrole::text = :g "
            "ORDER BY 1, 2, 3"
        ),
        {"s": SCHEMA, "g": WORKSTATION_GROUP, "a": app_role or ""},
    ).all()
    return tuple(tuple(row) for row in rows)
