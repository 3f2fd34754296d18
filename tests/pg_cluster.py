"""A throwaway PostgreSQL server for the tests: initdb, pg_ctl start on a free port, stop.

Uses the Debian package's binaries (``pg_config --bindir``). PostgreSQL refuses
to run as root, so when the tests run as root the server runs as the
``postgres`` user (``runuser``), in a temporary folder that user owns. The
server listens on a Unix socket in that folder and on 127.0.0.1 with TLS and
SCRAM-SHA-256 (a CA and a server certificate made here), like a clinic's.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

SUPERUSER = "postgres"
SUPERUSER_PASSWORD = "cluster superuser 7431 maple"


class ClusterUnavailable(RuntimeError):
    """PostgreSQL's server binaries are not installed here."""


def bindir() -> Path:
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                             check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ClusterUnavailable("pg_config is not installed (Debian: postgresql)") from exc
    path = Path(out)
    if not (path / "initdb").exists():
        raise ClusterUnavailable(f"{path} has no initdb (Debian: postgresql)")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    root: Path
    port: int
    ca_file: Path
    _runas: list[str]
    _bin: Path

    @property
    def socket_dir(self) -> Path:
        return self.root

    def url(self, database: str = "postgres", user: str = SUPERUSER, password: str | None = None,
            *, tls: bool = False) -> str:  # fmt: skip
        """A SQLAlchemy URL: the Unix socket, or 127.0.0.1 over verified TLS."""
        secret = f":{quote(password, safe='')}" if password else ""
        if tls:
            return (f"postgresql+psycopg://{user}{secret}@127.0.0.1:{self.port}/{database}"
                    f"?sslmode=verify-full&sslrootcert={self.ca_file}")  # fmt: skip
        return f"postgresql+psycopg://{user}{secret}@/{database}?host={self.root}&port={self.port}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = subprocess.run(
            [*self._runas, str(self._bin / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-A",
             "-t", "-h", str(self.root), "-p", str(self.port), "-U", SUPERUSER, "-d", database,
             "-c", sql],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout

    def stop(self) -> None:
        subprocess.run([*self._runas, str(self._bin / "pg_ctl"), "-D", str(self.root / "data"),
                        "-m", "immediate", "stop"], capture_output=True, check=False)  # fmt: skip

    def start(self) -> None:
        log = self.root / "pg.log"
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c full_page_writes=off -c synchronous_commit=off")  # fmt: skip
        done = subprocess.run(
            [*self._runas, str(self._bin / "pg_ctl"), "-D", str(self.root / "data"), "-w",
             "-t", "60", "-l", str(log), "-o", options, "start"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"pg_ctl start failed: {done.stderr} {log.read_text()[-2000:]}")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def _make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A clinic's own CA and a server certificate for localhost / 127.0.0.1 (openssl CLI)."""
    ca_key, ca, key, csr, cert = (folder / n for n in ("ca.key", "ca.crt", "server.key",
                                                       "server.csr", "server.crt"))  # fmt: skip
    ext = folder / "san.ext"
    ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], capture_output=True, check=True)

    run(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "30",
        "-subj",
        "/CN=MA Desk test clinic CA",
        "-keyout",
        str(ca_key),
        "-out",
        str(ca),
    )
    run(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        str(key),
        "-out",
        str(csr),
    )
    run("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
        "-CAcreateserial", "-days", "30", "-extfile", str(ext), "-out", str(cert))  # fmt: skip
    return ca, cert, key


def start_cluster() -> Cluster:
    """A new, running cluster in a temporary folder (call ``remove()`` when done)."""
    bin_path = bindir()
    root = Path(tempfile.mkdtemp(prefix="ma-desk-pg-"))
    runas: list[str] = []
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        runas = ["runuser", "-u", "postgres", "--"]
    os.chmod(root, 0o700)
    certs = root / "certs"
    certs.mkdir()
    ca, cert, key = _make_certificates(certs)
    secret = root / "superuser.pw"
    secret.write_text(SUPERUSER_PASSWORD)
    if runas:
        for path in (certs, *certs.iterdir(), secret):
            os.chown(path, pw.pw_uid, pw.pw_gid)
    key.chmod(0o600)
    init = subprocess.run(
        [*runas, str(bin_path / "initdb"), "-D", str(root / "data"), "-U", SUPERUSER,
         "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={secret}",
         "-E", "UTF8", "--locale=C.UTF-8"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if init.returncode:
        raise RuntimeError(f"initdb failed: {init.stderr}")
    with open(root / "data" / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write(f"\nssl = on\nssl_cert_file = '{cert}'\nssl_key_file = '{key}'\n"
                   "password_encryption = 'scram-sha-256'\nmax_connections = 200\n")  # fmt: skip
    (root / "data" / "pg_hba.conf").write_text(
        "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n"
    )
    cluster = Cluster(root, free_port(), ca, runas, bin_path)
    for attempt in range(3):
        try:
            cluster.start()
            break
        except RuntimeError:
            if attempt == 2:
                raise
            cluster.port = free_port()
            time.sleep(0.5)
    return cluster


@contextlib.contextmanager
def running_cluster():
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.remove()
