"""Start-up: process start to the sign-in screen, and Enter to the main window, on the demo clinic.

In one run, each round starts fresh processes, interleaved so machine noise
hits all alike:

- the floor: bare Qt showing a dialog with two line edits (benchmarks.startup_floor);
- the venv app (``python -m ma_desk``) and the frozen app (``ma-desk-gui`` of the
  PyInstaller build, ``dist/ma-desk`` unless told otherwise), each twice: once to the
  sign-in screen's first paint, once through signing in as ``ma`` (after a pause
  standing for the typing) to the main window's first paint.

The app reports its own times through MA_DESK_STARTUP_PROBE (ma_desk/ui/startup_probe.py);
"sign-in screen" is measured from spawning the process, "main window" from pressing
Enter (inside the process: the password check, the window's build and its first
paint). The store key comes from a benchmark keyring, as from the OS keyring on a
workstation. The first round (the first start after a build or an update, page
cache as it was) is reported apart; the OS file cache is not dropped.

    .venv/bin/python -m benchmarks --only startup
    .venv/bin/python -m benchmarks.startup --runs 20 --frozen dist/ma-desk --typing 2
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import keyring_backend
from benchmarks.context import RunContext
from benchmarks.data import REPO, default_cache_dir
from benchmarks.harness import Result, Target, format_table

SIGN_IN_TARGET = Target(max_ratio=2.0)  # the sign-in screen within 2x the bare-Qt floor
MAIN_WINDOW_TARGET = Target(limit=0.5, stat="median")  # the main window within 0.5 s of Enter
DEFAULT_FROZEN = REPO / "dist" / "ma-desk"
FROZEN_ENV = "MA_DESK_BENCH_FROZEN"
DEMO_USER = "ma"
DEFAULT_TYPING = 2.0  # seconds between the sign-in screen and Enter: "ma", Tab, a password


@dataclass(frozen=True)
class Demo:
    """A demo clinic (``ma-desk demo``) whose key the benchmark keyring hands out."""

    data_dir: Path
    key_hex: str
    patients: int


def build_demo(workdir: Path, patients: int) -> Demo:
    """``ma-desk demo`` in this process, its key caught by the benchmark keyring."""
    import keyring

    from ma_desk.cli import main as ma_desk_main

    data_dir = workdir / "demo"
    previous = keyring.get_keyring()
    os.environ.pop(keyring_backend.KEY_ENV, None)
    keyring_backend.install()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            code = ma_desk_main(["demo", "--data-dir", str(data_dir), "--patients", str(patients)])
        key_hex = os.environ.pop(keyring_backend.KEY_ENV, "")
    finally:
        keyring.set_keyring(previous)
    if code != 0 or not key_hex:
        raise RuntimeError(f"ma-desk demo failed ({code}) or left no key in the keyring")
    return Demo(data_dir, key_hex, patients)


def keyring_config(workdir: Path) -> Path:
    """An XDG config folder whose keyringrc.cfg selects the benchmark keyring.

    A config file, not PYTHON_KEYRING_BACKEND: its ``keyring-path`` lets the frozen
    app (which ignores PYTHONPATH) import the backend from this checkout too.
    """
    config = workdir / "config"
    (config / "python_keyring").mkdir(parents=True, exist_ok=True)
    (config / "python_keyring" / "keyringrc.cfg").write_text(
        f"[backend]\ndefault-keyring = {keyring_backend.BACKEND_PATH}\nkeyring-path = {REPO}\n",
        encoding="utf-8",
    )
    return config


def child_env(demo: Demo, workdir: Path, pycache: Path, typing: float) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("PYTHON_KEYRING_BACKEND", "PYTHONDONTWRITEBYTECODE", "MA_DESK_PASSPHRASE",
                 "MA_DESK_RECOVERY_KEY", "MA_DESK_DATA_DIR", "MA_DESK_DATABASE_URL"):  # fmt: skip
        env.pop(name, None)
    from ma_desk.security.demo_accounts import DEMO_PASSWORD

    env.update({
        "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(keyring_config(workdir)),
        keyring_backend.KEY_ENV: demo.key_hex, "MA_DESK_STATE_DIR": str(workdir / "state"),
        "MA_DESK_USER": DEMO_USER, "MA_DESK_PASSWORD": DEMO_PASSWORD,
        "MA_DESK_STARTUP_PROBE_TYPING": str(typing),
        # bytecode kept between runs, as an installed venv keeps it
        "PYTHONPYCACHEPREFIX": str(pycache),
    })  # fmt: skip
    return env


def spawn(command: list[str], env: dict[str, str], probe: str | None = None) -> dict[str, float]:
    """One fresh process; its probe's marks, plus ``start`` (just before spawning)."""
    env = dict(env)
    if probe:
        env["MA_DESK_STARTUP_PROBE"] = probe
    started = time.monotonic()
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(
            f"{Path(command[0]).name} {probe or ''} failed ({proc.returncode}): {last}"
        )
    marks = json.loads(lines[-1])
    if probe == "main-window" and "main_paint" not in marks:
        raise RuntimeError(f"{Path(command[0]).name}: the demo user's sign-in was refused")
    marks["start"] = started
    return marks


