"""Cancel in the import wizard: a real import of a few thousand rows runs off the UI thread,
Cancel (pressed by keyboard) stops it after the current batch, only whole batches land, the
wizard says how far it got, and Import again finishes it without duplicates.

The worker is held at the end of the first batch (by the wizard's own progress note) while
the key is pressed, so the press lands mid-way on any machine; the import, the cancel and
the resume are the real ones.
"""

from __future__ import annotations

import json
import threading

from PySide6.QtCore import Qt
from sqlalchemy import func, select

from ma_desk.db.models import AuditEvent, Patient
from ma_desk.services.interchange import BATCH_ROWS
from ma_desk.ui.interchange.wizard import ProgressNote
from tests.test_import_csv import _many
from tests.test_import_wizard import DEADLINE_MS, open_dialog, press, type_path

ROWS = 3 * BATCH_ROWS + 500


def stored_ids(services) -> list[str]:
    with services.ctx.db.read() as s:
        return list(s.scalars(select(Patient.external_id).where(
            Patient.external_source == "oldpm")))  # fmt: skip


def import_batches(services) -> list[dict]:
    with services.ctx.db.read() as s:
        return [json.loads(d) for d in s.scalars(select(AuditEvent.details).where(
            AuditEvent.action == "import").order_by(AuditEvent.id))]  # fmt: skip


class HeldAtFirstBatch(ProgressNote):
    """The wizard's progress note, holding the worker after the first batch until let go."""

    def __init__(self) -> None:
        super().__init__()
        self.reached, self.go_on = threading.Event(), threading.Event()

    def __call__(self, done: int, total: int) -> None:
        super().__call__(done, total)
        if done == BATCH_ROWS:
            self.reached.set()
            self.go_on.wait(DEADLINE_MS / 1000)


def dry_run_of_many(qtbot, services, tmp_path):
    export = tmp_path / "many.csv"
    export.write_bytes(_many(ROWS))
    dialog = open_dialog(qtbot, services)
    type_path(qtbot, dialog, export)
    qtbot.keyClick(dialog.path, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.mapping_model.rowCount() == 4, timeout=DEADLINE_MS)
    press(qtbot, dialog.dry_run_button)
    qtbot.waitUntil(dialog.import_button.isEnabled, timeout=DEADLINE_MS)
    assert dialog.summary.text().startswith(f"Dry run: {ROWS} rows would be: {ROWS} created.")
    return dialog


def test_cancel_by_keyboard_lands_whole_batches_and_import_again_finishes(qtbot, services,
                                                                         tmp_path):  # fmt: skip
    dialog = dry_run_of_many(qtbot, services, tmp_path)
    held = dialog._progress_note = HeldAtFirstBatch()
    press(qtbot, dialog.import_button)
    qtbot.waitUntil(held.reached.is_set, timeout=DEADLINE_MS)
    qtbot.waitUntil(lambda: dialog.progress.value() == BATCH_ROWS, timeout=DEADLINE_MS)
    assert dialog.cancel_button.isEnabled() and not dialog.import_button.isEnabled()
    dialog.cancel_button.setFocus()
    qtbot.keyClick(dialog.cancel_button, Qt.Key.Key_Space)
    held.go_on.set()
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("Stopped"), timeout=DEADLINE_MS)

    assert dialog.summary.text().startswith(f"Stopped after {BATCH_ROWS:,} of {ROWS:,} rows; "
                                            "what was imported stays.")  # fmt: skip
    assert "Press Import to finish" in dialog.summary.text()
    assert len(stored_ids(services)) == BATCH_ROWS  # the first batch, whole; nothing after it
    assert [b["rows"] for b in import_batches(services)] == [BATCH_ROWS]
    assert dialog.import_button.isEnabled() and not dialog.cancel_button.isEnabled()

    dialog._progress_note = ProgressNote()
    press(qtbot, dialog.import_button)
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("Imported:"), timeout=DEADLINE_MS)
    assert dialog.summary.text() == (f"Imported: {ROWS} rows: {ROWS - BATCH_ROWS} created, "
                                     f"{BATCH_ROWS} unchanged (imported before).")  # fmt: skip
    ids = stored_ids(services)
    assert len(ids) == len(set(ids)) == ROWS  # no duplicates
    assert dialog.progress.value() == dialog.progress.maximum() == ROWS
    batches = import_batches(services)
    assert [b["rows"] for b in batches] == [BATCH_ROWS, BATCH_ROWS, BATCH_ROWS, BATCH_ROWS, 500]
    assert sum(len(b["created"]) for b in batches) == ROWS
    assert not dialog.import_button.isEnabled()


def test_closing_during_an_import_stops_it_after_the_batch_then_closes(qtbot, services,
                                                                      tmp_path):  # fmt: skip
    dialog = dry_run_of_many(qtbot, services, tmp_path)
    held = dialog._progress_note = HeldAtFirstBatch()
    press(qtbot, dialog.import_button)
    qtbot.waitUntil(held.reached.is_set, timeout=DEADLINE_MS)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible()
    assert dialog.summary.text() == "Stopping after the current batch; the window closes then."
    held.go_on.set()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=DEADLINE_MS)
    assert len(stored_ids(services)) == BATCH_ROWS
    with services.ctx.db.read() as s:
        assert s.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "import")) == 1  # fmt: skip
