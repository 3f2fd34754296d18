"""What the numbers were measured on: CPU, cores, RAM, Python and library versions."""

from __future__ import annotations

import os
import platform
from pathlib import Path

from benchmarks.qt import void_call_leaks_none


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gb() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
    except OSError:
        pass
    return "unknown"


def _sqlcipher_versions() -> tuple[str, str]:
    import sqlcipher3

    conn = sqlcipher3.connect(":memory:")
    try:
        conn.execute("PRAGMA key = 'version-probe'")
        cipher = conn.execute("PRAGMA cipher_version").fetchone()[0]
        sqlite = conn.execute("SELECT sqlite_version()").fetchone()[0]
    finally:
        conn.close()
    return cipher, sqlite


def describe() -> dict[str, str]:
    import PySide6
    import reportlab
    import sqlalchemy
    from PySide6.QtCore import qVersion

    cipher, sqlite = _sqlcipher_versions()
    return {
        "CPU": _cpu_model(),
        "cores": str(os.cpu_count()),
        "RAM": _ram_gb(),
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "SQLCipher": f"{cipher} (SQLite {sqlite})",
        "Qt": f"{qVersion()} (PySide6 {PySide6.__version__})",
        "SQLAlchemy": sqlalchemy.__version__,
        "ReportLab": reportlab.Version,
        "PySide6 None-ref leak": (
            "YES - long sessions abort (none_dealloc)" if void_call_leaks_none() else "no"
        ),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def format_machine(info: dict[str, str], *, markdown: bool = False) -> str:
    if markdown:
        return "\n".join(f"- {k}: {v}" for k, v in info.items())
    return "\n".join(f"{k:>22}: {v}" for k, v in info.items())
