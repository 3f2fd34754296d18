"""Search as you type: what each kind of query finds, today's patients first, and no table scans."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from ma_desk.services.patients import (
    PatientInput,
    PatientService,
    SearchQuery,
    _wider_readings,
    parse_dob,
    parse_query,
)

pytestmark = pytest.mark.both_stores  # services run on SQLCipher and PostgreSQL

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def people(services):
    """A handful of patients with awkward names and formats."""
    reg = services.patients.register
    return {
        "zoe": reg(
            PatientInput(
                first_name="Zoë", last_name="Ångström", dob="04/05/1980", phone="503-555-0101"
            )
        ),  # fmt: skip
        "obrien": reg(
            PatientInput(
                first_name="Seán", last_name="O'Brien", dob="1975-12-01", phone="(503) 555 0177"
            )
        ),  # fmt: skip
        "smith": reg(PatientInput(first_name="Jo", last_name="Smith", dob="02/03/1971")),
        "smithers": reg(
            PatientInput(
                first_name="Waylon", last_name="Smithers", dob="07/08/1950", phone="5035550199"
            )
        ),  # fmt: skip
        "delacruz": reg(
            PatientInput(first_name="Maria", last_name="De la Cruz", dob="10/10/1990")
        ),  # fmt: skip
    }


def ids(hits):
    return [h.id for h in hits]


@pytest.mark.parametrize(
    "typed, kind",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("!!", "empty"),
        ("smi", "name"),
        ("Smith, Jo", "name"),
        ("jo smith", "name"),
        ("04/05/1980", "dob"),
        ("1980-04-05", "dob"),
        ("04-05-1980", "dob"),
        ("04051980", "dob"),
        ("Apr 5, 1980", "dob"),
        ("M100001", "mrn"),
        ("100001", "mrn"),
        ("(503) 555-0101", "phone"),
        ("503.555.0101", "phone"),
        ("5035550101", "phone"),
    ],
)
def test_parse_query_reads_each_kind(typed, kind):
    assert parse_query(typed, TODAY).kind == kind


def test_parse_dob_formats_and_two_digit_years():
    expected = dt.date(1980, 4, 5)
    for typed in ("04/05/1980", "4/5/1980", "1980-04-05", "04-05-1980", "04051980",
                  "19800405", "Apr 5 1980", "April 5, 1980", "5 Apr 1980", "4/5/80"):  # fmt: skip
        assert parse_dob(typed, TODAY) == expected, typed
    assert parse_dob("1/2/25", TODAY) == dt.date(2025, 1, 2)
    assert parse_dob("02/30/1980", TODAY) is None
    assert parse_dob("not a date", TODAY) is None


def test_name_prefix_is_case_and_accent_insensitive(services, people):
    for typed in ("angs", "ANGSTROM", "Ångs", "angstrom, zo", "ANGSTROM, ZOE", "zoe angstrom"):
        assert people["zoe"].id in ids(services.patients.search(typed)), typed
    for typed in ("obrien", "o'brien", "O'BRIEN, sean", "sean obr"):
        assert people["obrien"].id in ids(services.patients.search(typed)), typed
    assert ids(services.patients.search("de la cruz")) == [people["delacruz"].id]


def test_name_prefix_narrows_as_you_type(services, people):
    assert set(ids(services.patients.search("smi"))) == {people["smith"].id, people["smithers"].id}
    assert ids(services.patients.search("smith, j")) == [people["smith"].id]
    # "smithe" is a prefix of Smithers and one typo from Smith: the prefix match leads.
    assert ids(services.patients.search("smithe")) == [people["smithers"].id, people["smith"].id]
    assert ids(services.patients.search("smithx")) == [people["smith"].id]  # one typo
    assert services.patients.search("smithxx") == []  # two typos


def test_single_word_also_matches_first_names_after_last_names(services, people):
    hits = services.patients.search("ma")
    assert people["delacruz"].id in ids(hits)


def test_dob_in_several_formats(services, people):
    for typed in ("04/05/1980", "1980-04-05", "04051980", "4/5/80", "April 5, 1980"):
        assert ids(services.patients.search(typed)) == [people["zoe"].id], typed


def test_mrn_with_or_without_prefix(services, people):
    mrn = people["obrien"].mrn
    assert ids(services.patients.search(mrn)) == [people["obrien"].id]
    assert ids(services.patients.search(mrn.lower())) == [people["obrien"].id]
    assert people["obrien"].id in ids(services.patients.search(mrn[1:]))


def test_phone_in_any_formatting_and_as_a_prefix(services, people):
    for typed in ("(503) 555-0177", "503-555-0177", "503.555.0177", "5035550177",
                  "+1 503 555 0177", "503 555 01"):  # fmt: skip
        assert people["obrien"].id in ids(services.patients.search(typed)), typed
    assert ids(services.patients.search("503 555 0177")) == [people["obrien"].id]


def test_todays_patients_come_first_with_their_time(demo_services):
    booked = demo_services.patients.booked_today(TODAY)
    assert booked and all(h.appointment_time.date() == TODAY for h in booked)
    target = next(h for h in booked if h.appointment_status == "scheduled")
    hits = demo_services.patients.search(target.last_name[:2])
    with_time = [h for h in hits if h.appointment_time is not None]
    assert hits[: len(with_time)] == with_time, "booked patients must lead the list"
    mine = next(h for h in hits if h.id == target.id)
    assert mine.appointment_time == target.appointment_time
    assert mine.provider_name


def test_todays_list_puts_those_still_to_arrive_first(demo_services):
    booked = demo_services.patients.booked_today(TODAY)
    stages = [0 if h.appointment_status in ("scheduled", "confirmed") else 1 for h in booked]
    assert stages == sorted(stages)


def test_inactive_patients_are_not_found(services, people):
    with services.ctx.db.write() as s:
        s.execute(text("UPDATE patients SET active = :no WHERE id = :id"),
                  {"no": False, "id": people["smith"].id})  # fmt: skip
    assert ids(services.patients.search("smith, jo")) == []


def _plan(session, stmt) -> list[str]:
    compiled = stmt.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
    )
    return [row[3] for row in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]


@pytest.mark.parametrize(
    "typed",
    ["s", "smith", "smith, jo", "jo smith", "04/05/1980", "M1000", "100", "(503) 555", "4477",
     "5550177", "garcia", "mary ann", "smiht, jon"],
)  # fmt: skip
@pytest.mark.sqlcipher_only  # SQLite's query plans; the server's are in benchmarks/
def test_every_search_statement_uses_an_index(demo_services, typed):
    query = parse_query(typed, TODAY)
    readings: list[SearchQuery] = [query, *query.alternatives]
    with demo_services.ctx.db.read() as session:
        for reading in [*readings, *_wider_readings(readings)]:
            for stmt in (
                PatientService._search_stmt(reading).limit(50),
                PatientService._booked_today_stmt(reading, TODAY),
                PatientService._booked_today_stmt(readings, TODAY),  # all readings at once
            ):
                plan = _plan(session, stmt)
                # Scanning json_each reads the list of one-typo keys, not a table.
                scans = [step for step in plan
                         if step.startswith("SCAN") and "json_each" not in step]  # fmt: skip
                assert not scans, f"{typed!r} ({reading.kind}) scans: {plan}"
                assert any("INDEX" in step for step in plan), plan
            name_plan = " ".join(_plan(session, PatientService._search_stmt(reading).limit(50)))
            # A DOB, a name part or a one-typo list matches few rows: sorting them is cheap.
            sorts_few = reading.kind == "dob" or reading in _wider_readings(readings)
            assert "TEMP B-TREE" not in name_plan or sorts_few, name_plan


@pytest.fixture
def desk(services):
    """Patients whose names and numbers staff remember only in part."""
    reg = services.patients.register
    return {
        "hyphen": reg(PatientInput(first_name="Ana", last_name="García-López", dob="01/02/1970",
                                   phone="(503) 201-4477")),
        "spaced": reg(PatientInput(first_name="Luis", last_name="López García", dob="03/04/1981",
                                   phone="(971) 555-9012")),
        "maryann": reg(PatientInput(first_name="Mary Ann", last_name="Keller", dob="05/06/1962")),
        "lee": reg(PatientInput(first_name="Tom", last_name="Lee", dob="07/08/1990")),
        "shaw": reg(PatientInput(first_name="Rita", last_name="Shaw", dob="09/10/1955")),
        "shawn": reg(PatientInput(first_name="Owen", last_name="Shawn", dob="11/12/1966")),
        "shah": reg(PatientInput(first_name="Nina", last_name="Shah", dob="02/03/1977")),
    }  # fmt: skip


def test_last_four_or_seven_phone_digits_find_the_patient(services, desk):
    assert ids(services.patients.search("4477")) == [desk["hyphen"].id]
    assert ids(services.patients.search("2014477")) == [desk["hyphen"].id]
    assert ids(services.patients.search("201-4477")) == [desk["hyphen"].id]
    assert ids(services.patients.search("9012")) == [desk["spaced"].id]


def test_three_phone_digits_are_not_read_as_the_end_of_a_number(services, desk):
    assert services.patients.search("477") == []
    assert parse_query("477").alternatives == [SearchQuery("phone", digits="477")]
    assert "phone_tail" in [q.kind for q in parse_query("4477").alternatives]


def test_any_part_of_a_compound_surname_finds_it(services, desk):
    both = {desk["hyphen"].id, desk["spaced"].id}
    for typed in ("garcia", "García", "lopez", "LÓPEZ", "gar"):
        assert set(ids(services.patients.search(typed))) == both, typed
    assert ids(services.patients.search("garcia, ana")) == [desk["hyphen"].id]
    assert ids(services.patients.search("luis garcia")) == [desk["spaced"].id]
    assert ids(services.patients.search("García-López")) == [desk["hyphen"].id]


def test_two_word_first_names_are_found_by_either_word(services, desk):
    for typed in ("mary ann keller", "Keller, Mary Ann", "ann keller", "keller, ann",
                  "mary keller", "maryann"):  # fmt: skip
        assert ids(services.patients.search(typed)) == [desk["maryann"].id], typed


def test_one_typo_is_forgiven_from_four_letters(services, desk):
    for typed in ("shwa", "shau", "sahw", "shaww", "Shaw, rtia", "rita shwa"):
        assert desk["shaw"].id in ids(services.patients.search(typed)), typed
    for typed in ("garcai", "lopes, ana", "kellr, mary"):
        assert ids(services.patients.search(typed))[:1] != [], typed


def test_names_under_four_letters_must_be_exact(services, desk):
    assert services.patients.search("lea") == []  # "Lee" is one letter away, but short
    assert ids(services.patients.search("lee")) == [desk["lee"].id]


def test_two_typos_are_not_matched(services, desk):
    for typed in ("shwaa", "sxaww", "hsaww"):
        assert desk["shaw"].id not in ids(services.patients.search(typed)), typed


def test_exact_then_prefix_then_typo(services, desk):
    # "shaw" is exact for Shaw, a prefix of Shawn and one typo from Shah.
    assert ids(services.patients.search("shaw")) == [
        desk["shaw"].id, desk["shawn"].id, desk["shah"].id
    ]  # fmt: skip


def test_a_part_or_typo_match_booked_today_leads_with_its_time(demo_services):
    booked = demo_services.patients.booked_today(TODAY)
    target = next(h for h in booked if h.appointment_status == "scheduled")
    demo_services.patients.update(target.id, last_name=f"Zyx {target.last_name}")
    hits = demo_services.patients.search(target.last_name)
    mine = next(h for h in hits if h.id == target.id)
    assert mine.appointment_time == target.appointment_time
    with_time = [h for h in hits if h.appointment_time is not None]
    assert hits[: len(with_time)] == with_time
