"""A PostgreSQL clinic server for the benchmarks: a throwaway cluster holding a built clinic.

The cluster is the tests' own (tests/pg_cluster.py: initdb and pg_ctl from the
Debian package, as the postgres user when root, TLS + SCRAM on 127.0.0.1),
restarted here with durable settings (fsync, synchronous_commit and full page
writes on, as a clinic's server runs), so a commit pays its flush to disk like
the SQLCipher store's synchronous=FULL. Each benchmark clinic is loaded into its
own database with ``migrate-to-server``'s code path (ma_desk/db/server_move.py),
which is itself timed.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

from benchmarks.data import NOW, Clinic

DURABLE_OPTIONS = "-c fsync=on -c synchronous_commit=on -c full_page_writes=on"


@dataclass
class LoadedClinic:
    """A benchmark clinic on the server: its URL and how long the move took."""

    url: str
    database: str
    rows: int
    move_seconds: float


def _restart_durable(cluster) -> None:
    """Stop the tests' fast (fsync=off) server and start it again durable."""
    cluster.stop()
    log = cluster.root / "pg.log"
    options = (f"-p {cluster.port} -k {cluster.root} -c listen_addresses=127.0.0.1 "
               f"{DURABLE_OPTIONS}")  # fmt: skip
    done = subprocess.run(
        [*cluster._runas, str(cluster._bin / "pg_ctl"), "-D", str(cluster.root / "data"), "-w",
         "-t", "60", "-l", str(log), "-o", options, "start"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"pg_ctl start failed: {done.stderr}")


@contextlib.contextmanager
def clinic_server() -> Iterator[object]:
    """A running, durable PostgreSQL cluster, removed at the end."""
    from tests.pg_cluster import start_cluster

    cluster = start_cluster()
    try:
        _restart_durable(cluster)
        yield cluster
    finally:
        cluster.remove()


def load_clinic(cluster, clinic: Clinic, log=print) -> LoadedClinic:
    """A new database initialised like ``ma-desk server init``, filled from the clinic's store."""
    from ma_desk.actor import Actor
    from ma_desk.db.engine import open_database
    from ma_desk.db.keys import StoreKey
    from ma_desk.db.migrate import upgrade
    from ma_desk.db.server import ServerDatabase, make_server_engine
    from ma_desk.db.server_move import READ_ONLY_REASON, migrate_to_server
    from ma_desk.db.server_setup import install_server_objects

    database = f"bench_{clinic.size.name}"
    cluster.psql(f"DROP DATABASE IF EXISTS {database}")
    cluster.psql(f"CREATE DATABASE {database}")
    url = cluster.url(database)
    engine = make_server_engine(url)
    with engine.begin() as conn:
        upgrade(conn)
        install_server_objects(conn)
    engine.dispose()
    key = StoreKey(bytes.fromhex(clinic.key_hex), "keyring")
    source = open_database(clinic.store_path, key, read_only_reason=READ_ONLY_REASON,
                           immutable=True)  # fmt: skip
    server = ServerDatabase(make_server_engine(url), url)
    log(f"moving the {clinic.size.display} clinic onto PostgreSQL ...")
    try:
        started = time.perf_counter()
        result = migrate_to_server(source, server, actor=Actor.system())
        seconds = time.perf_counter() - started
    finally:
        server.close()
        source.close()
    cluster.psql("VACUUM ANALYZE", database)
    rows = sum(result.counts.values())
    log(f"moved {rows:,} rows in {seconds:.0f} s")
    return LoadedClinic(url, database, rows, seconds)


def server_services(url: str):
    """Services on the clinic server, the clock at the benchmark's NOW, acting as the system."""
    from ma_desk.actor import Actor
    from ma_desk.clock import FixedClock
    from ma_desk.db.server import ServerDatabase, make_server_engine
    from ma_desk.services import Services

    db = ServerDatabase(make_server_engine(url), url)
    return Services(db, FixedClock(NOW), actor=Actor.system())


def raw_connection(url: str):
    """A bare psycopg connection (autocommit off) for the floors."""
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
