"""Witness files: the newest audit entry (id and hash), remembered outside the store.

The store's own head anchor can be rewritten by whoever holds the store key.
A witness cannot be changed from inside the store: MA Desk moves it forward
after every committed audit entry, and never backwards (only a restore or an
administrator's recorded reset does that). At every open, and in ``audit
verify``, the entry each witness remembers must still be in the store,
unchanged, and the store's chain must reach at least that far. That catches
entries deleted, rewritten or lost (a damaged WAL drops its newest commits
silently), even when the attacker also rewrote the in-store head anchor.

There are two copies: ``audit-witness.json`` beside the store, and a shadow
in this computer's user state folder (outside the clinic's data folder), so
someone who edits or deletes one copy is caught by the other. They hold no
patient data and no secret: an entry number and a SHA-256 hash.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from sqlalchemy import select
from sqlalchemy.orm import Session

from ma_desk import audit
from ma_desk.atomic_file import write_text_atomic
from ma_desk.db.engine import Database
from ma_desk.db.models import AuditEvent

WITNESS_FILENAME = "audit-witness.json"
STATE_DIR_ENV = "MA_DESK_STATE_DIR"
WITNESS_FORMAT = 2


@dataclass(frozen=True)
class Witness:
    """One copy of the witness: where it is and what it remembers.

    ``last`` is the newest entry known to be committed; ``pending`` the entry of a
    commit under way (written just before the commit, cleared just after), so a
    crash between the two leaves the store's head equal to one of them.
    """

    path: Path
    last_id: int
    last_hash: str
    pending: tuple[int, str] | None = None
    restoring: tuple[int, str] | None = None  # the head of a backup being put in place

    @property
    def head(self) -> tuple[int, str]:
        return self.last_id, self.last_hash


def witness_path(data_dir: Path) -> Path:
    return data_dir / WITNESS_FILENAME


def state_dir() -> Path:
    """This computer's MA Desk state folder (``MA_DESK_STATE_DIR`` overrides it)."""
    explicit = os.environ.get(STATE_DIR_ENV)
    if explicit:
        return Path(explicit)
    return Path(platformdirs.user_state_dir("MA Desk", "MA Desk"))


def shadow_witness_path(data_dir: Path) -> Path:
    """The second copy, named after the data folder, outside it."""
    name = hashlib.sha256(str(data_dir.resolve()).encode("utf-8")).hexdigest()[:32]
    return state_dir() / "witness" / f"{name}.json"


def witness_paths(data_dir: Path) -> tuple[Path, Path]:
    return witness_path(data_dir), shadow_witness_path(data_dir)


def _entry(value: object) -> tuple[int, str] | None:
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    entry_id, entry_hash = value
    if not isinstance(entry_id, int) or entry_id < 1 or not isinstance(entry_hash, str):
        return None
    return (entry_id, entry_hash) if len(entry_hash) == 64 else None


def _read(path: Path) -> Witness | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        last = _entry([int(data["last_id"]), str(data["last_hash"])])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if last is None:
        return None
    return Witness(path, last[0], last[1], _entry(data.get("pending")),
                   _entry(data.get("restoring")))  # fmt: skip


def read_witnesses(data_dir: Path | None) -> list[Witness]:
    """Every readable copy (none when the store never had an audit entry)."""
    if data_dir is None:
        return []
    return [w for w in (_read(p) for p in witness_paths(data_dir)) if w is not None]


def read_witness(data_dir: Path | None) -> tuple[int, str] | None:
    """The furthest-forward remembered (id, hash), or None when there is none."""
    copies = read_witnesses(data_dir)
    if not copies:
        return None
    return max(copies, key=lambda w: w.last_id).head


def _write(
    path: Path,
    last: tuple[int, str],
    pending: tuple[int, str] | None,
    *,
    durable: bool,
    restoring: tuple[int, str] | None = None,
) -> None:
    with contextlib.suppress(OSError):  # a read-only folder must not stop the clinic
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        text = json.dumps(
            {"format": WITNESS_FORMAT, "last_id": last[0], "last_hash": last[1],
             "pending": list(pending) if pending else None,
             "restoring": list(restoring) if restoring else None}
        )  # fmt: skip
        write_text_atomic(path, text, durable=durable)


