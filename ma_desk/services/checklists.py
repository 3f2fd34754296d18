"""Room-prep checklists: templates, runs that set a room ready, restock list, compliance.

A room becomes ready only by finishing a checklist run in which every
required item is ticked, not due yet (periodic items), or marked not done
with a reason. Each tick is saved at once so a run survives a crash and
another MA can finish it; the run keeps who started it, when, and how long
it took.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from ma_desk.audit import changes
from ma_desk.clinical import checklist_templates as rules
from ma_desk.db.models import (
    ChecklistRun,
    ChecklistRunItem,
    ChecklistTemplate,
    ChecklistTemplateItem,
    Room,
    Visit,
)
from ma_desk.errors import ConflictError, NotFoundError, ValidationError
from ma_desk.services import checklist_rules
from ma_desk.services.base import Service
from ma_desk.services.checklist_rules import TemplateItemInput, clean_text, validate_template
from ma_desk.services.policy import REFERENCE, WRITE, policy
from ma_desk.services.rows import existing, gone_message
from ma_desk.services.versions import check_version

MAX_NOTE = 300
MAX_REASON = 200
MAX_RANGE_DAYS = 400


# ------------------------------------------------------------------ rows
@dataclass(frozen=True)
class TemplateItemRow:
    id: int
    position: int
    text: str
    required: bool
    is_supply: bool
    hint: str
    interval_days: int


@dataclass(frozen=True)
class TemplateRow:
    id: int
    name: str
    room_type: str
    moment: str
    active: bool
    items: tuple[TemplateItemRow, ...]

    @property
    def label(self) -> str:
        return f"{rules.room_type_label(self.room_type)} · {rules.moment_label(self.moment)}" + (
            "" if self.active else " (retired)"
        )


@dataclass(frozen=True)
class RunItemRow:
    id: int
    run_id: int
    position: int
    text: str
    required: bool
    is_supply: bool
    hint: str
    done: bool
    not_done_reason: str
    note: str
    low_supply: bool
    not_due: bool
    done_at: dt.datetime | None

    @property
    def resolved(self) -> bool:
        """Ticked, not due yet, or consciously skipped with a reason."""
        return self.done or self.not_due or bool(self.not_done_reason)

    @property
    def status_label(self) -> str:
        if self.done:
            return "Done"
        if self.not_done_reason:
            return "Not done"
        if self.not_due:
            return "Not due"
        return "Open" if self.required else "Optional"


@dataclass(frozen=True)
class RunRow:
    id: int
    room_id: int
    room_name: str
    template_name: str
    moment: str
    user_name: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    note: str
    items: tuple[RunItemRow, ...]
    # The saved version the run panel edits against (``expected_version``), and its author.
    version: int = 1
    updated_at: dt.datetime | None = None
    updated_by: str = ""
    updated_on: str = ""

    @property
    def open_required(self) -> list[RunItemRow]:
        return checklist_rules.open_required(self.items)

    @property
    def moment_label(self) -> str:
        return rules.moment_label(self.moment)


@dataclass(frozen=True)
class RunSummaryRow:
    id: int
    room_id: int
    room_name: str
    moment: str
    template_name: str
    user_name: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    items_total: int
    items_done: int
    not_done: tuple[str, ...]  # "item: reason"
    low_supply: int
    note: str
    items_not_due: int = 0  # periodic items done recently, so not required this time

    @property
    def minutes(self) -> float | None:
        if self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds() / 60, 1)

    @property
    def moment_label(self) -> str:
        return rules.moment_label(self.moment)


GAP_KINDS = {
    "no_turnover": "Used without a turnover since the previous patient",
    "no_opening": "First patient of the day without an opening or turnover checklist",
    "no_closing": "Used but no closing checklist that day",
}


@dataclass(frozen=True)
class GapRow:
    room_id: int
    room_name: str
    day: dt.date
    kind: str
    at: dt.datetime | None  # when the patient was roomed (None for a missing closing)
    previous_out: dt.datetime | None

    @property
    def message(self) -> str:
        text = GAP_KINDS[self.kind]
        if self.kind == "no_turnover" and self.previous_out and self.at:
            return f"{text} (out {self.previous_out:%H:%M}, next roomed {self.at:%H:%M})"
        if self.at:
            return f"{text} (roomed {self.at:%H:%M})"
        return text


@dataclass(frozen=True)
class ComplianceReport:
    date_from: dt.date
    date_to: dt.date
    room_id: int | None
    runs: tuple[RunSummaryRow, ...]
    gaps: tuple[GapRow, ...]


@dataclass(frozen=True)
class RestockRow:
    run_item_id: int
    reported_at: dt.datetime
    room_name: str
    item_text: str
    note: str
    reported_by: str
    restocked_at: dt.datetime | None
    restocked_by: str


def _template_row(t: ChecklistTemplate) -> TemplateRow:
    items = tuple(
        TemplateItemRow(i.id, i.position, i.text, i.required, i.is_supply, i.hint, i.interval_days)
        for i in t.items
        if i.active
    )
    return TemplateRow(t.id, t.name, t.room_type, t.moment, t.active, items)


def _run_item_row(i: ChecklistRunItem) -> RunItemRow:
    return RunItemRow(
        i.id, i.run_id, i.position, i.text, i.required, i.is_supply, i.hint, i.done,
        i.not_done_reason, i.note, i.low_supply, i.not_due, i.done_at,
    )  # fmt: skip


def _run_row(run: ChecklistRun, room_name: str, template_name: str) -> RunRow:
    return RunRow(
        run.id, run.room_id, room_name, template_name, run.moment, run.user_name,
        run.started_at, run.finished_at, run.status, run.note,
        tuple(_run_item_row(i) for i in run.items), run.version, run.updated_at,
        run.updated_by, run.updated_on,
    )  # fmt: skip


class ChecklistService(Service):
    # ------------------------------------------------------------ templates
    @policy("rooms.read", audit=REFERENCE)
    def templates(self, *, include_retired: bool = False) -> list[TemplateRow]:
        with self._read() as s:
            query = select(ChecklistTemplate).options(selectinload(ChecklistTemplate.items))
            if not include_retired:
                query = query.where(ChecklistTemplate.active.is_(True))
            found = s.scalars(query).all()
            order = {m: i for i, m in enumerate(rules.MOMENTS)}
            found = sorted(found, key=lambda t: (t.room_type, order.get(t.moment, 9), t.name))
            return [_template_row(t) for t in found]

    @policy("rooms.read", audit=REFERENCE)
    def template(self, template_id: int) -> TemplateRow:
        with self._read() as s:
            t = existing(s, ChecklistTemplate, template_id, "checklist")
            return _template_row(t)

    @policy("rooms.read", audit=REFERENCE)
    def room_types(self) -> list[str]:
        """Room types in use by rooms or templates, shipped ones first."""
        with self._read() as s:
            found = set(s.scalars(select(Room.room_type).where(Room.active.is_(True))).all())
            found |= set(s.scalars(select(ChecklistTemplate.room_type)).all())
        return list(rules.ROOM_TYPES) + sorted(found - set(rules.ROOM_TYPES))

    @policy("rooms.read", audit=WRITE)
    def ensure_default_templates(self) -> int:
        """Install the shipped checklists into a store that has none; returns how many."""
        with self._read() as s:
            if s.scalar(select(func.count(ChecklistTemplate.id))):
                return 0
        with self.ctx.db.write() as s:
            if s.scalar(select(func.count(ChecklistTemplate.id))):
                return 0
            for shipped in rules.SHIPPED_TEMPLATES:
                t = ChecklistTemplate(
                    name=shipped.name, room_type=shipped.room_type, moment=shipped.moment
                )
                t.items = [
                    ChecklistTemplateItem(
                        position=n,
                        text=i.text,
                        required=i.required,
                        is_supply=i.is_supply,
                        hint=i.hint,
                        interval_days=i.interval_days,
                        active=True,
                    )  # fmt: skip
                    for n, i in enumerate(shipped.items)
                ]
                s.add(t)
            s.flush()
            self._audit(
                s, "seed", "checklist_template", details={"count": len(rules.SHIPPED_TEMPLATES)}
            )
        return len(rules.SHIPPED_TEMPLATES)

    @policy("checklists.admin", audit=WRITE)
    def save_template(
        self,
        template_id: int | None,
        *,
        name: str,
        room_type: str,
        moment: str,
        items: Sequence[TemplateItemInput],
    ) -> TemplateRow:
        """Create or replace a template's items (order = list order); old items are retired."""
        plan = validate_template(name, room_type, moment, items)
        name, room_type, moment, cleaned = plan.name, plan.room_type, plan.moment, plan.items
        with self._write() as s:
            clash = s.scalar(
                select(ChecklistTemplate.id).where(
                    ChecklistTemplate.room_type == room_type,
                    ChecklistTemplate.moment == moment,
                    ChecklistTemplate.active.is_(True),
                    ChecklistTemplate.id != (template_id or 0),
                )
            )
            if clash:
                raise ConflictError(
                    f"There is already a {rules.moment_label(moment).lower()} checklist for "
                    f"{rules.room_type_label(room_type).lower()}s; edit that one instead.",
                    field="moment",
                )
            if template_id is None:
                t = ChecklistTemplate(name=name, room_type=room_type, moment=moment, active=True)
                s.add(t)
                s.flush()
                before: dict[str, object] = {}
            else:
                t = existing(s, ChecklistTemplate, template_id, "checklist")
                before = {"name": t.name, "room_type": t.room_type, "moment": t.moment,
                          "items": [i.text for i in t.items if i.active]}  # fmt: skip
            t.name, t.room_type, t.moment = name, room_type, moment
            _replace_items(t, cleaned)
            s.flush()
            after = {"name": name, "room_type": room_type, "moment": moment,
                     "items": [c.text for c in cleaned]}  # fmt: skip
            self._audit(s, "create" if template_id is None else "update", "checklist_template",
                        t.id, details=changes(before, after))  # fmt: skip
            s.refresh(t)
            return _template_row(t)

    @policy("checklists.admin", audit=WRITE)
    def set_template_active(self, template_id: int, active: bool) -> TemplateRow:
        with self._write() as s:
            t = existing(s, ChecklistTemplate, template_id, "checklist")
            if active and not t.active:
                clash = s.scalar(
                    select(ChecklistTemplate.id).where(
                        ChecklistTemplate.room_type == t.room_type,
                        ChecklistTemplate.moment == t.moment,
                        ChecklistTemplate.active.is_(True),
                    )
                )
                if clash:
                    raise ConflictError("Another checklist is in use for that room and moment.")
            old, t.active = t.active, active
            self._audit(s, "update", "checklist_template", t.id,
                        details={"active": {"old": old, "new": active}})  # fmt: skip
            return _template_row(t)

    # ------------------------------------------------------------ runs
    @policy("rooms.read", audit=REFERENCE)
    def open_run_for_room(self, room_id: int) -> RunRow | None:
        with self._read() as s:
            run = s.scalar(
                select(ChecklistRun).where(
                    ChecklistRun.room_id == room_id, ChecklistRun.status == "in_progress"
                ).order_by(ChecklistRun.started_at.desc()).limit(1)
            )  # fmt: skip
            return self._load_run(s, run.id) if run else None

    @policy("rooms.read", audit=REFERENCE)
    def run(self, run_id: int) -> RunRow:
        with self._read() as s:
            return self._load_run(s, run_id)

    @policy("rooms.write", audit=WRITE)
    def start_run(self, room_id: int, moment: str) -> RunRow:
        """Start (or resume the open) checklist for a room at this moment of the day."""
        if moment not in rules.MOMENTS:
            raise ValidationError("Choose opening, between patients or closing.", field="moment")
        with self._write() as s:
            room = s.get(Room, room_id)
            if room is None or not room.active:
                raise NotFoundError(gone_message("room"))
            if room.state == "occupied":
                raise ConflictError(f"{room.name} has a patient in it; check them out first.")
            if room.state == "out_of_service":
                raise ConflictError(f"{room.name} is out of service; put it back in service first.")
            open_run = s.scalar(
                select(ChecklistRun).where(
                    ChecklistRun.room_id == room_id, ChecklistRun.status == "in_progress"
                )
            )
            if open_run is not None:
                if open_run.moment == moment:
                    return self._load_run(s, open_run.id)
                raise ConflictError(
                    f"{room.name} already has a {rules.moment_label(open_run.moment).lower()} "
                    f"checklist open ({open_run.user_name or 'someone'}, "
                    f"{open_run.started_at:%H:%M}); finish or cancel it first."
                )
            template = s.scalar(
                select(ChecklistTemplate)
                .where(
                    ChecklistTemplate.room_type == room.room_type,
                    ChecklistTemplate.moment == moment,
                    ChecklistTemplate.active.is_(True),
                )
                .options(selectinload(ChecklistTemplate.items))
            )
            if template is None:
                raise NotFoundError(
                    f"There is no {rules.moment_label(moment).lower()} checklist for "
                    f"{rules.room_type_label(room.room_type).lower()}s. "
                    "Ask an administrator to add one."
                )
            now = self.now()
            run = ChecklistRun(
                room_id=room.id, template_id=template.id, moment=moment,
                user_id=self.actor.user_id, user_name=self.actor.display_name,
                started_at=now, status="in_progress", note="",
            )  # fmt: skip
            for n, item in enumerate(i for i in template.items if i.active):
                run.items.append(
                    run_item_from(item, n, not_due=self._recently_done(s, room.id, item, now))
                )
            s.add(run)
            s.flush()
            self._audit(s, "start", "checklist_run", run.id,
                        details={"room_id": room.id, "moment": moment,
                                 "template_id": template.id})  # fmt: skip
            return self._load_run(s, run.id)

    @policy("rooms.write", audit=WRITE)
    def tick(self, item_id: int, done: bool = True) -> RunItemRow:
        with self._write() as s:
            item = self._open_item(s, item_id)
            old = {"done": item.done, "not_done_reason": item.not_done_reason}
            item.done = bool(done)
            item.done_at = self.now() if done else None
            if done:
                item.not_done_reason = ""
            self._audit(s, "update", "checklist_run_item", item.id,
                        details=changes(old, {"done": item.done,
                                              "not_done_reason": item.not_done_reason}))  # fmt: skip
            return _run_item_row(item)

    @policy("rooms.write", audit=WRITE)
    def mark_not_done(self, item_id: int, reason: str) -> RunItemRow:
        """Skip an item on purpose; the reason is what an auditor reads later."""
        reason = clean_text(reason, limit=MAX_REASON, field="reason",
                            label="The reason it was not done", required=True)  # fmt: skip
        with self._write() as s:
            item = self._open_item(s, item_id)
            old = {"done": item.done, "not_done_reason": item.not_done_reason}
            item.done, item.done_at, item.not_done_reason = False, None, reason
            self._audit(s, "update", "checklist_run_item", item.id,
                        details=changes(old, {"done": False, "not_done_reason": reason}))  # fmt: skip
            return _run_item_row(item)

    @policy("rooms.write", audit=WRITE)
    def clear_not_done(self, item_id: int) -> RunItemRow:
        with self._write() as s:
            item = self._open_item(s, item_id)
            old, item.not_done_reason = item.not_done_reason, ""
            self._audit(s, "update", "checklist_run_item", item.id,
                        details={"not_done_reason": {"old": old, "new": ""}})  # fmt: skip
            return _run_item_row(item)

    @policy("rooms.write", audit=WRITE)
    def set_note(self, item_id: int, note: str) -> RunItemRow:
        note = clean_text(note, limit=MAX_NOTE, field="note", label="The note")
        with self._write() as s:
            item = self._open_item(s, item_id)
            old, item.note = item.note, note
            if old != note:
                self._audit(s, "update", "checklist_run_item", item.id,
                            details={"note": {"old": old, "new": note}})  # fmt: skip
            return _run_item_row(item)

    @policy("rooms.write", audit=WRITE)
    def set_low_supply(self, item_id: int, low: bool, note: str | None = None) -> RunItemRow:
        """Report (or withdraw) a low supply; it appears on the day's restock list."""
        if note is not None:
            note = clean_text(note, limit=MAX_NOTE, field="note", label="The note")
        with self._write() as s:
            item = self._open_item(s, item_id)
            old = {"low_supply": item.low_supply, "note": item.note}
            item.low_supply = bool(low)
            if note is not None:
                item.note = note
            if not low:
                item.restocked_at, item.restocked_by = None, ""
            self._audit(s, "update", "checklist_run_item", item.id,
                        details=changes(old, {"low_supply": item.low_supply,
                                              "note": item.note}))  # fmt: skip
            return _run_item_row(item)

    @policy("rooms.write", audit=WRITE)
    def finish_run(self, run_id: int, *, expected_version: int | None = None) -> RunRow:
        """Close the run and set the room ready; refused while a required item is open."""
        with self._write() as s:
            run = self._run_for_edit(s, run_id, expected_version)
            refusal = checklist_rules.not_ready_reason(run.items)
            if refusal is not None:
                raise ValidationError(
                    refusal,
                    field="items",
                    errors={
                        str(i.id): "Required" for i in checklist_rules.open_required(run.items)
                    },
                )
            now = self.now()
            run.status, run.finished_at = "completed", now
            room = s.get(Room, run.room_id)
            room_state: str | dict[str, str] | None = room.state if room else None
            if room is not None and room.state in ("needs_turnover", "ready"):
                old = room.state
                room.state, room.state_since, room.state_note = "ready", now, ""
                room.current_visit_id = None
                room_state = {"old": old, "new": "ready"}
            self._audit(s, "complete", "checklist_run", run.id,
                        details={"room_id": run.room_id, "moment": run.moment,
                                 "minutes": round((now - run.started_at).total_seconds() / 60, 1),
                                 "not_done": sum(1 for i in run.items if i.not_done_reason),
                                 "room_state": room_state})  # fmt: skip
            return self._load_run(s, run.id)

    @policy("rooms.write", audit=WRITE)
    def abandon_run(
        self, run_id: int, reason: str, *, expected_version: int | None = None
    ) -> RunRow:
        reason = clean_text(reason, limit=MAX_NOTE, field="reason",
                            label="The reason for cancelling", required=True)  # fmt: skip
        with self._write() as s:
            run = self._run_for_edit(s, run_id, expected_version)
            run.status, run.finished_at, run.note = "abandoned", self.now(), reason
            self._audit(s, "abandon", "checklist_run", run.id,
                        details={"room_id": run.room_id, "reason": reason})  # fmt: skip
            return self._load_run(s, run.id)

    # ------------------------------------------------------------ restock
    @policy("rooms.read", audit=REFERENCE)
    def restock_list(self, day: dt.date | None = None) -> list[RestockRow]:
        day = day or self.now().date()
        start = dt.datetime.combine(day, dt.time())
        with self._read() as s:
            rows = s.execute(
                select(ChecklistRunItem, ChecklistRun, Room.name)
                .join(ChecklistRun, ChecklistRun.id == ChecklistRunItem.run_id)
                .join(Room, Room.id == ChecklistRun.room_id)
                .where(
                    ChecklistRunItem.low_supply.is_(True),
                    ChecklistRun.started_at >= start,
                    ChecklistRun.started_at < start + dt.timedelta(days=1),
                )
                .order_by(ChecklistRun.started_at, ChecklistRunItem.position)
            ).all()
            return [
                RestockRow(
                    i.id,
                    i.done_at or run.started_at,
                    room,
                    i.text,
                    i.note,
                    run.user_name,
                    i.restocked_at,
                    i.restocked_by,
                )  # fmt: skip
                for i, run, room in rows
            ]

    @policy("rooms.write", audit=WRITE)
    def mark_restocked(self, run_item_id: int, restocked: bool = True) -> RestockRow:
        with self._write() as s:
            item = s.get(ChecklistRunItem, run_item_id)
            if item is None or not item.low_supply:
                raise NotFoundError(gone_message("restock request"))
            old = item.restocked_at
            item.restocked_at = self.now() if restocked else None
            item.restocked_by = self.actor.display_name if restocked else ""
            self._audit(s, "restock", "checklist_run_item", item.id,
                        details={"restocked_at": {"old": old, "new": item.restocked_at}})  # fmt: skip
            run = item.run
            room = s.get(Room, run.room_id)
            return RestockRow(item.id, item.done_at or run.started_at, room.name if room else "",
                              item.text, item.note, run.user_name, item.restocked_at,
                              item.restocked_by)  # fmt: skip

    # ------------------------------------------------------------ compliance
    @policy("rooms.read", audit=REFERENCE)
    def compliance(
        self, date_from: dt.date, date_to: dt.date, room_id: int | None = None
    ) -> ComplianceReport:
        """Runs in the date range (newest first) and the gaps: rooms used without a turnover."""
        if date_from > date_to:
            raise ValidationError("The start date is after the end date.", field="date_from")
        if (date_to - date_from).days > MAX_RANGE_DAYS:
            raise ValidationError(
                f"Choose at most {MAX_RANGE_DAYS} days at a time.", field="date_to"
            )
        start = dt.datetime.combine(date_from, dt.time())
        end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time())
        with self._read() as s:
            rooms = {r.id: r.name for r in s.scalars(select(Room)).all()}
            run_query = (
                select(ChecklistRun, ChecklistTemplate.name)
                .join(ChecklistTemplate, ChecklistTemplate.id == ChecklistRun.template_id)
                .where(ChecklistRun.started_at >= start, ChecklistRun.started_at < end)
                .order_by(ChecklistRun.started_at.desc())
            )
            if room_id is not None:
                run_query = run_query.where(ChecklistRun.room_id == room_id)
            found = s.execute(run_query).all()
            counts, skipped = self._item_counts(s, [run.id for run, _ in found])
            runs = []
            finished: dict[tuple[int, dt.date], list[tuple[dt.datetime, str]]] = defaultdict(list)
            for run, template_name in found:
                total, done, low, not_due = counts.get(run.id, (0, 0, 0, 0))
                runs.append(
                    RunSummaryRow(
                        run.id,
                        run.room_id,
                        rooms.get(run.room_id, "?"),
                        run.moment,
                        template_name,
                        run.user_name,
                        run.started_at,
                        run.finished_at,
                        run.status,
                        total,
                        done,
                        tuple(skipped.get(run.id, ())),
                        low,
                        run.note,
                        not_due,
                    )
                )
                if run.status == "completed" and run.finished_at is not None:
                    finished[(run.room_id, run.started_at.date())].append(
                        (run.finished_at, run.moment)
                    )
            visit_query = select(Visit.room_id, Visit.roomed_at, Visit.checked_out_at).where(
                Visit.room_id.is_not(None), Visit.roomed_at >= start, Visit.roomed_at < end
            )
            if room_id is not None:
                visit_query = visit_query.where(Visit.room_id == room_id)
            uses: dict[tuple[int, dt.date], list[tuple[dt.datetime, dt.datetime | None]]] = (
                defaultdict(list)
            )
            for rid, roomed, out in s.execute(visit_query).all():
                if rid is not None and roomed is not None:  # the query asks for both
                    uses[(rid, roomed.date())].append((roomed, out))
        today = self.now().date()
        gaps = []
        for (rid, day), day_uses in uses.items():
            gaps.extend(
                find_gaps(
                    rid,
                    rooms.get(rid, "?"),
                    day,
                    day_uses,
                    finished.get((rid, day), []),
                    day_over=day < today,
                )  # fmt: skip
            )
        gaps.sort(key=lambda g: (g.day, g.room_name, g.at or dt.datetime.max), reverse=True)
        return ComplianceReport(date_from, date_to, room_id, tuple(runs), tuple(gaps))

    # ------------------------------------------------------------ internals
    def _item_counts(
        self, s: Session, run_ids: list[int]
    ) -> tuple[dict[int, tuple[int, int, int, int]], dict[int, list[str]]]:
        """Per run: (items, ticked, low supply, not due) and "item: reason" for skipped items."""
        counts: dict[int, tuple[int, int, int, int]] = {}
        skipped: dict[int, list[str]] = defaultdict(list)
        for chunk in (run_ids[i : i + 500] for i in range(0, len(run_ids), 500)):
            for run_id, total, done, low, not_due in s.execute(
                select(
                    ChecklistRunItem.run_id,
                    func.count(ChecklistRunItem.id),
                    func.sum(case((ChecklistRunItem.done.is_(True), 1), else_=0)),
                    func.sum(case((ChecklistRunItem.low_supply.is_(True), 1), else_=0)),
                    func.sum(case((ChecklistRunItem.not_due.is_(True), 1), else_=0)),
                )
                .where(ChecklistRunItem.run_id.in_(chunk))
                .group_by(ChecklistRunItem.run_id)
            ).all():
                counts[run_id] = (int(total), int(done or 0), int(low or 0), int(not_due or 0))
            for run_id, text, reason in s.execute(
                select(
                    ChecklistRunItem.run_id, ChecklistRunItem.text, ChecklistRunItem.not_done_reason
                )
                .where(ChecklistRunItem.run_id.in_(chunk), ChecklistRunItem.not_done_reason != "")
                .order_by(ChecklistRunItem.run_id, ChecklistRunItem.position)
            ).all():
                skipped[run_id].append(f"{text}: {reason}")
        return counts, skipped

    def _run_for_edit(self, s: Session, run_id: int, expected_version: int | None) -> ChecklistRun:
        """The open run, locked; closed (by someone else) or newer than the panel: refused."""
        run = existing(s, ChecklistRun, run_id, "checklist", lock=True)
        check_version(run, expected_version, what="checklist", now=self.now(),
                      current=lambda: self._load_run(s, run.id))  # fmt: skip
        if run.status != "in_progress":
            raise ConflictError("This checklist is already closed.")
        return run

    def _load_run(self, s: Session, run_id: int) -> RunRow:
        s.flush()  # a run just changed is shown with its new version
        run = existing(s, ChecklistRun, run_id, "checklist")
        room = s.get(Room, run.room_id)
        template = s.get(ChecklistTemplate, run.template_id)
        return _run_row(run, room.name if room else "?", template.name if template else "")

    def _open_item(self, s: Session, item_id: int) -> ChecklistRunItem:
        item = existing(s, ChecklistRunItem, item_id, "checklist item")
        if item.run.status != "in_progress":
            raise ConflictError("This checklist is already closed; start a new one.")
        return item

    def _recently_done(
        self, s: Session, room_id: int, item: ChecklistTemplateItem, now: dt.datetime
    ) -> bool:
        """A weekly item ticked in this room within its interval is not due again yet."""
        if item.interval_days <= 0:
            return False
        since = now - dt.timedelta(days=item.interval_days)
        return bool(
            s.scalar(
                select(func.count(ChecklistRunItem.id))
                .join(ChecklistRun, ChecklistRun.id == ChecklistRunItem.run_id)
                .where(
                    ChecklistRun.room_id == room_id,
                    ChecklistRun.status == "completed",
                    ChecklistRunItem.template_item_id == item.id,
                    ChecklistRunItem.done.is_(True),
                    ChecklistRunItem.done_at >= since,
                )
            )
        )


