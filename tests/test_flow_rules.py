"""The patient-flow rules stated pair by pair: which status changes are legal, and that
every other one (a no-show back to arrived, a checked-out visit re-roomed) stays illegal.

A table the rule is checked against, not derived from it: mutation testing showed that a
transition added to ``flow.TRANSITIONS`` went unnoticed while tests only compared
``transition_refusal`` with ``can_transition``.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from ma_desk.clinical import flow

S, C, A, R, P, OUT = "scheduled", "confirmed", "arrived", "roomed", "with_provider", "checked_out"
NS, X, L, E = "no_show", "cancelled", "left_without_being_seen", "entered_in_error"

LEGAL = {
    (S, C), (S, A), (S, NS), (S, X), (S, E),
    (C, A), (C, NS), (C, X), (C, E),
    (A, R), (A, L), (A, E),
    (R, P), (R, OUT), (R, L),
    (P, OUT),
}  # fmt: skip
ALL_PAIRS = list(itertools.product(flow.STATUSES, repeat=2))


def test_the_table_names_every_status() -> None:
    assert set(flow.STATUSES) == {S, C, A, R, P, OUT, NS, X, L, E}
    assert len(flow.STATUSES) == len(set(flow.STATUSES))


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS)
def test_each_pair_is_legal_exactly_when_the_table_says(current: str, target: str) -> None:
    legal = (current, target) in LEGAL
    assert flow.can_transition(current, target) is legal
    assert (flow.transition_refusal(current, target) is None) is legal


def test_unknown_statuses_are_refused_in_words() -> None:
    assert flow.transition_refusal("teleported", "teleported") == (
        "The appointment is already teleported."
    )
    assert flow.transition_refusal(OUT, "teleported") == (
        "A checked out appointment cannot be marked teleported. Its status is final."
    )
    assert not flow.can_transition("teleported", A)
    assert not flow.can_transition(A, "teleported")
    assert flow.transition_refusal("teleported", A) == (
        "A teleported appointment cannot be marked arrived. Its status is final."
    )


def test_final_and_grouped_statuses() -> None:
    assert {OUT, NS, X, L, E} == flow.FINAL_STATUSES
    assert {S, C} == flow.OPEN_STATUSES
    assert {A, R, P} == flow.IN_CLINIC_STATUSES


@pytest.mark.parametrize(
    ("current", "target", "message"),
    [
        (A, A, "The appointment is already arrived."),
        (P, P, "The appointment is already with provider."),
        (NS, A, "A no-show appointment cannot be marked arrived. Its status is final."),
        (P, R, "A with provider appointment cannot be marked roomed. It can be marked: checked out."),
        (A, OUT, "A arrived appointment cannot be marked checked out. It can be marked: "
               "entered in error, left without being seen, roomed."),
        (OUT, R, "A checked out appointment cannot be marked roomed. Its status is final."),
    ],
)  # fmt: skip
def test_refusals_say_what_is_possible(current: str, target: str, message: str) -> None:
    assert flow.transition_refusal(current, target) == message


def test_fhir_status_and_labels_cover_every_status() -> None:
    assert flow.FHIR_STATUS == {
        S: "booked", C: "booked", A: "arrived", R: "fulfilled", P: "fulfilled",
        OUT: "fulfilled", NS: "noshow", X: "cancelled", L: "cancelled", E: "entered-in-error",
    }  # fmt: skip
    assert set(flow.LABELS) == set(flow.STATUSES)
    assert flow.LABELS[L] == "Left without being seen" and flow.LABELS[NS] == "No-show"


T0 = dt.datetime(2026, 11, 30, 9, 0)


@pytest.mark.parametrize(
    ("end", "minutes"),
    [(T0 - dt.timedelta(seconds=1), 0), (T0, 0), (T0 + dt.timedelta(seconds=59), 0),
     (T0 + dt.timedelta(seconds=60), 1), (T0 + dt.timedelta(minutes=90, seconds=59), 90)],
)  # fmt: skip
def test_minutes_between_counts_whole_minutes(end: dt.datetime, minutes: int) -> None:
    assert flow.minutes_between(T0, end) == minutes
    assert flow.minutes_between(T0, None) == 0


@pytest.mark.parametrize(
    ("arrived", "late"),
    [(T0 + dt.timedelta(minutes=10) - dt.timedelta(seconds=1), False),
     (T0 + dt.timedelta(minutes=10), False), (T0 + dt.timedelta(minutes=10, seconds=1), True)],
)  # fmt: skip
def test_late_only_after_the_grace_minutes(arrived: dt.datetime, late: bool) -> None:
    assert flow.is_late(T0, arrived, late_after_minutes=10) is late


@pytest.mark.parametrize(
    ("minutes", "level"),
    [(0, "ok"), (14, "ok"), (15, "warn"), (16, "warn"), (29, "warn"), (30, "alert"), (31, "alert")],
)
def test_wait_levels_at_each_threshold(minutes: int, level: str) -> None:
    assert flow.wait_level(minutes) == level
    assert flow.wait_level(minutes, warn_after=minutes + 1, alert_after=minutes + 2) == "ok"
    assert flow.wait_level(minutes, warn_after=minutes, alert_after=minutes + 1) == "warn"


@pytest.mark.parametrize(
    ("current", "change", "refusal"),
    [
        (A, (S, A), None),
        (R, (S, A), "The appointment changed since; only its latest status change can be undone."),
        (E, (A, E), "An appointment entered in error stays that way; book it again instead."),
        (A, ("teleported", A), "That change cannot be undone."),
        (X, (C, X), None),
    ],
)
def test_undo_only_the_latest_change(
    current: str, change: tuple[str, str], refusal: str | None
) -> None:
    assert flow.undo_refusal(current, *change) == refusal


def test_desk_shortcut_keys_are_unique_and_for_legal_targets() -> None:
    keys = flow.SHORTCUT_KEYS
    assert keys == {C: "C", A: "A", R: "R", P: "P", OUT: "O", NS: "N", L: "L"}
    assert len(set(keys.values())) == len(keys)
