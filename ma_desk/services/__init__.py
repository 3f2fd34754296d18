"""The services the UI, CLI and reports call: one object per area, sharing one context."""

from __future__ import annotations

import datetime as dt

from ma_desk.actor import Actor
from ma_desk.clock import Clock
from ma_desk.db.engine import Database
from ma_desk.services.accounts import AccountService
from ma_desk.services.audit_log import AuditLogService
from ma_desk.services.backups import BackupService
from ma_desk.services.base import ServiceContext
from ma_desk.services.checkin import CheckinService
from ma_desk.services.checklists import ChecklistService
from ma_desk.services.clinic_setup import ClinicSetupService
from ma_desk.services.handouts import HandoutService
from ma_desk.services.insurance import InsuranceService
from ma_desk.services.interchange import InterchangeService
from ma_desk.services.patients import PatientService
from ma_desk.services.reports import ReportService
from ma_desk.services.rooms import RoomService
from ma_desk.services.schedule import ScheduleService
from ma_desk.services.settings import SettingsService
from ma_desk.services.store_state import StoreState
from ma_desk.services.vitals import VitalsService
from ma_desk.services.waitlist import WaitlistService


class Services:
    """Built once per open store; pass it to widgets through their constructors."""

    def __init__(self, db: Database, clock: Clock | None = None, actor: Actor | None = None):
        self.ctx = ServiceContext(db, clock, actor)
        self.settings = SettingsService(self.ctx)
        self.patients = PatientService(self.ctx)
        self.checkin = CheckinService(self.ctx)
        self.schedule = ScheduleService(self.ctx)
        self.rooms = RoomService(self.ctx)
        self.checklists = ChecklistService(self.ctx)
        self.insurance = InsuranceService(self.ctx)
        self.vitals = VitalsService(self.ctx)
        self.accounts = AccountService(self.ctx)
        self.audit_log = AuditLogService(self.ctx)
        self.waitlist = WaitlistService(self.ctx)
        self.reports = ReportService(self.ctx)
        self.handouts = HandoutService(self.ctx)
        self.clinic_setup = ClinicSetupService(self.ctx)
        self.interchange = InterchangeService(self.ctx)
        self.backups = BackupService(self.ctx)
        # Whether the store is read-only and why, and its change hooks: for the screens,
        # which never hold the store itself.
        self.store = StoreState(db)

    @property
    def actor(self) -> Actor:
        return self.ctx.actor

    def now(self) -> dt.datetime:
        """The clinic's "now": the clock every service uses (a fixed one in tests and demos),
        so a screen's "today" is the services' today."""
        return self.ctx.clock.now()

    def set_actor(self, actor: Actor) -> None:
        self.ctx.actor = actor
