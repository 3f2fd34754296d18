"""``ma-desk export fhir``: a patient's record, or the whole clinic's, in FHIR R4.

``--patient MRN --out FILE.json`` writes one Bundle (right of access);
``--all --out FOLDER`` writes FHIR Bulk Data NDJSON, one file per resource
type (the clinic's EHI export). Files are owner-only, written whole or not at
all, never over existing files unless ``--force``; each export is audited as a
disclosure.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ma_desk.cli.common import cli_session
from ma_desk.errors import NotFoundError, ValidationError


def register(sub, parents) -> None:
    command = sub.add_parser(
        "export", parents=parents, help="export records as FHIR R4",
        description="Export one patient's record as a FHIR R4 Bundle, or every patient's as "
        "FHIR Bulk Data NDJSON. The files hold patient information: keep them safe.",
    )  # fmt: skip
    formats = command.add_subparsers(dest="format", metavar="FORMAT", required=True)
    fhir = formats.add_parser("fhir", parents=parents, help="FHIR R4 (Bundle or NDJSON)")
    who = fhir.add_mutually_exclusive_group(required=True)
    who.add_argument("--patient", metavar="MRN", help="one patient, e.g. M100042")
    who.add_argument("--all", action="store_true", help="every patient (NDJSON folder)")
    fhir.add_argument("--out", required=True, metavar="PATH",
                      help="FILE.json for one patient; a folder for --all")  # fmt: skip
    fhir.add_argument("--force", action="store_true", help="replace files that exist")
    fhir.set_defaults(func=cmd_export_fhir)


def cmd_export_fhir(args: argparse.Namespace) -> int:
    with cli_session(args) as (_opened, services):
        if args.all:
            progress = _progress if sys.stderr.isatty() else None
            counts = services.interchange.export_clinic_fhir(Path(args.out), replace=args.force,
                                                             progress=progress)  # fmt: skip
            lines = "".join(f"  {kind}.ndjson: {count:,}\n" for kind, count in counts.items())
            sys.stdout.write(f"Wrote to {args.out}:\n{lines}")
            return 0
        if Path(args.out).expanduser().exists() and not args.force:
            raise ValidationError(f"{args.out} already exists; choose another name or add --force.",
                                  field="out")  # fmt: skip
        patient_id = _patient_id(services, args.patient)
        count = services.interchange.export_patient_fhir(patient_id, Path(args.out),
                                                         replace=args.force)  # fmt: skip
    sys.stdout.write(f"Wrote {count} resources to {args.out}.\n")
    return 0


def _patient_id(services, mrn: str) -> int:
    wanted = mrn.strip().upper()
    hit = next((h for h in services.patients.search(wanted) if h.mrn == wanted), None)
    if hit is None:
        raise NotFoundError(f"No patient has MRN {mrn}.")
    return hit.id


def _progress(kind: str, count: int) -> None:
    sys.stderr.write(f"\r{kind}: {count:,}   ")
