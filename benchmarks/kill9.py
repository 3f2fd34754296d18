"""kill -9 at random moments while MA Desk writes, backs up or restores; then reopen and count.

    .venv/bin/python -m benchmarks.kill9 --runs 500                  # writes
    .venv/bin/python -m benchmarks.kill9 --runs 100 --mode backup    # a write, then a backup, ...
    .venv/bin/python -m benchmarks.kill9 --runs 100 --mode restore   # restores of one backup

Each run starts a child process (``--child MODE DATA_DIR``) that opens the
store with ``open_store`` and works through the real services: in ``write``
mode it registers patients (one transaction each: the patient and its audit
entry) and prints each patient's id only after the commit returned, so every
printed id is an acknowledged commit. The parent waits for the first line,
then sends SIGKILL after a random delay and reopens the store like the app
does (``open_store``: file checks, structure, audit witness), then counts:

- lost: acknowledged ids missing from the store (must be 0);
- half-written: patients without their audit entry, or the reverse (must be 0);
- integrity failures: ``PRAGMA integrity_check`` or ``cipher_integrity_check``;
- witness problems and read-only opens (records the witness says are gone).

``backup`` mode alternates a registration with a backup into ``backups/``
(leftover ``.partial`` files are counted and removed, as the scheduled backup
would do). ``restore`` mode restores one checked backup again and again; a
kill between moving the live store aside and putting the copy in its place
leaves no ``clinic.madesk`` (counted as "store set aside"; the parent puts it
back, as support would); a kill after the swap but before the audit witness
is reset to the restored chain makes the next open read-only (the witness
remembers the replaced store's newest entry): counted as "witness behind
restore", a false alarm that the next restore clears, not lost data. One
store is used for all runs of a mode, so it lives through every crash. Not run by pytest (a few runs are, in
``tests/test_attack_faults.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

PASSPHRASE = "kill nine benchmark passphrase"
MODES = ("write", "backup", "restore")
READY = "ready"


# ------------------------------------------------------------------ the child
def child(mode: str, data_dir: Path) -> None:
    """Work until killed, printing one line per acknowledged step."""
    from ma_desk.actor import Actor
    from ma_desk.db.store import open_store
    from ma_desk.services import Services

    opened = open_store(data_dir, passphrase=PASSPHRASE)
    services = Services(opened.db, actor=Actor.system())
    _say(READY)
    if mode == "restore":
        opened.db.close()
        _restore_forever(data_dir)
    for number in range(1, 10**9):
        _say(str(_register(services, number)))
        if mode == "backup":
            _backup(opened, number)


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _register(services, number: int) -> int:
    from ma_desk.services.patients import PatientInput

    data = PatientInput(first_name=f"Kay{number}", last_name=f"Nine{os.getpid()}",
                        dob="01/02/1980", phone="(555) 201-0100")  # fmt: skip
    return services.patients.register(data, duplicate_override=True).id


def _backup(opened, number: int) -> None:
    from ma_desk.backup import backup_dir, backup_store

    folder = backup_dir(opened.data_dir)
    folder.mkdir(exist_ok=True)
    backup_store(opened.db, folder / f"kill9-{os.getpid()}-{number}.madesk")
    _say(f"backup {number}")


def _restore_forever(data_dir: Path) -> None:
    from ma_desk.actor import Actor
    from ma_desk.backup import install_verified, verify_backup_copy
    from ma_desk.db import keys

    info = keys.read_keyinfo(data_dir)
    key = keys.find_key(data_dir, info, passphrase=PASSPHRASE)
    source = data_dir.parent / "restore-source.madesk"
    for number in range(1, 10**9):
        verified = verify_backup_copy(source, data_dir, [key])
        install_verified(verified, data_dir, live_key=key, actor=Actor.system(),
                         restored_from=source, now=dt.datetime.now())  # fmt: skip
        _say(f"restore {number}")


# ------------------------------------------------------------------ the parent
@dataclass
class Totals:
    mode: str
    runs: int = 0
    acknowledged: int = 0
    lost: int = 0
    half_written: int = 0
    integrity_failures: int = 0
    witness_problems: int = 0
    read_only_opens: int = 0
    witness_behind_restore: int = 0  # killed after the swap, before the witness was reset
    store_set_aside: int = 0
    leftovers_removed: int = 0
    killed_before_first_ack: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.lost or self.half_written or self.integrity_failures
                    or self.witness_problems or self.read_only_opens or self.failures)  # fmt: skip


def prepare(work: Path, mode: str) -> Path:
    """A new store in ``work/clinic`` (and, for restores, the backup to restore)."""
    from ma_desk.actor import Actor
    from ma_desk.backup import backup_store
    from ma_desk.db.store import create_store
    from ma_desk.services import Services

    data_dir = work / "clinic"
    opened = create_store(data_dir, passphrase=PASSPHRASE)
    try:
        services = Services(opened.db, actor=Actor.system())
        for number in range(20):
            _register(services, number)
        if mode == "restore":
            backup_store(opened.db, work / "restore-source.madesk")
    finally:
        opened.db.close()
    return data_dir


def one_run(data_dir: Path, mode: str, rng: random.Random, max_delay: float,
            acknowledged: set[int], totals: Totals) -> None:  # fmt: skip
    """Start the child, kill it at a random moment, reopen and count."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.kill9", "--child", mode, str(data_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_child_env(data_dir),
    )  # fmt: skip
    first_ack = ""
    try:
        started = proc.stdout.readline().strip() == READY
        if started:
            first_ack = proc.stdout.readline()
            time.sleep(rng.uniform(0, max_delay))  # the random moment is the experiment
    finally:
        proc.send_signal(signal.SIGKILL)
        rest, err = proc.communicate(timeout=60)
    if not started:
        raise RuntimeError(f"the child did not start: {err.strip()[-300:]}")
    lines = [first_ack, *rest.splitlines(keepends=True)]
    acked = [int(x) for x in (ln.strip() for ln in lines if ln.endswith("\n")) if x.isdigit()]
    if not lines[0].endswith("\n"):
        totals.killed_before_first_ack += 1
    acknowledged.update(acked)
    totals.acknowledged += len(acked)
    totals.runs += 1
    _tidy(data_dir, totals)
    check_store(data_dir, acknowledged, totals)


