"""Refusing a clinic store on a network share, where SQLite's file locking is unreliable.

The rules are pure functions over a mount table that callers may pass in (tests feed
crafted tables): the mount that holds a path is the longest mount point that contains
it (the later entry wins a tie: it is mounted on top), and a mount is remote by its
filesystem type, by the subtype of a FUSE mount (``fuse.sshfs``) or, for a plain FUSE
mount, by a device that names another computer (``host:/path``, ``https://...``).
Windows has no mount table: a UNC path or a drive whose type is ``DRIVE_REMOTE``
(a mapped drive) is a share.

A thin layer reads this computer's real table: ``/proc/self/mounts`` on Linux (its
``\\040`` escapes decoded), psutil's partition list elsewhere (macOS, the BSDs) and
``GetDriveTypeW`` on Windows. Every path is checked after its symlinks are resolved,
so a local folder or store file that links onto a share is refused too.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ma_desk.errors import StoreError
from ma_desk.paths import store_path

log = logging.getLogger("ma_desk.db")

# Kernel (and macOS/BSD) filesystems that reach another computer or a VM host.
NETWORK_FS_TYPES = frozenset({
    "nfs", "nfs3", "nfs4", "cifs", "smb", "smbfs", "smb2", "smb3", "ncpfs", "ncp",
    "afs", "openafs", "coda", "9p", "ceph", "glusterfs", "lustre", "gpfs", "beegfs",
    "orangefs", "pvfs2", "davfs", "webdav", "afpfs", "ftp", "sshfs",
    "vboxsf", "vmhgfs", "prl_fs", "virtiofs",
})  # fmt: skip
# Filesystems in user space; ``fuse.SUBTYPE`` on Linux, a bare type on macOS.
FUSE_TYPES = frozenset({"fuse", "fuseblk", "fusefs", "osxfuse", "macfuse"})
NETWORK_FUSE_SUBTYPES = frozenset({
    "sshfs", "rclone", "gvfsd-fuse", "gvfs-fuse-daemon", "davfs", "davfs2", "glusterfs",
    "ceph", "ceph-fuse", "cephfs", "s3fs", "goofys", "gcsfuse", "blobfuse", "blobfuse2",
    "curlftpfs", "smbnetfs", "afpfs", "afpfs-ng", "juicefs", "moosefs", "mfs", "lizardfs",
    "seaweedfs", "vmhgfs-fuse", "wdfs", "onedriver",
})  # fmt: skip
# A FUSE device naming another computer: scheme://..., user@host:..., host:/path, //host/...
_REMOTE_DEVICE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|[^/\s@:]+@[^/\s:]+:|[\w.-]+:/|//\w)", re.I)
_ESCAPE = re.compile(rb"\\([0-7]{3})")
DRIVE_REMOTE = 4  # GetDriveTypeW's answer for a network (mapped) drive


@dataclass(frozen=True)
class Mount:
    """One line of the mount table: what is mounted, where, and as which filesystem."""

    device: str
    mount_point: str
    fs_type: str


# ------------------------------------------------------------------ pure rules
def unescape_mount_field(field: str) -> str:
    """``/mnt/clinic\\040share`` -> ``/mnt/clinic share`` (the kernel's octal escapes)."""
    raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 8) & 0xFF]), os.fsencode(field))
    return os.fsdecode(raw)


def parse_mount_table(text: str) -> list[Mount]:
    """The entries of a ``/proc/mounts``-format table, escapes decoded; bad lines skipped.

    Only newline ends a line and only space separates fields: the kernel escapes those
    (and tab and backslash) inside a field, but writes any other character as it is.
    """
    mounts = []
    for line in text.split("\n"):
        fields = [field for field in line.split(" ") if field]
        if len(fields) >= 3:
            device, mount_point, fs_type = (unescape_mount_field(f) for f in fields[:3])
            mounts.append(Mount(device, mount_point, fs_type))
    return mounts


def _inside(path: str, mount_point: str) -> bool:
    return path == mount_point or path.startswith(mount_point.rstrip("/") + "/")


def mount_holding(path: str, mounts: Iterable[Mount], *, fold_case: bool = False) -> Mount | None:
    """The mount an absolute, resolved ``path`` lives on: longest mount point, later wins a tie."""
    key = path.casefold() if fold_case else path
    best, best_length = None, -1
    for mount in mounts:
        point = mount.mount_point.casefold() if fold_case else mount.mount_point
        if _inside(key, point) and len(point) >= best_length:
            best, best_length = mount, len(point)
    return best


