"""Rebuild the subset fallback fonts in resources/fonts/ from Debian 12's font packages.

Run once by a developer when a font is updated (not at build or run time)::

    apt-get download fonts-nanum fonts-symbola && mkdir x
    for d in fonts-nanum_*.deb fonts-symbola_*.deb; do dpkg-deb -x "$d" x; done
    python tools/subset_fonts.py x/usr/share/fonts/truetype

Noto Emoji (monochrome, OFL 1.1, no reserved name) adds the emoji newer than Symbola's
Unicode 8; its variable font (e.g. ``NotoEmoji[wght].ttf`` from the ``manimgx-fonts``
wheel, unmodified Noto) is fixed at the regular weight and cut to what the other fonts
lack::

    python tools/subset_fonts.py --noto-emoji 'NotoEmoji[wght].ttf'

Why subset: the full Nanum Gothic is 4.7 MB and Symbola 3.2 MB; printed documents need
only Hangul from one and emoji/symbols from the other. Nanum's OFL reserves the name
"Nanum", so the subset (a modified version) is renamed "MA Desk Hangul"; Symbola's
licence allows any modification. Both keep their copyright notices in the name table.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

OUT = Path(__file__).resolve().parent.parent / "resources" / "fonts"

HANGUL = [*range(0x1100, 0x1200), *range(0x3130, 0x3190), *range(0xA960, 0xA980),
          *range(0xAC00, 0xD7A4), *range(0xD7B0, 0xD800)]  # fmt: skip
EMOJI = [
    *range(0x2300, 0x2400),
    *range(0x2600, 0x27C0),
    *range(0x2B00, 0x2C00),
    *range(0x1F000, 0x1FB00),
    0x3030,
    0x303D,
    0x3297,
    0x3299,
]


def make_subset(source: Path, target: Path, codepoints: list[int], family: str | None) -> None:
    """Keep only ``codepoints`` (glyf outlines, no hinting); rename when the licence asks."""
    options = subset.Options()
    options.hinting = False
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = TTFont(str(source))
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    if family:
        rename(font, family)
    font.save(str(target))


def rename(font: TTFont, family: str) -> None:
    """Replace the family names (ids 1, 3, 4, 6, 16, 17) so the reserved name is not used."""
    postscript = family.replace(" ", "") + "-Regular"
    names = {1: family, 3: f"{postscript};subset", 4: f"{family} Regular", 6: postscript,
             16: family, 17: "Regular"}  # fmt: skip
    table = font["name"]
    for record in list(table.names):
        if record.nameID in names:
            table.setName(names[record.nameID], record.nameID, record.platformID,
                          record.platEncID, record.langID)  # fmt: skip


def make_noto_emoji(source: Path) -> None:
    """The regular weight of Noto Emoji, only the characters no other bundled font draws."""
    from fontTools.varLib import instancer

    covered: set[int] = set()
    for name in ("DejaVuSans.ttf", "MADeskHangul-Regular.ttf", "DroidSansFallbackFull.ttf",
                 "Symbola-Emoji.ttf"):  # fmt: skip
        covered |= set(TTFont(str(OUT / name)).getBestCmap())
    font = TTFont(str(source))
    wanted = sorted(set(font.getBestCmap()) - covered)
    static = instancer.instantiateVariableFont(font, {"wght": 400})
    options = subset.Options()
    options.hinting = False
    options.layout_features = []  # ReportLab draws one glyph per character: no sequences
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted)
    subsetter.subset(static)
    static.save(str(OUT / "NotoEmoji-Subset.ttf"))


def main(fonts_dir: str) -> None:
    root = Path(fonts_dir)
    make_subset(root / "nanum" / "NanumGothic.ttf", OUT / "MADeskHangul-Regular.ttf", HANGUL,
                "MA Desk Hangul")  # fmt: skip
    make_subset(root / "ancient-scripts" / "Symbola_hint.ttf", OUT / "Symbola-Emoji.ttf", EMOJI,
                None)  # fmt: skip


if __name__ == "__main__":
    if sys.argv[1] == "--noto-emoji":
        make_noto_emoji(Path(sys.argv[2]))
    else:
        main(sys.argv[1])
