"""The start-up floor: bare Qt showing a small sign-in-like dialog, to its first paint.

``python -m benchmarks.startup_floor`` starts a QApplication, shows a QDialog
with two QLineEdits and OK/Cancel, and prints one JSON line with the
CLOCK_MONOTONIC time of the dialog's first paint (``sign_in_paint``, the same
key the app's start-up probe prints) and the process's CPU time then (``sign_in_cpu``). Nothing of MA Desk is imported: no
program that shows such a dialog with PySide6 can start faster.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> int:
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QFormLayout, QLineEdit

    app = QApplication(sys.argv[:1])
    dialog = QDialog()
    form = QFormLayout(dialog)
    form.addRow("User name", QLineEdit())
    password = QLineEdit()
    password.setEchoMode(QLineEdit.EchoMode.Password)
    form.addRow("Password", password)
    form.addRow(QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                 | QDialogButtonBox.StandardButton.Cancel))  # fmt: skip
    marks: dict[str, float] = {}
    seen: list[bool] = []

    class FirstPaint(QObject):
        def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt name)
            if not seen and event.type() == QEvent.Type.Paint:
                seen.append(True)
                QTimer.singleShot(0, painted)  # after the whole paint pass, as the app's probe
            return False

    def painted() -> None:
        marks["sign_in_paint"] = time.monotonic()
        marks["sign_in_cpu"] = time.process_time()
        app.quit()

    watcher = FirstPaint()
    app.installEventFilter(watcher)
    QTimer.singleShot(30_000, app.quit)
    dialog.show()
    app.exec()
    if not marks:
        return 1
    sys.stdout.write(json.dumps(marks) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
