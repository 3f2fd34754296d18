"""``ma-desk backup``, ``restore``, ``rekey``, ``audit verify|export`` and ``users ...``.

All of them sign in (``--user`` / ``MA_DESK_USER``, password prompted or from
``MA_DESK_PASSWORD``) and are audited; ``users create-admin`` works only on a
store without accounts (a headless first run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import sys
from pathlib import Path

from ma_desk.cli.common import (
    ask_new_passphrase_on_tty,
    ask_passphrase_on_tty,
    cli_password,
    cli_session,
    cli_username,
    open_for_cli,
    server_url,
    sign_in_for_cli,
)
from ma_desk.errors import (
    AuthenticationError,
    PermissionDenied,
    StoreReadOnlyError,
    ValidationError,
)
from ma_desk.permissions import ADMINISTRATOR, ROLE_LABELS, ROLES

NEW_PASSWORD_ENV = "MA_DESK_NEW_PASSWORD"
NEW_PASSPHRASE_ENV = "MA_DESK_PASSPHRASE_NEW"


def register(sub, parents) -> None:
    backup = sub.add_parser(
        "backup", parents=parents, help="write an encrypted backup of the clinic store",
        description="Write a consistent, encrypted copy of the store (safe while MA Desk is "
        "in use) and a FILE.sha256 checksum beside it. --daily writes today's backup into "
        "the data folder's backups/ and keeps the last N (setting backup_keep). With "
        "--database-url: one consistent snapshot of the clinic server written into an "
        "ordinary encrypted store file under this workstation's key (its recovery key is "
        "shown once), which any workstation can open on its own or migrate-to-server loads "
        "back into an empty server.",
    )  # fmt: skip
    target = backup.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", metavar="FILE", help="the new backup file (must not exist)")
    target.add_argument("--daily", action="store_true", help="today's backup into backups/")
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser(
        "restore", parents=parents, help="replace the clinic store with a checked backup",
        description="Check the backup (SHA-256, key, integrity, audit chain) on a private "
        "copy; only if every check passes, move the current store aside "
        "(clinic.madesk.replaced-DATE) and put the backup in its place. Close MA Desk first. "
        "An administrator of the backup signs in.",
    )  # fmt: skip
    restore.add_argument("file", metavar="FILE", help="a backup written by ma-desk backup")
    restore.add_argument("--backup-recovery-key", metavar="KEY",
                         help="the recovery key of the time of the backup, if the key was "
                         "changed since")  # fmt: skip
    restore.set_defaults(func=cmd_restore)

    rekey = sub.add_parser(
        "rekey", parents=parents, help="rotate the store's encryption key (administrator)",
        description="Re-encrypt the store under a new key, update the keyring entry (or the "
        "passphrase) and print the new recovery key. Close MA Desk first. Older backups "
        "still open with the older recovery key.",
    )  # fmt: skip
    rekey.set_defaults(func=cmd_rekey)

    audit_cmd = sub.add_parser("audit", parents=parents, help="check or export the audit trail")
    audit_sub = audit_cmd.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = audit_sub.add_parser(
        "verify", parents=parents, help="check the hash chain; names every damaged entry",
        description="Check every entry's link and hash, the head anchor, the witness files and "
        "the head each backup in backups/ recorded, BEFORE signing in (signing in adds an "
        "entry). Give the anchors printed on end-of-day reports with --anchor to check the "
        "history up to each one.",
    )  # fmt: skip
    verify.add_argument("--anchor", action="append", default=[], metavar="N:HASH",
                        help="an anchor printed on an end-of-day report, e.g. "
                        "12345:a1b2c3d4e5f6a7b8 (repeatable)")  # fmt: skip
    verify.add_argument("--backup", action="append", default=[], metavar="FILE",
                        help="also check against the head recorded with this backup "
                        "(FILE.anchor.json beside it; repeatable)")  # fmt: skip
    verify.set_defaults(func=cmd_audit_verify)
    export = audit_sub.add_parser("export", parents=parents, help="write audit entries to CSV")
    export.add_argument("--out", metavar="FILE.csv", required=True,
                        help="the new CSV file (owner-only; an existing file needs --force)")  # fmt: skip
    export.add_argument("--force", action="store_true", help="replace FILE.csv if it exists")
    export.add_argument("--by", metavar="USER", default="", help="only this user's entries")
    export.add_argument("--patient", metavar="MRN", default="", help="only this patient (MRN)")
    export.add_argument("--from", dest="start", metavar="YYYY-MM-DD", default=None)
    export.add_argument("--to", dest="end", metavar="YYYY-MM-DD", default=None)
    export.set_defaults(func=cmd_audit_export)

    users = sub.add_parser("users", parents=parents, help="manage user accounts (administrator)")
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    users_sub.add_parser("list", parents=parents, help="list accounts").set_defaults(
        func=cmd_users_list
    )
    add = users_sub.add_parser("add", parents=parents, help="add an account (password asked "
                               f"for, or {NEW_PASSWORD_ENV})")  # fmt: skip
    add.add_argument("username")
    add.add_argument("--name", required=True, help="display name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.set_defaults(func=cmd_users_add)
    first = users_sub.add_parser(
        "create-admin", parents=parents,
        help="create the first administrator of a store without accounts",
    )  # fmt: skip
    first.add_argument("--name", required=True, help="display name")
    first.set_defaults(func=cmd_users_create_admin)
    for name, helptext in (("set-role", "change an account's role"),
                           ("deactivate", "stop an account from signing in"),
                           ("activate", "let an account sign in again"),
                           ("reset-password", f"set a new password ({NEW_PASSWORD_ENV})"),
                           ("unlock", "clear a lock-out after failed sign-ins")):  # fmt: skip
        p = users_sub.add_parser(name, parents=parents, help=helptext)
        p.add_argument("username")
        if name == "set-role":
            p.add_argument("role", choices=ROLES)
        p.set_defaults(func=cmd_users_change, users_action=name)


# ------------------------------------------------------------------ helpers
def _new_password(prompt_for: str) -> str:
    password = os.environ.get(NEW_PASSWORD_ENV)
    if password is not None:
        return password
    if not sys.stdin or not sys.stdin.isatty():
        raise ValidationError(f"Give the new password on a terminal or in {NEW_PASSWORD_ENV}.")
    first = getpass.getpass(f"New password for {prompt_for}: ")
    if getpass.getpass("Type it again: ") != first:
        raise ValidationError("The two passwords differ; nothing was changed.")
    return first


def _parse_date(text: str | None, name: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(f"{name} must be a date like 2026-11-23.") from exc


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


# ------------------------------------------------------------------ backup / restore / rekey
def cmd_backup(args: argparse.Namespace) -> int:
    from ma_desk.backup import backup_store, run_scheduled_backup

    if server_url(args):  # --database-url, MA_DESK_DATABASE_URL or this folder's profile
        from ma_desk.cli.move_cmds import cmd_server_backup

        return cmd_server_backup(args)

    with cli_session(args) as (opened, services):
        services.settings.check("backup.run")
        if args.daily:
            keep = services.settings.get().backup_keep
            result = run_scheduled_backup(opened.db, opened.data_dir, keep=keep,
                                          now=services.ctx.clock.now(), actor=services.actor)  # fmt: skip
            if result is None:
                _out("Today's backup already exists; nothing to do.")
                return 0
        else:
            result = backup_store(opened.db, Path(args.out).expanduser().absolute(),
                                  actor=services.actor)  # fmt: skip
    _out(f"Backup written: {result.path} ({result.size:,} bytes, encrypted)")
    _out(f"SHA-256: {result.sha256} (in {result.path.name}.sha256)")
    return 0


def _live_key_and_candidates(args: argparse.Namespace, data_dir: Path):
    """Today's store key (if findable) and every key worth trying on a backup."""
    from ma_desk.db import keys
    from ma_desk.errors import StoreError

    live_key = None
    info = keys.read_keyinfo(data_dir)
    if info is not None or args.recovery_key:
        try:
            live_key = keys.find_key(data_dir, info or keys.KeyInfo(source=keys.SOURCE_KEYRING),
                                     recovery_key=args.recovery_key,
                                     ask_passphrase=ask_passphrase_on_tty)  # fmt: skip
        except StoreError:
            live_key = None
    candidates = [live_key] if live_key else []
    if args.backup_recovery_key:
        candidates.append(keys.StoreKey(keys.parse_recovery_key(args.backup_recovery_key),
                                        "recovery key"))  # fmt: skip
    if not candidates:
        raise AuthenticationError(
            "No key to open the backup: this data folder's key is not available. Give the "
            "backup's recovery key with --backup-recovery-key."
        )
    return live_key, candidates


