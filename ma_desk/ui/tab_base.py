"""What every tab receives: the services and the shared selection."""

from __future__ import annotations

from PySide6.QtCore import Qt
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

    def discard_unsaved(self) -> None:
        """Another user unlocked the window: drop what the previous user typed and did not
        save (tabs with forms override this); the same user finds it as they left it."""

    def focus_first(self) -> None:
        """Put the cursor where the work on this tab starts (Ctrl+1..5, a new patient).

        Tabs override this with their natural first field; the default takes the first
        widget in the tab's own Tab order.
        """
        widget = self.nextInFocusChain()
        while widget is not None and widget is not self and self.isAncestorOf(widget):
            policy = widget.focusPolicy()
            if policy & Qt.FocusPolicy.TabFocus and widget.isEnabled() and widget.isVisibleTo(self):
                widget.setFocus(Qt.FocusReason.TabFocusReason)
                return
            widget = widget.nextInFocusChain()
