"""MA Desk's benchmark suite: the speed of every daily task against its floor.

Run ``.venv/bin/python -m benchmarks --help``. Each task measures the app's
own code path and, in the same run, the same work done by the bare library
underneath (the *floor*), so that the ratio holds on a noisy machine. Never
run by pytest; ``tests/test_benchmarks_smoke.py`` only checks the machinery.
"""
