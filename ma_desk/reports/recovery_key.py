"""The recovery-key sheet: one page to print when a store is made, and to lock away.

It holds the clinic's name, the data folder, the recovery key in large type and
what to do with it; never any patient data. The PDF is built in memory; the
caller writes it only where the user chose (``reports.output.write_file_atomic``).
"""

from __future__ import annotations

import datetime as dt

from ma_desk.reports import document as doc
from ma_desk.reports import fonts

KEY_GROUPS_PER_LINE = 4

INSTRUCTIONS = (
    "This key opens the clinic's encrypted MA Desk store if this computer's keyring entry "
    "is lost (a new computer, a reinstalled system) or the store passphrase is forgotten.",
    "Keep this paper locked away (a safe or a locked drawer), away from the computer. "
    "Anyone who has this key and a copy of the store file can read every record in it.",
    "Do not photograph it, e-mail it or keep it in a file on the computer.",
    "To use it, start MA Desk with: ma-desk --recovery-key XXXXX-XXXXX-... "
    "(or check the store with: ma-desk check --recovery-key ...). Capitals, spaces and "
    "dashes do not matter; a typo is caught by the key's checksum.",
    "If this paper is lost or seen by someone it should not be, have an administrator "
    "change the store's key (ma-desk rekey) and print the new recovery key.",
)


def key_lines(recovery_key: str) -> list[str]:
    """The key's groups, a few per line, so each line can be read back and checked."""
    groups = recovery_key.split("-")
    return [
        "  ".join(groups[i : i + KEY_GROUPS_PER_LINE])
        for i in range(0, len(groups), KEY_GROUPS_PER_LINE)
    ]


def recovery_key_pdf(
    recovery_key: str, *, clinic_name: str, data_dir: str, created: dt.datetime
) -> bytes:
    """One page: who it belongs to, the key in large type, instructions."""
    from reportlab.lib.colors import HexColor
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    styles = doc.styles()
    key_style = ParagraphStyle(
        "recovery_key", parent=styles["body"], fontName=fonts.BOLD, fontSize=20, leading=30
    )
    width = doc.frame_width()
    rows = [[Paragraph(fonts.para(line), key_style)] for line in key_lines(recovery_key)]
    key_table = Table(rows, colWidths=[width])
    key_table.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 1.5, HexColor(doc.ACCENT)),
        ("BACKGROUND", (0, 0), (-1, -1), HexColor(doc.SHADE)),
        ("LEFTPADDING", (0, 0), (-1, -1), 14),
        ("TOPPADDING", (0, 0), (0, 0), 10),
        ("BOTTOMPADDING", (0, -1), (-1, -1), 10),
    ]))  # fmt: skip
    story = [
        doc.p("MA Desk recovery key", "title"),
        doc.p(f"Clinic: {clinic_name}", "body", limit=160),
        doc.p(f"Data folder: {data_dir}", "small", limit=300),
        doc.p(f"Made: {created:%Y-%m-%d %H:%M}", "small"),
        Spacer(1, 12),
        key_table,
        Spacer(1, 14),
        doc.p("What it is for and how to keep it", "h2"),
        *(doc.p(text, "body") for text in INSTRUCTIONS),
        Spacer(1, 16),
        doc.p(
            "Kept by: ______________________   Where: ______________________   Date: ____________",
            "body",
        ),  # fmt: skip
    ]
    return doc.build_pdf(story, title="MA Desk recovery key", header_left=clinic_name,
                         header_right="Confidential: keep locked away")  # fmt: skip
