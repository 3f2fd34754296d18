"""Wrong-patient risk while searching: the detail beside a result list never shows a
patient who is not the selected row of the current results (driven by keyboard)."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ma_desk.actor import Actor
from ma_desk.db.models import User
from ma_desk.services.patients import PatientInput
from ma_desk.ui.checkin.tab import CheckinTab
from ma_desk.ui.schedule.patient_picker import PatientPicker
from ma_desk.ui.selection import Selection

NOW = dt.datetime(2026, 11, 23, 10, 30)
DEADLINE_MS = 10_000


@pytest.fixture
def desk(demo_services):
    with demo_services.ctx.db.write() as s:
        user = User(username="maria", display_name="Maria Lopez", role="medical_assistant",
                    active=True, created_at=NOW)  # fmt: skip
        s.add(user)
        s.flush()
        user_id = user.id
    demo_services.set_actor(Actor(user_id, "maria", "Maria Lopez", "medical_assistant", "desk-1"))
    reg = demo_services.patients.register
    a = reg(PatientInput(first_name="Anna", last_name="Quillfeather", dob="03/04/1971"),
            duplicate_override=True)  # fmt: skip
    b = reg(PatientInput(first_name="Boris", last_name="Иванов-Zeldt", dob="05/06/1982"),
            duplicate_override=True)  # fmt: skip
    return demo_services, a, b


@pytest.fixture
def tab(qtbot, desk):
    widget = CheckinTab(desk[0], Selection())
    qtbot.addWidget(widget)
    widget.resize(1400, 900)
    with qtbot.waitActive(widget):
        widget.show()
        widget.activateWindow()
    widget.activated()
    return widget


def focused():
    return QApplication.focusWidget()


def _shown_nobody(tab: CheckinTab) -> bool:
    return (
        tab.banner.name_label.text() == "No patient selected"
        and tab.banner.dob_label.text() == ""
        and not tab.verify.isVisible()
        and not tab.arrive.isVisible()
    )


def _open(qtbot, tab: CheckinTab, patient_id: int) -> None:
    """Down into the results to the patient's row, then Enter (as the desk does)."""
    qtbot.keyClick(focused(), Qt.Key.Key_Down)
    assert focused() is tab.results
    while tab.model.row_at(tab.results.currentIndex().row()).id != patient_id:
        qtbot.keyClick(focused(), Qt.Key.Key_Down)
    qtbot.keyClick(focused(), Qt.Key.Key_Return)


def test_typing_a_new_search_empties_the_panel_until_a_row_is_chosen(qtbot, tab, desk):
    _services, a, b = desk
    qtbot.keyClicks(tab.search, "quillfeather")
    qtbot.waitUntil(lambda: a.id in [h.id for h in tab.model.rows()], timeout=DEADLINE_MS)
    _open(qtbot, tab, a.id)
    assert tab.banner.name_label.text().startswith("Quillfeather, Anna")

    qtbot.keyClick(focused(), Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert focused() is tab.search
    qtbot.keyClick(focused(), Qt.Key.Key_Z)  # the first key of a new query
    assert _shown_nobody(tab), "the previous patient stays beside results still to come"
    assert not tab.results.currentIndex().isValid()
    qtbot.keyClicks(focused(), "eldt")  # "zeldt": a part of B's compound surname
    qtbot.waitUntil(lambda: [h.id for h in tab.model.rows()] == [b.id], timeout=DEADLINE_MS)
    assert _shown_nobody(tab), "results came; nobody is chosen yet"

    _open(qtbot, tab, b.id)
    assert tab.banner.name_label.text().startswith("Иванов-Zeldt, Boris")
    assert "DOB 05/06/1982" in tab.banner.dob_label.text()


def test_a_refresh_that_drops_the_chosen_row_drops_the_patient(qtbot, tab, desk):
    services, a, _b = desk
    qtbot.keyClicks(tab.search, "quillfeather")
    qtbot.waitUntil(lambda: a.id in [h.id for h in tab.model.rows()], timeout=DEADLINE_MS)
    _open(qtbot, tab, a.id)
    services.patients.update(a.id, last_name="Quinn")  # edited on another workstation
    tab.run_search()
    assert tab.model.rows() == [] and _shown_nobody(tab)


def test_a_patient_chosen_elsewhere_shows_only_as_a_row_of_these_results(qtbot, tab, desk):
    _services, a, b = desk
    qtbot.keyClicks(tab.search, "quillfeather")
    qtbot.waitUntil(lambda: a.id in [h.id for h in tab.model.rows()], timeout=DEADLINE_MS)
    tab.selection.select_patient(b.id)  # e.g. chosen on the schedule
    assert _shown_nobody(tab)
    tab.selection.select_patient(a.id)
    assert tab.banner.name_label.text().startswith("Quillfeather, Anna")
    assert tab.model.row_at(tab.results.currentIndex().row()).id == a.id


def test_picker_choice_follows_the_selected_row_of_the_current_results(qtbot, desk):
    services, a, b = desk
    picker = PatientPicker(services, "test")
    qtbot.addWidget(picker)
    chosen: list[int | None] = []
    picker.patient_chosen.connect(chosen.append)
    picker.show()
    picker.search.setFocus()
    qtbot.keyClicks(picker.search, "quillfeather")
    assert picker.patient_id == a.id == chosen[-1]
    picker.search.selectAll()
    qtbot.keyClicks(picker.search, "zeldt")
    assert picker.patient_id == b.id == chosen[-1]
    assert picker.chosen_hit().id == b.id
    qtbot.keyClicks(picker.search, "xx")  # nobody matches: nobody is chosen
    assert picker.patient_id is None and chosen[-1] is None and picker.chosen_hit() is None
