"""'Notify provider' items: one per critical vital-sign set on a visit, open until staff
record who was told, when and how.

The one query every screen and report uses (:func:`notify_tasks`), so the flow board,
the schedule block, the Vitals tab and the end-of-day report's open items can never
disagree about what is still open. No Qt and no permission checks here: the services
that call it check and audit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ma_desk.db.models import Provider, VisitTask

NOTIFY_PROVIDER = "notify_provider"
NOTIFY_KINDS = (NOTIFY_PROVIDER, "notify-provider")  # the second: tasks of early test stores
IN_PERSON, PHONE, MESSAGE = "in_person", "phone", "message"
HOW_LABELS = {IN_PERSON: "in person", PHONE: "by phone", MESSAGE: "by message"}


@dataclass(frozen=True)
class NotifyTask:
    id: int
    visit_id: int
    vital_set_id: int | None
    message: str
    created_at: dt.datetime
    done_at: dt.datetime | None = None
    provider_name: str = ""
    how: str = ""

    @property
    def is_open(self) -> bool:
        return self.done_at is None

    @property
    def done_text(self) -> str:
        """'Provider notified 09:42 (Dr. Patel, by phone)'; empty while open."""
        if self.done_at is None:
            return ""
        who = ", ".join(p for p in (self.provider_name, HOW_LABELS.get(self.how, "")) if p)
        return f"Provider notified {self.done_at:%H:%M}" + (f" ({who})" if who else "")


@dataclass(frozen=True)
class CriticalMarker:
    """What the flow board row and the schedule block show for a visit's criticals:
    an icon and words, never colour alone."""

    open: tuple[NotifyTask, ...] = ()
    done: tuple[NotifyTask, ...] = ()

    @property
    def needs_notifying(self) -> bool:
        return bool(self.open)

    @property
    def text(self) -> str:
        """One line for a table cell; :attr:`details` has the values."""
        if self.open:
            return "⚠ CRITICAL: notify provider"
        if self.done:
            return "✓ " + self.done[-1].done_text.replace("Provider", "provider", 1)
        return ""

    @property
    def details(self) -> str:
        """Every item with its values and, once done, who was told when and how."""
        lines = [t.message for t in self.open]
        lines += [f"{t.message}\n{t.done_text}" for t in self.done]
        return "\n".join(lines)

    @property
    def short(self) -> str:
        """For a schedule block: a few characters that still say what it is."""
        if self.open:
            return "⚠ CRITICAL"
        if self.done:
            return f"✓ notified {self.done[-1].done_at:%H:%M}"
        return ""


def notify_tasks(session: Session, visit_ids: Iterable[int | None]) -> dict[int, list[NotifyTask]]:
    """Every notify-provider item of these visits, oldest first, by visit."""
    wanted = sorted({v for v in visit_ids if v is not None})
    if not wanted:
        return {}
    rows = session.execute(
        select(VisitTask, Provider.display_name)
        .outerjoin(Provider, Provider.id == VisitTask.notified_provider_id)
        .where(VisitTask.visit_id.in_(wanted), VisitTask.kind.in_(NOTIFY_KINDS))
        .order_by(VisitTask.id)
    ).all()
    found: dict[int, list[NotifyTask]] = {}
    for task, provider_name in rows:
        found.setdefault(task.visit_id, []).append(
            NotifyTask(
                id=task.id,
                visit_id=task.visit_id,
                vital_set_id=task.vital_set_id,
                message=task.message,
                created_at=task.created_at,
                done_at=task.done_at,
                provider_name=provider_name or "",
                how=task.notified_how or "",
            )
        )
    return found


def open_tasks(session: Session, visit_ids: Iterable[int | None]) -> dict[int, list[NotifyTask]]:
    """Only the items still open (the end-of-day report's 'provider not yet notified')."""
    return {
        visit_id: open_
        for visit_id, tasks in notify_tasks(session, visit_ids).items()
        if (open_ := [t for t in tasks if t.is_open])
    }


def markers(session: Session, visit_ids: Iterable[int | None]) -> dict[int, CriticalMarker]:
    return {
        visit_id: CriticalMarker(
            tuple(t for t in tasks if t.is_open), tuple(t for t in tasks if not t.is_open)
        )
        for visit_id, tasks in notify_tasks(session, visit_ids).items()
    }
