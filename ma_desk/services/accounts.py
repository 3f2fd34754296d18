"""User accounts: sign-in and out, lock-out, first administrator, user admin, break-glass.

Every sign-in, failed sign-in, sign-out, lock, account change and emergency
elevation is written to the audit trail in the same transaction as the
change. Passwords are Argon2id hashes (ma_desk/security/passwords.py) and are
never logged or returned. Administrative methods check the role strictly:
a break-glass elevation opens patient data, never user administration.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ma_desk import audit
from ma_desk.actor import NO_ROLE, Actor, workstation_name
from ma_desk.db.models import SignInFailure, User
from ma_desk.errors import (
    AuthenticationError,
    ConflictError,
    PermissionDenied,
    ValidationError,
)
from ma_desk.permissions import ADMINISTRATOR, ROLE_LABELS, ROLES
from ma_desk.security import passwords, seal
from ma_desk.security.clinic_words import clinic_words
from ma_desk.services import audit_seals
from ma_desk.services.base import Service
from ma_desk.services.policy import REFERENCE, SESSION, WRITE, policy, public
from ma_desk.services.rows import existing

# Failures allowed before a user name (real or not) waits; each further one doubles the wait.
FREE_ATTEMPTS = 4
FIRST_DELAY_SECONDS = 30
MAX_DELAY_SECONDS = 15 * 60
BREAK_GLASS_MAX_MINUTES = 240
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
WRONG_CREDENTIALS = "The user name or password is wrong."


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    display_name: str
    role: str
    active: bool
    failed_attempts: int
    locked_until: dt.datetime | None
    last_sign_in_at: dt.datetime | None

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


def signed_out_actor() -> Actor:
    """Nobody signed in: every permission is refused."""
    return Actor.nobody()


def lockout_delay(failures: int) -> int:
    """Seconds an account waits after ``failures`` consecutive failures (0 = none)."""
    if failures <= FREE_ATTEMPTS:
        return 0
    delay: int = FIRST_DELAY_SECONDS * 2 ** (failures - FREE_ATTEMPTS - 1)
    return min(delay, MAX_DELAY_SECONDS)


def clean_username(username: str) -> str:
    """Folded, trimmed, without control characters (a NUL pasted in is not part of a name)."""
    return "".join(ch for ch in username if ch >= " " and ch != "\x7f").strip().casefold()


def new_user(
    s: Session, now: dt.datetime, username: str, display_name: str, role: str, password: str
) -> User:
    """A checked account's row (the caller validated it), flushed so it has its id."""
    user = User(
        username=username,
        display_name=_clean_display_name(display_name),
        role=role,
        password_hash=passwords.hash_password(password),
        active=True,
        failed_attempts=0,
        created_at=now,
    )
    s.add(user)
    s.flush()
    return user


def add_first_administrator(
    s: Session, now: dt.datetime, username: str, display_name: str, password: str
) -> tuple[Actor, bytes]:
    """A store's first account, audited and signed in, holding the first audit seal key;
    inside the caller's transaction (first-run dialog, clinic set-up)."""
    user = new_user(s, now, username, display_name, ADMINISTRATOR, password)
    actor = _actor(user)
    audit.record(s, actor, "create", "user", user.id,
                 details={"username": user.username, "role": ADMINISTRATOR,
                          "first_administrator": True})  # fmt: skip
    audit.record(s, actor, "sign_in", "session", user.id)
    key = seal.new_seal_key()
    audit_seals.give_copy(s, user.id, key, password, now)
    audit_seals.append_seal(s, actor, key)
    return actor, key


def _row(user: User) -> UserRow:
    return UserRow(
        user.id,
        user.username,
        user.display_name,
        user.role,
        bool(user.active),
        user.failed_attempts or 0,
        user.locked_until,
        user.last_sign_in_at,
    )


def _actor(user: User) -> Actor:
    return Actor(user.id, user.username, user.display_name, user.role, workstation_name())


