"""The ``ma-desk`` command: GUI by default, plus support and automation subcommands.

Exit codes: 0 success, 2 usage error, 1 anything else (one line on stderr;
the traceback only with --debug).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from ma_desk import __version__
from ma_desk.errors import MADeskError

# Each module has ``register(subparsers, parents)``; its subcommands set ``func``.
COMMAND_MODULES = [
    "ma_desk.cli.store_cmds",
    "ma_desk.cli.security_cmds",
    "ma_desk.cli.report_cmds",
    "ma_desk.cli.server_cmds",
    "ma_desk.cli.move_cmds",
    "ma_desk.cli.downtime_cmds",
    "ma_desk.cli.import_cmds",
    "ma_desk.cli.export_cmds",
]

log = logging.getLogger("ma_desk.cli")


def common_options(*, for_subcommand: bool = False) -> argparse.ArgumentParser:
    """Options allowed before or after the command.

    A subcommand's copy must not set defaults, or it would overwrite a value given
    before the command name (``ma-desk --data-dir D check``).
    """
    parent = argparse.ArgumentParser(
        add_help=False, argument_default=argparse.SUPPRESS if for_subcommand else None
    )
    parent.add_argument("--data-dir", metavar="DIR", help="folder of the clinic store "
                        "(default: $MA_DESK_DATA_DIR or the platform's user data folder)")  # fmt: skip
    parent.add_argument("--database-url", metavar="URL",
                        help="use the clinic's PostgreSQL server, e.g. postgresql://"
                        "madesk@server.clinic.lan/clinic?sslmode=verify-full (or set "
                        "MA_DESK_DATABASE_URL; the password is asked for, or "
                        "MA_DESK_DATABASE_PASSWORD)")  # fmt: skip
    parent.add_argument("--recovery-key", metavar="KEY",
                        help="open the store with its recovery key (or set MA_DESK_RECOVERY_KEY)")  # fmt: skip
    parent.add_argument("--user", metavar="NAME", help="sign in as this user (or set "
                        "MA_DESK_USER; password asked for, or MA_DESK_PASSWORD)")  # fmt: skip
    parent.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS if for_subcommand else False,
        help="show tracebacks and debug logging",
    )
    return parent


def gui_parser() -> argparse.ArgumentParser:
    """The options of the GUI start (no command); build_parser adds the commands."""
    parser = argparse.ArgumentParser(
        prog="ma-desk",
        description="MA Desk: the medical assistant's workstation. Without a command, "
        "opens the app on the clinic store.",
        parents=[common_options()],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--exit-after-paint",
        action="store_true",
        help="support check: open the store, sign in without dialogs (--user/MA_DESK_USER, "
        "MA_DESK_PASSWORD), show the main window and exit 0 once it has painted",
    )
    parser.set_defaults(func=_run_gui)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = gui_parser()
    parents = [common_options(for_subcommand=True)]
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub, parents)
    return parser


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """The GUI start (only GUI options) is parsed without importing the commands'
    modules, which pull in the store and SQLAlchemy: the sign-in screen shows sooner."""
    tokens = list(sys.argv[1:] if argv is None else argv)
    if not {"-h", "--help"} & set(tokens):
        args, rest = gui_parser().parse_known_args(tokens)
        if not rest:
            return args
    return build_parser().parse_args(tokens)


def _run_gui(args: argparse.Namespace) -> int:
    from ma_desk.ui.app import run_app

    return run_app(args)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except MADeskError as exc:
        if args.debug:
            log.exception("command failed")
        print(f"ma-desk: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("ma-desk: interrupted", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: one line unless --debug
        known = _known_store_problem(exc, args)
        if known is not None:  # an SQLite failure on a connection outside the Database
            if args.debug:
                log.exception("command failed")
            print(f"ma-desk: {known}", file=sys.stderr)
            return 1
        if args.debug:
            raise
        print(f"ma-desk: unexpected error ({type(exc).__name__}); run again with --debug "
              "for details", file=sys.stderr)  # fmt: skip
        return 1


def _known_store_problem(exc: Exception, args: argparse.Namespace) -> MADeskError | None:
    """The disk/lock/damage problem behind a raw SQLite error, worded like any other."""
    from ma_desk.db.sqlite_errors import store_error_for
    from ma_desk.paths import resolve_data_dir, store_path

    path = store_path(resolve_data_dir(getattr(args, "data_dir", None)))
    return store_error_for(exc, path)
