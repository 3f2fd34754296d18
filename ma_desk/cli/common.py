"""Opening the store and signing in from the command line.

Every command that reads or writes patient data calls ``services_for_cli``:
it opens the store and signs in as ``--user NAME`` (or ``MA_DESK_USER``) with
the password from a hidden prompt, or ``MA_DESK_PASSWORD`` for automation.
The sign-in (and a failed one) is audited exactly like the GUI's.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from ma_desk.db import keys
from ma_desk.db.store import OpenedStore, open_store
from ma_desk.errors import AuthenticationError, ValidationError
from ma_desk.paths import resolve_data_dir

USER_ENV = "MA_DESK_USER"
PASSWORD_ENV = "MA_DESK_PASSWORD"


def ask_passphrase_on_tty(prompt: str) -> str | None:
    if not sys.stdin or not sys.stdin.isatty():
        return None
    return getpass.getpass(prompt + "\nPassphrase: ")


def ask_new_passphrase_on_tty(prompt: str) -> str | None:
    """A new store passphrase typed twice, with a generated one offered; None off a terminal.

    Enter alone takes the suggestion (shown on the terminal only, like the recovery key).
    """
    if not sys.stdin or not sys.stdin.isatty():
        return None
    suggestion = keys.suggest_passphrase()
    sys.stderr.write(f"{prompt}\nSuggested passphrase (press Enter to use it): {suggestion}\n")
    first = getpass.getpass("New passphrase: ") or suggestion
    if first == suggestion:
        sys.stderr.write("Write the passphrase down and keep it away from this computer.\n")
    if getpass.getpass("Type it again: ") != first:
        raise ValidationError(
            "The two passphrases were not the same; nothing was changed. Try again.",
            field="passphrase",
        )
    return first


def ask_database_password_on_tty(prompt: str) -> str | None:
    if not sys.stdin or not sys.stdin.isatty():
        return None
    return getpass.getpass(prompt + ": ") or None


def server_url(args: argparse.Namespace) -> str | None:
    """The clinic server's address: ``--database-url``, MA_DESK_DATABASE_URL or the data
    folder's profile (``ma-desk server connect``); None means the store file.

    A password inside ``--database-url`` is refused: every user of the computer can
    read a command line (``ps``). It is asked for, kept in the keyring, or set in
    MA_DESK_DATABASE_PASSWORD.
    """
    from ma_desk.db.server import database_url

    return database_url(command_line_url(args), resolve_data_dir(getattr(args, "data_dir", None)))


def command_line_url(args: argparse.Namespace) -> str | None:
    """``--database-url`` as given, refused when it holds a password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    explicit = getattr(args, "database_url", None)
    try:
        has_password = bool(explicit) and make_url(explicit).password is not None
    except ArgumentError as exc:
        raise ValidationError(f"--database-url is not an address: {exc}") from exc
    if has_password:
        raise ValidationError(
            "Leave the password out of --database-url (anyone on this computer can read a "
            "command line): MA Desk asks for it, keeps it in the keyring after ma-desk server "
            "connect, or takes it from MA_DESK_DATABASE_PASSWORD. Nothing was done.",
            field="database_url",
        )
    return explicit


def open_for_cli(args: argparse.Namespace) -> OpenedStore:
    """Open the store (or connect to the clinic's server, with ``--database-url`` or the
    profile); after a recovery-key open, say a new recovery key if there is one."""
    from ma_desk.db.server import open_server

    data_dir = resolve_data_dir(args.data_dir)
    url = server_url(args)
    if url:
        return open_server(url, data_dir, ask_password=ask_database_password_on_tty)
    # full_check: a damaged store opens read-only before any command can write to it.
    opened = open_store(data_dir, recovery_key=args.recovery_key,
                        ask_passphrase=ask_passphrase_on_tty,
                        ask_new_passphrase=ask_new_passphrase_on_tty,
                        full_check=True)  # fmt: skip
    if opened.recovery_key:
        sys.stderr.write(
            f"The store's key was changed (kept in: {opened.key_source}).\n"
            f"NEW RECOVERY KEY (write it down, shown once): {opened.recovery_key}\n"
            "The old recovery key still opens backups made before today.\n"
        )
    return opened


def cli_username(args: argparse.Namespace) -> str | None:
    return getattr(args, "user", None) or os.environ.get(USER_ENV) or None


def cli_password(username: str) -> str:
    """MA_DESK_PASSWORD, else a hidden prompt on a terminal; never a command-line argument."""
    password = os.environ.get(PASSWORD_ENV)
    if password is None and sys.stdin and sys.stdin.isatty():
        password = getpass.getpass(f"Password for {username}: ")
    if not password:
        raise AuthenticationError(
            f"No password for {username}: type it when asked (on a terminal) or set "
            f"{PASSWORD_ENV} for automation."
        )
    return password


def sign_in_for_cli(services, args: argparse.Namespace) -> None:
    """Sign ``services`` in as the command-line user; raises AuthenticationError."""
    if not services.accounts.has_users():
        raise AuthenticationError(
            "This store has no user accounts yet. Start MA Desk to create the administrator, "
            "or run: ma-desk users create-admin --user NAME --name 'Full Name'."
        )
    username = cli_username(args)
    if not username:
        raise AuthenticationError(
            f"Sign in first: add --user NAME (or set {USER_ENV}); the password is asked for, "
            f"or taken from {PASSWORD_ENV}."
        )
    services.accounts.sign_in(username, cli_password(username))


def services_for_cli(args: argparse.Namespace):
    """Open the store and return (opened, services) acting for the command-line user.

    Every command that reads or writes patient data goes through here, so that
    signing in (``--user`` / ``MA_DESK_USER``) is enforced in one place.
    """
    from ma_desk.services import Services

    opened = open_for_cli(args)
    try:
        services = Services(opened.db)
        sign_in_for_cli(services, args)
    except BaseException:
        opened.db.close()
        raise
    return opened, services


@contextmanager
def cli_session(args: argparse.Namespace) -> Iterator[tuple[OpenedStore, object]]:
    """``services_for_cli`` plus sign-out, witness file and closing at the end."""
    from ma_desk.security.witness import write_witness

    opened, services = services_for_cli(args)
    try:
        yield opened, services
    finally:
        try:
            services.accounts.sign_out()
            if opened.db.kind == "sqlcipher":
                write_witness(opened.data_dir, opened.db)
        finally:
            opened.db.close()
