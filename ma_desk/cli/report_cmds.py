"""``ma-desk report ...``: visit summaries, end-of-day reports, labels and handouts to a file.

Each command signs in (``--user`` / ``MA_DESK_USER``; password prompted or from
``MA_DESK_PASSWORD``), builds the document in memory and writes it atomically
to ``--out`` (owner-only permissions, never over an existing file unless
``--force``). The print or export is audited like the GUI's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from ma_desk.cli.common import cli_session
from ma_desk.errors import ValidationError
from ma_desk.reports.output import write_file_atomic


def register(sub, parents) -> None:
    report = sub.add_parser(
        "report", parents=parents, help="print documents to PDF/CSV files",
        description="Build a printed document and write it to a file (PDF or CSV). The file "
        "holds patient information: keep it somewhere safe and delete it when done.",
    )  # fmt: skip
    kinds = report.add_subparsers(dest="report", metavar="DOCUMENT", required=True)

    summary = kinds.add_parser("visit-summary", parents=parents,
                               help="the after-visit summary of one visit (PDF)")  # fmt: skip
    summary.add_argument("--visit", type=int, required=True, metavar="ID", help="visit number")
    _out(summary)
    summary.set_defaults(func=cmd_visit_summary)

    eod = kinds.add_parser("end-of-day", parents=parents,
                           help="the end-of-day report for a date (PDF or CSV)")  # fmt: skip
    eod.add_argument("--date", required=True, metavar="YYYY-MM-DD", help="the clinic day")
    eod.add_argument("--format", choices=("pdf", "csv"), default="pdf", help="default pdf")
    eod.add_argument("--provider", type=int, metavar="ID", help="only this provider's visits")
    _out(eod)
    eod.set_defaults(func=cmd_end_of_day)

    labels = kinds.add_parser(
        "labels", parents=parents, help="patient or specimen labels with a barcode (PDF)",
        description="Patient labels (barcode = MRN) for a patient or a visit, or specimen "
        "labels (barcode = specimen ID) for a visit, one per --specimen.",
    )  # fmt: skip
    labels.add_argument("--kind", choices=("patient", "specimen"), default="patient")
    who = labels.add_mutually_exclusive_group(required=True)
    who.add_argument("--visit", type=int, metavar="ID", help="visit number")
    who.add_argument("--patient", type=int, metavar="ID", help="patient number (patient labels)")
    labels.add_argument("--count", type=int, default=1, metavar="N",
                        help="how many patient labels (default 1)")  # fmt: skip
    labels.add_argument("--specimen", action="append", default=[], metavar="TYPE",
                        help="a specimen to label, e.g. 'Blood, lavender top' (repeatable)")  # fmt: skip
    labels.add_argument("--layout", choices=("sheet", "roll"), default="sheet",
                        help="sheet: Avery 5160 30-up letter sheet; roll: 2.25x1.25 in roll")  # fmt: skip
    labels.add_argument("--dpi", type=int, choices=(203, 300, 600), default=None,
                        help="the label printer's resolution; barcodes are drawn on its dot grid "
                        "(default: 300 for sheet, 203 for roll)")  # fmt: skip
    labels.add_argument("--start", type=int, default=1, metavar="POS",
                        help="first free position on a partly used sheet (1-30)")  # fmt: skip
    _out(labels)
    labels.set_defaults(func=cmd_labels)

    handout = kinds.add_parser("handout", parents=parents,
                               help="patient handouts for a visit (PDF; recorded as given)")  # fmt: skip
    handout.add_argument("--visit", type=int, required=True, metavar="ID", help="visit number")
    handout.add_argument("--handout", action="append", required=True, metavar="SLUG",
                         help="handout short name, e.g. wound-care (repeatable)")  # fmt: skip
    handout.add_argument("--language", choices=("en", "es"),
                         help="default: the patient's preferred language")  # fmt: skip
    _out(handout)
    handout.set_defaults(func=cmd_handout)


def _out(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, metavar="FILE", help="file to write")
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")


def write_output(path: str, data: bytes, *, force: bool = False) -> Path:
    """Write atomically with owner-only permissions (see ``write_file_atomic``)."""
    if Path(path).expanduser().exists() and not force:
        raise ValidationError(f"{path} already exists; choose another name or add --force.",
                              field="out")  # fmt: skip
    return write_file_atomic(path, data, force=force)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"--date {text!r} is not a date like 2026-11-23.",
                              field="date") from None  # fmt: skip


def _done(target: Path, what: str) -> int:
    sys.stdout.write(f"{what} written to {target}\n")
    return 0


def cmd_visit_summary(args: argparse.Namespace) -> int:
    with cli_session(args) as (_opened, services):
        pdf = services.reports.visit_summary(args.visit)
    return _done(write_output(args.out, pdf, force=args.force), "Visit summary")


def cmd_end_of_day(args: argparse.Namespace) -> int:
    day = _date(args.date)
    with cli_session(args) as (_opened, services):
        if args.format == "csv":
            data = services.reports.end_of_day_csv(day, args.provider).encode("utf-8-sig")
        else:
            data = services.reports.end_of_day_pdf(day, args.provider)
    return _done(write_output(args.out, data, force=args.force),
                 f"End-of-day report ({args.format.upper()})")  # fmt: skip


def cmd_labels(args: argparse.Namespace) -> int:
    with cli_session(args) as (_opened, services):
        rows = services.reports.label_data(
            kind=args.kind, visit_id=args.visit, patient_id=args.patient, count=args.count,
            specimen_types=args.specimen,
        )  # fmt: skip
        pdf = services.reports.labels(rows, layout=args.layout, start_position=args.start,
                                      dpi=args.dpi)  # fmt: skip
    return _done(write_output(args.out, pdf, force=args.force), f"{len(rows)} label(s)")


def cmd_handout(args: argparse.Namespace) -> int:
    from ma_desk.services.handouts import language_code

    with cli_session(args) as (_opened, services):
        summary = services.reports.visit_summary_data(args.visit)
        language = args.language or language_code(summary.patient.preferred_language)
        library = services.handouts.list()
        ids = []
        for slug in args.handout:
            match = [h for h in library if h.slug == slug and h.language == language] or [
                h for h in library if h.slug == slug
            ]
            if not match:
                known = ", ".join(sorted({h.slug for h in library})) or "none"
                raise ValidationError(f"No handout called {slug!r}. Known: {known}.",
                                      field="handout")  # fmt: skip
            ids.append(match[0].id)
        pdf = services.handouts.pdf_for_visit(args.visit, ids)
        target = write_output(args.out, pdf, force=args.force)
        services.handouts.record_given(args.visit, ids)
    return _done(target, f"{len(ids)} handout(s)")
