"""Every public service method is declared, and enforced, as every role and as nobody.

The expected permissions are written out here by hand, independently of the
declarations in ma_desk/services/, so a method added without a policy, or a
policy quietly widened, fails this file. The matrix test then calls every
public method as each role and as nobody (with placeholder arguments): the
refusal must come before the body runs, be audited, and change nothing else.
"""

from __future__ import annotations

import inspect
import re

import pytest
from sqlalchemy import func, select

import ma_desk.services as services_module
from ma_desk.actor import Actor
from ma_desk.db.models import AuditEvent, Patient, Setting, User
from ma_desk.errors import PermissionDenied
from ma_desk.permissions import ROLES, allowed
from ma_desk.security.demo_accounts import DEMO_ACCOUNTS
from ma_desk.services import Services
from ma_desk.services.base import Service
from ma_desk.services.policy import (
    AUDIT_KINDS,
    EXPORT,
    PRINT,
    READ,
    REFERENCE,
    SESSION,
    WRITE,
    policy_of,
)

pytestmark = pytest.mark.both_stores  # services run on SQLCipher and PostgreSQL

PUBLIC = "public"  # callable with nobody signed in
SIGNED_IN = ()  # any signed-in user

EXPECTED: dict[str, tuple[object, str]] = {
    "settings.clinic_name": (PUBLIC, REFERENCE),
    "settings.get": (("settings.read",), REFERENCE),
    "settings.seed": (("settings.write",), WRITE),
    "settings.update": (("settings.write",), WRITE),
    "settings.versions": (("settings.read",), REFERENCE),
    "patients.booked_today": (("patient.read",), READ),
    "patients.count": (("patient.read",), REFERENCE),
    "patients.find_duplicates": (("patient.read",), READ),
    "patients.get": (("patient.read",), READ),
    "patients.mark_verified": (("patient.write",), WRITE),
    "patients.name_alert": (("patient.read",), READ),
    "patients.name_alerts": (("patient.read",), READ),
    "patients.open_chart": (("patient.read",), READ),
    "patients.register": (("patient.write",), WRITE),
    "patients.search": (("patient.read",), READ),
    "patients.update": (("patient.write",), WRITE),
    "patients.use_existing": (("patient.write",), WRITE),
    "patients.verification": (("patient.read",), READ),
    "checkin.arrive": (("checkin.write",), WRITE),
    "checkin.expected_copay": (("insurance.read",), READ),
    "checkin.forms": (("settings.read",), REFERENCE),
    "checkin.todays_appointments": (("schedule.read",), READ),
    "checkin.walk_in": (("checkin.write",), WRITE),
    "schedule.appointment_types": (("schedule.read",), REFERENCE),
    "schedule.book": (("schedule.write",), WRITE),
    "schedule.book_follow_up": (("schedule.write",), WRITE),
    "schedule.book_series": (("schedule.write",), WRITE),
    "schedule.cancel": (("flow.write",), WRITE),
    "schedule.day": (("schedule.read",), READ),
    "schedule.export_calendar": (("schedule.read",), EXPORT),
    "schedule.flow_board": (("schedule.read",), READ),
    "schedule.get": (("schedule.read",), READ),
    "schedule.history": (("schedule.read",), READ),
    "schedule.next_open_slot": (("schedule.read",), REFERENCE),
    "schedule.providers": (("schedule.read",), REFERENCE),
    "schedule.range": (("schedule.read",), READ),
    "schedule.series": (("schedule.read",), READ),
    "schedule.transition": (("flow.write",), WRITE),
    "schedule.undo_last_transition": (("flow.write",), WRITE),
    "schedule.update": (("schedule.write",), WRITE),
    "schedule.warnings_for": (("schedule.read",), REFERENCE),
    "schedule.week": (("schedule.read",), READ),
    "rooms.board": (("rooms.read",), READ),
    "rooms.set_state": (("rooms.write",), WRITE),
    "checklists.abandon_run": (("rooms.write",), WRITE),
    "checklists.clear_not_done": (("rooms.write",), WRITE),
    "checklists.compliance": (("rooms.read",), REFERENCE),
    "checklists.ensure_default_templates": (("rooms.read",), WRITE),
    "checklists.finish_run": (("rooms.write",), WRITE),
    "checklists.mark_not_done": (("rooms.write",), WRITE),
    "checklists.mark_restocked": (("rooms.write",), WRITE),
    "checklists.open_run_for_room": (("rooms.read",), REFERENCE),
    "checklists.restock_list": (("rooms.read",), REFERENCE),
    "checklists.room_types": (("rooms.read",), REFERENCE),
    "checklists.run": (("rooms.read",), REFERENCE),
    "checklists.save_template": (("checklists.admin",), WRITE),
    "checklists.set_low_supply": (("rooms.write",), WRITE),
    "checklists.set_note": (("rooms.write",), WRITE),
    "checklists.set_template_active": (("checklists.admin",), WRITE),
    "checklists.start_run": (("rooms.write",), WRITE),
    "checklists.template": (("rooms.read",), REFERENCE),
    "checklists.templates": (("rooms.read",), REFERENCE),
    "checklists.tick": (("rooms.write",), WRITE),
    "insurance.add_coverage": (("insurance.write",), WRITE),
    "insurance.add_note": (("insurance.write",), WRITE),
    "insurance.add_prior_auth": (("insurance.write",), WRITE),
    "insurance.card_image": (("insurance.read",), READ),
    "insurance.clear_card_image": (("insurance.write",), WRITE),
    "insurance.coverage": (("insurance.read",), READ),
    "insurance.coverages": (("insurance.read",), READ),
    "insurance.edit_note": (("insurance.write",), WRITE),
    "insurance.end_coverage": (("insurance.write",), WRITE),
    "insurance.import_card_file": (("insurance.write",), WRITE),
    "insurance.move_coverage": (("insurance.write",), WRITE),
    "insurance.newest_scan": (("insurance.write",), REFERENCE),
    "insurance.note_history": (("insurance.read",), READ),
    "insurance.notes": (("insurance.read",), READ),
    "insurance.prior_auths": (("insurance.read",), READ),
    "insurance.record_card_print": (("reports.print", "insurance.read"), PRINT),
    "insurance.remove_coverage": (("insurance.write",), WRITE),
    "insurance.set_card_image": (("insurance.write",), WRITE),
    "insurance.stale_days": (("settings.read",), REFERENCE),
    "insurance.update_coverage": (("insurance.write",), WRITE),
    "insurance.update_prior_auth": (("insurance.write",), WRITE),
    "insurance.use_auth_units": (("insurance.write",), WRITE),
    "insurance.verification_flags": (("insurance.read",), READ),
    "insurance.verification_log": (("insurance.read",), READ),
    "insurance.verify": (("insurance.write",), WRITE),
    "vitals.amend": (("vitals.write",), WRITE),
    "vitals.assess": (("vitals.read",), READ),
    "vitals.context": (("vitals.read",), READ),
    "vitals.get_set": (("vitals.read",), READ),
    "vitals.history": (("vitals.read",), READ),
    "vitals.mark_entered_in_error": (("vitals.write",), WRITE),
    "vitals.open_tasks": (("vitals.read",), READ),
    "vitals.previous_values": (("vitals.read",), READ),
    "vitals.rule_settings": (("settings.read",), REFERENCE),
    "vitals.save": (("vitals.write",), WRITE),
    "vitals.visit_for": (("vitals.read",), REFERENCE),
    "accounts.authenticate": (PUBLIC, SESSION),
    "accounts.break_glass_until": (PUBLIC, REFERENCE),
    "accounts.change_own_password": (SIGNED_IN, WRITE),
    "accounts.create_first_administrator": (PUBLIC, WRITE),
    "accounts.create_user": (("users.admin",), WRITE),
    "accounts.end_break_glass": (SIGNED_IN, SESSION),
    "accounts.grant_break_glass": (SIGNED_IN, SESSION),
    "accounts.has_users": (PUBLIC, REFERENCE),
    "accounts.list_users": (("users.admin",), REFERENCE),
    "accounts.record_lock": (SIGNED_IN, SESSION),
    "accounts.require_admin": (("users.admin",), REFERENCE),
    "accounts.reset_password": (("users.admin",), WRITE),
    "accounts.sign_in": (PUBLIC, SESSION),
    "accounts.sign_out": (PUBLIC, SESSION),
    "accounts.unlock_user": (("users.admin",), WRITE),
    "accounts.update_user": (("users.admin",), WRITE),
    "audit_log.actions": (("audit.read",), REFERENCE),
    "audit_log.export_csv": (("audit.read",), EXPORT),
    "audit_log.record_verification": (("audit.read",), READ),
    "audit_log.search": (("audit.read",), READ),
    "audit_log.verify": (("audit.read",), READ),
    "waitlist.add": (("schedule.write",), WRITE),
    "waitlist.entries": (("schedule.read",), READ),
    "waitlist.matches": (("schedule.read",), READ),
    "waitlist.remove": (("schedule.write",), WRITE),
    "reports.end_of_day_csv": (("reports.end_of_day",), EXPORT),
    "reports.end_of_day_data": (("reports.end_of_day",), READ),
    "reports.end_of_day_pdf": (("reports.end_of_day",), PRINT),
    "reports.label_data": (("reports.print",), READ),
    "reports.labels": (("reports.print",), PRINT),
    "reports.visit_summary": (("reports.print",), PRINT),
    "reports.visit_summary_data": (("reports.print",), READ),
    "handouts.documents_for_visit": (("reports.print",), READ),
    "handouts.get": (("reports.print",), REFERENCE),
    "handouts.given_on_visit": (("reports.print",), READ),
    "handouts.install_shipped": (("handouts.admin",), WRITE),
    "handouts.list": (("reports.print",), REFERENCE),
    "handouts.pdf_for_visit": (("reports.print",), READ),
    "handouts.preview": (("handouts.admin",), REFERENCE),
    "handouts.record_given": (("reports.print",), PRINT),
    "handouts.save": (("handouts.admin",), WRITE),
    "clinic_setup.set_up_clinic": (PUBLIC, WRITE),
    "clinic_setup.current_setup": (("settings.read",), REFERENCE),
    "clinic_setup.update_setup": (("settings.write",), WRITE),
    "vitals.mark_provider_notified": (("vitals.write",), WRITE),
    "interchange.preview_csv": (("records.import",), REFERENCE),
    "interchange.dry_run_csv": (("records.import",), READ),
    "interchange.import_csv": (("records.import",), WRITE),
    "interchange.dry_run_fhir": (("records.import",), READ),
    "interchange.import_fhir": (("records.import",), WRITE),
    "interchange.export_patient_fhir": (("records.export_patient",), EXPORT),
    "interchange.export_clinic_fhir": (("records.export_all",), EXPORT),
    "backups.back_up_to": (("backup.run",), WRITE),
    "backups.daily_backup": (SIGNED_IN, WRITE),
}
# Infrastructure every service inherits: permission checks and the clock, no data.
BASE_METHODS = {name for name, _ in inspect.getmembers(Service, inspect.isfunction)}