def find_gaps(
    room_id: int,
    room_name: str,
    day: dt.date,
    uses: Sequence[tuple[dt.datetime, dt.datetime | None]],
    runs: Sequence[tuple[dt.datetime, str]],
    *,
    day_over: bool,
) -> list[GapRow]:
    """Gaps in one room on one day.

    ``uses`` are (roomed, checked out) times; ``runs`` are (finished, moment) of
    completed checklists. Each patient needs a completed run after the previous
    patient left (or, for the first patient, any run earlier that day); a day
    that is over needs a closing run after the last patient.
    """
    finish_times = sorted(t for t, _ in runs)
    gaps: list[GapRow] = []
    outs = sorted(out for _, out in uses if out is not None)
    reported: set[dt.datetime | None] = set()
    for roomed, _out in sorted(uses):
        before = [o for o in outs if o <= roomed]
        previous_out = before[-1] if before else None
        if previous_out in reported:
            continue  # one missed checklist, reported once (further patients shared the room)
        lo = previous_out or dt.datetime.combine(day, dt.time())
        i = bisect.bisect_left(finish_times, lo)
        if i < len(finish_times) and finish_times[i] <= roomed:
            continue
        kind = "no_turnover" if previous_out else "no_opening"
        reported.add(previous_out)
        gaps.append(GapRow(room_id, room_name, day, kind, roomed, previous_out))
    if day_over and uses:
        last_out = max((o for _, o in uses if o), default=max(r for r, _ in uses))
        if not any(moment == "closing" and t >= last_out for t, moment in runs):
            gaps.append(GapRow(room_id, room_name, day, "no_closing", None, last_out))
    return gaps


