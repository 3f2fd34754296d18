"""Backups of the clinic store file, asked for by staff or made daily by the app.

The copy itself is ma_desk/backup.py (a consistent, encrypted, checksummed
file written atomically); these methods give the screens one permission-
checked call each, so no widget needs the store. Each backup leaves a
"backup" entry in the audit trail once the file is complete.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from ma_desk.actor import Actor
from ma_desk.services.base import Service
from ma_desk.services.policy import WRITE, policy

if TYPE_CHECKING:
    from ma_desk.backup import BackupResult


class BackupService(Service):
    @policy("backup.run", audit=WRITE)
    def back_up_to(self, target: Path) -> BackupResult:
        """``Back up now…``: one copy to ``target``, recorded as the signed-in user.

        Raises BackupError (nothing written) for an existing file, a missing folder,
        a clinic server (backed up with ``ma-desk backup --database-url``) or a failed copy.
        """
        from ma_desk.backup import backup_store  # the backup code loads when first used

        return backup_store(self.ctx.db, Path(target), actor=self.actor)

    @policy(audit=WRITE)
    def daily_backup(self, data_dir: Path, *, keep: int, now: dt.datetime) -> BackupResult | None:
        """Today's backup in ``data_dir``'s ``backups/`` unless one exists; keeps ``keep``.

        Any signed-in user's app makes it: it is the clinic's housekeeping, recorded as
        the system, not an action of whoever happens to be signed in. None when one was
        already made today.
        """
        from ma_desk.backup import run_scheduled_backup

        return run_scheduled_backup(self.ctx.db, Path(data_dir), keep=keep, now=now,
                                    actor=Actor.system())  # fmt: skip
