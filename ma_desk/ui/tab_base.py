"""What every tab receives: the services and the shared selection."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ma_desk.services import Services
from ma_desk.ui.selection import Selection


class Tab(QWidget):
    title = "Tab"

    def __init__(self, services: Services, selection: Selection, parent: QWidget | None = None):
        super().__init__(parent)
        self.services = services
        self.selection = selection

    def activated(self) -> None:
        """Called when the tab becomes visible: refresh what may be stale."""
