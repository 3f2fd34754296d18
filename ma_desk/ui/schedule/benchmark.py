"""What the benchmark suite calls: build and paint the day view offscreen, timed.

Kept beside the view so the measurement always uses the real model, loader
and painting code (no copy that could drift).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication

from ma_desk.ui.schedule.grid_model import ScheduleGridModel
from ma_desk.ui.schedule.grid_view import ScheduleGridView
from ma_desk.ui.schedule.loading import load_book

if TYPE_CHECKING:
    from ma_desk.services import Services


def build_and_paint_day(
    services: Services, day: dt.date, *, width: int = 1400, height: int = 900
) -> dict[str, float]:
    """Milliseconds to load the day (query + flags + layout) and to paint it once."""
    QApplication.instance() or QApplication([])
    t0 = time.perf_counter()
    model = ScheduleGridModel()
    view = ScheduleGridView()
    view.setModel(model)
    view.resize(width, height)
    rows = load_book(model, services, day=day)
    t1 = time.perf_counter()
    image = view.grab()
    t2 = time.perf_counter()
    view.deleteLater()
    return {
        "load_ms": (t1 - t0) * 1000,
        "paint_ms": (t2 - t1) * 1000,
        "total_ms": (t2 - t0) * 1000,
        "appointments": float(len(rows)),
        "lanes": float(model.columnCount()),
        "painted": float(not image.isNull()),
    }
