"""One account per role for the demo clinic, so it can be tried at once."""

from __future__ import annotations

from ma_desk.db.models import User
from ma_desk.permissions import ADMINISTRATOR, FRONT_DESK, MEDICAL_ASSISTANT, PROVIDER
from ma_desk.security import passwords

DEMO_PASSWORD = "maple grove demo"
DEMO_ACCOUNTS = [
    # username, display name, role
    ("admin", "Alex Morgan (admin)", ADMINISTRATOR),
    ("ma", "Jordan Lee, MA", MEDICAL_ASSISTANT),
    ("frontdesk", "Casey Rivera (front desk)", FRONT_DESK),
    ("provider", "Dr. Amara Okafor", PROVIDER),
]


def seed_demo_accounts(services, password: str = DEMO_PASSWORD) -> list[str]:
    """Create the demo accounts (all with ``password``); returns their user names."""
    passwords.check_new_password(password)
    hashed = passwords.hash_password(password)
    now = services.ctx.clock.now()
    from ma_desk import audit

    with services.ctx.db.write() as s:
        for username, display_name, role in DEMO_ACCOUNTS:
            user = User(username=username, display_name=display_name, role=role,
                        password_hash=hashed, active=True, failed_attempts=0, created_at=now)  # fmt: skip
            s.add(user)
            s.flush()
            audit.record(s, services.actor, "create", "user", user.id,
                         details={"username": username, "role": role, "demo": True})  # fmt: skip
    return [u for u, _, _ in DEMO_ACCOUNTS]
