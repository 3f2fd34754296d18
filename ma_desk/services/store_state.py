"""What the screens may know of the open store, without holding the store itself.

The UI shows whether the store is read-only and why, follows a switch to
read-only, and in server mode listens for other workstations' commits. It
gets these from a ``StoreState`` the services hand out, so no widget needs the
``Database`` (its engine and sessions stay behind the services). Nothing here
reads patient data or writes, so nothing here is audited.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from ma_desk.db.engine import Database

if TYPE_CHECKING:
    from ma_desk.db.listener import ChangeListener, ChangesCallback


class StoreState:
    """Read-only facts about the open store and the hooks that follow its changes."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def kind(self) -> str:
        """``"sqlcipher"`` (a file on this workstation) or ``"postgresql"`` (a clinic server)."""
        return self._db.kind

    @property
    def on_server(self) -> bool:
        return self.kind == "postgresql"

    @property
    def read_only(self) -> bool:
        return self._db.read_only

    @property
    def read_only_reason(self) -> str:
        """Why nothing can be saved, fit to show staff; "" while the store is writable."""
        return self._db.read_only_reason

    def watch_read_only(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Call ``listener(reason)`` when the store switches to read-only (from any thread).

        Returns the function that stops the watching (a closed window calls it).
        """
        listeners = self._db.read_only_listeners
        listeners.append(listener)

        def stop() -> None:
            with contextlib.suppress(ValueError):
                listeners.remove(listener)

        return stop

    def change_listener(
        self,
        *,
        on_changes: ChangesCallback,
        on_lost: Callable[[], None],
        on_back: Callable[[], None],
    ) -> ChangeListener:
        """A listener for other workstations' commits (server mode only; not started)."""
        from ma_desk.db.listener import ChangeListener  # psycopg: server mode only

        ping = getattr(self._db, "ping", None)  # ServerDatabase: does the server answer?
        return ChangeListener(self._db.engine, on_changes=on_changes, on_lost=on_lost,
                              on_back=on_back, ping=ping)  # fmt: skip
