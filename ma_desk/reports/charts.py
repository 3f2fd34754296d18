"""Two small charts for the end-of-day report (reportlab.graphics, vector, no Qt)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ma_desk.reports import fonts
from ma_desk.reports.day_summary import WaitStats
from ma_desk.reports.document import ACCENT, INK, MUTED, RULE

if TYPE_CHECKING:
    from reportlab.graphics.shapes import Drawing


def arrivals_chart(by_hour: Sequence[tuple[int, int]], width: float, height: float) -> Drawing:
    """Patients arriving per clock hour (a bar per hour)."""
    fonts.ensure_fonts()
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib.colors import HexColor

    drawing = Drawing(width, height)
    drawing.add(String(0, height - 12, "Patients arriving per hour", fontName=fonts.BOLD,
                       fontSize=10, fillColor=HexColor(INK)))  # fmt: skip
    chart = VerticalBarChart()
    chart.x, chart.y = 26, 22
    chart.width, chart.height = width - 34, height - 44
    values = [count for _, count in by_hour] or [0]
    chart.data = [values]
    chart.categoryAxis.categoryNames = [_hour_label(h) for h, _ in by_hour] or [""]
    chart.categoryAxis.labels.fontName = fonts.REGULAR
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.fillColor = HexColor(MUTED)
    chart.categoryAxis.strokeColor = HexColor(RULE)
    chart.valueAxis.valueMin = 0
    top = max(values)
    chart.valueAxis.valueMax = max(4, top + (1 if top < 10 else top // 8))
    chart.valueAxis.valueStep = max(1, chart.valueAxis.valueMax // 4)
    chart.valueAxis.labels.fontName = fonts.REGULAR
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labels.fillColor = HexColor(MUTED)
    chart.valueAxis.strokeColor = HexColor(RULE)
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = HexColor("#dde3ea")
    chart.bars[0].fillColor = HexColor(ACCENT)
    chart.bars[0].strokeColor = None
    chart.barSpacing = 1
    drawing.add(chart)
    return drawing


def waits_chart(
    per_provider: Sequence[tuple[str, WaitStats, WaitStats]], width: float, height: float
) -> Drawing:
    """Average minutes to room and to provider, one pair of bars per provider."""
    fonts.ensure_fonts()
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing, Rect, String
    from reportlab.lib.colors import HexColor

    drawing = Drawing(width, height)
    drawing.add(String(0, height - 12, "Average wait (minutes)", fontName=fonts.BOLD,
                       fontSize=10, fillColor=HexColor(INK)))  # fmt: skip
    colours = [HexColor("#7fb3d5"), HexColor(ACCENT)]
    for i, label in enumerate(("Arrival to room", "Room to provider")):
        x = i * 100
        drawing.add(Rect(x, height - 25, 8, 8, fillColor=colours[i], strokeColor=None))
        drawing.add(String(x + 11, height - 24, label, fontName=fonts.REGULAR, fontSize=7,
                           fillColor=HexColor(MUTED)))  # fmt: skip
    chart = HorizontalBarChart()
    chart.x, chart.y = 92, 16
    chart.width, chart.height = width - 100, height - 50
    rows = list(per_provider) or [("", WaitStats(0, None, None), WaitStats(0, None, None))]
    chart.data = [[r[1].average or 0 for r in rows], [r[2].average or 0 for r in rows]]
    chart.categoryAxis.categoryNames = [fonts.fit(r[0], 88, size=7) for r in rows]
    chart.categoryAxis.labels.fontName = fonts.REGULAR
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.fillColor = HexColor(INK)
    chart.categoryAxis.strokeColor = HexColor(RULE)
    chart.categoryAxis.reverseDirection = True
    top = max([*chart.data[0], *chart.data[1], 5])
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = top * 1.15
    chart.valueAxis.labels.fontName = fonts.REGULAR
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labels.fillColor = HexColor(MUTED)
    chart.valueAxis.strokeColor = HexColor(RULE)
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = HexColor("#dde3ea")
    for i, colour in enumerate(colours):
        chart.bars[i].fillColor = colour
        chart.bars[i].strokeColor = None
    chart.barSpacing = 1
    chart.groupSpacing = 6
    drawing.add(chart)
    return drawing


def _hour_label(hour: int) -> str:
    return f"{hour % 12 or 12}{'a' if hour < 12 else 'p'}"
