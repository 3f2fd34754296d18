"""Status changes of an appointment and what they do to visits and rooms.

``apply_transition`` is the one place a status changes (Check-in calls it inside
its own transaction); ``reverse_effects`` takes back the side effects of the
last change for an undo, refusing when the world has moved on since.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ma_desk.clinical import flow
from ma_desk.db.models import (
    Appointment,
    AppointmentStatusChange,
    HandoutGiven,
    Room,
    Visit,
    VisitTask,
    VitalSet,
)
from ma_desk.errors import ConflictError, ValidationError
from ma_desk.services.base import Service
from ma_desk.services.settings import SettingsService


def reverse_effects(s: Session, appt: Appointment, change: AppointmentStatusChange) -> None:
    """Undo what apply_transition did beside the status, refusing when the world moved on."""
    visit = appt.visit
    target = change.to_status
    if target == flow.ARRIVED and visit is not None:
        used = any(
            s.scalar(select(func.count()).select_from(model).where(model.visit_id == visit.id))
            for model in (VitalSet, VisitTask, HandoutGiven)
        )
        if used or visit.copay_collected_cents or visit.forms_signed:
            raise ConflictError(
                "Work was already recorded on this visit (vitals, forms, tasks or a copay); "
                "it cannot be un-arrived."
            )
        appt.visit = None
        s.delete(visit)
        appt.is_late = False
    elif target == flow.ROOMED:
        room = s.get(Room, appt.room_id) if appt.room_id else None
        if (
            room is not None
            and room.state == "occupied"
            and (visit is None or room.current_visit_id in (None, visit.id))
        ):
            room.state, room.state_since, room.current_visit_id = "ready", change.at, None
        appt.room_id = None
        if visit is not None:
            visit.roomed_at, visit.room_id = None, None
    elif target == flow.WITH_PROVIDER and visit is not None:
        visit.provider_at = None
    elif target in (flow.CHECKED_OUT, flow.LEFT_WITHOUT_BEING_SEEN):
        room = s.get(Room, appt.room_id) if appt.room_id else None
        if room is not None and change.from_status in (flow.ROOMED, flow.WITH_PROVIDER):
            if room.state != "needs_turnover":
                raise ConflictError(
                    f"{room.name} has been turned over or reused since; "
                    "the check-out cannot be undone."
                )
            room.state, room.state_since = "occupied", change.at
            room.current_visit_id = visit.id if visit else None
        if visit is not None and target == flow.CHECKED_OUT:
            visit.checked_out_at = None
    elif target == flow.CANCELLED:
        appt.cancel_reason = ""


def apply_transition(
    service: Service,
    s: Session,
    appt: Appointment,
    target: str,
    *,
    room_id: int | None = None,
    reason: str = "",
) -> Visit | None:
    """The one place where a status changes; callable inside another service's transaction."""
    refusal = flow.transition_refusal(appt.status, target)
    if refusal:
        raise ConflictError(refusal)
    now = service.now()
    visit = appt.visit
    if target == flow.ARRIVED:
        if visit is None:
            visit = Visit(
                appointment_id=appt.id, patient_id=appt.patient_id, provider_id=appt.provider_id,
                visit_date=appt.start.date(), created_at=now, forms_signed=[],
            )  # fmt: skip
            s.add(visit)
            appt.visit = visit
        visit.arrived_at = now
        late_after = SettingsService(service.ctx).get().late_after_minutes
        appt.is_late = flow.is_late(appt.start, now, late_after) and not appt.is_walk_in
    elif target == flow.ROOMED:
        if room_id is None:
            raise ValidationError("Choose the room the patient is taken to.", field="room")
        room = s.get(Room, room_id)
        if room is None or not room.active:
            raise ValidationError("That room does not exist.", field="room")
        if room.state != "ready":
            raise ConflictError(f"{room.name} is not ready ({room.state.replace('_', ' ')}).")
        room.state, room.state_since, room.current_visit_id = (
            "occupied",
            now,
            visit.id if visit else None,
        )
        appt.room_id = room_id
        if visit is not None:
            visit.roomed_at, visit.room_id = now, room_id
    elif target == flow.WITH_PROVIDER and visit is not None:
        visit.provider_at = now
    elif target in (flow.CHECKED_OUT, flow.LEFT_WITHOUT_BEING_SEEN):
        if visit is not None and target == flow.CHECKED_OUT:
            visit.checked_out_at = now
        if appt.room_id is not None:
            room = s.get(Room, appt.room_id)
            if room is not None and room.state == "occupied":
                room.state, room.state_since, room.current_visit_id = "needs_turnover", now, None
    elif target == flow.CANCELLED:
        appt.cancel_reason = " ".join(reason.split())[:200]
    previous = appt.status
    appt.status = target
    s.add(AppointmentStatusChange(
        appointment_id=appt.id, from_status=previous, to_status=target, at=now,
        user_id=service.actor.user_id, room_id=room_id,
    ))  # fmt: skip
    s.flush()
    service._audit(s, "status_change", "appointment", appt.id, patient_id=appt.patient_id,
                   details={"status": {"old": previous, "new": target}, "room_id": room_id,
                            "reason": reason or None})  # fmt: skip
    return visit
