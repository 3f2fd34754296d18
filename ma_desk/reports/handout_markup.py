"""The light markup handouts are written in (simple enough to type in a text box).

    ## Heading            a section heading
    ### Smaller heading
    - item   or  * item   a bullet point
    1. item               a numbered step
    !! text               an "important" box (e.g. when to call 911)
    **words**             bold inside any line
    blank line            starts a new paragraph; other line breaks join lines

Anything else is plain text; ``<``, ``&`` and the like print literally.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ma_desk.reports import fonts

_NUMBERED = re.compile(r"^(\d{1,3})[.)]\s+(.*)$")


@dataclass(frozen=True)
class Block:
    kind: str  # "h2" | "h3" | "para" | "bullet" | "number" | "callout"
    text: str
    number: int = 0


def parse(body: str) -> list[Block]:
    """The blocks of a handout body, in order; never raises."""
    blocks: list[Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(Block("para", " ".join(paragraph)))
            paragraph.clear()

    for raw in fonts.clean(body).split("\n"):
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("###"):
            flush()
            blocks.append(Block("h3", line[3:].strip()))
        elif line.startswith("#"):
            flush()
            blocks.append(Block("h2", line.lstrip("#").strip()))
        elif line.startswith(("- ", "* ", "• ")):
            flush()
            blocks.append(Block("bullet", line[2:].strip()))
        elif line.startswith("!!"):
            flush()
            blocks.append(Block("callout", line[2:].strip()))
        elif match := _NUMBERED.match(line):
            flush()
            blocks.append(Block("number", match.group(2).strip(), int(match.group(1))))
        elif blocks and blocks[-1].kind in ("bullet", "number", "callout") and not paragraph \
                and raw[:1].isspace():  # fmt: skip
            last = blocks.pop()  # an indented continuation of the item above
            blocks.append(Block(last.kind, f"{last.text} {line}", last.number))
        else:
            paragraph.append(line)
    flush()
    return [b for b in blocks if b.text or b.kind == "para"]


def inline(text: str, *, limit: int | None = None) -> str:
    """Paragraph markup for one line: escaped, with **bold** spans turned into <b>."""
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    pieces = text.split("**")
    if len(pieces) % 2 == 0:  # an unpaired ** prints as written
        pieces[-2:] = [pieces[-2] + "**" + pieces[-1]]
    out = []
    for i, piece in enumerate(pieces):
        escaped = fonts.para(piece, keep_newlines=False)
        out.append(f"<b>{escaped}</b>" if i % 2 and escaped else escaped)
    return "".join(out)


def plain_text(body: str) -> str:
    """The handout as plain text (for searching and previews)."""
    return "\n".join(b.text.replace("**", "") for b in parse(body))
