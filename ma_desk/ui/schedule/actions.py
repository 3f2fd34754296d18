"""What the desk does from the Schedule tab: book, move, cancel, move patients along, export.

A mixin of ScheduleTab so the tab module keeps to layout, navigation and
selection. Every write is one service call; warnings are confirmed through
``dialogs`` and modal questions go through ``prompts`` (both replaceable in tests).
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from ma_desk.clinical import flow
from ma_desk.display_format import date_text, file_date, time_text, weekday_time_text
from ma_desk.errors import MADeskError, NeedsConfirmation
from ma_desk.services.schedule import AppointmentRow, parse_follow_up
from ma_desk.ui.common import replace_file
from ma_desk.ui.common.dialogs import dialogs
from ma_desk.ui.schedule.appointment_dialog import AppointmentDialog
from ma_desk.ui.schedule.loading import week_start
from ma_desk.ui.schedule.prompts import prompts


class ScheduleActions:
    """Expects the ScheduleTab attributes (services, selection, model, grid, side panels)."""

    # ------------------------------------------------------------- booking
    def open_at_cursor(self) -> None:
        """Enter: edit the booking under the cursor, or book the open slot."""
        a = self.current_appointment()
        if a is None:
            self.book_at_cursor()
        elif a.status in flow.OPEN_STATUSES:
            self.open_dialog(appointment=a)
        else:
            self.side.setCurrentWidget(self.details)
            self.say(f"{a.patient_name} is {a.status_label.lower()}; the visit can no longer be "
                     "edited. Use the flow keys (or Ctrl+Z to undo the last step).")  # fmt: skip

    def book_at_cursor(self) -> None:
        slot = self._cursor_slot()
        if slot is None:
            return
        if self.book_lock.reason:  # Enter on an open slot by a role that may not book
            self.say(self.book_lock.reason)
            return
        self.open_dialog(start=slot[0], provider_id=slot[1], type_id=self.pending_type_id)

    def open_dialog(self, *, appointment: AppointmentRow | None = None,
                    start: dt.datetime | None = None, provider_id: int | None = None,
                    type_id: int | None = None, patient_id: int | None = None,
                    waitlist_entry_id: int | None = None) -> AppointmentDialog:  # fmt: skip
        self.dialog = AppointmentDialog(
            self.services, start=start or (appointment.start if appointment else self._now()),
            provider_id=provider_id or (appointment.provider_id if appointment else 0),
            appointment=appointment, type_id=type_id, patient_id=patient_id,
            waitlist_entry_id=waitlist_entry_id, parent=self,
        )  # fmt: skip
        self.dialog.accepted.connect(self._dialog_saved)
        self.dialog.open()
        return self.dialog

    def _dialog_saved(self) -> None:
        dialog = self.dialog
        if dialog is None or not dialog.saved:
            return
        first = dialog.saved[0]
        self.current_id = first.id
        self.pending_type_id = None
        if first.start.date() != self.day and self.week_provider_id is None:
            self.day = first.start.date()
            self.set_day(self.day)
        verb = "Saved" if dialog.appointment else "Booked"
        extra = f" ({len(dialog.saved)} visits)" if len(dialog.saved) > 1 else ""
        self.say(f"{verb}: {weekday_time_text(first.start)} {first.patient_name}{extra}.")
        self.selection.notify_changed("schedule")
        self.selection.select_appointment(first.id, first.patient_id)
        self.grid.setFocus(Qt.FocusReason.OtherFocusReason)

    def move_appointment(self, appointment_id: int, start: dt.datetime, provider_id: int) -> bool:
        """A block dropped on a slot: reschedule it, confirming warnings."""
        if self.book_lock.reason:  # a role that may not reschedule: say why, move nothing
            self.say(self.book_lock.reason)
            return False
        a = self._fetch(appointment_id)
        if a is None:
            return False
        if a.start == start and a.provider_id == provider_id:
            return False
        confirm = False
        while True:
            try:
                self.services.schedule.update(
                    appointment_id, start=start, provider_id=provider_id, confirm=confirm
                )
            except NeedsConfirmation as warn:
                text = "\n".join(f"• {w}" for w in warn.warnings)
                if not dialogs.confirm(self, "Move appointment", f"{warn.message}\n\n{text}"):
                    self.say("Move cancelled.")
                    return False
                confirm = True
                continue
            except MADeskError as err:
                dialogs.warn(self, "Move appointment", str(err))
                return False
            break
        self.current_id = appointment_id
        self.say(f"Moved {a.patient_name} to {weekday_time_text(start)}.")
        self.selection.notify_changed("schedule")
        return True

    def cancel_current(self) -> None:
        a = self.current_appointment()
        if a is None:
            return
        if a.status not in flow.OPEN_STATUSES:
            dialogs.warn(self, "Cancel appointment", flow.transition_refusal(
                a.status, flow.CANCELLED) or "This visit cannot be cancelled.")  # fmt: skip
            return
        reason = dialogs.ask_text(
            self, "Cancel appointment",
            f"Cancel {weekday_time_text(a.start)} {a.patient_name}?\nReason for cancelling:",
        )  # fmt: skip
        if reason is None:
            return
        scope = "one"
        if a.series_id is not None and dialogs.confirm(
            self, "Recurring visit", "Also cancel the later visits of this series?"
        ):
            scope = "following"
        try:
            result = self.services.schedule.cancel(
                a.id, reason, scope=scope, expected_version=a.version
            )
        except MADeskError as err:
            dialogs.warn(self, "Cancel appointment", str(err))
            return
        n = len(result.cancelled)
        self.say(f"Cancelled {n} visit{'s' if n > 1 else ''} for {a.patient_name}.")
        self._offer_slot((a.provider_id, a.start, a.minutes), result.offers)
        self.selection.notify_changed("schedule")

    def _offer_slot(self, slot, offers) -> None:
        self.waitlist.show_offers(slot, offers)
        if offers:
            self.side.setCurrentWidget(self.waitlist)
            self.say(self.status.text() + f" {len(offers)} waitlist patient(s) fit the freed slot.")

    def book_from_waitlist(self, entry) -> None:
        """Book a waitlist patient into the freed slot (or the slot under the cursor)."""
        slot = self.waitlist.offer_slot
        start, provider_id = (slot[1], slot[0]) if slot else (self._cursor_slot() or (None, None))
        if start is None:
            return
        self.open_dialog(start=start, provider_id=entry.provider_id or provider_id,
                         type_id=entry.type_id, patient_id=entry.patient_id,
                         waitlist_entry_id=entry.id)  # fmt: skip

    def book_follow_up(self) -> None:
        a = self.current_appointment()
        if a is None:
            return
        text = dialogs.ask_text(
            self, "Book follow-up",
            f"Follow-up for {a.patient_name} in how long? (e.g. 2w, 10d, 3 weeks)", "2w",
        )  # fmt: skip
        if text is None:
            return
        try:
            days, weeks = parse_follow_up(text)
        except MADeskError as err:
            dialogs.warn(self, "Book follow-up", str(err))
            return
        confirm = False
        while True:
            try:
                row = self.services.schedule.book_follow_up(a.id, days=days, weeks=weeks,
                                                            confirm=confirm)  # fmt: skip
            except NeedsConfirmation as warn:
                text = "\n".join(f"• {w}" for w in warn.warnings)
                if not dialogs.confirm(self, "Book follow-up", f"{warn.message}\n\n{text}"):
                    return
                confirm = True
                continue
            except MADeskError as err:
                dialogs.warn(self, "Book follow-up", str(err))
                return
            break
        self.say(f"Follow-up booked: {weekday_time_text(row.start)} with {row.provider_name}.")
        self.selection.notify_changed("schedule")

    def add_to_waitlist(self) -> None:
        a = self.current_appointment()
        self.side.setCurrentWidget(self.waitlist)
        self.waitlist.open_add_dialog(a.patient_id if a else None)

    def find_next_open(self) -> None:
        slot = self._cursor_slot()
        if slot is None:
            return
        types = self.services.schedule.appointment_types()
        names = [f"{t.name} ({t.default_minutes} min)" for t in types]
        chosen = prompts.choose(self, "Next open slot", "Visit type:", names)
        if chosen is None:
            return
        appt_type = types[chosen]
        provider = next(p for p in self.services.schedule.providers() if p.id == slot[1])
        try:
            found = self.services.schedule.next_open_slot(
                provider.id, appt_type.default_minutes, after=slot[0]
            )
        except MADeskError as err:
            dialogs.warn(self, "Next open slot", str(err))
            return
        if found is None:
            self.say(f"No open {appt_type.default_minutes}-minute slot for "
                     f"{provider.display_name} in the next 60 days.")  # fmt: skip
            return
        self.pending_type_id = appt_type.id
        shown_first = week_start(self.day) if self.week_provider_id else self.day
        wanted_first = week_start(found.date()) if self.week_provider_id else found.date()
        if shown_first != wanted_first:
            self.set_day(found.date())
        column = self.model.column_of(found.date(), provider.id)
        if column is not None:
            self.current_id = None
            self.grid.select_cell(self.model.row_of(found.time()), column)
        self.grid.setFocus(Qt.FocusReason.OtherFocusReason)
        self.say(f"Next open {appt_type.name} slot for {provider.display_name}: "
                 f"{weekday_time_text(found)}. Press Enter to book it.")  # fmt: skip

    # ------------------------------------------------------------- flow
    def move_patient(self, target: str) -> None:
        a = self.current_appointment()
        if a is None:
            self.say("Choose an appointment first.")
            return
        room_id = None
        if target == flow.ROOMED and flow.can_transition(a.status, target):
            rooms = [r for r in self.services.rooms.board() if r.state == "ready"]
            if not rooms:
                dialogs.warn(self, "Room patient", "No room is ready. Turn a room over first.")
                return
            chosen = prompts.choose(self, "Room patient", f"Room for {a.patient_name}:",
                                    [r.name for r in rooms])  # fmt: skip
            if chosen is None:
                return
            room_id = rooms[chosen].id
        reason = ""
        if target == flow.NO_SHOW and not dialogs.confirm(
            self, "No-show", f"Mark {a.patient_name} ({time_text(a.start)}) as a no-show?"
        ):
            return
        try:
            row = self.services.schedule.transition(
                a.id, target, room_id=room_id, reason=reason, expected_version=a.version
            )
        except MADeskError as err:
            dialogs.warn(self, flow.LABELS.get(target, target), str(err))
            return
        late = " (late)" if target == flow.ARRIVED and row.is_late else ""
        self.say(f"{row.patient_name}: {flow.LABELS[target]}{late}"
                 + (f" in {row.room_name}" if row.room_name and target == flow.ROOMED else "")
                 + ". Ctrl+Z undoes.")  # fmt: skip
        if target == flow.NO_SHOW:
            now = self._now()
            if row.end > now:
                start = max(row.start, now)
                free = int((row.end - start).total_seconds() // 60)
                offers = self.services.waitlist.matches(row.provider_id, start, free)
                self._offer_slot((row.provider_id, start, free), offers)
        self.selection.notify_changed("schedule")

    def undo(self) -> None:
        a = self.current_appointment()
        if a is None:
            return
        try:
            row = self.services.schedule.undo_last_transition(a.id)
        except MADeskError as err:
            dialogs.warn(self, "Undo", str(err))
            return
        self.say(f"Undone: {row.patient_name} is {row.status_label.lower()} again.")
        self.selection.notify_changed("schedule")

    # ------------------------------------------------------------- export
    def export_calendar(self) -> None:
        provider_id = self.week_provider_id or self._cursor_provider()
        if provider_id is None:
            return
        provider = next(p for p in self.services.schedule.providers() if p.id == provider_id)
        if self.week_provider_id is not None:
            first, days = week_start(self.day), 7
            rows = self.services.schedule.week(provider_id, first)
            label, suggested = f"week of {date_text(first)}", f"{file_date(first)}-week"
        else:
            first, days = self.day, 1
            rows = self.services.schedule.day(self.day, [provider_id])
            label, suggested = date_text(self.day), file_date(self.day)
        include_names = dialogs.confirm(
            self, "Export calendar",
            f"Export {provider.display_name}'s {label} ({sum(r.is_active for r in rows)} visits)."
            "\n\nInclude patient names and visit reasons? Choose No unless the file stays on "
            "a protected device: with names it contains patient information.",
        )  # fmt: skip
        slug = "".join(c for c in provider.display_name if c.isalnum())
        path = prompts.save_path(self, "Export calendar", f"{slug}-{suggested}.ics",
                                 "iCalendar (*.ics)")  # fmt: skip
        target = replace_file.save_target(self, path)
        if target is None:
            return
        chosen, replace = target
        try:
            self.services.schedule.export_calendar(provider_id, first, days, chosen,
                                                   include_names=include_names,
                                                   replace=replace)  # fmt: skip
        except MADeskError as err:
            dialogs.warn(self, "Export calendar", str(err))
            return
        names = "with" if include_names else "without"
        self.say(f"Exported {provider.display_name}'s {label} {names} patient names.")
