"""A workstation's way to the clinic server: its profile, its password and its TLS rules.

The profile (``server.json`` in the data folder) holds the server's address
without any password, the TLS mode and, for a clinic's self-signed server, the
pinned certificate (``server-cert.pem`` beside it) with its SHA-256
fingerprint. The database password lives in the OS keyring, one entry per
data folder; where there is none it is asked at start or taken from
MA_DESK_DATABASE_PASSWORD, like the store passphrase.

TLS rule: only a Unix socket, localhost, 127.0.0.1 or ::1 may be reached
without TLS; anything else must verify the server, either with a CA
(``sslmode=verify-full&sslrootcert=CA``, or libpq's default CA file) or with
the server's own pinned certificate (``sslmode=verify-ca&sslrootcert=<pinned>``),
so that the
workstations' password and the patients' records never cross the clinic's
network to an impostor.
"""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import ssl
import struct
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from ma_desk.atomic_file import write_bytes_atomic
from ma_desk.errors import (
    ServerCertificateError,
    ServerUnavailableError,
    StoreError,
    ValidationError,
)

log = logging.getLogger("ma_desk.db.server")

PROFILE_FILE = "server.json"
PINNED_CERTIFICATE_FILE = "server-cert.pem"
KEYRING_SERVICE = "MA Desk clinic server"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
VERIFYING_MODES = frozenset({"verify-full", "verify-ca"})
DEFAULT_PORT = 5432
# PostgreSQL's SSLRequest: length 8, then the magic code 1234/5679.
SSL_REQUEST = struct.pack("!ii", 8, 80877103)
FETCH_TIMEOUT_SECONDS = 5


# ------------------------------------------------------------------ the TLS rule
def hosts_of(url: URL) -> list[str]:
    """Every host the URL may connect to ("" for the default Unix socket)."""
    hosts = url.host or url.query.get("host") or ""
    if isinstance(hosts, tuple):
        hosts = ",".join(hosts)
    return [host.strip() for host in str(hosts).split(",")] or [""]


def is_local(host: str) -> bool:
    """A Unix socket (no host, or a folder) or this computer's loopback address."""
    return host == "" or host.startswith("/") or host.strip("[]") in LOCAL_HOSTS


def transport_problem(url: URL) -> str | None:
    """Why MA Desk must not connect to ``url`` as written, or None."""
    remote = [host for host in hosts_of(url) if not is_local(host)]
    if not remote:
        return None
    if url.query.get("sslmode") in VERIFYING_MODES:  # libpq then always verifies (its
        return None  # default CA file is ~/.postgresql/root.crt; missing, it refuses)
    return (
        f"MA Desk reaches a server on another computer ({', '.join(remote)}) only over TLS "
        "that checks the server's identity: add ?sslmode=verify-full&sslrootcert=CA.crt "
        "(the clinic's CA certificate) to the address, or run: ma-desk server trust "
        "--database-url ... to pin the server's own certificate. Nothing was sent."
    )


def require_verified_transport(url: URL) -> None:
    problem = transport_problem(url)
    if problem:
        raise StoreError(problem)


def uses_tcp(url: URL) -> bool:
    return any(not (host == "" or host.startswith("/")) for host in hosts_of(url))