def public_methods() -> dict[str, object]:
    """``"attribute.method"`` -> function, for every service object ``Services`` builds."""
    source = inspect.getsource(services_module.Services.__init__)
    found = {}
    for attribute, class_name in re.findall(r"self\.(\w+) = (\w+)\(self\.ctx\)", source):
        cls = getattr(services_module, class_name)
        for name, member in inspect.getmembers(cls):
            if name.startswith("_") or name in BASE_METHODS or isinstance(member, property):
                continue
            found[f"{attribute}.{name}"] = member
    return found


def test_every_public_service_method_has_a_declared_policy():
    methods = public_methods()
    undeclared = sorted(name for name, fn in methods.items() if policy_of(fn) is None)
    assert undeclared == [], "add @policy(...) and an entry in EXPECTED"
    assert sorted(methods) == sorted(EXPECTED), "EXPECTED must list every public method"
    for name, fn in methods.items():
        declared = policy_of(fn)
        assert declared.audit in AUDIT_KINDS
        permissions, audit_kind = EXPECTED[name]
        assert declared.audit == audit_kind, name
        if permissions == PUBLIC:
            assert declared.public, name
        else:
            assert not declared.public and declared.permissions == permissions, name


def test_the_method_list_finds_every_service():
    areas = {name.split(".")[0] for name in public_methods()}
    assert areas == {name.split(".")[0] for name in EXPECTED}
    assert len(areas) == 16


