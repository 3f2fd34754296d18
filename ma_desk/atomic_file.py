"""Writing a file so that readers see the old or the new version, never half of one.

A private temp file beside the target (owner-only before any byte is written),
fsync, then an atomic rename; on any failure the temp file is removed, so no
partial copy of patient data is left behind. Used for exports, reports, the
iCalendar file, the key description and the audit witness.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes, *, durable: bool = True) -> Path:
    """``durable=False`` skips the fsync, for small files that may lag but never tear."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".ma-desk-", suffix=".part", dir=target.parent)
    try:
        os.chmod(tmp, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return target


def write_text_atomic(
    path: str | os.PathLike[str], text: str, encoding: str = "utf-8", *, durable: bool = True
) -> Path:
    return write_bytes_atomic(path, text.encode(encoding), durable=durable)