@dataclass
class Series:
    """The marks of every run of one program, the first run kept apart."""

    name: str
    command: list[str]
    sign_in: list[dict[str, float]]
    main_window: list[dict[str, float]]


def programs(frozen: Path | None) -> dict[str, list[str]]:
    """The programs to time, by name; the frozen one only where a build is there."""
    found = {"venv": [sys.executable, "-m", "ma_desk"]}
    if frozen is not None and (frozen / "ma-desk-gui").exists():
        found["frozen"] = [str(frozen / "ma-desk-gui")]
    return found


def run_rounds(demo: Demo, env: dict[str, str], frozen: Path | None, rounds: int,
               log) -> tuple[list[dict[str, float]], list[Series]]:  # fmt: skip
    """``rounds`` + 1 rounds (the first is the first run); floor and apps interleaved."""
    floor: list[dict[str, float]] = []
    series = [Series(name, command + ["--data-dir", str(demo.data_dir)], [], [])
              for name, command in programs(frozen).items()]  # fmt: skip
    for number in range(rounds + 1):
        floor.append(spawn([sys.executable, "-m", "benchmarks.startup_floor"], env))
        for s in series:
            s.sign_in.append(spawn(s.command, env, "sign-in"))
            s.main_window.append(spawn(s.command, env, "main-window"))
        log(f"    start-up round {number}/{rounds} done")
    return floor, series


def to_sign_in(marks: dict[str, float]) -> float:
    return marks["sign_in_paint"] - marks["start"]


def enter_to_main(marks: dict[str, float]) -> float:
    return marks["main_paint"] - marks["enter"]


def cpu_times(runs: list[dict[str, float]], at: str, since: str = "") -> list[float]:
    """The process's CPU time (user + system) at mark ``at``, less that at ``since``; none
    where a run did not report it (a build older than the CPU marks)."""
    return [m[at] - m.get(since, 0.0) for m in runs if at in m and (not since or since in m)]