# ------------------------------------------------------------------ fingerprints and pinning
def fingerprint(der: bytes) -> str:
    """SHA-256 of the certificate, as ``openssl x509 -fingerprint -sha256`` prints it."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def normalise_fingerprint(typed: str) -> str:
    """``SHA256 Fingerprint=ab:cd...``, ``sha256:ABCD...`` or spaced groups: one form."""
    text = typed.strip()
    if "=" in text:
        text = text.split("=", 1)[1]
    lowered = text.lower()
    for prefix in ("sha256:", "sha-256:", "sha256 "):
        if lowered.startswith(prefix):
            text = text[len(prefix) :]
    digits = "".join(ch for ch in text if ch not in ": \t-").upper()
    if len(digits) != 64 or any(ch not in "0123456789ABCDEF" for ch in digits):
        raise ValidationError(
            "A SHA-256 fingerprint is 64 hexadecimal digits (often written in pairs with "
            "colons, e.g. 4F:0A:...). Copy it again from the server.",
            field="fingerprint",
        )
    return ":".join(digits[i : i + 2] for i in range(0, 64, 2))


def server_address(url: URL) -> tuple[str, int]:
    """The one TCP host and port to ask for a certificate."""
    hosts = [host for host in hosts_of(url) if host and not host.startswith("/")]
    if len(hosts) != 1:
        raise ValidationError(
            "Give one server by name or address (postgresql://ACCOUNT@SERVER:PORT/DATABASE): "
            "a certificate is fetched over the network, not from a local socket.",
            field="database_url",
        )
    return hosts[0].strip("[]"), int(url.port or str(url.query.get("port") or DEFAULT_PORT))


def fetch_certificate(host: str, port: int, where: str) -> bytes:
    """The server's certificate (DER), unverified: PostgreSQL's SSLRequest, then TLS."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # we only read it; the person compares it
    try:
        with socket.create_connection((host, port), timeout=FETCH_TIMEOUT_SECONDS) as raw:
            raw.sendall(SSL_REQUEST)
            if raw.recv(1) != b"S":
                raise StoreError(_no_tls(where))
            with context.wrap_socket(raw, server_hostname=host) as tls:
                der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError) as exc:
        raise ServerUnavailableError(
            f"The clinic server {where} cannot be reached to read its certificate "
            f"({type(exc).__name__}): check the name and port, and that it is running."
        ) from exc
    if not der:
        raise StoreError(_no_tls(where))
    return der


def _no_tls(where: str) -> str:
    return (
        f"The clinic server {where} does not offer TLS, which MA Desk needs over the "
        "network: turn on ssl in its postgresql.conf (docs/server.md, 'TLS')."
    )


def pinned_certificate_verifies(host: str, port: int, der: bytes) -> bool:
    """True when the server's handshake verifies with ``der`` as the only trusted
    certificate, which is what libpq's verify-ca will require at every connection
    (true of a self-signed server certificate, not of one issued by a CA)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.load_verify_locations(cadata=der)
    try:
        with socket.create_connection((host, port), timeout=FETCH_TIMEOUT_SECONDS) as raw:
            raw.sendall(SSL_REQUEST)
            if raw.recv(1) != b"S":
                return False
            with context.wrap_socket(raw, server_hostname=host):
                return True
    except ssl.SSLError:
        return False


def pin(data_dir: Path, der: bytes) -> Path:
    """Keep the server's certificate in the data folder; returns its path."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / PINNED_CERTIFICATE_FILE
    write_bytes_atomic(path, ssl.DER_cert_to_PEM_cert(der).encode("ascii"))
    return path


def pinned_fingerprint(path: Path) -> str | None:
    try:
        return fingerprint(ssl.PEM_cert_to_DER_cert(path.read_text(encoding="ascii")))
    except (OSError, ValueError):
        return None


# ------------------------------------------------------------------ the profile
@dataclass(frozen=True)
class ServerProfile:
    """What a workstation needs to reach the clinic server, without any secret."""

    url: str  # no password; sslmode and (for a pinned certificate) no sslrootcert
    tls: str  # libpq's sslmode: verify-full, verify-ca, or "" for a local server
    ca_file: str = ""  # the CA certificate for verify-full ("" when pinned or local)
    fingerprint: str = ""  # SHA-256 of the pinned certificate, in the data folder

    def connection_url(self, data_dir: Path) -> str:
        """The full address: the pinned certificate is read from this data folder."""
        url = make_url(self.url)
        query = {k: v for k, v in url.query.items() if k not in ("sslmode", "sslrootcert")}
        if self.tls:
            query["sslmode"] = self.tls
        if self.fingerprint:
            query["sslrootcert"] = str(data_dir / PINNED_CERTIFICATE_FILE)
        elif self.ca_file:
            query["sslrootcert"] = self.ca_file
        return url.set(query=query).render_as_string(hide_password=False)


def profile_for(url: str, *, pinned: str = "") -> ServerProfile:
    """The profile of an address; the password, if any, is left out."""
    parsed = make_url(url).set(password=None)
    mode = str(parsed.query.get("sslmode") or "")
    root = "" if pinned else str(parsed.query.get("sslrootcert") or "")
    if root and root != "system":  # libpq's "system": the OS's CAs
        root = str(Path(root).expanduser().resolve())
    if pinned:
        mode = "verify-ca"
    query = {k: v for k, v in parsed.query.items() if k not in ("sslmode", "sslrootcert")}
    clean = parsed.set(query=query).render_as_string(hide_password=False)
    return ServerProfile(url=clean, tls=mode, ca_file=root, fingerprint=pinned)


