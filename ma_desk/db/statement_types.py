"""Type names for SQLAlchemy statements and rows whose columns vary (for mypy only).

SQLAlchemy 2.1 types a ``Select`` by its column types; helpers that build
statements of several shapes return ``AnySelect``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import TypeAlias

    from sqlalchemy import Row, Select

    AnySelect: TypeAlias = Select[*tuple[Any, ...]]
    AnyRow: TypeAlias = Row[*tuple[Any, ...]]
