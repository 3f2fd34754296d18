"""Text of regions of a PDF, read by two independent extractors: poppler's pdftotext and pypdf.

A page header or a label is checked by what a reader of the paper would see there,
so the text is cropped to the region before it is compared.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from pypdf import PdfReader

HEADER_BAND = 44.0  # points from the top of a page: the running header and its rule


def have_pdftotext() -> bool:
    return shutil.which("pdftotext") is not None


def pdftotext_region(pdf: bytes, x: float, y_top: float, width: float, height: float) -> list[str]:
    """Per page, the text pdftotext finds in the box (``y_top`` measured down from the top)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        done = subprocess.run(
            ["pdftotext", "-q", "-enc", "UTF-8", "-x", str(int(x)), "-y", str(int(y_top)),
             "-W", str(int(width + 0.999)), "-H", str(int(height + 0.999)), str(path), "-"],
            capture_output=True, check=True, timeout=60,
        )  # fmt: skip
    pages = done.stdout.decode("utf-8").split("\f")
    return pages[:-1] if pages and pages[-1] == "" else pages


def header_texts_pdftotext(pdf: bytes) -> list[str]:
    """The running header of every page, as pdftotext reads it."""
    reader = PdfReader(io.BytesIO(pdf))
    width = float(reader.pages[0].mediabox.width)
    return [" ".join(t.split()) for t in pdftotext_region(pdf, 0, 0, width, HEADER_BAND)]


def header_texts_pypdf(pdf: bytes) -> list[str]:
    """The running header of every page, as pypdf reads it (text drawn in the top band)."""
    out = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        top = float(page.mediabox.height) - HEADER_BAND
        parts: list[str] = []

        def visit(text, cm, tm, _font, _size, parts=parts, top=top):
            if text.strip() and tm[5] * cm[3] + cm[5] > top:
                parts.append(text)

        page.extract_text(visitor_text=visit)
        out.append(" ".join(" ".join(parts).split()))
    return out


def header_texts(pdf: bytes) -> list[str]:
    """pdftotext's reading when poppler is installed, else pypdf's."""
    return header_texts_pdftotext(pdf) if have_pdftotext() else header_texts_pypdf(pdf)


def label_texts(pdf: bytes, layout, positions: list[tuple[int, int]]) -> list[str]:
    """Text inside each label's box; ``positions`` are (page index, position on the page)."""
    out = []
    for page_index, position in positions:
        x, y = layout.origin(position)
        top = layout.page_height - (y + layout.label_height)
        if have_pdftotext():
            pages = pdftotext_region(pdf, x, top, layout.label_width, layout.label_height)
            text = pages[page_index]
        else:
            text = _pypdf_box(pdf, page_index, x, y, layout.label_width, layout.label_height)
        out.append(" ".join(text.split()))
    return out


def _pypdf_box(pdf: bytes, page_index: int, x: float, y: float, w: float, h: float) -> str:
    page = PdfReader(io.BytesIO(pdf)).pages[page_index]
    parts: list[str] = []

    def visit(text, cm, tm, _font, _size):
        px, py = tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]
        if text.strip() and x - 1 <= px <= x + w and y - 1 <= py <= y + h:
            parts.append(text)

    page.extract_text(visitor_text=visit)
    return " ".join(parts)
