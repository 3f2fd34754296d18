"""A clinic store on a network share is refused: every remote filesystem type, escaped mount
points, symlinks onto a share, nested mounts, Windows UNC paths and mapped drives, and the
real mount table of this computer (a local folder is accepted)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ma_desk.cli import main
from ma_desk.db import network_fs
from ma_desk.db.network_fs import (
    DRIVE_REMOTE,
    Mount,
    mount_holding,
    network_filesystem,
    parse_mount_table,
    read_mount_table,
    refuse_network_path,
    remote_fs_type,
    unescape_mount_field,
    windows_share,
)
from ma_desk.db.store import create_store, open_store
from ma_desk.errors import StoreError
from tests.conftest import PASSPHRASE

DRIVE_FIXED = 3

# (mount table line with MOUNT where the share is mounted, what a user would call it)
REMOTE_LINES = [
    ("//fileserver/clinic MOUNT cifs rw,vers=3.0 0 0", "SMB (cifs)"),
    ("//fileserver/clinic MOUNT smb3 rw 0 0", "SMB 3"),
    ("//fileserver/clinic MOUNT smbfs rw 0 0", "macOS SMB"),
    ("fileserver:/export/clinic MOUNT nfs rw,vers=3 0 0", "NFS 3"),
    ("fileserver:/export/clinic MOUNT nfs4 rw,vers=4.2 0 0", "NFS 4"),
    ("ma@fileserver:/srv/clinic MOUNT fuse.sshfs rw,user_id=1000 0 0", "sshfs"),
    ("gvfsd-fuse MOUNT fuse.gvfsd-fuse rw,user_id=1000 0 0", "gvfs (SMB via GNOME)"),
    ("clinicdrive: MOUNT fuse.rclone rw,user_id=1000 0 0", "rclone"),
    ("https://dav.example.com/clinic/ MOUNT fuse rw,allow_other 0 0", "davfs2 over FUSE"),
    ("https://dav.example.com/clinic/ MOUNT davfs rw 0 0", "davfs"),
    ("fileserver:/gv0 MOUNT fuse.glusterfs rw,allow_other 0 0", "glusterfs"),
    ("10.0.0.1:6789:/ MOUNT ceph rw,name=admin 0 0", "ceph (kernel)"),
    ("ceph-fuse MOUNT fuse.ceph-fuse rw,allow_other 0 0", "ceph-fuse"),
    ("clinic MOUNT vboxsf rw 0 0", "VirtualBox shared folder"),
    ("clinic MOUNT 9p rw,trans=virtio 0 0", "9p (WSL2, QEMU)"),
    ("AFS MOUNT afs rw 0 0", "AFS"),
    ("10.0.0.1@tcp:/lustre MOUNT lustre rw 0 0", "Lustre"),
    ("clinic MOUNT virtiofs rw 0 0", "virtiofs host folder"),
    ("//ma@fileserver/clinic MOUNT afpfs rw 0 0", "macOS AFP"),
    ("https://dav.example.com/clinic MOUNT webdav rw 0 0", "macOS WebDAV"),
    ("fileserver:/export MOUNT NFS rw 0 0", "upper-case type"),
    ("ma@fileserver:/srv/clinic MOUNT macfuse rw 0 0", "macOS sshfs over macFUSE"),
    ("fileserver:/clinic MOUNT fuse.s3fs rw 0 0", "s3fs"),
]
LOCAL_LINES = [
    "/dev/sda2 MOUNT ext4 rw,relatime 0 0",
    "/dev/nvme0n1p3 MOUNT btrfs rw 0 0",
    "rpool/home MOUNT zfs rw 0 0",
    "tmpfs MOUNT tmpfs rw 0 0",
    "overlay MOUNT overlay rw 0 0",
    "/dev/disk3s5 MOUNT apfs rw 0 0",
    "/dev/sdb1 MOUNT fuseblk rw 0 0",  # ntfs-3g on a USB disk
    "/home/ma/.vault MOUNT fuse.gocryptfs rw 0 0",
    "/mnt/disk1:/mnt/disk2 MOUNT fuse.mergerfs rw 0 0",
    "portal MOUNT fuse.portal rw 0 0",
    "C:\\134 MOUNT drvfs rw 0 0",
]


def kernel_escape(path: str) -> str:
    """How the kernel writes a mount point into /proc/mounts (show_vfsmnt's mangle)."""
    out = path.replace("\\", "\\134")
    return out.replace(" ", "\\040").replace("\t", "\\011").replace("\n", "\\012")


def table(*lines: str) -> list[Mount]:
    return parse_mount_table("\n".join(lines) + "\n")


def root_table(*lines: str) -> list[Mount]:
    return table("/dev/vda / ext4 rw 0 0", *lines)


def mounted(tmp_path: Path, line: str, name: str = "share") -> tuple[Path, list[Mount]]:
    """A real folder in tmp_path that a crafted table says is mounted as ``line``."""
    share = tmp_path / name
    share.mkdir(exist_ok=True)
    return share, root_table(line.replace("MOUNT", kernel_escape(str(share.resolve()))))


# ------------------------------------------------------------------ types
@pytest.mark.parametrize("line, what", REMOTE_LINES, ids=[w for _l, w in REMOTE_LINES])
def test_every_remote_filesystem_is_refused_with_its_type(tmp_path, line, what):
    share, mounts = mounted(tmp_path, line)
    data_dir = share / "clinic"
    fs_type = network_filesystem(data_dir, mounts)
    assert fs_type == line.split()[2].lower(), what
    with pytest.raises(StoreError) as refused:
        refuse_network_path(data_dir, mounts)
    message = str(refused.value)
    assert f"network share ({fs_type})" in message and "own disk" in message


@pytest.mark.parametrize("line", LOCAL_LINES, ids=[line.split()[2] for line in LOCAL_LINES])
def test_local_filesystems_are_accepted(tmp_path, line):
    share, mounts = mounted(tmp_path, line)
    assert network_filesystem(share / "clinic", mounts) is None
    refuse_network_path(share / "clinic", mounts)


@pytest.mark.parametrize(
    "device, expected",
    [("user@host:/srv", True), ("host:/export", True), ("sftp://host/x", True),
     ("//host/share", True), ("host.example.com:/", True), ("/dev/sdb1", False),
     ("/mnt/a:/mnt/b", False), ("disk1:disk2", False), ("encfs", False), ("", False)],
)  # fmt: skip
def test_a_plain_fuse_mount_is_remote_when_its_device_names_another_computer(device, expected):
    assert (remote_fs_type(Mount(device, "/mnt/x", "fuse")) is not None) is expected


# ------------------------------------------------------------------ the table itself
def test_escaped_mount_points_are_decoded():
    mounts = table(
        "//srv/a /mnt/clinic\\040share cifs rw 0 0",
        "//srv/b /mnt/tab\\011here nfs rw 0 0",
        "//srv/c /mnt/back\\134slash smb3 rw 0 0",
        "//srv/d /mnt/caf\\303\\251 nfs4 rw 0 0",
    )
    assert [m.mount_point for m in mounts] == [
        "/mnt/clinic share", "/mnt/tab\there", "/mnt/back\\slash", "/mnt/café"
    ]  # fmt: skip


def test_malformed_lines_are_skipped():
    assert table("", "garbage", "a b", "dev /mnt nfs") == [Mount("dev", "/mnt", "nfs")]


@settings(max_examples=200)
@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               min_size=1, max_size=40))  # fmt: skip
def test_any_mount_point_survives_the_kernels_escaping(name):
    point = "/mnt/" + name
    assert unescape_mount_field(kernel_escape(point)) == point
    (mount,) = table(f"//srv/x {kernel_escape(point)} cifs rw 0 0")
    assert mount.mount_point == point


