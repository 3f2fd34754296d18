"""Old systems' exports as the tests make them: shaped like common practice-management
exports (their header names, delimiters, encodings and line ends), with messy rows.

Every person here is synthetic; phone numbers are in the 555-01xx fiction range.
"""

from __future__ import annotations

from ma_desk.services import Services
from ma_desk.services.interchange import ImportOptions, ImportReport


def comma_export_utf8_bom() -> bytes:
    """UTF-8 with BOM, CRLF, quoted commas and a quoted line break, MM/DD/YYYY dates."""
    rows = [
        "Patient ID,Last Name,First Name,Middle Name,Date of Birth,Gender,Home Phone,"
        "Address 1,Address 2,City,State,Zip Code,Email",
        '1001,Okonkwo,Adaeze,,03/07/1980,F,(555) 010-4477,"12 Oak St, Apt 3",,Portland,OR,'
        "97201,adaeze@example.com",
        '1002,"García Márquez",José,Luis,12/31/1999,M,555.010.1234 x12,"48 Elm Rd",'
        '"Unit 5\nBack door",Salem,or,97301,',
        "1003,Nguyen,Thi,,02/30/2025,F,,,,,,,",
        "1004,Brown,Sam,,1/2/1975,U,555-010-9988,,,,ZZ,,",
        "1005,Lee,Min,,07/04/2031,F,,,,,,,",
        "",
        '1006,=HYPERLINK("http://x"),Bad,,01/01/1990,M,,,,,,,',
        "1007,O'Brien,Siobhan,,04/05/1962,Female,5550100077,,,,,,",
        "1001,Okonkwo,Adaeze,,03/07/1980,F,(555) 010-4477,,,,,,",
    ]
    return ("\ufeff" + "\r\n".join(rows) + "\r\n").encode("utf-8")


def semicolon_export_cp1252() -> bytes:
    """Windows-1252, semicolons, M/D/YY years, its own header names."""
    rows = [
        "Acct #;Patient Last Name;Patient First Name;DOB;Sex;Cell Phone;Street;City;ST;Zip",
        "A-17;Müller;Zoë;4/5/80;F;555 010 2233;Rue 1;Eugene;OR;97401",
        "A-18;Peña;Iñigo;11/9/05;M;+1 (555) 010-3344;;;;",
        "A-19;Smith;John;13/01/1990;M;;;;;",
        "A-20;Ortiz;Ana;05/06/1991;F;555-0100;;;;",
    ]
    return ("\r\n".join(rows) + "\r\n").encode("cp1252")


def tab_export_iso() -> bytes:
    """Tab-delimited, LF, ISO dates, a different ID column and extra unmapped columns."""
    rows = [
        "Chart Number\tLName\tFName\tBirthdate\tGender\tBalance\tLast Visit",
        "C1\tKhan\tAisha\t1988-02-29\tF\t12.50\t2026-01-02",
        "C2\tKhan\tOmar\t1989-02-29\tM\t0\t2026-01-02",
        "C3\t\tNoLast\t1970-01-01\tM\t0\t",
    ]
    return ("\n".join(rows) + "\n").encode("utf-8")


def run_import(services: Services, kind: str, data: bytes, **options) -> ImportReport:
    """The dry run, then the import it confirms; returns the import's report."""
    chosen = ImportOptions(**{"source": "oldpm", **options})
    if kind == "fhir":
        dry = services.interchange.dry_run_fhir(data, chosen)
        return services.interchange.import_fhir(data, chosen, confirm=dry.token)
    dry = services.interchange.dry_run_csv(kind, data, chosen)
    return services.interchange.import_csv(kind, data, chosen, confirm=dry.token)


def by_line(report: ImportReport) -> dict[int, tuple[str, str]]:
    return {o.line: (o.action, o.message) for o in report.outcomes}
