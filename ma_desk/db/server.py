"""Server mode: the clinic's store on a PostgreSQL server shared by its workstations.

The same models, migrations and services run here as on the SQLCipher file;
what differs lives in this module: the engine (psycopg 3), the failures a
network server has (down, restarting, refusing the password, a newer schema)
turned into the same StoreError family, and the serialisation that SQLite
gets from its single writer. A write transaction takes a transaction-level
advisory lock before it appends to the audit chain (ma_desk/audit.py), so the
chain stays one line however many workstations write at once.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ma_desk.db.engine import Database
from ma_desk.db.server_profile import (
    profile_url,
    read_profile,
    remembered_password,
    require_verified_transport,
    uses_tcp,
)
from ma_desk.errors import (
    ServerAuthenticationError,
    ServerCertificateError,
    ServerUnavailableError,
    StoreError,
    StoreReadOnlyError,
    StoreTooNewError,
)

if TYPE_CHECKING:
    from ma_desk.db.store import OpenedStore

log = logging.getLogger("ma_desk.db.server")

DRIVER = "postgresql+psycopg"
CONNECT_TIMEOUT_SECONDS = 5
LIBPQ_REQUIRE_AUTH = 160000
# One advisory lock key per serialised thing (pg_advisory_xact_lock takes a bigint).
AUDIT_CHAIN_LOCK = 0x4D414445534B01  # "MADESK" + 1


def normalise_url(url: str) -> str:
    """``postgresql://`` as typed by people, with the psycopg driver SQLAlchemy needs."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise StoreError(f"'{parsed.drivername}' is not a PostgreSQL address (postgresql://...).")
    return parsed.set(drivername=DRIVER).render_as_string(hide_password=False)


def describe_url(url: str) -> str:
    """The address without its password, for messages and logs."""
    parsed = make_url(url)
    host = parsed.host or parsed.query.get("host") or "local socket"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.username or '?'}@{host}{port}/{parsed.database or '?'}"


def make_server_engine(url: str, *, password: str | None = None, pool_size: int = 4) -> Engine:
    """An engine for the clinic's server; ``password`` (if any) replaces the URL's.

    Refuses, before any connection, an address on another computer without
    verified TLS (server_profile.transport_problem); over TCP only SCRAM-SHA-256
    is accepted, so a password never crosses the network in a weaker form.
    """
    parsed = make_url(normalise_url(url))
    require_verified_transport(parsed)
    if password is not None:
        parsed = parsed.set(password=password)
    engine = create_engine(
        parsed,
        pool_size=pool_size,
        max_overflow=8,
        pool_pre_ping=True,  # a restarted server: stale connections are replaced quietly
        pool_recycle=1800,
        connect_args=_connect_args(parsed),
    )
    event.listen(engine, "before_cursor_execute", _nul_free_parameters, retval=True)
    return engine


# Over TCP, a server that vanished from a silent network is noticed by keepalives within
# ~10 s, and a query sent into a dead network gives up after 10 s, not the kernel's
# ~15 minutes: the pool's pre-ping and the listener then report an outage, not a hang.
DEAD_NETWORK_SETTINGS = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
                         "keepalives_count": 2, "tcp_user_timeout": 10_000}  # fmt: skip


def _connect_args(url: URL) -> dict[str, Any]:
    args: dict[str, Any] = {
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "application_name": "MA Desk",
    }
    if uses_tcp(url):
        args.update(DEAD_NETWORK_SETTINGS)
        if scram_can_be_required():
            args["require_auth"] = "scram-sha-256"
        else:  # the server's pg_hba.conf (docs/server.md) must then insist on SCRAM itself
            log.warning("this libpq cannot require SCRAM-SHA-256 (needs libpq 16 or later)")
    return args


def scram_can_be_required() -> bool:
    """libpq 16 added ``require_auth``; psycopg's binary wheel bundles a newer one."""
    import psycopg

    return psycopg.pq.version() >= LIBPQ_REQUIRE_AUTH


def _nul_free(value: object) -> object:
    return value.replace("\x00", "\ufffd") if isinstance(value, str) and "\x00" in value else value


def _nul_free_parameters(
    _conn: object,
    _cursor: object,
    statement: str,
    parameters: Any,
    _context: object,
    _executemany: bool,
) -> tuple[str, Any]:
    """PostgreSQL refuses a NUL anywhere in a text parameter, even in a search.

    Saves are refused with a clear message before the flush (text_guard); what is
    left is lookups (a NUL pasted into a search or a user name), which must simply
    find nothing, as they do on SQLite: a NUL becomes U+FFFD, which nothing stored holds.
    """
    if isinstance(parameters, dict):
        return statement, {k: _nul_free(v) for k, v in parameters.items()}
    if isinstance(parameters, list | tuple) and parameters and isinstance(parameters[0], dict):
        return statement, [{k: _nul_free(v) for k, v in p.items()} for p in parameters]
    if isinstance(parameters, list | tuple):
        return statement, type(parameters)(_nul_free(v) for v in parameters)
    return statement, parameters


