"""No NUL character reaches the store, on either engine.

PostgreSQL cannot keep a NUL (U+0000) in text at all, and SQLite would keep it
where nothing can show it; a pasted NUL is garbage either way. Every text
value of a record being saved is checked before the flush, so both stores
refuse it the same way: a clear message naming the field, nothing written.
"""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from ma_desk.errors import ValidationError


def refuse_nul_text(session: Session, _context: object, _instances: object) -> None:
    for obj in (*session.new, *session.dirty):
        state = inspect(obj)
        for attr in state.mapper.column_attrs:
            value = getattr(obj, attr.key, None)
            if isinstance(value, str) and "\x00" in value:
                label = attr.key.replace("_", " ")
                raise ValidationError(
                    f"The {label} contains an invisible NUL character (pasted from another "
                    "program?). Type it again; nothing was saved.",
                    field=attr.key,
                )
