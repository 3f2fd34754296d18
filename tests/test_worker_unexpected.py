"""A bug in a background job still ends the screen's wait, then reaches the crash hook."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ma_desk.errors import MADeskError
from ma_desk.ui.common.worker import UNEXPECTED_MESSAGE, run_in_background


def test_a_bug_in_the_job_calls_on_error_and_is_reported(qtbot) -> None:
    owner = QWidget()
    qtbot.addWidget(owner)
    done: list[object] = []
    errors: list[MADeskError] = []

    def buggy() -> None:
        raise ValueError("a bug")

    with qtbot.captureExceptions() as raised:
        run_in_background(owner, buggy, done.append, errors.append)
        qtbot.waitUntil(lambda: bool(errors), timeout=10_000)
    assert done == [] and [str(e) for e in errors] == [UNEXPECTED_MESSAGE]
    assert [kind for kind, _value, _tb in raised] == [ValueError]  # for the crash hook


def test_a_known_error_goes_to_on_error_unchanged(qtbot) -> None:
    owner = QWidget()
    qtbot.addWidget(owner)
    errors: list[MADeskError] = []

    def refused() -> None:
        raise MADeskError("That patient no longer exists.")

    run_in_background(owner, refused, lambda _r: None, errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=10_000)
    assert [str(e) for e in errors] == ["That patient no longer exists."]
