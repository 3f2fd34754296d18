"""``python -m benchmarks``: build (or reuse) the synthetic clinics, run the tasks, print the table.

Examples::

    .venv/bin/python -m benchmarks                 # small + large clinic, every task
    .venv/bin/python -m benchmarks --quick         # fewer repetitions
    .venv/bin/python -m benchmarks --size small --only search --only store_open
    .venv/bin/python -m benchmarks --scaling       # also search + end-of-day at 10k and 1M
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
for _name in ("MA_DESK_PASSPHRASE", "MA_DESK_RECOVERY_KEY", "MA_DESK_DATA_DIR"):
    os.environ.pop(_name, None)

from benchmarks import data, tasks  # noqa: E402
from benchmarks.context import NotAvailable, RunContext  # noqa: E402
from benchmarks.harness import Result, format_table  # noqa: E402
from benchmarks.machine import describe, format_machine  # noqa: E402
from benchmarks.qt import shutdown  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="MA Desk benchmarks: every daily task against its floor, in one table.",
    )
    parser.add_argument("--size", action="append", choices=sorted(data.SIZES), metavar="SIZE",
                        help="clinic size (repeatable): " + ", ".join(
                            f"{s.name} = {s.label}" for s in data.SIZES.values())
                        + "; default small and large")  # fmt: skip
    parser.add_argument("--only", action="append", choices=list(tasks.TASKS), metavar="TASK",
                        help="run only this task (repeatable): " + ", ".join(tasks.TASKS))  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (noisier)")
    parser.add_argument("--reps", type=int, help="force this many repetitions everywhere")
    parser.add_argument("--scaling", action="store_true",
                        help="also run search and end-of-day at 10k and 1M patients "
                        "(building the 1M clinic the first time takes 10-30 minutes and 1.2 GB of RAM)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic clinics")
    parser.add_argument("--cache-dir", type=Path, default=data.default_cache_dir(),
                        help="where built clinics are kept between runs (default %(default)s)")  # fmt: skip
    parser.add_argument("--rebuild", action="store_true",
                        help="build the clinics afresh instead of reusing the cached ones")  # fmt: skip
    parser.add_argument("--markdown", type=Path, metavar="FILE",
                        help="also write the table as Markdown to FILE")  # fmt: skip
    parser.add_argument("--list", action="store_true", help="list the tasks and exit")
    return parser


def run_task(name: str, ctx: RunContext) -> list[Result]:
    try:
        return tasks.load(name).run(ctx)
    except NotAvailable as exc:
        return [Result(name.replace("_", " "), ", ".join(s.name for s in ctx.sizes),
                       skipped=f"not available yet: {exc}")]  # fmt: skip
    except Exception as exc:  # one broken task must not hide the others' numbers
        traceback.print_exc()
        return [Result(name.replace("_", " "), ", ".join(s.name for s in ctx.sizes),
                       skipped=f"error: {type(exc).__name__}: {' '.join(str(exc).split())[:160]}")]  # fmt: skip


def run(args: argparse.Namespace, log=print) -> list[Result]:
    names = args.only or list(tasks.TASKS)
    sizes = [data.SIZES[n] for n in (args.size or ["small", "large"])]
    results: list[Result] = []
    ctx = RunContext(sizes, seed=args.seed, quick=args.quick, reps_override=args.reps,
                     cache_dir=args.cache_dir, log=log, rebuild=args.rebuild)  # fmt: skip
    try:
        for name in names:
            started = time.perf_counter()
            log(f"[{time.strftime('%H:%M:%S')}] {name} ...")
            results += run_task(name, ctx)
            log(f"    {name} took {time.perf_counter() - started:.0f} s")
        if args.scaling:
            scaling = [data.SIZES[n] for n in ("10k", "large", "1m")]
            sctx = RunContext(scaling, seed=args.seed, quick=args.quick, reps_override=args.reps,
                              cache_dir=args.cache_dir, log=log, rebuild=args.rebuild)  # fmt: skip
            sctx._clinics = ctx._clinics
            try:
                for name in tasks.SCALING_TASKS:
                    if name in names:
                        log(f"[{time.strftime('%H:%M:%S')}] scaling: {name} ...")
                        for r in run_task(name, sctx):
                            r.task = f"scaling: {r.task}"
                            results.append(r)
            finally:
                sctx.cleanup()
    finally:
        ctx.cleanup()
    return results


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.list:
        for name, (_module, what) in tasks.TASKS.items():
            print(f"{name:<14} {what}")
        return 0
    machine = describe()
    started = time.strftime("%Y-%m-%d %H:%M")
    results = run(args, log=lambda msg: print(msg, file=sys.stderr, flush=True))
    print(format_machine(machine))
    print()
    print(format_table(results))
    if args.markdown:
        command = "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:])
        args.markdown.write_text(
            f"Run of `{command.strip()}` started {started}.\n\n"
            f"{format_machine(machine, markdown=True)}\n\n"
            f"{format_table(results, markdown=True)}\n",
            encoding="utf-8",
        )
    shutdown()
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # PySide6 can crash while the interpreter tears down Qt objects left by the UI tasks
    # (after everything is printed and written); leave without that teardown.
    os._exit(code)
