"""The pure "may this role do X, and if not why" helper agrees with the table the services
enforce, and every refusal is a sentence staff can act on."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ma_desk import permission_reasons as reasons
from ma_desk.permissions import (
    EMERGENCY_PERMISSIONS,
    PERMISSIONS,
    ROLE_LABELS,
    ROLES,
    allowed,
    allowed_in_emergency,
)
from ma_desk.services.base import Service

PAIRS = list(itertools.product(ROLES, PERMISSIONS))


def test_every_permission_has_words() -> None:
    assert set(reasons.ACTIONS) == set(PERMISSIONS)
    for write, (read, _words) in reasons.VIEW_ONLY.items():
        assert write in PERMISSIONS and read in PERMISSIONS


@pytest.mark.parametrize(("role", "permission"), PAIRS)
def test_may_is_the_table_and_the_emergency_rule(role: str, permission: str) -> None:
    assert reasons.may(role, permission) is allowed(role, permission)
    assert reasons.may(role, permission, elevated=True) is allowed_in_emergency(role, permission)
    for elevated in (False, True):
        refused = reasons.refusal_reason(role, permission, elevated=elevated)
        assert (refused is None) is reasons.may(role, permission, elevated=elevated)


@pytest.mark.parametrize(("role", "permission"), PAIRS)
def test_a_refusal_names_the_role_whom_to_ask_and_no_jargon(role: str, permission: str) -> None:
    refused = reasons.refusal_reason(role, permission)
    if refused is None:
        return
    assert refused.startswith(f"{ROLE_LABELS[role]} accounts ")
    holders = [ROLE_LABELS[r].lower() for r in PERMISSIONS[permission]]
    assert "Ask " in refused and any(h in refused for h in holders)
    assert ROLE_LABELS[role].lower() not in refused.split("Ask ", 1)[1].split(".")[0]
    assert "_" not in refused and permission not in refused  # never "vitals.write"
    assert refused.rstrip().endswith(".")
    assert (reasons.EMERGENCY_HINT in refused) is (permission in EMERGENCY_PERMISSIONS)


def test_front_desk_vitals_reason_says_view_but_not_record() -> None:
    assert reasons.refusal_reason("front_desk", "vitals.write") == (
        "Front desk accounts can view vitals but not record or correct them. "
        "Ask a medical assistant or an administrator. " + reasons.EMERGENCY_HINT
    )
    assert reasons.refusal_reason("medical_assistant", "users.admin") == (
        "Medical assistant accounts cannot manage user accounts. Ask an administrator."
    )


def test_an_elevation_drops_the_emergency_hint_for_what_it_does_not_open() -> None:
    refused = reasons.refusal_reason("provider", "users.admin", elevated=True)
    assert refused is not None and reasons.EMERGENCY_HINT not in refused


@given(st.text(max_size=30))
def test_anyone_not_signed_in_is_told_to_sign_in(role: str) -> None:
    for permission in PERMISSIONS:
        refused = reasons.refusal_reason(role, permission)
        if role in ROLES:
            assert (refused is None) is allowed(role, permission)
        else:
            assert refused == "Sign in first."


def test_first_refusal_takes_the_first_permission_missing() -> None:
    assert reasons.first_refusal("provider", ("reports.print", "insurance.write")) == (
        reasons.refusal_reason("provider", "insurance.write")
    )
    assert reasons.first_refusal("administrator", tuple(PERMISSIONS)) is None


@pytest.mark.parametrize("role", ROLES)
def test_the_services_refuse_exactly_what_the_helper_refuses(demo_services, role: str) -> None:
    """The service check and the UI helper are one rule (also under break-glass)."""
    from ma_desk.actor import Actor
    from ma_desk.errors import PermissionDenied

    demo_services.set_actor(Actor(None, "someone", "Someone", role, "ws1"))
    service = Service(demo_services.ctx)
    for elevated in (False, True):
        now = demo_services.ctx.clock.now()
        demo_services.ctx.elevated_until = now.replace(year=now.year + 1) if elevated else None
        for permission in PERMISSIONS:
            try:
                service.check(permission)
                refused = False
            except PermissionDenied:
                refused = True
            assert refused is (not reasons.may(role, permission, elevated=elevated))
