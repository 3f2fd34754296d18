"""A NUL pasted into a search or a user name finds nothing, on both stores.

PostgreSQL refuses NUL in any text parameter; a lookup must not turn that into
an unexpected error (found by the both-stores insurance-notes property test).
"""

from __future__ import annotations

import pytest

from ma_desk.errors import AuthenticationError
from ma_desk.security.demo_accounts import DEMO_PASSWORD
from ma_desk.services.audit_log import AuditFilter

pytestmark = pytest.mark.both_stores


@pytest.mark.parametrize("typed", ["\x00", "\x00\x00", "Hay\x00es"])
def test_sign_in_with_nul_in_an_unknown_name_is_an_ordinary_refusal(demo_services, typed):
    with pytest.raises(AuthenticationError):
        demo_services.accounts.sign_in(typed, DEMO_PASSWORD)


def test_a_nul_pasted_into_a_known_name_is_not_part_of_it(demo_services):
    assert demo_services.accounts.sign_in("m\x00a", DEMO_PASSWORD).username == "ma"


@pytest.mark.parametrize("typed", ["\x00", "Hayes\x00", "\x00\x00 1980"])
def test_patient_search_with_nul_finds_nothing_odd(demo_services, typed):
    hits = demo_services.patients.search(typed)
    assert all("\x00" not in h.last_name for h in hits)


def test_audit_filter_with_nul_finds_nothing(demo_services):
    rows = demo_services.audit_log.search(AuditFilter(username="ma\x00", action="\x00"))
    assert rows == []
