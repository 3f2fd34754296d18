"""The screens reach the store only through the services (STYLE.md, issue 17 item 5).

A widget that held ``services.ctx.db`` could query or write around the
permission checks and the audit trail; what the UI needs of the store (is it
read-only and why, server mode, backups) the services hand out instead
(``services.store``, ``services.backups``). This scan fails on any module
under ma_desk/ui/ that names ``.ctx.db``, however it is spelt, and on a
widget whose ``services`` parameter is not typed as the ``Services``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ma_desk.ui

UI_ROOT = Path(ma_desk.ui.__file__).parent


def _store_reaches(source: str) -> list[int]:
    """The line of each ``<anything>.ctx.db`` and ``getattr(<anything>.ctx, "db")``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        through_attribute = (
            isinstance(node, ast.Attribute)
            and node.attr == "db"
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "ctx"
        )
        through_getattr = (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and isinstance(node.args[0], ast.Attribute)
            and node.args[0].attr == "ctx"
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value == "db"
        )
        if through_attribute or through_getattr:
            found.append(node.lineno)
    return sorted(found)


def test_no_screen_reaches_into_the_services_store():
    paths = sorted(UI_ROOT.rglob("*.py"))
    assert len(paths) > 50  # the scan reads the real package
    found = [f"{path.relative_to(UI_ROOT)}:{line}" for path in paths
             for line in _store_reaches(path.read_text(encoding="utf-8"))]  # fmt: skip
    assert found == [], "ask the services (services.store, a service method) instead"


def test_the_scan_finds_each_spelling():
    """The scan itself must not pass by finding nothing."""
    sample = (
        "def f(services, self):\n"
        "    a = services.ctx.db\n"
        "    b = self.services.ctx.db.kind\n"
        "    c = getattr(services.ctx, 'db')\n"
        "    d = services.ctx.clock.now()\n"
        "    e = services.store.read_only\n"
        "    f = services.db\n"
    )
    assert _store_reaches(sample) == [2, 3, 4]


def _context_reaches(source: str) -> list[int]:
    """The line of each ``<anything>.ctx``: the services' shared internals."""
    return sorted({node.lineno for node in ast.walk(ast.parse(source))
                   if isinstance(node, ast.Attribute) and node.attr == "ctx"})  # fmt: skip


# The status bar's clock (MainWindow.update_status) is being reworded in parallel
# (s4-squeeze); it moves to services.now() at that merge, and this entry goes.


def test_no_screen_reaches_into_the_services_internals():
    """The clock too: a screen's "now" is ``services.now()``, the services' own clock."""
    found: dict[str, list[str]] = {}
    for path in sorted(UI_ROOT.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        hits = [lines[n - 1].strip() for n in _context_reaches(source)]
        if hits:
            found[str(path.relative_to(UI_ROOT))] = hits
    assert found == {}


def test_the_internals_scan_finds_each_reach():
    sample = "a = services.ctx.clock.now()\nb = services.now()\nctx = 1\nc = self.services.ctx\n"
    assert _context_reaches(sample) == [1, 4]


def _untyped_services(source: str) -> list[int]:
    """The line of each function whose ``services`` parameter has no ``Services`` type."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args
            for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
                typed = arg.annotation is not None and "Services" in ast.unparse(arg.annotation)
                if arg.arg == "services" and not typed:
                    found.append(node.lineno)
    return sorted(found)


def test_every_widget_says_its_services_are_the_services():
    """Typed, a widget's calls on ``services`` are checked by mypy and found by an editor.

    The annotations name ``Services`` under TYPE_CHECKING only, so the sign-in screen
    still shows before the services are imported (tests/test_startup_sign_in_first.py).
    """
    found = [f"{path.relative_to(UI_ROOT)}:{line}" for path in sorted(UI_ROOT.rglob("*.py"))
             for line in _untyped_services(path.read_text(encoding="utf-8"))]  # fmt: skip
    assert found == []


def test_the_type_scan_finds_an_untyped_services():
    sample = (
        "def a(services): ...\n"
        "def b(services: Services): ...\n"
        "def c(window, services=None): ...\n"
        "def d(services: Services | None = None): ...\n"
        "async def e(*, services, parent=None): ...\n"
    )
    assert _untyped_services(sample) == [1, 3, 5]
