"""Attacks on the store's key handling: keyinfo.json, recovery, the store passphrase.

Each test does what an attacker, a careless copy or a lost keyring would do, through
the real open path or the real CLI on a real encrypted store, then checks the files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlalchemy import select as sql_select

from ma_desk.cli import main
from ma_desk.db import keys
from ma_desk.db.models import Appointment, AuditEvent, Patient, User
from ma_desk.db.store import create_store, open_store
from ma_desk.errors import KeyUnavailableError, MADeskError, StoreError, ValidationError
from ma_desk.paths import keyinfo_path, store_path
from ma_desk.security import strength
from ma_desk.security.demo_accounts import DEMO_PASSWORD
from tests.conftest import PASSPHRASE

NEW_PASSPHRASE = "brisk walnut cobalt ferry"
LATER_PASSPHRASE = "summit gravel tuba nectar"


def snapshot(data_dir: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(data_dir.iterdir()) if p.is_file()}  # fmt: skip


@pytest.fixture
def argon2_runs(monkeypatch) -> list[int]:
    """Counts the store-key derivations (the real Argon2 still runs)."""
    runs: list[int] = []
    real = keys.hash_secret_raw

    def counted(*args, **kwargs):
        runs.append(kwargs.get("time_cost", 0))
        return real(*args, **kwargs)

    monkeypatch.setattr(keys, "hash_secret_raw", counted)
    return runs


@pytest.fixture
def closed_store(store) -> Path:
    store.db.close()
    return store.data_dir


def valid_keyinfo(data_dir: Path) -> dict:
    return json.loads(keyinfo_path(data_dir).read_text())


def write_json(data_dir: Path, value: object) -> None:
    keyinfo_path(data_dir).write_text(json.dumps(value))


def with_field(base: dict, path: tuple[str, ...], value: object) -> dict:
    """A copy of ``base`` with the field at ``path`` set (or removed when value is ...)."""
    copy = json.loads(json.dumps(base))
    target = copy
    for part in path[:-1]:
        target = target[part]
    if value is ...:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value
    return copy


# ------------------------------------------------------------------ 1. keyinfo.json
MALFORMED_FIELDS = [
    (("key_source",), ...),
    (("key_source",), 5),
    (("key_source",), "vault"),
    (("key_source",), None),
    (("format",), ...),
    (("format",), "1"),
    (("format",), 2),
    (("format",), True),
    (("format",), 1.0),
    (("app",), ...),
    (("app",), "other-app"),
    (("kdf",), ...),
    (("kdf",), None),
    (("kdf",), []),
    (("kdf",), "argon2id"),
    (("kdf", "name"), "scrypt"),
    (("kdf", "name"), ...),
    (("kdf", "salt"), ...),
    (("kdf", "salt"), 1234),
    (("kdf", "salt"), "zz" * 16),
    (("kdf", "salt"), "00" * 15),
    (("kdf", "salt"), "00" * 17),
    (("kdf", "salt"), "AB" * 16),
    (("kdf", "salt"), ""),
    (("kdf", "time_cost"), ...),
    (("kdf", "time_cost"), "1"),
    (("kdf", "time_cost"), 1.0),
    (("kdf", "time_cost"), True),
    (("kdf", "time_cost"), None),
    (("kdf", "time_cost"), 0),
    (("kdf", "time_cost"), -1),
    (("kdf", "time_cost"), keys.MAX_TIME_COST + 1),
    (("kdf", "time_cost"), 2**31),
    (("kdf", "time_cost"), 10**100),
    (("kdf", "memory_cost"), 0),
    (("kdf", "memory_cost"), -47104),
    (("kdf", "memory_cost"), keys.MIN_MEMORY_KIB - 1),
    (("kdf", "memory_cost"), keys.MAX_MEMORY_KIB + 1),
    (("kdf", "memory_cost"), 2**40),
    (("kdf", "memory_cost"), "47104"),
    (("kdf", "parallelism"), 0),
    (("kdf", "parallelism"), keys.MAX_PARALLELISM + 1),
    (("kdf", "parallelism"), 2**24),
    (("kdf", "parallelism"), [1]),
]


@pytest.mark.parametrize("path, value", MALFORMED_FIELDS)
def test_each_malformed_field_is_refused_clearly_without_argon2(
    closed_store, argon2_runs, path, value
):
    data_dir = closed_store
    write_json(data_dir, with_field(valid_keyinfo(data_dir), path, value))
    before = snapshot(data_dir)
    with pytest.raises(keys.KeyInfoError) as refused:
        open_store(data_dir, passphrase=PASSPHRASE)
    assert isinstance(refused.value, StoreError)
    message = str(refused.value)
    assert str(keyinfo_path(data_dir)) in message and "recovery key" in message
    assert argon2_runs == []
    assert snapshot(data_dir) == before


@pytest.mark.parametrize(
    "contents",
    [
        b"",
        b"{not json",
        b"[]",
        b'"keyinfo"',
        b"42",
        b"null",
        b"\xff\xfe{\x00}",  # not UTF-8
        b'{"app": "ma-desk", "format": 1, "key_source": "passphrase", "kdf": "\xe9"}',
        b"[" * 3000 + b"]" * 3000,  # deep nesting inside the size limit
        b" " * (keys.KEYINFO_MAX_BYTES + 1) + b"{}",  # too large, whatever follows
    ],
    ids=[
        "empty",
        "not-json",
        "array",
        "string",
        "number",
        "null",
        "utf16",
        "latin1",
        "nested",
        "huge",
    ],  # fmt: skip
)
def test_a_file_that_is_not_a_keyinfo_object_is_refused(closed_store, argon2_runs, contents):
    keyinfo_path(closed_store).write_bytes(contents)
    with pytest.raises(keys.KeyInfoError, match="keyinfo.json is damaged"):
        open_store(closed_store, passphrase=PASSPHRASE)
    assert argon2_runs == []


@pytest.mark.parametrize(
    "contents, reason",
    [
        (b"\xff\xfe{\x00}", "not UTF-8 text"),
        (b"{not json", "not valid JSON"),
        (b"[]", "not a JSON object"),
        (b'{"app": "ma-desk", "format": 1, "key_source": "passphrase", "kdf": null}',
         "needs its Argon2 settings"),
    ],
)  # fmt: skip
def test_the_refusal_says_what_is_wrong(closed_store, contents, reason):
    keyinfo_path(closed_store).write_bytes(contents)
    with pytest.raises(keys.KeyInfoError, match=reason):
        open_store(closed_store, passphrase=PASSPHRASE)


def test_a_huge_keyinfo_is_not_even_read(closed_store):
    with open(keyinfo_path(closed_store), "wb") as handle:
        handle.truncate(2 * 1024**3)  # 2 GiB, sparse: reading it would exhaust memory
    with pytest.raises(keys.KeyInfoError, match="larger than 4,096 bytes"):
        open_store(closed_store, passphrase=PASSPHRASE)


def test_a_directory_in_place_of_keyinfo_is_refused(closed_store):
    keyinfo_path(closed_store).unlink()
    keyinfo_path(closed_store).mkdir()
    with pytest.raises(keys.KeyInfoError, match="Is a directory"):
        open_store(closed_store, passphrase=PASSPHRASE)


@pytest.mark.parametrize(
    "time_cost, memory_cost",
    [
        (1, keys.MIN_MEMORY_KIB),  # 7 MiB once: below OWASP's weakest configuration
        (keys.MAX_TIME_COST, keys.MAX_MEMORY_KIB),  # 4 GiB-passes: minutes on a clinic PC
    ],
)
def test_argon2_work_outside_the_bounds_is_refused(closed_store, argon2_runs, time_cost,
                                                   memory_cost):  # fmt: skip
    info = valid_keyinfo(closed_store)
    info["kdf"].update(time_cost=time_cost, memory_cost=memory_cost)
    write_json(closed_store, info)
    with pytest.raises(keys.KeyInfoError, match="Argon2 cost"):
        open_store(closed_store, passphrase=PASSPHRASE)
    assert argon2_runs == []


def test_bounds_admit_owasp_and_todays_parameters():
    """Every OWASP-listed Argon2id configuration and ours lie inside the bounds."""
    owasp = [(47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5)]
    ours = (keys.ARGON2_PARAMS["memory_cost"], keys.ARGON2_PARAMS["time_cost"])
    for memory, passes in [*owasp, ours]:
        assert keys.MIN_MEMORY_KIB <= memory <= keys.MAX_MEMORY_KIB
        assert keys.MIN_WORK_KIB_PASSES <= memory * passes <= keys.MAX_WORK_KIB_PASSES


def test_the_slowest_allowed_parameters_still_finish(closed_store, argon2_runs):
    """The upper bound is a cost, not a hang: the file opens (with the wrong key) and says so."""
    info = valid_keyinfo(closed_store)
    info["kdf"].update(time_cost=4, memory_cost=keys.MAX_MEMORY_KIB)
    write_json(closed_store, info)
    with pytest.raises(MADeskError, match="could not be opened with this key"):
        open_store(closed_store, passphrase=PASSPHRASE)
    assert argon2_runs == [4]


def test_a_keyring_store_with_argon2_settings_is_refused(closed_store):
    write_json(closed_store, {"app": "ma-desk", "format": 1, "key_source": "keyring",
                              "kdf": valid_keyinfo(closed_store)["kdf"]})  # fmt: skip
    with pytest.raises(keys.KeyInfoError, match="keyring store"):
        open_store(closed_store, passphrase=PASSPHRASE)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=40) | st.just([]) | st.just({}),
    # min_size=1: an empty container would not recurse (and Hypothesis warns about it)
    lambda inner: st.lists(inner, min_size=1, max_size=4)
    | st.dictionaries(st.text(max_size=12), inner, min_size=1, max_size=4),
    max_leaves=12,
)  # fmt: skip
FIELD_PATHS = [("app",), ("format",), ("key_source",), ("kdf",), ("kdf", "name"),
               ("kdf", "salt"), ("kdf", "time_cost"), ("kdf", "memory_cost"),
               ("kdf", "parallelism"), ("extra",), ("kdf", "extra")]  # fmt: skip
BOUNDARY_INTS = st.sampled_from([0, 1, 2, -1, 7167, 7168, 35840, 47104, 262144, 262145,
                                 2**31, 2**63, 10**30])  # fmt: skip


KEYINFO_CONTENTS = (
    st.tuples(st.just("field"), st.sampled_from(FIELD_PATHS), JSON | BOUNDARY_INTS | st.just(...))
    | st.tuples(st.just("json"), JSON, st.none())
    | st.tuples(st.just("bytes"), st.binary(max_size=300), st.none())
)  # fmt: skip


def contents_of(valid: dict, kind: str, what: object, value: object) -> bytes:
    """Valid keyinfo with one field changed or removed, or any JSON, or any bytes."""
    if kind == "field":
        return json.dumps(with_field(valid, what, value)).encode()
    if kind == "json":
        return json.dumps(what).encode()
    return what


@pytest.fixture
def store_keyinfo(closed_store) -> dict:
    """The store's own keyinfo, read once before any example overwrites it."""
    return valid_keyinfo(closed_store)


