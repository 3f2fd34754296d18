"""Label barcodes a real printer can hit: whole-dot modules, quiet zones, decoded by zbar.

Every label of every kind and stock is rasterised with pdftoppm at 203, 300 and 600 dpi
(thermal, laser, high-resolution laser) and read back with zbarimg, label by label.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from PySide6.QtCore import Qt

from ma_desk.errors import ValidationError
from ma_desk.reports.data import LabelData
from ma_desk.reports.labels import (
    INCH,
    LAYOUTS,
    QUIET_MODULES,
    barcode_geometry,
    build_labels,
    symbol_modules,
)
from ma_desk.ui.printing import preview
from ma_desk.ui.printing.dialogs import LabelsDialog
from tests.barcode_scan import decode_labels, needs_zbar
from tests.conftest import NOW

RENDER_DPIS = (203, 300, 600)
LONG_NAME = "Hernández-Villalobos de la Cruz, María Guadalupe Esperanza"


def specimen(n: int, visit: int = 1042) -> LabelData:
    return LabelData("specimen", f"S261130-{visit}-{n}", LONG_NAME, dt.date(2025, 2, 28),
                     "M100042", "Blood, lavender top", dt.datetime(2026, 11, 30, 9, 5),
                     "Alex Rivera")  # fmt: skip


def patient(mrn: str = "M100042") -> LabelData:
    return LabelData("patient", mrn, LONG_NAME, dt.date(1931, 12, 31), mrn)


def page_drawing(pdf: bytes) -> bytes:
    """The first page's drawing operators (the file itself carries a timestamp)."""
    return PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data()


def on_dot_grid(points: float, dpi: int) -> bool:
    dots = points * dpi / INCH
    return abs(dots - round(dots)) < 1e-6


# ------------------------------------------------------------------ geometry
@pytest.mark.parametrize(("dpi", "dots"), [(203, 2), (300, 3), (600, 6)])
def test_module_is_a_whole_number_of_printer_dots(dpi: int, dots: int) -> None:
    geometry = barcode_geometry("S261130-1042-12", 13.5, 2.5 * INCH, dpi)
    assert geometry.module_dots == dots
    assert on_dot_grid(geometry.module, dpi)
    assert on_dot_grid(geometry.x, dpi)  # every bar edge is x + k modules: on the grid too


@pytest.mark.parametrize("layout", ["sheet", "roll"])
@pytest.mark.parametrize("dpi", [203, 300, 600])
def test_symbol_and_quiet_zones_stay_on_the_label(layout: str, dpi: int) -> None:
    spec = LAYOUTS[layout]
    for position in range(spec.per_page):
        x, _ = spec.origin(position)
        geometry = barcode_geometry("S261130-1042-12", x + 2, spec.label_width - 4, dpi)
        quiet = QUIET_MODULES * geometry.module
        assert geometry.x - quiet >= x + 2 - 1e-9
        assert geometry.x + geometry.width + quiet <= x + spec.label_width - 2 + 1e-9
        assert on_dot_grid(geometry.x, dpi)


def test_module_narrows_by_whole_dots_only_when_the_symbol_would_not_fit() -> None:
    encoded = "S261130-1042-12"
    modules = symbol_modules(encoded)
    exact = (modules + 2 * QUIET_MODULES) * 2  # dots needed at 2 dots per module
    dot = INCH / 203
    assert barcode_geometry(encoded, 0, exact * dot, 203).module_dots == 2  # at
    assert barcode_geometry(encoded, 0, (exact + 1) * dot, 203).module_dots == 2  # above
    assert barcode_geometry(encoded, 0, (exact - 1) * dot, 203).module_dots == 1  # below
    need_one = modules + 2 * QUIET_MODULES
    assert barcode_geometry(encoded, 0, need_one * dot, 203).module_dots == 1
    with pytest.raises(ValueError, match="too long"):
        barcode_geometry(encoded, 0, (need_one - 1) * dot, 203)


def test_a_resolution_must_be_positive() -> None:
    with pytest.raises(ValueError, match="resolution"):
        barcode_geometry("M100042", 0, 100, 0)


@pytest.mark.parametrize("layout", ["sheet", "roll"])
def test_labels_use_the_stock_resolution_unless_told(layout: str) -> None:
    assert LAYOUTS["sheet"].dpi == 300 and LAYOUTS["roll"].dpi == 203
    default = page_drawing(build_labels([patient()], layout))
    assert default == page_drawing(build_labels([patient()], layout, dpi=LAYOUTS[layout].dpi))
    other = 300 if LAYOUTS[layout].dpi == 203 else 203
    assert default != page_drawing(build_labels([patient()], layout, dpi=other))


# ------------------------------------------------------------------ decoded by zbar
@needs_zbar
@pytest.mark.parametrize("render_dpi", RENDER_DPIS)
@pytest.mark.parametrize("layout", ["sheet", "roll"])
@pytest.mark.parametrize("kind", ["specimen", "patient"])
def test_every_label_decodes_to_its_payload(kind: str, layout: str, render_dpi: int) -> None:
    rows = [specimen(n) for n in range(1, 13)] if kind == "specimen" else [patient()] * 12
    spec = LAYOUTS[layout]
    pdf = build_labels(rows, layout, dpi=spec.dpi if render_dpi == 600 else render_dpi)
    found = decode_labels(pdf, spec, render_dpi, len(rows))
    assert found == [[row.barcode_value] for row in rows]  # 12 of 12, each its own value


