"""The clinic's own words, which an attacker who knows the clinic tries first.

"MapleGrove2024" or "Okafor1985" look random to a generic list but not to
someone standing at the front desk: the clinic's name, its providers, its
users' names and user names go to the strength estimator as extra words.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ma_desk.db.models import Provider, Setting, User


def clinic_words(session: Session) -> list[str]:
    """Clinic name, provider names, user names and display names from the store."""
    texts: list[str] = []
    name = session.get(Setting, "clinic_name")
    if name is not None and isinstance(name.value, str):
        texts.append(name.value)
    texts.extend(session.scalars(select(Provider.display_name)))
    for username, display_name in session.execute(select(User.username, User.display_name)):
        texts += [username, display_name]
    return texts
