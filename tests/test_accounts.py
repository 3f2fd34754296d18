"""Accounts: password rules and hashing, first administrator, sign-in, lock-out, admin, break-glass."""

from __future__ import annotations

import json

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ma_desk.db.models import AuditEvent, User
from ma_desk.errors import (
    AuthenticationError,
    ConflictError,
    PermissionDenied,
    ValidationError,
)
from ma_desk.security import passwords
from ma_desk.security.demo_accounts import DEMO_PASSWORD
from ma_desk.services.accounts import (
    MAX_DELAY_SECONDS,
    clean_username,
    lockout_delay,
    signed_out_actor,
)

pytestmark = pytest.mark.both_stores  # services run on SQLCipher and PostgreSQL

GOOD = "a quiet clinic morning"


def entries(services, since: int = 0) -> list[AuditEvent]:
    with services.ctx.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.id > since)
                              .order_by(AuditEvent.id)))  # fmt: skip


def last_id(services) -> int:
    with services.ctx.db.read() as s:
        return s.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0


# ------------------------------------------------------------------ password rules
def test_common_passwords_are_refused_by_the_estimator():
    # All long enough: the refusal must come from the guess estimate, not from the length.
    for word in ("password", "123456789", "qwerty123", "iloveyou", "summer2024", "letmein1"):
        problem = passwords.password_problem(word)
        assert problem is not None and "common password" in problem
        assert "guesses an attacker tries" in problem


@pytest.mark.parametrize(
    "password, ok",
    [
        ("short", False),
        ("1234567", False),
        ("Password1", False),  # on the list, whatever its capitals
        ("qwertyuiop", False),
        ("aaaaaaaaaaaa", False),
        ("correct horse battery", True),
        ("x" * 7 + "y", False),  # one or two characters repeated
        ("tulip-42", False),  # a word and two digits: guessed early
        ("Ünïcødé wörds ok", True),
        ("the blue heron waits by the river at dawn " * 2, True),  # 84: long is fine
        ("Exam room seven, left door!", True),
    ],
)
def test_password_rules_are_length_and_guessability_only(password, ok):
    assert (passwords.password_problem(password) is None) is ok


def test_no_composition_rules_all_lowercase_and_spaces_accepted():
    assert passwords.password_problem("blue kettle on the stove") is None


def test_password_equal_to_username_is_refused():
    assert passwords.password_problem("wrenfeldthorpe") is None  # fine for anyone else
    problem = passwords.password_problem("wrenfeldthorpe", username="wrenfeldthorpe")
    assert problem is not None and "among the first about 10^0 guesses" in problem


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_typed_password_gets_an_answer_not_a_crash(text):
    problem = passwords.password_problem(text)
    assert problem is None or isinstance(problem, str)


def test_hash_is_argon2id_at_or_above_owasp_minimum():
    hashed = passwords.hash_password(GOOD)
    assert hashed.startswith("$argon2id$")
    params = dict(p.split("=") for p in hashed.split("$")[3].split(","))
    assert int(params["m"]) >= 19456 and int(params["t"]) >= 2 and int(params["p"]) >= 1
    assert passwords.verify_password(hashed, GOOD)
    assert not passwords.verify_password(hashed, GOOD + "x")
    assert not passwords.verify_password(None, GOOD)
    assert not passwords.verify_password("not a hash", GOOD)


def test_weaker_hash_is_rehashed_at_next_sign_in(demo_services):
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(DEMO_PASSWORD)
    with demo_services.ctx.db.write() as s:
        s.scalar(select(User).where(User.username == "ma")).password_hash = weak
    assert passwords.needs_rehash(weak)
    demo_services.accounts.sign_in("ma", DEMO_PASSWORD)
    with demo_services.ctx.db.read() as s:
        stored = s.scalar(select(User.password_hash).where(User.username == "ma"))
    assert stored != weak and not passwords.needs_rehash(stored)


# ------------------------------------------------------------------ first run
def test_first_administrator_only_on_an_empty_store(services):
    assert not services.accounts.has_users()
    with pytest.raises(ValidationError) as bad:
        services.accounts.create_first_administrator("admin", "Alex", "password1")
    assert bad.value.field == "password"
    actor = services.accounts.create_first_administrator("Admin", "Alex Admin", GOOD)
    assert actor.username == "admin" and actor.role == "administrator"
    assert services.actor == actor
    actions = [e.action for e in entries(services)]
    assert actions == ["create", "sign_in", "seal"]  # the first administrator seals at once
    with pytest.raises(ConflictError):
        services.accounts.create_first_administrator("other", "Other", GOOD)


# ------------------------------------------------------------------ sign-in
def test_sign_in_success_is_audited_once(demo_services):
    before = last_id(demo_services)
    actor = demo_services.accounts.sign_in("  FrontDesk ", DEMO_PASSWORD)
    assert actor.role == "front_desk" and demo_services.actor == actor
    new = entries(demo_services, before)
    assert [(e.action, e.username, e.outcome) for e in new] == [("sign_in", "frontdesk", "success")]


