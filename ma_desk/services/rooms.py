"""The room board: each exam room's state and since when.

Rooming a patient (Schedule/Check-in) makes a room occupied and checking out
makes it need a turnover (``schedule.apply_transition``). A room becomes ready
again only by finishing a checklist (``ChecklistService.finish_run``); here
are the board itself and the manual out-of-service switch.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from ma_desk.db.models import ChecklistRun, Patient, Room, Visit
from ma_desk.errors import ConflictError, ValidationError
from ma_desk.services.base import Service
from ma_desk.services.policy import READ, WRITE, policy
from ma_desk.services.rows import existing
from ma_desk.services.versions import check_version

ROOM_STATES = ("ready", "occupied", "needs_turnover", "out_of_service")
STATE_LABELS = {
    "ready": "Ready",
    "occupied": "Occupied",
    "needs_turnover": "Needs turnover",
    "out_of_service": "Out of service",
}
MAX_STATE_NOTE = 200


@dataclass(frozen=True)
class RoomRow:
    id: int
    name: str
    room_type: str
    state: str
    state_since: dt.datetime | None
    visit_id: int | None
    patient_name: str
    state_note: str = ""
    open_run_id: int | None = None
    open_run_moment: str = ""
    open_run_by: str = ""
    open_run_started: dt.datetime | None = None
    last_run_finished: dt.datetime | None = None
    last_run_by: str = ""
    last_run_moment: str = ""
    # The saved version the board edits against (``expected_version``), and its author.
    version: int = 1
    updated_at: dt.datetime | None = None
    updated_by: str = ""
    updated_on: str = ""

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)


class RoomService(Service):
    @policy("rooms.read", audit=READ)
    def board(self) -> list[RoomRow]:
        """Every room's state; an occupied room names its patient, so opening it is audited."""
        with self._read() as s:
            rows = s.execute(
                select(Room, Patient.last_name, Patient.first_name)
                .outerjoin(Visit, Visit.id == Room.current_visit_id)
                .outerjoin(Patient, Patient.id == Visit.patient_id)
                .where(Room.active.is_(True))
                .order_by(Room.sort_order, Room.name)
            ).all()
            room_ids = [r.id for r, _l, _f in rows]
            open_runs: dict[int, ChecklistRun] = {}
            last_runs: dict[int, ChecklistRun] = {}
            if room_ids:
                since = self.now() - dt.timedelta(days=2)
                recent = s.scalars(
                    select(ChecklistRun)
                    .where(ChecklistRun.room_id.in_(room_ids), ChecklistRun.started_at >= since)
                    .order_by(ChecklistRun.started_at)
                ).all()
                for run in recent:
                    if run.status == "in_progress":
                        open_runs[run.room_id] = run
                    elif run.status == "completed":
                        last_runs[run.room_id] = run
            result = []
            for r, last, first in rows:
                open_run, last_run = open_runs.get(r.id), last_runs.get(r.id)
                result.append(
                    RoomRow(
                        r.id,
                        r.name,
                        r.room_type,
                        r.state,
                        r.state_since,
                        r.current_visit_id,
                        f"{last}, {first}" if last else "",
                        r.state_note or "",
                        open_run.id if open_run else None,
                        open_run.moment if open_run else "",
                        open_run.user_name if open_run else "",
                        open_run.started_at if open_run else None,
                        last_run.finished_at if last_run else None,
                        last_run.user_name if last_run else "",
                        last_run.moment if last_run else "",
                        r.version,
                        r.updated_at,
                        r.updated_by,
                        r.updated_on,
                    )  # fmt: skip
                )
        occupied = sum(1 for row in result if row.patient_name)
        self._record_read("view", "room_board", details={"rooms": len(result),
                          "occupied": occupied}, view="board")  # fmt: skip
        return result

    @policy("rooms.write", audit=WRITE)
    def set_state(
        self, room_id: int, state: str, reason: str = "", *, expected_version: int | None = None
    ) -> RoomRow:
        """Take a room out of service (with a reason) or put it back (it then needs a turnover).

        Ready is reached only through a finished checklist, occupied only by rooming a patient.
        A room changed since the board showed it (newer than ``expected_version``) is refused.
        """
        if state not in ROOM_STATES:
            raise ValidationError("Unknown room state.", field="state")
        reason = " ".join((reason or "").split())
        if len(reason) > MAX_STATE_NOTE:
            raise ValidationError(
                f"The reason is too long (at most {MAX_STATE_NOTE} characters).", field="reason"
            )
        with self._write() as s:
            room = existing(s, Room, room_id, "room", lock=True)
            check_version(room, expected_version, what="room", now=self.now(),
                          current=lambda: _changed_room_row(room))  # fmt: skip
            if state == "occupied":
                raise ConflictError("A room becomes occupied by rooming a patient in it.")
            if state == "ready":
                raise ConflictError(
                    f"{room.name} is set ready by completing its checklist; start the checklist."
                )
            if room.state == "occupied":
                raise ConflictError(f"{room.name} is occupied; check the patient out first.")
            if state == "out_of_service" and not reason:
                raise ValidationError(
                    "Say why the room is out of service (e.g. exam table broken).", field="reason"
                )
            if state == "needs_turnover" and room.state == "ready":
                reason = reason or "Marked for turnover"
            old = {"state": room.state, "state_note": room.state_note}
            room.state, room.state_since = state, self.now()
            room.state_note = reason if state == "out_of_service" else ""
            room.current_visit_id = None
            self._audit(s, "update", "room", room.id, details={
                "state": {"old": old["state"], "new": state},
                "reason": reason or None})  # fmt: skip
            s.flush()  # the row returned carries its new version
            return _changed_room_row(room)


def _changed_room_row(room: Room) -> RoomRow:
    """The room's own state after a change (the board fills in patients and checklists)."""
    return RoomRow(
        room.id, room.name, room.room_type, room.state, room.state_since, room.current_visit_id,
        "", room.state_note, version=room.version, updated_at=room.updated_at,
        updated_by=room.updated_by, updated_on=room.updated_on,
    )  # fmt: skip
