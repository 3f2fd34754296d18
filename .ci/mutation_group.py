"""Prepare one mutation group's scratch copy: its modules, only its rule tests.

mutmut reads ``[tool.mutmut]`` from the working folder, and every test in that selection
that touches a function reruns for each of its mutants: the audit trail is touched by
nearly every test. So each group (``[tool.mutation_groups]`` in pyproject.toml) runs in
its own copy under .mutation/GROUP with ``[tool.mutmut]`` narrowed to that group.
"""

from __future__ import annotations

import re
import shutil
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("ma_desk", "tests", "resources")


def groups() -> dict[str, dict[str, list[str]]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return config["tool"]["mutation_groups"]


def mutmut_section(group: dict[str, list[str]]) -> str:
    def listed(items: list[str]) -> str:
        return "[" + ", ".join(f'"{item}"' for item in items) + "]"

    excluded = (
        "not never_crashes and not give_consistent_limits and not round_trip_shows"
        " and not postgresql"  # the rules do not depend on the store kind
    )
    for name in group.get("exclude", []):  # a group's slow or Qt tests that state no rule
        excluded += f" and not {name}"
    return (
        "[tool.mutmut]\n"
        'source_paths = ["ma_desk"]\n'
        f"only_mutate = {listed(group['mutate'])}\n"
        f"pytest_add_cli_args_test_selection = {listed(group['tests'])}\n"
        'also_copy = ["resources"]\n'
        f'pytest_add_cli_args = ["-p", "no:cacheprovider", "-k", "{excluded}"]\n'
    )


def prepare(name: str, work: Path) -> None:
    """Refresh ``work`` from the tree (keeping its mutants/ results) with ``name``'s config."""
    group = groups()[name]
    work.mkdir(parents=True, exist_ok=True)
    for folder in COPIED:
        shutil.rmtree(work / folder, ignore_errors=True)
        shutil.copytree(ROOT / folder, work / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))  # fmt: skip
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    pyproject = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", "", pyproject)
    pyproject = re.sub(r"(?ms)^\[tool\.mutation_groups[^\n]*\n.*?(?=^\[|\Z)", "", pyproject)
    (work / "pyproject.toml").write_text(pyproject + "\n" + mutmut_section(group), "utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--list"]:
        print(" ".join(groups()))
    else:
        prepare(sys.argv[1], Path(sys.argv[2]))
