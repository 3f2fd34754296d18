"""Room-prep checklists shipped with MA Desk, and the rules every checklist follows.

The shipped lists are a starting point an administrator edits to match the
clinic's own infection-control policy (products, contact times, supply par
levels). They follow common outpatient practice: clean between every patient,
disinfect high-touch surfaces and observe the product's wet contact time,
keep sharps containers below the fill line, and check eye-wash stations weekly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MOMENTS = ("opening", "between", "closing")
MOMENT_LABELS = {
    "opening": "Opening",
    "between": "Between patients",
    "closing": "Closing",
}
ROOM_TYPES = ("exam", "procedure")
ROOM_TYPE_LABELS = {"exam": "General exam room", "procedure": "Procedure room"}

MAX_ITEMS = 60
MAX_ITEM_TEXT = 200
MAX_HINT = 300
MAX_NAME = 80
MAX_INTERVAL_DAYS = 366


@dataclass(frozen=True)
class ShippedItem:
    text: str
    required: bool = True
    is_supply: bool = False
    hint: str = ""
    interval_days: int = 0


@dataclass(frozen=True)
class ShippedTemplate:
    name: str
    room_type: str
    moment: str
    items: tuple[ShippedItem, ...] = field(default_factory=tuple)


def moment_label(moment: str) -> str:
    return MOMENT_LABELS.get(moment, moment.replace("_", " ").capitalize())


def room_type_label(room_type: str) -> str:
    return ROOM_TYPE_LABELS.get(room_type, f"{room_type.replace('_', ' ').capitalize()} room")


def moment_for_state(state: str) -> str:
    """The checklist a room's state calls for: a used room needs a between-patient turnover."""
    return "between" if state == "needs_turnover" else "opening"


_I = ShippedItem
DISINFECT_HINT = (
    "Use the clinic's EPA-registered wipe; keep surfaces visibly wet for the label "
    "contact time (e.g. 2 min for purple-top, 1 min for grey-top)."
)

SHIPPED_TEMPLATES: tuple[ShippedTemplate, ...] = (
    ShippedTemplate("Exam room — opening", "exam", "opening", (
        _I("Room visibly clean; floor clear of spills and debris"),
        _I("Exam table, counters and chair disinfected — contact time observed", hint=DISINFECT_HINT),
        _I("Fresh table paper on exam table"),
        _I("Hand sanitiser and soap dispensers working and filled", is_supply=True),
        _I("Gloves (S/M/L) stocked", is_supply=True),
        _I("Gowns and drapes stocked", is_supply=True),
        _I("Otoscope/ophthalmoscope charged; specula stocked", is_supply=True),
        _I("BP cuffs (child, adult, large adult) present and clean"),
        _I("Sharps container below fill line and closed to the right slot",
           hint="Replace at the 3/4 line; never push items down."),
        _I("Thermometer probe covers stocked", is_supply=True),
        _I("Eye-wash station flushed 3 minutes and logged", required=False, interval_days=7,
           hint="Weekly: run until the water is clear; report a weak or dirty flow."),
    )),
    ShippedTemplate("Exam room — between patients", "exam", "between", (
        _I("Used table paper removed and fresh paper pulled"),
        _I("Exam table, armrests and counter disinfected — contact time observed", hint=DISINFECT_HINT),
        _I("BP cuff, stethoscope and pulse oximeter wiped"),
        _I("Used instruments to dirty utility; single-use items discarded"),
        _I("Sharps container below fill line"),
        _I("Linens and gown in hamper; trash and biohazard bags not over-full"),
        _I("Gloves and supplies restocked", is_supply=True),
        _I("Chairs and door handle wiped", required=False),
    )),
    ShippedTemplate("Exam room — closing", "exam", "closing", (
        _I("All surfaces, exam table and chairs disinfected — contact time observed", hint=DISINFECT_HINT),
        _I("Table paper removed; table covered"),
        _I("Trash and biohazard waste bagged and removed"),
        _I("Sharps container below fill line; full containers locked and moved to pick-up"),
        _I("Supplies restocked to par for tomorrow", is_supply=True),
        _I("Equipment off / on chargers; no patient items left in the room"),
    )),
    ShippedTemplate("Procedure room — opening", "procedure", "opening", (
        _I("Room visibly clean; floor clear of spills and debris"),
        _I("Procedure table, Mayo stand and counters disinfected — contact time observed", hint=DISINFECT_HINT),
        _I("Fresh table paper / drape on procedure table"),
        _I("Sterile instrument packs in date, wrappers intact, indicator changed",
           hint="Check the date and the internal/external chemical indicator on each pack."),
        _I("Suture, blades and syringes stocked", is_supply=True),
        _I("Lidocaine and skin prep in date", is_supply=True),
        _I("Sterile and exam gloves (all sizes) stocked", is_supply=True),
        _I("Gowns, masks, face shields stocked", is_supply=True),
        _I("Sharps container below fill line and closed to the right slot",
           hint="Replace at the 3/4 line; never push items down."),
        _I("Procedure light and cautery unit tested", required=False),
        _I("Emergency kit sealed and in date", required=False, interval_days=7),
        _I("Eye-wash station flushed 3 minutes and logged", interval_days=7,
           hint="Weekly: run until the water is clear; report a weak or dirty flow."),
    )),
    ShippedTemplate("Procedure room — between patients", "procedure", "between", (
        _I("Drapes, table paper and single-use items discarded"),
        _I("Procedure table, Mayo stand, light handle and counters disinfected — contact time observed",
           hint=DISINFECT_HINT),
        _I("Used instruments pre-cleaned and sent to reprocessing (sterilised or bagged)",
           hint="Keep instruments moist with enzymatic spray until they are reprocessed."),
        _I("Sharps container below fill line"),
        _I("Specimens labelled and logged; none left in the room"),
        _I("Biohazard waste bagged; spills cleaned with appropriate disinfectant"),
        _I("Sterile packs, gloves and gowns restocked", is_supply=True),
        _I("Suture and dressing supplies restocked", is_supply=True),
    )),
    ShippedTemplate("Procedure room — closing", "procedure", "closing", (
        _I("All surfaces and equipment disinfected — contact time observed", hint=DISINFECT_HINT),
        _I("Instruments all accounted for and in reprocessing or sterile storage"),
        _I("Autoclave cycle log and indicator recorded", required=False),
        _I("Biohazard and trash removed; sharps container below fill line"),
        _I("Supplies restocked to par for tomorrow", is_supply=True),
        _I("Equipment off / on chargers; room locked"),
    )),
)  # fmt: skip
