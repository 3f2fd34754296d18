"""Regenerate the initial migration from the models (allowed until the first release).

    python -m ma_desk.db.regen_initial

After the first release, add new revisions with alembic instead.
"""

from __future__ import annotations

import sqlite3

from alembic import command
from sqlalchemy import create_engine

from ma_desk.db.migrate import MIGRATIONS_DIR, alembic_config


def main() -> None:
    target = MIGRATIONS_DIR / "versions" / "0001_initial.py"
    target.unlink(missing_ok=True)
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(":memory:"))
    with engine.begin() as conn:
        cfg = alembic_config(conn)
        command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
    produced = next((MIGRATIONS_DIR / "versions").glob("0001_*.py"))
    if produced != target:
        produced.rename(target)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
