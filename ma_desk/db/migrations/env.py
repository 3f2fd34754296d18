"""Alembic environment: runs inside the already-open (keyed) store connection."""

from __future__ import annotations

from alembic import context

from ma_desk.db.models import Base

connection = context.config.attributes.get("connection")

if connection is None:  # pragma: no cover - we never migrate by URL
    raise RuntimeError("MA Desk migrations run only on an open store connection.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
