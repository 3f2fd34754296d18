"""Schema: migrations build exactly the models; old stores upgrade after a copy; newer refused."""

from __future__ import annotations

import hashlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from ma_desk.db import keys
from ma_desk.db.engine import Database, make_engine
from ma_desk.db.migrate import SCHEMA_HEAD, SCHEMA_REVISIONS, alembic_config
from ma_desk.db.models import Base
from ma_desk.db.store import open_store
from ma_desk.errors import StoreTooNewError
from ma_desk.paths import store_path
from tests.conftest import PASSPHRASE


def test_store_created_by_migration_equals_the_models(store):
    with store.db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_schema_head_constant_matches_the_alembic_scripts():
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_current_head() == SCHEMA_HEAD
    ordered = [rev.revision for rev in reversed(list(script.walk_revisions()))]
    assert tuple(ordered) == SCHEMA_REVISIONS


def _new_empty_encrypted_store(data_dir):
    """An encrypted file with no schema yet: the oldest possible store."""
    data_dir.mkdir(parents=True)
    new = keys.create_key(data_dir, passphrase=PASSPHRASE, use_keyring=False)
    keys.write_keyinfo(data_dir, new.info)
    db = Database(make_engine(store_path(data_dir), new.key, create=True), store_path(data_dir))
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    db.close()


def test_older_store_is_upgraded_after_taking_a_copy(tmp_path):
    data_dir = tmp_path / "old"
    _new_empty_encrypted_store(data_dir)
    original = hashlib.sha256(store_path(data_dir).read_bytes()).hexdigest()
    opened = open_store(data_dir, passphrase=PASSPHRASE)
    try:
        assert opened.upgraded_from == "empty"
        assert opened.revision == SCHEMA_HEAD
        assert opened.backup_before_upgrade is not None
        assert hashlib.sha256(opened.backup_before_upgrade.read_bytes()).hexdigest() == original
        with opened.db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
    finally:
        opened.db.close()


def test_store_from_a_newer_version_is_refused_untouched(store, data_dir):
    with store.db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    store.db.checkpoint()
    store.db.close()
    before = hashlib.sha256(store_path(data_dir).read_bytes()).hexdigest()
    with pytest.raises(StoreTooNewError, match="newer MA Desk"):
        open_store(data_dir, passphrase=PASSPHRASE)
    assert hashlib.sha256(store_path(data_dir).read_bytes()).hexdigest() == before
