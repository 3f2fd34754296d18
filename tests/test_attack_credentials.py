"""Attacks on user credentials: guessable passwords, and telling which user names exist.

Passwords an attacker standing in the clinic would try first must be refused by every
way of setting one (services, CLI, first run). Every answer of the sign-in, in words,
lock-out and Argon2 work, must be the same for a real account and for a name nobody has.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import string

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from sqlalchemy import select

from ma_desk.cli import main
from ma_desk.db.models import SignInFailure, User
from ma_desk.db.store import open_store
from ma_desk.errors import AuthenticationError, ValidationError
from ma_desk.paths import store_path
from ma_desk.security import passwords
from ma_desk.security.clinic_words import clinic_words
from ma_desk.security.demo_accounts import (
    DEMO_PASSWORD,
    check_demo_password,
    demo_clinic_words,
)
from ma_desk.services.accounts import FREE_ATTEMPTS
from tests.conftest import PASSPHRASE

GOOD = "walnut ferry cobalt brisk"
# What the attack on the landed app got accepted, and what a visitor reads off the walls:
# the demo clinic is "Maple Grove Family Practice" with Dr. Amara Okafor, Dr. Lucas
# Brennan and Priya Natarajan; its staff include Jordan Lee and Casey Rivera.
GUESSABLE = [
    "Admin123!",
    "Welcome1!",
    "clinic123",
    "Password1",
    "MapleGroveFamilyPractice2024",
    "Maple Grove Family Practice 2024",
    "maplegrove123",
    "MapleGrove#2025",
    "Okafor1985",
    "Amara Okafor 2019",
    "Brennan2024!",
    "Natarajan1990",
    "jordanlee2024",
    "CaseyRivera1!",
]


def failure_messages(services, username: str, password: str, tries: int, clock,
                     step_seconds: int) -> list[str]:  # fmt: skip
    messages = []
    for _ in range(tries):
        with pytest.raises(AuthenticationError) as refused:
            services.accounts.sign_in(username, password)
        messages.append(str(refused.value))
        clock.advance(seconds=step_seconds)
    return messages


@pytest.fixture
def verifications(monkeypatch) -> list[str]:
    """Each Argon2 verification the sign-in runs (the real one still runs)."""
    calls: list[str] = []
    real = PasswordHasher.verify

    def counted(self, hash, password):  # noqa: A002 - argon2's own parameter name
        calls.append(hash[:9])
        return real(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counted)
    return calls


# ------------------------------------------------------------------ guessable passwords
def test_the_demo_clinic_words_come_from_the_store(demo_services):
    with demo_services.ctx.db.read() as s:
        words = clinic_words(s)
    assert "Maple Grove Family Practice (demo)" in words
    assert {"Dr. Amara Okafor", "Priya Natarajan", "ma", "Jordan Lee, MA"} <= set(words)


@pytest.mark.parametrize("password", GUESSABLE)
def test_guessable_passwords_are_refused_everywhere(demo_services, sign_in_as, password):
    admin = sign_in_as("admin")
    with pytest.raises(ValidationError) as created:
        demo_services.accounts.create_user("sam.lee", "Sam Lee", "front_desk", password)
    assert created.value.field == "password" and "guess" in str(created.value)
    rows = {u.username: u for u in demo_services.accounts.list_users()}
    assert "sam.lee" not in rows
    with pytest.raises(ValidationError, match="guess"):
        demo_services.accounts.reset_password(rows["ma"].id, password)
    with pytest.raises(ValidationError, match="guess"):
        demo_services.accounts.change_own_password(DEMO_PASSWORD, password)
    assert demo_services.accounts.sign_in("admin", DEMO_PASSWORD).user_id == admin.user_id


def test_guessable_first_administrator_password_is_refused(services):
    for password in ("Admin123!", "Welcome1!", "clinic123", "PatBoss1980"):
        with pytest.raises(ValidationError) as refused:
            services.accounts.create_first_administrator("pboss", "Pat Boss", password)
        assert refused.value.field == "password"
    assert not services.accounts.has_users()


def test_guessable_password_through_the_cli_creates_nothing(demo_dir, capsys, monkeypatch):
    monkeypatch.setenv("MA_DESK_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("MA_DESK_PASSWORD", DEMO_PASSWORD)
    monkeypatch.setenv("MA_DESK_NEW_PASSWORD", "Welcome1!")
    argv = ["--data-dir", str(demo_dir), "--user", "admin"]
    code = main(["users", "add", "newbie", "--name", "New Bie", "--role", "front_desk", *argv])
    assert code == 1 and "guess" in capsys.readouterr().err
    code = main(["users", "reset-password", "ma", *argv])
    assert code == 1 and "guess" in capsys.readouterr().err
    opened = open_store(demo_dir, passphrase=PASSPHRASE)
    try:
        with opened.db.read() as s:
            assert s.scalar(select(User).where(User.username == "newbie")) is None
    finally:
        opened.db.close()
    monkeypatch.setenv("MA_DESK_NEW_PASSWORD", GOOD)
    assert main(["users", "reset-password", "ma", *argv]) == 0


def test_nist_length_and_character_rules():
    assert "at least 8" in passwords.password_problem("x7#kQ2!")  # 7: too short
    eight = passwords.password_problem("x7#kQ2!p")  # 8: long enough, still guessable
    assert eight is not None and "at least 8" not in eight
    heron = "the blue heron waits by the river at dawn, "
    sixty_four = (heron * 2)[:64]
    assert len(sixty_four) == 64 and passwords.password_problem(sixty_four) is None
    longest = (heron * 6)[: passwords.MAX_LENGTH]
    assert passwords.password_problem(longest) is None
    assert "at most" in passwords.password_problem(longest + "x")
    printable = string.printable.strip() + " "  # every printable ASCII character and space
    assert passwords.password_problem(printable) is None
    assert passwords.password_problem("blue kettle on the stove") is None  # no composition
    assert "control character" in passwords.password_problem("blue kettle\x00 on the stove")


@settings(max_examples=150, deadline=None)
@given(password=st.text(max_size=300), words=st.lists(st.text(max_size=60), max_size=6))
def test_any_typed_password_and_clinic_words_get_an_answer(password, words):
    problem = passwords.password_problem(password, clinic_words=words)
    assert problem is None or isinstance(problem, str)


TYPED_NAMES = itertools.count()


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(password=st.text(min_size=1, max_size=80))
def test_typed_first_passwords_are_saved_or_refused_cleanly(services, password):
    if not services.accounts.has_users():
        services.accounts.create_first_administrator("root", "Root Admin", GOOD)
    name = f"typed{next(TYPED_NAMES)}"
    try:
        services.accounts.create_user(name, "Kim Chen", "front_desk", password)
    except ValidationError as refused:
        assert refused.field == "password"
        return
    assert services.accounts.authenticate(name, password, purpose="sign_in").username == name


# ------------------------------------------------------------------ the demo password
def test_demo_password_is_kept_only_through_the_demo_path():
    assert passwords.password_problem(DEMO_PASSWORD, clinic_words=demo_clinic_words())
    check_demo_password(DEMO_PASSWORD)  # the published one: the demo-only exception
    with pytest.raises(ValidationError):
        check_demo_password("maple grove demo 2")


def test_demo_with_a_guessable_demo_password_creates_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MA_DESK_PASSPHRASE", PASSPHRASE)
    target = tmp_path / "demo"
    code = main(["demo", "--data-dir", str(target), "--patients", "3",
                 "--demo-password", "Okafor2024!"])  # fmt: skip
    assert code == 1 and "guess" in capsys.readouterr().err
    assert not store_path(target).exists()


# ------------------------------------------------------------------ which names exist
@pytest.mark.parametrize("step_seconds", [0, 7, 40])
def test_unknown_and_real_names_get_the_same_answers(demo_services, sign_in_as, clock,
                                                     step_seconds):  # fmt: skip
    sign_in_as("admin")
    provider = next(u for u in demo_services.accounts.list_users() if u.username == "provider")
    demo_services.accounts.update_user(provider.id, active=False)
    demo_services.accounts.sign_out()
    sequences = {}
    for name in ("ma", "nobody-here", "provider"):  # real, unknown, inactive
        clock.advance(days=1)
        sequences[name] = failure_messages(demo_services, name, "not the password", 10, clock,
                                           step_seconds)  # fmt: skip
    assert sequences["ma"] == sequences["nobody-here"] == sequences["provider"]
    assert len(set(sequences["ma"])) > 1  # the lock-out did set in
    said = " ".join(sequences["nobody-here"])
    assert "nobody-here" not in said and "provider" not in said


def test_while_locked_the_right_password_gets_the_unknown_names_answer(demo_services, clock):
    for name in ("ma", "ghost"):
        failure_messages(demo_services, name, "wrong password", FREE_ATTEMPTS + 1, clock, 0)
    with pytest.raises(AuthenticationError) as real:
        demo_services.accounts.sign_in("ma", DEMO_PASSWORD)
    with pytest.raises(AuthenticationError) as unknown:
        demo_services.accounts.sign_in("ghost", DEMO_PASSWORD)
    assert str(real.value) == str(unknown.value)
    assert "Try again in" in str(real.value)


def test_unknown_names_are_throttled_in_the_store(demo_services, demo_store, clock):
    failure_messages(demo_services, "Ghost ", "wrong password", FREE_ATTEMPTS + 1, clock, 0)
    with demo_services.ctx.db.read() as s:
        rows = s.scalars(select(SignInFailure)).all()
    assert [(r.name, r.failed_attempts) for r in rows] == [("ghost", FREE_ATTEMPTS + 1)]
    assert rows[0].locked_until is not None
    # survives closing and opening the store
    demo_store.db.close()
    reopened = open_store(demo_store.data_dir, passphrase=PASSPHRASE)
    try:
        from ma_desk.services import Services

        again = Services(reopened.db, clock)
        with pytest.raises(AuthenticationError, match="Try again in"):
            again.accounts.sign_in("ghost", "anything at all")
    finally:
        reopened.db.close()


def test_every_path_runs_exactly_one_argon2_verification(demo_services, clock, verifications,
                                                         sign_in_as):  # fmt: skip
    def attempt(name: str, password: str) -> int:
        before = len(verifications)
        with contextlib.suppress(AuthenticationError):
            demo_services.accounts.sign_in(name, password)
        return len(verifications) - before

    runs = {
        "unknown": attempt("nobody", "guess one"),
        "blank": attempt("   ", "guess one"),
        "wrong": attempt("frontdesk", "guess one"),
        "right": attempt("frontdesk", DEMO_PASSWORD),
    }
    for _ in range(FREE_ATTEMPTS + 1):
        attempt("ma", "wrong")
        attempt("nobody", "wrong")
    runs["locked, right password"] = attempt("ma", DEMO_PASSWORD)
    runs["locked, unknown"] = attempt("nobody", DEMO_PASSWORD)
    with demo_services.ctx.db.write() as s:  # a damaged hash in the store
        s.scalar(select(User).where(User.username == "frontdesk")).password_hash = "garbage"
    runs["damaged hash"] = attempt("frontdesk", DEMO_PASSWORD)
    sign_in_as("admin")
    provider = next(u for u in demo_services.accounts.list_users() if u.username == "provider")
    demo_services.accounts.update_user(provider.id, active=False)
    runs["inactive"] = attempt("provider", DEMO_PASSWORD)
    assert runs == dict.fromkeys(runs, 1)


def test_cli_answers_the_same_for_real_and_unknown_names(demo_dir, capsys, monkeypatch):
    monkeypatch.setenv("MA_DESK_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("MA_DESK_PASSWORD", "not the password")
    answers = {}
    for name in ("frontdesk", "ghost"):
        lines = []
        for _ in range(FREE_ATTEMPTS + 3):
            assert main(["users", "list", "--data-dir", str(demo_dir), "--user", name]) == 1
            lines.append(re.sub(r"\d+", "N", capsys.readouterr().err))  # the wall clock moves
        answers[name] = lines
    assert answers["frontdesk"] == answers["ghost"]
    assert any("Try again in" in line for line in answers["ghost"])


def test_sign_in_dialog_answers_the_same_and_lists_no_names(qtbot, demo_services):
    from ma_desk.ui.security.sign_in import SignInDialog

    dialog = SignInDialog(demo_services, clinic="Maple Grove")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.form.username.completer() is None
    shown = {}
    for name in ("ma", "ghost"):
        messages = []
        for _ in range(FREE_ATTEMPTS + 2):
            dialog.form.reset()
            qtbot.keyClicks(dialog.form.username, name)
            qtbot.keyClick(dialog.form.username, Qt.Key.Key_Tab)
            qtbot.keyClicks(dialog.form.password, "wrong password")
            qtbot.keyClick(dialog.form.password, Qt.Key.Key_Return)
            messages.append(dialog.form.message.text())
        shown[name] = messages
    assert shown["ma"] == shown["ghost"] and dialog.isVisible()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(typed=st.text(max_size=80))
def test_any_typed_user_name_gets_one_of_the_same_answers(demo_services, typed):
    """Whatever is typed as a user name, the answer is one a real account also gets."""
    with pytest.raises(AuthenticationError) as refused:
        demo_services.accounts.sign_in(typed, "not the password")
    assert ANSWERS.fullmatch(str(refused.value))  # fixed words and a duration, nothing typed


ANSWERS = re.compile(
    r"The user name or password is wrong\."
    r"( The next try with this user name must wait \d+ (seconds|minutes)\.)?"
    r"|Too many wrong tries with this user name\. Try again in \d+ (seconds|minutes), or ask "
    r"an administrator\."
)
