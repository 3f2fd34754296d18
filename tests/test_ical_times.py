"""iCalendar times: DTSTAMP in true UTC and zoned event times, under several TZ settings.

Each export runs in a fresh interpreter with ``TZ`` set, so the system zone is
the one a clinic in that place would have. The file is read back by two
independent parsers (``icalendar`` and ``vobject``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import vobject
from icalendar import Calendar

from ma_desk import ical_export
from tests.test_schedule_export import row

ROOT = Path(__file__).resolve().parents[1]
ZONES = ["America/New_York", "Asia/Kolkata", "Pacific/Auckland", "UTC"]
STAMP = dt.datetime(2026, 11, 23, 10, 30)  # the clinic's wall clock at export

EXPORT = """
import datetime as dt, sys
from tests.test_schedule_export import row
from ma_desk import ical_export
rows = [row(0), row(1)]
data = ical_export.export_bytes(rows, calendar_name="Dr. Test", stamp=dt.datetime(2026, 11, 23, 10, 30))
sys.stdout.buffer.write(data)
"""


def export_under(zone: str) -> bytes:
    """The export run in a new interpreter whose system zone is ``zone``."""
    env = {**os.environ, "TZ": zone}
    done = subprocess.run([sys.executable, "-c", EXPORT], cwd=ROOT, env=env, capture_output=True,
                          check=True, timeout=120)  # fmt: skip
    return done.stdout


@pytest.fixture(scope="module")
def exports() -> dict[str, bytes]:
    return {zone: export_under(zone) for zone in ZONES}


@pytest.mark.parametrize("zone", ZONES)
def test_dtstamp_is_true_utc_under_each_tz(exports, zone):
    expected = STAMP.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)
    data = exports[zone]
    for event in Calendar.from_ical(data).walk("VEVENT"):
        assert event.decoded("dtstamp") == expected
        assert event["dtstamp"].to_ical().endswith(b"Z")
    for event in vobject.readOne(data.decode()).vevent_list:
        assert event.dtstamp.value == expected


@pytest.mark.parametrize("zone", ZONES)
def test_event_times_carry_the_zone_and_a_vtimezone(exports, zone):
    data = exports[zone]
    cal = Calendar.from_ical(data)
    tzids = [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")]
    starts = [e.decoded("dtstart") for e in cal.walk("VEVENT")]
    assert starts == [row(i).start.replace(tzinfo=ZoneInfo(zone)) for i in (0, 1)]
    if zone == "UTC":  # UTC needs no VTIMEZONE: RFC 5545 writes it as a trailing Z
        assert tzids == []
        assert b"DTSTART:20261124T090000Z" in data
    else:
        assert tzids == [zone]
        assert f"DTSTART;TZID={zone}:20261124T090000".encode() in data
    parsed = vobject.readOne(data.decode())
    for event, i in zip(parsed.vevent_list, (0, 1), strict=True):
        want = row(i).start.replace(tzinfo=ZoneInfo(zone))
        assert event.dtstart.value == want  # same instant, via vobject's own VTIMEZONE reading
        assert event.dtstart.value.utcoffset() == want.utcoffset()
        assert event.dtend.value == row(i).end.replace(tzinfo=ZoneInfo(zone))


def test_same_wall_clock_is_a_different_instant_in_each_zone(exports):
    instants = {
        zone: next(iter(Calendar.from_ical(data).walk("VEVENT"))).decoded("dtstart")
        for zone, data in exports.items()
    }
    assert len({moment.astimezone(dt.UTC) for moment in instants.values()}) == len(ZONES)


def test_vtimezone_rules_cover_a_daylight_saving_change():
    """A New York week spanning the November change: both sides have the right offset."""
    zone = ZoneInfo("America/New_York")
    before = dataclasses.replace(row(0), start=dt.datetime(2026, 10, 31, 9, 0))
    after = dataclasses.replace(row(1), start=dt.datetime(2026, 11, 2, 9, 0))
    data = ical_export.export_bytes([before, after], calendar_name="x", stamp=STAMP, zone=zone)
    parsed = vobject.readOne(data.decode())
    offsets = [e.dtstart.value.utcoffset() for e in parsed.vevent_list]
    assert offsets == [dt.timedelta(hours=-4), dt.timedelta(hours=-5)]
    utc = [e.decoded("dtstart").astimezone(dt.UTC) for e in Calendar.from_ical(data).walk("VEVENT")]
    assert [u.hour for u in utc] == [13, 14]


def test_explicit_clinic_zone_overrides_the_system():
    zone = ZoneInfo("Asia/Kolkata")
    data = ical_export.export_bytes([row(0)], calendar_name="x", stamp=STAMP, zone=zone)
    event = next(iter(Calendar.from_ical(data).walk("VEVENT")))
    assert event.decoded("dtstamp") == dt.datetime(2026, 11, 23, 5, 0, tzinfo=dt.UTC)
    assert b"TZID=Asia/Kolkata" in data


def test_unnamed_zone_writes_exact_utc_times():
    """No IANA name known: events in UTC (converted with the system offset), no VTIMEZONE."""
    data = ical_export.export_bytes([row(0)], calendar_name="x", stamp=STAMP, zone=None)
    cal = Calendar.from_ical(data)
    assert not list(cal.walk("VTIMEZONE"))
    event = next(iter(cal.walk("VEVENT")))
    assert event.decoded("dtstart") == row(0).start.astimezone().astimezone(dt.UTC)
    assert event.decoded("dtstamp") == STAMP.astimezone().astimezone(dt.UTC)


@pytest.mark.parametrize("zone", ZONES)
def test_system_zone_is_found_from_tz(monkeypatch, zone):
    monkeypatch.setenv("TZ", zone)
    found = ical_export.system_zone()
    assert found is not None and found.key == zone


def test_report_figures_as_json(exports):
    """Keeps the figures the report quotes easy to reproduce (``pytest -s``)."""
    stamps = {z: next(iter(Calendar.from_ical(d).walk("VEVENT")))["dtstamp"].to_ical().decode()
              for z, d in exports.items()}  # fmt: skip
    print(json.dumps(stamps))
    assert stamps["UTC"] == "20261123T103000Z"


@pytest.mark.parametrize(("clinic", "expected"), [("Asia/Kolkata", "Asia/Kolkata"),
                                                  ("", "America/New_York")])  # fmt: skip
def test_the_service_writes_the_clinics_zone_not_the_computers(
    demo_services, sign_in_as, clock, tmp_path, monkeypatch, clinic, expected
):
    """A workstation set to New York exporting for a clinic in Kolkata: the file's times
    are the clinic's, as the schedule showed them; no clinic zone: the computer's."""
    monkeypatch.setenv("TZ", "America/New_York")
    demo_services.settings.update(time_zone=clinic)
    provider = demo_services.schedule.providers()[0]
    out = tmp_path / "week.ics"
    demo_services.schedule.export_calendar(provider.id, clock.now().date(), 7, out)
    data = out.read_bytes()
    cal = Calendar.from_ical(data)
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == [expected]
    shown = demo_services.schedule.range(clock.now().date(), clock.now().date() + dt.timedelta(7),
                                         [provider.id])  # fmt: skip
    starts = sorted(e.decoded("dtstart") for e in cal.walk("VEVENT"))
    wall_clock = sorted(r.start.replace(tzinfo=ZoneInfo(expected)) for r in shown if r.is_active)
    assert starts == wall_clock