def placeholder_arguments(fn) -> tuple[list, dict]:
    """None for every argument without a default: a refusal must not look at them."""
    args, kwargs = [], {}
    for parameter in list(inspect.signature(fn).parameters.values())[1:]:
        if parameter.default is not inspect.Parameter.empty:
            continue
        if parameter.kind is parameter.KEYWORD_ONLY:
            kwargs[parameter.name] = None
        elif parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            args.append(None)
    return args, kwargs


def actor_for(services: Services, role: str | None) -> Actor:
    if role is None:
        return Actor.nobody()
    username = next(u for u, _name, r in DEMO_ACCOUNTS if r == role)
    with services.ctx.db.read() as s:
        user = s.scalars(select(User).where(User.username == username)).one()
    return Actor(user.id, user.username, user.display_name, role, "test-workstation")


def should_refuse(name: str, role: str | None) -> bool:
    permissions, _kind = EXPECTED[name]
    if permissions == PUBLIC:
        return False
    if role is None:
        return True
    return not all(allowed(role, p) for p in permissions)


def store_fingerprint(services: Services) -> tuple[int, int, int]:
    with services.ctx.db.read() as s:
        return (
            s.scalar(select(func.count(AuditEvent.id))),
            s.scalar(select(func.count(Patient.id))),
            s.scalar(select(func.count()).select_from(Setting)),
        )


