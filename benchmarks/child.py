"""A fresh process that shows a window offscreen and reports when it first painted.

``python -m benchmarks.child app DATA_DIR NOW`` opens the clinic like ``ma-desk``
does (store from the keyring, stylesheet, the main window on the schedule of
the day, the clock standing at NOW); ``python -m benchmarks.child floor``
shows a bare QMainWindow with five empty tabs. Prints one JSON line: the
CLOCK_MONOTONIC time of the first completed paint (comparable with the
parent's clock), the peak RSS and the CPU time reached at each step.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

TAB_TITLES = ["Schedule", "Check-in", "Vitals", "Room prep", "Insurance"]
PHASES: dict[str, float] = {}  # CPU seconds since process start at each step


def peak_rss_mb() -> float:
    """VmHWM (the kernel's peak resident set) in MB; ru_maxrss where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_floor_window():
    from PySide6.QtWidgets import QMainWindow, QTabWidget, QWidget

    window = QMainWindow()
    tabs = QTabWidget()
    for title in TAB_TITLES:
        tabs.addTab(QWidget(), title)
    window.setCentralWidget(tabs)
    window.resize(1400, 860)
    return window, None


def build_app_window(app, data_dir: Path, now: str):
    """What ``ma_desk.ui.app.run_app`` does, with the benchmark's fixed clock.

    The sign-in dialog is not shown: the demo medical assistant is signed in
    directly (the same Argon2 check and audit entry), since the time a person
    takes to type a password is not the app's.
    """
    import datetime as dt

    from ma_desk.clock import FixedClock
    from ma_desk.db.store import open_store
    from ma_desk.services import Services
    from ma_desk.ui import app as app_module
    from ma_desk.ui.main_window import MainWindow

    PHASES["imports"] = time.process_time()
    app.setApplicationName("MA Desk")
    app.setOrganizationName("MA Desk")
    app_module.load_stylesheet(app)
    opened = open_store(data_dir)
    PHASES["store"] = time.process_time()
    clock = FixedClock(dt.datetime.fromisoformat(now))
    try:
        from ma_desk.security.demo_accounts import DEMO_PASSWORD
        from ma_desk.services.accounts import signed_out_actor
    except ImportError:  # before sign-in existed: the system actor
        services = Services(opened.db, clock)
    else:
        services = Services(opened.db, clock, actor=signed_out_actor())
        services.accounts.sign_in("ma", DEMO_PASSWORD)
    PHASES["sign_in"] = time.process_time()
    window = MainWindow(services, store_label=app_module.store_label(opened),
                        settings_file=data_dir / "window.ini", lazy_tabs=True)  # fmt: skip
    PHASES["window"] = time.process_time()
    return window, opened


def main(argv: list[str]) -> int:
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    mode = argv[0]
    app = QApplication([sys.argv[0]])
    window, opened = (build_floor_window() if mode == "floor"
                      else build_app_window(app, Path(argv[1]), argv[2]))  # fmt: skip
    report: dict[str, object] = {}

    def painted() -> None:
        report["paint"] = time.monotonic()
        PHASES["paint"] = time.process_time()
        report["phases"] = dict(PHASES)
        app.processEvents()
        report["rss_mb"] = peak_rss_mb()
        app.quit()

    class FirstPaint(QObject):
        seen = False

        def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
            if not self.seen and event.type() == QEvent.Type.Paint:
                self.seen = True
                QTimer.singleShot(0, painted)  # after the whole paint pass has run
            return False

    watcher = FirstPaint()
    app.installEventFilter(watcher)
    QTimer.singleShot(30_000, app.quit)
    window.show()
    app.exec()
    if opened is not None:
        opened.db.close()
    if "paint" not in report:
        print(json.dumps({"error": "no paint within 30 s"}))
        return 1
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
