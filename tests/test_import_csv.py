"""CSV import of an old system's patients, coverages and appointments (issue 18).

Files are made here in the shapes practice-management systems export (see
tests/import_files.py); every row's outcome and message is checked, and what
reached the store is read back.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ma_desk.db.models import Appointment, AuditEvent, InsuranceCoverage, Patient
from ma_desk.errors import PermissionDenied, ValidationError
from ma_desk.services import Services
from ma_desk.services.interchange import BATCH_ROWS, ImportOptions
from tests.import_files import (
    by_line,
    comma_export_utf8_bom,
    run_import,
    semicolon_export_cp1252,
    tab_export_iso,
)

pytestmark = pytest.mark.both_stores


def patients(services: Services) -> dict[str, Patient]:
    with services.ctx.db.read() as s:
        rows = s.scalars(select(Patient).where(Patient.external_source == "oldpm")).all()
        s.expunge_all()
    return {p.external_id: p for p in rows}


def audit_count(services: Services) -> int:
    with services.ctx.db.read() as s:
        return s.scalar(select(func.count(AuditEvent.id)))


def test_comma_export_with_bom_crlf_and_messy_rows(services: Services):
    report = run_import(services, "patients", comma_export_utf8_bom())
    assert report.encoding == "utf-8-sig" and report.delimiter == ","
    rows = by_line(report)
    assert sorted(rows) == [2, 3, 5, 6, 7, 9, 10, 11]  # line 4 is row 1002's quoted line break
    assert rows[2][0] == "create" and rows[3][0] == "create" and rows[10][0] == "create"
    assert rows[5] == (
        "error",
        "Date of birth: 02/30/2025 is not a real date (check month and day).",
    )
    assert rows[6] == ("error", "State: Use the two-letter US state code, e.g. OR.")
    assert rows[7] == ("error", "Date of birth cannot be in the future.")
    assert rows[9][0] == "error" and "Last name holds a spreadsheet formula" in rows[9][1]
    assert rows[11] == ("skip", "Same ID as line 2 of this file; only the first is imported.")
    stored = patients(services)
    assert sorted(stored) == ["1001", "1002", "1007"]
    ada, jose, siobhan = stored["1001"], stored["1002"], stored["1007"]
    assert (ada.last_name, ada.first_name, ada.dob, ada.sex) == (
        "Okonkwo", "Adaeze", dt.date(1980, 3, 7), "female")  # fmt: skip
    assert (ada.phone, ada.address1, ada.city, ada.state, ada.zip, ada.email) == (
        "(555) 010-4477", "12 Oak St, Apt 3", "Portland", "OR", "97201", "adaeze@example.com")  # fmt: skip
    assert (jose.last_name, jose.middle_name, jose.phone, jose.state) == (
        "García Márquez", "Luis", "(555) 010-1234", "OR")  # fmt: skip
    assert jose.address2 == "Unit 5\nBack door"
    assert (siobhan.sex, siobhan.phone, siobhan.dob) == ("female", "(555) 010-0077",
                                                         dt.date(1962, 4, 5))  # fmt: skip
    assert all(p.mrn == f"M{100000 + p.id:06d}" and p.version == 1 for p in stored.values())
    assert jose.search_last == "garciamarquez" or jose.search_last.startswith("garcia")


def test_windows_1252_semicolons_and_two_digit_years(services: Services):
    report = run_import(services, "patients", semicolon_export_cp1252())
    assert (report.encoding, report.delimiter) == ("cp1252", ";")
    rows = by_line(report)
    assert rows[2][0] == rows[3][0] == "create"
    assert rows[4] == (
        "error",
        "Date of birth: 13/01/1990 is not a real date (check month and day).",
    )
    assert rows[5] == ("error", "Phone: “555-0100” is not a 10-digit US phone number.")
    stored = patients(services)
    assert (stored["A-17"].last_name, stored["A-17"].first_name) == ("Müller", "Zoë")
    assert stored["A-17"].dob == dt.date(1980, 4, 5)
    assert (stored["A-18"].last_name, stored["A-18"].dob) == ("Peña", dt.date(2005, 11, 9))
    assert stored["A-18"].phone == "(555) 010-3344"


def test_tab_export_with_iso_dates_and_unmapped_columns(services: Services):
    preview = services.interchange.preview_csv("patients", tab_export_iso())
    assert preview.delimiter == "\t" and preview.missing == []
    assert preview.mapping == {"Chart Number": "external_id", "LName": "last_name",
                               "FName": "first_name", "Birthdate": "dob", "Gender": "sex"}  # fmt: skip
    rows = by_line(run_import(services, "patients", tab_export_iso()))
    assert rows[2][0] == "create"
    assert rows[3] == (
        "error",
        "Date of birth: 1989-02-29 is not a real date (check month and day).",
    )
    assert rows[4] == ("error", "Last name is required.")
    assert patients(services)["C1"].dob == dt.date(1988, 2, 29)


def test_importing_the_same_file_again_changes_nothing(services: Services):
    run_import(services, "patients", comma_export_utf8_bom())
    before = {k: (p.version, p.updated_at, p.mrn) for k, p in patients(services).items()}
    again = run_import(services, "patients", comma_export_utf8_bom())
    counts = again.counts()
    assert (counts["create"], counts["update"], counts["unchanged"]) == (0, 0, 3)
    assert {k: (p.version, p.updated_at, p.mrn) for k, p in patients(services).items()} == before


def test_a_changed_row_updates_its_record_and_says_which_fields(services: Services):
    run_import(services, "patients", tab_export_iso())
    changed = tab_export_iso().replace(b"C1\tKhan\tAisha", b"C1\tKhan-Ali\tAisha")
    rows = by_line(run_import(services, "patients", changed))
    assert rows[2][0] == "update" and rows[2][1].endswith("changed: last name.")
    stored = patients(services)["C1"]
    assert (stored.last_name, stored.search_last, stored.version) == ("Khan-Ali", "khanali", 2)


def test_no_import_without_the_dry_run_of_the_same_file_and_options(services: Services):
    data = tab_export_iso()
    options = ImportOptions(source="oldpm")
    with pytest.raises(ValidationError, match="Run the dry run first"):
        services.interchange.import_csv("patients", data, options, confirm="0" * 20)
    dry = services.interchange.dry_run_csv("patients", data, options)
    assert dry.dry_run and patients(services) == {}
    edited = data.replace(b"Aisha", b"Aysha")
    with pytest.raises(ValidationError, match="Nothing was imported"):
        services.interchange.import_csv("patients", edited, options, confirm=dry.token)
    for other in (
        ImportOptions(source="other"),
        ImportOptions(source="oldpm", duplicates="create"),
    ):
        with pytest.raises(ValidationError):
            services.interchange.import_csv("patients", data, other, confirm=dry.token)
    assert patients(services) == {}
    services.interchange.import_csv("patients", data, options, confirm=dry.token)
    assert sorted(patients(services)) == ["C1"]


def _many(count: int, start: int = 0) -> bytes:
    lines = ["ID,Last,First,DOB"] + [
        f"P{n},Lastname{n:06d},Given{n},01/{1 + n % 28:02d}/{1940 + n % 60}"
        for n in range(start, start + count)
    ]
    return ("\n".join(lines) + "\n").encode()


def test_batches_commit_whole_each_audited_without_names(services: Services):
    data = _many(BATCH_ROWS + 5)
    before = audit_count(services)
    report = run_import(services, "patients", data)
    assert report.counts()["create"] == BATCH_ROWS + 5
    with services.ctx.db.read() as s:
        entries = s.scalars(select(AuditEvent).where(AuditEvent.id > before)
                            .order_by(AuditEvent.id)).all()  # fmt: skip
    batches = [e for e in entries if e.action == "import"]
    assert [json.loads(e.details)["rows"] for e in batches] == [BATCH_ROWS, 5]
    created = [i for e in batches for i in json.loads(e.details)["created"]]
    assert sorted(created) == sorted(p.id for p in patients(services).values())
    text = " ".join(e.details for e in entries)
    assert "Lastname" not in text and "Given" not in text and "01/" not in text


def test_a_stopped_import_resumes_where_it_stopped(services: Services):
    data = _many(2 * BATCH_ROWS + 10)
    options = ImportOptions(source="oldpm")
    dry = services.interchange.dry_run_csv("patients", data, options)
    calls = []
    stopped = services.interchange.import_csv(
        "patients", data, options, confirm=dry.token,
        progress=lambda done, total: calls.append((done, total)),
        cancelled=lambda: len(calls) >= 1,
    )  # fmt: skip
    assert stopped.cancelled and calls == [(BATCH_ROWS, 2 * BATCH_ROWS + 10)]
    assert "run the same import again" in stopped.summary()
    assert len(patients(services)) == BATCH_ROWS  # the first batch, whole
    finished = services.interchange.import_csv("patients", data, options, confirm=dry.token)
    counts = finished.counts()
    assert (counts["unchanged"], counts["create"]) == (BATCH_ROWS, BATCH_ROWS + 10)
    assert len(patients(services)) == 2 * BATCH_ROWS + 10


def test_a_failing_batch_leaves_nothing_of_itself(services: Services, monkeypatch):
    from ma_desk.services import interchange

    data = _many(BATCH_ROWS + 3)
    options = ImportOptions(source="oldpm")
    dry = services.interchange.dry_run_csv("patients", data, options)
    real = interchange.InterchangeService._insert_patients
    calls = []

    def fail_second(self, session, rows, *rest):
        calls.append(len(rows))
        ids = real(self, session, rows, *rest)
        if len(calls) == 2:
            raise OSError("disk full (simulated)")
        return ids

    monkeypatch.setattr(interchange.InterchangeService, "_insert_patients", fail_second)
    before = audit_count(services)
    with pytest.raises(OSError):
        services.interchange.import_csv("patients", data, options, confirm=dry.token)
    assert len(patients(services)) == BATCH_ROWS
    assert audit_count(services) == before + 1  # the first batch's entry only


# ---------------------------------------------------------------- duplicates
def _register_existing(services: Services) -> int:
    from ma_desk.services.patients import PatientInput

    record = services.patients.register(PatientInput(
        first_name="Adaeze", last_name="Okonkwo", dob="03/07/1980", phone="(555) 010-4477"))  # fmt: skip
    return record.id


@pytest.mark.parametrize("choice", ["skip", "link", "create"])
def test_a_patient_already_on_file_is_matched_like_registration(services: Services, choice):
    existing = _register_existing(services)
    rows = by_line(run_import(services, "patients", comma_export_utf8_bom(), duplicates=choice))
    action, message = rows[2]
    stored = patients(services)
    if choice == "skip":
        assert action == "skip" and "May already be registered: Okonkwo, Adaeze" in message
        assert "same date of birth" in message and "1001" not in stored
    elif choice == "link":
        assert action == "link" and message.startswith("Linked to Okonkwo, Adaeze")
        assert stored["1001"].id == existing
    else:
        assert action == "create" and "although it may be: Okonkwo, Adaeze" in message
        assert stored["1001"].id != existing


# ---------------------------------------------------------------- coverages, appointments
COVERAGES = (
    b"Patient ID,Insurance Name,Policy #,Group #,Coverage Order,Relationship,Insured Name,"
    b"Insured DOB,Effective Date\r\n"
    b"1001,Demo Blue Shield,XYZ-123,G1,Primary,Self,,,01/01/2026\r\n"
    b"1001,Demo Medicare,MC999,,Secondary,Spouse,Obi Okonkwo,02/03/1950,\r\n"
    b"1001,Demo Aetna-like,AE1,,Primary,Self,,,\r\n"
    b"9999,Demo Blue Shield,Q1,,Primary,Self,,,\r\n"
    b"1002,Demo Blue Shield,ZZ 1,,P,Child,,,\r\n"
)


def test_coverages_attach_to_the_imported_patients(services: Services):
    run_import(services, "patients", comma_export_utf8_bom())
    report = run_import(services, "coverages", COVERAGES)
    rows = by_line(report)
    assert rows[2] == ("create", "New coverage.") and rows[3] == ("create", "New coverage.")
    assert (
        rows[4][0] == "error" and "already has a primary coverage (Demo Blue Shield)" in rows[4][1]
    )
    assert rows[5] == ("error", "No patient with ID “9999” was imported from oldpm: import the "
                       "patients file first (same source).")  # fmt: skip
    assert rows[6][0] == "error" and "Subscriber name is required when not self." in rows[6][1]
    with services.ctx.db.read() as s:
        stored = s.scalars(select(InsuranceCoverage).order_by(InsuranceCoverage.priority)).all()
        values = [(c.payer, c.member_id, c.group_number, c.priority, c.subscriber_relationship,
                   c.subscriber_name, c.subscriber_dob, c.effective_date) for c in stored]  # fmt: skip
    assert values == [
        ("Demo Blue Shield", "XYZ123", "G1", 1, "self", "", None, dt.date(2026, 1, 1)),
        ("Demo Medicare", "MC999", "", 2, "spouse", "Obi Okonkwo", dt.date(1950, 2, 3), None),
    ]
    assert run_import(services, "coverages", COVERAGES).counts()["unchanged"] == 2


def test_future_appointments_come_in_with_provider_and_type(demo_services, sign_in_as, clock):
    sign_in_as("admin")
    run_import(demo_services, "patients", comma_export_utf8_bom())
    appointments = (
        b"Appt ID,Patient ID,Appt Date,Appt Time,Provider,Appt Type,Duration,Reason\n"
        b"X1,1001,12/01/2026,9:30 AM,\"Okafor, Amara MD\",Follow-up,20,BP check\n"
        b"X2,1001,2026-12-02,14:00,Dr. Amara Okafor,,,\n"
        b"X3,1002,11/01/2026,9:00 AM,Dr. Amara Okafor,,,\n"
        b"X4,1002,12/03/2026,9:00 AM,Dr. Who,,,\n"
        b"X5,1002,12/03/2026,9:00 AM,Dr. Amara Okafor,Massage,,\n"
        b"X6,1002,12/03/2026,25:00,Dr. Amara Okafor,,,\n"
        b"X7,1002,12/03/2026,9:00 AM,Dr. Amara Okafor,,600,\n"
    )  # fmt: skip
    rows = by_line(run_import(demo_services, "appointments", appointments))
    assert rows[2] == ("create", "New appointment with Dr. Amara Okafor.")
    assert rows[3] == ("create", "New appointment with Dr. Amara Okafor.")
    assert rows[4] == ("skip", "In the past (11/01/2026 09:00 AM); only future appointments "
                       "are imported.")  # fmt: skip
    assert rows[5][0] == "error" and rows[5][1].startswith("Provider “Dr. Who” is not set up")
    assert rows[6][0] == "error" and rows[6][1].startswith("Visit type “Massage” is not set up")
    assert rows[7] == ("error", "Time: 25:00 is not a time of day.")
    assert rows[8] == (
        "error",
        "Length (minutes): Length must be a number of minutes from 5 to 480.",
    )
    with demo_services.ctx.db.read() as s:
        stored = {a.external_id: a for a in s.scalars(
            select(Appointment).where(Appointment.external_source == "oldpm"))}  # fmt: skip
        x1, x2 = stored["X1"], stored["X2"]
        assert (x1.start, x1.minutes, x1.reason, x1.type.name, x1.status) == (
            dt.datetime(2026, 12, 1, 9, 30), 20, "BP check", "Follow-up", "scheduled")  # fmt: skip
        assert (x2.start, x2.minutes, x2.type.name) == (dt.datetime(2026, 12, 2, 14), 15,
                                                        "Follow-up")  # fmt: skip
    assert sorted(stored) == ["X1", "X2"]


# ---------------------------------------------------------------- bad files
BAD_FILES = [
    (b"", "The file is empty"),
    (b"   \r\n\r\n", "The file is empty"),
    (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4, "not a text (CSV) file"),
    (b"\x00\x01\x02binary\x00" * 50, "not a text (CSV) file"),
    (b"Last,First\nSmith,Ann\n", "No column of the file is mapped to: Patient ID in the old "
     "system, Date of birth"),
    ("\ufeffID,Last,First,DOB\n1,Sm\udcffith".encode("utf-8", "surrogatepass"), "bytes that are not"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "message"), BAD_FILES)
def test_a_file_that_cannot_be_imported_says_why_and_nothing_changes(services, data, message):
    before = audit_count(services)
    with pytest.raises(ValidationError, match=re.escape(message)):
        services.interchange.dry_run_csv("patients", data, ImportOptions(source="oldpm"))
    assert audit_count(services) == before and patients(services) == {}


def test_rows_that_cannot_be_read_are_reported_by_line(services: Services):
    huge = "x" * 1_000_000
    data = (
        "ID,Last,First,DOB\n"
        "1,Good,Row,01/02/1980\n"
        f"2,{huge},Big,01/02/1980\n"
        "3,Short,Row\n"
        "4,Extra,Cell,01/02/1980,surplus\n"
        "5,Fine,Too,01/03/1980\n"
        '6,"Cut off,Row,01/02/1980\n'
        "7,Never,Read,01/02/1980\n"
    ).encode()
    report = run_import(services, "patients", data)
    rows = by_line(report)
    assert rows[2][0] == rows[6][0] == "create"
    assert rows[3] == ("error", "A cell has 1,000,000 characters (at most 4,000); the row was "
                       "not read.")  # fmt: skip
    assert rows[4][0] == "error" and rows[4][1].startswith("Has 3 cells where the header has 4")
    assert rows[5][0] == "error" and rows[5][1].startswith("Has 5 cells where the header has 4")
    assert rows[7] == ("error", "The file ends inside a quoted cell (cut off?); this row and any "
                       "after it were not read.")  # fmt: skip
    assert sorted(patients(services)) == ["1", "5"]


def test_an_unknown_encoding_is_refused_with_advice(services: Services):
    data = b"ID,Last,First,DOB\n1," + bytes([0x81, 0x8D, 0x8F, 0x90, 0x9D, 0xFF]) * 3
    with pytest.raises(ValidationError) as caught:
        services.interchange.dry_run_csv("patients", data + b",A,01/02/1980\n",
                                         ImportOptions(source="oldpm"))  # fmt: skip
    assert "neither UTF-8 nor Windows-1252" in str(caught.value)
    assert "export it again as CSV UTF-8" in str(caught.value)


def test_a_mapping_file_names_the_columns(services: Services, tmp_path):
    from ma_desk.interchange.fields import load_mapping

    data = b"Ident|Surname|Given|Born\nQ1|Ito|Ken|1970-05-06\n"
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"kind": "patients", "columns": {
        "Ident": "external_id", "Surname": "last_name", "Given": "first_name", "Born": "dob"}}))  # fmt: skip
    mapping = load_mapping(path, "patients")
    report = run_import(services, "patients", data, mapping=mapping)
    assert report.counts()["create"] == 1 and report.delimiter == "|"
    assert patients(services)["Q1"].dob == dt.date(1970, 5, 6)
    with pytest.raises(ValidationError, match="do not have: shoe_size"):
        run_import(services, "patients", data, mapping={**mapping, "Born": "shoe_size"})
    with pytest.raises(ValidationError, match="columns the file does not have: Nope"):
        run_import(services, "patients", data, mapping={**mapping, "Nope": "email"})
    with pytest.raises(ValidationError, match="That mapping is for coverages"):
        path.write_text(json.dumps({"kind": "coverages", "columns": {}}))
        load_mapping(path, "patients")


def test_only_an_administrator_imports(demo_services, sign_in_as):
    for user in ("ma", "frontdesk", "provider"):
        sign_in_as(user)
        with pytest.raises(PermissionDenied):
            demo_services.interchange.dry_run_csv("patients", tab_export_iso(), ImportOptions())


# ---------------------------------------------------------------- any text typed in a cell
CELL = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(last=CELL, first=CELL, dob=CELL, phone=CELL, state=CELL)
def test_any_cell_text_gives_a_row_outcome_never_a_crash(services, last, first, dob, phone, state):
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["ID", "Last", "First", "DOB", "Phone", "State"])
    writer.writerow(["H1", last, first, dob, phone, state])
    try:
        report = services.interchange.dry_run_csv("patients", buffer.getvalue().encode(),
                                                  ImportOptions(source="hypo"))  # fmt: skip
    except ValidationError as exc:  # the whole file refused: said in words
        assert str(exc) and "Traceback" not in str(exc)
        return
    for outcome in report.outcomes:
        assert outcome.action in ("create", "error", "skip") and outcome.message


def test_imported_patients_are_found_like_registered_ones(services: Services):
    """Phone endings, a part of a compound surname and typed Latin letters find an
    imported patient exactly as they find one registered at the desk."""
    run_import(services, "patients", comma_export_utf8_bom())
    found = {
        query: {hit.last_name for hit in services.patients.search(query)}
        for query in ("4477", "010-4477", "marquez", "garcia jose", "okonkwo")
    }
    assert found == {
        "4477": {"Okonkwo"},
        "010-4477": {"Okonkwo"},
        "marquez": {"García Márquez"},
        "garcia jose": {"García Márquez"},
        "okonkwo": {"Okonkwo"},
    }
    changed = comma_export_utf8_bom().replace(b"Okonkwo,Adaeze,,03/07/1980,F,(555) 010-4477,\"12",
                                              b"Okonkwo-Eze,Adaeze,,03/07/1980,F,(555) 010-4477,\"12")  # fmt: skip
    run_import(services, "patients", changed)
    assert {hit.last_name for hit in services.patients.search("eze")} == {"Okonkwo-Eze"}
