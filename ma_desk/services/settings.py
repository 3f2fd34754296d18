"""Reading and changing the clinic's settings (administrators only; audited old -> new)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ma_desk.audit import changes
from ma_desk.clinic_settings import ClinicSettings, settings_problem
from ma_desk.db.models import Setting
from ma_desk.errors import ValidationError
from ma_desk.services.base import Service
from ma_desk.services.policy import REFERENCE, WRITE, policy, public
from ma_desk.services.versions import check_version


class SettingsService(Service):
    @policy("settings.read", audit=REFERENCE)
    def get(self) -> ClinicSettings:
        return self._stored()

    @public(audit=REFERENCE)
    def clinic_name(self) -> str:
        """The clinic's name, for the sign-in screen (before anyone has signed in)."""
        return self._stored().clinic_name

    @policy("settings.read", audit=REFERENCE)
    def versions(self) -> dict[str, int]:
        """Each stored setting's version, for a form to save against (``expected_versions``)."""
        with self._read() as session:
            return {
                key: version
                for key, version in session.execute(select(Setting.key, Setting.version))
            }

    @policy("settings.write", audit=WRITE)
    def update(
        self, *, expected_versions: dict[str, int] | None = None, **values: Any
    ) -> ClinicSettings:
        """Change some settings; the audit entry has each one's old and new value.

        ``expected_versions`` (from ``versions()`` when the form loaded): a setting
        being changed that someone saved since is refused (StaleVersionError).
        """
        unknown = set(values) - set(ClinicSettings().to_store())
        if unknown:
            raise ValidationError(f"Unknown settings: {', '.join(sorted(unknown))}.")
        return self._save(replace(self._stored(), **values), expected_versions or {})

    @policy("settings.write", audit=WRITE)
    def seed(self, settings: ClinicSettings) -> None:
        """Write every setting (first run, demo); audited with old and new values."""
        self._save(settings)

    def _stored(self) -> ClinicSettings:
        with self._read() as session:
            rows = session.execute(select(Setting.key, Setting.value)).all()
        settings = ClinicSettings.from_store({k: v for k, v in rows})
        self.ctx.follow_clinic_zone(settings.time_zone)
        return settings

    def _save(self, new: ClinicSettings, expected: dict[str, int] | None = None) -> ClinicSettings:
        with self._write() as session:
            self._write_settings(session, new, expected or {})
        self.ctx.follow_clinic_zone(new.time_zone)
        return new

    def _write_settings(
        self, session: Session, new: ClinicSettings, expected: dict[str, int]
    ) -> None:
        """Check and write ``new`` inside the caller's transaction (also the clinic
        settings dialog's one transaction); audited old -> new."""
        problem = settings_problem(new)
        if problem:
            field, message = problem
            raise ValidationError(message, field=field)
        rows = {row.key: row for row in session.scalars(
            select(Setting).with_for_update().execution_options(populate_existing=True)
        )}  # fmt: skip
        stored = {key: row.value for key, row in rows.items()}
        before = ClinicSettings.from_store(stored).to_store()
        after = new.to_store()
        diff = changes(before, after)
        for key in sorted(set(diff) | (set(after) - set(stored))):
            row = rows.get(key)
            if row is None:
                session.add(Setting(key=key, value=after[key]))
                continue
            check_version(row, expected.get(key), what=f"setting ({key})",
                          now=self.now(), current=lambda: ClinicSettings.from_store(stored))  # fmt: skip
            row.value = after[key]
        if diff:
            self._audit(session, "settings_change", "settings", details=diff)
