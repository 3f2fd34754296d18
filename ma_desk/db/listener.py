"""Hearing other workstations' commits: LISTEN on the clinic server, off the pool.

The server's triggers (``server_setup.install_change_notifications``) NOTIFY one
channel with the name of each changed table when a transaction commits. A
workstation holds one dedicated autocommit psycopg connection that LISTENs, in a
daemon thread, and hands each notification to a callback as the screen areas it
touches ("schedule", "rooms"...). The connection is also the workstation's pulse
on the server: when it breaks (server stopped, restarted, network gone) the
thread reports the loss, retries with backoff, and on the way back reports the
reconnection only once a query through the app's pool works again; notifications
sent meanwhile are lost, so the UI then refreshes everything. No Qt here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import psycopg
from sqlalchemy import Engine

from ma_desk.db.server import DEAD_NETWORK_SETTINGS
from ma_desk.db.server_setup import CHANGES_CHANNEL
from ma_desk.errors import MADeskError

log = logging.getLogger("ma_desk.db.listener")

# Which screen area each watched table feeds (names as Selection.notify_changed uses them).
TABLE_AREAS = {
    "appointments": "schedule",
    "appointment_status_changes": "schedule",
    "appointment_series": "schedule",
    "appointment_types": "schedule",
    "waitlist_entries": "schedule",
    "visits": "schedule",
    "providers": "schedule",
    "visit_tasks": "vitals",
    "vital_sets": "vitals",
    "rooms": "rooms",
    "checklist_runs": "rooms",
    "checklist_run_items": "rooms",
    "patients": "patients",
    "insurance_coverages": "insurance",
    "eligibility_checks": "insurance",
    "insurance_notes": "insurance",
    "prior_authorizations": "insurance",
    "settings": "settings",
}
RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 4.0)  # then every last value until the server answers
WAIT_SECONDS = 0.25  # how long one wait for notifications lasts (bounds how fast stop() ends)
HEARTBEAT_SECONDS = 5.0  # a quiet connection is checked this often
CONNECT_TIMEOUT_SECONDS = 5

ChangesCallback = Callable[[frozenset[str]], None]


def areas_for(tables: Iterable[str]) -> frozenset[str]:
    """The screen areas a set of changed tables touches (unknown tables touch none)."""
    return frozenset(TABLE_AREAS[t] for t in tables if t in TABLE_AREAS)


def listen_arguments(engine: Engine) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """psycopg.connect arguments for the engine's server, account and TLS settings."""
    args, kwargs = engine.dialect.create_connect_args(engine.url)
    return tuple(args), {**kwargs, "connect_timeout": CONNECT_TIMEOUT_SECONDS,
                         "application_name": "MA Desk listener", **DEAD_NETWORK_SETTINGS}  # fmt: skip


class ChangeListener:
    """One LISTEN connection in a daemon thread; callbacks run on that thread.

    ``on_changes(areas)`` after each notification; ``on_lost()`` once when the
    server stops answering; ``on_back()`` when it answers again (the caller
    refreshes everything: what was sent meanwhile is lost). ``check_now()`` asks
    the thread to verify the server at once (a screen's query just failed).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        on_changes: ChangesCallback,
        on_lost: Callable[[], None],
        on_back: Callable[[], None],
        ping: Callable[[], None] | None = None,
    ) -> None:
        self._connect_args = listen_arguments(engine)
        self._on_changes = on_changes
        self._on_lost = on_lost
        self._on_back = on_back
        self._ping = ping
        self._stop = threading.Event()
        self._check = threading.Event()
        self._thread: threading.Thread | None = None
        self.connected = threading.Event()  # LISTENing now (tests wait on it)
        self.lost = False

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ma-desk-listener", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def check_now(self) -> None:
        self._check.set()

    # ------------------------------------------------------------ the thread
    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            conn = self._connect()
            if conn is None:
                self._report_lost()
                self._stop.wait(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
                failures += 1
                continue
            failures = 0
            try:
                self.connected.set()
                if self.lost:
                    self.lost = False
                    log.info("clinic server answers again")
                    self._on_back()
                self._listen(conn)
            except (psycopg.Error, MADeskError, OSError):
                log.info("lost the clinic server's connection")
            finally:
                self.connected.clear()
                conn.close()
            if not self._stop.is_set():
                self._report_lost()

    def _connect(self) -> psycopg.Connection | None:
        """A LISTENing connection, once the pool's query works too; None while down."""
        args, kwargs = self._connect_args
        try:
            conn = psycopg.connect(*args, autocommit=True, **kwargs)
        except (psycopg.Error, OSError):
            return None
        try:
            conn.execute(f"LISTEN {CHANGES_CHANNEL}")
            if self._ping is not None:
                self._ping()  # the banner goes when the app's own queries work again
        except (psycopg.Error, MADeskError, OSError):
            conn.close()
            return None
        return conn

    def _listen(self, conn: psycopg.Connection) -> None:
        last_beat = time.monotonic()
        while not self._stop.is_set():
            # Back at the first one (the rest of a burst follows at once; the UI merges it).
            tables = {n.payload for n in conn.notifies(timeout=WAIT_SECONDS, stop_after=1)}
            if tables:
                self._on_changes(areas_for(tables))
            if self._check.is_set() or time.monotonic() - last_beat > HEARTBEAT_SECONDS:
                self._check.clear()
                conn.execute("SELECT 1")
                if self._ping is not None:
                    self._ping()
                last_beat = time.monotonic()

    def _report_lost(self) -> None:
        self._check.clear()
        if not self.lost and not self._stop.is_set():
            self.lost = True
            log.info("clinic server unreachable; retrying")
            self._on_lost()