def server_error_for(exc: BaseException, where: str) -> StoreError | None:
    """The known StoreError for a psycopg failure, or None for a bug."""
    import psycopg

    original = getattr(exc, "orig", exc)
    if isinstance(
        original, psycopg.errors.InvalidPassword | psycopg.errors.InvalidAuthorizationSpecification
    ):
        return ServerAuthenticationError(
            f"The clinic server {where} refused the user name or password. Check the "
            "connection settings, or ask whoever looks after the server."
        )
    if isinstance(original, psycopg.errors.InsufficientPrivilege):
        return StoreReadOnlyError(
            f"The clinic server {where} does not allow this account to make that change "
            "(it may be a read-only or audit-only account). Nothing was saved."
        )
    if isinstance(original, psycopg.OperationalError):
        refused = _refused_connection(str(original), where)
        if refused is not None:
            return refused
    if isinstance(original, psycopg.OperationalError | psycopg.errors.AdminShutdown):
        return ServerUnavailableError(
            f"The clinic server {where} cannot be reached (it may be restarting, or the "
            "network is down). Nothing was saved; what you typed is still here. MA Desk "
            "keeps trying to reconnect."
        )
    return None


# libpq reports a refused connection as text only (no SQLSTATE before the session exists):
# (what its message contains, the error to raise). The first match wins.
_REFUSALS: list[tuple[str, type[StoreError], str]] = [
    ("password authentication failed", ServerAuthenticationError,
     "The clinic server {where} refused the user name or password. Check the connection "
     "settings (ma-desk server connect), or ask whoever looks after the server."),
    ("no password supplied", ServerAuthenticationError,
     "The clinic server {where} needs the database password: run ma-desk server connect "
     "on this workstation (it keeps the password in the keyring), type it when asked, or "
     "set MA_DESK_DATABASE_PASSWORD."),
    ("certificate verify failed", ServerCertificateError,
     "The clinic server {where} did not prove its identity: its certificate is not the one "
     "this workstation trusts (it may have been replaced, or something on the network is "
     "posing as the server). Nothing was sent. If whoever looks after the server renewed "
     "the certificate, run ma-desk server trust again and compare the fingerprint."),
    ("does not match host name", ServerCertificateError,
     "The clinic server {where} showed a certificate made for another name. Nothing was "
     "sent. Use the server name written in its certificate, or ask whoever looks after it."),
    ("authentication method requirement", ServerAuthenticationError,
     "The clinic server {where} asked for a weaker sign-in than SCRAM-SHA-256, which MA Desk "
     "requires. Set password_encryption = scram-sha-256 and scram-sha-256 in pg_hba.conf on "
     "the server, then set the password again (ma-desk server init --new-app-password)."),
    ("root certificate file", ServerCertificateError,
     "This workstation has no CA certificate to check the clinic server {where} with: add "
     "sslrootcert=PATH/TO/CA.crt to the address, or pin the server's own certificate with "
     "ma-desk server trust. Nothing was sent."),
    ("does not exist", StoreError,
     "The clinic server {where} has no such database or account: check the address "
     "(postgresql://ACCOUNT@SERVER/DATABASE)."),
    ("no encryption", StoreError,
     "The clinic server {where} only accepts connections over TLS: add "
     "sslmode=verify-full&sslrootcert=CA.crt to the address, or pin its certificate with "
     "ma-desk server trust."),
    ("does not support SSL", StoreError,
     "The clinic server {where} does not offer TLS, which MA Desk requires over the "
     "network: turn on ssl in its postgresql.conf (docs/server.md, 'TLS')."),
    ("no pg_hba.conf entry", ServerAuthenticationError,
     "The clinic server {where} does not accept this account from this computer: whoever "
     "looks after the server adds this workstation's network to pg_hba.conf."),
]  # fmt: skip


def _refused_connection(message: str, where: str) -> StoreError | None:
    for needle, error, text_ in _REFUSALS:
        if needle in message:
            return error(text_.format(where=where))
    return None