@pytest.mark.parametrize("role", [*ROLES, None], ids=[*ROLES, "nobody"])
def test_every_method_as_every_role_matches_the_permission_table(demo_services, role):
    unexpected_allows, unexpected_refusals = [], []
    actor = actor_for(demo_services, role)
    for name, fn in sorted(public_methods().items()):
        area, method = name.split(".")
        demo_services.ctx.new_session(actor)
        bound = getattr(getattr(demo_services, area), method)
        args, kwargs = placeholder_arguments(fn)
        before = store_fingerprint(demo_services)
        try:
            bound(*args, **kwargs)
            refused = False
        except PermissionDenied:
            refused = True
        except Exception:  # noqa: BLE001 - placeholders make an allowed body fail: not refused
            refused = False
        expected = should_refuse(name, role)
        if refused and not expected:
            unexpected_refusals.append(name)
        elif expected and not refused:
            unexpected_allows.append(name)
        elif refused:
            audits, patients, settings = store_fingerprint(demo_services)
            assert (audits, patients, settings) == (before[0] + 1, before[1], before[2]), name
            with demo_services.ctx.db.read() as s:
                last = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
            assert (last.action, last.outcome) == ("permission_refused", "refused"), name
            assert last.username == actor.username, name
    assert unexpected_allows == []
    assert unexpected_refusals == []


def test_nobody_signed_in_is_refused_everything_but_sign_in_and_first_run(demo_services):
    demo_services.ctx.new_session(Actor.nobody())
    open_to_nobody = sorted(n for n, (p, _k) in EXPECTED.items() if p == PUBLIC)
    assert open_to_nobody == [
        "accounts.authenticate",
        "accounts.break_glass_until",
        "accounts.create_first_administrator",
        "accounts.has_users",
        "accounts.sign_in",
        "accounts.sign_out",
        "clinic_setup.set_up_clinic",
        "settings.clinic_name",
    ]
    with pytest.raises(PermissionDenied, match="Sign in first"):
        demo_services.patients.get(1)
    with pytest.raises(PermissionDenied, match="Sign in first"):
        demo_services.settings.get()


def test_a_new_services_object_acts_for_nobody(demo_store, clock):
    services = Services(demo_store.db, clock)
    assert services.actor.role not in ROLES
    with pytest.raises(PermissionDenied):
        services.schedule.day(clock.now().date())
    with pytest.raises(PermissionDenied):
        services.settings.seed(services.settings.get())


def test_break_glass_opens_patient_care_but_never_administration(demo_services, sign_in_as):
    from ma_desk.security.demo_accounts import DEMO_PASSWORD

    sign_in_as("frontdesk")
    demo_services.accounts.grant_break_glass("admin", DEMO_PASSWORD, 30, "Code blue, room 2")
    assert demo_services.vitals.history(1) is not None  # vitals.read: everyone anyway
    for administrative in (
        lambda: demo_services.settings.update(idle_lock_minutes=60),
        lambda: demo_services.accounts.list_users(),
        lambda: demo_services.audit_log.actions(),
        lambda: demo_services.handouts.install_shipped(),
        lambda: demo_services.checklists.set_template_active(1, False),
    ):
        with pytest.raises(PermissionDenied):
            administrative()
    assert demo_services.settings.get().idle_lock_minutes != 60


def test_front_desk_cannot_switch_off_critical_alerts(demo_services, sign_in_as):
    sign_in_as("frontdesk")
    before = demo_services.settings.get()
    with pytest.raises(PermissionDenied):
        demo_services.settings.seed(before.__class__(vitals_thresholds={"systolic_critical": 999}))
    with pytest.raises(PermissionDenied):
        demo_services.settings.update(vitals_thresholds={"systolic_critical": 999})
    assert demo_services.settings.get() == before
