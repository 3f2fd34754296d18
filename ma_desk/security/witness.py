"""A small file beside the store remembering the newest audit entry (id and hash).

Someone who deletes the newest audit entries and also rewrites the in-store
head anchor still cannot make the entry this file remembers reappear. It holds
no patient data and no secret: an entry number and a SHA-256 hash.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from ma_desk import audit
from ma_desk.atomic_file import write_text_atomic
from ma_desk.db.engine import Database

WITNESS_FILENAME = "audit-witness.json"


def witness_path(data_dir: Path) -> Path:
    return data_dir / WITNESS_FILENAME


def read_witness(data_dir: Path | None) -> tuple[int, str] | None:
    """The remembered (id, hash), or None when there is no readable witness file."""
    if data_dir is None:
        return None
    try:
        data = json.loads(witness_path(data_dir).read_text(encoding="utf-8"))
        return int(data["last_id"]), str(data["last_hash"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_witness(data_dir: Path, db: Database) -> None:
    """Remember the newest entry (atomically); silently skipped when the folder is read-only."""
    with db.read() as session:
        head = audit.chain_head(session)
    if head is None:
        return
    with contextlib.suppress(OSError):
        write_text_atomic(
            witness_path(data_dir), json.dumps({"last_id": head[0], "last_hash": head[1]})
        )


def data_dir_of(db: Database) -> Path | None:
    return db.path.parent if db.path is not None else None
