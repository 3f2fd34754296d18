"""Demo room-prep history: shipped checklists plus a week of runs that match the demo visits.

Called from ``ma_desk.demo.build_demo`` after the visits exist. It writes an
opening run per room per day, a turnover after each patient leaves, a closing
run on past days, a few low-supply reports today and, on purpose, a few
missed checklists so the compliance view has gaps to show. All synthetic.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from sqlalchemy import select

from ma_desk import audit
from ma_desk.db.models import (
    ChecklistRun,
    ChecklistTemplate,
    ChecklistTemplateItem,
    Room,
    User,
    Visit,
)
from ma_desk.services import Services
from ma_desk.services.checklists import run_item_from

DEMO_STAFF = ["Jordan Alvarez (demo MA)", "Kim Chen (demo MA)", "Tess Osei (demo MA)"]
# Overflow rooms this seeder adds so the board shows every state at mid-morning.
EXTRA_ROOMS = [("Exam 6", "exam"), ("Exam 7", "exam"), ("Exam 8", "exam")]
LOW_SUPPLY_NOTES = {
    "glove": "Gloves size M — last box",
    "gown": "Gowns — 3 left",
    "specula": "Ear specula — half a bag left",
    "sanitiser": "Sanitiser refill needed",
    "probe": "Probe covers — one box left",
    "suture": "4-0 nylon suture — 2 left",
    "sterile": "Sterile packs — 2 left",
    "lidocaine": "Lidocaine 1% — 1 vial left",
}


def low_supply_note(item_text: str) -> str:
    lowered = item_text.lower()
    return next((v for k, v in LOW_SUPPLY_NOTES.items() if k in lowered), "Below par level")


NOT_DONE_REASONS = [
    "Wipes out — used spray disinfectant instead",
    "Cautery unit at repair shop",
    "Light bulb out, reported to office manager",
]


def seed_demo_roomprep(services: Services, rng: random.Random) -> None:
    """Install the shipped checklists and a plausible history of runs (one transaction)."""
    services.checklists.ensure_default_templates()
    now = services.ctx.clock.now()
    today = now.date()
    with services.ctx.db.write() as s:
        staff: list[tuple[int | None, str]] = [
            (u.id, u.display_name)
            for u in s.scalars(
                select(User).where(User.role == "medical_assistant", User.active.is_(True))
            ).all()
        ] or [(None, name) for name in DEMO_STAFF]
        rooms = list(
            s.scalars(select(Room).where(Room.active.is_(True)).order_by(Room.sort_order)).all()
        )
        taken = {r.name for r in rooms}
        extra = [
            Room(
                name=name, room_type=kind, state="ready", state_since=now, sort_order=len(rooms) + n
            )
            for n, (name, kind) in enumerate(EXTRA_ROOMS)
            if name not in taken
        ]
        s.add_all(extra)
        s.flush()
        rooms += extra
        templates: dict[tuple[str, str], tuple[int, list[ChecklistTemplateItem]]] = {}
        for t in s.scalars(select(ChecklistTemplate).where(ChecklistTemplate.active.is_(True))):
            templates[(t.room_type, t.moment)] = (t.id, [i for i in t.items if i.active])
        uses: dict[tuple[int, dt.date], list[tuple[dt.datetime, dt.datetime | None]]] = defaultdict(
            list
        )
        for room_id, roomed, out in s.execute(
            select(Visit.room_id, Visit.roomed_at, Visit.checked_out_at).where(
                Visit.room_id.is_not(None), Visit.roomed_at.is_not(None), Visit.roomed_at <= now
            )
        ).all():
            if room_id is not None and roomed is not None:  # the query asks for both
                uses[(room_id, roomed.date())].append((roomed, out))
        if not rooms or not uses:
            return
        days = sorted({day for _, day in uses})
        # Deliberate misses: a skipped opening and two skipped turnovers on past days.
        past_keys = sorted(key for key, v in uses.items() if key[1] < today and len(v) > 1)
        if past_keys:
            skip_opening = rng.choice(past_keys)
            skip_turnover = set(rng.sample(past_keys, min(2, len(past_keys))))
        else:
            skip_opening, skip_turnover = (0, today), set()
        weekly_done: dict[tuple[int, int], dt.datetime] = {}
        runs: list[ChecklistRun] = []

        def add_run(room: Room, moment: str, finished: dt.datetime, minutes: float,
                    *, in_progress: bool = False, low_supply: int = 0) -> None:  # fmt: skip
            template = templates.get((room.room_type, moment))
            if template is None:
                return
            user_id, user_name = rng.choice(staff)
            finished = finished.replace(microsecond=0)
            started = finished - dt.timedelta(seconds=int(minutes * 60))
            run = ChecklistRun(
                room_id=room.id, template_id=template[0], moment=moment, user_id=user_id,
                user_name=user_name, started_at=started,
                finished_at=None if in_progress else finished,
                status="in_progress" if in_progress else "completed", note="",
            )  # fmt: skip
            items = template[1]
            supply_positions = [n for n, i in enumerate(items) if i.is_supply]
            low = set(rng.sample(supply_positions, min(low_supply, len(supply_positions))))
            for n, item in enumerate(items):
                tick_at = started + dt.timedelta(
                    seconds=int(minutes * 60 * (n + 1) / (len(items) + 1))
                )
                done, not_due, reason = True, False, ""
                if item.interval_days:
                    last = weekly_done.get((room.id, item.id))
                    if last and (started - last).days < item.interval_days:
                        done, not_due = False, True
                    else:
                        weekly_done[(room.id, item.id)] = tick_at
                elif not item.required and rng.random() < 0.04:
                    done, reason = False, rng.choice(NOT_DONE_REASONS)
                if in_progress and n >= len(items) // 2:
                    done, not_due = False, False
                run.items.append(
                    run_item_from(
                        item,
                        n,
                        done=done,
                        not_due=not_due,
                        not_done_reason=reason,
                        done_at=tick_at if done else None,
                        low_supply=n in low,
                        note=low_supply_note(item.text) if n in low else "",
                    )  # fmt: skip
                )
            runs.append(run)

        turnover_left: list[tuple[Room, dt.datetime]] = []
        for day in days:
            for room in rooms:
                day_uses = sorted(uses.get((room.id, day), []), key=_by_roomed_then_out)
                if (room.id, day) != skip_opening:
                    opening = dt.datetime.combine(day, dt.time(7, 40)) + dt.timedelta(
                        minutes=rng.randint(0, 15)
                    )
                    add_run(room, "opening", opening, rng.uniform(4, 9))
                if not day_uses:
                    continue
                outs = sorted(o for _, o in day_uses if o is not None and o <= now)
                covered: set[dt.datetime] = set()
                skipped_one = False
                for roomed, _ in day_uses:
                    before = [o for o in outs if o <= roomed]
                    if not before or before[-1] in covered:
                        continue
                    previous_out = before[-1]
                    covered.add(previous_out)
                    if (room.id, day) in skip_turnover and not skipped_one:
                        skipped_one = True
                        continue
                    window = (roomed - previous_out).total_seconds() / 60
                    finished = roomed - dt.timedelta(minutes=min(window / 3, rng.uniform(0.5, 3)))
                    add_run(room, "between", finished, min(max(window - 0.5, 1), rng.uniform(3, 7)))
                last_out = max(outs, default=None)
                last_roomed = day_uses[-1][0]
                if day < today and last_out:
                    closing = max(last_out + dt.timedelta(minutes=10),
                                  dt.datetime.combine(day, dt.time(17, 20)))  # fmt: skip
                    closing += dt.timedelta(minutes=rng.randint(0, 20))
                    add_run(room, "closing", closing, rng.uniform(6, 12))
                elif day == today and last_out and last_out > last_roomed and room.state == "ready":
                    turnover_left.append((room, last_out))
        # Today: most rooms freed since the last turnover get one; one is mid-turnover and
        # one still waits, so the board shows every state.
        for n, (room, last_out) in enumerate(sorted(turnover_left, key=lambda x: x[1])):
            if n == 0:
                room.state, room.state_since, room.current_visit_id = (
                    "needs_turnover",
                    last_out,
                    None,
                )
                continue
            if n == 1:
                room.state, room.state_since, room.current_visit_id = (
                    "needs_turnover",
                    last_out,
                    None,
                )
                add_run(room, "between", now, rng.uniform(2, 4), in_progress=True)
                continue
            finished = min(now, last_out + dt.timedelta(minutes=rng.uniform(4, 9)))
            add_run(room, "between", finished, min(4.0, (finished - last_out).seconds / 60))
            room.state_since = finished
        for room in rooms:
            if room.state == "ready" and room.state_since and room.state_since > now:
                room.state_since = now
        today_runs = [r for r in runs if r.started_at.date() == today and r.status == "completed"]
        for run in rng.sample(today_runs, min(3, len(today_runs))):
            supply = [i for i in run.items if i.is_supply and not i.low_supply]
            if supply:
                item = rng.choice(supply)
                item.low_supply, item.note = True, low_supply_note(item.text)
        if len(extra) == len(EXTRA_ROOMS):
            busy, spare, broken = extra
            busy.state, busy.state_since = "needs_turnover", now - dt.timedelta(minutes=14)
            add_run(busy, "between", now, 5.0, in_progress=True)
            opened = dt.datetime.combine(today, dt.time(7, 52))
            spare.state_since = min(now, opened)
            broken.state, broken.state_since = "out_of_service", now - dt.timedelta(minutes=95)
            broken.state_note = "Exam table hydraulics failing — service call placed"
        s.add_all(runs)
        s.flush()
        audit.record(s, services.actor, "demo_created", "checklist_run",
                     details={"runs": len(runs)})  # fmt: skip


def _by_roomed_then_out(
    use: tuple[dt.datetime, dt.datetime | None],
) -> tuple[dt.datetime, dt.datetime]:
    """Two visits roomed in the same minute sort by checkout, one still in the room last."""
    roomed, out = use
    return roomed, out or dt.datetime.max
