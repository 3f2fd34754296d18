"""The one exception family that services raise.

Every message is written for the person at the desk: it says what is wrong
and, where it can, what to do. The UI shows ``str(error)`` as it is; when
``field`` is set it shows the message next to that input.
"""

from __future__ import annotations

from typing import Any


class MADeskError(Exception):
    """Base of every error a user may see."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class ValidationError(MADeskError):
    """Input that cannot be saved; nothing was written."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        errors: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, field=field)
        self.errors: dict[str, str] = dict(errors or ({field: message} if field else {}))


class NotFoundError(MADeskError):
    """The record asked for does not exist (any more)."""


class ConflictError(MADeskError):
    """The change clashes with the current state (for example an illegal status change)."""


class StaleVersionError(ConflictError):
    """Someone saved the record after this form loaded it; nothing was written.

    ``current`` is the record as it is now (the same row type the service
    returns), so the form can show it beside what the user typed; ``version``
    is its version, to save against once the user has compared.
    """

    def __init__(
        self,
        message: str,
        *,
        current: object = None,
        version: int | None = None,
        changed_by: str = "",
        changed_at: object = None,
        changed_on: str = "",
    ) -> None:
        super().__init__(message)
        self.current = current
        self.version = version
        self.changed_by = changed_by
        self.changed_at = changed_at
        self.changed_on = changed_on


class PermissionDenied(MADeskError):
    """The signed-in user's role does not allow this action."""


class NeedsConfirmation(MADeskError):
    """Warnings the user may override by confirming (double booking, duplicates...)."""

    def __init__(
        self, message: str, *, warnings: list[str], candidates: list[Any] | None = None
    ) -> None:
        super().__init__(message)
        self.warnings = warnings
        self.candidates = candidates or []


class StoreError(MADeskError):
    """The clinic store cannot be opened or used; the file is left untouched."""


class WrongKeyError(StoreError):
    """The key does not open the store, or the file is not an MA Desk store."""


class NotAStoreError(StoreError):
    """The file exists but is not an MA Desk store."""


class StoreTooNewError(StoreError):
    """The store was written by a newer MA Desk."""


class KeyUnavailableError(StoreError):
    """No key could be found for the store (keyring entry gone, no passphrase given)."""


class StoreDamagedError(StoreError):
    """The store file is damaged: emptied, cut short, altered pages or lost records.

    ``details`` are the technical findings (page numbers, sizes) for support
    staff: ``ma-desk check --verbose`` prints them; the message stays short.
    """

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details: list[str] = list(details or [])


class StoreReadOnlyError(StoreError):
    """A change was refused because the store is open read-only; nothing was written."""


class DiskFullError(StoreError):
    """The disk holding the store is full; the change was not saved."""


class DiskReadOnlyError(StoreError):
    """The disk or file holding the store cannot be written (read-only disk, permissions)."""


class StoreIOError(StoreError):
    """The disk reported a read or write error."""


class StoreLockedError(StoreError):
    """Another program holds a lock on the store for longer than MA Desk waits."""


class StoreAccessError(StoreError):
    """The store file cannot be opened or read: missing, permissions, not a regular file."""


class ServerUnavailableError(StoreError):
    """The clinic's PostgreSQL server cannot be reached; nothing was saved."""


class ServerAuthenticationError(StoreError):
    """The clinic's server refused the database account's name or password."""


class ServerCertificateError(StoreError):
    """The clinic's server did not prove its identity (certificate not trusted); nothing sent."""


class AuthenticationError(MADeskError):
    """Sign-in failed."""
