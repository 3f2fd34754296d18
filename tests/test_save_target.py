"""Where a save goes: one helper for every PDF and CSV export (ui/common/replace_file.py).

The name gets its extension when it lacks one, and an existing file is only
replaced when the user chooses Replace in the question (Enter keeps it).
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from ma_desk.ui.common.replace_file import save_target
from tests.test_attack_files import KEEP, REPLACE, ReplaceAnswerer


def test_nothing_chosen_is_no_target(qtbot):
    assert save_target(None, None, ".pdf") is None
    assert save_target(None, "", ".pdf") is None


def test_a_new_name_gets_its_extension_once_and_asks_nothing(qtbot, tmp_path):
    answerer = ReplaceAnswerer(*KEEP)
    try:
        assert save_target(None, str(tmp_path / "summary"), ".pdf") == (
            tmp_path / "summary.pdf",
            False,
        )
        assert save_target(None, tmp_path / "Summary.PDF", ".pdf") == (
            tmp_path / "Summary.PDF",
            False,
        )
        assert save_target(None, tmp_path / "day.ics") == (tmp_path / "day.ics", False)
    finally:
        answerer.stop()
    assert answerer.asked == []


def test_an_existing_file_is_replaced_only_when_the_user_says_so(qtbot, tmp_path):
    (tmp_path / "eod.csv").write_text("kept")
    for keys, expected in ((KEEP, None), ((Qt.Key.Key_Escape,), None),
                           (REPLACE, (tmp_path / "eod.csv", True))):  # fmt: skip
        answerer = ReplaceAnswerer(*keys)
        try:
            assert save_target(None, str(tmp_path / "eod"), ".csv") == expected
        finally:
            answerer.stop()
        assert answerer.asked and "eod.csv already exists" in answerer.asked[0]
    assert (tmp_path / "eod.csv").read_text() == "kept"  # asking never touches the file