@settings(max_examples=150, deadline=dt.timedelta(seconds=30),
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(case=KEYINFO_CONTENTS)
def test_any_keyinfo_gives_a_clear_refusal_or_an_open_never_a_crash_or_hang(
    closed_store, store_keyinfo, case
):
    keyinfo_path(closed_store).write_bytes(contents_of(store_keyinfo, *case))
    before = snapshot(closed_store)
    try:
        opened = open_store(closed_store, passphrase=PASSPHRASE)
    except StoreError as refusal:  # the store family: says what is wrong with the files
        assert str(refusal).strip() and "unexpected" not in str(refusal).lower()
        assert snapshot(closed_store) == before  # a refusal touches no file
        return
    try:  # opened: it is the store itself, read with its own key
        with opened.db.read() as s:
            assert s.scalar(sql_select(func.count()).select_from(User)) == 0
        assert opened.key_source == keys.SOURCE_PASSPHRASE
    finally:
        opened.db.close()


# ------------------------------------------------------------------ 2. recovery matrix
def census(data_dir: Path, **open_kwargs) -> tuple[int, int, int, int]:
    opened = open_store(data_dir, **open_kwargs)
    try:
        with opened.db.read() as s:
            return tuple(s.scalar(sql_select(func.count()).select_from(model))
                         for model in (Patient, Appointment, User, AuditEvent))  # fmt: skip
    finally:
        opened.db.close()


def demo_key(data_dir: Path) -> keys.StoreKey:
    return keys.find_key(data_dir, keys.read_keyinfo(data_dir), passphrase=PASSPHRASE)


def make_keyring_store(data_dir: Path) -> None:
    """Turn the demo copy (a passphrase store) into a keyring store with the same key."""
    assert keys.keyring_set(data_dir, demo_key(data_dir).raw)
    keys.write_keyinfo(data_dir, keys.KeyInfo(source=keys.SOURCE_KEYRING))


LOSSES = ["keyinfo lost", "keyring entry lost", "passphrase forgotten", "nothing lost"]


def prepare(data_dir: Path, keyring_present: bool, loss: str, use_keyring: Callable) -> str:
    """Set the store up as the scenario says; returns its recovery key."""
    recovery = keys.format_recovery_key(demo_key(data_dir).raw)
    keyring_store = loss == "keyring entry lost" or (
        keyring_present and loss != "passphrase forgotten"
    )
    if keyring_store:
        use_keyring(True)
        make_keyring_store(data_dir)
    use_keyring(keyring_present)
    if loss == "keyinfo lost":
        keyinfo_path(data_dir).unlink()
    elif loss == "keyring entry lost":
        keys.keyring_delete(data_dir)
    return recovery


@pytest.fixture
def use_keyring(memory_keyring):
    """Switch between a working in-memory keyring and none (the same entries stay)."""
    import keyring
    from keyring.backends import null

    def switch(present: bool) -> None:
        keyring.set_keyring(memory_keyring if present else null.Keyring())

    return switch


def needs_new_passphrase(keyring_present: bool, loss: str) -> bool:
    return not keyring_present and loss != "nothing lost"


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("keyring_present", [True, False], ids=["keyring", "no-keyring"])
def test_recovery_open_leaves_a_normal_way_in(demo_dir, use_keyring, monkeypatch,
                                              keyring_present, loss):  # fmt: skip
    before = census(demo_dir, passphrase=PASSPHRASE)
    recovery = prepare(demo_dir, keyring_present, loss, use_keyring)
    new = NEW_PASSPHRASE if needs_new_passphrase(keyring_present, loss) else None
    opened = open_store(demo_dir, recovery_key=recovery, new_passphrase=new)
    opened.db.close()
    info = keys.read_keyinfo(demo_dir)
    if keyring_present:
        assert opened.key_source == info.source == keys.SOURCE_KEYRING
        assert opened.recovery_key is None  # the printed recovery key stays valid
        normal: dict = {}
    else:
        assert opened.key_source == info.source == keys.SOURCE_PASSPHRASE
        assert (opened.recovery_key is not None) == (new is not None)
        normal = {"passphrase": new or PASSPHRASE}
    assert census(demo_dir, **normal) == before
    if opened.recovery_key:  # re-keyed: the new recovery key opens it, the old one not
        assert census(demo_dir, recovery_key=opened.recovery_key, **normal) == before
    # and the key can be rotated afterwards, the normal way
    key = keys.find_key(demo_dir, info, **normal)
    from ma_desk.security.rekey import rotate_key

    later = LATER_PASSPHRASE if info.source == keys.SOURCE_PASSPHRASE else None
    rotated = rotate_key(demo_dir, key, new_passphrase=later)
    after = {"passphrase": later} if later else {}
    assert census(demo_dir, **after) == before
    assert census(demo_dir, recovery_key=rotated.recovery_key, **after) == before


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("keyring_present", [True, False], ids=["keyring", "no-keyring"])
def test_recovery_through_the_cli_then_check_and_rekey(demo_dir, use_keyring, monkeypatch,
                                                       capsys, keyring_present, loss):  # fmt: skip
    before = census(demo_dir, passphrase=PASSPHRASE)
    recovery = prepare(demo_dir, keyring_present, loss, use_keyring)
    for name in ("MA_DESK_PASSPHRASE", "MA_DESK_PASSPHRASE_NEW", "MA_DESK_RECOVERY_KEY"):
        monkeypatch.delenv(name, raising=False)
    if needs_new_passphrase(keyring_present, loss):
        monkeypatch.setenv("MA_DESK_PASSPHRASE_NEW", NEW_PASSPHRASE)
    code = main(["check", "--data-dir", str(demo_dir), "--recovery-key", recovery])
    out, err = capsys.readouterr()
    assert code == 0, err
    monkeypatch.delenv("MA_DESK_PASSPHRASE_NEW", raising=False)
    if needs_new_passphrase(keyring_present, loss):
        assert "NEW RECOVERY KEY" in err
        monkeypatch.setenv("MA_DESK_PASSPHRASE", NEW_PASSPHRASE)
    elif not keyring_present:
        monkeypatch.setenv("MA_DESK_PASSPHRASE", PASSPHRASE)
    # the normal way in: no recovery key
    assert main(["check", "--data-dir", str(demo_dir)]) == 0, capsys.readouterr().err
    # rekey, signed in as the administrator
    monkeypatch.setenv("MA_DESK_PASSWORD", DEMO_PASSWORD)
    if not keyring_present:
        monkeypatch.setenv("MA_DESK_PASSPHRASE_NEW", LATER_PASSPHRASE)
    capsys.readouterr()
    code = main(["rekey", "--data-dir", str(demo_dir), "--user", "admin"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "NEW RECOVERY KEY" in out
    new_recovery = out.split("shown once): ")[1].split()[0]
    after = {} if keyring_present else {"passphrase": LATER_PASSPHRASE}
    patients, appointments, users, audit_entries = census(demo_dir, **after)
    assert (patients, appointments, users) == before[:3]
    assert audit_entries > before[3]  # the sign-ins and the rekey were audited
    assert census(demo_dir, recovery_key=new_recovery, **after)[:3] == before[:3]


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(typed=st.text(max_size=80) | st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567-",
                                            min_size=50, max_size=70))  # fmt: skip
def test_any_typed_recovery_key_is_refused_clearly_and_changes_nothing(closed_store, typed):
    before = snapshot(closed_store)
    with pytest.raises(MADeskError):
        open_store(closed_store, recovery_key=typed or "-")
    assert snapshot(closed_store) == before


@pytest.mark.parametrize("backend", ["null", "fail"])
def test_keyring_is_never_recorded_unless_it_keeps_the_key(demo_dir, backend):
    import keyring
    from keyring.backends import fail, null

    keyring.set_keyring(null.Keyring() if backend == "null" else fail.Keyring())
    recovery = keys.format_recovery_key(demo_key(demo_dir).raw)
    keyinfo_path(demo_dir).unlink()
    opened = open_store(demo_dir, recovery_key=recovery, new_passphrase=NEW_PASSPHRASE)
    opened.db.close()
    assert keys.read_keyinfo(demo_dir).source == keys.SOURCE_PASSPHRASE
    assert '"keyring"' not in keyinfo_path(demo_dir).read_text()
    census(demo_dir, passphrase=NEW_PASSPHRASE)


def test_recovery_without_keyring_and_without_a_new_passphrase_changes_nothing(demo_dir):
    """The reported bug: keyinfo became 'keyring' and the passphrase never worked again."""
    recovery = keys.format_recovery_key(demo_key(demo_dir).raw)
    keyinfo_path(demo_dir).unlink()
    before = snapshot(demo_dir)
    with pytest.raises(KeyUnavailableError, match="MA_DESK_PASSPHRASE_NEW") as refused:
        open_store(demo_dir, recovery_key=recovery)
    assert "Nothing was changed" in str(refused.value)
    assert snapshot(demo_dir) == before
    assert not keyinfo_path(demo_dir).exists()


def test_recovery_without_keyring_keeps_a_passphrase_that_still_works(demo_dir):
    before = snapshot(demo_dir)
    recovery = keys.format_recovery_key(demo_key(demo_dir).raw)
    opened = open_store(demo_dir, recovery_key=recovery)
    assert opened.key_source == keys.SOURCE_PASSPHRASE and opened.recovery_key is None
    opened.db.close()
    assert snapshot(demo_dir)["keyinfo.json"] == before["keyinfo.json"]
    census(demo_dir, passphrase=PASSPHRASE)


def test_recovery_asks_for_a_new_passphrase_and_cancel_keeps_the_old_one(demo_dir):
    recovery = keys.format_recovery_key(demo_key(demo_dir).raw)
    asked: list[str] = []

    def cancel(prompt: str) -> None:
        asked.append(prompt)
        return None

    open_store(demo_dir, recovery_key=recovery, ask_new_passphrase=cancel).db.close()
    assert len(asked) == 1 and "Cancel keeps the current passphrase" in asked[0]
    census(demo_dir, passphrase=PASSPHRASE)
    opened = open_store(
        demo_dir, recovery_key=recovery, ask_new_passphrase=lambda _p: NEW_PASSPHRASE
    )
    assert opened.recovery_key and opened.recovery_key != recovery
    opened.db.close()
    census(demo_dir, passphrase=NEW_PASSPHRASE)
    with pytest.raises(MADeskError, match="could not be opened"):
        open_store(demo_dir, passphrase=PASSPHRASE)


def test_a_weak_new_passphrase_after_recovery_changes_nothing(demo_dir):
    recovery = keys.format_recovery_key(demo_key(demo_dir).raw)
    keyinfo_path(demo_dir).unlink()
    before = snapshot(demo_dir)
    with pytest.raises(ValidationError, match="guess"):
        open_store(demo_dir, recovery_key=recovery, new_passphrase="12345678abcd")
    assert snapshot(demo_dir) == before


def test_damaged_keyinfo_is_set_aside_by_a_recovery_open(demo_dir, memory_keyring):
    recovery = keys.format_recovery_key(demo_key(demo_dir).raw)
    keyinfo_path(demo_dir).write_text('{"app": "ma-desk", "format": 1, "key_source": 7}')
    with pytest.raises(keys.KeyInfoError):
        open_store(demo_dir, passphrase=PASSPHRASE)
    open_store(demo_dir, recovery_key=recovery).db.close()
    assert keys.read_keyinfo(demo_dir).source == keys.SOURCE_KEYRING
    kept = list(demo_dir.glob("keyinfo.json.damaged-*"))
    assert len(kept) == 1 and '"key_source": 7' in kept[0].read_text()
    census(demo_dir)


def test_recovery_through_the_real_binary_without_a_keyring(demo_dir):
    recovery = keys.format_recovery_key(demo_key(demo_dir).raw)
    keyinfo_path(demo_dir).unlink()
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
           "MA_DESK_PASSPHRASE_NEW": NEW_PASSPHRASE}  # fmt: skip
    env.pop("MA_DESK_PASSPHRASE", None)
    done = subprocess.run([sys.executable, "-m", "ma_desk", "check", "--data-dir", str(demo_dir),
                           "--recovery-key", recovery], capture_output=True, text=True, env=env,
                          timeout=120, stdin=subprocess.DEVNULL)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "NEW RECOVERY KEY" in done.stderr and "passphrase" in done.stdout
    census(demo_dir, passphrase=NEW_PASSPHRASE)


# ------------------------------------------------------------------ 3. store passphrase
@pytest.mark.parametrize(
    "weak",
    ["12345678", "87654321", "123456789012", "password1234", "clinic passphrase",
     "test passphrase 1", "01/02/1985 02/03/1990", "qwertyuiopasdfgh", "aaaaaaaaaaaaaaaa",
     "iloveyouiloveyou"],
)  # fmt: skip
def test_weak_store_passphrases_are_refused_and_nothing_is_created(tmp_path, weak):
    with pytest.raises(ValidationError) as refused:
        create_store(tmp_path / "c", passphrase=weak)
    assert refused.value.field == "passphrase"
    assert "words" in str(refused.value) and "suggested" in str(refused.value)
    assert not store_path(tmp_path / "c").exists()
    assert not keyinfo_path(tmp_path / "c").exists()


def test_length_boundaries_of_the_store_passphrase():
    strong_11 = "zq8#Lw2!pX4"  # random, but 11 characters cannot reach 10^12 guesses
    assert "at least 12" in keys.passphrase_problem(strong_11)
    assert "at least 12" not in (keys.passphrase_problem(strong_11 + "r") or "")
    long_ok = " ".join([NEW_PASSPHRASE] * 41)[: keys.MAX_PASSPHRASE]
    assert keys.passphrase_problem(long_ok) is None
    assert "at most" in keys.passphrase_problem(long_ok + "x")


def test_suggested_passphrases_are_six_eff_words_and_pass():
    words = strength.eff_long_words()
    assert len(words) == len(set(words)) == 7776
    assert strength.SUGGESTED_WORDS * math.log2(len(words)) >= 77
    seen = set()
    for _ in range(20):
        phrase = keys.suggest_passphrase()
        assert len(phrase.split()) == 6 and set(phrase.split()) <= set(words)
        assert keys.passphrase_problem(phrase) is None
        seen.add(phrase)
    assert len(seen) == 20


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120) | st.text(alphabet="0123456789 -/", max_size=30))
def test_any_typed_passphrase_gets_an_answer(text):
    problem = keys.passphrase_problem(text)
    assert problem is None or isinstance(problem, str)
    if text.replace(" ", "").isdigit() and len(text) < keys.MIN_PASSPHRASE:
        assert problem is not None  # the 8-digit passphrase of the attack, and its kin