def _child_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    env["MA_DESK_STATE_DIR"] = str(data_dir.parent / "state")
    env.pop("MA_DESK_PASSPHRASE", None)
    return env


def _tidy(data_dir: Path, totals: Totals) -> None:
    """What support (or the next scheduled backup) does after a crash: put a store set
    aside by an interrupted restore back, remove partial copies."""
    live = data_dir / "clinic.madesk"
    if not live.exists():
        totals.store_set_aside += 1
        newest = max(data_dir.glob("clinic.madesk.replaced-*"), key=os.path.getmtime)
        os.replace(newest, live)
    leftovers = [*data_dir.glob(".restore-*"), *(data_dir / "backups").glob("*.partial")]
    for path in leftovers:
        path.unlink(missing_ok=True)
    totals.leftovers_removed += len(leftovers)


def check_store(data_dir: Path, acknowledged: set[int], totals: Totals) -> None:
    """Reopen like the app and count what a crash may have broken."""
    from ma_desk.db.store import open_store

    with _state_dir(data_dir):
        opened = open_store(data_dir, passphrase=PASSPHRASE)
    try:
        if totals.mode == "restore" and opened.witness_problems and not opened.damage:
            totals.witness_behind_restore += 1  # a false alarm, not lost data: see the docstring
        else:
            totals.read_only_opens += opened.db.read_only
            totals.witness_problems += len(opened.witness_problems)
        with opened.db.engine.connect() as conn:
            integrity = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
            bad_pages = conn.exec_driver_sql("PRAGMA cipher_integrity_check").fetchall()
            present = {row[0] for row in conn.exec_driver_sql("SELECT id FROM patients")}
            half = conn.exec_driver_sql(HALF_WRITTEN_SQL).scalar()
    finally:
        opened.db.close()
    totals.integrity_failures += integrity != "ok" or bool(bad_pages)
    totals.lost += len(acknowledged - present)
    totals.half_written += half


HALF_WRITTEN_SQL = """
SELECT (SELECT count(*) FROM patients p WHERE NOT EXISTS (
            SELECT 1 FROM audit_events a
            WHERE a.action = 'create' AND a.entity = 'patient' AND a.patient_id = p.id))
     + (SELECT count(*) FROM audit_events a
        WHERE a.action = 'create' AND a.entity = 'patient'
          AND NOT EXISTS (SELECT 1 FROM patients p WHERE p.id = a.patient_id))
"""


@contextlib.contextmanager
def _state_dir(data_dir: Path):
    """The parent reads the same shadow witness as the child."""
    previous = os.environ.get("MA_DESK_STATE_DIR")
    os.environ["MA_DESK_STATE_DIR"] = str(data_dir.parent / "state")
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("MA_DESK_STATE_DIR", None)
        else:
            os.environ["MA_DESK_STATE_DIR"] = previous


def run_kill9(runs: int, *, mode: str = "write", seed: int = 1, max_delay: float = 0.4,
              work: Path | None = None, progress=None) -> Totals:  # fmt: skip
    """``runs`` kills in ``mode``; the store lives in ``work`` (a temporary folder if None)."""
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    totals = Totals(mode)
    rng = random.Random(seed)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ma-desk-kill9-") as tmp:
        folder = work or Path(tmp)
        with _state_dir(folder / "clinic"):
            data_dir = prepare(folder, mode)
        acknowledged: set[int] = set()
        for number in range(1, runs + 1):
            try:
                one_run(data_dir, mode, rng, max_delay, acknowledged, totals)
            except Exception as exc:  # counted and shown: a run that could not even reopen
                totals.failures.append(f"run {number}: {type(exc).__name__}: {exc}")
            if progress is not None:
                progress(number, totals)
    totals.seconds = time.perf_counter() - started
    return totals


def _progress(number: int, totals: Totals) -> None:
    if number % 25 == 0:
        _say(f"  {number} runs, {totals.acknowledged} acknowledged, lost {totals.lost}, "
             f"half-written {totals.half_written}, integrity failures "
             f"{totals.integrity_failures}, failures {len(totals.failures)}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.kill9", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--mode", choices=MODES, default="write")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-delay", type=float, default=0.4, metavar="SECONDS",
                        help="kill within this long after the first acknowledged step")  # fmt: skip
    parser.add_argument("--json", metavar="FILE", help="also write the totals as JSON")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "DATA_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return 0
    _say(f"kill -9 benchmark: {args.runs} runs, mode {args.mode}, seed {args.seed}")
    totals = run_kill9(args.runs, mode=args.mode, seed=args.seed, max_delay=args.max_delay,
                       progress=_progress)  # fmt: skip
    report = asdict(totals)
    for name, value in report.items():
        if name != "failures":
            _say(f"{name:>24}: {value if not isinstance(value, float) else f'{value:.0f} s'}")
    for failure in totals.failures[:20]:
        _say(f"  {failure}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0 if totals.clean else 1


if __name__ == "__main__":
    sys.exit(main())