def _refuse_on_a_server(args: argparse.Namespace, what: str, instead: str) -> None:
    """Restore and rekey work on this workstation's store file, never on a clinic server."""
    if server_url(args):
        raise ValidationError(f"{what} applies to a clinic store file on this workstation, not to "
                              f"the clinic server: {instead} Nothing was changed.")  # fmt: skip


def cmd_restore(args: argparse.Namespace) -> int:
    from ma_desk.backup import install_verified, verify_backup_copy
    from ma_desk.paths import resolve_data_dir
    from ma_desk.services import Services

    _refuse_on_a_server(args, "ma-desk restore", "load a server backup into a new, empty server "
                        "with ma-desk migrate-to-server (docs/server.md, Backups).")  # fmt: skip

    data_dir = resolve_data_dir(args.data_dir)
    backup = Path(args.file).expanduser().resolve()
    live_key, candidates = _live_key_and_candidates(args, data_dir)
    verified = verify_backup_copy(backup, data_dir, candidates)
    try:
        services = Services(verified.db)
        username = cli_username(args)
        if not username:
            raise AuthenticationError("Sign in with --user NAME (an administrator in the backup).")
        actor = services.accounts.authenticate(username, cli_password(username),
                                               purpose="restore_auth")  # fmt: skip
        if actor.role != ADMINISTRATOR:
            raise PermissionDenied("Only an administrator can restore a backup.")
    except BaseException:
        verified.discard()
        raise
    result = install_verified(verified, data_dir, live_key=live_key, actor=actor,
                              restored_from=backup, now=dt.datetime.now())  # fmt: skip
    _out(f"Restored {backup.name} into {data_dir} ({result.audit_entries:,} audit entries, "
         "chain verified).")  # fmt: skip
    if result.replaced:
        _out(f"The previous store was kept as {result.replaced.name}.")
    return 0