def test_a_mount_point_with_a_space_is_refused(tmp_path):
    share, mounts = mounted(tmp_path, "//fileserver/clinic MOUNT cifs rw 0 0", "Clinic Share")
    assert "\\040" in f"{kernel_escape(str(share))}"
    with pytest.raises(StoreError, match="network share \\(cifs\\)"):
        refuse_network_path(share / "clinic data", mounts)


# ------------------------------------------------------------------ which mount holds a path
def test_the_longest_mount_point_wins_both_ways():
    mounts = root_table(
        "fileserver:/export /mnt/nfs nfs rw 0 0",
        "/dev/sdb1 /mnt/nfs/local ext4 rw 0 0",
        "//srv/s /home/ma/share cifs rw 0 0",
    )
    assert network_filesystem(Path("/mnt/nfs/clinic"), mounts) == "nfs"
    assert network_filesystem(Path("/mnt/nfs/local/clinic"), mounts) is None
    assert network_filesystem(Path("/home/ma/share/clinic"), mounts) == "cifs"
    assert network_filesystem(Path("/home/ma/clinic"), mounts) is None


def test_a_sibling_with_a_longer_name_is_not_inside_the_share():
    mounts = root_table("//srv/s /mnt/share cifs rw 0 0")
    assert network_filesystem(Path("/mnt/share2/clinic"), mounts) is None
    assert network_filesystem(Path("/mnt/share"), mounts) == "cifs"


