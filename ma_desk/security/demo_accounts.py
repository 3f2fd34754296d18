"""One account per role for the demo clinic, so it can be tried at once.

The demo password "maple grove demo" is the one exception to the password
rules, and only here, for the synthetic demo clinic: it is printed in the
README and by ``ma-desk demo``, so it is public whatever its strength, and the
rules refuse it because it is made of the clinic's own name. A password given
with ``--demo-password`` must pass the rules like any other, since a demo
store may later be used for real.
"""

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


def demo_clinic_words() -> list[str]:
    """The demo clinic's name, providers and accounts: its own words for the rules."""
    from ma_desk.demo import DEMO_CLINIC, PROVIDERS

    words = [DEMO_CLINIC.clinic_name] + [name for name, *_ in PROVIDERS]
    return words + [text for username, name, _ in DEMO_ACCOUNTS for text in (username, name)]


def check_demo_password(password: str) -> None:
    """The published demo password, or one that passes the rules (ValidationError)."""
    if password != DEMO_PASSWORD:
        passwords.check_new_password(password, clinic_words=demo_clinic_words())


def seed_demo_accounts(services, password: str = DEMO_PASSWORD) -> list[str]:
    """Create the demo accounts (all with ``password``); returns their user names."""
    check_demo_password(password)
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
