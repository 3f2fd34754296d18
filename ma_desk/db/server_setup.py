"""What a clinic server needs beyond the tables: functions, triggers, roles and grants.

``install_server_objects`` runs every step in order, each idempotent (CREATE OR
REPLACE, IF NOT EXISTS), after the Alembic migrations, from ``ma-desk server
init`` (with the database owner's account) and from the tests' template
databases. A step is one small function with one job; add new ones to STEPS.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection

ServerStep = Callable[[Connection], None]

STEPS: list[ServerStep] = []


def install_server_objects(connection: Connection) -> list[str]:
    """Run every step on ``connection`` (a PostgreSQL transaction); returns their names."""
    if connection.dialect.name != "postgresql":
        return []
    for step in STEPS:
        step(connection)
    return [step.__name__ for step in STEPS]