def remote_fs_type(mount: Mount) -> str | None:
    """The filesystem type when ``mount`` reaches another computer, else None."""
    fs_type = mount.fs_type.lower()
    if fs_type in NETWORK_FS_TYPES:
        return fs_type
    base, _, subtype = fs_type.partition(".")
    if base in FUSE_TYPES and (
        subtype in NETWORK_FUSE_SUBTYPES or _REMOTE_DEVICE.match(mount.device)
    ):
        return fs_type
    return None


def windows_share(path: str, drive_type: Callable[[str], int]) -> str | None:
    """Why a Windows path is on a share (UNC path or mapped drive), else None.

    ``drive_type`` answers like ``GetDriveTypeW`` for a root such as ``Z:\\``.
    """
    text = path.replace("/", "\\")
    upper = text.upper()
    if upper.startswith(("\\\\?\\UNC\\", "\\\\.\\UNC\\")) or "\\DEVICE\\MUP\\" in upper:
        return "UNC path"
    if upper.startswith(("\\\\?\\", "\\\\.\\")):
        text = text[4:]  # \\?\C:\... is a local drive; \\?\Volume{...}\ a local volume
    elif text.startswith("\\\\"):
        return "UNC path"
    if len(text) >= 2 and text[1] == ":" and text[0].isascii() and text[0].isalpha():
        root = text[0].upper() + ":\\"
        if drive_type(root) == DRIVE_REMOTE:
            return f"mapped drive {root[:2]}"
    return None


# ------------------------------------------------------------------ this computer
def read_mount_table() -> list[Mount]:
    """This computer's mount table; empty when it cannot be read (nothing is refused then)."""
    if sys.platform.startswith("linux"):
        for source in ("/proc/self/mounts", "/proc/mounts"):
            try:
                return parse_mount_table(
                    Path(source).read_bytes().decode("utf-8", "surrogateescape")
                )
            except OSError:
                continue
    try:
        import psutil

        return [Mount(p.device, p.mountpoint, p.fstype) for p in psutil.disk_partitions(all=True)]
    except (OSError, RuntimeError):
        log.warning("the mount table could not be read; network shares cannot be recognised")
        return []


def windows_drive_type(root: str) -> int:
    """``GetDriveTypeW`` for a drive root like ``Z:\\`` (Windows only)."""
    import ctypes

    get_drive_type = ctypes.WinDLL("kernel32", use_last_error=True).GetDriveTypeW  # type: ignore[attr-defined,unused-ignore]  # Windows only
    get_drive_type.argtypes = [ctypes.c_wchar_p]
    get_drive_type.restype = ctypes.c_uint
    return int(get_drive_type(root))


def network_filesystem(
    path: Path,
    mounts: Sequence[Mount] | None = None,
    *,
    windows: bool = os.name == "nt",
    drive_type: Callable[[str], int] | None = None,
) -> str | None:
    """Why ``path`` (or where its symlinks lead) is on a network share, else None."""
    given = str(path)
    resolved = os.path.realpath(path)
    if windows:
        ask = drive_type or windows_drive_type
        return windows_share(given, ask) or windows_share(resolved, ask)
    if given.startswith(("//", "\\\\")):
        return "UNC path"
    table = read_mount_table() if mounts is None else mounts
    mount = mount_holding(resolved, table, fold_case=sys.platform == "darwin")
    return remote_fs_type(mount) if mount else None


def store_paths(data_dir: Path) -> list[Path]:
    """The data folder and the store's files that exist (any may be a symlink elsewhere)."""
    store = store_path(data_dir)
    files = [store, *(store.with_name(store.name + s) for s in ("-wal", "-shm"))]
    return [data_dir, *(f for f in files if f.is_symlink() or f.exists())]


def refuse_network_path(data_dir: Path, mounts: Sequence[Mount] | None = None) -> None:
    """Raise StoreError when the data folder or the store file is on a network share."""
    table = None if os.name == "nt" else (read_mount_table() if mounts is None else mounts)
    for path in store_paths(data_dir):
        reason = network_filesystem(path, table)
        if reason:
            shown = str(path)
            target = os.path.realpath(path)
            if target != shown:
                shown += f" (which leads to {target})"
            raise StoreError(
                f"{shown} is on a network share ({reason}). SQLite's file locking is "
                "unreliable there and the clinic store could be corrupted. Choose a folder on "
                "this computer's own disk."
            )
