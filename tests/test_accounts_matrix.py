"""Role x permission matrix, enforced in the service layer (not by hiding widgets).

The expected policy is written out here independently of ma_desk/permissions.py,
so a careless widening of the table fails this test.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ma_desk.db.models import AuditEvent
from ma_desk.errors import PermissionDenied
from ma_desk.permissions import PERMISSIONS, ROLES
from ma_desk.security.demo_accounts import DEMO_ACCOUNTS

pytestmark = pytest.mark.both_stores  # services run on SQLCipher and PostgreSQL

A, MA, FD, PR = "administrator", "medical_assistant", "front_desk", "provider"
EVERYONE = {A, MA, FD, PR}
EXPECTED: dict[str, set[str]] = {
    "patient.read": EVERYONE,
    "patient.write": {A, MA, FD},
    "schedule.read": EVERYONE,
    "schedule.write": {A, MA, FD},
    "flow.write": EVERYONE,
    "checkin.write": {A, MA, FD},
    "vitals.read": EVERYONE,
    "vitals.write": {A, MA},
    "vitals.acknowledge": {A, MA, PR},
    "rooms.read": EVERYONE,
    "rooms.write": {A, MA},
    "checklists.admin": {A},
    "insurance.read": EVERYONE,
    "insurance.write": {A, MA, FD},
    "reports.print": EVERYONE,
    "reports.end_of_day": {A, MA, FD},
    "handouts.admin": {A},
    "settings.read": EVERYONE,
    "settings.write": {A},
    "users.admin": {A},
    "audit.read": {A},
    "backup.run": {A, MA, FD},
    "backup.restore": {A},
    "records.import": {A},
    "records.export_all": {A},
    "records.export_patient": {A, MA, FD},
}
USER_OF_ROLE = {role: username for username, _name, role in DEMO_ACCOUNTS}


def test_every_permission_in_the_table_has_an_expectation():
    assert set(PERMISSIONS) <= set(EXPECTED), set(PERMISSIONS) - set(EXPECTED)


def test_full_role_by_permission_matrix_has_no_unexpected_allow(demo_services, sign_in_as):
    unexpected_allows, unexpected_refusals = [], []
    for role in ROLES:
        sign_in_as(USER_OF_ROLE[role])
        for permission in sorted(EXPECTED):
            try:
                demo_services.patients.check(permission)
                allowed = True
            except PermissionDenied:
                allowed = False
            if allowed and role not in EXPECTED[permission]:
                unexpected_allows.append((role, permission))
            if not allowed and role in EXPECTED[permission]:
                unexpected_refusals.append((role, permission))
    assert unexpected_allows == []
    assert unexpected_refusals == []


def test_unknown_permission_and_signed_out_are_refused(demo_services, sign_in_as):
    sign_in_as("admin")
    with pytest.raises(PermissionDenied):
        demo_services.patients.check("no.such.permission")
    demo_services.accounts.sign_out()
    for permission in EXPECTED:
        with pytest.raises(PermissionDenied):
            demo_services.patients.check(permission)


def _refusals(services, since: int) -> list[tuple[str, str, str]]:
    with services.ctx.db.read() as s:
        rows = s.execute(
            select(AuditEvent.username, AuditEvent.entity_id, AuditEvent.outcome)
            .where(AuditEvent.id > since, AuditEvent.action == "permission_refused")
            .order_by(AuditEvent.id)
        ).all()
    return [tuple(r) for r in rows]


def _last(services) -> int:
    with services.ctx.db.read() as s:
        return s.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))


def test_front_desk_calling_the_vitals_service_is_refused_and_audited(demo_services, sign_in_as):
    sign_in_as("frontdesk")
    before = _last(demo_services)
    with pytest.raises(PermissionDenied, match="front desk"):
        demo_services.vitals.check("vitals.write", patient_id=5)
    assert _refusals(demo_services, before) == [("frontdesk", "vitals.write", "refused")]
    with demo_services.ctx.db.read() as s:
        entry = s.scalars(select(AuditEvent).where(AuditEvent.id > before)).one()
    assert entry.patient_id == 5 and entry.workstation


def test_real_service_writes_are_refused_for_the_wrong_roles(demo_services, sign_in_as, clock):
    record = demo_services.patients.get(1)
    sign_in_as("provider")
    before = _last(demo_services)
    with pytest.raises(PermissionDenied):
        demo_services.patients.update(1, phone="(555) 010-0199")
    with pytest.raises(PermissionDenied):
        demo_services.settings.update(clinic_name="Hijacked")
    with pytest.raises(PermissionDenied):
        demo_services.audit_log.verify()
    assert [r[1] for r in _refusals(demo_services, before)] == [
        "patient.write",
        "settings.write",
        "audit.read",
    ]
    assert demo_services.patients.get(1) == record
    assert demo_services.settings.get().clinic_name != "Hijacked"
