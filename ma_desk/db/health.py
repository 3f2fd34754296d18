"""How healthy an open store is, and what its read-only mode tells the user.

Two levels, because a full check costs seconds on a large clinic (100,000
patients, 233 MB: cipher_integrity_check 0.7 s, quick_check 1.7 s, against
6 ms for the whole open):

- ``structure_problems`` at every open, in milliseconds: the page size, and
  the file's length against the page count its header records (a store cut
  short or grown), besides SQLite's own refusal of a file shorter than its
  header says;
- ``integrity_problems``: every page's HMAC (``cipher_integrity_check``)
  and every b-tree (``quick_check``). The command line runs it before any
  command; the app runs it right after opening, off the UI thread
  (``BackgroundCheck``), and switches to read-only if it fails.

Lost records (a damaged WAL drops its newest commits without a word from
SQLite) are caught by the audit witness, checked at every open.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from ma_desk.audit import ChainProblem
from ma_desk.db.engine import Database
from ma_desk.db.sqlcipher_pages import PAGE_SIZE
from ma_desk.db.store_file import RESTORE_ADVICE
from ma_desk.errors import StoreDamagedError, StoreError

log = logging.getLogger("ma_desk.db.health")

CHECKING = "MA Desk is still checking the clinic store."
LOOK_ONLY = "You can look things up, but nothing can be saved."


def structure_problems(db: Database, path: Path, *, wal_had_content: bool) -> list[str]:
    """Cheap checks of the file's shape; empty when it looks whole.

    With records waiting in the WAL the file may legitimately be shorter or
    longer than the header's count (the checkpoint resizes it), so the length
    is only compared when the WAL was empty.
    """
    with db.engine.connect() as conn:
        page_size = int(conn.exec_driver_sql("PRAGMA page_size").scalar_one())
        page_count = int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())
    problems = []
    if page_size != PAGE_SIZE:
        problems.append(f"page size is {page_size} bytes, MA Desk writes {PAGE_SIZE}")
    size = path.stat().st_size
    if not wal_had_content and size != page_count * page_size:
        problems.append(
            f"the file holds {size // page_size:,} pages but its header records {page_count:,}"
        )
    return problems


def integrity_problems(db: Database) -> list[str]:
    """Every page's HMAC and every b-tree checked; empty when the store is whole."""
    with db.engine.connect() as conn:
        return integrity_problems_on(conn)


def integrity_problems_on(conn: Connection) -> list[str]:
    try:
        bad_pages = [str(row[0]) for row in conn.exec_driver_sql("PRAGMA cipher_integrity_check")]
        quick = [
            line
            for row in conn.exec_driver_sql("PRAGMA quick_check")
            for line in str(row[0]).splitlines()
        ]
    except StoreDamagedError as exc:  # SQLite gave up reading: that is the finding
        return [f"the check could not read the store ({'; '.join(exc.details) or exc})"]
    return bad_pages + ([] if quick == ["ok"] else quick)


def damaged_reason(problems: list[str]) -> str:
    count = len(problems)
    return (
        f"The clinic store is damaged (its check found {count} problem"
        f"{'s' if count != 1 else ''}), so MA Desk keeps it read-only. {LOOK_ONLY} "
        f"{RESTORE_ADVICE}"
    )


def lost_records_reason(witness_problems: list[ChainProblem]) -> str:
    return (
        "Records that were saved are missing from the clinic store: its newest audit "
        "entries are gone (the store or its -wal file was damaged or changed), so MA Desk "
        f"keeps it read-only. {LOOK_ONLY} {RESTORE_ADVICE}"
    )


def read_only_reason(
    damage: list[str], witness_problems: list[ChainProblem], write_problem: str | None
) -> str:
    """Why the store must stay read-only (damage first), or "" when it may be written."""
    if damage:
        return damaged_reason(damage)
    if witness_problems:
        return lost_records_reason(witness_problems)
    if write_problem:
        return f"{write_problem} {LOOK_ONLY}"
    return ""


class BackgroundCheck:
    """The full integrity check on its own thread, right after the app opened the store.

    If it finds damage the store switches to read-only (its listeners tell the
    window). ``stop()`` interrupts it, so closing the app does not wait for it.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self.problems: list[str] | None = None  # None until the check has finished
        self.finished = threading.Event()
        self._stopping = False
        self._raw = None
        self._thread = threading.Thread(target=self._run, name="store-check", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            self.problems = self._check()
            if self.problems and not self._stopping:
                log.warning("the store check found %d problems", len(self.problems))
                self.db.switch_to_read_only(damaged_reason(self.problems))
        finally:
            self.finished.set()

    def _check(self) -> list[str] | None:
        try:
            with self.db.engine.connect() as conn:
                self._raw = conn.connection.driver_connection
                return integrity_problems_on(conn)
        except (StoreError, DBAPIError) as exc:  # interrupted, or the disk failed: not damage
            if not self._stopping:
                log.warning("the background store check did not finish: %s", type(exc).__name__)
            return None
        finally:
            self._raw = None

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping = True
        raw = self._raw
        if raw is not None:
            raw.interrupt()
        if self._thread.is_alive():
            self._thread.join(timeout)
