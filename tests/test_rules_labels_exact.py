"""The permission check the services and the UI share, and the checklist label rules, at
their exact words (the mutation run found them stated only through screens and services)."""

from __future__ import annotations

import pytest

from ma_desk import permissions
from ma_desk.clinical import checklist_templates as templates


@pytest.mark.parametrize(
    ("role", "permission", "elevated", "allowed"),
    [
        ("medical_assistant", "vitals.write", False, True),  # the role's own
        ("front_desk", "vitals.write", False, False),
        ("front_desk", "vitals.write", True, True),  # break-glass opens patient care
        ("provider", "schedule.write", False, False),
        ("provider", "schedule.write", True, True),
        ("front_desk", "users.admin", True, False),  # never administration
        ("medical_assistant", "users.admin", True, False),
        ("administrator", "users.admin", False, True),
        ("nobody", "patient.read", True, False),  # an unknown role gets nothing
        ("nobody", "patient.read", False, False),
    ],
)
def test_permitted_is_the_role_widened_only_by_break_glass(role, permission, elevated, allowed):
    assert permissions.permitted(role, permission, elevated=elevated) is allowed


def test_permitted_defaults_to_not_elevated():
    assert permissions.permitted("front_desk", "vitals.write") is False


@pytest.mark.parametrize(
    ("moment", "label"),
    [("opening", "Opening"), ("between", "Between patients"), ("closing", "Closing"),
     ("end_of_day", "End of day"), ("weekly", "Weekly")],
)  # fmt: skip
def test_moment_labels(moment, label):
    assert templates.moment_label(moment) == label


@pytest.mark.parametrize(
    ("room_type", "label"),
    [("exam", "General exam room"), ("procedure", "Procedure room"),
     ("minor_surgery", "Minor surgery room"), ("lab", "Lab room")],
)  # fmt: skip
def test_room_type_labels(room_type, label):
    assert templates.room_type_label(room_type) == label


@pytest.mark.parametrize(
    ("state", "moment"),
    [("needs_turnover", "between"), ("ready", "opening"), ("occupied", "opening"),
     ("out_of_service", "opening")],
)  # fmt: skip
def test_a_used_room_calls_for_the_between_patients_checklist(state, moment):
    assert templates.moment_for_state(state) == moment
