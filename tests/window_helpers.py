"""The main window as the UI tests open it: signed in, shown, active, at a laptop's size."""

from __future__ import annotations

from pathlib import Path

from ma_desk.services import Services
from ma_desk.ui.main_window import MainWindow


def show_main_window(
    qtbot,
    services: Services,
    tmp_path: Path,
    *,
    size: tuple[int, int] = (1366, 768),
    build_all_tabs: bool = False,
) -> MainWindow:
    """A shown, active MainWindow with its own settings file; the caller signed someone in."""
    window = MainWindow(services, store_label="t", settings_file=tmp_path / "w.ini")
    qtbot.addWidget(window)
    window.resize(*size)
    if build_all_tabs:
        window.build_all_tabs()
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    return window