class ServerDatabase(Database):
    """The shared store on PostgreSQL: the same read()/write() as the SQLCipher file."""

    kind = "postgresql"

    def __init__(self, engine: Engine, url: str) -> None:
        self.where = describe_url(url)
        super().__init__(engine, None)

    def _listen(self, engine: Engine) -> None:
        event.listen(engine, "handle_error", self._known_server_error)

    def _known_server_error(self, context: ExceptionContext) -> None:
        error = server_error_for(context.original_exception, self.where)
        if error is not None:
            raise error from context.original_exception

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction; committed at the end of the block, rolled back on any error."""
        self.refuse_if_read_only()
        try:
            with self._write() as session, session.begin():
                yield session
        except DBAPIError as exc:  # raised at commit, outside the engine's error hook
            error = server_error_for(exc, self.where)
            if error is None:
                raise
            raise error from exc

    def checkpoint(self) -> None:
        """Nothing to do: the server keeps its own write-ahead log."""

    def ping(self) -> None:
        """Raise ServerUnavailableError unless the server answers now."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))


def lock_audit_chain(session: Session) -> None:
    """Hold the audit chain for this transaction: appends happen one at a time."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_CHAIN_LOCK})


def reset_sequences(session: Session, tables: list[str] | None = None) -> None:
    """After rows were inserted with their ids (the demo, a migration), move each table's id
    sequence past the highest id so the next insert does not collide. No-op on SQLite."""
    if session.get_bind().dialect.name != "postgresql":
        return
    from ma_desk.db.models import Base

    for table in Base.metadata.sorted_tables:
        if tables is not None and table.name not in tables:
            continue
        if "id" not in table.c or not table.c.id.autoincrement:
            continue
        session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"
        ))  # fmt: skip


DATABASE_URL_ENV = "MA_DESK_DATABASE_URL"
DATABASE_PASSWORD_ENV = "MA_DESK_DATABASE_PASSWORD"


def database_url(explicit: str | None, data_dir: Path | None = None) -> str | None:
    """``--database-url``, else ``MA_DESK_DATABASE_URL``, else the data folder's profile
    (``ma-desk server connect``); None means the store file."""
    url = explicit or os.environ.get(DATABASE_URL_ENV)
    if url:
        return url
    return profile_url(data_dir) if data_dir is not None else None


def server_password(
    url: str,
    ask: Callable[[str], str | None] | None = None,
    data_dir: Path | None = None,
) -> str | None:
    """The database account's password: MA_DESK_DATABASE_PASSWORD, the URL's own, the
    keyring entry of the data folder's profile (same address), or asked."""
    explicit = os.environ.get(DATABASE_PASSWORD_ENV)
    if explicit:
        return explicit
    if make_url(normalise_url(url)).password is not None:
        return None
    if data_dir is not None and _profile_names(data_dir, url):
        remembered = remembered_password(data_dir)
        if remembered:
            return remembered
    if ask is None:
        return None
    return ask(f"Password of the database account {describe_url(url)}")


def _profile_names(data_dir: Path, url: str) -> bool:
    profile = read_profile(data_dir)
    return profile is not None and describe_url(profile.url) == describe_url(url)


def open_server(
    url: str,
    data_dir: Path,
    *,
    password: str | None = None,
    ask_password: Callable[[str], str | None] | None = None,
) -> OpenedStore:
    """Connect to the clinic's server and check its schema; returns an OpenedStore.

    The workstation's own data folder still holds its settings and downtime copy;
    the clinic's records are on the server. Nothing is created or upgraded here
    (that is ``ma-desk server init``, run with the server owner's account).
    """
    from ma_desk.db.migrate import SCHEMA_HEAD, SCHEMA_REVISIONS, current_revision
    from ma_desk.db.store import OpenedStore

    password = password or server_password(url, ask_password, data_dir)
    engine = make_server_engine(url, password=password)
    db = ServerDatabase(engine, url)
    try:
        with engine.connect() as conn:
            revision = current_revision(conn)
    except BaseException:
        db.close()
        raise
    if revision in (None, ""):
        db.close()
        raise StoreError(
            f"The clinic server {db.where} has no MA Desk clinic yet. Whoever looks after the "
            "server runs: ma-desk server init --database-url ... (with the owner's account)."
        )
    if revision not in SCHEMA_REVISIONS:
        db.close()
        raise StoreTooNewError(
            f"The clinic server {db.where} was set up by a newer MA Desk (schema {revision}). "
            "Install the newer version on this workstation."
        )
    if revision != SCHEMA_HEAD:
        db.close()
        raise StoreError(
            f"The clinic server {db.where} needs an upgrade to schema {SCHEMA_HEAD}: run "
            "ma-desk server init --database-url ... with the owner's account."
        )
    return OpenedStore(db, data_dir, "server", revision)
