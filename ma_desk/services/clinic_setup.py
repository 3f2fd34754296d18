"""Setting a new clinic up in one transaction, and changing its set-up later (administrators).

``set_up_clinic`` writes the whole plan the first-run wizard gathered (settings,
providers, rooms, visit types, the administrator) or nothing: it is refused
once a store has an account. The ``save_*`` methods are the administrator's
"Clinic settings" editor: each replaces one list, audited old -> new.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ma_desk import audit
from ma_desk import clinic_setup_rules as rules
from ma_desk.actor import Actor
from ma_desk.clinic_settings import ClinicSettings, settings_problem
from ma_desk.db.models import AppointmentType, Provider, Room, Setting, User
from ma_desk.errors import ConflictError, ValidationError
from ma_desk.services.accounts import add_first_administrator
from ma_desk.services.base import Service
from ma_desk.services.policy import REFERENCE, WRITE, policy, public
from ma_desk.services.settings import SettingsService

PROVIDER_COLOURS = ("#2e86c1", "#28a745", "#8e44ad", "#d35400", "#16a085", "#c0392b")
VISIT_TYPE_COLOURS = ("#aed6f1", "#f9e79f", "#a9dfbf", "#d7bde2", "#fad7a0", "#f5b7b1")


def _refuse(problems: dict[str, str]) -> None:
    if problems:
        first = next(iter(problems))
        raise ValidationError(problems[first], field=first, errors=problems)


def plan_settings(
    plan: rules.ClinicPlan | rules.ClinicSetup, base: ClinicSettings | None = None
) -> ClinicSettings:
    """The clinic settings a plan sets, over ``base`` (the defaults on first run)."""
    opens, closes = rules.day_span(plan.hours)
    return replace(
        base or ClinicSettings(),
        clinic_name=rules.clean_text(plan.clinic.name),
        address=rules.clean_text(plan.clinic.address),
        phone=plan.clinic.phone.strip(),
        time_zone=plan.clinic.time_zone,
        slot_minutes=plan.slot_minutes,
        opens=opens,
        closes=closes,
        weekly_hours=rules.hours_to_store(plan.hours),
    )


class ClinicSetupService(Service):
    @public(audit=WRITE)
    def set_up_clinic(self, plan: rules.ClinicPlan) -> Actor:
        """The whole plan in one transaction on a store with no account; signs the
        administrator in. A refused or failed plan leaves the store as it was."""
        _refuse(rules.plan_problems(plan))
        settings = plan_settings(plan)
        problem = settings_problem(settings)
        if problem:
            raise ValidationError(problem[1], field=problem[0])
        username = plan.admin.username.strip().casefold()
        with self.ctx.db.write() as s:
            if s.scalar(select(func.count(User.id))):
                raise ConflictError("This store already has accounts; sign in instead.")
            actor, key = add_first_administrator(
                s, self.now(), username, rules.clean_text(plan.admin.display_name),
                plan.admin.password,
            )  # fmt: skip
            s.add_all(Setting(key=k, value=v) for k, v in settings.to_store().items())
            s.add_all(self._providers(plan))
            s.add_all(self._rooms(plan.rooms))
            s.add_all(_visit_types(plan.visit_types))
            s.flush()
            audit.record(s, actor, "clinic_setup", "clinic", details=_summary(plan, settings))
        self.ctx.new_session(actor)
        self.ctx.seal_key = key
        return actor

    def _providers(self, plan: rules.ClinicPlan) -> list[Provider]:
        opens, closes = rules.day_span(plan.hours)
        return [
            Provider(
                display_name=rules.clean_text(p.name),
                credentials=rules.clean_text(p.credentials),
                color=PROVIDER_COLOURS[i % len(PROVIDER_COLOURS)],
                work_start=opens,
                work_end=closes,
                work_days=rules.open_days(plan.hours),
                active=True,
            )
            for i, p in enumerate(plan.providers)
        ]

    def _rooms(self, rooms: tuple[rules.RoomPlan, ...]) -> list[Room]:
        now = self.now()
        return [
            Room(
                name=rules.clean_text(r.name),
                room_type=rules.room_type_key(r.room_type),
                state="ready",
                state_since=now,
                sort_order=i,
                active=True,
            )  # fmt: skip
            for i, r in enumerate(rooms)
        ]

    # ------------------------------------------------------------ later changes (admin)
    @policy("settings.read", audit=REFERENCE)
    def current_setup(self) -> rules.ClinicSetup:
        """The clinic's set-up as the Clinic settings dialog edits it (active rows only)."""
        settings = self._settings()
        with self._read() as s:
            providers = s.scalars(select(Provider).where(Provider.active.is_(True))
                                  .order_by(Provider.id)).all()  # fmt: skip
            rooms = s.scalars(select(Room).where(Room.active.is_(True))
                              .order_by(Room.sort_order, Room.id)).all()  # fmt: skip
            types = s.scalars(select(AppointmentType).where(AppointmentType.active.is_(True))
                              .order_by(AppointmentType.id)).all()  # fmt: skip
            return rules.ClinicSetup(
                clinic=rules.ClinicDetails(
                    settings.clinic_name, settings.address, settings.phone, settings.time_zone
                ),  # fmt: skip
                providers=tuple(
                    rules.ProviderPlan(p.display_name, p.credentials) for p in providers
                ),  # fmt: skip
                rooms=tuple(rules.RoomPlan(r.name, r.room_type) for r in rooms),
                hours=rules.hours_from_store(
                    settings.weekly_hours, settings.opens, settings.closes
                ),  # fmt: skip
                slot_minutes=settings.slot_minutes,
                visit_types=tuple(rules.VisitTypePlan(t.name, t.default_minutes) for t in types),
            )

    @policy("settings.write", audit=WRITE)
    def update_setup(
        self, setup: rules.ClinicSetup, *, expected_versions: dict[str, int] | None = None
    ) -> None:
        """Save the Clinic settings dialog in one transaction, each part audited old -> new.

        Providers, rooms and visit types are matched by name: new ones are added, missing
        ones made inactive (past appointments and visits keep them). ``expected_versions``
        (``settings.versions()`` when the dialog opened) refuses a setting someone else
        saved meanwhile.
        """
        _refuse(rules.setup_problems(setup))
        with self._write() as s:
            before = self._settings_in(s)
            new = plan_settings(setup, base=before)
            SettingsService(self.ctx)._write_settings(s, new, expected_versions or {})
            self._apply_providers(s, setup, hours_changed=(before.weekly_hours, before.opens,
                                  before.closes) != (new.weekly_hours, new.opens, new.closes))  # fmt: skip
            self._apply_rooms(s, setup.rooms)
            self._apply_visit_types(s, setup.visit_types)

    def _settings(self) -> ClinicSettings:
        with self._read() as s:
            return self._settings_in(s)

    def _settings_in(self, s: Session) -> ClinicSettings:
        return ClinicSettings.from_store({row.key: row.value for row in s.scalars(select(Setting))})

    def _apply_providers(
        self, s: Session, setup: rules.ClinicSetup, *, hours_changed: bool
    ) -> None:
        """New clinic hours become every active provider's working hours."""
        wanted = {rules.clean_text(p.name).casefold(): p for p in setup.providers}
        rows = s.scalars(select(Provider)).all()
        before = sorted(_provider_label(r) for r in rows if r.active)
        by_name = {r.display_name.casefold(): r for r in rows}
        opens, closes = rules.day_span(setup.hours)
        for existing in rows:
            existing.active = existing.display_name.casefold() in wanted
        for key, plan in wanted.items():
            row = by_name.get(key)
            if row is None:
                row = Provider(display_name=rules.clean_text(plan.name),
                               color=PROVIDER_COLOURS[len(by_name) % len(PROVIDER_COLOURS)])  # fmt: skip
                s.add(row)
                by_name[key] = row
            if row.id is None or hours_changed:
                row.work_start, row.work_end = opens, closes
                row.work_days = rules.open_days(setup.hours)
            row.credentials, row.active = rules.clean_text(plan.credentials), True
        s.flush()
        after = sorted(_provider_label(r) for r in s.scalars(select(Provider)) if r.active)
        if before != after:
            self._audit(s, "change", "providers", details={"providers": {"old": before,
                                                                         "new": after}})  # fmt: skip

    def _apply_rooms(self, s: Session, rooms: tuple[rules.RoomPlan, ...]) -> None:
        rows = s.scalars(select(Room)).all()
        before = [_room_label(r) for r in sorted(rows, key=_room_order) if r.active]
        by_name = {r.name.casefold(): r for r in rows}
        wanted = {rules.clean_text(r.name).casefold() for r in rooms}
        for existing in rows:
            existing.active = existing.name.casefold() in wanted
        for order, plan in enumerate(rooms):
            row = by_name.get(rules.clean_text(plan.name).casefold())
            if row is None:
                row = Room(name=rules.clean_text(plan.name), state="ready",
                           state_since=self.now())  # fmt: skip
                s.add(row)
            row.room_type = rules.room_type_key(plan.room_type)
            row.sort_order, row.active = order, True
        s.flush()
        after = [_room_label(r) for r in sorted(s.scalars(select(Room)), key=_room_order)
                 if r.active]  # fmt: skip
        if before != after:
            self._audit(s, "change", "rooms", details={"rooms": {"old": before, "new": after}})

    def _apply_visit_types(self, s: Session, types: tuple[rules.VisitTypePlan, ...]) -> None:
        wanted = {rules.clean_text(t.name).casefold(): t for t in types}
        rows = s.scalars(select(AppointmentType)).all()
        before = sorted(_type_label(r) for r in rows if r.active)
        by_name = {r.name.casefold(): r for r in rows}
        for existing in rows:
            existing.active = existing.name.casefold() in wanted
        for key, plan in wanted.items():
            row = by_name.get(key)
            if row is None:
                colour = VISIT_TYPE_COLOURS[len(by_name) % len(VISIT_TYPE_COLOURS)]
                row = AppointmentType(name=rules.clean_text(plan.name), color=colour)
                s.add(row)
                by_name[key] = row
            row.default_minutes, row.active = plan.minutes, True
        s.flush()
        after = sorted(_type_label(r) for r in s.scalars(select(AppointmentType)) if r.active)
        if before != after:
            self._audit(s, "change", "visit_types",
                        details={"visit_types": {"old": before, "new": after}})  # fmt: skip


