"""Property tests: whatever is typed into registration, search or the arrive form,
nothing crashes, every refusal says why, and the store stays consistent."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ma_desk.audit import verify_store
from ma_desk.db.models import Patient
from ma_desk.errors import NeedsConfirmation, ValidationError
from ma_desk.services.checkin import ArrivalInput, parse_copay, validate_arrival
from ma_desk.services.patients import PatientHit, PatientInput, parse_query, search_columns

pytestmark = pytest.mark.both_stores  # services run on SQLCipher and PostgreSQL

FIELD_NAMES = {f.name for f in fields(PatientInput)}
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

typed_text = st.one_of(
    st.text(max_size=120),
    st.text(alphabet="abcdeéøß O'-,. ", max_size=30),
    st.sampled_from(["", " ", "Smith", "Zoë", "O'Brien", "de la Cruz", "李", "\u200b", "x" * 81]),
)
typed_date = st.one_of(
    st.none(),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
    st.text(max_size=20),
    st.dates(min_value=dt.date(1890, 1, 1), max_value=dt.date(2030, 1, 1)).map(
        lambda d: f"{d:%m/%d/%Y}"
    ),
)
typed_phone = st.one_of(
    st.text(max_size=25),
    st.from_regex(r"\+?1? ?\(?[0-9]{3}\)?[ .-]?[0-9]{3}[ .-]?[0-9]{4}", fullmatch=True),
    st.integers(min_value=0, max_value=10**12).map(str),
)
registration = st.builds(
    PatientInput,
    first_name=typed_text,
    last_name=typed_text,
    dob=typed_date,
    middle_name=typed_text,
    preferred_name=typed_text,
    sex=st.one_of(
        st.sampled_from(["female", "Male", " other ", "unknown", ""]), st.text(max_size=8)
    ),
    phone=typed_phone,
    email=st.one_of(st.emails(), st.text(max_size=30)),
    city=typed_text,
    state=st.one_of(st.sampled_from(["OR", "or", "ZZ", "", "Oregon"]), st.text(max_size=3)),
    zip=st.one_of(st.from_regex(r"[0-9]{5}(-[0-9]{4})?", fullmatch=True), st.text(max_size=12)),
    preferred_language=typed_text,
    emergency_name=typed_text,
    emergency_phone=typed_phone,
)

VALID = PatientInput(first_name="Ada", last_name="Lovelace", dob="12/10/1985",
                     phone="(555) 010-0199", email="ada@example.com", state="OR", zip="97201")  # fmt: skip


@st.composite
def one_field_fuzzed(draw) -> PatientInput:
    """A valid registration with one field replaced by anything: most of these save."""
    name = draw(st.sampled_from(sorted(FIELD_NAMES)))
    value = draw(typed_date if name == "dob" else typed_text)
    return PatientInput(**{**VALID.__dict__, name: value})


def _assert_explained(error: ValidationError) -> None:
    assert str(error).strip()
    assert error.errors, "a refusal names at least one field"
    assert set(error.errors) <= FIELD_NAMES | {"copay", "method", "receipt",
                                               "chief_complaint", "forms"}  # fmt: skip
    assert all(message.strip() for message in error.errors.values())


def _assert_store_consistent(services, saved: list[int]) -> None:
    with services.ctx.db.read() as s:
        rows = s.scalars(select(Patient)).all()
        assert sorted(p.id for p in rows) == sorted(saved)
        assert len({p.mrn for p in rows}) == len(rows)
        for p in rows:
            assert p.first_name.strip() and p.last_name.strip()
            keys = search_columns({"first_name": p.first_name, "last_name": p.last_name,
                                   "phone": p.phone})  # fmt: skip
            assert {column: getattr(p, column) for column in keys} == keys
        assert verify_store(s) == []


def test_registration_never_crashes_and_explains_refusals(services):
    saved: list[int] = []

    @SETTINGS
    @given(data=st.one_of(registration, one_field_fuzzed()), override=st.booleans())
    def check(data: PatientInput, override: bool) -> None:
        try:
            record = services.patients.register(data, duplicate_override=override)
        except ValidationError as error:
            _assert_explained(error)
        except NeedsConfirmation as question:
            assert not override and question.candidates and str(question)
        else:
            saved.append(record.id)
            assert services.patients.get(record.id) == record
            assert record.dob <= dt.date(2026, 11, 23)
        _assert_store_consistent(services, saved)

    check()
    assert saved, "some generated registrations are valid and were saved"


def test_search_accepts_anything(demo_services):
    @SETTINGS
    @given(
        typed=st.one_of(
            st.text(max_size=60),
            st.from_regex(r"[0-9()/. -]{0,16}", fullmatch=True),
            st.from_regex(r"[A-Za-z]{1,3}[0-9]{0,8}", fullmatch=True),
            st.sampled_from(["smith, ", ", jo", "M", "1", "%", "_", "'; DROP TABLE patients;--"]),
        )
    )
    def check(typed: str) -> None:
        hits = demo_services.patients.search(typed)
        assert len(hits) <= 50
        assert all(isinstance(h, PatientHit) for h in hits)
        assert len({h.id for h in hits}) == len(hits)
        assert parse_query(typed).kind in {"name", "first", "dob", "phone", "mrn", "empty"}

    check()
    assert demo_services.patients.count() > 0


@SETTINGS
@given(
    copay=st.one_of(st.text(max_size=15), st.integers(), st.decimals(allow_nan=False).map(str)),
    method=st.one_of(st.sampled_from(["cash", "CARD", "check", ""]), st.text(max_size=8)),
    receipt=st.text(max_size=50),
    complaint=st.text(max_size=600),
    forms=st.lists(st.sampled_from(["Financial policy", "HIPAA", "other", ""]), max_size=3),
)
def test_arrival_input_is_cleaned_or_refused_with_reasons(copay, method, receipt, complaint, forms):
    data = ArrivalInput(copay=copay, method=method, receipt=receipt, chief_complaint=complaint,
                        forms_signed=tuple(forms))  # fmt: skip
    try:
        clean = validate_arrival(data, ["Financial policy", "HIPAA"])
    except ValidationError as error:
        _assert_explained(error)
        return
    assert 0 <= clean["copay_collected_cents"] <= 1_000_000
    assert clean["chief_complaint"] and len(clean["chief_complaint"]) <= 500
    assert clean["copay_method"] in ("", "cash", "card", "check")
    assert set(clean["forms_signed"]) <= {"Financial policy", "HIPAA"}
    if clean["copay_collected_cents"]:
        assert clean["copay_method"] and clean["copay_receipt"]


@SETTINGS
@given(cents=st.integers(min_value=0, max_value=1_000_000))
def test_copay_round_trips_through_its_typed_form(cents):
    assert parse_copay(f"{cents // 100}.{cents % 100:02d}") == cents
    assert parse_copay(f"${cents / 100:,.2f}") == cents
