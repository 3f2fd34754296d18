"""Writing a finished document to a file the user chose (CLI ``--out``, the GUI's Save)."""

from __future__ import annotations

import os
from pathlib import Path

from ma_desk.atomic_file import write_bytes_atomic
from ma_desk.errors import ValidationError


def write_file_atomic(path: str | os.PathLike[str], data: bytes, *, force: bool = False) -> Path:
    """Write atomically: a private temp file beside the target, fsync, then rename.

    The temp file gets owner-only permissions before any byte is written and is
    removed if anything fails, so no partial copy of patient data is left behind.
    """
    target = Path(path).expanduser()
    if target.exists() and not force:
        raise ValidationError(f"{target} already exists; choose another name.", field="out")
    folder = target.parent
    if not folder.is_dir():
        raise ValidationError(f"The folder {folder} does not exist.", field="out")
    try:
        return write_bytes_atomic(target, data)
    except OSError as exc:
        raise ValidationError(f"Cannot write {target}: {exc.strerror}.", field="out") from None
