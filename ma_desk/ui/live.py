"""Server mode on screen: other workstations' commits refresh this one; outages show a banner.

``LiveUpdates`` runs the database listener (ma_desk/db/listener.py) and turns
what its thread reports into signals on the UI thread: changed areas go to
``Selection.notify_remote`` (bursts within a few milliseconds become one
refresh), a lost server shows the banner, and its return hides the banner and
refreshes everything (notifications sent meanwhile were lost). A known error a
refresh meets (``Selection.report_error``) asks the listener to check the server
at once. Nothing is queued: saves are refused by the services while the server
is away, and each form keeps what was typed.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QAbstractScrollArea, QHBoxLayout, QLabel, QPushButton, QWidget

from ma_desk.errors import ServerUnavailableError
from ma_desk.services.store_state import StoreState
from ma_desk.ui.common import palette
from ma_desk.ui.common.widgets import named
from ma_desk.ui.selection import Selection

log = logging.getLogger("ma_desk.ui.live")

COALESCE_MS = 15  # notifications of one burst (one save touches several tables) refresh once
RECONNECTING = (
    "Reconnecting to the clinic server… Nothing can be saved until it answers; what is on "
    "screen and anything you typed stays here."
)


class _Relay(QObject):
    """Emitted from the listener's thread; delivered queued on the UI thread."""

    changes = Signal(object)
    lost = Signal()
    back = Signal()


class LiveUpdates(QObject):
    """The listener of one workstation and what the UI makes of it."""

    changed = Signal(object)  # frozenset of areas, or None: refresh everything
    server_lost = Signal()
    server_back = Signal()

    def __init__(self, store: StoreState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._relay = _Relay(self)
        self._relay.changes.connect(self._collect)
        self._relay.lost.connect(self._lost)
        self._relay.back.connect(self._back)
        self._pending: set[str] = set()
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setInterval(COALESCE_MS)
        self._flush.timeout.connect(self._emit_pending)
        self.is_down = False
        self.listener = store.change_listener(
            on_changes=self._relay.changes.emit,
            on_lost=self._relay.lost.emit,
            on_back=self._relay.back.emit,
        )

    def start(self) -> None:
        self.listener.start()

    def stop(self) -> None:
        self.listener.stop()

    def report_error(self, error: Exception) -> None:
        """A screen met a known error: the listener checks the server at once (and reports
        it lost, which shows the banner, only if it really does not answer)."""
        if isinstance(error, ServerUnavailableError):
            self.listener.check_now()

    def _collect(self, areas: frozenset[str]) -> None:
        self._pending.update(areas)
        if not self._flush.isActive():
            self._flush.start()

    def _emit_pending(self) -> None:
        areas, self._pending = frozenset(self._pending), set()
        if areas and not self.is_down:
            self.changed.emit(areas)

    def _lost(self) -> None:
        if not self.is_down:
            self.is_down = True
            self.server_lost.emit()

    def _back(self) -> None:
        self._pending.clear()
        if self.is_down:
            self.is_down = False
            self.server_back.emit()
        self.changed.emit(None)  # what was committed while we were away was not heard


class ServerBanner(QWidget):
    """An amber line above the tabs while the clinic server does not answer."""

    downtime_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("server_banner")
        self.setAccessibleName("Clinic server connection")
        self.setStyleSheet(
            f"QWidget#server_banner {{ background: {palette.CAUTION_TEXT}; }} "
            f"QWidget#server_banner QLabel {{ color: {palette.ON_COLOUR}; font-weight: bold; padding: 6px; }}"
        )
        self.setAutoFillBackground(True)
        self.label = QLabel(RECONNECTING)
        self.label.setObjectName("server_banner_text")
        self.label.setWordWrap(True)
        self.downtime_button = named(QPushButton("Open downtime view…"),
                                     "server_banner_downtime", "Open the downtime view")  # fmt: skip
        self.downtime_button.clicked.connect(self.downtime_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 8, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.downtime_button)
        self.hide()


def install_live_updates(
    selection: Selection, store: StoreState, banner_parent: QWidget
) -> tuple[LiveUpdates, ServerBanner] | tuple[None, None]:
    """Start live updates for a server store; None on the SQLCipher file (one workstation).

    Returns (LiveUpdates, ServerBanner); the caller places the banner.
    """
    if not store.on_server:
        return None, None
    live = LiveUpdates(store, banner_parent)
    banner = ServerBanner(banner_parent)
    live.changed.connect(selection.notify_remote)
    live.server_lost.connect(banner.show)
    live.server_back.connect(banner.hide)
    selection.error_reported.connect(live.report_error)
    banner_parent.destroyed.connect(lambda *_: live.stop())
    live.start()
    return live, banner


@contextlib.contextmanager
def kept_scroll(*views: QAbstractScrollArea) -> Iterator[None]:
    """Put each view's scroll bars back where they were after its rows were replaced."""
    positions = [(v, v.horizontalScrollBar().value(), v.verticalScrollBar().value())
                 for v in views]  # fmt: skip
    try:
        yield
    finally:
        for view, x, y in positions:
            view.horizontalScrollBar().setValue(x)
            view.verticalScrollBar().setValue(y)


def refresh_quietly(selection: Selection, refresh) -> bool:
    """Run a background refresh; a known error leaves the screen as it was and is reported
    (never the crash dialog). True when the refresh ran."""
    from ma_desk.errors import MADeskError

    try:
        refresh()
    except MADeskError as error:
        log.info("refresh skipped: %s", type(error).__name__)
        selection.report_error(error)
        return False
    return True