def results(demo: Demo, floor: list[dict], series: list[Series], frozen: Path | None,
            typing: float) -> list[Result]:  # fmt: skip
    size = f"demo ({demo.patients} pts)"
    floor_s = [to_sign_in(m) for m in floor[1:]]
    load = " ".join(f"{n:.1f}" for n in os.getloadavg())
    rows = [Result("start-up: bare Qt dialog (floor)", size, floor_s,
                   cpu_samples=cpu_times(floor[1:], "sign_in_cpu"),
                   note=f"load average at the end {load}")]  # fmt: skip
    for s in series:
        check = [m["signed_in"] - m["enter"] for m in s.main_window[1:]]
        check_ms = sorted(check)[len(check) // 2] * 1000
        ready = [m["store_ready"] - m["sign_in_paint"] for m in s.main_window[1:]
                 if "store_ready" in m]  # fmt: skip
        ready_note = (
            f"; store ready {sorted(ready)[len(ready) // 2]:.2f} s after the sign-in"
            if ready
            else ""
        )
        rows += [
            Result(f"start-up: sign-in screen, {s.name}", size,
                   [to_sign_in(m) for m in s.sign_in[1:]], floor_s, target=SIGN_IN_TARGET,
                   cpu_samples=cpu_times(s.sign_in[1:], "sign_in_cpu")),
            Result(f"start-up: Enter to main window, {s.name}", size,
                   [enter_to_main(m) for m in s.main_window[1:]], target=MAIN_WINDOW_TARGET,
                   cpu_samples=cpu_times(s.main_window[1:], "main_cpu", "enter_cpu"),
                   note=f"password check {check_ms:.0f} ms; typing {typing:g} s{ready_note}"),
            Result(f"start-up: first run, sign-in screen, {s.name}", size,
                   [to_sign_in(s.sign_in[0])], [to_sign_in(floor[0])]),
            Result(f"start-up: first run, Enter to main window, {s.name}", size,
                   [enter_to_main(s.main_window[0])]),
        ]  # fmt: skip
    if not any(s.name == "frozen" for s in series):
        where = frozen or DEFAULT_FROZEN
        rows.append(Result("start-up: frozen app", size,
                           skipped=f"no build at {where} (pyinstaller build_installer.spec)"))  # fmt: skip
    return rows


def measure(workdir: Path, pycache: Path, *, rounds: int, patients: int, frozen: Path | None,
            typing: float, log) -> list[Result]:  # fmt: skip
    demo = build_demo(workdir, patients)
    env = child_env(demo, workdir, pycache, typing)
    floor, series = run_rounds(demo, env, frozen, rounds, log)
    return results(demo, floor, series, frozen, typing)


def frozen_from_env() -> Path | None:
    where = os.environ.get(FROZEN_ENV)
    return Path(where) if where else DEFAULT_FROZEN


def run(ctx: RunContext) -> list[Result]:
    """The task of ``python -m benchmarks``: the demo's default size, every clinic size alike."""
    patients = 300 if ctx.reps_override is not None else 2000
    return measure(ctx.workdir, ctx.cache_dir / "pycache", rounds=ctx.reps(10, 3),
                   patients=patients, frozen=frozen_from_env(), typing=DEFAULT_TYPING,
                   log=ctx.log)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    from benchmarks.machine import describe, format_machine

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.startup", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--runs", type=int, default=10, help="counted runs of each (default 10)")
    parser.add_argument(
        "--patients", type=int, default=2000, help="demo clinic size (default 2000)"
    )
    parser.add_argument(
        "--frozen",
        type=Path,
        default=frozen_from_env(),
        help=f"the PyInstaller build folder (default ${FROZEN_ENV} or dist/ma-desk)",
    )
    parser.add_argument(
        "--typing",
        type=float,
        default=DEFAULT_TYPING,
        help="seconds from the sign-in screen to Enter (default %(default)s)",
    )
    parser.add_argument(
        "--markdown", type=Path, metavar="FILE", help="also write the table as Markdown"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ma-desk-bench-startup-") as tmp:
        rows = measure(Path(tmp), default_cache_dir() / "pycache", rounds=args.runs, patients=args.patients,
                       frozen=args.frozen, typing=args.typing,
                       log=lambda msg: print(msg, file=sys.stderr, flush=True))  # fmt: skip
    machine = format_machine(describe())
    print(machine, "", format_table(rows), sep="\n")
    if args.markdown:
        args.markdown.write_text(f"{format_machine(describe(), markdown=True)}\n\n"
                                 f"{format_table(rows, markdown=True)}\n", encoding="utf-8")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
