"""The start-up benchmark (benchmarks/startup.py) works end to end with one round on a small
demo clinic; no time is asserted (tests never time anything)."""

from __future__ import annotations

import pytest

from benchmarks import startup, tasks
from benchmarks.harness import format_table


@pytest.fixture(scope="module")
def one_round(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("startup")
    return startup.measure(work, work / "pycache", rounds=1, patients=40,
                           frozen=work / "no-build", typing=0.1, log=lambda _m: None)  # fmt: skip


def test_every_row_is_measured_or_says_why_not(one_round) -> None:
    rows = {r.task: r for r in one_round}
    floor = rows["start-up: bare Qt dialog (floor)"]
    sign_in = rows["start-up: sign-in screen, venv"]
    main = rows["start-up: Enter to main window, venv"]
    assert len(floor.samples) == len(sign_in.samples) == len(main.samples) == 1
    assert all(s > 0 for r in (floor, sign_in, main) for s in r.samples)
    assert sign_in.floor_samples == floor.samples and sign_in.ratio is not None
    assert sign_in.target is startup.SIGN_IN_TARGET and main.target is startup.MAIN_WINDOW_TARGET
    assert "password check" in main.note and "typing 0.1 s" in main.note
    assert rows["start-up: first run, sign-in screen, venv"].samples
    frozen = rows["start-up: frozen app"]
    assert (
        frozen.skipped.startswith("no build at")
        and "pyinstaller build_installer.spec" in frozen.skipped
    )
    assert "SKIP: no build at" in format_table(one_round)


def test_only_a_folder_with_the_gui_program_counts_as_a_build(tmp_path) -> None:
    assert set(startup.programs(None)) == {"venv"}
    assert set(startup.programs(tmp_path)) == {"venv"}
    (tmp_path / "ma-desk-gui").write_text("")
    assert set(startup.programs(tmp_path)) == {"venv", "frozen"}


def test_registered_with_the_other_tasks() -> None:
    assert tasks.TASKS["startup"][0] == "benchmarks.startup"
    assert tasks.load("startup").run is startup.run
