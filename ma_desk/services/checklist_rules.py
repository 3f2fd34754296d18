"""What makes a room checklist template valid: pure rules, no store.

``ChecklistService.save_template`` checks the store's side (one active template
per room type and moment); everything a form can get wrong is checked here,
once, so the template editor, the service and the tests share it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from ma_desk.clinical import checklist_templates as rules
from ma_desk.errors import ValidationError

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
ROOM_TYPE_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,19}")


@dataclass(frozen=True)
class TemplateItemInput:
    """One item as an administrator wants it; ``id`` keeps an existing item's history."""

    text: str
    required: bool = True
    is_supply: bool = False
    hint: str = ""
    interval_days: int = 0
    id: int | None = None


@dataclass(frozen=True)
class TemplatePlan:
    """A template that passed every rule, its text cleaned, ready to store."""

    name: str
    room_type: str
    moment: str
    items: tuple[TemplateItemInput, ...]


def clean_text(value: str, *, limit: int, field: str, label: str, required: bool = False) -> str:
    """One line of user text: control characters dropped, spaces collapsed, length checked."""
    text = " ".join(_CONTROL.sub(" ", value or "").split())
    if required and not text:
        raise ValidationError(f"{label} cannot be empty.", field=field)
    if len(text) > limit:
        raise ValidationError(f"{label} is too long (at most {limit} characters).", field=field)
    return text


def validate_template(
    name: str, room_type: str, moment: str, items: Sequence[TemplateItemInput]
) -> TemplatePlan:
    """The cleaned template, or one ValidationError listing every field's first problem."""
    errors: dict[str, str] = {}
    try:
        name = clean_text(name, limit=rules.MAX_NAME, field="name", label="Name", required=True)
    except ValidationError as e:
        errors.update(e.errors)
    room_type = (room_type or "").strip().lower()
    if not ROOM_TYPE_PATTERN.fullmatch(room_type):
        errors["room_type"] = "Choose a room type."
    if moment not in rules.MOMENTS:
        errors["moment"] = "Choose opening, between patients or closing."
    cleaned = _clean_items(items, errors)
    if errors:
        first = next(iter(errors.values()))
        raise ValidationError(first, field=next(iter(errors)), errors=errors)
    return TemplatePlan(name, room_type, moment, tuple(cleaned))


def _clean_items(
    items: Sequence[TemplateItemInput], errors: dict[str, str]
) -> list[TemplateItemInput]:
    """Each item cleaned; the first problem found goes into ``errors["items"]``."""
    if not items:
        errors["items"] = "A checklist needs at least one item."
    if len(items) > rules.MAX_ITEMS:
        errors["items"] = f"A checklist can have at most {rules.MAX_ITEMS} items."
    cleaned: list[TemplateItemInput] = []
    for n, item in enumerate(items, start=1):
        try:
            cleaned.append(_clean_item(n, item))
        except ValidationError as e:
            errors.setdefault("items", e.message)
    texts = [c.text.casefold() for c in cleaned]
    if len(set(texts)) != len(texts):
        errors.setdefault("items", "Two items have the same text; merge or reword them.")
    return cleaned


def _clean_item(n: int, item: TemplateItemInput) -> TemplateItemInput:
    text = clean_text(item.text, limit=rules.MAX_ITEM_TEXT, field="items", label=f"Item {n}",
                      required=True)  # fmt: skip
    hint = clean_text(item.hint, limit=rules.MAX_HINT, field="items", label=f"Item {n}'s hint")
    if not (0 <= item.interval_days <= rules.MAX_INTERVAL_DAYS):
        raise ValidationError(
            f"Item {n}: repeat every 0 (every time) to {rules.MAX_INTERVAL_DAYS} days.",
            field="items",
        )
    return TemplateItemInput(text, bool(item.required), bool(item.is_supply), hint,
                             int(item.interval_days), item.id)  # fmt: skip


class RunItemState(Protocol):
    """What the ready rule reads of a run's item (a stored item or a frozen RunItemRow:
    read-only, hence properties)."""

    @property
    def text(self) -> str: ...
    @property
    def required(self) -> bool: ...
    @property
    def done(self) -> bool: ...
    @property
    def not_due(self) -> bool: ...
    @property
    def not_done_reason(self) -> str: ...


Item = TypeVar("Item", bound=RunItemState)


def open_required(items: Sequence[Item]) -> list[Item]:
    """Required items neither ticked, nor not due, nor skipped with a reason."""
    return [i for i in items if i.required and not (i.done or i.not_due or i.not_done_reason)]


def not_ready_reason(items: Sequence[RunItemState]) -> str | None:
    """Why the room cannot be set ready from this checklist yet (None: it can), in the
    words the run panel shows beside the button and the service refuses with."""
    still_open = open_required(items)
    if not still_open:
        return None
    names = "; ".join(i.text for i in still_open[:3])
    more = f" and {len(still_open) - 3} more" if len(still_open) > 3 else ""
    count = len(still_open)
    return (
        f"{count} required item{'s' if count != 1 else ''} still open: {names}{more}. "
        "Tick each one, or mark it not done with a reason."
    )
