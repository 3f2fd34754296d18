"""The clinic's handout library: shipped handouts, administrator edits, printing for a visit.

Handouts are stored in the clinic store (table ``handouts``), one row per topic
and language; ``install_shipped`` copies the ones in resources/handouts/ that
the clinic does not have yet. Printing a handout for a visit records a
``HandoutGiven`` row and an audited ``print`` in one transaction.
"""

from __future__ import annotations

import builtins
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from ma_desk.audit import changes
from ma_desk.db.models import Handout, HandoutGiven, Patient, Visit
from ma_desk.errors import ConflictError, ValidationError
from ma_desk.paths import resource
from ma_desk.reports.data import HandoutDoc
from ma_desk.services.base import Service
from ma_desk.services.policy import PRINT, READ, REFERENCE, WRITE, policy
from ma_desk.services.rows import existing

LANGUAGES = {"en": "English", "es": "Spanish"}
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_BODY = 20_000
MAX_TITLE = 200
SAMPLE_PATIENT = "Sample Patient"


@dataclass(frozen=True)
class HandoutRow:
    id: int
    slug: str
    language: str
    title: str
    body: str
    active: bool
    updated_at: dt.datetime

    @property
    def language_label(self) -> str:
        return LANGUAGES.get(self.language, self.language)


@dataclass(frozen=True)
class ShippedHandout:
    slug: str
    language: str
    title: str
    body: str


def language_code(preferred_language: str) -> str:
    """'Spanish' / 'Español' / 'es' -> 'es'; anything else prints in English."""
    text = (preferred_language or "").strip().casefold()
    return "es" if text in ("es", "spanish", "español", "espanol", "castellano") else "en"


def shipped_handouts(folder: Path | None = None) -> list[ShippedHandout]:
    """The handouts in resources/handouts/ (``<slug>.<lang>.md``, first line ``# Title``)."""
    folder = folder or resource("handouts")
    found = []
    for path in sorted(folder.glob("*.*.md")):
        slug, language = path.name[: -len(".md")].rsplit(".", 1)
        text = path.read_text(encoding="utf-8")
        first, _, body = text.partition("\n")
        found.append(ShippedHandout(slug, language, first.lstrip("#").strip(), body.strip()))
    return found


def _row(h: Handout) -> HandoutRow:
    return HandoutRow(h.id, h.slug, h.language, h.title, h.body, h.active, h.updated_at)


def validate_handout(slug: str, language: str, title: str, body: str) -> dict[str, str]:
    """Field -> message for everything wrong with a handout as typed."""
    from ma_desk.reports.handout_markup import parse

    errors: dict[str, str] = {}
    if not SLUG_RE.match(slug) or len(slug) > 60:
        errors["slug"] = ("The short name uses lowercase letters, digits and hyphens "
                          "(for example: wound-care), up to 60 characters.")  # fmt: skip
    if language not in LANGUAGES:
        errors["language"] = "Choose English or Spanish."
    if not title.strip():
        errors["title"] = "Give the handout a title."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"The title is limited to {MAX_TITLE} characters."
    if not body.strip():
        errors["body"] = "Write the handout's text."
    elif len(body) > MAX_BODY:
        errors["body"] = f"The text is limited to {MAX_BODY:,} characters."
    elif not parse(body):
        errors["body"] = "The text has nothing printable in it."
    return errors


