"""What a task gets: the chosen sizes, repetition counts, clinics and a scratch folder."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import data


@dataclass
class RunContext:
    sizes: list[data.Size]
    seed: int = 1
    quick: bool = False
    reps_override: int | None = None  # the smoke test runs everything once
    rebuild: bool = False  # build each clinic afresh (once per run) instead of reusing it
    cache_dir: Path = field(default_factory=data.default_cache_dir)
    log: Callable[[str], None] = print
    _workdir: Path | None = None
    _clinics: dict[str, data.Clinic] = field(default_factory=dict)

    def reps(self, full: int, quick: int | None = None) -> int:
        if self.reps_override is not None:
            return self.reps_override
        return (quick if quick is not None else max(1, full // 5)) if self.quick else full

    def clinic(self, size: data.Size) -> data.Clinic:
        """The cached clinic of this size (read-only use)."""
        if size.name not in self._clinics:
            self._clinics[size.name] = data.cached_clinic(
                size, self.seed, self.cache_dir, self.log, rebuild=self.rebuild
            )
        return self._clinics[size.name]

    @property
    def workdir(self) -> Path:
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="ma-desk-bench-run-"))
        return self._workdir

    def writable_clinic(self, size: data.Size) -> data.Clinic:
        """A copy of the clinic that tasks may write to; removed when the run ends."""
        return data.working_copy(self.clinic(size), self.workdir)

    def cleanup(self) -> None:
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None


class NotAvailable(Exception):
    """The feature a task measures is not in the code yet; the task is skipped."""
