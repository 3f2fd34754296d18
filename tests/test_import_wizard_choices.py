"""The per-row duplicate choice: the service applies each row's choice (bound to the dry run),
and the wizard's choice table offers only what the row allows."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ma_desk.errors import ValidationError
from ma_desk.services import Services
from ma_desk.services.interchange import ImportOptions, RowOutcome
from ma_desk.services.patients import PatientInput
from ma_desk.ui.interchange.choices import CHOICE_COLUMN, ChoiceModel, allowed_choices
from tests.import_files import by_line
from tests.test_import_csv import patients

pytestmark = pytest.mark.both_stores

# Lines 2 and 3 match Okonkwo and Brown (registered below), line 4 is new.
FILE = (
    b"Patient ID,Last Name,First Name,Date of Birth,Home Phone\r\n"
    b"1001,Okonkwo,Adaeze,03/07/1980,\r\n"
    b"1002,Brown,Sam,01/02/1975,\r\n"
    b"1003,Lee,Min,07/04/1991,\r\n"
)


def _register(services: Services) -> dict[str, int]:
    people = {"Okonkwo": ("Adaeze", "03/07/1980"), "Brown": ("Sam", "01/02/1975")}
    return {last: services.patients.register(PatientInput(
        first_name=first, last_name=last, dob=dob)).id for last, (first, dob) in people.items()}  # fmt: skip


def test_each_row_gets_its_own_choice(services: Services):
    existing = _register(services)
    options = ImportOptions(source="oldpm")
    dry = services.interchange.dry_run_csv("patients", FILE, options)
    assert [(o.line, o.action, o.matches) for o in dry.outcomes] == [
        (2, "skip", 1), (3, "skip", 1), (4, "create", 0)]  # fmt: skip
    chosen = ImportOptions(source="oldpm", row_choices={2: "link", 3: "create", 4: "skip"})
    report = services.interchange.import_csv("patients", FILE, chosen, confirm=dry.token)
    rows = by_line(report)
    assert rows[2][0] == "link" and rows[2][1].startswith("Linked to Okonkwo, Adaeze")
    assert rows[3][0] == "create" and "although it may be: Brown, Sam" in rows[3][1]
    assert rows[4][0] == "create"  # a choice for a row that matches nobody changes nothing
    stored = patients(services)
    assert stored["1001"].id == existing["Okonkwo"]
    assert stored["1002"].id != existing["Brown"] and "1003" in stored


def test_a_row_without_a_choice_follows_duplicates(services: Services):
    _register(services)
    options = ImportOptions(source="oldpm", duplicates="create")
    dry = services.interchange.dry_run_csv("patients", FILE, options)
    chosen = ImportOptions(source="oldpm", duplicates="create", row_choices={2: "skip"})
    rows = by_line(services.interchange.import_csv("patients", FILE, chosen, confirm=dry.token))
    assert rows[2] == ("skip", rows[2][1]) and rows[2][1].endswith("Not imported: as chosen.")
    assert rows[3][0] == "create"


def test_choices_are_bound_to_the_dry_run_of_that_file(services: Services):
    _register(services)
    options = ImportOptions(source="oldpm")
    dry = services.interchange.dry_run_csv("patients", FILE, options)
    edited = FILE.replace(b"Brown", b"Browne")
    with pytest.raises(ValidationError, match="Run the dry run first"):
        services.interchange.import_csv("patients", edited, ImportOptions(
            source="oldpm", row_choices={2: "link"}), confirm=dry.token)  # fmt: skip
    assert patients(services) == {}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(choice=st.text(max_size=8).filter(lambda t: t not in ("skip", "link", "create")))
def test_a_choice_that_is_not_skip_link_or_create_is_refused(services: Services, choice):
    with pytest.raises(ValidationError, match="Each row's choice must be skip, link or create"):
        services.interchange.dry_run_csv("patients", FILE, ImportOptions(
            source="oldpm", row_choices={2: choice}))  # fmt: skip
    assert patients(services) == {}


def _outcome(line: int, matches: int, action: str = "skip") -> RowOutcome:
    return RowOutcome("patients", line, action, "May already be registered: …", f"X{line}",
                      matches=matches)  # fmt: skip


@pytest.mark.parametrize(("matches", "allowed"), [
    (1, ("skip", "link", "create")), (2, ("skip", "create")), (3, ("skip", "create"))])  # fmt: skip
def test_linking_needs_exactly_one_patient(matches, allowed):
    assert allowed_choices(_outcome(2, matches)) == allowed


def test_the_model_lists_only_matching_patient_rows_and_keeps_link_where_possible():
    model = ChoiceModel()
    model.show([_outcome(2, 1), _outcome(3, 0, "create"), _outcome(4, 2),
                RowOutcome("coverages", 5, "skip", "", matches=1)])  # fmt: skip
    assert [o.line for o in model.rows] == [2, 4]
    assert model.choose_for_all("link") == 1  # line 4 matches two patients
    assert model.choices() == {2: "link", 4: "skip"}
    assert not model.setData(model.index(1, CHOICE_COLUMN), "link")
    assert model.setData(model.index(1, CHOICE_COLUMN), "create")
    assert not model.setData(model.index(1, 0), "create")  # only the choice is editable
    assert model.counts() == {"skip": 0, "link": 1, "create": 1}
    model.clear()
    assert model.choices() == {} and model.rowCount() == 0
