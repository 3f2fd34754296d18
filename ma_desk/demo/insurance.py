"""Synthetic insurance desk data for the demo clinic: secondary coverages, notes,
prior authorisations and plainly fake card images (drawn as PNGs in pure Python).

Uses its own random generator so that adding it does not shift other seeders' data.
"""

from __future__ import annotations

import datetime as dt
import random
import struct
import zlib

from sqlalchemy import insert, select

from ma_desk import audit
from ma_desk.db.models import InsuranceCoverage, InsuranceNote, PriorAuthorization
from ma_desk.services import Services

SECONDARY_PAYERS = [
    ("Demo Dental Mutual", "Dental PPO"),
    ("Demo Medicare Supplement", "Plan G"),
    ("Demo State Medicaid", "Secondary"),
]
NOTES = [
    "Called {payer}: deductible $1,500, ${met} met this year. Rep gave ref DEMO-{ref}.",
    "Portal shows coverage active; specialist copay differs from card, confirmed $40.",
    "Patient says new card coming in January; ask for it at next check-in.",
    "{payer} needs updated coordination-of-benefits form from the patient.",
    "Left voicemail with {payer} provider line about the denied claim; call back expected.",
]
AUTH_SERVICES = [
    ("Physical therapy", 12),
    ("MRI lumbar spine", 1),
    ("Allergy injections", 24),
    ("Sleep study", 1),
    ("CT abdomen", 1),
]
CARD_W, CARD_H = 340, 214
PALETTES = [(31, 111, 181), (40, 140, 90), (142, 68, 173), (200, 90, 40)]


def card_png(colour: tuple[int, int, int], back: bool, lines: int = 5) -> bytes:
    """A plainly fake card: a coloured band and grey bars where text would be."""
    white, grey, dark = b"\xff\xff\xff", b"\xc8\xcc\xd2", b"\x55\x5d\x66"
    band = bytes(colour)
    rows = []
    for y in range(CARD_H):
        if (not back and y < 46) or (back and y > CARD_H - 30):
            row = band * CARD_W
        else:
            drawn = bytearray(white * CARD_W)
            slot = (y - (60 if not back else 20)) // 24
            if 0 <= slot < lines and (y - (60 if not back else 20)) % 24 < 10:
                width = 260 - slot * 30 if not back else 300
                colour_bar = dark if slot == 0 else grey
                drawn[20 * 3 : (20 + width) * 3] = colour_bar * width
            row = bytes(drawn)
        if y in (0, CARD_H - 1):
            row = dark * CARD_W
        rows.append(b"\x00" + dark + row[3:-3] + dark)

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", CARD_W, CARD_H, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"tEXt", b"Comment\x00SYNTHETIC DEMO CARD - NOT A REAL INSURANCE CARD")
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def seed_demo_insurance(services: Services, _shared_rng: random.Random | None = None) -> None:
    """Add the insurance desk's demo data to a freshly built demo clinic (one transaction)."""
    rng = random.Random(4242)
    now = services.ctx.clock.now()
    today = now.date()
    with services.ctx.db.write() as s:
        coverages = s.execute(
            select(InsuranceCoverage.id, InsuranceCoverage.patient_id, InsuranceCoverage.payer)
            .where(InsuranceCoverage.priority == 1)
            .order_by(InsuranceCoverage.id)
        ).all()
        if not coverages:
            return
        picked = rng.sample(coverages, min(len(coverages), 60))
        images = [card_png(p, back) for p in PALETTES for back in (False, True)]
        notes, auths, secondaries = [], [], []
        for number, (cid, pid, payer) in enumerate(picked):
            if number < 40:  # cards on file for most of the picked patients
                palette = number % len(PALETTES)
                row = s.get_one(InsuranceCoverage, cid)
                row.card_front, row.card_front_type = images[palette * 2], "image/png"
                row.card_back, row.card_back_type = images[palette * 2 + 1], "image/png"
            if number % 3 == 0:
                sec_payer, sec_plan = rng.choice(SECONDARY_PAYERS)
                secondaries.append({
                    "patient_id": pid, "priority": 2, "payer": sec_payer, "plan": sec_plan,
                    "member_id": f"DEMS{rng.randint(10**7, 10**8 - 1)}", "group_number": "",
                    "subscriber_relationship": "spouse", "subscriber_name": "Demo Spouse",
                    "subscriber_dob": dt.date(1970 + rng.randint(0, 30), rng.randint(1, 12), 1),
                    "effective_date": dt.date(today.year - 1, 1, 1), "copays_cents": {},
                    "default_copay_cents": 0, "deductible_note": "", "coinsurance_note": "",
                    "card_front_type": "", "card_back_type": "", "active": True,
                    "created_at": now, "updated_at": now,
                })  # fmt: skip
            for k in range(rng.randint(1, 2)):
                text = rng.choice(NOTES).format(
                    payer=payer, met=rng.randint(0, 1500), ref=rng.randint(1000, 9999)
                )
                notes.append({
                    "patient_id": pid, "coverage_id": cid if k == 0 else None,
                    "created_at": now - dt.timedelta(days=rng.randint(1, 120), hours=k),
                    "author_id": None, "text": text, "supersedes_id": None, "superseded": False,
                })  # fmt: skip
            if number % 4 == 0:
                service, units = rng.choice(AUTH_SERVICES)
                start = today - dt.timedelta(days=rng.randint(5, 80))
                end = start + dt.timedelta(days=rng.choice([20, 60, 90, 180]))
                used = rng.randint(0, units)
                auths.append({
                    "patient_id": pid, "coverage_id": cid, "service": service, "payer": payer,
                    "auth_number": f"DEMO-PA{rng.randint(100000, 999999)}",
                    "units_approved": units, "units_used": used, "start_date": start,
                    "end_date": end, "status": rng.choice(["approved"] * 4 + ["pending"]),
                    "created_at": now - dt.timedelta(days=rng.randint(1, 30)),
                })  # fmt: skip
        for table, rows in (
            (InsuranceCoverage, secondaries),
            (InsuranceNote, notes),
            (PriorAuthorization, auths),
        ):
            if rows:
                s.execute(insert(table), rows)
        audit.record(s, services.actor, "demo_insurance", "clinic", details={
            "cards": min(len(picked), 40), "secondary": len(secondaries),
            "notes": len(notes), "prior_auths": len(auths)})  # fmt: skip
