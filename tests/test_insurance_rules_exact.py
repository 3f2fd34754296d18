"""Insurance rules stated exactly: card files, note text, authorisation units and the
attention flag of an authorisation, each limit just below, at and just above, with the
message and the field it is shown beside (mutation testing found these unchecked)."""

from __future__ import annotations

import datetime as dt

import pytest

from ma_desk.errors import ValidationError
from ma_desk.services import insurance_rules as rules

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
MB = 1_048_576


def refusal(fn, *args) -> tuple[str, dict[str, str]]:
    with pytest.raises(ValidationError) as info:
        fn(*args)
    return info.value.message, info.value.errors


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (PNG, "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 8, "image/jpeg"),
        (b"GIF87a....", "image/gif"),
        (b"GIF89a....", "image/gif"),
        (b"BM" + b"\0" * 8, "image/bmp"),
        (b"II*\x00" + b"\0" * 8, "image/tiff"),
        (b"MM\x00*" + b"\0" * 8, "image/tiff"),
        (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"),
        (b"XXXX\0\0\0\0WEBPVP8 ", None),  # WEBP at 8 but not a RIFF file
        (b"%PDF-1.7", None),
        (b"\x89PNG", None),  # cut short
    ],
)
def test_image_type_from_the_first_bytes(data: bytes, mime: str | None) -> None:
    assert rules.image_type(data) == mime


def test_card_image_refusals_say_why_beside_the_card() -> None:
    assert refusal(rules.check_card_image, b"") == (
        "The card image file is empty.",
        {"card": "The card image file is empty."},
    )
    not_image = "That file is not a card image. Use a PNG, JPEG, GIF, BMP, TIFF or WebP image."
    assert refusal(rules.check_card_image, b"%PDF-1.7 not a picture") == (
        not_image,
        {"card": not_image},
    )


def test_card_image_size_limit_is_ten_megabytes_inclusive() -> None:
    at_limit = PNG + b"\0" * (rules.MAX_CARD_BYTES - len(PNG))
    assert rules.MAX_CARD_BYTES == 10 * MB
    assert rules.check_card_image(at_limit) == "image/png"
    message, errors = refusal(rules.check_card_image, at_limit + b"\0")
    assert message == "The card image is 10.0 MB; the limit is 10 MB. Scan at a lower resolution."
    assert errors == {"card": message}
    message, _ = refusal(rules.check_card_image, PNG + b"\0" * (25 * MB))
    assert message.startswith("The card image is 25.0 MB;")


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        (" Called payer\r\nRef 55 ", "Called payer\nRef 55"),
        ("a\tb", "a\tb"),
        ("x" * 4000, "x" * 4000),
    ],
)
def test_note_text_kept_as_typed_but_trimmed(text: str, cleaned: str) -> None:
    assert rules.clean_note_body(text) == cleaned


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The note is empty."),
        ("   \r\n ", "The note is empty."),
        (None, "The note is empty."),
        ("bell\x07", "The note contains invisible control characters."),
        ("del\x7f", "The note contains invisible control characters."),
        ("x" * 4001, "Notes are limited to 4000 characters."),
    ],
)
def test_note_text_refusals(text: str | None, message: str) -> None:
    assert refusal(rules.clean_note_body, text, "body") == (message, {"body": message})


def test_an_empty_note_is_allowed_where_the_form_says_so() -> None:
    assert rules.clean_note_body("  ", "notes", True) == ""


def auth(**changes) -> rules.PriorAuthInput:
    base = dict(service="PT visits", auth_number="PA-1", start_date="2026-11-01",
                end_date="2026-12-31", units_approved=10, units_used=0)  # fmt: skip
    return rules.PriorAuthInput(**{**base, **changes})


@pytest.mark.parametrize(
    ("approved", "used", "errors"),
    [
        (1, 0, {}),
        (0, 0, {"units_approved": "Approved units must be at least 1."}),
        (9999, 9999, {}),
        (10000, 0, {"units_approved": "Approved units must be between 0 and 9999."}),
        (-1, 0, {"units_approved": "Approved units must be between 0 and 9999."}),
        ("12", " 3 ", {}),
        ("12.5", 0, {"units_approved": "Approved units must be a whole number."}),
        ("ten", 0, {"units_approved": "Approved units must be a whole number."}),
        (10, 10, {}),
        (10, 11, {"units_used": "Units used cannot exceed the approved units."}),
        (10, -1, {"units_used": "Units used must be between 0 and 9999."}),
        (10, "x", {"units_used": "Units used must be a whole number."}),
    ],
)
def test_authorisation_units(approved, used, errors: dict[str, str]) -> None:
    data = auth(units_approved=approved, units_used=used)
    if not errors:
        clean = rules.validate_prior_auth(data)
        assert (clean["units_approved"], clean["units_used"]) == (int(approved), int(used))
        return
    assert refusal(rules.validate_prior_auth, data)[1] == errors


TODAY = dt.date(2026, 11, 30)


@pytest.mark.parametrize(
    ("status", "end_offset", "approved", "used", "flag"),
    [
        ("approved", 30, 10, 0, ""),
        ("approved", 15, 10, 0, ""),
        ("approved", 14, 10, 0, "Expires in 14 days"),
        ("approved", 1, 10, 0, "Expires in 1 day"),
        ("approved", 0, 10, 0, "Expires today"),
        ("approved", -1, 10, 0, "Expired"),
        ("approved", -30, 10, 9, "Expired"),
        ("approved", -31, 10, 0, ""),  # long gone: no longer the desk's business
        ("approved", -1, 10, 10, ""),  # lapsed with nothing left to use
        ("approved", 30, 10, 10, "Exhausted: all units used"),
        ("approved", 30, 10, 9, "1 unit left"),
        ("approved", 30, 10, 8, ""),
        ("pending", 30, 10, 0, "Pending: not yet approved"),
        ("pending", -1, 10, 0, ""),
        ("denied", 5, 10, 0, ""),
        ("cancelled", 0, 10, 0, ""),
    ],
)
def test_authorisation_attention(status: str, end_offset: int, approved: int, used: int,
                                 flag: str) -> None:  # fmt: skip
    start = TODAY - dt.timedelta(days=40)
    end = TODAY + dt.timedelta(days=end_offset)
    assert rules.auth_flag(status, start, end, approved, used, TODAY) == flag


def test_pending_authorisation_flags_only_from_its_start() -> None:
    end = TODAY + dt.timedelta(days=60)
    assert rules.auth_flag("pending", TODAY, end, 5, 0, TODAY) == "Pending: not yet approved"
    assert rules.auth_flag("pending", TODAY + dt.timedelta(days=1), end, 5, 0, TODAY) == ""
