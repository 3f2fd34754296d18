"""``ma-desk import ...``: bring patients, coverages and appointments in from the old system.

Every import is two commands: ``--dry-run`` reads the file, checks every row
against the store and prints what would happen to each, and an ID; the import
itself is run with ``--confirm ID``, which only works for that same file with
the same options. Re-running an import (after a stop, or with the same file)
creates nothing twice. Signs in like every command (``--user``; administrators).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ma_desk.cli.common import cli_session
from ma_desk.errors import ValidationError
from ma_desk.interchange.fields import load_mapping, mapping_json
from ma_desk.reports.output import write_file_atomic

WHAT = ("patients", "coverages", "appointments", "fhir")


def register(sub, parents) -> None:
    command = sub.add_parser(
        "import", parents=parents, help="import patients, coverages or appointments (CSV, FHIR)",
        description="Import an old system's CSV export (or a FHIR R4 Bundle / NDJSON file). "
        "Run it with --dry-run first: it prints what each row would do and an ID; then run "
        "the same command with --confirm ID instead of --dry-run.",
    )  # fmt: skip
    command.add_argument("what", choices=WHAT, help="what the file holds (fhir: a FHIR R4 "
                         "Bundle or NDJSON of Patient, Coverage and Appointment resources)")  # fmt: skip
    command.add_argument("file", metavar="FILE", help="the exported file")
    command.add_argument("--mapping", metavar="JSON", help="column -> field mapping file "
                         "(default: recognise the column names)")  # fmt: skip
    command.add_argument("--save-mapping", metavar="JSON", help="write the mapping used to "
                         "this file, to edit and reuse with --mapping")  # fmt: skip
    step = command.add_mutually_exclusive_group(required=True)
    step.add_argument("--dry-run", action="store_true", help="check and report; write nothing")
    step.add_argument("--confirm", metavar="ID", help="import, as the dry run with this ID said")
    command.add_argument("--duplicates", choices=("skip", "link", "create"), default="skip",
                         help="a row that matches a patient already in MA Desk: skip it "
                         "(default), link the old ID to that patient, or create a new one")  # fmt: skip
    command.add_argument("--source", default="csv", metavar="NAME", help="a one-word name of "
                         "the old system, kept with each record's old ID (default csv; use the "
                         "same name for the patients, coverages and appointments files)")  # fmt: skip
    command.add_argument("--all-rows", action="store_true", help="list every row, not only "
                         "those refused or skipped")  # fmt: skip
    command.set_defaults(func=cmd_import)


def cmd_import(args: argparse.Namespace) -> int:
    from ma_desk.services.interchange import ImportOptions

    data = _read(args.file)
    mapping = load_mapping(Path(args.mapping), args.what) if args.mapping else None
    options = ImportOptions(source=args.source, duplicates=args.duplicates, mapping=mapping)
    with cli_session(args) as (_opened, services):
        interchange = services.interchange
        if args.dry_run:
            report = (interchange.dry_run_fhir(data, options) if args.what == "fhir"
                      else interchange.dry_run_csv(args.what, data, options))  # fmt: skip
        else:
            progress = _progress if sys.stderr.isatty() else None
            report = (
                interchange.import_fhir(data, options, confirm=args.confirm, progress=progress)
                if args.what == "fhir" else interchange.import_csv(
                    args.what, data, options, confirm=args.confirm, progress=progress)
            )  # fmt: skip
    if args.save_mapping and args.what != "fhir":
        write_file_atomic(args.save_mapping, mapping_json(args.what, report.mapping).encode())
    _print_report(report, args)
    return 0


def _read(path: str) -> bytes:
    try:
        return Path(path).expanduser().read_bytes()
    except FileNotFoundError:
        raise ValidationError(f"{path} does not exist.", field="file") from None
    except OSError as exc:
        raise ValidationError(f"Cannot read {path}: {exc.strerror or exc}.", field="file") from None


def _progress(done: int, total: int) -> None:
    sys.stderr.write(f"\rImported {done:,} of {total:,} rows")
    if done >= total:
        sys.stderr.write("\n")


def _print_report(report, args: argparse.Namespace) -> None:
    out = sys.stdout
    if report.encoding:
        out.write(f"File read as {report.encoding}, columns separated by "
                  f"{_delimiter_name(report.delimiter)}.\n")  # fmt: skip
        out.write("Columns: " + "; ".join(f"{c} -> {f}" for c, f in report.mapping.items()) + "\n")
    for kind, count in sorted(report.ignored.items()):
        out.write(f"Not imported: {count} {kind} resource(s) (only Patient, Coverage and "
                  "Appointment are).\n")  # fmt: skip
    for o in report.outcomes:
        if args.all_rows or o.action in ("error", "skip"):
            where = "entry" if args.what == "fhir" else "line"
            out.write(f"{o.kind} {where} {o.line}: {o.action.upper()}: {o.message}\n")
    out.write(report.summary() + "\n")
    if report.dry_run:
        extra = "".join(f" --{name} {getattr(args, name)}" for name in ("source", "duplicates"))
        mapping = f" --mapping {args.mapping}" if args.mapping else ""
        out.write(f"Dry run ID: {report.token}\nNothing was written. To import: ma-desk import "
                  f"{args.what} {args.file}{mapping}{extra} --confirm {report.token}\n")  # fmt: skip


def _delimiter_name(delimiter: str) -> str:
    return {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars"}.get(delimiter,
                                                                            repr(delimiter))  # fmt: skip