def _visit_types(types: tuple[rules.VisitTypePlan, ...]) -> list[AppointmentType]:
    return [
        AppointmentType(
            name=rules.clean_text(t.name),
            default_minutes=t.minutes,
            color=VISIT_TYPE_COLOURS[i % len(VISIT_TYPE_COLOURS)],
            active=True,
        )  # fmt: skip
        for i, t in enumerate(types)
    ]


def _provider_label(row: Provider) -> str:
    return f"{row.display_name}, {row.credentials}" if row.credentials else row.display_name


def _room_order(row: Room) -> tuple[int, int]:
    return (row.sort_order, row.id or 0)


def _room_label(row: Room) -> str:
    return f"{row.name} ({row.room_type})"


def _type_label(row: AppointmentType) -> str:
    return f"{row.name} ({row.default_minutes} min)"


def _summary(plan: rules.ClinicPlan, settings: ClinicSettings) -> dict[str, object]:
    """What the set-up wrote, for the audit entry (clinic data only, never a secret)."""
    return {
        "settings": {
            k: v
            for k, v in settings.to_store().items()
            if k
            in (
                "clinic_name",
                "address",
                "phone",
                "time_zone",
                "slot_minutes",
                "opens",
                "closes",
                "weekly_hours",
            )
        },  # fmt: skip
        "providers": [rules.clean_text(p.name) for p in plan.providers],
        "rooms": [
            f"{rules.clean_text(r.name)} ({rules.room_type_key(r.room_type)})" for r in plan.rooms
        ],  # fmt: skip
        "visit_types": [f"{rules.clean_text(t.name)} ({t.minutes} min)" for t in plan.visit_types],
        "administrator": plan.admin.username.strip().casefold(),
    }
