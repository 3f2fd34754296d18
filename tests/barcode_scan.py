"""Rasterise a PDF like a printer does (poppler's pdftoppm) and read its barcodes with zbar.

Both are independent of ReportLab and Qt: a label passes only if a real decoder reads the
exact payload from pixels at the printer's resolution.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image

from ma_desk.reports.labels import LabelLayout

needs_zbar = pytest.mark.skipif(
    shutil.which("zbarimg") is None or shutil.which("pdftoppm") is None,
    reason="needs zbarimg (Debian zbar-tools) and pdftoppm (poppler-utils); .ci/run installs both",
)


def render_pages(pdf: bytes, dpi: int) -> list[Image.Image]:
    """Every page as a greyscale image at ``dpi`` (pdftoppm, anti-aliased as it would print)."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "doc.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(source), f"{folder}/page"],
                       check=True, capture_output=True, timeout=120)  # fmt: skip
        pages = sorted(Path(folder).glob("page*.pgm"))
        return [Image.open(page).copy() for page in pages]


def decode(image: Image.Image) -> list[str]:
    """Every Code 128 payload zbar reads in ``image``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "crop.png"
        image.save(path)
        done = subprocess.run(
            ["zbarimg", "-q", "--raw", "-Sdisable", "-Scode128.enable", str(path)],
            capture_output=True, timeout=60,
        )  # fmt: skip
    return [line for line in done.stdout.decode("utf-8").splitlines() if line]


def label_crop(page: Image.Image, layout: LabelLayout, position: int, dpi: int) -> Image.Image:
    """The die-cut rectangle of label ``position`` (0-based) on a rendered page."""
    x, y = layout.origin(position)
    scale = dpi / 72.0
    top = (layout.page_height - y - layout.label_height) * scale
    box = (round(x * scale), round(top), round((x + layout.label_width) * scale),
           round(top + layout.label_height * scale))  # fmt: skip
    return page.crop(box)


def decode_labels(pdf: bytes, layout: LabelLayout, dpi: int, count: int,
                  start: int = 0) -> list[list[str]]:  # fmt: skip
    """What zbar reads on each of ``count`` labels, in print order from position ``start``."""
    pages = render_pages(pdf, dpi)
    found = []
    for n in range(count):
        page, position = divmod(start + n, layout.per_page)
        found.append(decode(label_crop(pages[page], layout, position, dpi)))
    return found
