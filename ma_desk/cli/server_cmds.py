"""``ma-desk server init``: create or upgrade the clinic's schema on its PostgreSQL server.

Run once by whoever looks after the server, with the database owner's account
(the workstations' own account cannot change the schema). The same Alembic
migrations as a store file's run here.
"""

from __future__ import annotations

import argparse
import sys

from ma_desk.cli.common import ask_database_password_on_tty
from ma_desk.errors import ValidationError


def register(sub, parents) -> None:
    server = sub.add_parser("server", parents=parents,
                            help="set up the clinic's PostgreSQL server (server mode)")  # fmt: skip
    actions = server.add_subparsers(dest="server_command", metavar="ACTION", required=True)
    init = actions.add_parser(
        "init", parents=parents, help="create or upgrade the clinic's schema on the server",
        description="Create the clinic's tables on an empty PostgreSQL database, or upgrade "
        "them to this MA Desk's schema, using the database owner's account given with "
        "--database-url (or MA_DESK_DATABASE_URL).",
    )  # fmt: skip
    init.set_defaults(func=cmd_server_init)


def cmd_server_init(args: argparse.Namespace) -> int:
    from ma_desk.db.migrate import SCHEMA_HEAD, SCHEMA_REVISIONS, current_revision, upgrade
    from ma_desk.db.server import (
        ServerDatabase,
        database_url,
        make_server_engine,
        server_password,
    )
    from ma_desk.db.server_setup import install_server_objects
    from ma_desk.errors import StoreTooNewError

    url = database_url(getattr(args, "database_url", None))
    if not url:
        raise ValidationError("Give the server's address with --database-url postgresql://...")
    engine = make_server_engine(url, password=server_password(url, ask_database_password_on_tty))
    db = ServerDatabase(engine, url)
    try:
        with engine.begin() as conn:
            before = current_revision(conn)
            if before not in (None, "") and before not in SCHEMA_REVISIONS:
                raise StoreTooNewError(
                    f"The clinic server {db.where} was set up by a newer MA Desk (schema "
                    f"{before}); this one will not touch it."
                )
            if before != SCHEMA_HEAD:
                upgrade(conn)
            install_server_objects(conn)
    finally:
        db.close()
    state = "already at" if before == SCHEMA_HEAD else f"from {before or 'empty'} to"
    sys.stdout.write(f"The clinic server {db.where} is ready: schema {state} {SCHEMA_HEAD}.\n")
    return 0
