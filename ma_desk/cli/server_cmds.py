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

from ma_desk.cli.common import ask_database_password_on_tty
from ma_desk.errors import ValidationError

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


def cmd_server_init(args: argparse.Namespace) -> int:
    from ma_desk.db.server import (
        ServerDatabase,
        database_url,
        make_server_engine,
        server_password,
    )
    from ma_desk.db.server_setup import DEFAULT_APP_ROLE, app_role_exists, role_name_problem

    url = database_url(getattr(args, "database_url", None))
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
        lines, healthy = _initialise(db, role, password)
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