class HandoutService(Service):
    # ------------------------------------------------------------- reading
    @policy("reports.print", audit=REFERENCE)
    def list(
        self, *, language: str | None = None, include_inactive: bool = False
    ) -> list[HandoutRow]:
        with self._read() as s:
            stmt = select(Handout).order_by(Handout.title, Handout.language)
            if language:
                stmt = stmt.where(Handout.language == language)
            if not include_inactive:
                stmt = stmt.where(Handout.active.is_(True))
            return [_row(h) for h in s.scalars(stmt)]

    @policy("reports.print", audit=REFERENCE)
    def get(self, handout_id: int) -> HandoutRow:
        with self._read() as s:
            h = existing(s, Handout, handout_id, "handout")
            return _row(h)

    @policy("reports.print", audit=READ)
    def given_on_visit(self, visit_id: int) -> builtins.list[tuple[dt.datetime, str]]:
        with self._read() as s:
            given = [(when, title) for when, title in s.execute(
                select(HandoutGiven.given_at, Handout.title)
                .join(Handout, Handout.id == HandoutGiven.handout_id)
                .where(HandoutGiven.visit_id == visit_id)
                .order_by(HandoutGiven.given_at, HandoutGiven.id)).all()]  # fmt: skip
            patient_id = s.scalar(select(Visit.patient_id).where(Visit.id == visit_id))
        self._record_read("view", "handouts_given", visit_id, patient_id=patient_id,
                          view=visit_id)  # fmt: skip
        return given

    # ------------------------------------------------------------- administering
    @policy("handouts.admin", audit=WRITE)
    def save(
        self,
        handout_id: int | None,
        *,
        slug: str,
        language: str,
        title: str,
        body: str,
        active: bool = True,
    ) -> HandoutRow:
        """Add (``handout_id`` None) or change a handout; validated and audited."""
        slug, title = slug.strip().lower(), " ".join(title.split())
        body = body.replace("\r\n", "\n").strip()
        errors = validate_handout(slug, language, title, body)
        if errors:
            raise ValidationError(next(iter(errors.values())), field=next(iter(errors)),
                                  errors=errors)  # fmt: skip
        with self._write() as s:
            clash = s.scalar(select(Handout).where(Handout.slug == slug,
                                                   Handout.language == language))  # fmt: skip
            if clash is not None and clash.id != handout_id:
                raise ValidationError(
                    f"There is already a {LANGUAGES[language]} handout called '{slug}'. "
                    "Edit that one or choose another short name.", field="slug")  # fmt: skip
            now = self.now()
            if handout_id is None:
                h = Handout(slug=slug, language=language, title=title, body=body, active=active,
                            updated_at=now)  # fmt: skip
                s.add(h)
                s.flush()
                self._audit(s, "create", "handout", h.id, details={"slug": slug,
                            "language": language, "title": title})  # fmt: skip
                return _row(h)
            found = existing(s, Handout, handout_id, "handout")
            h = found
            old: dict[str, object] = {"slug": h.slug, "language": h.language, "title": h.title, "body": h.body,
                   "active": h.active}  # fmt: skip
            new = {"slug": slug, "language": language, "title": title, "body": body,
                   "active": active}  # fmt: skip
            diff = changes(old, new)
            if not diff:
                return _row(h)
            h.slug, h.language, h.title, h.body, h.active = slug, language, title, body, active
            h.updated_at = now
            if "body" in diff:  # the audit keeps that the text changed, not the whole text
                diff["body"] = {"old_length": len(str(old["body"])), "new_length": len(body)}
            self._audit(s, "update", "handout", h.id, details=diff)
            return _row(h)

    @policy("handouts.admin", audit=WRITE)
    def install_shipped(self) -> int:
        """Add the shipped handouts the clinic does not have yet; returns how many were added."""
        shipped = shipped_handouts()
        with self._write() as s:
            have = set(s.execute(select(Handout.slug, Handout.language)).all())
            now = self.now()
            added = [h for h in shipped if (h.slug, h.language) not in have]
            for h in added:
                s.add(Handout(slug=h.slug, language=h.language, title=h.title, body=h.body,
                              active=True, updated_at=now))  # fmt: skip
            if added:
                self._audit(s, "create", "handout", "shipped",
                            details={"added": [f"{h.slug}.{h.language}" for h in added]})  # fmt: skip
            return len(added)

    # ------------------------------------------------------------- printing
    @policy("reports.print", audit=READ)
    def documents_for_visit(
        self, visit_id: int, handout_ids: Sequence[int]
    ) -> builtins.list[HandoutDoc]:
        from ma_desk.services.reports import clinic_header
        from ma_desk.services.settings import SettingsService

        if not handout_ids:
            raise ValidationError("Choose at least one handout.", field="handout")
        header = clinic_header(SettingsService(self.ctx).get())
        with self._read() as s:
            visit = existing(s, Visit, visit_id, "visit")
            patient = s.get(Patient, visit.patient_id)
            assert patient is not None  # a visit's patient is never deleted
            name = " ".join(x for x in (patient.first_name, patient.last_name) if x)
            docs = []
            for handout_id in handout_ids:
                h = existing(s, Handout, handout_id, "handout")
                if not h.active:
                    raise ConflictError(f"'{h.title}' has been retired from the library.")
                docs.append(HandoutDoc(header, h.title, h.body, h.language, name,
                                       self.now().date(), patient.dob, patient.mrn))  # fmt: skip
            patient_id = patient.id
        self._record_read("view", "handouts_for_visit", visit_id, patient_id=patient_id,
                          details={"handouts": list(handout_ids)},
                          view=(visit_id, tuple(handout_ids)))  # fmt: skip
        return docs

    @policy("reports.print", audit=READ)
    def pdf_for_visit(self, visit_id: int, handout_ids: Sequence[int]) -> bytes:
        """The personalised handouts as one PDF (nothing recorded until ``record_given``)."""
        from ma_desk.reports.handout import build_handouts

        return build_handouts(self.documents_for_visit(visit_id, handout_ids))

    @policy("reports.print", audit=PRINT)
    def record_given(self, visit_id: int, handout_ids: Sequence[int]) -> None:
        """The handouts were printed or saved for the patient: record and audit it."""
        with self._write() as s:
            visit = existing(s, Visit, visit_id, "visit")
            now = self.now()
            for handout_id in dict.fromkeys(handout_ids):
                existing(s, Handout, handout_id, "handout")
                given = HandoutGiven(visit_id=visit_id, handout_id=handout_id, given_at=now,
                                     user_id=self.actor.user_id)  # fmt: skip
                s.add(given)
                s.flush()
                self._audit(s, "print", "handout", handout_id, patient_id=visit.patient_id,
                            details={"visit_id": visit_id, "handout_given_id": given.id})  # fmt: skip

    @policy("handouts.admin", audit=REFERENCE)
    def preview(self, *, title: str, body: str, language: str) -> bytes:
        """An unsaved edit printed for a sample patient (the admin dialog's Preview)."""
        from ma_desk.reports.handout import build_handouts
        from ma_desk.services.reports import clinic_header
        from ma_desk.services.settings import SettingsService

        header = clinic_header(SettingsService(self.ctx).get())
        doc = HandoutDoc(header, title or "Untitled handout", body, language, SAMPLE_PATIENT,
                         self.now().date())  # fmt: skip
        return build_handouts([doc])
