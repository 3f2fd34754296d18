"""``ma-desk demo`` and ``ma-desk check``."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import func, select, text

from ma_desk.actor import Actor
from ma_desk.cli.common import ask_passphrase_on_tty, open_for_cli
from ma_desk.db.migrate import SCHEMA_HEAD
from ma_desk.db.models import Appointment, AuditEvent, Patient
from ma_desk.db.store import create_store, store_exists
from ma_desk.errors import StoreError, ValidationError
from ma_desk.paths import resolve_data_dir
from ma_desk.security.demo_accounts import DEMO_PASSWORD


def register(sub, parents) -> None:
    demo = sub.add_parser(
        "demo",
        parents=parents,
        help="create a synthetic demo clinic",
        description="Create a new store filled with a synthetic clinic (fake people only): "
        "3 providers, 6 exam rooms, patients, two weeks of appointments around today.",
    )
    demo.add_argument(
        "--patients", type=int, default=2000, metavar="N", help="number of patients (default 2000)"
    )
    demo.add_argument("--seed", type=int, default=7, metavar="S", help="random seed (default 7)")
    demo.add_argument("--demo-password", metavar="PW", default=None,
                      help="password of the demo accounts (default: printed)")  # fmt: skip
    demo.set_defaults(func=cmd_demo)

    check = sub.add_parser(
        "check",
        parents=parents,
        help="open the store and report its health",
        description="Open the store and report where it is, how its key is kept, the "
        "SQLCipher version, schema revision, integrity check and record counts.",
    )
    check.set_defaults(func=cmd_check)


def cmd_demo(args: argparse.Namespace) -> int:
    from ma_desk.demo import build_demo
    from ma_desk.services import Services

    if args.patients < 0 or args.patients > 2_000_000:
        raise ValidationError("--patients must be between 0 and 2,000,000.")
    data_dir = resolve_data_dir(args.data_dir)
    if store_exists(data_dir):
        raise StoreError(f"{data_dir} already holds a clinic store; it was not changed. "
                         "Choose an empty folder with --data-dir.")  # fmt: skip
    opened = create_store(data_dir, ask_passphrase=ask_passphrase_on_tty)
    try:
        services = Services(opened.db, actor=Actor.system())  # the demo builder, no person
        summary = build_demo(services, patients=args.patients, seed=args.seed,
                             demo_password=args.demo_password or DEMO_PASSWORD)  # fmt: skip
    finally:
        opened.db.close()
    out = sys.stdout
    out.write(f"Demo clinic created in {data_dir}\n")
    out.write(f"  {summary.patients} patients, {summary.providers} providers, {summary.rooms} rooms, "
              f"{summary.appointments} appointments, {summary.visits} visits (synthetic data)\n")  # fmt: skip
    out.write(f"  key kept in: {opened.key_source}\n")
    out.write(f"  RECOVERY KEY (write it down, shown once): {opened.recovery_key}\n")
    out.write(demo_accounts_text(args.demo_password or DEMO_PASSWORD))
    return 0


def demo_accounts_text(password: str) -> str:
    from ma_desk.permissions import ROLE_LABELS
    from ma_desk.security.demo_accounts import DEMO_ACCOUNTS

    lines = [f"  Sign in as one of (password: {password}):"]
    lines += [f"    {user:<10} {ROLE_LABELS[role]}" for user, _name, role in DEMO_ACCOUNTS]
    return "\n".join(lines) + "\n"


def cmd_check(args: argparse.Namespace) -> int:
    opened = open_for_cli(args)
    try:
        with opened.db.engine.connect() as conn:
            cipher = conn.exec_driver_sql("PRAGMA cipher_version").scalar()
            sqlite_version = conn.exec_driver_sql("SELECT sqlite_version()").scalar()
            integrity = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
            journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            patients = conn.execute(select(func.count()).select_from(Patient)).scalar()
            appointments = conn.execute(select(func.count()).select_from(Appointment)).scalar()
            audit_entries = conn.execute(select(func.count()).select_from(AuditEvent)).scalar()
            conn.execute(text("SELECT 1"))
    finally:
        opened.db.close()
    lines = [
        ("store", str(opened.path)),
        ("opened", "yes, the key opened the store"),
        ("key kept in", opened.key_source),
        ("SQLCipher", f"{cipher} (SQLite {sqlite_version})"),
        ("journal mode", journal),
        ("schema revision", f"{opened.revision} (this MA Desk expects {SCHEMA_HEAD})"),
        ("integrity check", integrity),
        ("patients", f"{patients:,}"),
        ("appointments", f"{appointments:,}"),
        ("audit entries", f"{audit_entries:,}"),
    ]
    if opened.upgraded_from:
        lines.append(
            (
                "upgraded",
                f"from {opened.upgraded_from}; copy kept at {opened.backup_before_upgrade}",
            )
        )
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        sys.stdout.write(f"{key.ljust(width)}  {value}\n")
    return 0 if integrity == "ok" else 1