def cmd_rekey(args: argparse.Namespace) -> int:
    from ma_desk import audit
    from ma_desk.db import keys
    from ma_desk.paths import resolve_data_dir
    from ma_desk.security.rekey import rotate_key

    _refuse_on_a_server(args, "ma-desk rekey", "the server's data is protected by its disk "
                        "encryption and TLS; change the workstations' password with ma-desk "
                        "server init --new-app-password.")  # fmt: skip

    data_dir = resolve_data_dir(args.data_dir)
    with cli_session(args) as (opened, services):
        if services.actor.role != ADMINISTRATOR:
            raise PermissionDenied("Only an administrator can change the store's key.")
        actor = services.actor
        source, recovery_key = opened.key_source, opened.recovery_key
        if recovery_key:  # the recovery-key open, without a keyring, has re-keyed already
            with services.ctx.db.write() as s:
                audit.record(s, actor, "rekey", "store", details={"key_source": source})
    rotated = None
    if not recovery_key:
        new_passphrase = _new_passphrase() if source == keys.SOURCE_PASSPHRASE else None
        old = keys.find_key(data_dir, keys.read_keyinfo(data_dir) or keys.KeyInfo(source),
                            recovery_key=args.recovery_key,
                            ask_passphrase=ask_passphrase_on_tty)  # fmt: skip
        rotated = rotate_key(data_dir, old, new_passphrase=new_passphrase)
        source, recovery_key = rotated.key_source, rotated.recovery_key
    # Shown before anything else can fail: without it the new key could be lost.
    _out(f"The store's key was changed (kept in: {source}).")
    _out(f"NEW RECOVERY KEY (write it down, shown once): {recovery_key}")
    _out("Keep the old recovery key too: backups made before today need it.")
    if rotated is not None:
        _audit_rekey(data_dir, rotated.key, actor, source)
    return 0


def _new_passphrase() -> str:
    """MA_DESK_PASSPHRASE_NEW, else asked on a terminal (with a suggestion); checked."""
    from ma_desk.db import keys

    new_passphrase = os.environ.get(NEW_PASSPHRASE_ENV) or ask_new_passphrase_on_tty(
        "Choose the store's new passphrase: four or more unrelated words, or the suggestion."
    )
    if not new_passphrase:
        raise ValidationError(
            f"This store's key comes from a passphrase: type the new one when asked or "
            f"set {NEW_PASSPHRASE_ENV}. The key was not changed."
        )
    keys.check_new_passphrase(new_passphrase)
    return new_passphrase


def _audit_rekey(data_dir: Path, key, actor, key_source: str) -> None:
    """The audit entry, written under the new key (the witness moves with it)."""
    from ma_desk import audit
    from ma_desk.db.engine import Database, make_engine
    from ma_desk.db.store import attach_witness
    from ma_desk.paths import store_path

    path = store_path(data_dir)
    db = Database(make_engine(path, key), path)
    try:
        attach_witness(db, data_dir)
        with db.write() as s:
            audit.record(s, actor, "rekey", "store", details={"key_source": key_source})
    finally:
        db.close()


