"""The handout library: shipped handouts, admin edits, printing records HandoutGiven."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ma_desk.actor import Actor
from ma_desk.db.models import AuditEvent, HandoutGiven
from ma_desk.errors import PermissionDenied, ValidationError
from ma_desk.reports.handout_markup import parse
from ma_desk.services.handouts import language_code, shipped_handouts
from tests.conftest import NOW
from tests.report_helpers import pdf_text, squash

pytestmark = pytest.mark.both_stores  # services run on SQLCipher and PostgreSQL


def test_at_least_five_topics_shipped_in_english_and_spanish():
    shipped = shipped_handouts()
    topics = {h.slug for h in shipped}
    assert len(topics) >= 5
    for slug in topics:
        versions = {h.language: h for h in shipped if h.slug == slug}
        assert set(versions) == {"en", "es"}, slug
        for h in versions.values():
            blocks = parse(h.body)
            assert h.title and len(blocks) >= 8
            assert any(b.kind == "h2" for b in blocks) and any(b.kind == "bullet" for b in blocks)
            assert any(b.kind == "callout" for b in blocks)  # when to call, in a box


def test_language_code():
    assert language_code("Spanish") == "es" and language_code("Español") == "es"
    assert language_code("English") == "en" and language_code("Vietnamese") == "en"


def test_install_shipped_is_idempotent(services):
    assert services.handouts.install_shipped() == len(shipped_handouts())
    assert services.handouts.install_shipped() == 0
    assert len(services.handouts.list(language="es")) == len(shipped_handouts()) // 2


def test_admin_adds_and_edits_a_handout(services):
    row = services.handouts.save(None, slug="low-salt", language="en", title="Eating  less salt",
                                 body="## Why\n- Less salt lowers blood pressure")  # fmt: skip
    assert row.title == "Eating less salt"
    edited = services.handouts.save(row.id, slug="low-salt", language="en", title=row.title,
                                    body=row.body + "\n- Read labels", active=False)  # fmt: skip
    assert not edited.active and "Read labels" in edited.body
    assert services.handouts.list() == []
    assert [h.id for h in services.handouts.list(include_inactive=True)] == [row.id]
    with services.ctx.db.read() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.entity == "handout")).all()
    assert [e.action for e in events] == ["create", "update"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"slug": "Bad Slug!"}, "slug"),
        ({"language": "fr"}, "language"),
        ({"title": "   "}, "title"),
        ({"body": ""}, "body"),
        ({"body": "x" * 20_001}, "body"),
    ],
)
def test_invalid_handouts_are_refused_and_nothing_is_written(services, values, field):
    data = {"slug": "ok", "language": "en", "title": "T", "body": "Text"} | values
    with pytest.raises(ValidationError) as info:
        services.handouts.save(None, **data)
    assert field in info.value.errors
    assert services.handouts.list(include_inactive=True) == []


def test_duplicate_slug_and_language_is_refused(services):
    services.handouts.save(None, slug="a", language="en", title="A", body="x")
    services.handouts.save(None, slug="a", language="es", title="A", body="x")
    with pytest.raises(ValidationError) as info:
        services.handouts.save(None, slug="a", language="en", title="B", body="y")
    assert info.value.field == "slug"


def test_only_administrators_edit(services):
    services.set_actor(Actor(None, "ma", "MA", "medical_assistant", "ws"))
    before = services.handouts.list(language="en")
    with pytest.raises(PermissionDenied):
        services.handouts.save(None, slug="a", language="en", title="A", body="x")
    assert services.handouts.list(language="en") == before  # nothing added
    with pytest.raises(PermissionDenied):
        services.handouts.preview(title="A", body="x", language="en")


def test_printing_for_a_visit_records_it_and_it_shows_on_the_summary(demo_services):
    appt = next(a for a in demo_services.schedule.day(NOW.date()) if a.status == "checked_out")
    library = demo_services.handouts.list(language="es")
    chosen = [h for h in library if h.slug == "wound-care"]
    before = len(demo_services.handouts.given_on_visit(appt.visit_id))
    pdf = demo_services.handouts.pdf_for_visit(appt.visit_id, [chosen[0].id])
    last, first = appt.patient_name.split(", ")
    text = pdf_text(pdf)
    assert f"Preparado para {first} {last}" in text and "Cómo cuidar su herida" in text
    assert len(demo_services.handouts.given_on_visit(appt.visit_id)) == before  # preview only
    demo_services.handouts.record_given(appt.visit_id, [chosen[0].id])
    given = demo_services.handouts.given_on_visit(appt.visit_id)
    assert len(given) == before + 1 and given[-1][1] == "Cómo cuidar su herida"
    with demo_services.ctx.db.read() as s:
        row = s.scalars(select(HandoutGiven).order_by(HandoutGiven.id.desc())).first()
        audit = s.scalars(select(AuditEvent).where(AuditEvent.entity == "handout",
                                                   AuditEvent.action == "print")).all()  # fmt: skip
    assert row.visit_id == appt.visit_id and row.given_at == NOW
    assert audit[-1].patient_id == appt.patient_id
    summary = demo_services.reports.visit_summary_data(appt.visit_id)
    assert "Cómo cuidar su herida" in summary.handouts


def test_demo_clinic_has_the_library_and_some_handouts_given(demo_services):
    assert len(demo_services.handouts.list()) >= 10
    with demo_services.ctx.db.read() as s:
        assert s.scalars(select(HandoutGiven)).first() is not None


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])  # fmt: skip
@given(title=st.text(max_size=80), body=st.text(max_size=400))
def test_admin_preview_builds_for_any_text(services, title, body):
    printed = squash(pdf_text(services.handouts.preview(title=title, body=body, language="en")))
    assert "SamplePatient" in printed  # the sample patient's identifiers head every page
