"""Coverage, verification and authorisation forms stated exactly: every field's refusal with
its words and the field it is shown beside, every limit just below, at and just above, and
the clean values a valid form gives (the money, member ID, dates and subscriber rules)."""

from __future__ import annotations

import datetime as dt

import pytest

from ma_desk.errors import ValidationError
from ma_desk.services import insurance_rules as rules

TODAY = dt.date(2026, 11, 30)


def errors_of(fn, *args) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        fn(*args)
    first = next(iter(info.value.errors))
    assert (info.value.field, info.value.message) == (first, info.value.errors[first])
    return info.value.errors


def coverage(**changes) -> rules.CoverageInput:
    base = dict(payer="Acme Health", member_id="XYZ 123-45", priority=1)
    return rules.CoverageInput(**{**base, **changes})


# ------------------------------------------------------------------ small rules
@pytest.mark.parametrize("priority, label", [(1, "Primary"), (2, "Secondary"),
                                             (3, "Tertiary"), (4, "4")])  # fmt: skip
def test_priority_labels(priority, label):
    assert rules.priority_label(priority) == label


@pytest.mark.parametrize(
    "age, stale",
    [(None, True), (dt.timedelta(days=29, hours=23), False), (dt.timedelta(days=30), False),
     (dt.timedelta(days=30, seconds=1), True), (dt.timedelta(days=31), True)],
)  # fmt: skip
def test_a_verification_is_stale_after_exactly_its_days(age, stale):
    now = dt.datetime(2026, 11, 30, 9, 0)
    assert rules.verification_is_stale(None if age is None else now - age, now, 30) is stale


@pytest.mark.parametrize("end, ended", [(None, False), (TODAY + dt.timedelta(days=1), False),
                                        (TODAY, False), (TODAY - dt.timedelta(days=1), True)])  # fmt: skip
def test_a_coverage_ends_the_day_after_its_end_date(end, ended):
    assert rules.coverage_has_ended(end, TODAY) is ended


@pytest.mark.parametrize(
    "typed, cents",
    [(None, 0), ("", 0), ("  ", 0), (0, 0), (2550, 2550), ("25", 2500), ("$25", 2500),
     ("$ 25.5", 2550), ("25.05", 2505), ("1,234.56", 123456), ("99999.99", 9999999),
     (" 7 ", 700)],
)  # fmt: skip
def test_money_as_typed_becomes_cents(typed, cents):
    assert rules.parse_money(typed, "Copay", "copay") == cents


@pytest.mark.parametrize("typed", ["100000", "25.555", "-5", "25.", "abc", "$$5", "5 dollars"])
def test_money_that_is_not_an_amount_is_refused(typed):
    with pytest.raises(ValidationError) as info:
        rules.parse_money(typed, "Copay", "copay")
    assert (info.value.message, info.value.field) == (
        "Copay must be an amount in dollars, like 25 or 25.50.", "copay"
    )  # fmt: skip


def test_negative_cents_are_refused():
    with pytest.raises(ValidationError) as info:
        rules.parse_money(-1, "Copay", "copay")
    assert (info.value.message, info.value.field) == ("Copay cannot be negative.", "copay")


@pytest.mark.parametrize("cents, text", [(0, "$0.00"), (5, "$0.05"), (2550, "$25.50"),
                                         (123456789, "$1,234,567.89")])  # fmt: skip
def test_money_is_shown_in_dollars_and_cents(cents, text):
    assert rules.format_money(cents) == text


@pytest.mark.parametrize(
    "typed, clean",
    [("XYZ 123-45", "XYZ12345"), ("ＡＢＣ１２３", "ABC123"), ("A*1", "A*1"),
     ("a" * 40, "a" * 40), ("ab–cd", "abcd")],
)  # fmt: skip
def test_member_ids_are_kept_as_payers_take_them(typed, clean):
    assert rules.clean_member_id(typed) == clean


@pytest.mark.parametrize(
    "typed, message",
    [(None, "Member ID is required."), (" - ", "Member ID is required."),
     ("a" * 41, "Member ID is limited to 40 characters (spaces and dashes not counted)."),
     ("AB\x01C", "Member ID contains invisible control characters."),
     ("*AB", "Member ID may contain only letters and digits (and '*'), as printed on the card."),
     ("AB/C", "Member ID may contain only letters and digits (and '*'), as printed on the card.")],
)  # fmt: skip
def test_member_ids_that_payers_would_refuse_are_refused(typed, message):
    with pytest.raises(ValidationError) as info:
        rules.clean_member_id(typed)
    assert (info.value.message, info.value.field) == (message, "member_id")