def test_a_mount_on_top_of_another_wins_the_tie():
    over_autofs = root_table("auto.clinic /mnt/clinic autofs rw 0 0",
                             "fileserver:/clinic /mnt/clinic nfs4 rw 0 0")  # fmt: skip
    assert network_filesystem(Path("/mnt/clinic/data"), over_autofs) == "nfs4"
    local_on_top = root_table("//srv/s /mnt/x cifs rw 0 0", "/dev/sdb1 /mnt/x ext4 rw 0 0")
    assert network_filesystem(Path("/mnt/x/data"), local_on_top) is None


def test_macos_paths_compare_without_case():
    mounts = root_table("//ma@srv/Clinic /Volumes/Clinic smbfs rw 0 0")
    assert mount_holding("/volumes/clinic/data", mounts, fold_case=True).fs_type == "smbfs"
    assert mount_holding("/volumes/clinic/data", mounts).fs_type == "ext4"


@settings(max_examples=100)
@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",),
                                      blacklist_characters="/\x00"), min_size=1, max_size=12),
                min_size=1, max_size=4))  # fmt: skip
def test_any_folder_typed_under_a_share_is_refused_and_under_a_local_disk_accepted(parts):
    top = "/nonexistent-ma-desk/share"
    mounts = root_table(f"//srv/s {top} cifs rw 0 0", f"/dev/sdb1 {top}/local ext4 rw 0 0")
    tail = "/".join(p for p in parts if p not in (".", ".."))
    under_local = tail == "local" or tail.startswith("local/")
    assert network_filesystem(Path(top, tail), mounts) == (None if under_local else "cifs")
    assert network_filesystem(Path("/nonexistent-ma-desk/elsewhere", tail), mounts) is None


# ------------------------------------------------------------------ symlinks
def test_a_data_folder_that_links_onto_a_share_is_refused(tmp_path):
    share, mounts = mounted(tmp_path, "//fileserver/clinic MOUNT cifs rw 0 0")
    (share / "clinic").mkdir()
    link = tmp_path / "local-looking"
    link.symlink_to(share / "clinic")
    with pytest.raises(StoreError) as refused:
        refuse_network_path(link, mounts)
    assert f"which leads to {share.resolve() / 'clinic'}" in str(refused.value)


def test_a_parent_folder_that_links_onto_a_share_is_refused(tmp_path):
    share, mounts = mounted(tmp_path, "fileserver:/export MOUNT nfs4 rw 0 0")
    (tmp_path / "home").symlink_to(share)
    with pytest.raises(StoreError, match="nfs4"):
        refuse_network_path(tmp_path / "home" / "clinic", mounts)


@pytest.mark.parametrize("file_name", ["clinic.madesk", "clinic.madesk-wal"])
def test_a_store_file_symlinked_onto_a_share_is_refused(tmp_path, file_name):
    share, mounts = mounted(tmp_path, "ma@fileserver:/srv MOUNT fuse.sshfs rw 0 0")
    data_dir = tmp_path / "local"
    data_dir.mkdir()
    (share / file_name).write_bytes(b"")
    (data_dir / file_name).symlink_to(share / file_name)
    assert network_filesystem(data_dir, mounts) is None  # the folder itself is local
    with pytest.raises(StoreError, match="fuse.sshfs"):
        refuse_network_path(data_dir, mounts)


def test_a_dangling_store_symlink_onto_a_share_is_refused(tmp_path):
    share, mounts = mounted(tmp_path, "//srv/c MOUNT cifs rw 0 0")
    data_dir = tmp_path / "local"
    data_dir.mkdir()
    (data_dir / "clinic.madesk").symlink_to(share / "not-yet-there.madesk")
    with pytest.raises(StoreError, match="cifs"):
        refuse_network_path(data_dir, mounts)


def test_a_symlink_onto_a_local_folder_is_accepted(tmp_path):
    share, mounts = mounted(tmp_path, "//srv/c MOUNT cifs rw 0 0")
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (tmp_path / "shared").symlink_to(share)
    assert network_filesystem(tmp_path / "link", mounts) is None
    refuse_network_path(tmp_path / "link", mounts)  # accepted: no StoreError
    with pytest.raises(StoreError, match="cifs"):  # the same table does see the share
        refuse_network_path(tmp_path / "shared", mounts)


# ------------------------------------------------------------------ store and CLI
@pytest.fixture
def share_mounted(monkeypatch, tmp_path):
    """This process's mount table says tmp_path/'Clinic Share' is an sshfs mount."""
    share, mounts = mounted(tmp_path, "ma@srv:/clinic MOUNT fuse.sshfs rw 0 0", "Clinic Share")
    monkeypatch.setattr(network_fs, "read_mount_table", lambda: mounts)
    return share


