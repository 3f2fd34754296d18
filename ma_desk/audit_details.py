"""What an audit entry's details may say about a patient: which fields, never their values.

The audit trail identifies a patient by id (shown as the MRN) and says which
fields changed; the values (names, birth dates, contact details, allergies,
complaints, vital signs, insurance numbers, free-text notes and reasons)
stay in the records, where the roles decide who reads them. So an audit
export or the audit view never becomes a copy of the charts.

Entries about a patient (those with a patient id) keep a value only for keys
known to carry structure, not content: ids, counts, statuses, kinds and
times of the clinic's own records. Any other key, including one a future
change adds, is reduced to "changed" or "recorded". Settings, rooms,
templates and accounts are not patient content and keep old -> new.
"""

from __future__ import annotations

import json
from typing import Any

STRUCTURAL_KEYS = frozenset(
    {
        # ids and links between records
        "appointment_id", "visit_id", "coverage_id", "change_id", "check_id", "replaces",
        "supersedes", "handout_given_id", "notify_provider_task", "provider_id", "type_id",
        "room_id", "template_id", "candidates", "duplicate_candidates", "appointments",
        "handouts", "mrn", "barcodes",
        # counts, sizes and flags
        "count", "results", "patients", "entries", "alerts", "chars", "bytes", "rows",
        "units_used", "units_approved", "walk_in", "duplicate_override", "break_glass",
        "moved_up", "active", "superseded", "problems",
        # kinds, statuses and choices from the app's own lists
        "purpose", "kind", "status", "action", "side", "sides", "type", "source", "format",
        "layout", "method", "result", "priority", "frequency", "interval", "weeks", "days",
        "minutes", "resolution", "duplicate_choice", "preferred_days", "subscriber_relationship",
        "copay_method", "forms_signed", "fields", "critical_fields", "warnings_overridden",
        "language",
        # the clinic's own times and amounts
        "start", "until", "start_date", "end_date", "effective_date", "verified_at",
        "verified_by_id", "copay_collected_cents", "copay_expected_cents",
        "default_copay_cents", "copays_cents",
        # searches: kept in the store to investigate snooping, never exported
        "query",
    }
)  # fmt: skip
CHANGED = "changed"
RECORDED = "recorded"


def scrub_details(details: dict[str, Any] | None) -> dict[str, Any]:
    """``details`` with the value of every content key replaced by a marker."""
    if not details:
        return {}
    return {key: _scrubbed(key, value) for key, value in details.items()}


def _scrubbed(key: str, value: Any) -> Any:
    if key in STRUCTURAL_KEYS:
        return value
    if value in (None, "", [], {}):
        return value
    if isinstance(value, dict) and set(value) <= {"old", "new"}:
        return CHANGED
    return RECORDED


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