def test_clean_text_trims_and_refuses_control_characters_and_overlong_text():
    assert rules.clean_text("  Acme  ", "Payer", "payer", 5) == "Acme"
    assert rules.clean_text(None, "Payer", "payer", 5) == ""
    assert rules.clean_text("abcde", "Payer", "payer", 5) == "abcde"
    with pytest.raises(ValidationError) as info:
        rules.clean_text("abcdef", "Payer", "payer", 5)
    assert (info.value.message, info.value.field) == ("Payer is limited to 5 characters.", "payer")
    with pytest.raises(ValidationError) as info:
        rules.clean_text("a\x7fb", "Payer", "payer", 5)
    assert (info.value.message, info.value.field) == (
        "Payer contains invisible control characters.", "payer"
    )  # fmt: skip


def test_dates_as_typed():
    assert rules.parse_date(None, "End date", "end_date") is None
    assert rules.parse_date("  ", "End date", "end_date") is None
    assert rules.parse_date(TODAY, "End date", "end_date") == TODAY
    assert rules.parse_date(" 11/30/2026 ", "End date", "end_date") == TODAY
    with pytest.raises(ValidationError) as info:
        rules.parse_date("31/31/2026", "End date", "end_date")
    assert (info.value.message, info.value.field) == (
        "End date not understood; type it as MM/DD/YYYY.", "end_date"
    )  # fmt: skip


# ------------------------------------------------------------------ the coverage form
def test_a_valid_coverage_gives_clean_values():
    clean = rules.validate_coverage(
        coverage(payer=" Acme ", plan="Gold", group_number="G-1", priority="2",
                 effective_date="01/01/2026", end_date="12/31/2026", default_copay="$25",
                 copays={"new": "40", "follow": " ", "sick": None},
                 deductible_note=" met ", coinsurance_note=""),
        TODAY,
    )  # fmt: skip
    assert clean == {
        "payer": "Acme", "member_id": "XYZ12345", "priority": 2, "plan": "Gold",
        "group_number": "G-1", "subscriber_relationship": "self", "subscriber_name": "",
        "subscriber_dob": None, "effective_date": dt.date(2026, 1, 1),
        "end_date": dt.date(2026, 12, 31), "default_copay_cents": 2500,
        "copays_cents": {"new": 4000}, "deductible_note": "met", "coinsurance_note": "",
    }  # fmt: skip


def test_an_empty_coverage_names_every_missing_field():
    assert errors_of(rules.validate_coverage,
                     rules.CoverageInput(payer="", member_id="", priority=0), TODAY) == {
        "payer": "Payer is required.",
        "member_id": "Member ID is required.",
        "priority": "Order must be primary, secondary or tertiary.",
    }  # fmt: skip


@pytest.mark.parametrize("priority", [0, 4, "x", None, "1.5"])
def test_the_order_must_be_primary_secondary_or_tertiary(priority):
    assert errors_of(rules.validate_coverage, coverage(priority=priority), TODAY) == {
        "priority": "Order must be primary, secondary or tertiary."
    }


def test_limits_of_the_coverage_texts():
    ok = rules.validate_coverage(coverage(payer="p" * 120, plan="q" * 120,
                                          group_number="g" * 40,
                                          deductible_note="d" * 300), TODAY)  # fmt: skip
    assert (len(ok["payer"]), len(ok["plan"]), len(ok["group_number"])) == (120, 120, 40)
    assert errors_of(
        rules.validate_coverage,
        coverage(
            payer="p" * 121,
            plan="q" * 121,
            group_number="g" * 41,
            deductible_note="d" * 301,
            coinsurance_note="c" * 301,
        ),
        TODAY,
    ) == {  # fmt: skip
        "payer": "Payer is limited to 120 characters.",
        "plan": "Plan is limited to 120 characters.",
        "group_number": "Group number is limited to 40 characters.",
        "deductible_note": "Deductible note is limited to 300 characters.",
        "coinsurance_note": "Coinsurance note is limited to 300 characters.",
    }


def test_a_group_number_may_not_contain_a_space():
    assert errors_of(rules.validate_coverage, coverage(group_number="G 1"), TODAY) == {
        "group_number": "Group number contains a space; type it without."
    }


def test_a_self_subscriber_keeps_no_name_or_birth_date():
    clean = rules.validate_coverage(
        coverage(subscriber_relationship=" SELF ", subscriber_name="Ana",
                 subscriber_dob="01/01/1990"), TODAY)  # fmt: skip
    assert (clean["subscriber_relationship"], clean["subscriber_name"],
            clean["subscriber_dob"]) == ("self", "", None)  # fmt: skip
    assert rules.validate_coverage(coverage(subscriber_relationship=None), TODAY)[
        "subscriber_relationship"] == "self"  # fmt: skip


