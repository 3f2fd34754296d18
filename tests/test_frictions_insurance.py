"""Issue 15 item 7: member IDs typed with spaces (and the dashes payers print) are cleaned,
stored cleaned and shown cleaned, not refused."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from PySide6.QtCore import Qt

from ma_desk.errors import ValidationError
from ma_desk.services.insurance_rules import (
    MEMBER_ID_RE,
    CoverageInput,
    clean_member_id,
    normalise_member_id,
)
from ma_desk.services.patients import PatientInput
from ma_desk.ui.insurance.coverage_dialog import CoverageDialog


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("XYZ 123 456 789", "XYZ123456789"),
        ("XYZ-123-456-789", "XYZ123456789"),
        ("1EG4-TE5-MK73", "1EG4TE5MK73"),  # a Medicare number as printed on the card
        ("  W 2 9 9\t", "W299"),
        ("AB\u2013123\u2014456", "AB123456"),  # en and em dashes pasted from a document
        ("AB\u00a0123\u202f4", "AB1234"),  # no-break spaces
        ("ＡＢ１２３", "AB123"),  # full-width characters from a card scan
        ("H*12 34", "H*1234"),
    ],
)
def test_spaces_and_dashes_are_cleaned(typed: str, stored: str) -> None:
    assert clean_member_id(typed) == stored


@pytest.mark.parametrize(
    ("typed", "words"),
    [("", "required"), (" - - ", "required"), ("AB/123", "letters and digits"),
     ("ÉCOLE1", "letters and digits"), ("A" * 41, "40 characters"), ("AB\x00C", "control")],
)  # fmt: skip
def test_what_cannot_be_an_id_is_still_refused(typed: str, words: str) -> None:
    with pytest.raises(ValidationError) as refused:
        clean_member_id(typed)
    assert refused.value.field == "member_id" and words in refused.value.message


def test_length_counts_the_cleaned_id() -> None:
    assert clean_member_id("-".join(["ABCD"] * 10)) == "ABCD" * 10  # 40 + 9 dashes
    with pytest.raises(ValidationError):
        clean_member_id(" ".join(["ABCD"] * 10) + "E")


@given(st.text(max_size=60))
@example("E\u00a8")  # found by hypothesis: NFKC frees a mark (U+0308) that composes later
def test_cleaning_is_idempotent_and_leaves_no_separator(text: str) -> None:
    once = normalise_member_id(text)
    assert normalise_member_id(once) == once
    assert not any(ch.isspace() or ch == "-" for ch in once)
    try:
        cleaned = clean_member_id(text)
    except ValidationError:
        return
    assert cleaned == once and MEMBER_ID_RE.match(cleaned)


def test_the_service_stores_and_lists_the_cleaned_id(services) -> None:
    patient = services.patients.register(
        PatientInput(first_name="Test", last_name="Person", dob="04/05/1980")
    )
    data = CoverageInput(payer="Demo Health", member_id="XYZ 123-456", effective_date="01/01/2025")
    row = services.insurance.add_coverage(patient.id, data)
    assert row.member_id == "XYZ123456"
    assert [c.member_id for c in services.insurance.coverages(patient.id)] == ["XYZ123456"]


def test_the_dialog_shows_the_cleaned_id_on_leaving_the_field(qtbot, services) -> None:
    patient = services.patients.register(
        PatientInput(first_name="Test", last_name="Person", dob="04/05/1980")
    )
    dialog = CoverageDialog(services, patient.id)
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
        dialog.activateWindow()
    dialog.member_id.setFocus()
    qtbot.waitUntil(dialog.member_id.hasFocus)
    qtbot.keyClicks(dialog.member_id, "XYZ 123-456")
    qtbot.keyClick(dialog.member_id, Qt.Key.Key_Tab)
    assert dialog.member_id.text() == "XYZ123456"