def profile_path(data_dir: Path) -> Path:
    return data_dir / PROFILE_FILE


def read_profile(data_dir: Path) -> ServerProfile | None:
    """The data folder's profile; None when this workstation uses a store file."""
    path = profile_path(data_dir)
    try:
        fields = json.loads(path.read_text(encoding="utf-8"))
        return ServerProfile(**{k: str(fields.get(k) or "") for k in ("url", "tls", "ca_file",
                                                                       "fingerprint")})  # fmt: skip
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, ValueError, TypeError) as exc:
        raise StoreError(
            f"{path} (the clinic server's connection settings) cannot be read: run "
            "ma-desk server connect --database-url ... again."
        ) from exc


def profile_url(data_dir: Path) -> str | None:
    """The full address from the data folder's profile, None without one; a pinned
    certificate that is not the one the profile names is refused."""
    profile = read_profile(data_dir)
    if profile is None:
        return None
    if profile.fingerprint:
        found = pinned_fingerprint(data_dir / PINNED_CERTIFICATE_FILE)
        if found != profile.fingerprint:
            raise ServerCertificateError(
                f"The pinned certificate of the clinic server ({data_dir / PINNED_CERTIFICATE_FILE}) "
                "is missing or is not the one this workstation confirmed. Nothing was sent. "
                "Run ma-desk server trust --database-url ... again and compare the fingerprint."
            )
    return profile.connection_url(data_dir)


def with_pin(url: str, data_dir: Path) -> tuple[str, str]:
    """``url`` verified by the certificate pinned in ``data_dir`` for the same server,
    when the address names no TLS mode of its own; returns (url, fingerprint or "")."""
    parsed = make_url(url)
    profile = read_profile(data_dir)
    if profile is None or not profile.fingerprint or parsed.query.get("sslmode"):
        return url, ""
    pinned = make_url(profile.url)
    if (pinned.host, pinned.port) != (parsed.host, parsed.port):
        return url, ""
    with_root = make_url(profile_url(data_dir) or "")
    query = {**parsed.query, "sslmode": "verify-ca",
             "sslrootcert": with_root.query["sslrootcert"]}  # fmt: skip
    return parsed.set(query=query).render_as_string(hide_password=False), profile.fingerprint


def write_profile(data_dir: Path, profile: ServerProfile) -> Path:
    if make_url(profile.url).password is not None:
        raise ValueError("a profile never holds a password")
    data_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(asdict(profile), indent=2, sort_keys=True) + "\n"
    return write_bytes_atomic(profile_path(data_dir), text.encode("utf-8"))


def remove_profile(data_dir: Path) -> list[Path]:
    """Remove the profile, the pinned certificate and the keyring entry; returns the files."""
    removed = []
    for name in (PROFILE_FILE, PINNED_CERTIFICATE_FILE):
        path = data_dir / name
        if path.exists():
            path.unlink()
            removed.append(path)
    forget_password(data_dir)
    return removed


# ------------------------------------------------------------------ the password in the keyring
def keyring_account(data_dir: Path) -> str:
    return f"server:{data_dir.resolve()}"


def remembered_password(data_dir: Path) -> str | None:
    """The profile's database password from the OS keyring, or None (none, or no keyring)."""
    try:
        import keyring
        from keyring.errors import KeyringError

        return keyring.get_password(KEYRING_SERVICE, keyring_account(data_dir)) or None
    except (KeyringError, RuntimeError) as exc:
        log.info("no usable keyring: %s", type(exc).__name__)
        return None


def remember_password(data_dir: Path, password: str) -> bool:
    """Keep the password in the OS keyring; True only if it can be read back."""
    try:
        import keyring
        from keyring.errors import KeyringError

        keyring.set_password(KEYRING_SERVICE, keyring_account(data_dir), password)
    except (KeyringError, RuntimeError) as exc:
        log.info("keyring refused the password: %s", type(exc).__name__)
        return False
    return remembered_password(data_dir) == password


def forget_password(data_dir: Path) -> None:
    try:
        import keyring
        from keyring.errors import KeyringError, PasswordDeleteError

        keyring.delete_password(KEYRING_SERVICE, keyring_account(data_dir))
    except (PasswordDeleteError, KeyringError, RuntimeError):
        pass