def test_demo_with_an_eight_digit_passphrase_creates_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MA_DESK_PASSPHRASE", "12345678")
    target = tmp_path / "demo"
    code = main(["demo", "--data-dir", str(target), "--patients", "5"])
    err = capsys.readouterr().err
    assert code == 1 and "at least 12" in err
    assert not store_path(target).exists()


def test_rekey_refuses_a_weak_new_passphrase_and_keeps_the_old(demo_dir, capsys, monkeypatch):
    monkeypatch.setenv("MA_DESK_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("MA_DESK_PASSWORD", DEMO_PASSWORD)
    monkeypatch.setenv("MA_DESK_PASSPHRASE_NEW", "summer2024summer")
    code = main(["rekey", "--data-dir", str(demo_dir), "--user", "admin"])
    assert code == 1 and "guess" in capsys.readouterr().err
    census(demo_dir, passphrase=PASSPHRASE)


# ------------------------------------------------------------------ the terminal prompt
class Terminal:
    """The real ``ma-desk`` on a pseudo-terminal: what a person at a shell sees and types."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become ma-desk, never go on running the tests
            try:
                os.execve(sys.executable, [sys.executable, "-m", "ma_desk", *argv], env)
            finally:
                os._exit(127)
        self.seen = b""

    def expect(self, text: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"waited for {text!r}; saw {self.seen[-500:]!r}"
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                assert chunk, f"ma-desk ended before {text!r}; saw {self.seen[-500:]!r}"
                self.seen += chunk
        return self.seen.decode(errors="replace")

    def type(self, line: str) -> None:
        os.write(self.fd, line.encode() + b"\r")

    def wait(self, timeout: float = 120.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.5)
            if ready:
                with contextlib.suppress(OSError):
                    self.seen += os.read(self.fd, 4096)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
        raise AssertionError(f"ma-desk did not finish; saw {self.seen[-500:]!r}")


def terminal_env() -> dict[str, str]:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    for name in ("MA_DESK_PASSPHRASE", "MA_DESK_PASSPHRASE_NEW", "MA_DESK_RECOVERY_KEY"):
        env.pop(name, None)
    return env


def test_demo_on_a_terminal_offers_a_passphrase_and_takes_it(tmp_path):
    target = tmp_path / "demo"
    term = Terminal(["demo", "--data-dir", str(target), "--patients", "3"], terminal_env())
    screen = term.expect("New passphrase: ")
    suggestion = screen.split("press Enter to use it): ")[1].splitlines()[0].strip()
    assert len(suggestion.split()) == 6 and keys.passphrase_problem(suggestion) is None
    term.type("")  # Enter: take the suggestion
    term.expect("Type it again: ")
    term.type(suggestion)
    assert term.wait() == 0, term.seen[-800:]
    assert "RECOVERY KEY" in term.seen.decode(errors="replace")
    census(target, passphrase=suggestion)


def test_demo_on_a_terminal_refuses_a_weak_passphrase(tmp_path):
    target = tmp_path / "demo"
    term = Terminal(["demo", "--data-dir", str(target), "--patients", "3"], terminal_env())
    term.expect("New passphrase: ")
    term.type("12345678")
    term.expect("Type it again: ")
    term.type("12345678")
    assert term.wait() == 1
    assert "at least 12" in term.seen.decode(errors="replace")
    assert not store_path(target).exists()


def test_demo_on_a_terminal_refuses_two_different_passphrases(tmp_path):
    target = tmp_path / "demo"
    term = Terminal(["demo", "--data-dir", str(target), "--patients", "3"], terminal_env())
    term.expect("New passphrase: ")
    term.type(NEW_PASSPHRASE)
    term.expect("Type it again: ")
    term.type(LATER_PASSPHRASE)
    assert term.wait() == 1
    assert "not the same" in term.seen.decode(errors="replace")
    assert not store_path(target).exists()


def test_recovery_on_a_terminal_asks_for_a_new_passphrase(demo_dir):
    recovery = keys.format_recovery_key(demo_key(demo_dir).raw)
    keyinfo_path(demo_dir).unlink()
    term = Terminal(["check", "--data-dir", str(demo_dir), "--recovery-key", recovery],
                    terminal_env())  # fmt: skip
    term.expect("no keyring to keep the key")
    term.expect("New passphrase: ")
    term.type(NEW_PASSPHRASE)
    term.expect("Type it again: ")
    term.type(NEW_PASSPHRASE)
    assert term.wait() == 0, term.seen[-800:]
    assert "NEW RECOVERY KEY" in term.seen.decode(errors="replace")
    census(demo_dir, passphrase=NEW_PASSPHRASE)


# ------------------------------------------------------------------ the GUI's dialog
def type_and_enter(qtbot, dialog, first: str, second: str) -> None:
    from PySide6.QtCore import Qt

    dialog.passphrase.clear()
    dialog.repeat.clear()
    dialog.passphrase.setFocus()
    qtbot.keyClicks(dialog.passphrase, first)
    qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.repeat, second)
    qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)


def press_suggest(qtbot, dialog) -> str:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QPushButton

    button = dialog.findChild(QPushButton, "passphrase_suggest")
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Space)
    return dialog.suggestion.text()


def test_new_passphrase_dialog_refuses_weak_and_different_then_takes_a_suggestion(qtbot):
    from ma_desk.ui.app import NewPassphraseDialog

    dialog = NewPassphraseDialog("Choose a passphrase for the store.")
    qtbot.addWidget(dialog)
    dialog.show()
    type_and_enter(qtbot, dialog, "12345678", "12345678")
    assert dialog.isVisible() and "at least 12" in dialog.message.text()
    type_and_enter(qtbot, dialog, "password password", "password password")
    assert dialog.isVisible() and "guess" in dialog.message.text()
    type_and_enter(qtbot, dialog, NEW_PASSPHRASE, LATER_PASSPHRASE)
    assert dialog.isVisible() and "differ" in dialog.message.text()
    suggestion = press_suggest(qtbot, dialog)
    assert len(suggestion.split()) == 6 and dialog.passphrase.text() == suggestion
    assert dialog.focusWidget() is dialog.repeat and dialog.repeat.text() == ""
    from PySide6.QtCore import Qt

    qtbot.keyClicks(dialog.repeat, suggestion)
    qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
    assert dialog.result() == dialog.DialogCode.Accepted


def test_first_run_dialog_creates_the_store_under_the_suggested_passphrase(qtbot, tmp_path):
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from ma_desk.ui.app import NewPassphraseDialog, ask_new_passphrase_dialog

    chosen: list[str] = []
    deadline = time.monotonic() + 30

    def drive() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, NewPassphraseDialog):
            if time.monotonic() < deadline:
                QTimer.singleShot(20, drive)
            return
        chosen.append(press_suggest(qtbot, dialog))
        qtbot.keyClicks(dialog.repeat, chosen[0])
        qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)

    QTimer.singleShot(0, drive)
    opened = create_store(tmp_path / "first", ask_new_passphrase=ask_new_passphrase_dialog)
    opened.db.close()
    assert opened.key_source == keys.SOURCE_PASSPHRASE and opened.recovery_key
    census(tmp_path / "first", passphrase=chosen[0])
