"""``ma-desk downtime``: today's schedule and face sheets while the clinic server is down.

Reads only this workstation's downtime copy (ma_desk/downtime.py): no server, no
sign-in (the accounts are on the server). Each opening is noted in the local
log, under ``--user`` or the computer login, and reaches the server's audit
trail with the next copy. PDFs are written atomically, owner-only, never over
an existing file unless ``--force``.
"""

from __future__ import annotations

import argparse
import sys

from ma_desk.cli.common import ask_passphrase_on_tty, cli_username
from ma_desk.clinical import flow
from ma_desk.errors import NotFoundError


def register(sub, parents) -> None:
    command = sub.add_parser(
        "downtime", parents=parents,
        help="today's schedule and face sheets from this workstation's downtime copy",
        description="Show or print today's schedule, or print one patient's face sheet, from "
        "the encrypted copy this workstation keeps for when the clinic server is down.",
    )  # fmt: skip
    command.add_argument("--print-schedule", metavar="FILE", help="write the schedule as a PDF")
    command.add_argument("--face-sheet", metavar="MRN", help="one patient's face sheet (PDF)")
    command.add_argument("--out", metavar="FILE", help="where --face-sheet writes its PDF")
    command.add_argument("--force", action="store_true", help="replace FILE if it exists")
    command.set_defaults(func=cmd_downtime)


def cmd_downtime(args: argparse.Namespace) -> int:
    from ma_desk import downtime
    from ma_desk.cli.report_cmds import write_output
    from ma_desk.clock import SystemClock
    from ma_desk.errors import ValidationError
    from ma_desk.paths import resolve_data_dir
    from ma_desk.reports.downtime import DOWNTIME_NOTE, face_sheet_pdf, schedule_pdf

    data_dir = resolve_data_dir(args.data_dir)
    key = downtime.downtime_key(data_dir, ask_passphrase=ask_passphrase_on_tty)
    snapshot = downtime.open_snapshot(data_dir, key)
    now = SystemClock().now()
    if args.face_sheet is not None:
        mrn = args.face_sheet.strip()
        if not mrn:
            raise ValidationError("Give the patient's MRN after --face-sheet.")
        if not args.out:
            raise ValidationError("Add --out FILE.pdf: where to write the face sheet.")
        sheet = next((s for s in snapshot.face_sheets.values() if s.mrn == mrn), None)
        downtime.log_opening(data_dir, key, cli_username(args),
                             f"face sheet {sheet.patient_ref}" if sheet else "face sheet", now)  # fmt: skip
        if sheet is None:
            raise NotFoundError(f"MRN {mrn} is not in the downtime copy of today.")
        write_output(args.out, face_sheet_pdf(snapshot, sheet), force=args.force)
        sys.stdout.write(f"Face sheet written to {args.out}.\n")
        return 0
    downtime.log_opening(data_dir, key, cli_username(args), "schedule", now)
    if args.print_schedule:
        write_output(args.print_schedule, schedule_pdf(snapshot), force=args.force)
        sys.stdout.write(f"Schedule written to {args.print_schedule}.\n")
        return 0
    sys.stdout.write(DOWNTIME_NOTE.format(taken=snapshot.taken_at) + "\n")
    for line in snapshot.schedule:
        status = flow.LABELS.get(line.status, line.status)
        sys.stdout.write(f"{line.start:%H:%M}  {line.provider:<24.24} {line.patient:<28.28} "
                         f"{line.mrn:<10} {line.visit_type:<18.18} {status}\n")  # fmt: skip
    return 0
