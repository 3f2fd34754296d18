"""Roles and what each may do; enforced by the services, not by hiding widgets."""

from __future__ import annotations

ADMINISTRATOR = "administrator"
MEDICAL_ASSISTANT = "medical_assistant"
FRONT_DESK = "front_desk"
PROVIDER = "provider"

ROLES = (ADMINISTRATOR, MEDICAL_ASSISTANT, FRONT_DESK, PROVIDER)
ROLE_LABELS = {
    ADMINISTRATOR: "Administrator",
    MEDICAL_ASSISTANT: "Medical assistant",
    FRONT_DESK: "Front desk",
    PROVIDER: "Provider",
}

# permission -> roles allowed
PERMISSIONS: dict[str, frozenset[str]] = {
    "patient.read": frozenset(ROLES),
    "patient.write": frozenset({ADMINISTRATOR, MEDICAL_ASSISTANT, FRONT_DESK}),
    "schedule.read": frozenset(ROLES),
    "schedule.write": frozenset({ADMINISTRATOR, MEDICAL_ASSISTANT, FRONT_DESK}),
    "flow.write": frozenset({ADMINISTRATOR, MEDICAL_ASSISTANT, FRONT_DESK, PROVIDER}),
    "checkin.write": frozenset({ADMINISTRATOR, MEDICAL_ASSISTANT, FRONT_DESK}),
    "vitals.read": frozenset(ROLES),
    "vitals.write": frozenset({ADMINISTRATOR, MEDICAL_ASSISTANT}),
    "vitals.acknowledge": frozenset({ADMINISTRATOR, MEDICAL_ASSISTANT, PROVIDER}),
    "rooms.read": frozenset(ROLES),
    "rooms.write": frozenset({ADMINISTRATOR, MEDICAL_ASSISTANT}),
    "checklists.admin": frozenset({ADMINISTRATOR}),
    "insurance.read": frozenset(ROLES),
    "insurance.write": frozenset({ADMINISTRATOR, MEDICAL_ASSISTANT, FRONT_DESK}),
    "reports.print": frozenset(ROLES),
    "reports.end_of_day": frozenset({ADMINISTRATOR, MEDICAL_ASSISTANT, FRONT_DESK}),
    "handouts.admin": frozenset({ADMINISTRATOR}),
    "settings.read": frozenset(ROLES),
    "settings.write": frozenset({ADMINISTRATOR}),
    "users.admin": frozenset({ADMINISTRATOR}),
    "audit.read": frozenset({ADMINISTRATOR}),
    "backup.run": frozenset({ADMINISTRATOR, MEDICAL_ASSISTANT, FRONT_DESK}),
    "backup.restore": frozenset({ADMINISTRATOR}),
    "records.import": frozenset({ADMINISTRATOR}),  # CSV / FHIR import from the old system
    "records.export_all": frozenset({ADMINISTRATOR}),  # the whole clinic as FHIR NDJSON
    "records.export_patient": frozenset({ADMINISTRATOR, MEDICAL_ASSISTANT, FRONT_DESK}),
}


# What an emergency ("break-glass") elevation opens: patient care, never administration
# (accounts, the audit trail, settings, templates, restoring a backup).
EMERGENCY_PERMISSIONS = frozenset(
    {
        "patient.read",
        "patient.write",
        "schedule.read",
        "schedule.write",
        "flow.write",
        "checkin.write",
        "vitals.read",
        "vitals.write",
        "vitals.acknowledge",
        "rooms.read",
        "rooms.write",
        "insurance.read",
        "insurance.write",
        "reports.print",
        "reports.end_of_day",
    }
)


def allowed(role: str, permission: str) -> bool:
    """True when ``role`` may do ``permission``; unknown permissions are refused."""
    return role in PERMISSIONS.get(permission, frozenset())


def allowed_in_emergency(role: str, permission: str) -> bool:
    """True when a signed-in user under break-glass may do ``permission``."""
    return role in ROLES and (allowed(role, permission) or permission in EMERGENCY_PERMISSIONS)


def permitted(role: str, permission: str, *, elevated: bool = False) -> bool:
    """The one rule the services enforce and the UI shows: the role's own permissions,
    widened to the emergency set while a break-glass elevation runs."""
    return allowed(role, permission) or (elevated and allowed_in_emergency(role, permission))