class AccountService(Service):
    # ------------------------------------------------------------ first run
    @public(audit=REFERENCE)
    def has_users(self) -> bool:
        with self.ctx.db.read() as s:
            return bool(s.scalar(select(func.count(User.id))))

    @public(audit=WRITE)
    def create_first_administrator(self, username: str, display_name: str, password: str) -> Actor:
        """Only while the store has no account at all; signs the new administrator in."""
        clean = self._validate_new(username, display_name, ADMINISTRATOR, password)
        with self.ctx.db.write() as s:
            if s.scalar(select(func.count(User.id))):
                raise ConflictError("This store already has accounts; sign in instead.")
            actor, key = add_first_administrator(s, self.now(), clean, display_name, password)
        self._become(actor)
        self.ctx.seal_key = key
        return actor

    # ------------------------------------------------------------ sign-in / out
    @public(audit=SESSION)
    def sign_in(self, username: str, password: str) -> Actor:
        """Check the password, apply the lock-out, audit the attempt; become the user."""
        previous = self.actor
        actor = self.authenticate(username, password, purpose="sign_in")
        if previous.user_id is not None and previous.user_id != actor.user_id:
            with self.ctx.db.write() as s:  # switch user: the previous session ends here
                audit.record(s, previous, "sign_out", "session", previous.user_id,
                             details={"reason": f"switched to {actor.username}"})  # fmt: skip
        self._become(actor)
        self._report_missing_witness(actor)
        if actor.role == ADMINISTRATOR:
            self._open_seal_key(actor, password)
        self._remember_chain_head()
        return actor

    def _open_seal_key(self, actor: Actor, password: str) -> None:
        """An administrator signed in: open their copy of the audit seal key, check every
        seal, then seal the head (ma_desk/security/seal.py). Problems are audited, not
        raised: the clinic keeps working, ``audit verify`` reports them."""
        if self._store_frozen():
            return
        assert actor.user_id is not None  # called for a signed-in administrator
        with self.ctx.db.write() as s:
            copy = audit_seals.copy_for(s, actor.user_id)
            if copy is None and audit_seals.any_copy(s):
                audit.record(s, actor, "seal_key_missing", "audit", outcome="failure")
                return
            if copy is None:  # the store's first seal key (a store made before seals)
                key = seal.new_seal_key()
                audit_seals.give_copy(s, actor.user_id, key, password, self.now())
            else:
                opened = seal.unwrap(copy, password)
                if opened is None:
                    audit.record(s, actor, "seal_key_unreadable", "audit", outcome="failure")
                    return
                key = opened
            self.ctx.seal_key = key
            report = audit_seals.check_seals(s, key)
            if report.problems:
                audit.record(s, actor, "seal_check_failed", "audit", outcome="failure",
                             details={"problems": len(report.problems)})  # fmt: skip
                return
            audit_seals.append_seal(s, actor, key)

    def _report_missing_witness(self, actor: Actor) -> None:
        """The store had entries but no witness file when it was opened (deleted, or the
        folder was copied by hand): say so in the trail once, at the first sign-in."""
        db = self.ctx.db
        if getattr(db, "witness_missing", False) and not self._store_frozen():
            db.witness_missing = False
            with db.write() as s:
                audit.record(s, actor, "witness_missing", "audit", outcome="failure")

    def _read_only(self) -> bool:
        return bool(getattr(self.ctx.db, "read_only", False))

    def _store_frozen(self) -> bool:
        """A damaged store (read-only) or one whose witness disagrees is never sealed."""
        db = self.ctx.db
        return bool(getattr(db, "read_only", False) or getattr(db, "witness_frozen", False))

    @public(audit=SESSION)
    def authenticate(self, username: str, password: str, *, purpose: str) -> Actor:
        """Verify credentials without changing who is signed in (sign-in, break-glass).

        A name without an active account takes the same steps as a real one: one
        Argon2 verification (against a dummy hash), its failures counted (in
        ``sign_in_failures``) towards the same lock-out, the same messages. Neither
        the answers nor their timing tell whether an account exists.
        """
        clean = clean_username(username)
        now = self.now()
        writable = not self._read_only()
        with self.ctx.db.write() if writable else self.ctx.db.read() as s:
            user = s.scalar(select(User).where(User.username == clean, User.active.is_(True)))
            matches = passwords.verify_password(user.password_hash if user else None, password)
            if writable:
                record = user if user is not None else _unknown_name_record(s, clean)
            else:  # a damaged store writes nothing: this session counts failures in memory
                record = self.ctx.read_only_failures.setdefault(clean[:64], _Failures())
            who = _actor(user) if user is not None else _attempted(clean)
            about = {} if user is not None else {"reason": "unknown or inactive user"}
            entity_id = user.id if user is not None else ""
            note = partial(audit.record, s) if writable else _nothing
            if record.locked_until is not None and now < record.locked_until:
                wait = int((record.locked_until - now).total_seconds()) + 1
                note(who, f"{purpose}_refused", "session", entity_id, outcome="locked",
                     details={"seconds_left": wait, **about})  # fmt: skip
                failure: AuthenticationError | None = AuthenticationError(_locked_message(wait))
            elif not matches or user is None:
                record.failed_attempts = (record.failed_attempts or 0) + 1
                delay = lockout_delay(record.failed_attempts)
                record.locked_until = now + dt.timedelta(seconds=delay) if delay else None
                note(who, f"{purpose}_failed", "session", entity_id, outcome="failure",
                     details={"failed_attempts": record.failed_attempts,
                              "locked_seconds": delay, **about})  # fmt: skip
                failure = AuthenticationError(_failed_message(delay))
            else:
                failure = None
                if writable:
                    user.failed_attempts = 0
                    user.locked_until = None
                    if purpose == "sign_in":
                        user.last_sign_in_at = now
                    if passwords.needs_rehash(user.password_hash or ""):
                        user.password_hash = passwords.hash_password(password)
                else:
                    record.failed_attempts, record.locked_until = 0, None
                actor = _actor(user)
                note(actor, purpose, "session", user.id)
        if failure is not None:
            raise failure
        return actor

    @public(audit=SESSION)
    def sign_out(self) -> None:
        actor = self.actor
        if actor.role != NO_ROLE and not self._read_only():
            with self.ctx.db.write() as s:
                if self.ctx.seal_key is not None and not self._store_frozen():
                    audit_seals.append_seal(s, actor, self.ctx.seal_key)
                audit.record(s, actor, "sign_out", "session", actor.user_id or "")
        self._become(signed_out_actor())
        self._remember_chain_head()

    def _remember_chain_head(self) -> None:
        """Update the witness file beside the store (see ma_desk/security/witness.py)."""
        from ma_desk.security.witness import data_dir_of, write_witness

        data_dir = data_dir_of(self.ctx.db)
        if data_dir is not None:
            write_witness(data_dir, self.ctx.db)

    @policy(audit=SESSION)
    def record_lock(self, reason: str) -> None:
        """The screen was locked (idle or Ctrl+L): who and why, for the audit trail."""
        if not self._read_only():
            with self.ctx.db.write() as s:
                audit.record(s, self.actor, "lock", "session", self.actor.user_id or "",
                             details={"reason": reason})  # fmt: skip
        self.ctx.views_recorded.clear()  # what shows after unlocking is a new opening

    def _become(self, actor: Actor) -> None:
        self.ctx.new_session(actor)

    @property
    def signed_in(self) -> bool:
        return self.actor.role in ROLES

    # ------------------------------------------------------------ own password
    @policy(audit=WRITE)
    def change_own_password(self, current: str, new: str) -> None:
        actor = self.actor
        if actor.user_id is None:
            raise PermissionDenied("Sign in first.")
        with self.ctx.db.write() as s:
            user = s.get(User, actor.user_id)
            if user is None or not passwords.verify_password(user.password_hash, current):
                raise ValidationError("The current password is wrong.", field="current")
            passwords.check_new_password(new, username=user.username,
                                         display_name=user.display_name,
                                         clinic_words=clinic_words(s))  # fmt: skip
            user.password_hash = passwords.hash_password(new)
            self._rewrap_seal_key(s, user, new)
            audit.record(s, actor, "password_change", "user", user.id)

    # ------------------------------------------------------------ administration
    @policy("users.admin", audit=REFERENCE)
    def require_admin(self) -> None:
        """Administrators only (the decorator checks; break-glass does not open it)."""

    @policy("users.admin", audit=REFERENCE)
    def list_users(self, *, include_inactive: bool = True) -> list[UserRow]:
        with self.ctx.db.read() as s:
            stmt = select(User).order_by(User.active.desc(), func.lower(User.display_name))
            if not include_inactive:
                stmt = stmt.where(User.active.is_(True))
            return [_row(u) for u in s.scalars(stmt)]

    @policy("users.admin", audit=WRITE)
    def create_user(self, username: str, display_name: str, role: str, password: str) -> UserRow:
        clean = self._validate_new(username, display_name, role, password)
        with self.ctx.db.write() as s:
            if s.scalar(select(User.id).where(User.username == clean)):
                raise ValidationError(f"The user name {clean} is taken.", field="username")
            user = self._insert(s, clean, display_name, role, password)
            self._rewrap_seal_key(s, user, password)
            audit.record(s, self.actor, "create", "user", user.id,
                         details={"username": clean, "display_name": user.display_name,
                                  "role": role})  # fmt: skip
            return _row(user)

    @policy("users.admin", audit=WRITE)
    def update_user(
        self,
        user_id: int,
        *,
        display_name: str | None = None,
        role: str | None = None,
        active: bool | None = None,
    ) -> UserRow:
        with self.ctx.db.write() as s:
            user = self._get(s, user_id)
            before = {"display_name": user.display_name, "role": user.role, "active": user.active}
            if display_name is not None:
                user.display_name = _clean_display_name(display_name)
            if role is not None:
                if role not in ROLES:
                    raise ValidationError("Choose one of the roles.", field="role")
                user.role = role
                if role != ADMINISTRATOR:
                    audit_seals.take_copy(s, user.id)
            if active is not None:
                user.active = bool(active)
            if user.id == self.actor.user_id and (not user.active or user.role != ADMINISTRATOR):
                raise ConflictError(
                    "You cannot deactivate your own account or remove your own administrator "
                    "role; ask another administrator."
                )
            s.flush()
            if not s.scalar(
                select(func.count(User.id)).where(User.role == ADMINISTRATOR, User.active.is_(True))
            ):
                raise ConflictError("The store must keep at least one active administrator.")
            after = {"display_name": user.display_name, "role": user.role, "active": user.active}
            diff = audit.changes(before, after)
            if diff:
                audit.record(s, self.actor, "update", "user", user.id, details=diff)
            return _row(user)

    @policy("users.admin", audit=WRITE)
    def reset_password(self, user_id: int, new_password: str) -> None:
        """An administrator sets a new password (and clears any lock-out)."""
        with self.ctx.db.write() as s:
            user = self._get(s, user_id)
            passwords.check_new_password(new_password, username=user.username,
                                         display_name=user.display_name,
                                         clinic_words=clinic_words(s))  # fmt: skip
            user.password_hash = passwords.hash_password(new_password)
            user.failed_attempts = 0
            user.locked_until = None
            self._rewrap_seal_key(s, user, new_password)
            audit.record(s, self.actor, "password_reset", "user", user.id)

    @policy("users.admin", audit=WRITE)
    def unlock_user(self, user_id: int) -> None:
        with self.ctx.db.write() as s:
            user = self._get(s, user_id)
            user.failed_attempts = 0
            user.locked_until = None
            audit.record(s, self.actor, "unlock", "user", user.id)

    # ------------------------------------------------------------ break-glass
    @policy(audit=SESSION)
    def grant_break_glass(
        self, admin_username: str, admin_password: str, minutes: int, reason: str
    ) -> dt.datetime:
        """An administrator's credentials open every patient permission for this session.

        Time-limited (at most four hours); the grant and every action taken under
        it are flagged ``break_glass`` in the audit trail.
        """
        reason = " ".join(reason.split())
        if not reason:
            raise ValidationError("Say why emergency access is needed.", field="reason")
        if not 1 <= minutes <= BREAK_GLASS_MAX_MINUTES:
            raise ValidationError(
                f"Emergency access lasts 1 to {BREAK_GLASS_MAX_MINUTES} minutes.", field="minutes"
            )
        if not self.signed_in:
            raise PermissionDenied("Sign in first; emergency access is granted to a session.")
        admin = self.authenticate(admin_username, admin_password, purpose="break_glass_auth")
        if admin.role != ADMINISTRATOR:
            with self.ctx.db.write() as s:
                audit.record(s, admin, "permission_refused", "permission", "break_glass",
                             outcome="refused")  # fmt: skip
            raise PermissionDenied("Only an administrator can grant emergency access.")
        until = self.now() + dt.timedelta(minutes=minutes)
        with self.ctx.db.write() as s:
            audit.record(s, self.actor, "break_glass_start", "session", self.actor.user_id or "",
                         outcome="emergency",
                         details={"break_glass": True, "granted_by": admin.username,
                                  "minutes": minutes, "until": until, "reason": reason[:300]})  # fmt: skip
        self.ctx.elevated_until = until
        return until

    @policy(audit=SESSION)
    def end_break_glass(self) -> None:
        if self.ctx.elevated_until is None:
            return
        with self.ctx.db.write() as s:
            audit.record(s, self.actor, "break_glass_end", "session", self.actor.user_id or "",
                         details={"break_glass": True})  # fmt: skip
        self.ctx.elevated_until = None

    @public(audit=REFERENCE)
    def break_glass_until(self) -> dt.datetime | None:
        """When the current elevation ends, or None (also once it has run out)."""
        until = self.ctx.elevated_until
        return until if until is not None and self.now() < until else None

    # ------------------------------------------------------------ helpers
    def _validate_new(self, username: str, display_name: str, role: str, password: str) -> str:
        clean = clean_username(username)
        errors: dict[str, str] = {}
        if not _USERNAME.match(clean):
            errors["username"] = (
                "User names have 2 to 64 letters, digits, dots, dashes or underscores "
                "(no spaces) and start with a letter or digit."
            )
        if not " ".join(display_name.split()):
            errors["display_name"] = "Enter the person's name as colleagues should see it."
        elif len(display_name) > 120:
            errors["display_name"] = "Use at most 120 characters."
        if role not in ROLES:
            errors["role"] = "Choose one of the roles."
        with self.ctx.db.read() as s:
            words = clinic_words(s)
        problem = passwords.password_problem(password, username=clean, display_name=display_name,
                                             clinic_words=words)  # fmt: skip
        if problem:
            errors["password"] = problem
        if errors:
            first = next(iter(errors))
            raise ValidationError(errors[first], field=first, errors=errors)
        return clean

    def _insert(
        self, s: Session, username: str, display_name: str, role: str, password: str
    ) -> User:
        return new_user(s, self.now(), username, display_name, role, password)

    def _rewrap_seal_key(self, s: Session, user: User, password: str) -> None:
        """An administrator's copy of the seal key follows their password: wrapped anew when
        the signed-in administrator holds the key, removed otherwise (a copy under an old
        password no one knows is useless). Non-administrators never hold one."""
        if user.role == ADMINISTRATOR and self.ctx.seal_key is not None:
            audit_seals.give_copy(s, user.id, self.ctx.seal_key, password, self.now())
        else:
            audit_seals.take_copy(s, user.id)

    @staticmethod
    def _get(s: Session, user_id: int) -> User:
        user = existing(s, User, user_id, "user account")
        return user


