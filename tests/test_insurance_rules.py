"""Insurance input rules, with property tests over what people type."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QImage
from PySide6.QtPrintSupport import QPrinter

from ma_desk.errors import ValidationError
from ma_desk.services.insurance_rules import (
    MAX_NOTE_CHARS,
    MEMBER_ID_RE,
    CoverageInput,
    PriorAuthInput,
    auth_flag,
    check_card_image,
    clean_member_id,
    clean_note_body,
    format_money,
    image_type,
    normalise_member_id,
    parse_money,
    validate_coverage,
    validate_prior_auth,
)
from tests.report_helpers import pdf_pages
from tests.test_insurance_service import tiny_png

TODAY = dt.date(2026, 11, 23)
typed_text = st.text(st.characters(codec="utf-8"), max_size=80)


@pytest.mark.parametrize(
    ("status", "start", "end", "approved", "used", "flag"),
    [
        ("approved", -10, 60, 12, 0, ""),
        ("approved", -10, 60, 12, 11, "1 unit left"),
        ("approved", -10, 60, 12, 12, "Exhausted: all units used"),
        ("approved", -10, 0, 12, 3, "Expires today"),
        ("approved", -10, 1, 12, 3, "Expires in 1 day"),
        ("approved", -10, 14, 12, 3, "Expires in 14 days"),
        ("approved", -90, -3, 12, 3, "Expired"),
        ("approved", -90, -40, 12, 3, ""),  # long lapsed: history, not a to-do
        ("approved", -90, -3, 12, 12, ""),
        ("pending", -1, 60, 1, 0, "Pending: not yet approved"),
        ("pending", 5, 60, 1, 0, ""),
        ("denied", -10, 60, 1, 0, ""),
    ],
)
def test_auth_flags(status, start, end, approved, used, flag):
    day = dt.timedelta(days=1)
    assert auth_flag(status, TODAY + start * day, TODAY + end * day, approved, used, TODAY) == flag


def test_money_parsing():
    assert parse_money("$25", "Copay", "c") == 2500
    assert parse_money(" 1,250.5 ", "Copay", "c") == 125050
    assert parse_money("", "Copay", "c") == 0
    for bad in ("-5", "25.555", "abc", "$", "1e3"):
        with pytest.raises(ValidationError, match="dollars"):
            parse_money(bad, "Copay", "c")


def test_image_types_are_sniffed_from_content():
    assert image_type(tiny_png()) == "image/png"
    assert image_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert image_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert image_type(b"XXXX\x00\x00\x00\x00WEBP") is None
    assert image_type(b"%PDF-1.7") is None
    with pytest.raises(ValidationError, match="MB"):
        check_card_image(b"\x89PNG\r\n\x1a\n" + b"0" * (11 * 1024 * 1024))


@given(typed_text)
def test_member_ids_are_clean_or_refused(text):
    try:
        cleaned = clean_member_id(text)
    except ValidationError as exc:
        assert exc.field == "member_id" and exc.message
        return
    assert cleaned == normalise_member_id(text)
    assert MEMBER_ID_RE.match(cleaned) and len(cleaned) <= 40
    assert not any(ch.isspace() for ch in cleaned)


@given(st.integers(min_value=0, max_value=99_999_99))
def test_money_round_trips(cents):
    assert parse_money(format_money(cents), "Copay", "c") == cents


@given(typed_text)
def test_money_text_is_cents_or_refused(text):
    try:
        cents = parse_money(text, "Copay", "copay")
    except ValidationError as exc:
        assert exc.field == "copay"
        return
    assert 0 <= cents < 100_000 * 100


@given(st.text(max_size=MAX_NOTE_CHARS + 50))
def test_note_text_is_clean_or_refused(text):
    try:
        body = clean_note_body(text)
    except ValidationError as exc:
        assert exc.field == "text" and exc.message
        return
    assert body and len(body) <= MAX_NOTE_CHARS and body == body.strip()
    assert "\x00" not in body and "\r\n" not in body


@given(
    payer=typed_text,
    member=typed_text,
    start=typed_text,
    end=typed_text,
    copay=typed_text,
    relation=st.sampled_from(["self", "spouse", "child", "other", "boss", ""]),
)
def test_any_typed_coverage_is_valid_or_refused_with_field_messages(
    payer, member, start, end, copay, relation
):
    data = CoverageInput(payer=payer, member_id=member, effective_date=start, end_date=end,
                         default_copay=copay, subscriber_relationship=relation,
                         subscriber_name="Pat", subscriber_dob="01/02/1970")  # fmt: skip
    try:
        clean = validate_coverage(data, TODAY)
    except ValidationError as exc:
        assert exc.errors and all(isinstance(m, str) and m for m in exc.errors.values())
        return
    assert clean["payer"] and clean["member_id"]
    if clean["effective_date"] and clean["end_date"]:
        assert clean["effective_date"] <= clean["end_date"]


@given(service=typed_text, number=typed_text, approved=typed_text, used=typed_text)
def test_any_typed_authorization_is_valid_or_refused(service, number, approved, used):
    data = PriorAuthInput(service=service, auth_number=number, units_approved=approved,
                          units_used=used, start_date="11/01/2026", end_date="12/01/2026",
                          payer="P")  # fmt: skip
    try:
        clean = validate_prior_auth(data)
    except ValidationError as exc:
        assert exc.errors
        return
    assert 0 <= clean["units_used"] <= clean["units_approved"]


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(header=st.lists(st.text(max_size=120), min_size=1, max_size=3))
def test_any_text_prints_to_pdf(qapp, tmp_path, header):
    """Whatever a payer or plan is called, the printed card page is produced."""
    from ma_desk.ui.insurance.cards import paint_cards

    target = tmp_path / "card.pdf"
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(target))
    image = QImage()
    image.loadFromData(tiny_png())
    paint_cards(printer, header, [("Front", image)])
    pages = pdf_pages(target.read_bytes())
    assert len(pages) == 1 and "Front" in pages[0]
    target.unlink()


def test_verification_staleness_boundaries() -> None:
    from ma_desk.services.insurance_rules import verification_is_stale

    now = dt.datetime(2026, 11, 30, 12, 0)
    assert verification_is_stale(None, now, 30)
    assert not verification_is_stale(now - dt.timedelta(days=30), now, 30)
    assert verification_is_stale(now - dt.timedelta(days=30, seconds=1), now, 30)
    assert not verification_is_stale(now - dt.timedelta(days=29, hours=23), now, 30)
    assert not verification_is_stale(now, now, 0)
    assert verification_is_stale(now - dt.timedelta(seconds=1), now, 0)
    assert not verification_is_stale(now + dt.timedelta(days=1), now, 30)  # clock skew


def test_coverage_ends_after_its_end_date() -> None:
    from ma_desk.services.insurance_rules import coverage_has_ended

    today = dt.date(2026, 11, 30)
    assert not coverage_has_ended(None, today)
    assert not coverage_has_ended(today, today)
    assert not coverage_has_ended(today + dt.timedelta(days=1), today)
    assert coverage_has_ended(today - dt.timedelta(days=1), today)
