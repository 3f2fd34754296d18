"""``ma-desk report ...`` on a demo clinic made by the CLI itself, signed in as the demo MA."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from ma_desk.actor import Actor
from ma_desk.cli import main
from tests.cli_helpers import make_cli_clinic, sign_in_cli
from tests.conftest import PASSPHRASE
from tests.report_helpers import decode_code128, pdf_pages, pdf_text


@pytest.fixture(scope="module")
def cli_clinic(tmp_path_factory):
    return make_cli_clinic(tmp_path_factory, "cli", patients=80, seed=5)


@pytest.fixture
def signed_in(cli_clinic, monkeypatch):
    sign_in_cli(monkeypatch, "ma")
    return cli_clinic


def _visit_id(data_dir, language: str = "English") -> int:
    """A finished visit in the last week of a patient who prefers ``language``.

    The demo's days move with the calendar, so which patient is on which day (and in which
    language their summary prints) changes from day to day: choose by language, not by day.
    """
    from sqlalchemy import select

    from ma_desk.db.models import Patient, Visit
    from ma_desk.db.store import open_store
    from ma_desk.services import Services

    opened = open_store(data_dir, passphrase=PASSPHRASE)
    try:
        schedule = Services(opened.db, actor=Actor.system()).schedule
        with opened.db.read() as s:
            speakers = set(s.scalars(
                select(Visit.id).join(Patient).where(Patient.preferred_language == language)
            ))  # fmt: skip
        days = (dt.date.today() - dt.timedelta(days=back) for back in range(7))
        # Today has no finished visit yet just after midnight: the days before do.
        return next(r.visit_id for day in days for r in schedule.day(day)
                    if r.status == "checked_out" and r.visit_id in speakers)  # fmt: skip
    finally:
        opened.db.close()


def test_visit_summary_prints_in_the_patients_preferred_language(signed_in, tmp_path):
    out = tmp_path / "resumen.pdf"
    visit = _visit_id(signed_in, "Spanish")
    assert main(["report", "visit-summary", "--data-dir", str(signed_in), "--visit", str(visit),
                 "--out", str(out)]) == 0  # fmt: skip
    text = pdf_text(out.read_bytes())
    assert "Resumen de su visita" in text
    assert "After-Visit Summary" not in text


def test_visit_summary_and_handout_to_files(signed_in, tmp_path, capsys):
    visit = _visit_id(signed_in)
    out = tmp_path / "summary.pdf"
    assert main(["report", "visit-summary", "--data-dir", str(signed_in), "--visit", str(visit),
                 "--out", str(out)]) == 0  # fmt: skip
    assert "After-Visit Summary" in pdf_text(out.read_bytes())
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert main(["report", "visit-summary", "--data-dir", str(signed_in), "--visit", str(visit),
                 "--out", str(out)]) == 1  # fmt: skip
    assert "already exists" in capsys.readouterr().err
    handout = tmp_path / "handout.pdf"
    assert main(["report", "handout", "--data-dir", str(signed_in), "--visit", str(visit),
                 "--handout", "wound-care", "--language", "en", "--out", str(handout)]) == 0  # fmt: skip
    assert "Caring for Your Wound" in pdf_text(handout.read_bytes())
    again = tmp_path / "summary2.pdf"
    main(["report", "visit-summary", "--data-dir", str(signed_in), "--visit", str(visit),
          "--out", str(again)])  # fmt: skip
    assert "Caring for Your Wound" in pdf_text(again.read_bytes())  # recorded as given


def test_end_of_day_csv_and_pdf(signed_in, tmp_path):
    today = dt.date.today().isoformat()
    csv_path, pdf_path = tmp_path / "eod.csv", tmp_path / "eod.pdf"
    assert main(["report", "end-of-day", "--data-dir", str(signed_in), "--date", today,
                 "--format", "csv", "--out", str(csv_path)]) == 0  # fmt: skip
    assert main(["report", "end-of-day", "--data-dir", str(signed_in), "--date", today,
                 "--format", "pdf", "--out", str(pdf_path), "--provider", "1"]) == 0  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text("utf-8-sig"))))
    assert rows and {"status", "copay_collected", "wait_to_room_min"} <= set(rows[0])
    pages = pdf_pages(pdf_path.read_bytes())
    assert "End-of-Day Report" in pages[0]


def test_labels(signed_in, tmp_path):
    visit = _visit_id(signed_in)
    out = tmp_path / "labels.pdf"
    assert main(["report", "labels", "--data-dir", str(signed_in), "--kind", "specimen",
                 "--visit", str(visit), "--specimen", "Blood, lavender", "--specimen", "Urine",
                 "--layout", "roll", "--out", str(out)]) == 0  # fmt: skip
    pages = pdf_pages(out.read_bytes())
    assert len(pages) == 2 and f"-{visit}-2" in pages[1]
    from ma_desk.reports.labels import make_barcode

    value = pages[0].split()[-1]
    assert value.endswith(f"-{visit}-1")
    assert decode_code128(make_barcode(value, 20, 170)) == value


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["end-of-day", "--date", "23/11/2026", "--out", "x.csv"], "is not a date"),
        (["labels", "--kind", "specimen", "--patient", "1", "--specimen", "Blood", "--out", "x"],
         "belong to a visit"),
        (["handout", "--visit", "1", "--handout", "nope", "--out", "x.pdf"], "No handout"),
    ],
)  # fmt: skip
def test_bad_input_one_line_and_nothing_written(signed_in, tmp_path, capsys, args, message,
                                                monkeypatch):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    assert main(["report", args[0], "--data-dir", str(signed_in), *args[1:]]) == 1
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_sign_in_is_required(cli_clinic, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MA_DESK_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("MA_DESK_USER", raising=False)
    out = tmp_path / "s.pdf"
    assert main(["report", "visit-summary", "--data-dir", str(cli_clinic), "--visit", "1",
                 "--out", str(out)]) == 1  # fmt: skip
    assert "Sign in" in capsys.readouterr().err and not out.exists()
