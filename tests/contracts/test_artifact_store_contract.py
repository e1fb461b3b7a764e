"""Every artifact object store (local folder, S3) must pass the same contract."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from lakeworks.config import Settings
from lakeworks.context import check_name
from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.lake.storage import storage_from_settings
from lakeworks.tracking.artifacts import ObjectStore, object_store
from lakeworks.tracking.artifacts.base import RESERVED_FOLDER, object_key

from ..conftest import S3_KEYS


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    settings = Settings.load(home=tmp_path / "lw", progress=False)
    if request.param == "s3":
        bucket = request.getfixturevalue("s3_bucket")
        settings = Settings.load(
            home=tmp_path / "lw",
            storage_url=f"s3://{bucket}/lake",
            s3_endpoint_url=request.getfixturevalue("s3_endpoint"),
            progress=False,
            **S3_KEYS,
        )
    return object_store(storage_from_settings(settings), settings)


def _staged(store: ObjectStore, data: bytes) -> tuple[str, Path]:
    path = store.staging / f"{hashlib.sha256(data).hexdigest()}.part"
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest(), path


def test_publish_open_delete(store: ObjectStore) -> None:
    digest, staged = _staged(store, b"hello artifacts")
    assert not store.exists(digest)
    store.publish(digest, staged, move=True)
    assert store.exists(digest) and not staged.exists()
    with store.open(digest) as f:
        assert f.read() == b"hello artifacts"
    store.delete(digest)
    assert not store.exists(digest)
    store.delete(digest)  # absent: no error


def test_publish_copy_keeps_the_source(store: ObjectStore, tmp_path: Path) -> None:
    source = tmp_path / "user-file.bin"
    source.write_bytes(b"x" * 1000)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    store.publish(digest, source, move=False)
    assert source.read_bytes() == b"x" * 1000
    with store.open(digest) as f:
        assert f.read() == b"x" * 1000


def test_publish_twice_is_idempotent(store: ObjectStore) -> None:
    digest, staged = _staged(store, b"same")
    store.publish(digest, staged, move=True)
    digest, staged = _staged(store, b"same")
    store.publish(digest, staged, move=True)
    with store.open(digest) as f:
        assert f.read() == b"same"


def test_missing_object_is_not_found(store: ObjectStore) -> None:
    with pytest.raises(NotFoundError, match="artifact object 0{64} is missing"):
        store.open("0" * 64)


def test_large_object_streams_back_in_chunks(store: ObjectStore) -> None:
    data = bytes(range(256)) * (12 * 4096)  # 12 MiB, several chunks
    digest, staged = _staged(store, data)
    store.publish(digest, staged, move=True)
    sha = hashlib.sha256()
    with store.open(digest) as f:
        while chunk := f.read(1 << 20):
            assert len(chunk) <= 1 << 20
            sha.update(chunk)
    assert sha.hexdigest() == digest


def test_objects_live_where_no_workspace_or_table_can() -> None:
    assert object_key("ab" + "0" * 62).startswith(f"{RESERVED_FOLDER}/")
    with pytest.raises(InvalidInputError):
        check_name("workspace", RESERVED_FOLDER)
    with pytest.raises(InvalidInputError):
        check_name("table", RESERVED_FOLDER)
