"""Connecting a workstation safely: the TLS rule, pinning a self-signed certificate by its
fingerprint, clear refusals, the profile in the data folder and the password in the keyring.

Runs the real CLI against real PostgreSQL servers: the session cluster (TLS with a test CA,
SCRAM) and one of this module's own whose certificate is self-signed, as a small clinic's
server often is.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import make_url

from ma_desk.cli import main
from ma_desk.db import server_profile as sp
from ma_desk.db.server import ServerDatabase, make_server_engine
from ma_desk.db.server_setup import ensure_app_login
from ma_desk.errors import (
    ServerAuthenticationError,
    ServerCertificateError,
    ServerUnavailableError,
    StoreError,
    ValidationError,
)
from tests.pg_cluster import SUPERUSER_PASSWORD, free_port, start_cluster

APP_ROLE = "madesk_app_connect"
APP_PASSWORD = "juniper cobalt thimble orchard"
_names = itertools.count()


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], capture_output=True, check=True)


def self_signed(folder: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for localhost / 127.0.0.1, as a clinic's server may have."""
    key, cert = folder / f"{name}.key", folder / f"{name}.crt"
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3", "-subj",
            "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert))  # fmt: skip
    return key, cert


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    """A cluster of this module serving a self-signed certificate, with a clinic database
    set up by server init and the workstations' account."""
    cluster = start_cluster()
    try:
        key, cert = self_signed(cluster.root / "certs", "selfsigned")
        target_key, target_cert = (
            cluster.root / "certs" / "server.key",
            cluster.root / "certs" / "server.crt",
        )
        target_key.write_bytes(key.read_bytes())
        target_cert.write_bytes(cert.read_bytes())
        cluster.psql("SELECT pg_reload_conf()")
        cluster.psql("CREATE DATABASE clinic")
        engine = make_server_engine(cluster.url("clinic"))
        from ma_desk.db.migrate import upgrade
        from ma_desk.db.server_setup import install_server_objects

        with engine.begin() as conn:
            upgrade(conn)
            install_server_objects(conn)
            ensure_app_login(conn, APP_ROLE, APP_PASSWORD)
        engine.dispose()
        yield cluster
    finally:
        cluster.remove()


def plain_url(cluster, database: str = "clinic", user: str = APP_ROLE, **query: str) -> str:
    """postgresql://USER@127.0.0.1:PORT/DB?... as a person types it (no password)."""
    extra = "&".join(f"{k}={v}" for k, v in query.items())
    return f"postgresql://{user}@127.0.0.1:{cluster.port}/{database}" + (
        f"?{extra}" if extra else ""
    )


@pytest.fixture
def workstation(monkeypatch, tmp_path) -> Path:
    folder = tmp_path / "workstation"
    monkeypatch.setenv("MA_DESK_DATA_DIR", str(folder))
    for name in (
        "MA_DESK_DATABASE_URL",
        "MA_DESK_DATABASE_PASSWORD",
        "MA_DESK_USER",
        "MA_DESK_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)
    return folder


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def server_fingerprint(cluster) -> str:
    return sp.fingerprint(sp.fetch_certificate("127.0.0.1", cluster.port, "test"))


# ------------------------------------------------------------------ the TLS rule
@pytest.mark.parametrize(
    "url",
    [
        "postgresql://madesk@192.0.2.10/clinic",
        "postgresql://madesk@192.0.2.10/clinic?sslmode=require",
        "postgresql://madesk@192.0.2.10/clinic?sslmode=prefer",
        "postgresql://madesk@server.clinic.lan:5433/clinic?sslmode=disable",
        "postgresql://madesk@[2001:db8::5]/clinic?sslmode=require",
        "postgresql://madesk@/clinic?host=localhost,192.0.2.10",
    ],
)
def test_a_server_on_another_computer_without_verified_tls_is_refused_before_connecting(
    url, workstation, capsys
):
    with pytest.raises(StoreError, match="only over TLS") as refused:
        make_server_engine(url)
    assert "Nothing was sent" in str(refused.value)
    # Through the CLI too; a connection attempt to TEST-NET would say "cannot be reached".
    code, _, err = run(capsys, "check", "--database-url", url)
    assert code == 1 and "only over TLS" in err and "cannot be reached" not in err


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://madesk@/clinic",
        "postgresql://madesk@/clinic?host=/var/run/postgresql",
        "postgresql://madesk@localhost/clinic",
        "postgresql://madesk@127.0.0.1:5433/clinic?sslmode=disable",
        "postgresql://madesk@[::1]/clinic",
        "postgresql://madesk@db.clinic.lan/clinic?sslmode=verify-full&sslrootcert=/etc/ca.crt",
        "postgresql://madesk@192.0.2.10/clinic?sslmode=verify-ca&sslrootcert=/x/server-cert.pem",
        "postgresql://madesk@db.clinic.lan/clinic?sslmode=verify-full&sslrootcert=system",
        "postgresql://madesk@192.0.2.10/clinic?sslmode=verify-full",  # libpq's default CA file
    ],
)
def test_local_servers_and_verified_tls_are_allowed(url):
    assert sp.transport_problem(make_url(url)) is None


