"""Appointment status and patient flow: the legal transitions in one place.

The local states are finer than FHIR's (roomed vs with provider); ``FHIR_STATUS``
maps each to Appointment.status for export.
"""

from __future__ import annotations

import datetime as dt

SCHEDULED = "scheduled"
CONFIRMED = "confirmed"
ARRIVED = "arrived"
ROOMED = "roomed"
WITH_PROVIDER = "with_provider"
CHECKED_OUT = "checked_out"
NO_SHOW = "no_show"
CANCELLED = "cancelled"
LEFT_WITHOUT_BEING_SEEN = "left_without_being_seen"
ENTERED_IN_ERROR = "entered_in_error"

STATUSES = (
    SCHEDULED,
    CONFIRMED,
    ARRIVED,
    ROOMED,
    WITH_PROVIDER,
    CHECKED_OUT,
    NO_SHOW,
    CANCELLED,
    LEFT_WITHOUT_BEING_SEEN,
    ENTERED_IN_ERROR,
)

LABELS = {
    SCHEDULED: "Scheduled",
    CONFIRMED: "Confirmed",
    ARRIVED: "Arrived",
    ROOMED: "Roomed",
    WITH_PROVIDER: "With provider",
    CHECKED_OUT: "Checked out",
    NO_SHOW: "No-show",
    CANCELLED: "Cancelled",
    LEFT_WITHOUT_BEING_SEEN: "Left without being seen",
    ENTERED_IN_ERROR: "Entered in error",
}

FHIR_STATUS = {
    SCHEDULED: "booked",
    CONFIRMED: "booked",
    ARRIVED: "arrived",
    ROOMED: "fulfilled",
    WITH_PROVIDER: "fulfilled",
    CHECKED_OUT: "fulfilled",
    NO_SHOW: "noshow",
    CANCELLED: "cancelled",
    LEFT_WITHOUT_BEING_SEEN: "cancelled",
    ENTERED_IN_ERROR: "entered-in-error",
}

TRANSITIONS: dict[str, frozenset[str]] = {
    SCHEDULED: frozenset({CONFIRMED, ARRIVED, NO_SHOW, CANCELLED, ENTERED_IN_ERROR}),
    CONFIRMED: frozenset({ARRIVED, NO_SHOW, CANCELLED, ENTERED_IN_ERROR}),
    ARRIVED: frozenset({ROOMED, LEFT_WITHOUT_BEING_SEEN, ENTERED_IN_ERROR}),
    ROOMED: frozenset({WITH_PROVIDER, CHECKED_OUT, LEFT_WITHOUT_BEING_SEEN}),
    WITH_PROVIDER: frozenset({CHECKED_OUT}),
    CHECKED_OUT: frozenset(),
    NO_SHOW: frozenset(),
    CANCELLED: frozenset(),
    LEFT_WITHOUT_BEING_SEEN: frozenset(),
    ENTERED_IN_ERROR: frozenset(),
}

OPEN_STATUSES = frozenset({SCHEDULED, CONFIRMED})
IN_CLINIC_STATUSES = frozenset({ARRIVED, ROOMED, WITH_PROVIDER})
FINAL_STATUSES = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def transition_refusal(current: str, target: str) -> str | None:
    """A message fit for the desk when the change is illegal, else None."""
    if can_transition(current, target):
        return None
    if current == target:
        return f"The appointment is already {LABELS.get(current, current).lower()}."
    allowed = ", ".join(LABELS[s].lower() for s in sorted(TRANSITIONS.get(current, ())))
    base = (
        f"A {LABELS.get(current, current).lower()} appointment cannot be marked "
        f"{LABELS.get(target, target).lower()}."
    )
    return f"{base} It can be marked: {allowed}." if allowed else base + " Its status is final."


# ------------------------------------------------------------------ timing
def minutes_between(start: dt.datetime | None, end: dt.datetime | None) -> int:
    """Whole minutes from start to end, never negative (clock skew, early arrivals)."""
    if start is None or end is None:
        return 0
    return max(0, int((end - start).total_seconds() // 60))


def is_late(scheduled: dt.datetime, arrived: dt.datetime, late_after_minutes: int) -> bool:
    """Arriving more than ``late_after_minutes`` after the start marks the visit late."""
    return arrived > scheduled + dt.timedelta(minutes=late_after_minutes)


WAIT_OK, WAIT_WARN, WAIT_ALERT = "ok", "warn", "alert"


def wait_level(minutes: int, warn_after: int = 15, alert_after: int = 30) -> str:
    """How the flow board colours a wait: ok, warn (at the first threshold), alert."""
    if minutes >= alert_after:
        return WAIT_ALERT
    if minutes >= warn_after:
        return WAIT_WARN
    return WAIT_OK


# ------------------------------------------------------------------ undo
def undo_refusal(current: str, from_status: str, to_status: str) -> str | None:
    """Why the last change (from_status -> to_status) cannot be taken back, else None.

    Only the most recent change is undone, and only while the appointment is
    still in the state that change produced.
    """
    if current != to_status:
        return "The appointment changed since; only its latest status change can be undone."
    if to_status == ENTERED_IN_ERROR:
        return "An appointment entered in error stays that way; book it again instead."
    if from_status not in STATUSES:
        return "That change cannot be undone."
    return None


# ------------------------------------------------------------------ desk shortcuts
# Single keys the Schedule tab uses for the commonest moves (documented in its help).
SHORTCUT_KEYS = {
    CONFIRMED: "C",
    ARRIVED: "A",
    ROOMED: "R",
    WITH_PROVIDER: "P",
    CHECKED_OUT: "O",
    NO_SHOW: "N",
    LEFT_WITHOUT_BEING_SEEN: "L",
}
