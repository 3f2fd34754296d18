"""The room board: each exam room's state and since when."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from ma_desk.db.models import Patient, Room, Visit
from ma_desk.errors import ConflictError, NotFoundError, ValidationError
from ma_desk.services.base import Service

ROOM_STATES = ("ready", "occupied", "needs_turnover", "out_of_service")
STATE_LABELS = {
    "ready": "Ready",
    "occupied": "Occupied",
    "needs_turnover": "Needs turnover",
    "out_of_service": "Out of service",
}


@dataclass(frozen=True)
class RoomRow:
    id: int
    name: str
    room_type: str
    state: str
    state_since: dt.datetime | None
    visit_id: int | None
    patient_name: str

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)


class RoomService(Service):
    def board(self) -> list[RoomRow]:
        with self._read("rooms.read") as s:
            rows = s.execute(
                select(Room, Patient.last_name, Patient.first_name)
                .outerjoin(Visit, Visit.id == Room.current_visit_id)
                .outerjoin(Patient, Patient.id == Visit.patient_id)
                .where(Room.active.is_(True))
                .order_by(Room.sort_order, Room.name)
            ).all()
            return [
                RoomRow(
                    r.id,
                    r.name,
                    r.room_type,
                    r.state,
                    r.state_since,
                    r.current_visit_id,
                    f"{last}, {first}" if last else "",
                )  # fmt: skip
                for r, last, first in rows
            ]

    def set_state(self, room_id: int, state: str) -> RoomRow:
        """Manual state changes (out of service and back); turnover runs go through checklists."""
        if state not in ROOM_STATES:
            raise ValidationError("Unknown room state.", field="state")
        with self._write("rooms.write") as s:
            room = s.get(Room, room_id)
            if room is None:
                raise NotFoundError("That room no longer exists.")
            if state == "occupied":
                raise ConflictError("A room becomes occupied by rooming a patient in it.")
            if room.state == "occupied" and state != "out_of_service":
                raise ConflictError(f"{room.name} is occupied; check the patient out first.")
            old = room.state
            room.state, room.state_since = state, self.now()
            if state != "occupied":
                room.current_visit_id = None
            self._audit(s, "update", "room", room.id, details={"state": {"old": old, "new": state}})
            return RoomRow(
                room.id, room.name, room.room_type, room.state, room.state_since, None, ""
            )
