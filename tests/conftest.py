"""Shared fixtures: offscreen Qt, no real keyring, temporary encrypted stores, a fixed clock."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
os.environ.pop("MA_DESK_PASSPHRASE", None)
os.environ.pop("MA_DESK_RECOVERY_KEY", None)
os.environ.pop("MA_DESK_DATA_DIR", None)
# The shadow audit witness lives in the user state folder: keep the suite's out of $HOME.
os.environ["MA_DESK_STATE_DIR"] = __import__("tempfile").mkdtemp(prefix="ma-desk-state-")

import datetime as dt  # noqa: E402
import shutil  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import keyring  # noqa: E402
import pytest  # noqa: E402
from keyring.backend import KeyringBackend  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from ma_desk.actor import Actor  # noqa: E402
from ma_desk.clock import FixedClock  # noqa: E402
from ma_desk.db.store import OpenedStore, create_store, open_store  # noqa: E402
from ma_desk.services import Services  # noqa: E402

PASSPHRASE = "orchid lantern pebble canoe thistle"
# Monday 23 Nov 2026, mid-morning: the demo day has patients in every flow state.
NOW = dt.datetime(2026, 11, 23, 10, 30)
DEMO_PATIENTS = 300
DEMO_SEED = 11


class MemoryKeyring(KeyringBackend):
    """A working keyring that lives only in this process."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


