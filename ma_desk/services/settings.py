"""Reading and changing the clinic's settings (audited)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select

from ma_desk.audit import changes
from ma_desk.clinic_settings import ClinicSettings
from ma_desk.db.models import Setting
from ma_desk.services.base import Service


class SettingsService(Service):
    def get(self) -> ClinicSettings:
        with self.ctx.db.read() as session:
            rows = session.execute(select(Setting.key, Setting.value)).all()
        return ClinicSettings.from_store({k: v for k, v in rows})

    def update(self, **values: Any) -> ClinicSettings:
        current = self.get()
        new = replace(current, **values)
        before, after = current.to_store(), new.to_store()
        diff = changes(before, after)
        if not diff:
            return current
        with self._write("settings.write") as session:
            for key in diff:
                row = session.get(Setting, key)
                if row is None:
                    session.add(Setting(key=key, value=after[key]))
                else:
                    row.value = after[key]
            self._audit(session, "settings_change", "settings", details=diff)
        return new

    def seed(self, settings: ClinicSettings) -> None:
        """Write every setting (first run, demo); audited as one change."""
        with self.ctx.db.write() as session:
            for key, value in settings.to_store().items():
                session.merge(Setting(key=key, value=value))
            self._audit(session, "settings_change", "settings", details={"seeded": True})