def test_create_and_open_refuse_a_share_and_write_nothing(share_mounted, tmp_path, capsys):
    target = share_mounted / "clinic"
    with pytest.raises(StoreError, match="fuse.sshfs"):
        create_store(target, passphrase=PASSPHRASE)
    assert list(target.iterdir()) == []
    local = tmp_path / "local"
    create_store(local, passphrase=PASSPHRASE).db.close()
    moved = share_mounted / "moved"
    os.replace(local, moved)
    before = {p.name: p.read_bytes() for p in moved.iterdir()}
    with pytest.raises(StoreError, match="network share"):
        open_store(moved, passphrase=PASSPHRASE)
    assert {p.name: p.read_bytes() for p in moved.iterdir()} == before


def test_the_cli_refuses_a_demo_on_a_share(share_mounted, monkeypatch, capsys):
    monkeypatch.setenv("MA_DESK_PASSPHRASE", PASSPHRASE)
    target = share_mounted / "demo"
    code = main(["demo", "--data-dir", str(target), "--patients", "5"])
    err = capsys.readouterr().err
    assert code == 1 and "network share (fuse.sshfs)" in err and "own disk" in err
    assert not target.exists() or list(target.iterdir()) == []


def test_the_cli_refuses_a_store_linked_onto_a_share(share_mounted, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MA_DESK_PASSPHRASE", PASSPHRASE)
    data_dir = tmp_path / "local"
    create_store(data_dir, passphrase=PASSPHRASE).db.close()
    store = data_dir / "clinic.madesk"
    os.replace(store, share_mounted / "clinic.madesk")
    store.symlink_to(share_mounted / "clinic.madesk")
    code = main(["check", "--data-dir", str(data_dir)])
    err = capsys.readouterr().err
    assert code == 1 and "which leads to" in err and "Clinic Share" in err


# ------------------------------------------------------------------ Windows
def drives(**types: int):
    """A GetDriveTypeW stand-in: {"Z": DRIVE_REMOTE, ...}; unknown letters are fixed disks."""
    return lambda root: types.get(root[0], DRIVE_FIXED)


@pytest.mark.parametrize(
    "path",
    ["\\\\fileserver\\clinic\\data", "//fileserver/clinic/data", "\\\\?\\UNC\\srv\\c\\data",
     "\\\\.\\UNC\\srv\\c\\data", "\\\\?\\unc\\srv\\c", "\\\\wsl$\\Ubuntu\\home\\ma",
     "\\\\?\\GLOBALROOT\\Device\\Mup\\srv\\c\\data", "\\\\localhost\\c$\\clinic"],
)  # fmt: skip
def test_windows_unc_paths_are_shares(path):
    assert windows_share(path, drives()) == "UNC path"


@pytest.mark.parametrize("path", ["Z:\\clinic", "z:\\clinic", "Z:/clinic", "\\\\?\\Z:\\clinic",
                                  "\\\\.\\Z:\\clinic", "Z:"])  # fmt: skip
def test_windows_mapped_drives_are_shares(path):
    assert windows_share(path, drives(Z=DRIVE_REMOTE)) == "mapped drive Z:"


@pytest.mark.parametrize("path", ["C:\\Users\\ma\\AppData\\Local\\MA Desk", "\\\\?\\C:\\x",
                                  "\\\\?\\Volume{0b1c-4d}\\clinic", "D:\\", "clinic", ""])  # fmt: skip
def test_windows_local_paths_are_accepted(path):
    assert windows_share(path, drives(Z=DRIVE_REMOTE)) is None


def test_windows_asks_the_drive_type_of_the_drive_root_only():
    asked: list[str] = []
    windows_share("e:\\clinic\\data", lambda root: asked.append(root) or DRIVE_FIXED)
    assert asked == ["E:\\"]


def test_windows_refusal_names_the_mapped_drive(tmp_path):
    reason = network_filesystem(Path("Z:\\clinic"), windows=True, drive_type=drives(Z=4))
    assert reason == "mapped drive Z:"
    assert network_filesystem(Path("C:\\clinic"), windows=True, drive_type=drives(Z=4)) is None


# ------------------------------------------------------------------ this computer
def test_the_real_mount_table_is_read_and_a_local_folder_is_accepted(tmp_path):
    mounts = read_mount_table()
    assert any(m.mount_point == "/" for m in mounts)
    holder = mount_holding(os.path.realpath(tmp_path), mounts)
    assert holder is not None and remote_fs_type(holder) is None
    assert network_filesystem(tmp_path) is None
    refuse_network_path(tmp_path)
    create_store(tmp_path / "clinic", passphrase=PASSPHRASE).db.close()
