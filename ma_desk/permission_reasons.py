"""Why a role may not do something, in words for clinic staff.

Built on the same table and rule the services enforce (ma_desk/permissions.py), so the
UI can disable an action before anyone types and say why, instead of refusing at Save.
"""

from __future__ import annotations

from ma_desk.permissions import (
    ADMINISTRATOR,
    EMERGENCY_PERMISSIONS,
    PERMISSIONS,
    ROLE_LABELS,
    ROLES,
    permitted,
)

# permission -> what it lets staff do; completes "Front desk accounts cannot ...".
ACTIONS: dict[str, str] = {
    "patient.read": "open patient records",
    "patient.write": "register patients or change their details",
    "schedule.read": "view the schedule",
    "schedule.write": "book, move or cancel appointments",
    "flow.write": "move patients along the flow board",
    "checkin.write": "check patients in",
    "vitals.read": "view vitals",
    "vitals.write": "record or correct vitals",
    "vitals.acknowledge": "acknowledge critical vitals",
    "rooms.read": "view rooms",
    "rooms.write": "run room checklists or take rooms out of service",
    "checklists.admin": "edit room checklists",
    "insurance.read": "view insurance",
    "insurance.write": "add or change insurance",
    "reports.print": "print documents",
    "reports.end_of_day": "print the end-of-day report",
    "handouts.admin": "manage handout templates",
    "settings.read": "view clinic settings",
    "settings.write": "change clinic settings",
    "users.admin": "manage user accounts",
    "audit.read": "read the audit trail",
    "backup.run": "back up the clinic's records",
    "backup.restore": "restore a backup",
    "records.import": "import records from the old system",
    "records.export_all": "export the whole clinic's records",
    "records.export_patient": "export a patient's record",
}

# write permission -> (its read permission, "can ..." sentence for a role that only reads).
VIEW_ONLY: dict[str, tuple[str, str]] = {
    "vitals.write": ("vitals.read", "view vitals but not record or correct them"),
    "patient.write": ("patient.read", "view patients but not register or change them"),
    "schedule.write": ("schedule.read", "view the schedule but not book, move or cancel"),
    "rooms.write": ("rooms.read", "view rooms but not run checklists or change their state"),
    "insurance.write": ("insurance.read", "view insurance but not add or change it"),
    "settings.write": ("settings.read", "view clinic settings but not change them"),
}

EMERGENCY_HINT = "In an emergency, use Account > Emergency access."


def may(role: str, permission: str, *, elevated: bool = False) -> bool:
    """True when the services would let ``role`` do ``permission`` right now."""
    return permitted(role, permission, elevated=elevated)


def refusal_reason(role: str, permission: str, *, elevated: bool = False) -> str | None:
    """None when ``role`` may do ``permission``; otherwise a sentence staff can act on."""
    if may(role, permission, elevated=elevated):
        return None
    if role not in ROLES:
        return "Sign in first."
    label = ROLE_LABELS[role]
    read_permission, view_only = VIEW_ONLY.get(permission, ("", ""))
    if view_only and may(role, read_permission, elevated=elevated):
        what = f"{label} accounts can {view_only}."
    else:
        what = f"{label} accounts cannot {ACTIONS.get(permission, 'do this')}."
    reason = f"{what} {_ask(permission)}"
    if permission in EMERGENCY_PERMISSIONS and not elevated:
        reason += f" {EMERGENCY_HINT}"
    return reason


def first_refusal(role: str, permissions: tuple[str, ...], *, elevated: bool = False) -> str | None:
    """The reason for the first of ``permissions`` the role lacks (an action may need several)."""
    for permission in permissions:
        reason = refusal_reason(role, permission, elevated=elevated)
        if reason:
            return reason
    return None


def _ask(permission: str) -> str:
    """Whom to ask: the roles that may do it, the administrator last (who can also change
    the role)."""
    holders = [r for r in ROLES if r in PERMISSIONS.get(permission, frozenset())]
    holders.sort(key=lambda r: r == ADMINISTRATOR)
    names = [_with_article(ROLE_LABELS[r].lower()) for r in holders]
    if not names:
        return "Nobody's account can do this."
    if len(names) == 1:
        return f"Ask {names[0]}."
    return f"Ask {', '.join(names[:-1])} or {names[-1]}."


def _with_article(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"
