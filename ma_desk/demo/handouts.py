"""Demo clinic: the shipped handout library, and handouts given on some of today's visits."""

from __future__ import annotations

import random

from sqlalchemy import select

from ma_desk.db.models import Patient, Visit
from ma_desk.services import Services
from ma_desk.services.handouts import language_code


def seed_demo_handouts(services: Services, rng: random.Random) -> None:
    """Demo clinic: the shipped library, and a handout given on a few of today's visits."""
    added = services.handouts.install_shipped()
    if not added:
        return
    rows = services.handouts.list()
    by_slug = {(h.slug, h.language): h.id for h in rows}
    today = services.ctx.clock.now().date()
    with services.ctx.db.read() as s:
        visits = s.execute(
            select(Visit.id, Visit.chief_complaint, Patient.preferred_language)
            .join(Patient, Patient.id == Visit.patient_id)
            .where(Visit.visit_date == today, Visit.checked_out_at.is_not(None))
            .order_by(Visit.id)
        ).all()
    topics = {"Blood pressure follow-up": "blood-pressure-at-home", "Fever": "fever-in-children",
              "Vaccines": "after-vaccination", "Lab results": "blood-draw-preparation",
              "Mole removal": "wound-care", "Skin tag removal": "wound-care"}  # fmt: skip
    for visit_id, complaint, preferred in visits:
        slug = topics.get(complaint)
        handout_id = by_slug.get((slug, language_code(preferred))) if slug else None
        if handout_id is not None and rng.random() < 0.8:
            services.handouts.record_given(visit_id, [handout_id])
