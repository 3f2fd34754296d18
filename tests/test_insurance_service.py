"""The insurance service: coverage order, card images, checks, notes and authorisations."""

from __future__ import annotations

import datetime as dt
import json
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ma_desk.actor import Actor
from ma_desk.db.models import AuditEvent
from ma_desk.errors import NotFoundError, PermissionDenied, StaleVersionError, ValidationError
from ma_desk.services.insurance_rules import CoverageInput, PriorAuthInput
from ma_desk.services.patients import PatientInput

pytestmark = pytest.mark.both_stores  # services run on SQLCipher and PostgreSQL


def tiny_png(marker: bytes = b"") -> bytes:
    """A valid 2x2 PNG; ``marker`` rides in a text chunk so tests can look for it."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + (chunk(b"tEXt", b"Comment\x00" + marker) if marker else b"")
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def patient_id(services) -> int:
    return services.patients.register(
        PatientInput(first_name="Test", last_name="Person", dob="04/05/1980")
    ).id


def cov(**kw) -> CoverageInput:
    values = {"payer": "Demo Health", "member_id": "ABC123", "effective_date": "01/01/2025"}
    values.update(kw)
    return CoverageInput(**values)


def test_add_coverage_keeps_all_fields(services, patient_id):
    row = services.insurance.add_coverage(
        patient_id,
        cov(plan="PPO Gold", group_number="G77", subscriber_relationship="spouse",
            subscriber_name="Pat Person", subscriber_dob="02/03/1979", default_copay="$25",
            copays={"Annual physical": "0", "Sick visit": "35.50"},
            deductible_note="$1,500 individual, $300 met", coinsurance_note="20% after deductible"),
    )  # fmt: skip
    again = services.insurance.coverage(row.id)
    assert again == row
    assert row.priority_label == "Primary" and row.plan == "PPO Gold"
    assert row.subscriber_name == "Pat Person" and row.subscriber_dob == dt.date(1979, 2, 3)
    assert row.copay_for("Sick visit") == 3550
    assert row.copay_for("Annual physical") == 0
    assert row.copay_for("Follow-up") == 2500
    assert row.deductible_note.startswith("$1,500")


@pytest.mark.parametrize(
    ("kw", "field", "words"),
    [
        ({"member_id": "AB/123"}, "member_id", "letters and digits"),
        ({"member_id": " - "}, "member_id", "required"),
        ({"member_id": ""}, "member_id", "required"),
        ({"payer": "  "}, "payer", "required"),
        ({"end_date": "12/31/2024"}, "end_date", "before the effective"),
        ({"effective_date": "13/45/2025"}, "effective_date", "MM/DD/YYYY"),
        ({"subscriber_relationship": "child"}, "subscriber_name", "required"),
        ({"default_copay": "twenty"}, "default_copay", "dollars"),
        ({"priority": 2}, "priority", "no primary"),
    ],
)
def test_refusals_have_clear_messages_and_write_nothing(services, patient_id, kw, field, words):
    with pytest.raises(ValidationError) as info:
        services.insurance.add_coverage(patient_id, cov(**kw))
    assert field in info.value.errors or info.value.field == field
    assert words in str(info.value.errors.get(field, info.value.message))
    assert services.insurance.coverages(patient_id, include_ended=True) == []


def test_member_id_spaces_and_dashes_are_cleaned(services, patient_id):
    row = services.insurance.add_coverage(patient_id, cov(member_id="  XYZ-99 \n"))
    assert row.member_id == "XYZ99"


def test_only_one_primary_at_a_time(services, patient_id):
    current = services.insurance.add_coverage(patient_id, cov())
    with pytest.raises(ValidationError, match="Only one primary"):
        services.insurance.add_coverage(patient_id, cov(payer="Other Payer"))
    with pytest.raises(ValidationError, match="Only one primary"):
        services.insurance.add_coverage(
            patient_id, cov(payer="Next year", effective_date="01/01/2027")
        )
    # A replacement that starts after the current one ends is fine; so is history.
    services.insurance.end_coverage(current.id, "12/31/2026")
    services.insurance.add_coverage(patient_id, cov(payer="Next year", effective_date="01/01/2027"))
    services.insurance.add_coverage(
        patient_id, cov(payer="Old", effective_date="01/01/2020", end_date="12/31/2020", priority=1)
    )
    names = [c.payer for c in services.insurance.coverages(patient_id, include_ended=True)]
    assert names == ["Demo Health", "Next year", "Old"]


def test_reorder_swaps_and_keeps_one_primary(services, patient_id):
    a = services.insurance.add_coverage(patient_id, cov(payer="A"))
    b = services.insurance.add_coverage(patient_id, cov(payer="B", priority=2))
    with pytest.raises(ValidationError, match="already the primary"):
        services.insurance.move_coverage(a.id, -1)
    with pytest.raises(ValidationError, match="no coverage below"):
        services.insurance.move_coverage(b.id, 1)
    rows = services.insurance.move_coverage(b.id, -1)
    assert [(r.payer, r.priority) for r in rows] == [("B", 1), ("A", 2)]


def test_end_dating_moves_the_others_up(services, patient_id, clock):
    a = services.insurance.add_coverage(patient_id, cov(payer="A"))
    services.insurance.add_coverage(patient_id, cov(payer="B", priority=2))
    with pytest.raises(ValidationError, match="before the coverage started"):
        services.insurance.end_coverage(a.id, "12/31/2024")
    rows = services.insurance.end_coverage(a.id, "10/31/2026")
    assert [(r.payer, r.priority, r.is_ended(clock.now().date())) for r in rows] == [
        ("B", 1, False),
        ("A", 1, True),
    ]
    assert [c.payer for c in services.insurance.coverages(patient_id)] == ["B"]


def test_card_image_round_trip_and_refusals(services, patient_id):
    c = services.insurance.add_coverage(patient_id, cov())
    png = tiny_png(b"marker")
    row = services.insurance.set_card_image(c.id, "front", png)
    assert row.has_card_front and not row.has_card_back
    image = services.insurance.card_image(c.id, "front")
    assert image.data == png and image.content_type == "image/png"
    assert services.insurance.card_image(c.id, "back") is None
    with pytest.raises(ValidationError, match="not a card image"):
        services.insurance.set_card_image(c.id, "back", b"%PDF-1.4 not an image")
    with pytest.raises(ValidationError, match="empty"):
        services.insurance.set_card_image(c.id, "back", b"")
    assert services.insurance.clear_card_image(c.id, "front").has_card_front is False


def test_scanner_import_deletes_the_scan(services, patient_id, tmp_path):
    c = services.insurance.add_coverage(patient_id, cov())
    assert services.insurance.newest_scan(tmp_path) is None
    older = tmp_path / "scan1.png"
    older.write_bytes(tiny_png(b"old"))
    newer = tmp_path / "scan2.PNG"
    newer.write_bytes(tiny_png(b"new"))
    import os

    os.utime(older, (1, 1))
    (tmp_path / "notes.txt").write_text("not a scan")
    scan = services.insurance.newest_scan(tmp_path)
    assert scan == newer
    services.insurance.import_card_file(c.id, "back", scan, delete_after=True)
    assert not newer.exists()
    assert b"new" in services.insurance.card_image(c.id, "back").data
    with pytest.raises(ValidationError, match="scanner folder"):
        services.insurance.newest_scan(tmp_path / "missing")


def test_verification_log_and_stale_flags(services, patient_id, clock):
    c = services.insurance.add_coverage(patient_id, cov())
    assert services.insurance.verification_flags([patient_id]) == {
        patient_id: "Insurance never verified"
    }
    assert c.attention(clock.now(), 30) == "Never verified"
    with pytest.raises(ValidationError) as info:
        services.insurance.verify(c.id, method="fax", result="active")
    assert "method" in info.value.errors
    with pytest.raises(ValidationError, match="reference number"):
        services.insurance.verify(c.id, method="phone", result="active")
    with pytest.raises(ValidationError, match="information the payer needs"):
        services.insurance.verify(c.id, method="portal", result="needs_info")
    clock.advance(days=-40)
    services.insurance.verify(c.id, method="phone", result="active", reference="CALL-1")
    clock.advance(days=40)
    assert services.insurance.verification_flags([patient_id]) == {
        patient_id: "Insurance last verified 40 days ago"
    }
    row = services.insurance.coverage(c.id)
    assert row.attention(clock.now(), 30) == "Verification stale (40 days)"
    services.insurance.verify(c.id, method="portal", result="active", reference="P-9", notes="ok")
    assert services.insurance.verification_flags([patient_id]) == {}
    log = services.insurance.verification_log(c.id)
    assert [(e.method_label, e.reference, e.user_name) for e in log] == [
        ("Payer portal", "P-9", "system"),
        ("Phone", "CALL-1", "system"),
    ]


def test_notes_keep_history_and_search(services, patient_id):
    c = services.insurance.add_coverage(patient_id, cov())
    first = services.insurance.add_note(
        patient_id, "Called payer, deductible met", coverage_id=c.id
    )
    services.insurance.add_note(patient_id, "Patient brings new card Friday")
    edited = services.insurance.edit_note(first.id, "Called payer: deductible met in October")
    assert edited.edited and edited.coverage_label == "Demo Health"
    with pytest.raises(StaleVersionError, match="note was changed by MA Desk"):
        services.insurance.edit_note(first.id, "again")
    current = services.insurance.notes(patient_id)
    assert len(current) == 2 and first.id not in [n.id for n in current]
    history = services.insurance.note_history(edited.id)
    assert [n.text for n in history] == [
        "Called payer, deductible met",
        "Called payer: deductible met in October",
    ]
    assert [n.id for n in services.insurance.notes(patient_id, search="OCTOBER payer")] == [
        edited.id
    ]
    assert services.insurance.notes(patient_id, search="100%_") == []
    assert len(services.insurance.notes(patient_id, include_superseded=True)) == 3
    with pytest.raises(ValidationError, match="empty"):
        services.insurance.add_note(patient_id, "   ")


def test_prior_auth_flags(services, patient_id, clock):
    c = services.insurance.add_coverage(patient_id, cov())
    today = clock.now().date()
    ok = services.insurance.add_prior_auth(patient_id, PriorAuthInput(
        service="Physical therapy", auth_number="PA-1", start_date=today - dt.timedelta(days=10),
        end_date=today + dt.timedelta(days=60), units_approved=12, coverage_id=c.id))  # fmt: skip
    assert ok.flag == "" and ok.payer == "Demo Health"
    soon = services.insurance.add_prior_auth(patient_id, PriorAuthInput(
        service="MRI lumbar", auth_number="PA-2", payer="Demo Health",
        start_date=today, end_date=today + dt.timedelta(days=5)))  # fmt: skip
    assert soon.flag == "Expires in 5 days"
    used = services.insurance.use_auth_units(ok.id, 11)
    assert used.flag == "1 unit left"
    used = services.insurance.use_auth_units(ok.id)
    assert used.flag.startswith("Exhausted")
    with pytest.raises(ValidationError, match="Only 0 of 12"):
        services.insurance.use_auth_units(ok.id)
    with pytest.raises(ValidationError, match="before the start"):
        services.insurance.add_prior_auth(patient_id, PriorAuthInput(
            service="X", auth_number="A", payer="P", start_date=today,
            end_date=today - dt.timedelta(days=1)))  # fmt: skip
    flagged = services.insurance.prior_auths(patient_id)
    assert [a.auth_number for a in flagged][:2] in (["PA-1", "PA-2"], ["PA-2", "PA-1"])


def test_writes_are_audited_and_permission_checked(services, patient_id):
    c = services.insurance.add_coverage(patient_id, cov())
    services.insurance.verify(c.id, method="portal", result="active", reference="R1")
    with services.ctx.db.read() as s:
        actions = [a for (a,) in s.execute(
            select(AuditEvent.action).where(AuditEvent.entity == "insurance_coverage"))]  # fmt: skip
    assert actions == ["create", "verify"]
    services.set_actor(Actor(None, "doc", "Dr Test", "provider", "ws"))
    with pytest.raises(PermissionDenied):
        services.insurance.add_note(patient_id, "hello")
    assert services.insurance.coverages(patient_id)  # providers may read
    with pytest.raises(NotFoundError):
        services.insurance.coverage(99999)


def test_demo_clinic_has_insurance_desk_data(demo_services):
    from sqlalchemy import func

    from ma_desk.db.models import InsuranceCoverage, InsuranceNote, PriorAuthorization

    with demo_services.ctx.db.read() as s:
        cards = s.scalar(select(func.count()).where(InsuranceCoverage.card_front.is_not(None)))
        secondary = s.scalar(select(func.count()).where(InsuranceCoverage.priority == 2))
        notes = s.scalar(select(func.count(InsuranceNote.id)))
        auths = s.scalars(select(PriorAuthorization.patient_id)).all()
    assert cards >= 20 and secondary >= 10 and notes >= 40 and len(auths) >= 10
    flags = [a.flag for pid in set(auths) for a in demo_services.insurance.prior_auths(pid)]
    assert any(flags) and not all(flags)
    with_card = demo_services.insurance.coverages(auths[0])[0]
    image = demo_services.insurance.card_image(with_card.id, "front")
    assert image is None or image.content_type == "image/png"


def test_update_coverage_corrects_fields_and_closes_gaps(services, patient_id):
    a = services.insurance.add_coverage(patient_id, cov(payer="A"))
    services.insurance.add_coverage(patient_id, cov(payer="B", priority=2))
    fixed = services.insurance.update_coverage(a.id, cov(payer="A", member_id="ABC124", plan="HMO"))
    assert (fixed.member_id, fixed.plan, fixed.priority) == ("ABC124", "HMO", 1)
    with services.ctx.db.read() as s:
        details = s.scalars(select(AuditEvent.details).where(AuditEvent.action == "update")).all()[
            -1
        ]
    assert json.loads(details) == {"member_id": "changed", "plan": "changed"}
    assert "ABC123" not in details and "ABC124" not in details
    services.insurance.update_coverage(
        a.id, cov(payer="A", member_id="ABC124", end_date="06/30/2026")
    )
    assert [(c.payer, c.priority) for c in services.insurance.coverages(patient_id)] == [("B", 1)]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=200), search=st.text(max_size=30))
def test_any_note_and_search_text(services, patient_id, text, search):
    """Whatever is typed is stored exactly as cleaned, and any search text is safe."""
    from ma_desk.services.insurance_rules import clean_note_body

    try:
        expected = clean_note_body(text)
    except ValidationError:
        with pytest.raises(ValidationError):
            services.insurance.add_note(patient_id, text)
        return
    note = services.insurance.add_note(patient_id, text)
    assert note.text == expected
    found = services.insurance.notes(patient_id, search=search)
    if all(word.casefold() in expected.casefold() for word in search.split()) and search.isascii():
        assert note.id in [n.id for n in found]


@pytest.mark.parametrize(
    ("age", "stale"),
    [
        (dt.timedelta(days=30) - dt.timedelta(minutes=1), False),
        (dt.timedelta(days=30), False),
        (dt.timedelta(days=30, minutes=1), True),
    ],
)
def test_every_screen_reads_staleness_from_one_rule(services, patient_id, clock, age, stale):
    """The Insurance tab's attention and the Check-in/Schedule/report flags agree at the
    30-day boundary (the default setting): fresh through day 30, stale just after."""
    c = services.insurance.add_coverage(patient_id, cov())
    services.insurance.verify(c.id, method="phone", result="active", reference="CALL-1")
    clock.advance(seconds=age.total_seconds())  # verified at the old "now"
    row = services.insurance.coverage(c.id)
    flags = services.insurance.verification_flags([patient_id])
    assert row.is_stale(clock.now(), services.insurance.stale_days()) is stale
    assert bool(row.attention(clock.now(), 30)) is stale
    assert (patient_id in flags) is stale
