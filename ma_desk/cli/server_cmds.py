"""``ma-desk server ...``: set up the clinic's PostgreSQL server and connect workstations.

``server init`` is run once (and after each MA Desk upgrade) by whoever looks
after the server, with the database owner's or a superuser's account: it
creates or upgrades the schema, the append-only trigger of the audit trail,
and the workstations' own account, which cannot change the schema. The same
Alembic migrations as a store file's run here.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from ma_desk.cli.common import ask_database_password_on_tty, command_line_url
from ma_desk.errors import StoreReadOnlyError, ValidationError
from ma_desk.paths import resolve_data_dir

APP_ROLE_PASSWORD_ENV = "MA_DESK_APP_ROLE_PASSWORD"


def register(sub, parents) -> None:
    server = sub.add_parser("server", parents=parents,
                            help="set up the clinic's PostgreSQL server (server mode)")  # fmt: skip
    actions = server.add_subparsers(dest="server_command", metavar="ACTION", required=True)
    init = actions.add_parser(
        "init", parents=parents, help="create or upgrade the clinic's schema and roles",
        description="Create the clinic's tables on an empty PostgreSQL database, or upgrade "
        "them to this MA Desk's schema, make audit entries append-only and create the "
        "workstations' account, using the database owner's or a superuser's account given "
        "with --database-url (or MA_DESK_DATABASE_URL). Running it again changes nothing.",
    )  # fmt: skip
    init.add_argument("--app-role", metavar="NAME", default=None,
                      help="the workstations' database account (default: madesk_app); its "
                      f"password is asked twice, or taken from {APP_ROLE_PASSWORD_ENV}")  # fmt: skip
    init.add_argument("--new-app-password", action="store_true",
                      help="set a new password for an existing workstations' account")  # fmt: skip
    init.set_defaults(func=cmd_server_init)
    trust = actions.add_parser(
        "trust", parents=parents, help="pin the server's own (self-signed) TLS certificate",
        description="Read the certificate the server shows, print its SHA-256 fingerprint to "
        "compare with the one whoever looks after the server reads there (openssl x509 "
        "-noout -fingerprint -sha256 -in server.crt), and on confirmation keep it in this "
        "workstation's data folder: every connection then verifies the server with it.",
    )  # fmt: skip
    trust.add_argument("--fingerprint", metavar="SHA256",
                       help="the fingerprint read on the server (for automation; otherwise "
                       "you are asked to confirm)")  # fmt: skip
    trust.set_defaults(func=cmd_server_trust)
    connect = actions.add_parser(
        "connect", parents=parents, help="connect this workstation to the clinic server",
        description="Test the connection, keep the address (never the password) in the data "
        "folder's server.json and the password in the OS keyring; every command and the app "
        "then use the server. The password is asked for, or taken from "
        "MA_DESK_DATABASE_PASSWORD.",
    )  # fmt: skip
    connect.set_defaults(func=cmd_server_connect)
    disconnect = actions.add_parser(
        "disconnect", parents=parents, help="forget the clinic server on this workstation",
        description="Remove server.json, the pinned certificate and the keyring entry; the "
        "workstation goes back to its own store file. Nothing on the server changes.",
    )  # fmt: skip
    disconnect.set_defaults(func=cmd_server_disconnect)


def cmd_server_init(args: argparse.Namespace) -> int:
    from ma_desk.db.server import (
        ServerDatabase,
        database_url,
        make_server_engine,
        server_password,
    )
    from ma_desk.db.server_setup import DEFAULT_APP_ROLE, app_role_exists, role_name_problem

    url = database_url(command_line_url(args))
    if not url:
        raise ValidationError("Give the server's address with --database-url postgresql://...")
    role = args.app_role or DEFAULT_APP_ROLE
    problem = role_name_problem(role)
    if problem:
        raise ValidationError(problem, field="app_role")
    engine = make_server_engine(url, password=server_password(url, ask_database_password_on_tty))
    db = ServerDatabase(engine, url)
    try:
        with engine.connect() as conn:
            exists = app_role_exists(conn, role)
        password = None
        if not exists or args.new_app_password:
            password = _new_app_password(role, extra_words=[role, db.where])
        try:
            lines, healthy = _initialise(db, role, password)
        except StoreReadOnlyError as exc:
            raise StoreReadOnlyError(
                f"The account {db.where.split('@')[0]} may not set up the clinic server: "
                "server init needs the database owner's account with the CREATEROLE right, "
                "or a superuser (docs/server.md, section 4). Nothing was changed."
            ) from exc
    finally:
        db.close()
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    return 0 if healthy else 1


def _initialise(db, role: str, password: str | None) -> tuple[list[str], bool]:
    """Schema, server objects and the login in one transaction; the lines to print."""
    from ma_desk.db.migrate import SCHEMA_HEAD, SCHEMA_REVISIONS, current_revision, upgrade
    from ma_desk.db.server_setup import (
        ensure_app_login,
        guard_problems,
        install_server_objects,
        server_state,
    )
    from ma_desk.errors import StoreTooNewError

    with db.engine.begin() as conn:
        before = current_revision(conn)
        if before not in (None, "") and before not in SCHEMA_REVISIONS:
            raise StoreTooNewError(
                f"The clinic server {db.where} was set up by a newer MA Desk (schema "
                f"{before}); this one will not touch it."
            )
        state_before = server_state(conn, role)
        if before != SCHEMA_HEAD:
            upgrade(conn)
        install_server_objects(conn)
        login = ensure_app_login(conn, role, password)
        changed = before != SCHEMA_HEAD or login != "unchanged"
        changed = changed or server_state(conn, role) != state_before
        guards = [str(p) for p in guard_problems(conn)]
    schema = "already at" if before == SCHEMA_HEAD else f"from {before or 'empty'} to"
    lines = [
        f"The clinic server {db.where} is ready: schema {schema} {SCHEMA_HEAD}.",
        f"Workstations' account {role}: {_LOGIN_SAID[login]}",
        "Audit entries are append-only and the workstations' account cannot change the schema.",
    ]
    if not changed:
        lines.append("Nothing changed: everything was already in place.")
    lines += [f"WARNING: {problem}." for problem in guards]
    if guards:
        lines.append(
            "The audit trail is not protected as it should be: remove the grants "
            "named above on the server, then run ma-desk server init again."
        )
    return lines, not guards


_LOGIN_SAID = {
    "created": "created. Connect each workstation with: ma-desk server connect "
    "--database-url postgresql://ACCOUNT@SERVER/DATABASE",
    "password changed": "new password set; connect each workstation again "
    "(ma-desk server connect).",
    "unchanged": "already there, password unchanged (--new-app-password sets a new one).",
}


def _new_app_password(role: str, extra_words: list[str]) -> str:
    """MA_DESK_APP_ROLE_PASSWORD, or typed twice on a terminal; checked for strength."""
    from ma_desk.db.server_setup import check_app_password

    password = os.environ.get(APP_ROLE_PASSWORD_ENV)
    if not password:
        if not sys.stdin or not sys.stdin.isatty():
            raise ValidationError(
                f"The workstations' account {role} needs a password: run this on a terminal, "
                f"or set {APP_ROLE_PASSWORD_ENV}. Nothing was changed.",
                field="password",
            )
        password = getpass.getpass(f"New password for the workstations' account {role}: ")
        if getpass.getpass("Type it again: ") != password:
            raise ValidationError(
                "The two passwords were not the same; nothing was changed. Try again.",
                field="password",
            )
    check_app_password(password, extra_words)
    return password


# ------------------------------------------------------------------ a workstation's connection
def _given_url(args: argparse.Namespace) -> str:
    from ma_desk.db.server import database_url

    url = database_url(command_line_url(args))
    if not url:
        raise ValidationError(
            "Give the server's address with --database-url postgresql://ACCOUNT@SERVER/DATABASE"
        )
    return url


def cmd_server_trust(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from ma_desk.db import server_profile as sp
    from ma_desk.db.server import describe_url, normalise_url
    from ma_desk.errors import ServerCertificateError, StoreError

    url = normalise_url(_given_url(args))
    where = describe_url(url)
    host, port = sp.server_address(make_url(url))
    der = sp.fetch_certificate(host, port, where)
    shown = sp.fingerprint(der)
    sys.stdout.write(f"The clinic server {host}:{port} shows a certificate with the SHA-256 "
                     f"fingerprint\n  {shown}\n")  # fmt: skip
    if args.fingerprint is not None:
        if sp.normalise_fingerprint(args.fingerprint) != shown:
            raise ServerCertificateError(
                f"That is not the fingerprint the server at {host}:{port} shows: something "
                "on the network may be posing as the server. Nothing was pinned; ask whoever "
                "looks after the server."
            )
    elif not _confirmed_on_tty("Is it the same as the one read on the server? Type yes: "):
        raise ValidationError(
            "Not confirmed: nothing was pinned. Compare the fingerprint with the server's "
            "(or give it with --fingerprint).",
            field="fingerprint",
        )
    if not sp.pinned_certificate_verifies(host, port, der):
        raise StoreError(
            f"The certificate of {host}:{port} is issued by a certificate authority, not "
            "self-signed, so it cannot be pinned: ask for that CA's certificate and use "
            "?sslmode=verify-full&sslrootcert=CA.crt in the address. Nothing was pinned."
        )
    data_dir = resolve_data_dir(args.data_dir)
    path = sp.pin(data_dir, der)
    sp.write_profile(data_dir, sp.profile_for(url, pinned=shown))
    sys.stdout.write(f"Pinned in {path}. Next: ma-desk server connect --database-url "
                     f"{make_url(url).set(drivername='postgresql').render_as_string()}\n")  # fmt: skip
    return 0


def _confirmed_on_tty(prompt: str) -> bool:
    if not sys.stdin or not sys.stdin.isatty():
        return False
    return input(prompt).strip().lower() in ("y", "yes")


def cmd_server_connect(args: argparse.Namespace) -> int:
    from ma_desk.db import server_profile as sp
    from ma_desk.db.server import DATABASE_PASSWORD_ENV, open_server
    from ma_desk.db.server_setup import connected_as_privileged

    data_dir = resolve_data_dir(args.data_dir)
    url, pinned = sp.with_pin(_given_url(args), data_dir)
    password = os.environ.get(DATABASE_PASSWORD_ENV) or ask_database_password_on_tty(
        "Password of the workstations' database account"
    )
    opened = open_server(url, data_dir, password=password)
    try:
        with opened.db.engine.connect() as conn:
            privileged = connected_as_privileged(conn)
        where = opened.db.where
    finally:
        opened.db.close()
    sp.write_profile(data_dir, sp.profile_for(url, pinned=pinned))
    kept = password is not None and sp.remember_password(data_dir, password)
    lines = [
        f"Connected to the clinic server {where}; every command and the app on this "
        f"workstation now use it (settings in {sp.profile_path(data_dir)}).",
        "The password is kept in this computer's keyring." if kept else
        "No keyring here: the password is asked for at each start (or set "
        f"{DATABASE_PASSWORD_ENV}).",
    ]  # fmt: skip
    if privileged:
        lines.append("WARNING: this is the owner's or a superuser's account; workstations "
                     "should use the workstations' account (ma-desk server init --app-role).")  # fmt: skip
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    return 0


def cmd_server_disconnect(args: argparse.Namespace) -> int:
    from ma_desk.db import server_profile as sp

    data_dir = resolve_data_dir(args.data_dir)
    removed = sp.remove_profile(data_dir)
    if removed:
        sys.stdout.write(f"This workstation no longer uses the clinic server (removed "
                         f"{', '.join(p.name for p in removed)} and the keyring entry).\n")  # fmt: skip
    else:
        sys.stdout.write(f"{data_dir} holds no clinic server settings; nothing to do.\n")
    return 0