def expect_restore(data_dir: Path, head: tuple[int, str] | None) -> None:
    """A verified backup is about to replace the store: its head is accepted too until the
    witness is reset to it (a kill in between is then no false alarm)."""
    if head is None:
        return
    for path in witness_paths(data_dir):
        current = _read(path)
        if current is not None:
            _write(path, current.head, current.pending, durable=True, restoring=head)


class WitnessHook:
    """Told by the Database around every commit that adds audit entries.

    The store's commit is durable (synchronous=FULL); the witness is not fsynced,
    so a power cut can only leave it behind the store, never ahead of it.
    Both moves are forward only: a copy already past an entry is left alone.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def prepare(self, head: tuple[int, str]) -> None:
        for path in witness_paths(self.data_dir):
            current = _read(path)
            if current is None:
                continue  # the confirm after the commit creates it
            if current.last_id < head[0]:
                _write(path, current.head, head, durable=False)

    def confirm(self, head: tuple[int, str]) -> None:
        for path in witness_paths(self.data_dir):
            current = _read(path)
            if current is None or current.last_id < head[0]:
                pending = current.pending if current else None
                keep = pending if pending is not None and pending[0] > head[0] else None
                _write(path, head, keep, durable=False)


def advance_witness(data_dir: Path, head: tuple[int, str]) -> None:
    """Move both copies forward to ``head`` (a commit that is already durable)."""
    WitnessHook(data_dir).confirm(head)


def finish_restore(data_dir: Path, db: Database) -> None:
    """A restore was cut short after its swap: the witness now follows the restored store."""
    with db.read() as session:
        head = audit.chain_head(session)
    if head is not None and any(w.restoring == head for w in read_witnesses(data_dir)):
        reset_witness(data_dir, db)


def reset_witness(data_dir: Path, db: Database) -> None:
    """Set both copies to the store's head, even backwards (restore, recorded reset)."""
    with db.read() as session:
        head = audit.chain_head(session)
    for path in witness_paths(data_dir):
        if head is None:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        else:
            _write(path, head, None, durable=True)


def write_witness(data_dir: Path, db: Database) -> None:
    """Move the witness forward to the store's head, durably (sign-out, closing the app);
    never past a disagreement, which would erase the evidence of it."""
    with db.read() as session:
        if witness_problems(session, data_dir):
            return
        head = audit.chain_head(session)
    if head is None:
        return
    for path in witness_paths(data_dir):
        current = _read(path)
        if current is None or current.last_id < head[0]:
            _write(path, head, None, durable=True)


def witness_problems(session: Session, data_dir: Path | None) -> list[audit.ChainProblem]:
    """What each witness copy says is wrong with the store's chain (empty when it agrees).

    The entry a copy remembers must be in the store unchanged; the store's head
    must be that entry, or the commit the copy saw begin: anything beyond was
    added outside MA Desk.
    """
    problems: list[audit.ChainProblem] = []
    head = audit.chain_head(session)
    head_id = head[0] if head else 0
    for copy in read_witnesses(data_dir):
        if copy.restoring is not None and head == copy.restoring:
            continue  # a restore put this backup in place; the witness follows at next open
        where = "the witness file" if copy.path.name == WITNESS_FILENAME else "the shadow witness"
        stored = session.execute(
            select(AuditEvent.hash).where(AuditEvent.id == copy.last_id)
        ).scalar()
        if stored is None:
            lost = (
                f"entries {head_id + 1} to {copy.last_id} were deleted or lost"
                if head_id < copy.last_id
                else "it was deleted"
            )
            problems.append(
                audit.ChainProblem(
                    copy.last_id,
                    copy.last_id,
                    f"recorded by {where} but missing from the log: {lost}",
                )
            )
        elif stored != copy.last_hash:
            problems.append(
                audit.ChainProblem(
                    copy.last_id, copy.last_id, f"differs from the copy recorded by {where}"
                )
            )
        elif head is not None and head_id > copy.last_id and head != copy.pending:
            problems.append(
                audit.ChainProblem(
                    head_id,
                    head_id,
                    f"entries {copy.last_id + 1} to {head_id} were added after the last one "
                    f"{where} saw MA Desk write: written outside MA Desk",
                )
            )
    return problems


def data_dir_of(db: Database) -> Path | None:
    return db.path.parent if db.path is not None else None
