"""The checklist template rules (ma_desk/services/checklist_rules.py), boundary by boundary."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ma_desk.clinical import checklist_templates as rules
from ma_desk.errors import ValidationError
from ma_desk.services.checklist_rules import (
    TemplateItemInput,
    clean_text,
    not_ready_reason,
    open_required,
    validate_template,
)

ITEM = TemplateItemInput("Wipe the exam table")


def _errors(**overrides: object) -> dict[str, str]:
    args: dict[str, object] = {
        "name": "Exam room, between patients",
        "room_type": "exam",
        "moment": rules.MOMENTS[0],
        "items": [ITEM],
    }
    args.update(overrides)
    with pytest.raises(ValidationError) as caught:
        validate_template(**args)  # type: ignore[arg-type]
    return caught.value.errors


def test_a_good_template_comes_back_cleaned() -> None:
    plan = validate_template(
        "  Exam\troom  ", " EXAM ", rules.MOMENTS[1],
        [TemplateItemInput(" Wipe\x00 the   table ", required=False, is_supply=True,
                           hint=" gloves\n", interval_days=7, id=12)],
    )  # fmt: skip
    assert (plan.name, plan.room_type, plan.moment) == ("Exam room", "exam", rules.MOMENTS[1])
    assert plan.items == (TemplateItemInput("Wipe the table", False, True, "gloves", 7, 12),)


@pytest.mark.parametrize(
    ("length", "ok"),
    [(rules.MAX_NAME - 1, True), (rules.MAX_NAME, True), (rules.MAX_NAME + 1, False)],
)
def test_name_length_boundary(length: int, ok: bool) -> None:
    if ok:
        assert (
            validate_template("n" * length, "exam", rules.MOMENTS[0], [ITEM]).name == "n" * length
        )
    else:
        assert _errors(name="n" * length) == {
            "name": f"Name is too long (at most {rules.MAX_NAME} characters)."
        }


@pytest.mark.parametrize("name", ["", "   ", "\x00\x1f"])
def test_name_is_required(name: str) -> None:
    assert _errors(name=name) == {"name": "Name cannot be empty."}


@pytest.mark.parametrize("room_type", ["e", "exam_2", "a" * 20, "Procedure"])
def test_room_types_accepted(room_type: str) -> None:
    plan = validate_template("Room", room_type, rules.MOMENTS[0], [ITEM])
    assert plan.room_type == room_type.lower()


@pytest.mark.parametrize("room_type", ["", "2exam", "a" * 21, "exam room", "exam-2", "_exam"])
def test_room_types_refused(room_type: str) -> None:
    assert _errors(room_type=room_type) == {"room_type": "Choose a room type."}


@pytest.mark.parametrize("moment", ["", "Opening", "lunch"])
def test_moment_must_be_one_of_the_three(moment: str) -> None:
    assert _errors(moment=moment) == {"moment": "Choose opening, between patients or closing."}


def test_item_count_boundaries() -> None:
    assert _errors(items=[]) == {"items": "A checklist needs at least one item."}
    at_most = [TemplateItemInput(f"Item {n}") for n in range(rules.MAX_ITEMS)]
    assert (
        len(validate_template("Room", "exam", rules.MOMENTS[0], at_most).items) == rules.MAX_ITEMS
    )
    too_many = [*at_most, TemplateItemInput("One more")]
    assert _errors(items=too_many) == {
        "items": f"A checklist can have at most {rules.MAX_ITEMS} items."
    }


@pytest.mark.parametrize(
    ("days", "ok"),
    [(-1, False), (0, True), (rules.MAX_INTERVAL_DAYS, True), (rules.MAX_INTERVAL_DAYS + 1, False)],
)
def test_interval_days_boundaries(days: int, ok: bool) -> None:
    item = TemplateItemInput("Check the oxygen tank", interval_days=days)
    if ok:
        plan = validate_template("Room", "exam", rules.MOMENTS[0], [item])
        assert plan.items[0].interval_days == days
    else:
        assert _errors(items=[item]) == {
            "items": f"Item 1: repeat every 0 (every time) to {rules.MAX_INTERVAL_DAYS} days."
        }


@pytest.mark.parametrize(
    ("limit", "field"), [(rules.MAX_ITEM_TEXT, "text"), (rules.MAX_HINT, "hint")]
)
def test_item_text_and_hint_length_boundaries(limit: int, field: str) -> None:
    at_limit = TemplateItemInput(**{"text": "Text", field: "x" * limit})  # type: ignore[arg-type]
    assert validate_template("Room", "exam", rules.MOMENTS[0], [at_limit]).items[0] == at_limit
    over = TemplateItemInput(**{"text": "Text", field: "x" * (limit + 1)})  # type: ignore[arg-type]
    label = "Item 2" if field == "text" else "Item 2's hint"
    assert _errors(items=[ITEM, over]) == {
        "items": f"{label} is too long (at most {limit} characters)."
    }


def test_empty_item_text_names_the_item() -> None:
    assert _errors(items=[ITEM, TemplateItemInput("  ")]) == {"items": "Item 2 cannot be empty."}


def test_the_first_item_problem_is_the_one_reported() -> None:
    bad = [TemplateItemInput(""), TemplateItemInput("x", interval_days=-1)]
    assert _errors(items=bad) == {"items": "Item 1 cannot be empty."}


def test_same_text_twice_ignoring_case_and_spaces_is_refused() -> None:
    twice = [TemplateItemInput("Wipe the table"), TemplateItemInput("  wipe THE  table")]
    assert _errors(items=twice) == {"items": "Two items have the same text; merge or reword them."}


def test_every_field_problem_is_reported_at_once() -> None:
    errors = _errors(name="", room_type="", moment="", items=[])
    assert set(errors) == {"name", "room_type", "moment", "items"}


@given(st.text(max_size=300))
def test_clean_text_never_keeps_controls_or_runs_of_spaces(value: str) -> None:
    try:
        text = clean_text(value, limit=200, field="f", label="L")
    except ValidationError as e:
        assert e.field == "f"
        return
    assert len(text) <= 200
    assert not any(ord(c) < 32 or ord(c) == 127 for c in text)
    assert text == " ".join(text.split())


@given(
    name=st.text(max_size=120),
    room_type=st.text(max_size=25),
    texts=st.lists(st.text(max_size=250), max_size=rules.MAX_ITEMS + 2),
)
def test_any_typed_template_is_cleaned_or_refused_with_words(
    name: str, room_type: str, texts: list[str]
) -> None:
    items = [TemplateItemInput(t) for t in texts]
    try:
        plan = validate_template(name, room_type, rules.MOMENTS[0], items)
    except ValidationError as e:
        assert e.errors and all(isinstance(m, str) and m for m in e.errors.values())
        return
    assert plan.name and len(plan.items) == len(items)
    assert len({i.text.casefold() for i in plan.items}) == len(plan.items)


def test_the_refusal_reads_and_points_at_the_first_problem() -> None:
    """The form shows the message next to the first field with a problem."""
    with pytest.raises(ValidationError) as caught:
        validate_template("", "", rules.MOMENTS[0], [ITEM])
    assert caught.value.field == "name" and str(caught.value) == "Name cannot be empty."
    with pytest.raises(ValidationError) as caught:
        validate_template("Room", "exam", rules.MOMENTS[0], [])
    assert caught.value.field == "items"
    assert str(caught.value) == "A checklist needs at least one item."


# ------------------------------------------------------------------ setting a room ready
@dataclass(frozen=True)
class _Item:
    text: str
    required: bool = True
    done: bool = False
    not_due: bool = False
    not_done_reason: str = ""


def test_a_room_is_ready_when_every_required_item_is_resolved() -> None:
    items = [_Item("Wipe", done=True), _Item("Paper", not_due=True),
             _Item("Sharps", not_done_reason="on order"), _Item("Extra", required=False)]  # fmt: skip
    assert open_required(items) == [] and not_ready_reason(items) is None
    assert not_ready_reason([]) is None


@pytest.mark.parametrize(
    ("open_count", "says"),
    [
        (1, "1 required item still open: Item 0. Tick each one"),
        (3, "3 required items still open: Item 0; Item 1; Item 2. Tick"),
        (4, "4 required items still open: Item 0; Item 1; Item 2 and 1 more. Tick"),
    ],
)
def test_open_required_items_are_named_three_at_most(open_count: int, says: str) -> None:
    items = [_Item(f"Item {n}") for n in range(open_count)] + [_Item("Done", done=True)]
    reason = not_ready_reason(items)
    assert reason is not None and reason.startswith(says)
    assert "mark it not done with a reason" in reason
    assert [i.text for i in open_required(items)] == [f"Item {n}" for n in range(open_count)]


@given(st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans()),
                max_size=8))  # fmt: skip
def test_ready_exactly_when_no_required_item_is_open(flags) -> None:
    items = [_Item(f"I{n}", required=r, done=d, not_due=nd, not_done_reason="why" if skip else "")
             for n, (r, d, nd, skip) in enumerate(flags)]  # fmt: skip
    blocked = any(i.required and not (i.done or i.not_due or i.not_done_reason) for i in items)
    assert (not_ready_reason(items) is not None) is blocked