def test_wrong_password_and_unknown_user_are_audited_failures(demo_services):
    before = last_id(demo_services)
    with pytest.raises(AuthenticationError) as wrong:
        demo_services.accounts.sign_in("ma", "not the password")
    with pytest.raises(AuthenticationError) as unknown:
        demo_services.accounts.sign_in("nobody", "whatever it is")
    assert str(wrong.value) == str(unknown.value)  # does not tell which one was wrong
    new = entries(demo_services, before)
    assert [(e.action, e.username, e.outcome) for e in new] == [
        ("sign_in_failed", "ma", "failure"),
        ("sign_in_failed", "nobody", "failure"),
    ]
    assert "not the password" not in "".join(e.details for e in new)


def test_inactive_account_cannot_sign_in(demo_services, sign_in_as):
    sign_in_as("admin")
    user = next(u for u in demo_services.accounts.list_users() if u.username == "provider")
    demo_services.accounts.update_user(user.id, active=False)
    with pytest.raises(AuthenticationError):
        demo_services.accounts.sign_in("provider", DEMO_PASSWORD)
    assert demo_services.actor.username != "provider"  # not signed in as the inactive account


def test_lockout_delay_grows_and_starts_well_before_100_failures():
    delays = [lockout_delay(n) for n in range(1, 101)]
    assert delays[:4] == [0, 0, 0, 0]
    assert delays[4] > 0
    assert all(b >= a for a, b in zip(delays, delays[1:], strict=False))
    assert delays[5] > delays[4]
    assert max(delays) == MAX_DELAY_SECONDS
    # at most a handful of tries per hour once locked out
    assert sum(3600 // d for d in delays[10:] if d) < 100 * 4


def test_lockout_refuses_even_the_right_password_until_the_delay_passes(demo_services, clock):
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            demo_services.accounts.sign_in("ma", "wrong password")
    with pytest.raises(AuthenticationError, match="Try again in"):
        demo_services.accounts.sign_in("ma", DEMO_PASSWORD)
    clock.advance(seconds=lockout_delay(5) + 1)
    assert demo_services.accounts.sign_in("ma", DEMO_PASSWORD).username == "ma"
    with demo_services.ctx.db.read() as s:
        user = s.scalar(select(User).where(User.username == "ma"))
    assert user.failed_attempts == 0 and user.locked_until is None


def test_administrator_unlocks_a_locked_account(demo_services, sign_in_as):
    for _ in range(6):
        with pytest.raises(AuthenticationError):
            demo_services.accounts.sign_in("frontdesk", "wrong password")
    sign_in_as("admin")
    user = next(u for u in demo_services.accounts.list_users() if u.username == "frontdesk")
    assert user.locked_until is not None
    demo_services.accounts.unlock_user(user.id)
    assert demo_services.accounts.sign_in("frontdesk", DEMO_PASSWORD).role == "front_desk"


def test_sign_out_refuses_everything_afterwards(demo_services, sign_in_as):
    sign_in_as("ma")
    demo_services.accounts.sign_out()
    assert demo_services.actor == signed_out_actor()
    with pytest.raises(PermissionDenied):
        demo_services.patients.get(1)


# ------------------------------------------------------------------ administration
def test_admin_creates_changes_and_resets_accounts(demo_services, sign_in_as):
    sign_in_as("admin")
    row = demo_services.accounts.create_user("Sam.Lee", "Sam Lee", "medical_assistant", GOOD)
    assert row.username == "sam.lee" and row.active
    with pytest.raises(ValidationError) as taken:
        demo_services.accounts.create_user("sam.lee", "Other", "front_desk", GOOD)
    assert taken.value.field == "username"
    with pytest.raises(ValidationError) as bad:
        demo_services.accounts.create_user("x y", "", "chef", "123")
    assert set(bad.value.errors) == {"username", "display_name", "role", "password"}
    changed = demo_services.accounts.update_user(row.id, role="front_desk", display_name="Sam L.")
    assert changed.role == "front_desk" and changed.display_name == "Sam L."
    demo_services.accounts.reset_password(row.id, "walnut ferry cobalt brisk")
    assert (
        demo_services.accounts.sign_in("sam.lee", "walnut ferry cobalt brisk").role == "front_desk"
    )
    with demo_services.ctx.db.read() as s:
        update = s.scalars(select(AuditEvent).where(AuditEvent.action == "update",
                                                    AuditEvent.entity == "user")).one()  # fmt: skip
    assert json.loads(update.details)["role"] == {"old": "medical_assistant", "new": "front_desk"}


def test_last_administrator_cannot_be_removed(demo_services, sign_in_as):
    admin = sign_in_as("admin")
    with pytest.raises(ConflictError):
        demo_services.accounts.update_user(admin.user_id, role="front_desk")
    with pytest.raises(ConflictError):
        demo_services.accounts.update_user(admin.user_id, active=False)
    assert demo_services.accounts.sign_in("admin", DEMO_PASSWORD).role == "administrator"


@pytest.mark.parametrize("username", ["ma", "frontdesk", "provider"])
def test_non_administrators_cannot_manage_accounts_and_are_audited(
    demo_services, sign_in_as, username
):
    sign_in_as(username)
    before = last_id(demo_services)
    with pytest.raises(PermissionDenied):
        demo_services.accounts.create_user("evil", "Evil", "administrator", GOOD)
    with pytest.raises(PermissionDenied):
        demo_services.accounts.list_users()
    new = entries(demo_services, before)
    assert [(e.action, e.entity_id, e.outcome, e.username) for e in new] == [
        ("permission_refused", "users.admin", "refused", username)
    ] * 2


def test_change_own_password_checks_the_current_one(demo_services, sign_in_as):
    sign_in_as("ma")
    with pytest.raises(ValidationError) as wrong:
        demo_services.accounts.change_own_password("nope", "summit gravel tuba nectar")
    assert wrong.value.field == "current"
    with pytest.raises(ValidationError) as common:
        demo_services.accounts.change_own_password(DEMO_PASSWORD, "iloveyou")
    assert common.value.field == "password"
    demo_services.accounts.change_own_password(DEMO_PASSWORD, "summit gravel tuba nectar")
    assert demo_services.accounts.sign_in("ma", "summit gravel tuba nectar").username == "ma"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(username=st.text(max_size=80), name=st.text(max_size=140))
@example(username="uu\x01a", name="Ann Lee")  # a control character is dropped, not kept
def test_any_typed_account_fields_are_saved_or_refused_cleanly(services, username, name):
    if not services.accounts.has_users():
        services.accounts.create_first_administrator("root", "Root Admin", GOOD)
    try:
        row = services.accounts.create_user(username, name, "front_desk", GOOD)
    except ValidationError as exc:
        assert exc.errors
    else:
        assert row.username == clean_username(username)  # control characters are not part of it
        assert row.display_name == " ".join(name.split())


# ------------------------------------------------------------------ break-glass
def test_break_glass_is_time_limited_and_flagged(demo_services, sign_in_as, clock):
    sign_in_as("frontdesk")
    with pytest.raises(PermissionDenied):
        demo_services.vitals.check("vitals.write", patient_id=1)
    with pytest.raises(PermissionDenied):
        demo_services.accounts.grant_break_glass("ma", DEMO_PASSWORD, 30, "chest pain walk-in")
    with pytest.raises(AuthenticationError):
        demo_services.accounts.grant_break_glass("admin", "wrong", 30, "chest pain walk-in")
    with pytest.raises(ValidationError):
        demo_services.accounts.grant_break_glass("admin", DEMO_PASSWORD, 30, "   ")
    until = demo_services.accounts.grant_break_glass("admin", DEMO_PASSWORD, 30, "chest pain")
    assert demo_services.accounts.break_glass_until() == until
    demo_services.vitals.check("vitals.write", patient_id=1)  # now allowed
    before = last_id(demo_services)
    demo_services.patients.open_chart(1)
    view = entries(demo_services, before)[0]
    assert view.action == "view" and json.loads(view.details)["break_glass"] is True
    with pytest.raises(PermissionDenied):  # never opens user administration
        demo_services.accounts.list_users()
    clock.advance(minutes=31)
    assert demo_services.accounts.break_glass_until() is None
    with pytest.raises(PermissionDenied):
        demo_services.vitals.check("vitals.write", patient_id=1)
    with demo_services.ctx.db.read() as s:
        start = s.scalars(select(AuditEvent).where(AuditEvent.action == "break_glass_start")).one()
    details = json.loads(start.details)
    assert details["granted_by"] == "admin" and details["minutes"] == 30
    assert start.username == "frontdesk" and start.outcome == "emergency"


def test_switching_user_ends_break_glass(demo_services, sign_in_as):
    sign_in_as("frontdesk")
    demo_services.accounts.grant_break_glass("admin", DEMO_PASSWORD, 10, "emergency")
    sign_in_as("provider")
    assert demo_services.accounts.break_glass_until() is None


def test_switching_user_ends_the_previous_session_in_the_audit_trail(demo_services, sign_in_as):
    sign_in_as("ma")
    before = last_id(demo_services)
    sign_in_as("frontdesk")
    got = [(e.action, e.username, json.loads(e.details)) for e in entries(demo_services, before)]
    assert got == [
        ("sign_in", "frontdesk", {}),
        ("sign_out", "ma", {"reason": "switched to frontdesk"}),
    ]
    before = last_id(demo_services)
    sign_in_as("frontdesk")  # same user again (unlock): no sign-out
    assert [e.action for e in entries(demo_services, before)] == ["sign_in"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(username=st.text(max_size=120), password=st.text(max_size=300))
def test_anything_typed_at_sign_in_is_refused_cleanly_and_audited(
    demo_services, username, password
):
    from ma_desk import audit

    with pytest.raises(AuthenticationError):
        demo_services.accounts.sign_in(username, password + "\u2603 not the demo password")
    with demo_services.ctx.db.read() as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
        assert audit.verify_store(s) == []
    assert last.action in ("sign_in_failed", "sign_in_refused")