# ------------------------------------------------------------------ audit
def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Check first, then sign in (which writes an entry), then record and show the result."""
    from ma_desk.security import verification
    from ma_desk.services import Services

    anchors = [verification.parse_anchor(text) for text in args.anchor]
    for name in args.backup:
        path = verification.backup_anchor_path(Path(name).expanduser())
        anchor = verification.read_backup_anchor(path)
        if anchor is None:
            raise ValidationError(f"{path} is missing or unreadable: no head to compare with.")
        anchors.append(anchor)
    opened = open_for_cli(args)
    read_only_reason = opened.db.read_only_reason if opened.db.read_only else None
    try:
        report = verification.check_trail(opened.db, opened.data_dir, anchors=anchors)
        services = Services(opened.db)
        sign_in_for_cli(services, args)
        try:
            services.audit_log.record_verification(report)
        finally:
            services.accounts.sign_out()
    finally:
        opened.db.close()
    for note in report.notes:
        _out(f"note: {note}")
    if not report.intact:
        for problem in report.problems:
            _out(f"DAMAGED: {problem}")
        _out(f"The audit trail FAILED verification: {len(report.problems)} problem(s). Keep "
             "this output, a copy of the data folder and the printed reports for the "
             "practice's security officer.")  # fmt: skip
        return 1
    checked = ", ".join(report.anchors_checked) or "no outside anchor"
    head = verification.printed_anchor(report.head) or "none"
    _out(f"The audit trail is intact: {report.entries:,} entries; chain and head anchor "
         f"verified against {checked}. Head: {head}.")  # fmt: skip
    if read_only_reason is not None:  # the trail may be whole; the store is not
        raise StoreReadOnlyError(f"This verification was not recorded: the clinic store is "
                                 f"open read-only. {read_only_reason}")  # fmt: skip
    return 0


def cmd_audit_export(args: argparse.Namespace) -> int:
    from ma_desk.services.audit_log import AuditFilter

    patient_id = None
    if args.patient:
        patient_id = patient_id_from_mrn(args.patient)
    flt = AuditFilter(username=args.by, patient_id=patient_id,
                      start=_parse_date(args.start, "--from"), end=_parse_date(args.end, "--to"))  # fmt: skip
    out = Path(args.out).expanduser().absolute()  # not resolved: a symlink is a name taken
    if os.path.lexists(out) and not args.force:
        raise ValidationError(f"{out} already exists; choose another name or add --force. "
                              "Nothing was exported.", field="out")  # fmt: skip
    with cli_session(args) as (_opened, services):
        count = services.audit_log.export_csv(flt, out, replace=args.force)
    _out(f"{count:,} audit entries written to {out}")
    return 0


def patient_id_from_mrn(text: str) -> int:
    """``M100042`` (or ``42``) -> 42."""
    clean = text.strip().upper()
    digits = clean[1:] if clean.startswith("M") else clean
    if not digits.isdigit():
        raise ValidationError("Give the patient's MRN, like M100042.", field="patient")
    value = int(digits)
    return value - 100000 if clean.startswith("M") else value


# ------------------------------------------------------------------ users
def cmd_users_list(args: argparse.Namespace) -> int:
    with cli_session(args) as (_opened, services):
        rows = services.accounts.list_users()
    _out(f"{'USER':<20} {'NAME':<28} {'ROLE':<18} {'STATE':<10} LAST SIGN-IN")
    for r in rows:
        state = "active" if r.active else "inactive"
        last = f"{r.last_sign_in_at:%Y-%m-%d %H:%M}" if r.last_sign_in_at else "never"
        _out(f"{r.username:<20} {r.display_name[:28]:<28} {r.role_label:<18} {state:<10} {last}")
    return 0


def cmd_users_add(args: argparse.Namespace) -> int:
    with cli_session(args) as (_opened, services):
        services.accounts.require_admin()
        row = services.accounts.create_user(args.username, args.name, args.role,
                                            _new_password(args.username))  # fmt: skip
    _out(f"Account {row.username} ({ROLE_LABELS[row.role]}) created.")
    return 0


def cmd_users_create_admin(args: argparse.Namespace) -> int:
    from ma_desk.security.witness import write_witness
    from ma_desk.services import Services

    username = cli_username(args)
    if not username:
        raise ValidationError("Give the new administrator's user name with --user NAME.")
    opened = open_for_cli(args)
    try:
        services = Services(opened.db)
        services.accounts.create_first_administrator(username, args.name, _new_password(username))
        services.accounts.sign_out()
        write_witness(opened.data_dir, opened.db)
    finally:
        opened.db.close()
    _out(f"Administrator {username} created. Sign in with --user {username}.")
    return 0


def cmd_users_change(args: argparse.Namespace) -> int:
    with cli_session(args) as (_opened, services):
        accounts = services.accounts
        match = [u for u in accounts.list_users() if u.username == args.username.casefold()]
        if not match:
            raise ValidationError(f"There is no account {args.username}.")
        user = match[0]
        action = args.users_action
        if action == "set-role":
            accounts.update_user(user.id, role=args.role)
        elif action == "deactivate":
            accounts.update_user(user.id, active=False)
        elif action == "activate":
            accounts.update_user(user.id, active=True)
        elif action == "reset-password":
            accounts.reset_password(user.id, _new_password(user.username))
        else:
            accounts.unlock_user(user.id)
    _out(f"{args.username}: {action.replace('-', ' ')} done.")
    return 0
