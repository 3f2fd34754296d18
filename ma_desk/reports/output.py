"""Writing a finished document to a file the user chose (CLI ``--out``, the GUI's Save)."""

from __future__ import annotations

import os
from pathlib import Path

from ma_desk.atomic_file import write_bytes_atomic
from ma_desk.errors import ValidationError


def write_file_atomic(path: str | os.PathLike[str], data: bytes, *, force: bool = False) -> Path:
    """Write atomically, owner-only (0600), never over an existing file unless ``force``.

    See ``ma_desk.atomic_file``: a private temp file beside the target, fsync, then a
    rename; nothing partial is left behind. Failures become a ValidationError whose
    message says what to do.
    """
    target = Path(path).expanduser()
    folder = target.parent
    if not folder.is_dir():
        raise ValidationError(
            f"The folder {folder} does not exist. Nothing was written.", field="out"
        )
    try:
        return write_bytes_atomic(target, data, replace=force)
    except FileExistsError:
        raise ValidationError(
            f"{target} already exists. Nothing was written: choose another name.", field="out"
        ) from None
    except OSError as exc:
        raise ValidationError(
            f"Cannot write {target}: {exc.strerror or exc}. Nothing was written.", field="out"
        ) from None
