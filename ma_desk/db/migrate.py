"""Schema versions: check cheaply on every open, upgrade (after a copy) when old.

Alembic is imported only when a migration must run; a normal start reads
``alembic_version`` and compares it with ``SCHEMA_HEAD`` (a test keeps the
constant equal to the newest revision).
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic.config import Config
from sqlalchemy import Connection, text

log = logging.getLogger("ma_desk.db.migrate")

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Oldest to newest. Add each new revision id here and in migrations/versions.
SCHEMA_REVISIONS = ("0001",)
SCHEMA_HEAD = SCHEMA_REVISIONS[-1]


def alembic_config(connection: Connection | None = None) -> Config:

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _tables_query(connection: Connection) -> str:
    """The catalogue query for this engine (cheap: no reflection at every open)."""
    if connection.dialect.name == "postgresql":
        return (
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    return "SELECT name FROM sqlite_master WHERE type = 'table'"


def current_revision(connection: Connection) -> str | None:
    """None when there is no alembic_version table; "" when it is there but empty."""
    tables = {row[0] for row in connection.execute(text(_tables_query(connection)))}
    if "alembic_version" not in tables:
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar() or ""


def table_count(connection: Connection) -> int:
    return len(connection.execute(text(_tables_query(connection))).all())


def upgrade(connection: Connection, target: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), target)
