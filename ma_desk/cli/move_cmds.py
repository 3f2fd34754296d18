"""``ma-desk migrate-to-server`` and the server branch of ``ma-desk backup``.

Moving a single-workstation clinic (or a server backup) into an empty clinic
server, and writing a server's clinic into an ordinary encrypted store file.
The work is in ma_desk/db/server_move.py; this module asks for what is needed,
shows progress and says what happened.
"""

from __future__ import annotations

import argparse
import sys
import time

from ma_desk.cli.common import (
    ask_database_password_on_tty,
    ask_passphrase_on_tty,
    cli_password,
    cli_username,
    command_line_url,
)
from ma_desk.errors import AuthenticationError, ValidationError

PROGRESS_EVERY_SECONDS = 2.0


def register(sub, parents) -> None:
    move = sub.add_parser(
        "migrate-to-server", parents=parents,
        help="move a single-workstation clinic (or a server backup) into an empty clinic server",
        description="Copy every record of the clinic store in --data-dir (opened read-only: "
        "its file is not changed) into the empty, initialised clinic server given with "
        "--database-url, in one transaction; then compare the counts of every table and "
        "verify the audit chain (and its seals) on the server before committing. Any failure "
        "leaves the server as it was. An administrator of the store signs in (--user). "
        "Close MA Desk on that computer first. To load a server backup back, put the file "
        "in a folder as clinic.madesk and give that folder with --recovery-key (or with the "
        "keyinfo.json of the workstation that wrote it). Use the database owner's account.",
    )  # fmt: skip
    move.set_defaults(func=cmd_migrate_to_server)


class TerminalProgress:
    """One line per table on stderr, plus a line every few seconds for a big table."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.last_line = 0.0

    def __call__(self, table: str, done: int, total: int) -> None:
        now = time.monotonic()
        finished = done == total
        if not finished and now - self.last_line < PROGRESS_EVERY_SECONDS:
            return
        self.last_line = now
        state = "done" if finished else "copying"
        self.stream.write(f"  {table}: {done:,} of {total:,} rows {state}\n")
        self.stream.flush()


def cmd_migrate_to_server(args: argparse.Namespace) -> int:
    from ma_desk.db.server import (
        ServerDatabase,
        database_url,
        make_server_engine,
        server_password,
    )
    from ma_desk.db.server_move import (
        check_administrator,
        migrate_to_server,
        open_store_read_only,
    )
    from ma_desk.paths import resolve_data_dir

    url = database_url(command_line_url(args))  # never a password on the command line
    if not url:
        raise ValidationError(
            "Give the clinic server's address with --database-url postgresql://..."
        )
    username = cli_username(args)
    if not username:
        raise AuthenticationError("Sign in with --user NAME (an administrator of the store).")
    data_dir = resolve_data_dir(args.data_dir)
    source = open_store_read_only(data_dir, recovery_key=args.recovery_key,
                                  ask_passphrase=ask_passphrase_on_tty)  # fmt: skip
    try:
        actor, seal_key = check_administrator(source, username, cli_password(username))
        engine = make_server_engine(
            url, password=server_password(url, ask_database_password_on_tty)
        )
        server = ServerDatabase(engine, url)
        try:
            sys.stderr.write(f"Moving the clinic in {data_dir} to {server.where} ...\n")
            result = migrate_to_server(source, server, actor=actor, seal_key=seal_key,
                                       progress=TerminalProgress())  # fmt: skip
        finally:
            server.close()
    finally:
        source.close()
    out = sys.stdout
    out.write(f"The clinic is on the server {server.where}: {len(result.counts)} tables, "
              f"{sum(result.counts.values()):,} rows, counts equal.\n")  # fmt: skip
    entries = result.audit_head[0] if result.audit_head else 0
    seals = "" if result.seals is None else f", {result.seals} seals verified"
    out.write(f"Audit chain verified on the server ({entries:,} entries{seals}).\n")
    out.write(f"The store in {data_dir} was not changed; keep it as a backup, and point "
              "every workstation at the server (--database-url).\n")  # fmt: skip
    return 0


def cmd_server_backup(args: argparse.Namespace) -> int:
    """``ma-desk backup`` in server mode: the clinic into an ordinary encrypted store file."""
    from pathlib import Path

    from ma_desk import audit
    from ma_desk.backup import BACKUP_SUFFIX, backup_dir, backup_due, prune_backups
    from ma_desk.cli.common import ask_new_passphrase_on_tty, cli_session
    from ma_desk.db.server_move import snapshot_to_file, workstation_key

    with cli_session(args) as (opened, services):
        services.settings.check("backup.run")
        now = services.ctx.clock.now()
        if args.daily and not backup_due(opened.data_dir, now.date()):
            sys.stdout.write("Today's backup already exists; nothing to do.\n")
            return 0
        key, recovery_key = workstation_key(opened.data_dir, ask_passphrase=ask_passphrase_on_tty,
                                            ask_new_passphrase=ask_new_passphrase_on_tty)  # fmt: skip
        if recovery_key:  # shown before anything else can fail: without it the key may be lost
            sys.stdout.write(f"This workstation's backup key was created (kept in: {key.source}).\n"
                             f"RECOVERY KEY (write it down, shown once): {recovery_key}\n")  # fmt: skip
        if args.daily:
            folder = backup_dir(opened.data_dir)
            folder.mkdir(mode=0o700, exist_ok=True)
            out = folder / f"clinic-{now:%Y%m%d-%H%M%S}{BACKUP_SUFFIX}"
        else:
            out = Path(args.out).expanduser().absolute()
        result = snapshot_to_file(opened.db, out, key, progress=TerminalProgress())
        with opened.db.write() as s:
            audit.record(s, services.actor, "backup", "store", out.name,
                         details={"file": str(out), "sha256": result.sha256, "bytes": result.size,
                                  "from": "clinic server"})  # fmt: skip
        if args.daily:
            prune_backups(opened.data_dir, services.settings.get().backup_keep)
    sys.stdout.write(f"Backup of the clinic server written: {result.path} "
                     f"({result.size:,} bytes, encrypted with this workstation's key)\n"
                     f"SHA-256: {result.sha256} (in {result.path.name}.sha256)\n")  # fmt: skip
    return 0
