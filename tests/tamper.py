"""What an insider holding the store key can do to the audit trail with plain SQL.

Each function changes the trail of an open store the way a person with a
SQLCipher browser and the passphrase would: no MA Desk code, no witness
update, only the rows. The ``rewrite`` and ``append`` attacks recompute every
hash and the in-store head anchor, as someone who read audit.py would.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, text

from ma_desk import audit
from ma_desk.db.models import AuditEvent
from ma_desk.security.witness import witness_paths

COLUMNS = ("at", "username", "workstation", "action", "entity", "entity_id", "patient_id",
           "outcome", "details")  # fmt: skip
CLASSES = ("edit", "delete", "truncate", "empty", "reorder", "insert", "rewrite", "append")


_TRIGGERS = ("ma_desk_audit_no_change", "ma_desk_audit_no_truncate")


@contextmanager
def append_only_lifted(conn: Connection) -> Iterator[None]:
    """On a clinic server, what the owner must do first: disable the append-only triggers,
    tamper, then enable them again in the same transaction to cover the tracks."""
    if conn.dialect.name != "postgresql":
        yield
        return
    conn.execute(text("ALTER TABLE audit_events "
                      + ", ".join(f"DISABLE TRIGGER {t}" for t in _TRIGGERS)))  # fmt: skip
    yield
    conn.execute(text("ALTER TABLE audit_events "
                      + ", ".join(f"ENABLE ALWAYS TRIGGER {t}" for t in _TRIGGERS)))  # fmt: skip


def entry_count(conn: Connection) -> int:
    return conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one()


def _rows(conn: Connection, first: int = 1) -> list[dict]:
    result = conn.execute(text("SELECT * FROM audit_events WHERE id >= :f ORDER BY id"),
                          {"f": first})  # fmt: skip
    return [dict(r._mapping) for r in result]


def _event(row: dict) -> AuditEvent:
    return AuditEvent(**{k: row[k] for k in ("id", "user_id", *COLUMNS, "prev_hash", "hash")})


def _rehash_from(conn: Connection, first: int) -> None:
    """Recompute every hash from entry ``first`` on and the head anchor (covering tracks)."""
    previous = (
        conn.execute(text("SELECT hash FROM audit_events WHERE id = :i"), {"i": first - 1})
        .scalar() or audit.GENESIS
    )  # fmt: skip
    for row in _rows(conn, first):
        event = _event(row)
        new_hash = audit.entry_hash(event, previous)
        conn.execute(text("UPDATE audit_events SET prev_hash = :p, hash = :h WHERE id = :i"),
                     {"p": previous, "h": new_hash, "i": row["id"]})  # fmt: skip
        previous = new_hash
    _fix_head(conn)


def _fix_head(conn: Connection) -> None:
    last = conn.execute(text("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1")).first()
    if last is None:
        conn.execute(text("DELETE FROM audit_head"))
    else:
        conn.execute(text("UPDATE audit_head SET last_id = :i, last_hash = :h"),
                     {"i": last[0], "h": last[1]})  # fmt: skip


def edit(conn: Connection, rng: random.Random) -> str:
    n = entry_count(conn)
    victim, column = rng.randint(1, n), rng.choice(COLUMNS)
    value = {"patient_id": 424242, "details": '{"forged":true}'}.get(column, "forged")
    conn.execute(text(f"UPDATE audit_events SET {column} = :v WHERE id = :i"),
                 {"v": value, "i": victim})  # fmt: skip
    return f"entry {victim}.{column} edited"


def delete(conn: Connection, rng: random.Random) -> str:
    victim = rng.randint(1, entry_count(conn))
    conn.execute(text("DELETE FROM audit_events WHERE id = :i"), {"i": victim})
    return f"entry {victim} deleted"


def truncate(conn: Connection, rng: random.Random) -> str:
    n = entry_count(conn)
    first = rng.randint(2, n)
    conn.execute(text("DELETE FROM audit_events WHERE id >= :f"), {"f": first})
    _fix_head(conn)
    return f"entries {first}..{n} deleted, head anchor rewritten"


def empty(conn: Connection, rng: random.Random) -> str:
    conn.execute(text("DELETE FROM audit_events"))
    conn.execute(text("DELETE FROM audit_head"))
    return "log emptied"


def reorder(conn: Connection, rng: random.Random) -> str:
    a, b = sorted(rng.sample(range(1, entry_count(conn) + 1), 2))
    row_a, row_b = (_rows(conn, a)[0], _rows(conn, b)[0])
    for target, source in ((a, row_b), (b, row_a)):
        sets = ", ".join(f"{c} = :{c}" for c in (*COLUMNS, "user_id", "prev_hash", "hash"))
        conn.execute(text(f"UPDATE audit_events SET {sets} WHERE id = :id"),
                     {**{c: source[c] for c in (*COLUMNS, "user_id", "prev_hash", "hash")},
                      "id": target})  # fmt: skip
    return f"entries {a} and {b} swapped"


def insert(conn: Connection, rng: random.Random) -> str:
    n = entry_count(conn)
    at = rng.randint(1, n)
    for row_id in range(n, at - 1, -1):
        conn.execute(text("UPDATE audit_events SET id = id + 1 WHERE id = :i"), {"i": row_id})
    template = _rows(conn, at + 1)[0]
    fake = {**template, "id": at, "action": "view", "details": "{}", "username": "ghost"}
    names = ", ".join(fake)
    conn.execute(text(f"INSERT INTO audit_events ({names}) VALUES "
                      f"({', '.join(':' + k for k in fake)})"), fake)  # fmt: skip
    return f"entry inserted at {at}"


def rewrite(conn: Connection, rng: random.Random, *, at_most: int | None = None) -> str:
    n = entry_count(conn)
    victim = rng.randint(1, min(n, at_most or n))
    conn.execute(text("UPDATE audit_events SET username = 'someone_else', details = :d "
                      "WHERE id = :i"), {"d": json.dumps({"forged": True}), "i": victim})  # fmt: skip
    _rehash_from(conn, victim)
    return f"entry {victim} rewritten, hashes and head recomputed"


def append(conn: Connection, rng: random.Random) -> str:
    n = entry_count(conn)
    extra = rng.randint(1, 4)
    last = _rows(conn, n)[0]
    for i in range(1, extra + 1):
        fake = {**last, "id": n + i, "action": "sign_in", "entity": "session",
                "username": "alibi", "details": "{}"}  # fmt: skip
        conn.execute(text(f"INSERT INTO audit_events ({', '.join(fake)}) VALUES "
                          f"({', '.join(':' + k for k in fake)})"), fake)  # fmt: skip
    _rehash_from(conn, n + 1)
    return f"{extra} forged entries appended with valid hashes"


ATTACKS = {name: globals()[name] for name in CLASSES}


def rewrite_witnesses(conn: Connection, data_dir: Path) -> None:
    """The strongest insider also finds both witness files and sets them to the new head."""
    last = conn.execute(text("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1")).first()
    for path in witness_paths(data_dir):
        if last is None:
            path.unlink(missing_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"format": 2, "last_id": last[0], "last_hash": last[1],
                                        "pending": None}))  # fmt: skip
