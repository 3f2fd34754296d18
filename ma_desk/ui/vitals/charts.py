"""Trend charts (QtCharts): weight and BMI, and blood pressure, with the normal band shaded.

Bands come from the rules (``ma_desk.clinical.vitals``): adult BMI 18.5 to < 25 (CDC),
for 2-19 years the CDC BMI-for-age 5th to 85th percentile at each date; blood pressure
normal systolic 90-119 and diastolic 60-79 (adult limits).
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCharts import (
    QAreaSeries,
    QChart,
    QChartView,
    QDateTimeAxis,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QDateTime, QMargins, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ma_desk.clinical import codes, units
from ma_desk.clinical import vitals as rules
from ma_desk.display_format import qt_date_format
from ma_desk.services.vitals import VitalSetRow
from ma_desk.ui.common import palette


def _ms(moment: dt.datetime) -> float:
    return float(QDateTime(moment.date(), moment.time()).toMSecsSinceEpoch())


def _line(name: str, colour: str, width: int = 2) -> QLineSeries:
    series = QLineSeries()
    series.setName(name)
    series.setPen(QPen(QColor(colour), width))
    series.setPointsVisible(True)
    return series


def _band(name: str, points: list[tuple[float, float, float]], colour: str) -> QAreaSeries:
    area = QAreaSeries()
    # The boundary series are children of the area so Python's GC cannot delete them.
    upper, lower = QLineSeries(area), QLineSeries(area)
    for x, low, high in points:
        lower.append(x, low)
        upper.append(x, high)
    area.setUpperSeries(upper)
    area.setLowerSeries(lower)
    area.setName(name)
    fill = QColor(colour)
    fill.setAlpha(60)
    area.setBrush(QBrush(fill))
    area.setPen(QPen(Qt.PenStyle.NoPen))
    return area


NO_MEASUREMENTS = "No measurements yet"


class TrendCharts(QWidget):
    """Two charts redrawn from a patient's history (oldest to newest)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.empty_label = QLabel(NO_MEASUREMENTS)
        self.empty_label.setObjectName("vitals_trend_empty")
        layout.addWidget(self.empty_label)
        self.weight_view = self._view("vitals_weight_chart", "Weight and BMI trend")
        self.bp_view = self._view("vitals_bp_chart", "Blood pressure trend")
        layout.addWidget(self.weight_view, 1)
        layout.addWidget(self.bp_view, 1)
        self.weight_series = QLineSeries()
        self.bmi_series = QLineSeries()
        self.systolic_series = QLineSeries()
        self.diastolic_series = QLineSeries()
        self.bmi_band_label = ""

    @staticmethod
    def _view(name: str, accessible: str) -> QChartView:
        view = QChartView()
        view.setObjectName(name)
        view.setAccessibleName(accessible)
        view.setRenderHint(QPainter.RenderHint.Antialiasing)
        view.setMinimumHeight(220)
        return view

    def show_history(
        self,
        rows: list[VitalSetRow],
        *,
        dob: dt.date | None,
        sex: str = "unknown",
        weight_unit: str = units.LB,
    ) -> None:
        """Redraw both charts from final sets (newest first as the service returns them)."""
        rows = sorted((r for r in rows if r.status == "final"), key=lambda r: r.taken_at)
        self.empty_label.setVisible(not rows)
        self.weight_view.setChart(self._weight_chart(rows, dob, sex, weight_unit))
        self.bp_view.setChart(self._bp_chart(rows))

    # ------------------------------------------------------------------ charts
    def _new_chart(self, title: str) -> QChart:
        chart = QChart()
        chart.setTitle(title)
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        chart.setMargins(QMargins(4, 4, 4, 4))
        return chart

    def _no_measurements(self, title: str) -> QChart:
        """An empty chart says so and draws no axes (a date axis with no dates reads 1970)."""
        return self._new_chart(f"{title}: {NO_MEASUREMENTS.lower()}")

    def _x_axis(self, chart: QChart, rows: list[VitalSetRow]) -> QDateTimeAxis:
        axis = QDateTimeAxis()
        axis.setFormat(qt_date_format())
        axis.setTickCount(5)
        if rows:
            first, last = rows[0].taken_at, rows[-1].taken_at
            if last - first < dt.timedelta(days=2):
                first, last = first - dt.timedelta(days=1), last + dt.timedelta(days=1)
            axis.setRange(
                QDateTime(first.date(), first.time()), QDateTime(last.date(), last.time())
            )
        chart.addAxis(axis, Qt.AlignmentFlag.AlignBottom)
        return axis

    def _weight_chart(
        self, rows: list[VitalSetRow], dob: dt.date | None, sex: str, weight_unit: str
    ) -> QChart:
        title = f"Weight ({units.label(weight_unit)}) and BMI"
        self.weight_series, self.bmi_series = QLineSeries(), QLineSeries()
        self.bmi_band_label = ""
        if not any(r.get(codes.WEIGHT) is not None or r.get(codes.BMI) is not None for r in rows):
            return self._no_measurements(title)
        chart = self._new_chart(title)
        x_axis = self._x_axis(chart, rows)
        weight_axis, bmi_axis = QValueAxis(), QValueAxis()
        weight_axis.setTitleText(units.label(weight_unit))
        weight_axis.setLabelFormat("%.0f")
        bmi_axis.setTitleText("BMI kg/m²")
        bmi_axis.setLabelFormat("%.0f")
        chart.addAxis(weight_axis, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(bmi_axis, Qt.AlignmentFlag.AlignRight)

        self.weight_series = _line(f"Weight ({units.label(weight_unit)})", palette.CHART_WEIGHT)
        self.bmi_series = _line("BMI", palette.CHART_BMI)
        weights, bmis, band = [], [], []
        for row in rows:
            x = _ms(row.taken_at)
            weight = row.get(codes.WEIGHT)
            if weight is not None:
                shown = units.from_canonical(weight, weight_unit)
                self.weight_series.append(x, shown)
                weights.append(shown)
            bmi = row.get(codes.BMI)
            if bmi is not None:
                self.bmi_series.append(x, bmi)
                bmis.append(bmi)
            band_at = rules.healthy_bmi_band(dob, sex, row.taken_at.date()) if dob else None
            if band_at is not None:
                band.append((x, *band_at))
        self.bmi_band_label = ""
        if band:
            last_day = rows[-1].taken_at.date()
            adult = dob is not None and rules.PatientContext.on(dob, last_day).age_years >= 20
            low, high = rules.HEALTHY_BMI_ADULT
            self.bmi_band_label = (
                f"Healthy BMI {low:g}-{high:g}"
                if adult
                else "Healthy BMI-for-age (5th-85th pct, CDC)"
            )
            if len(band) == 1:
                x, low, high = band[0]
                band = [(x - 86_400_000, low, high), (x + 86_400_000, low, high)]
            area = _band(self.bmi_band_label, band, palette.CHART_NORMAL_BAND)
            chart.addSeries(area)
            area.attachAxis(x_axis)
            area.attachAxis(bmi_axis)
            bmis.extend(v for _x, low, high in band for v in (low, high))
        for series, axis in ((self.weight_series, weight_axis), (self.bmi_series, bmi_axis)):
            chart.addSeries(series)
            series.attachAxis(x_axis)
            series.attachAxis(axis)
        _fit(weight_axis, weights)
        _fit(bmi_axis, bmis)
        return chart

    def _bp_chart(self, rows: list[VitalSetRow]) -> QChart:
        self.systolic_series, self.diastolic_series = QLineSeries(), QLineSeries()
        if not any(r.bp_readings for r in rows):
            return self._no_measurements("Blood pressure (mmHg)")
        chart = self._new_chart("Blood pressure (mmHg)")
        x_axis = self._x_axis(chart, rows)
        y_axis = QValueAxis()
        y_axis.setTitleText("mmHg")
        y_axis.setLabelFormat("%.0f")
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        if rows:
            first, last = _ms(rows[0].taken_at), _ms(rows[-1].taken_at)
            if last - first < 2 * 86_400_000:
                first, last = first - 86_400_000, last + 86_400_000
            (s_low, s_high), (d_low, d_high) = (
                rules.NORMAL_SYSTOLIC_BAND,
                rules.NORMAL_DIASTOLIC_BAND,
            )
            for name, low, high, colour in (
                (
                    f"Normal systolic {s_low:.0f}-{s_high - 1:.0f}",
                    s_low,
                    s_high,
                    palette.CHART_NORMAL_BAND,
                ),
                (
                    f"Normal diastolic {d_low:.0f}-{d_high - 1:.0f}",
                    d_low,
                    d_high,
                    palette.CHART_NORMAL_DIASTOLIC,
                ),
            ):
                area = _band(name, [(first, low, high), (last, low, high)], colour)
                chart.addSeries(area)
                area.attachAxis(x_axis)
                area.attachAxis(y_axis)
        self.systolic_series = _line("Systolic", palette.CHART_SYSTOLIC)
        self.diastolic_series = _line("Diastolic", palette.CHART_DIASTOLIC)
        values = [60.0, 130.0]
        for row in rows:
            x = _ms(row.taken_at)
            for systolic, diastolic, _q, _flag in row.bp_readings[:1]:
                self.systolic_series.append(x, systolic)
                self.diastolic_series.append(x, diastolic)
                values.extend((systolic, diastolic))
        for series in (self.systolic_series, self.diastolic_series):
            chart.addSeries(series)
            series.attachAxis(x_axis)
            series.attachAxis(y_axis)
        _fit(y_axis, values)
        return chart


def _fit(axis: QValueAxis, values: list[float]) -> None:
    if not values:
        axis.setRange(0, 1)
        return
    low, high = min(values), max(values)
    pad = max((high - low) * 0.15, abs(high) * 0.05, 1.0)
    axis.setRange(max(0.0, low - pad), high + pad)
    axis.applyNiceNumbers()
