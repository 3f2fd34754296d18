"""Who may call each public service method, and how the call is audited.

Every public method of a service is declared with ``@policy`` (or ``@public``).
The decorator checks the permissions before the method's body runs, so a
method cannot forget its check, and a refusal is audited. The declaration
also says how the call reaches the audit trail; ``tests/test_service_policies``
fails for a public method without one and runs every method as every role.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

# How a call reaches the audit trail (ASTM E2147's kinds of action).
WRITE = "write"  # changes records; its entry is written in the same transaction
READ = "read"  # reads patient data; records a view or query entry (once per opening)
PRINT = "print"  # produces a document or label with patient data; records a print entry
EXPORT = "export"  # writes patient data out of the store; records an export entry
REFERENCE = "reference"  # reads clinic data that names no patient (rooms, providers, settings)
SESSION = "session"  # sign-in, sign-out, lock: the accounts service audits these itself
AUDIT_KINDS = (WRITE, READ, PRINT, EXPORT, REFERENCE, SESSION)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Policy:
    permissions: tuple[str, ...]  # all required; none = any signed-in user
    audit: str
    public: bool = False  # callable with nobody signed in (first run, sign-in)


def policy(*permissions: str, audit: str) -> Callable[[F], F]:
    """Require every permission in ``permissions`` (or just a signed-in user when empty)."""
    return _declare(Policy(tuple(permissions), audit))


def public(*, audit: str) -> Callable[[F], F]:
    """Callable with nobody signed in: only sign-in and first-run steps."""
    return _declare(Policy((), audit, public=True))


def policy_of(method: Callable[..., Any]) -> Policy | None:
    return getattr(method, "__policy__", None)


def _declare(declared: Policy) -> Callable[[F], F]:
    if declared.audit not in AUDIT_KINDS:
        raise ValueError(f"unknown audit kind {declared.audit!r}")

    def wrap(method: F) -> F:
        signature = inspect.signature(method)
        names_patient = "patient_id" in signature.parameters

        @functools.wraps(method)
        def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
            if not declared.public:
                patient_id = None
                if names_patient:
                    bound = signature.bind_partial(self, *args, **kwargs)
                    candidate = bound.arguments.get("patient_id")
                    patient_id = candidate if isinstance(candidate, int) else None
                self.require(declared.permissions, patient_id=patient_id)
            return method(self, *args, **kwargs)

        guarded.__policy__ = declared  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return wrap