@pytest.fixture(autouse=True)
def no_keyring() -> Iterator[None]:
    """Every test starts with no usable keyring, whatever an earlier test installed."""
    from keyring.backends import null

    previous = keyring.get_keyring()
    keyring.set_keyring(null.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "clinic"


@pytest.fixture
def store(data_dir: Path) -> Iterator[OpenedStore]:
    """A new, empty store protected by a passphrase (no keyring in tests)."""
    opened = create_store(data_dir, passphrase=PASSPHRASE)
    try:
        yield opened
    finally:
        opened.db.close()


# ------------------------------------------------------------------ store kinds (issue 13)
# A test module marked ``pytest.mark.both_stores`` runs each test that uses ``services`` or
# ``demo_services`` twice: on an SQLCipher file and on a real PostgreSQL server started for
# the session (tests/pg_cluster.py). ``pytest.mark.sqlcipher_only`` keeps one test on files.
STORE_KINDS = ("sqlcipher", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    definition = metafunc.definition
    if (
        "store_kind" in metafunc.fixturenames
        and definition.get_closest_marker("both_stores")
        and not definition.get_closest_marker("sqlcipher_only")
    ):
        metafunc.parametrize("store_kind", STORE_KINDS, indirect=True)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_stores: run on SQLCipher and on PostgreSQL")
    config.addinivalue_line("markers", "sqlcipher_only: needs the store file itself")


@pytest.fixture
def store_kind(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "sqlcipher")


@pytest.fixture(scope="session")
def pg_cluster():
    """One throwaway PostgreSQL server for the whole run, stopped at the end."""
    from tests.pg_cluster import ClusterUnavailable, start_cluster

    try:
        cluster = start_cluster()
    except ClusterUnavailable as exc:
        pytest.fail(f"PostgreSQL is needed for the server-mode tests: {exc}")
    try:
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture(scope="session")
def pg_templates(pg_cluster) -> dict[str, str]:
    """Template databases: an empty clinic and the demo clinic, each built once."""
    from ma_desk.db.migrate import upgrade
    from ma_desk.db.server import ServerDatabase, make_server_engine
    from ma_desk.db.server_setup import install_server_objects
    from ma_desk.demo import build_demo

    names = {"empty": "tmpl_empty", "demo": "tmpl_demo"}
    for kind, name in names.items():
        pg_cluster.psql(f"CREATE DATABASE {name}")
        engine = make_server_engine(pg_cluster.url(name))
        with engine.begin() as conn:
            upgrade(conn)
            install_server_objects(conn)
        if kind == "demo":
            db = ServerDatabase(engine, pg_cluster.url(name))
            build_demo(Services(db, FixedClock(NOW), actor=Actor.system()),
                       patients=DEMO_PATIENTS, seed=DEMO_SEED)  # fmt: skip
        engine.dispose()
        pg_cluster.psql(f"ALTER DATABASE {name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false")
    return names


@pytest.fixture
def pg_database(pg_cluster, pg_templates, request):
    """``pg_database("demo")``: a fresh copy of a template as a ServerDatabase, dropped after."""
    from ma_desk.db.server import ServerDatabase, make_server_engine

    made: list[tuple[str, ServerDatabase]] = []

    def make(template: str = "empty"):
        name = f"t{len(made)}_{abs(hash(request.node.nodeid)) % 10**10}"
        pg_cluster.psql(f"CREATE DATABASE {name} TEMPLATE {pg_templates[template]}")
        url = pg_cluster.url(name)
        db = ServerDatabase(make_server_engine(url), url)
        made.append((name, db))
        return db

    yield make
    for name, db in made:
        db.close()
        pg_cluster.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def services(store_kind: str, clock: FixedClock, request: pytest.FixtureRequest) -> Services:
    """Services on an empty store, acting as the system (sign-in is tested separately)."""
    if store_kind == "postgresql":
        db = request.getfixturevalue("pg_database")("empty")
    else:
        db = request.getfixturevalue("store").db
    return Services(db, clock, actor=Actor.system())


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small demo clinic built per test session; tests get copies of its files."""
    from ma_desk.demo import build_demo

    folder = tmp_path_factory.mktemp("demo-template")
    opened = create_store(folder, passphrase=PASSPHRASE)
    try:
        build_demo(Services(opened.db, FixedClock(NOW), actor=Actor.system()),
                   patients=DEMO_PATIENTS, seed=DEMO_SEED)  # fmt: skip
        opened.db.checkpoint()
    finally:
        opened.db.close()
    return folder


@pytest.fixture
def demo_dir(demo_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "demo"
    shutil.copytree(demo_template, target)
    return target


@pytest.fixture
def demo_store(demo_dir: Path) -> Iterator[OpenedStore]:
    opened = open_store(demo_dir, passphrase=PASSPHRASE)
    try:
        yield opened
    finally:
        opened.db.close()


@pytest.fixture
def demo_services(store_kind: str, clock: FixedClock, request: pytest.FixtureRequest) -> Services:
    """The demo clinic, acting as the system until a test signs in (``sign_in_as``)."""
    if store_kind == "postgresql":
        db = request.getfixturevalue("pg_database")("demo")
    else:
        db = request.getfixturevalue("demo_store").db
    return Services(db, clock, actor=Actor.system())


# ------------------------------------------------------------------ security (issue 7)


@pytest.fixture(scope="session", autouse=True)
def suite_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every log record of the whole test run, at DEBUG, into one file (checked for PHI)."""
    import logging

    path = tmp_path_factory.getbasetemp() / "suite.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
        handler.close()


@pytest.fixture
def sign_in_as(demo_services: Services):
    """Sign ``demo_services`` in as a demo account: admin, ma, frontdesk or provider."""
    from ma_desk.security.demo_accounts import DEMO_PASSWORD

    def sign_in(username: str):
        return demo_services.accounts.sign_in(username, DEMO_PASSWORD)

    return sign_in


@pytest.fixture(autouse=True)
def own_settings(tmp_path_factory) -> Iterator[None]:
    """QSettings (printer choices, calibration) in a folder of each test's own: no test
    reads or writes the user's settings, nor sees another test's."""
    before = QSettings.defaultFormat()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    folder = tmp_path_factory.mktemp("qsettings")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield
    QSettings.setDefaultFormat(before)


@pytest.fixture
def computer_in_new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This computer's zone is New York for the test (TZ and the C library's idea of it),
    so a test can tell the clinic's zone from the computer's."""
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def styled(qapp):
    """The clinic stylesheet, as the app runs (it changes sizes), removed afterwards."""
    from ma_desk.ui.app import load_stylesheet

    before = qapp.styleSheet()
    load_stylesheet(qapp)
    yield
    qapp.setStyleSheet(before)
