"""Opening the store from the command line."""

from __future__ import annotations

import argparse
import getpass
import sys

from ma_desk.db.store import OpenedStore, open_store
from ma_desk.paths import resolve_data_dir


def ask_passphrase_on_tty(prompt: str) -> str | None:
    if not sys.stdin or not sys.stdin.isatty():
        return None
    return getpass.getpass(prompt + "\nPassphrase: ")


def open_for_cli(args: argparse.Namespace) -> OpenedStore:
    data_dir = resolve_data_dir(args.data_dir)
    return open_store(
        data_dir, recovery_key=args.recovery_key, ask_passphrase=ask_passphrase_on_tty
    )


def services_for_cli(args: argparse.Namespace):
    """Open the store and return (opened, services) acting for the command-line user.

    Every command that reads or writes patient data goes through here, so that
    signing in (``--user`` / ``MA_DESK_USER``) is enforced in one place.
    """
    from ma_desk.services import Services

    opened = open_for_cli(args)
    return opened, Services(opened.db)
