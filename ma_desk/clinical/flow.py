"""Appointment status and patient flow: the legal transitions in one place.

The local states are finer than FHIR's (roomed vs with provider); ``FHIR_STATUS``
maps each to Appointment.status for export.
"""

from __future__ import annotations

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