def test_another_subscriber_needs_a_name_and_a_birth_date():
    assert errors_of(rules.validate_coverage,
                     coverage(subscriber_relationship="spouse"), TODAY) == {
        "subscriber_name": "Subscriber name is required when not self.",
        "subscriber_dob": "Subscriber date of birth is required when not self.",
    }  # fmt: skip
    assert errors_of(rules.validate_coverage,
                     coverage(subscriber_relationship="child", subscriber_name="Ana",
                              subscriber_dob="13/45/2000"), TODAY) == {
        "subscriber_dob": "Subscriber date of birth not understood; type it as MM/DD/YYYY."
    }  # fmt: skip
    assert errors_of(rules.validate_coverage,
                     coverage(subscriber_relationship="cousin"), TODAY) == {
        "subscriber_relationship": "Subscriber must be self, spouse, child or other.",
        "subscriber_name": "Subscriber name is required when not self.",
        "subscriber_dob": "Subscriber date of birth is required when not self.",
    }  # fmt: skip


@pytest.mark.parametrize(
    "dob, problem",
    [(TODAY, None), (TODAY + dt.timedelta(days=1), "cannot be in the future."),
     (dt.date(1906, 1, 1), None), (dt.date(1905, 12, 31), "is over 120 years ago.")],
)  # fmt: skip
def test_a_subscribers_birth_date_is_within_120_years_and_not_in_the_future(dob, problem):
    data = coverage(subscriber_relationship="other", subscriber_name="Ana", subscriber_dob=dob)
    if problem is None:
        clean = rules.validate_coverage(data, TODAY)
        assert (clean["subscriber_name"], clean["subscriber_dob"]) == ("Ana", dob)
    else:
        assert errors_of(rules.validate_coverage, data, TODAY) == {
            "subscriber_dob": f"Subscriber date of birth {problem}"
        }


@pytest.mark.parametrize(
    "start, end, errors",
    [(dt.date(1950, 1, 1), dt.date(2199, 12, 31), {}),
     (dt.date(1949, 12, 31), None,
      {"effective_date": "Effective date is out of range; check the year."}),
     (None, dt.date(2200, 1, 1), {"end_date": "End date is out of range; check the year."}),
     (TODAY, TODAY, {}),
     (TODAY, TODAY - dt.timedelta(days=1),
      {"end_date": "End date is before the effective date."})],
)  # fmt: skip
def test_coverage_dates(start, end, errors):
    data = coverage(effective_date=start, end_date=end)
    if errors:
        assert errors_of(rules.validate_coverage, data, TODAY) == errors
    else:
        clean = rules.validate_coverage(data, TODAY)
        assert (clean["effective_date"], clean["end_date"]) == (start, end)


def test_each_copay_is_refused_beside_its_visit_type():
    assert errors_of(rules.validate_coverage,
                     coverage(default_copay="x", copays={"new": "abc"}), TODAY) == {
        "default_copay": "Copay must be an amount in dollars, like 25 or 25.50.",
        "copay:new": "Copay for new must be an amount in dollars, like 25 or 25.50.",
    }  # fmt: skip


# ------------------------------------------------------------------ verification
def test_a_valid_verification_is_cleaned():
    assert rules.validate_verification(" Phone ", "ACTIVE", " R-1 ", " ok ") == {
        "method": "phone", "result": "active", "reference": "R-1", "notes": "ok"
    }  # fmt: skip
    assert rules.validate_verification("portal", "active", "", "") == {
        "method": "portal", "result": "active", "reference": "", "notes": ""
    }  # fmt: skip


def test_a_verification_names_every_problem():
    assert errors_of(rules.validate_verification, "fax", "maybe", "r" * 61, "a\x01") == {
        "method": "Choose how coverage was checked: payer portal, phone or clearinghouse.",
        "result": "Choose the result: active, inactive or needs information.",
        "reference": "Reference number is limited to 60 characters.",
        "notes": "The note contains invisible control characters.",
    }
    assert rules.validate_verification("clearinghouse", "inactive", "r" * 60, "")["reference"] == (
        "r" * 60
    )


def test_a_phone_check_needs_its_reference_and_needs_info_needs_notes():
    assert errors_of(rules.validate_verification, "phone", "needs_info", " ", " ") == {
        "reference": "A phone check needs the call reference number the payer gave.",
        "notes": "Say what information the payer needs.",
    }
    assert rules.validate_verification("portal", "needs_info", "", "Send ID")["notes"] == "Send ID"


# ------------------------------------------------------------------ authorisation texts
def auth(**changes) -> rules.PriorAuthInput:
    base = dict(service="PT visits", auth_number="PA-1", start_date="11/01/2026",
                end_date="12/31/2026", units_approved=10, units_used=0, coverage_id=3)  # fmt: skip
    return rules.PriorAuthInput(**{**base, **changes})