def run_item_from(item: ChecklistTemplateItem, position: int, **state: Any) -> ChecklistRunItem:
    """A run's copy of a template item (its words kept as they were that day), not yet done
    unless ``state`` says otherwise."""
    values: dict[str, Any] = {"done": False, "not_due": False, "not_done_reason": "",
                              "note": "", "low_supply": False, **state}  # fmt: skip
    return ChecklistRunItem(template_item_id=item.id, position=position, text=item.text,
                            required=item.required, is_supply=item.is_supply, hint=item.hint,
                            **values)  # fmt: skip


def _replace_items(t: ChecklistTemplate, cleaned: Sequence[TemplateItemInput]) -> None:
    """The template's items become ``cleaned`` in order; items no longer listed are retired
    (kept, inactive, so past runs still name them)."""
    current_items = {i.id: i for i in t.items}
    kept: set[int] = set()
    for position, item in enumerate(cleaned):
        row = current_items.get(item.id) if item.id is not None else None
        if row is None:
            row = ChecklistTemplateItem(template_id=t.id, position=position, text="")
            t.items.append(row)
        else:
            kept.add(row.id)
        row.position, row.text, row.required = position, item.text, item.required
        row.is_supply, row.hint, row.interval_days = (
            item.is_supply,
            item.hint,
            item.interval_days,
        )
        row.active = True
    for old_id, row in current_items.items():
        if old_id not in kept:
            row.active = False
            row.position = rules.MAX_ITEMS + row.position
