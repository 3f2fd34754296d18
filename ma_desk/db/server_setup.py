"""What a clinic server needs beyond the tables: functions, triggers, roles and grants.

``install_server_objects`` runs every step in order, each idempotent (CREATE OR
REPLACE, IF NOT EXISTS), after the Alembic migrations, from ``ma-desk server
init`` (with the database owner's account) and from the tests' template
databases. A step is one small function with one job; add new ones to STEPS.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, text

ServerStep = Callable[[Connection], None]

STEPS: list[ServerStep] = []


def install_server_objects(connection: Connection) -> list[str]:
    """Run every step on ``connection`` (a PostgreSQL transaction); returns their names."""
    if connection.dialect.name != "postgresql":
        return []
    for step in STEPS:
        step(connection)
    return [step.__name__ for step in STEPS]


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


STEPS.append(install_change_notifications)