@needs_zbar
@pytest.mark.parametrize("printer_dpi", [203, 300])
def test_a_sheet_started_mid_page_decodes_across_the_page_break(printer_dpi: int) -> None:
    rows = [specimen(n) for n in range(1, 13)]
    spec = LAYOUTS["sheet"]
    pdf = build_labels(rows, "sheet", start_position=25, dpi=printer_dpi)
    found = decode_labels(pdf, spec, printer_dpi, len(rows), start=24)
    assert found == [[row.barcode_value] for row in rows]


MRNS = st.integers(min_value=1, max_value=10**19 - 1).map(lambda n: f"M{n:06d}")
SPECIMEN_IDS = st.builds(
    lambda day, visit, n: f"S{day:%y%m%d}-{visit}-{n}",
    st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)),
    st.integers(min_value=1, max_value=10**9),
    st.integers(min_value=1, max_value=30),
)


@needs_zbar
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=st.one_of(MRNS, SPECIMEN_IDS), layout=st.sampled_from(["sheet", "roll"]),
       printer_dpi=st.sampled_from([203, 300]))  # fmt: skip
def test_any_mrn_or_specimen_id_decodes(payload: str, layout: str, printer_dpi: int) -> None:
    row = patient(payload) if payload.startswith("M") else specimen(1)
    if payload.startswith("S"):
        row = LabelData("specimen", payload, row.patient_name, row.dob, row.mrn, "Urine",
                        row.collected_at, row.collector)  # fmt: skip
    pdf = build_labels([row], layout, dpi=printer_dpi)
    assert decode_labels(pdf, LAYOUTS[layout], printer_dpi, 1) == [[payload]]


@needs_zbar
@pytest.mark.parametrize("digits", [6, 19])  # the shortest MRN and the longest the column holds
def test_boundary_length_mrns_decode_on_a_roll_at_203(digits: int) -> None:
    mrn = "M" + "9" * digits
    pdf = build_labels([patient(mrn)], "roll", dpi=203)
    assert decode_labels(pdf, LAYOUTS["roll"], 203, 1) == [[mrn]]


# ------------------------------------------------------------------ the service and the dialog
@needs_zbar
def test_the_service_builds_for_the_chosen_printer_and_refuses_others(demo_services) -> None:
    row = next(r for r in demo_services.schedule.day(NOW.date()) if r.visit_id is not None)
    rows = demo_services.reports.label_data(kind="specimen", visit_id=row.visit_id,
                                            patient_id=row.patient_id,
                                            specimen_types=["Blood", "Urine"])  # fmt: skip
    for dpi in (203, 300, 600):
        pdf = demo_services.reports.labels(rows, layout="roll", dpi=dpi)
        assert decode_labels(pdf, LAYOUTS["roll"], dpi, 2) == [[r.barcode_value] for r in rows]
    for bad in (0, 202, 204, 299, 301, 1200):
        with pytest.raises(ValidationError, match="203, 300, 600 dpi") as caught:
            demo_services.reports.labels(rows, layout="roll", dpi=bad)
        assert caught.value.field == "dpi"


@needs_zbar
def test_the_dialog_offers_the_stock_resolution_and_remembers_the_choice(
    qtbot, demo_services, own_settings, monkeypatch
) -> None:
    shown: list[bytes] = []
    monkeypatch.setattr(preview, "show_pdf", lambda _parent, pdf, **_kw: shown.append(pdf))
    row = next(r for r in demo_services.schedule.day(NOW.date()) if r.visit_id is not None)

    def open_dialog() -> LabelsDialog:
        dialog = LabelsDialog(demo_services, visit_id=row.visit_id, patient_id=row.patient_id,
                              patient_name=row.patient_name)  # fmt: skip
        qtbot.addWidget(dialog)
        return dialog

    dialog = open_dialog()
    assert dialog.dpi.currentData() == 300  # sheet
    dialog.layout_choice.setFocus()
    qtbot.keyClick(dialog.layout_choice, Qt.Key.Key_Down)  # roll
    assert dialog.layout_choice.currentData() == "roll" and dialog.dpi.currentData() == 203
    dialog.dpi.setFocus()
    qtbot.keyClick(dialog.dpi, Qt.Key.Key_Down)  # the clinic's roll printer is a 300 dpi one
    assert dialog.dpi.currentData() == 300
    qtbot.keyClick(dialog.preview_button, Qt.Key.Key_Space)
    assert len(shown) == 1
    assert decode_labels(shown[0], LAYOUTS["roll"], 300, 1) == [[row.mrn]]
    again = open_dialog()
    qtbot.keyClick(again.layout_choice, Qt.Key.Key_Down)
    assert again.dpi.currentData() == 300  # remembered for the roll on this computer
    qtbot.keyClick(again.layout_choice, Qt.Key.Key_Up)
    assert again.dpi.currentData() == 300  # the sheet keeps its own
