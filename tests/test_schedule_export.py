"""iCalendar export: parses back with the icalendar package, no names unless asked."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from ma_desk import ical_export
from ma_desk.clinical import flow
from ma_desk.errors import ValidationError
from ma_desk.services.schedule import AppointmentRow, parse_follow_up

STAMP = dt.datetime(2026, 11, 23, 10, 30)


def row(i: int, *, name="Testperson, Ada", reason="Knee pain", status=flow.SCHEDULED):
    return AppointmentRow(
        i, dt.datetime(2026, 11, 24, 9) + dt.timedelta(minutes=15 * i), 15, status, 7, name,
        dt.date(1980, 4, 5), 46, "MRN7", 1, "Dr. Test", 2, "Follow-up", "#aed6f1", reason,
        None, "", False, False, None, None, None,
    )  # fmt: skip


def events(data: bytes):
    return list(Calendar.from_ical(data).walk("VEVENT"))


def test_export_round_trips_times_uids_and_status():
    rows = [row(0), row(1, status=flow.CONFIRMED), row(2, status=flow.CANCELLED)]
    data = ical_export.export_bytes(rows, calendar_name="Dr. Test", stamp=STAMP)
    parsed = events(data)
    # Zoned times now (tests/test_ical_times.py); the clinic's wall clock is unchanged.
    assert [e.decoded("dtstart").replace(tzinfo=None) for e in parsed] == [
        rows[0].start,
        rows[1].start,
    ]
    assert [e.decoded("dtend").replace(tzinfo=None) for e in parsed] == [rows[0].end, rows[1].end]
    assert [str(e["status"]) for e in parsed] == ["TENTATIVE", "CONFIRMED"]
    assert len({str(e["uid"]) for e in parsed}) == 2
    assert b"Testperson" not in data and b"Knee" not in data
    with_cancelled = events(ical_export.export_bytes(rows, calendar_name="x", stamp=STAMP,
                                                     include_cancelled=True))  # fmt: skip
    assert str(with_cancelled[-1]["status"]) == "CANCELLED"


def test_names_only_when_chosen(tmp_path):
    data = ical_export.export_bytes([row(0)], calendar_name="x", stamp=STAMP, include_names=True)
    (event,) = events(data)
    assert "Testperson, Ada" in str(event["summary"]) and str(event["description"]) == "Knee pain"
    target = tmp_path / "day.ics"
    ical_export.write_atomically(target, data)
    assert target.read_bytes() == data
    assert (target.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["day.ics"]


@settings(max_examples=60, deadline=None)
@given(name=st.text(min_size=1, max_size=60), reason=st.text(max_size=200))
def test_any_name_and_reason_survive_the_round_trip(name, reason):
    clean_name = " ".join(name.split()) or "X"
    clean_reason = " ".join(reason.split())
    data = ical_export.export_bytes([row(0, name=clean_name, reason=clean_reason)],
                                    calendar_name="x", stamp=STAMP, include_names=True)  # fmt: skip
    (event,) = events(data)
    assert clean_name in str(event["summary"])
    shown = clean_reason.replace("\ufeff", "")  # invisible; calendar readers drop it
    if shown.strip():
        assert str(event["description"]) == shown
    else:
        assert "description" not in event
    hidden = ical_export.export_bytes([row(0, name=clean_name, reason=clean_reason)],
                                      calendar_name="x", stamp=STAMP)  # fmt: skip
    assert "description" not in events(hidden)[0]


@pytest.mark.parametrize(("reason", "description"), [("\ufeff", None), ("\ufeffCough", "Cough"),
                                                     ("Cough\ufeff", "Cough"), ("a\ufeffb", "ab")])  # fmt: skip
def test_an_invisible_byte_order_mark_never_leaves_an_empty_or_changed_description(reason,
                                                                                    description):  # fmt: skip
    data = ical_export.export_bytes([row(0, reason=reason)], calendar_name="x", stamp=STAMP,
                                    include_names=True)  # fmt: skip
    (event,) = events(data)
    assert (str(event["description"]) if "description" in event else None) == description
    assert b"DESCRIPTION:\r\n" not in data


def test_follow_up_intervals():
    assert parse_follow_up("2w") == (0, 2)
    assert parse_follow_up(" 10 days ") == (10, 0)
    assert parse_follow_up("3 Months") == (90, 0)


@given(text=st.text(max_size=20))
def test_follow_up_text_parses_or_gives_a_message(text):
    try:
        days, weeks = parse_follow_up(text)
    except ValidationError as err:
        assert err.field == "interval" and err.message
    else:
        assert days >= 0 and weeks >= 0 and days + weeks > 0