def test_a_valid_authorisation_gives_clean_values():
    assert rules.validate_prior_auth(auth(service=" PT ", payer=" Acme ", status=" Pending ")) == {
        "coverage_id": 3, "service": "PT", "auth_number": "PA-1", "payer": "Acme",
        "start_date": dt.date(2026, 11, 1), "end_date": dt.date(2026, 12, 31),
        "units_approved": 10, "units_used": 0, "status": "pending",
    }  # fmt: skip


def test_an_empty_authorisation_names_every_missing_field():
    assert errors_of(rules.validate_prior_auth,
                     auth(service="", auth_number="", start_date=None, end_date="",
                          status="")) == {
        "service": "Service is required (what was authorised).",
        "auth_number": "Authorization number is required.",
        "start_date": "Start date is required.",
        "end_date": "End date is required.",
        "status": "Status must be pending, approved, denied or cancelled.",
    }  # fmt: skip


def test_authorisation_number_dates_and_texts():
    assert errors_of(rules.validate_prior_auth, auth(auth_number="PA 1")) == {
        "auth_number": "Authorization number contains a space; type it without."
    }
    assert errors_of(rules.validate_prior_auth,
                     auth(start_date="12/31/2026", end_date="12/30/2026")) == {
        "end_date": "End date is before the start date."
    }  # fmt: skip
    assert rules.validate_prior_auth(auth(start_date="12/31/2026", end_date="12/31/2026"))
    assert errors_of(rules.validate_prior_auth,
                     auth(service="s" * 121, auth_number="n" * 41, payer="p" * 121,
                          start_date="xx")) == {
        "service": "Service is limited to 120 characters.",
        "auth_number": "Authorization number is limited to 40 characters.",
        "payer": "Payer is limited to 120 characters.",
        "start_date": "Start date not understood; type it as MM/DD/YYYY.",
    }  # fmt: skip
    ok = rules.validate_prior_auth(auth(service="s" * 120, auth_number="n" * 40))
    assert (len(ok["service"]), len(ok["auth_number"])) == (120, 40)


@pytest.mark.parametrize("status", ["pending", "approved", "denied", "cancelled"])
def test_every_authorisation_status(status):
    assert rules.validate_prior_auth(auth(status=status.upper()))["status"] == status


def test_needs_info_with_unreadable_notes_keeps_the_notes_own_refusal():
    assert errors_of(rules.validate_verification, "portal", "needs_info", "", "a\x01b") == {
        "notes": "The note contains invisible control characters."
    }


def test_an_authorisation_end_date_not_understood_is_named():
    assert errors_of(rules.validate_prior_auth, auth(end_date="13/13/2026")) == {
        "end_date": "End date not understood; type it as MM/DD/YYYY."
    }


def test_notes_keep_tabs_and_line_breaks():
    assert rules.clean_note_body("a\tb\r\nc", "notes") == "a\tb\nc"


def test_an_oversized_card_says_its_size_in_megabytes_to_one_decimal():
    size = 10_538_189  # 10.0500002 MB: one byte per MB more in the divisor reads 10.0
    with pytest.raises(ValidationError) as info:
        rules.check_card_image(b"\x89PNG\r\n\x1a\n" + bytes(size - 8))
    assert info.value.message == (
        "The card image is 10.1 MB; the limit is 10 MB. Scan at a lower resolution."
    )


def test_a_subscriber_name_has_the_text_limits():
    data = coverage(subscriber_relationship="spouse", subscriber_name="n" * 121,
                    subscriber_dob="01/01/1990")  # fmt: skip
    assert errors_of(rules.validate_coverage, data, TODAY) == {
        "subscriber_name": "Subscriber name is limited to 120 characters."
    }
    data = coverage(subscriber_relationship="spouse", subscriber_name="n" * 120,
                    subscriber_dob="01/01/1990")  # fmt: skip
    assert rules.validate_coverage(data, TODAY)["subscriber_name"] == "n" * 120


def test_coverage_dates_not_understood_are_named():
    assert errors_of(rules.validate_coverage,
                     coverage(effective_date="13/45/2026", end_date="soon"), TODAY) == {
        "effective_date": "Effective date not understood; type it as MM/DD/YYYY.",
        "end_date": "End date not understood; type it as MM/DD/YYYY.",
    }  # fmt: skip


def test_a_blank_copay_is_skipped_and_the_ones_after_it_are_kept():
    clean = rules.validate_coverage(coverage(copays={"follow": " ", "sick": None, "new": "40"}),
                                    TODAY)  # fmt: skip
    assert clean["copays_cents"] == {"new": 4000}
