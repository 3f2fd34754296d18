"""What an audit entry's details may say: field names for patient content, never values.

The audit trail identifies a patient by id (shown as the MRN), and says which
fields changed; the values themselves (names, birth dates, contact details,
allergies, complaints, vital signs, insurance numbers, free-text notes and
reasons) stay in the records, where the roles decide who reads them. So an
audit export or an audit view never becomes a copy of the charts. Entries
about a patient (those with a patient id) are scrubbed; settings, rooms,
templates and accounts are not patient content and keep old -> new.
"""

from __future__ import annotations

import json
from typing import Any

# Keys whose values are patient content wherever they appear in details.
PATIENT_CONTENT_KEYS = frozenset(
    {
        # identity and contact
        "first_name", "middle_name", "last_name", "preferred_name", "dob", "sex", "phone",
        "email", "address1", "address2", "city", "state", "zip", "preferred_language",
        "emergency_name", "emergency_phone", "emergency_relation",
        # clinical content and free text
        "allergies", "medications", "chief_complaint", "instructions", "reason", "note",
        "notes", "text", "values", "service", "complaint",
        # insurance identifiers
        "member_id", "group_number", "subscriber_name", "subscriber_dob", "auth_number",
        "reference", "plan", "payer",
    }
)  # fmt: skip
CHANGED = "changed"
RECORDED = "recorded"


def scrub_details(details: dict[str, Any] | None) -> dict[str, Any]:
    """``details`` with the value of every patient-content key replaced by a marker."""
    if not details:
        return {}
    return {key: _scrubbed(key, value) for key, value in details.items()}


def _scrubbed(key: str, value: Any) -> Any:
    if key in PATIENT_CONTENT_KEYS:
        if isinstance(value, dict) and set(value) <= {"old", "new"}:
            return CHANGED
        return RECORDED if value not in (None, "") else value
    if isinstance(value, dict):
        return {k: _scrubbed(k, v) for k, v in value.items()}
    return value


# Kept in the store for investigating (who searched for whom), never written out of it.
STORE_ONLY_KEYS = frozenset({"query"})


def exportable_details(details_json: str) -> str:
    """An entry's details as they may leave the store (search text removed)."""
    try:
        details = json.loads(details_json or "{}")
    except ValueError:
        return details_json
    if not isinstance(details, dict) or not STORE_ONLY_KEYS & set(details):
        return details_json
    kept = {k: ("[in the store]" if k in STORE_ONLY_KEYS else v) for k, v in details.items()}
    return json.dumps(kept, sort_keys=True, separators=(",", ":"))
