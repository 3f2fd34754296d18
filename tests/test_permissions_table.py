"""Who may do what, stated as a table the code is checked against (not derived from it).

tests/test_service_policies.py checks that each service method asks for the right
permission; this module fixes what each permission means per role, and what break-glass
opens, so widening a role (a front desk that may restore backups) fails a test.
"""

from __future__ import annotations

import itertools

import pytest

from ma_desk import permissions as p

ADMIN, MA, DESK, PROVIDER = "administrator", "medical_assistant", "front_desk", "provider"
EVERYONE = {ADMIN, MA, DESK, PROVIDER}
STAFF = {ADMIN, MA, DESK}

EXPECTED = {
    "patient.read": EVERYONE,
    "patient.write": STAFF,
    "schedule.read": EVERYONE,
    "schedule.write": STAFF,
    "flow.write": EVERYONE,
    "checkin.write": STAFF,
    "vitals.read": EVERYONE,
    "vitals.write": {ADMIN, MA},
    "vitals.acknowledge": {ADMIN, MA, PROVIDER},
    "rooms.read": EVERYONE,
    "rooms.write": {ADMIN, MA},
    "checklists.admin": {ADMIN},
    "insurance.read": EVERYONE,
    "insurance.write": STAFF,
    "reports.print": EVERYONE,
    "reports.end_of_day": STAFF,
    "handouts.admin": {ADMIN},
    "settings.read": EVERYONE,
    "settings.write": {ADMIN},
    "users.admin": {ADMIN},
    "audit.read": {ADMIN},
    "backup.run": STAFF,
    "backup.restore": {ADMIN},
    "records.import": {ADMIN},
    "records.export_all": {ADMIN},
    "records.export_patient": STAFF,
}
NEVER_IN_EMERGENCY = {
    "checklists.admin", "handouts.admin", "settings.write", "users.admin", "audit.read",
    "backup.run", "backup.restore", "settings.read", "records.import", "records.export_all",
    "records.export_patient",
}  # fmt: skip
UNKNOWN_ROLES = ["", "root", "Administrator", "administrator ", "nurse"]


def test_roles_are_the_four_the_clinic_knows() -> None:
    assert set(p.ROLES) == EVERYONE and len(p.ROLES) == 4
    assert p.ROLE_LABELS == {
        ADMIN: "Administrator", MA: "Medical assistant", DESK: "Front desk", PROVIDER: "Provider",
    }  # fmt: skip


def test_the_permission_table_is_exactly_this() -> None:
    assert {name: set(roles) for name, roles in p.PERMISSIONS.items()} == EXPECTED


@pytest.mark.parametrize(("role", "permission"), list(itertools.product(p.ROLES, EXPECTED)))
def test_allowed_follows_the_table(role: str, permission: str) -> None:
    assert p.allowed(role, permission) is (role in EXPECTED[permission])


@pytest.mark.parametrize("role", UNKNOWN_ROLES)
def test_unknown_roles_may_do_nothing_even_in_an_emergency(role: str) -> None:
    for permission in EXPECTED:
        assert not p.allowed(role, permission)
        assert not p.allowed_in_emergency(role, permission)


@pytest.mark.parametrize("permission", ["", "patient", "patient.delete", "PATIENT.READ", "*"])
def test_unknown_permissions_are_refused(permission: str) -> None:
    for role in p.ROLES:
        assert not p.allowed(role, permission)
        assert not p.allowed_in_emergency(role, permission)


def test_break_glass_opens_patient_care_and_never_administration() -> None:
    assert set(p.EMERGENCY_PERMISSIONS) == set(EXPECTED) - NEVER_IN_EMERGENCY


@pytest.mark.parametrize(("role", "permission"), list(itertools.product(p.ROLES, EXPECTED)))
def test_emergency_adds_care_permissions_only(role: str, permission: str) -> None:
    expected = role in EXPECTED[permission] or permission not in NEVER_IN_EMERGENCY
    assert p.allowed_in_emergency(role, permission) is expected