def _clean_display_name(text: str) -> str:
    clean = " ".join(text.split())
    if not clean or len(clean) > 120:
        raise ValidationError("Enter a name of 1 to 120 characters.", field="display_name")
    return clean


def _attempted(clean: str) -> Actor:
    """Who tried, for the audit trail, when the name has no active account."""
    return Actor(None, clean[:64] or "(blank)", clean[:64], NO_ROLE, workstation_name())


@dataclass
class _Failures:
    """Failed sign-ins counted in memory while the store is read-only (damaged)."""

    failed_attempts: int = 0
    locked_until: dt.datetime | None = None


def _nothing(*_args: object, **_kwargs: object) -> None:
    """Where an audit entry would go when the store may not be written."""


def _unknown_name_record(s: Session, clean: str) -> SignInFailure:
    """The failure count of a name without an active account (created at its first try)."""
    record = s.get(SignInFailure, clean[:64])
    if record is None:
        record = SignInFailure(name=clean[:64], failed_attempts=0, locked_until=None)
        s.add(record)
    return record


def _failed_message(delay: int) -> str:
    if not delay:
        return WRONG_CREDENTIALS
    return f"{WRONG_CREDENTIALS} The next try with this user name must wait {_duration(delay)}."


def _locked_message(wait: int) -> str:
    return (
        f"Too many wrong tries with this user name. Try again in {_duration(wait)}, or ask "
        "an administrator."
    )


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{round(seconds / 60)} minutes"
