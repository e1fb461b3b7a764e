"""Artifacts: stored once by content, streamed both ways, freed by gc (SQLite, PostgreSQL)."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
from pathlib import Path

import pytest

from lakeworks.context import Context
from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.tracking.artifacts.base import object_key
from lakeworks.tracking.service import Tracking

MiB = 1 << 20


class Endless(io.RawIOBase):
    """``size`` bytes made on the fly; refuses to be read whole (``read()`` / ``read(-1)``)."""

    def __init__(self, size: int) -> None:
        self.left, self.sha = size, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        assert n is not None and n > 0, "the stream was read whole"
        chunk = (b"0123456789abcdef" * (n // 16 + 1))[: min(n, self.left)]
        self.left -= len(chunk)
        self.sha.update(chunk)
        return chunk


def _run(tracking: Tracking, ctx: Context) -> str:
    return tracking.create_run(ctx, tracking.create_experiment(ctx, "e").id).id


def _stored_files(tracking: Tracking) -> list[Path]:
    root = Path(tracking.artifacts.objects.root) / ".artifacts" / "sha256"  # type: ignore[attr-defined]
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_log_list_open_download(tracking: Tracking, tctx: Context, tmp_path: Path) -> None:
    run_id = _run(tracking, tctx)
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "weights.bin").write_bytes(b"w" * 10)
    (folder / "sub" / "config.json").write_text("{}")
    single = tmp_path / "report.txt"
    single.write_text("fine")
    tracking.log_artifact(tctx, run_id, single)
    tracking.log_artifact(tctx, run_id, folder, "outputs")
    tracking.log_artifacts(tctx, run_id, folder)
    root = tracking.list_artifacts(tctx, run_id)
    assert [(a.path, a.is_dir) for a in root] == [
        ("outputs", True),
        ("report.txt", False),
        ("sub", True),
        ("weights.bin", False),
    ]
    inside = tracking.list_artifacts(tctx, run_id, "outputs/model")
    assert [(a.path, a.size) for a in inside] == [
        ("outputs/model/sub", None),
        ("outputs/model/weights.bin", 10),
    ]
    with tracking.open_artifact(tctx, run_id, "outputs/model/sub/config.json") as f:
        assert f.read() == b"{}"
    got = tracking.download_artifacts(tctx, run_id, "outputs/model", tmp_path / "dl")
    assert got == tmp_path / "dl" / "model"
    assert (got / "sub" / "config.json").read_text() == "{}"
    assert (got / "weights.bin").read_bytes() == b"w" * 10
    one = tracking.download_artifacts(tctx, run_id, "report.txt", tmp_path / "dl1")
    assert one.read_text() == "fine"


def test_a_file_logged_by_many_runs_is_stored_once(
    tracking: Tracking, tctx: Context, tmp_path: Path
) -> None:
    data = tmp_path / "data.csv"
    data.write_bytes(b"a,b\n1,2\n" * 1000)
    exp = tracking.create_experiment(tctx, "e")
    runs = [tracking.create_run(tctx, exp.id).id for _ in range(3)]
    infos = [tracking.log_artifact(tctx, r, data)[0] for r in runs]
    assert len({i.digest for i in infos}) == 1
    assert [p.name for p in _stored_files(tracking)] == [infos[0].digest]


def test_bad_artifact_paths_are_refused(tracking: Tracking, tctx: Context, tmp_path: Path) -> None:
    run_id = _run(tracking, tctx)
    for bad in ["../escape", "/abs", "a/../../b", "", "a//b"]:
        with pytest.raises(InvalidInputError, match="invalid artifact path"):
            tracking.log_artifact_stream(tctx, run_id, bad, io.BytesIO(b"x"))
    with pytest.raises(NotFoundError, match="no file or folder"):
        tracking.log_artifact(tctx, run_id, tmp_path / "missing.txt")
    tracking.log_artifact_stream(tctx, run_id, "a/b", io.BytesIO(b"x"))
    with pytest.raises(InvalidInputError, match="clashes with 'a/b'"):
        tracking.log_artifact_stream(tctx, run_id, "a/b/c", io.BytesIO(b"x"))
    with pytest.raises(InvalidInputError, match="clashes with 'a/b'"):
        tracking.log_artifact_stream(tctx, run_id, "a", io.BytesIO(b"x"))
    with pytest.raises(InvalidInputError, match="binary mode"):
        tracking.log_artifact_stream(tctx, run_id, "t.txt", io.StringIO("text"))  # type: ignore[arg-type]
    with pytest.raises(NotFoundError, match="no artifact file 'nope'"):
        tracking.open_artifact(tctx, run_id, "nope")
    assert [a.path for a in tracking.list_artifacts(tctx, run_id)] == ["a"]


def test_large_artifact_streams_both_ways_in_bounded_memory(
    tracking: Tracking, tctx: Context, tmp_path: Path
) -> None:
    run_id = _run(tracking, tctx)
    size = 32 * MiB
    source = Endless(size)
    tracemalloc.start()
    try:
        info = tracking.log_artifact_stream(tctx, run_id, "big/blob.bin", source)
        _, peak_in = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        sha = hashlib.sha256()
        with tracking.open_artifact(tctx, run_id, "big/blob.bin") as f:
            while chunk := f.read(MiB):
                sha.update(chunk)
        tracking.download_artifacts(tctx, run_id, "big/blob.bin", tmp_path / "out")
        _, peak_out = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.size == size and info.digest == source.sha.hexdigest() == sha.hexdigest()
    assert (tmp_path / "out" / "blob.bin").stat().st_size == size
    assert peak_in < 8 * MiB and peak_out < 8 * MiB, (peak_in, peak_out)


def test_gc_frees_what_deleted_runs_held(tracking: Tracking, tctx: Context) -> None:
    exp = tracking.create_experiment(tctx, "e")
    keep, drop = tracking.create_run(tctx, exp.id).id, tracking.create_run(tctx, exp.id).id
    shared = tracking.log_artifact_stream(tctx, keep, "shared.bin", io.BytesIO(b"s" * 100))
    tracking.log_artifact_stream(tctx, drop, "shared.bin", io.BytesIO(b"s" * 100))
    only = tracking.log_artifact_stream(tctx, drop, "only.bin", io.BytesIO(b"o" * 300))
    tracking.log_metric(tctx, drop, "m", 1.0)
    tracking.delete_run(tctx, drop)
    preview = tracking.gc(dry_run=True)
    assert (preview.runs, preview.objects, preview.bytes, preview.dry_run) == (1, 1, 300, True)
    assert len(_stored_files(tracking)) == 2  # the dry run changed nothing
    assert tracking.get_run(tctx, drop).info.lifecycle_stage == "deleted"
    done = tracking.gc()
    assert (done.runs, done.objects, done.bytes, done.dry_run) == (1, 1, 300, False)
    assert [p.name for p in _stored_files(tracking)] == [shared.digest]
    assert only.digest not in {p.name for p in _stored_files(tracking)}
    with pytest.raises(NotFoundError):
        tracking.get_run(tctx, drop)
    with tracking.open_artifact(tctx, keep, "shared.bin") as f:
        assert f.read() == b"s" * 100
    assert tracking.gc() == type(done)(0, 0, 0, False)


def test_gc_keeps_objects_within_the_grace_period(tplatform, tctx: Context) -> None:  # noqa: ANN001
    from lakeworks.tracking.service import Tracking as T

    settings = tplatform.settings.model_copy(update={"tracking_gc_grace": 3600})
    tracking = T(tplatform.catalog, tplatform.tracking.artifacts.objects, settings)
    run_id = _run(tracking, tctx)
    tracking.log_artifact_stream(tctx, run_id, "x.bin", io.BytesIO(b"x"))
    tracking.delete_run(tctx, run_id)
    result = tracking.gc()
    assert (result.runs, result.objects) == (1, 0)
    assert len(_stored_files(tracking)) == 1


def test_objects_live_under_the_reserved_folder(tracking: Tracking, tctx: Context) -> None:
    run_id = _run(tracking, tctx)
    info = tracking.log_artifact_stream(tctx, run_id, "x", io.BytesIO(b"abc"))
    root = Path(tracking.artifacts.objects.root)  # type: ignore[attr-defined]
    assert (root / object_key(info.digest)).read_bytes() == b"abc"
    assert object_key(info.digest).startswith(".artifacts/")


def test_artifacts_on_s3_storage(s3_settings, tmp_path: Path) -> None:  # noqa: ANN001
    """The platform's artifacts follow its storage: on S3 they land in the bucket."""
    from lakeworks.platform import Platform

    settings = s3_settings.model_copy(update={"tracking_gc_grace": 0})
    platform = Platform.open(settings)
    try:
        platform.catalog.create_workspace("default", "tester")
        ctx = Context("default", "tester")
        tracking = platform.tracking
        exp = tracking.create_experiment(ctx, "e")
        first, second = (tracking.create_run(ctx, exp.id).id for _ in range(2))
        data = Endless(3 * MiB)
        info = tracking.log_artifact_stream(ctx, first, "blob.bin", data)
        tracking.log_artifact_stream(ctx, second, "copy.bin", Endless(3 * MiB))
        fs = platform.storage.filesystem()
        bucket_path = f"{platform.storage.fs_path(platform.storage.root)}/{object_key(info.digest)}"  # type: ignore[attr-defined]
        assert fs.get_file_info(bucket_path).size == 3 * MiB  # stored once for both runs
        out = tracking.download_artifacts(ctx, second, "copy.bin", tmp_path)
        assert hashlib.sha256(out.read_bytes()).hexdigest() == data.sha.hexdigest()
        tracking.delete_run(ctx, first)
        assert tracking.gc().objects == 0  # still referenced by the second run
        tracking.delete_run(ctx, second)
        assert (tracking.gc().objects, fs.get_file_info(bucket_path).type.name) == (1, "NotFound")
    finally:
        platform.close()
