"""A row asked for by id that another workstation removed: one clear refusal, nothing written.

The services load such rows through ma_desk/services/rows.existing; these tests state its
contract and run a sample of the services' public calls with ids that do not exist.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from ma_desk.db.models import AuditEvent, Patient, Room
from ma_desk.errors import NotFoundError
from ma_desk.services import Services
from ma_desk.services.rows import existing, gone_message

pytestmark = pytest.mark.both_stores

MISSING = 987_654


def _audit_count(services: Services) -> int:
    with services.ctx.db.read() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent)) or 0


def test_gone_message_names_what_was_asked_for() -> None:
    assert gone_message("patient") == "That patient no longer exists."
    assert gone_message("vital-sign set") == "That vital-sign set no longer exists."


@pytest.mark.parametrize("lock", [False, True])
def test_existing_returns_the_row(services: Services, lock: bool) -> None:
    with services.ctx.db.write() as s:
        s.add(Room(name="Exam 9", state="ready"))
        s.flush()
        room_id = s.scalar(select(Room.id).where(Room.name == "Exam 9"))
        row = existing(s, Room, room_id, "room", lock=lock)
        assert (row.id, row.name) == (room_id, "Exam 9")


@pytest.mark.parametrize("lock", [False, True])
def test_existing_refuses_a_missing_row_by_name(services: Services, lock: bool) -> None:
    with services.ctx.db.read() as s, pytest.raises(NotFoundError) as caught:
        existing(s, Patient, MISSING, "patient", lock=lock)
    assert str(caught.value) == "That patient no longer exists."


def test_existing_with_lock_reads_what_is_committed_now(services: Services) -> None:
    """An edit must start from the stored row, not from a copy the session held."""
    with services.ctx.db.write() as s:
        s.add(Room(name="Exam 8", state="ready"))
    with services.ctx.db.write() as s:
        room = s.scalars(select(Room).where(Room.name == "Exam 8")).one()
        room.state = "needs_turnover"  # changed in this session, not flushed
        with s.no_autoflush:
            fresh = existing(s, Room, room.id, "room", lock=True)
        assert fresh.state == "ready"


CALLS: dict[str, Callable[[Services], object]] = {
    "patient chart": lambda sv: sv.patients.open_chart(MISSING),
    "handout": lambda sv: sv.handouts.get(MISSING),
    "checklist template": lambda sv: sv.checklists.template(MISSING),
    "insurance note history": lambda sv: sv.insurance.note_history(MISSING),
    "waitlist entry": lambda sv: sv.waitlist.remove(MISSING),
    "vital-sign set": lambda sv: sv.vitals.mark_entered_in_error(MISSING, "wrong patient"),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_services_refuse_missing_rows_and_write_nothing(services: Services, name: str) -> None:
    before = _audit_count(services)
    with pytest.raises(NotFoundError, match=r"^That .+ no longer exists\.$"):
        CALLS[name](services)
    assert _audit_count(services) == before
