"""Who is acting: the signed-in user at this workstation (or the system itself)."""

from __future__ import annotations

import socket
from dataclasses import dataclass


def workstation_name() -> str:
    return socket.gethostname() or "workstation"


NO_ROLE = "signed_out"


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    display_name: str
    role: str
    workstation: str

    @classmethod
    def system(cls) -> Actor:
        """Used by first-run setup and the demo builder, never for a person at the desk."""
        return cls(None, "system", "MA Desk", "administrator", workstation_name())

    @classmethod
    def nobody(cls) -> Actor:
        """Nobody signed in: every permission is refused."""
        return cls(None, "", "Nobody signed in", NO_ROLE, workstation_name())
