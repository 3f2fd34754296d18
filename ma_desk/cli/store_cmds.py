"""``ma-desk demo`` and ``ma-desk check``."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import func, select

from ma_desk.actor import Actor
from ma_desk.cli.common import ask_new_passphrase_on_tty, open_for_cli, server_url
from ma_desk.db.migrate import SCHEMA_HEAD
from ma_desk.db.models import Appointment, AuditEvent, Patient
from ma_desk.db.store import OpenedStore, create_store, store_exists
from ma_desk.errors import StoreDamagedError, StoreError, ValidationError
from ma_desk.paths import resolve_data_dir, store_path
from ma_desk.security.demo_accounts import DEMO_PASSWORD, check_demo_password


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
        description="Open the store read-only and report where it is, how its key is kept, "
        "the SQLCipher version, schema revision, integrity and page checks, the audit "
        "witness and record counts. Exits 1 when the store is damaged or read-only; a "
        "damaged store is never written to.",
    )
    check.add_argument("--verbose", action="store_true",
                       help="list every problem found (pages, b-trees, audit witness)")  # fmt: skip
    check.set_defaults(func=cmd_check)


def cmd_demo(args: argparse.Namespace) -> int:
    from ma_desk.demo import build_demo
    from ma_desk.services import Services

    if args.patients < 0 or args.patients > 2_000_000:
        raise ValidationError("--patients must be between 0 and 2,000,000.")
    if server_url(args):
        return _demo_on_server(args)
    data_dir = resolve_data_dir(args.data_dir)
    if store_exists(data_dir):
        raise StoreError(f"{data_dir} already holds a clinic store; it was not changed. "
                         "Choose an empty folder with --data-dir.")  # fmt: skip
    check_demo_password(args.demo_password or DEMO_PASSWORD)
    opened = create_store(data_dir, ask_new_passphrase=ask_new_passphrase_on_tty)
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


def _demo_on_server(args: argparse.Namespace) -> int:
    """Fill an initialised, empty clinic server with the demo clinic."""
    from ma_desk.demo import build_demo
    from ma_desk.services import Services

    check_demo_password(args.demo_password or DEMO_PASSWORD)
    opened = open_for_cli(args)
    try:
        with opened.db.read() as s:
            if s.scalar(select(func.count()).select_from(Patient)) or s.scalar(
                select(func.count()).select_from(AuditEvent)
            ):
                raise StoreError(f"The clinic server {opened.db.where} already holds a clinic; "
                                 "it was not changed. Use an empty database.")  # fmt: skip
        services = Services(opened.db, actor=Actor.system())  # the demo builder, no person
        summary = build_demo(services, patients=args.patients, seed=args.seed,
                             demo_password=args.demo_password or DEMO_PASSWORD)  # fmt: skip
    finally:
        opened.db.close()
    out = sys.stdout
    out.write(f"Demo clinic created on the clinic server {opened.db.where}\n")
    out.write(f"  {summary.patients} patients, {summary.providers} providers, {summary.rooms} rooms, "
              f"{summary.appointments} appointments, {summary.visits} visits (synthetic data)\n")  # fmt: skip
    out.write(demo_accounts_text(args.demo_password or DEMO_PASSWORD))
    return 0


def demo_accounts_text(password: str) -> str:
    from ma_desk.permissions import ROLE_LABELS
    from ma_desk.security.demo_accounts import DEMO_ACCOUNTS

    lines = [f"  Sign in as one of (password: {password}):"]
    lines += [f"    {user:<10} {ROLE_LABELS[role]}" for user, _name, role in DEMO_ACCOUNTS]
    return "\n".join(lines) + "\n"


def cmd_check(args: argparse.Namespace) -> int:
    """Open (read-only first), check, report in a few lines; exit 1 unless all is well."""
    if server_url(args):
        return _check_server(args)
    path = store_path(resolve_data_dir(args.data_dir))
    try:
        opened = open_for_cli(args)
    except StoreDamagedError as exc:
        lines = [
            ("store", str(path)),
            ("opened", "no: the store is damaged"),
            ("problem", str(exc)),
        ]
        _print_lines(lines + _details(args, exc.details))
        return 1
    try:
        lines, healthy = _health_lines(opened, verbose=args.verbose)
    finally:
        opened.db.close()
    _print_lines(lines)
    return 0 if healthy else 1


def _health_lines(opened: OpenedStore, *, verbose: bool) -> tuple[list[tuple[str, str]], bool]:
    db = opened.db
    with db.engine.connect() as conn:
        cipher = conn.exec_driver_sql("PRAGMA cipher_version").scalar()
        sqlite_version = conn.exec_driver_sql("SELECT sqlite_version()").scalar()
        journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
    integrity = _findings(db, "PRAGMA integrity_check")
    pages = _findings(db, "PRAGMA cipher_integrity_check")
    witness = _witness_findings(opened)
    lines = [
        ("store", str(opened.path)),
        ("opened", "read-only" if db.read_only else "yes, the key opened the store"),
        ("key kept in", opened.key_source),
        ("SQLCipher", f"{cipher} (SQLite {sqlite_version})"),
        ("journal mode", journal),
        ("schema revision", f"{opened.revision} (this MA Desk expects {SCHEMA_HEAD})"),
        ("integrity check", _summary(integrity, "problem")),
        ("page check", _summary(pages, "page failing its check")),
        ("audit witness", _summary(witness, "problem", ok="agrees with the store")),
        *_counts(db),
    ]
    if opened.upgraded_from:
        lines.append(("upgraded", f"from {opened.upgraded_from}; copy kept at "
                                  f"{opened.backup_before_upgrade}"))  # fmt: skip
    if db.read_only:
        lines.append(("READ-ONLY", db.read_only_reason))
    if verbose:
        found = opened.damage + integrity + pages + witness
        lines += [("detail", line) for line in dict.fromkeys(found) if line != "ok"]
    return lines, not (db.read_only or integrity != ["ok"] or pages or witness)


def _check_server(args: argparse.Namespace) -> int:
    """The clinic server in a few lines: where, TLS, version, schema, chain, counts."""
    from ma_desk import audit
    from ma_desk.db.server_setup import connected_as_privileged, guard_problems

    opened = open_for_cli(args)
    db = opened.db
    try:
        with db.engine.connect() as conn:
            version = conn.exec_driver_sql("SHOW server_version").scalar()
            tls = conn.exec_driver_sql(
                "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
            ).first()
            guards = [str(p) for p in guard_problems(conn)]
            account = (
                "the owner's or a superuser's"
                if connected_as_privileged(conn)
                else ("the workstations' (no DDL, audit entries append-only)")
            )
        with db.read() as session:
            chain = audit.verify_store(session)
        lines = [
            ("server", db.where),
            ("opened", "yes, connected"),
            ("PostgreSQL", str(version)),
            ("encryption", f"TLS ({tls[1]})" if tls and tls[0] else "none (local socket)"),
            ("schema revision", f"{opened.revision} (this MA Desk expects {SCHEMA_HEAD})"),
            (
                "audit chain",
                _summary([str(p) for p in chain], "problem", ok="links and hashes agree"),
            ),
            (
                "protections",
                _summary(
                    guards, "problem", ok="audit entries append-only, no DDL for the workstations"
                ),
            ),
            ("account", account),
            *_counts(db),
        ]
        if args.verbose:
            lines += [("detail", str(p)) for p in chain]
        lines += [("PROTECTION", problem) for problem in guards]
    finally:
        db.close()
    _print_lines(lines)
    return 0 if not chain and not guards else 1


def _findings(db, pragma: str) -> list[str]:
    """The lines a check pragma returns; a store too damaged to finish it says so."""
    try:
        with db.engine.connect() as conn:
            return [
                line for row in conn.exec_driver_sql(pragma) for line in str(row[0]).splitlines()
            ]
    except StoreDamagedError as exc:
        return [f"could not finish: {'; '.join(exc.details) or exc}"]


def _witness_findings(opened: OpenedStore) -> list[str]:
    """What the witness files say is missing; a store too damaged to compare says so."""
    from ma_desk.security.witness import witness_problems

    try:
        with opened.db.read() as session:
            return [str(p) for p in witness_problems(session, opened.data_dir)]
    except StoreDamagedError:
        return ["the audit trail cannot be read to compare it with the witness files"]


def _summary(findings: list[str], noun: str, *, ok: str = "ok") -> str:
    if not findings or findings == ["ok"]:
        return ok
    count = len(findings)
    return f"FAILED: {count} {noun}{'s' if count != 1 else ''} (--verbose lists them)"


def _counts(db) -> list[tuple[str, str]]:
    lines = []
    for label, model in (("patients", Patient), ("appointments", Appointment),
                         ("audit entries", AuditEvent)):  # fmt: skip
        try:
            with db.engine.connect() as conn:
                value = f"{conn.execute(select(func.count()).select_from(model)).scalar():,}"
        except StoreDamagedError:
            value = "cannot be counted: that part of the store is damaged"
        lines.append((label, value))
    return lines


def _details(args: argparse.Namespace, details: list[str]) -> list[tuple[str, str]]:
    return [("detail", line) for line in details] if args.verbose else []


def _print_lines(lines: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        sys.stdout.write(f"{key.ljust(width)}  {value}\n")