_hosts = st.one_of(
    st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z]{2,6}){0,2}", fullmatch=True),
    st.ip_addresses(v=4).map(str),
)
_modes = st.sampled_from(
    [None, "disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
)


@given(host=_hosts, mode=_modes, root=st.booleans())
def test_any_typed_address_is_allowed_only_local_or_verified(host, mode, root):
    query = "&".join(q for q in (f"sslmode={mode}" if mode else "",
                                 "sslrootcert=/etc/ca.crt" if root else "") if q)  # fmt: skip
    url = make_url(f"postgresql://madesk@{host}/clinic" + (f"?{query}" if query else ""))
    verified = mode in sp.VERIFYING_MODES
    assert (sp.transport_problem(url) is None) == (host in sp.LOCAL_HOSTS or verified)


def test_verified_tls_with_the_clinic_ca_connects_with_scram(pg_cluster):
    url = pg_cluster.url("postgres", password=SUPERUSER_PASSWORD, tls=True)
    db = ServerDatabase(make_server_engine(url), url)
    try:
        with db.engine.connect() as conn:
            row = conn.execute(
                text("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            ).one()
            dsn = conn.connection.driver_connection.info.dsn
        assert row[0] is True and row[1].startswith("TLSv1.")
        assert "require_auth=scram-sha-256" in dsn and SUPERUSER_PASSWORD not in dsn
    finally:
        db.close()


def test_a_certificate_from_another_ca_is_refused(pg_cluster, tmp_path, workstation, capsys,
                                                  monkeypatch):  # fmt: skip
    _key, other_ca = self_signed(tmp_path, "other-ca")
    url = plain_url(
        pg_cluster, "postgres", "postgres", sslmode="verify-full", sslrootcert=str(other_ca)
    )
    db = ServerDatabase(make_server_engine(url, password=SUPERUSER_PASSWORD), url)
    try:
        with pytest.raises(ServerCertificateError, match="did not prove its identity"):
            db.ping()
    finally:
        db.close()
    monkeypatch.setenv("MA_DESK_DATABASE_PASSWORD", SUPERUSER_PASSWORD)
    code, _, err = run(capsys, "check", "--database-url", url)
    assert code == 1 and "did not prove its identity" in err


# ------------------------------------------------------------------ clear refusals
def refusal(url: str, password: str | None) -> Exception:
    db = ServerDatabase(make_server_engine(url, password=password), url)
    try:
        with pytest.raises(StoreError) as raised:
            db.ping()
        return raised.value
    finally:
        db.close()


def test_each_refusal_says_what_is_wrong(pg_cluster):
    ca = str(pg_cluster.ca_file)
    tls = {"sslmode": "verify-full", "sslrootcert": ca}
    wrong_password = refusal(plain_url(pg_cluster, "postgres", "postgres", **tls), "not it at all")
    assert isinstance(wrong_password, ServerAuthenticationError)
    assert "refused the user name or password" in str(wrong_password)
    no_password = refusal(plain_url(pg_cluster, "postgres", "postgres", **tls), None)
    assert isinstance(
        no_password, ServerAuthenticationError
    ) and "needs the database password" in str(no_password)
    missing = refusal(
        plain_url(pg_cluster, "no_such_clinic", "postgres", **tls), SUPERUSER_PASSWORD
    )
    assert "no such database" in str(missing)
    no_tls = refusal(
        plain_url(pg_cluster, "postgres", "postgres", sslmode="disable"), SUPERUSER_PASSWORD
    )
    assert "only accepts connections over TLS" in str(no_tls)
    down = refusal(f"postgresql://madesk@127.0.0.1:{free_port()}/clinic", "x")
    assert isinstance(down, ServerUnavailableError) and "cannot be reached" in str(down)


def test_verify_full_without_a_ca_file_is_refused_not_unverified(pg_cluster):
    assert not (Path.home() / ".postgresql" / "root.crt").exists()  # libpq's default CA file
    found = refusal(plain_url(pg_cluster, "postgres", "postgres", sslmode="verify-full"),
                    SUPERUSER_PASSWORD)  # fmt: skip
    assert isinstance(found, ServerCertificateError) and "no CA certificate" in str(found)


def test_a_server_asking_for_a_weaker_sign_in_than_scram_is_refused(own_server):
    hba = own_server.root / "data" / "pg_hba.conf"
    original = hba.read_text()
    own_server.psql("CREATE ROLE plainpw LOGIN PASSWORD 'hazel ember quartz violet'")
    hba.write_text("hostssl all plainpw 127.0.0.1/32 password\n" + original)
    own_server.psql("SELECT pg_reload_conf()")
    try:
        found = refusal(plain_url(own_server, "clinic", "plainpw", sslmode="require"),
                        "hazel ember quartz violet")  # fmt: skip
        assert isinstance(found, ServerAuthenticationError) and "SCRAM-SHA-256" in str(found)
    finally:
        hba.write_text(original)
        own_server.psql("SELECT pg_reload_conf()")
        own_server.psql("DROP ROLE plainpw")


# ------------------------------------------------------------------ pinning (server trust)
def test_trust_pins_the_right_fingerprint_then_connect_and_every_command_use_it(
    own_server, workstation, memory_keyring, capsys, monkeypatch
):
    shown = server_fingerprint(own_server)
    typed = "sha256 Fingerprint=" + shown.lower()  # as openssl prints it, any case
    code, out, _ = run(capsys, "server", "trust", "--database-url", plain_url(own_server),
                       "--fingerprint", typed)  # fmt: skip
    assert code == 0 and shown in out
    assert sp.pinned_fingerprint(workstation / sp.PINNED_CERTIFICATE_FILE) == shown
    monkeypatch.setenv("MA_DESK_DATABASE_PASSWORD", APP_PASSWORD)
    code, out, _ = run(capsys, "server", "connect", "--database-url", plain_url(own_server))
    assert code == 0 and "keyring" in out and "WARNING" not in out
    profile = json.loads((workstation / sp.PROFILE_FILE).read_text())
    assert profile["tls"] == "verify-ca" and profile["fingerprint"] == shown
    assert APP_PASSWORD not in (workstation / sp.PROFILE_FILE).read_text()
    monkeypatch.delenv("MA_DESK_DATABASE_PASSWORD")
    code, out, _ = run(capsys, "check")  # no URL, no password: the profile and the keyring
    assert code == 0 and "TLS" in out and "the workstations'" in out


def test_a_wrong_fingerprint_pins_nothing(own_server, workstation, capsys):
    wrong = "AB:" * 31 + "AB"
    code, _, err = run(capsys, "server", "trust", "--database-url", plain_url(own_server),
                       "--fingerprint", wrong)  # fmt: skip
    assert code == 1 and "not the fingerprint" in err
    assert not (workstation / sp.PROFILE_FILE).exists()
    assert not (workstation / sp.PINNED_CERTIFICATE_FILE).exists()


def test_trust_off_a_terminal_without_a_fingerprint_pins_nothing(own_server, workstation, capsys):
    code, _, err = run(capsys, "server", "trust", "--database-url", plain_url(own_server))
    assert code == 1 and "Not confirmed" in err
    assert not (workstation / sp.PINNED_CERTIFICATE_FILE).exists()


def test_a_ca_issued_certificate_is_not_pinned(pg_cluster, workstation, capsys):
    shown = server_fingerprint(pg_cluster)
    code, _, err = run(capsys, "server", "trust", "--database-url", plain_url(pg_cluster, "postgres"),
                       "--fingerprint", shown)  # fmt: skip
    assert code == 1 and "certificate authority" in err
    assert not (workstation / sp.PINNED_CERTIFICATE_FILE).exists()


def test_an_impostor_with_another_certificate_is_refused(own_server, pg_cluster, workstation, capsys,
                                                         monkeypatch):  # fmt: skip
    """The pin is of the clinic's server; another server on its address is refused."""
    shown = server_fingerprint(own_server)
    assert run(capsys, "server", "trust", "--database-url", plain_url(own_server),
               "--fingerprint", shown)[0] == 0  # fmt: skip
    profile = sp.read_profile(workstation)
    moved = profile.url.replace(f":{own_server.port}/", f":{pg_cluster.port}/")
    sp.write_profile(workstation, sp.ServerProfile(moved, profile.tls, "", profile.fingerprint))
    monkeypatch.setenv("MA_DESK_DATABASE_PASSWORD", SUPERUSER_PASSWORD)
    code, _, err = run(capsys, "check")
    assert code == 1 and "did not prove its identity" in err


def test_a_replaced_pinned_certificate_file_is_refused(own_server, workstation, tmp_path, capsys):
    shown = server_fingerprint(own_server)
    assert run(capsys, "server", "trust", "--database-url", plain_url(own_server),
               "--fingerprint", shown)[0] == 0  # fmt: skip
    _key, other = self_signed(tmp_path, "attacker")
    (workstation / sp.PINNED_CERTIFICATE_FILE).write_bytes(other.read_bytes())
    code, _, err = run(capsys, "check")
    assert code == 1 and "not the one this workstation confirmed" in err


@given(st.text(max_size=120))
def test_any_typed_fingerprint_is_read_or_refused_cleanly(typed):
    try:
        found = sp.normalise_fingerprint(typed)
    except ValidationError as exc:
        assert "64 hexadecimal digits" in str(exc)
    else:
        assert len(found) == 95 and found.count(":") == 31


@pytest.mark.parametrize(("digits", "ok"), [(63, False), (64, True), (65, False)])
def test_fingerprint_length_boundary(digits, ok):
    typed = "A" * digits
    if ok:
        assert sp.normalise_fingerprint(typed) == ":".join(["AA"] * 32)
    else:
        with pytest.raises(ValidationError):
            sp.normalise_fingerprint(typed)


# ------------------------------------------------------------------ the profile and the keyring
def test_connect_then_disconnect_round_trip_with_the_keyring(pg_cluster, pg_templates, workstation, memory_keyring,
                                                              capsys, monkeypatch):  # fmt: skip
    url = plain_url(pg_cluster, "postgres", "postgres", sslmode="verify-full",
                    sslrootcert=str(pg_cluster.ca_file))  # fmt: skip
    monkeypatch.setenv("MA_DESK_DATABASE_PASSWORD", SUPERUSER_PASSWORD)
    code, out, _ = run(capsys, "server", "connect", "--database-url", url)
    assert code == 1  # the postgres database has no clinic: nothing kept
    assert not (workstation / sp.PROFILE_FILE).exists() and not memory_keyring.entries
    name = f"conn{next(_names)}"
    pg_cluster.psql(f"CREATE DATABASE {name} TEMPLATE {pg_templates['empty']}")
    url = url.replace("/postgres?", f"/{name}?")
    code, out, _ = run(capsys, "server", "connect", "--database-url", url)
    assert code == 0 and "WARNING: this is the owner's" in out
    assert list(memory_keyring.entries.values()) == [SUPERUSER_PASSWORD]
    text_ = (workstation / sp.PROFILE_FILE).read_text()
    assert SUPERUSER_PASSWORD not in text_ and str(pg_cluster.ca_file) in text_
    monkeypatch.delenv("MA_DESK_DATABASE_PASSWORD")
    assert run(capsys, "check")[0] == 0
    code, out, _ = run(capsys, "server", "disconnect")
    assert code == 0 and "server.json" in out
    assert not memory_keyring.entries and not (workstation / sp.PROFILE_FILE).exists()
    code, _, err = run(capsys, "check")  # back to the store file, which is not there
    assert code == 1 and "clinic server" not in err
    assert run(capsys, "server", "disconnect")[1].endswith("nothing to do.\n")
    pg_cluster.psql(f"DROP DATABASE {name} WITH (FORCE)")


def test_without_a_keyring_the_password_is_asked_or_taken_from_the_environment(
    pg_cluster, pg_templates, workstation, capsys, monkeypatch
):
    name = f"conn{next(_names)}"
    pg_cluster.psql(f"CREATE DATABASE {name} TEMPLATE {pg_templates['empty']}")
    url = plain_url(
        pg_cluster, name, "postgres", sslmode="verify-full", sslrootcert=str(pg_cluster.ca_file)
    )
    monkeypatch.setenv("MA_DESK_DATABASE_PASSWORD", SUPERUSER_PASSWORD)
    code, out, _ = run(capsys, "server", "connect", "--database-url", url)
    assert code == 0 and "No keyring here" in out
    monkeypatch.delenv("MA_DESK_DATABASE_PASSWORD")
    code, _, err = run(capsys, "check")
    assert code == 1 and "needs the database password" in err
    monkeypatch.setenv("MA_DESK_DATABASE_PASSWORD", SUPERUSER_PASSWORD)
    assert run(capsys, "check")[0] == 0
    pg_cluster.psql(f"DROP DATABASE {name} WITH (FORCE)")


def test_a_password_in_a_command_line_address_is_refused(workstation, capsys):
    code, _, err = run(
        capsys, "check", "--database-url", "postgresql://madesk:secret@localhost/clinic"
    )
    assert code == 1 and "Leave the password out" in err and "secret" not in err


def test_a_damaged_profile_is_named_not_ignored(workstation, capsys):
    workstation.mkdir(parents=True)
    (workstation / sp.PROFILE_FILE).write_text("{not json")
    code, _, err = run(capsys, "check")
    assert code == 1 and "server.json" in err and "server connect" in err


def test_the_password_is_never_on_a_command_line_in_the_profile_or_the_log(
    own_server, workstation, tmp_path
):
    """The real ma-desk program, as a workstation runs it: ps, the profile, the log."""
    program = Path(sys.executable).with_name("ma-desk")
    shown = server_fingerprint(own_server)
    env = {
        **os.environ,
        "MA_DESK_DATA_DIR": str(workstation),
        "MA_DESK_DATABASE_PASSWORD": APP_PASSWORD,
    }
    url = plain_url(own_server)
    for argv in (
        ["server", "trust", "--database-url", url, "--fingerprint", shown],
        ["server", "connect", "--database-url", url],
        ["check"],
    ):
        command_line = [str(program), "--debug", *argv]  # what ps shows
        done = subprocess.run(command_line, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert not any(APP_PASSWORD in arg for arg in command_line)
        assert APP_PASSWORD not in done.stdout + done.stderr  # --debug logging included
    for path in workstation.rglob("*"):
        if path.is_file():
            assert APP_PASSWORD.encode() not in path.read_bytes(), path


# ------------------------------------------------------------------ the app's server branch
def drive_password_dialogs(qtbot, answers: list[str | None], seen: list[str]) -> None:
    """Type each answer into the next password dialog and press Enter (None: Escape)."""
    import time

    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from ma_desk.ui.app import DatabasePasswordDialog

    deadline = time.monotonic() + 60
    handled: list[object] = []

    def drive() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, DatabasePasswordDialog) or dialog in handled:
            if time.monotonic() < deadline and answers:
                QTimer.singleShot(20, drive)
            return
        handled.append(dialog)
        seen.append(dialog.message.text())
        answer = answers.pop(0)
        if answer is None:
            qtbot.keyClick(dialog.password, Qt.Key.Key_Escape)
        else:
            qtbot.keyClicks(dialog.password, answer)
            qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
        if answers:
            QTimer.singleShot(20, drive)

    QTimer.singleShot(0, drive)


def test_the_app_asks_for_the_server_password_again_after_a_refusal(
    qtbot, pg_database, pg_cluster, workstation
):
    import argparse

    from ma_desk.ui.app import open_or_create, store_label

    name = pg_database("empty").engine.url.database
    url = plain_url(pg_cluster, name, "postgres", sslmode="verify-full",
                    sslrootcert=str(pg_cluster.ca_file))  # fmt: skip
    seen: list[str] = []
    drive_password_dialogs(qtbot, ["not the password", SUPERUSER_PASSWORD], seen)
    args = argparse.Namespace(data_dir=str(workstation), database_url=url, recovery_key=None)
    opened = open_or_create(args)
    try:
        assert opened.db.kind == "postgresql" and "Clinic server" in store_label(opened)
    finally:
        opened.db.close()
    assert seen[0] == "" and "refused the user name or password" in seen[1]


def test_cancelling_the_server_password_quits_quietly(qtbot, pg_cluster, workstation):
    import argparse

    from ma_desk.ui.app import open_or_create

    url = plain_url(pg_cluster, "postgres", "postgres", sslmode="verify-full",
                    sslrootcert=str(pg_cluster.ca_file))  # fmt: skip
    drive_password_dialogs(qtbot, [None], [])
    with pytest.raises(SystemExit) as raised:
        open_or_create(argparse.Namespace(data_dir=str(workstation), database_url=url,
                                          recovery_key=None))  # fmt: skip
    assert raised.value.code == 0
