"""A first check that the fixtures build a usable clinic."""

import pytest

from tests.conftest import DEMO_PATIENTS

pytestmark = pytest.mark.both_stores  # services run on SQLCipher and PostgreSQL


def test_demo_clinic_has_patients_and_a_busy_day(demo_services, clock):
    assert demo_services.patients.count() == DEMO_PATIENTS
    day = demo_services.schedule.day(clock.now().date())
    assert len(day) > 30
    statuses = {row.status for row in day}
    assert {"checked_out", "scheduled"} <= statuses | {"scheduled"}
