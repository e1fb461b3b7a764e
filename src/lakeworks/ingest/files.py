"""File sources: local paths, globs and s3:// objects in CSV, Parquet or JSON lines.

S3 objects are copied (streamed, 8 MiB at a time) into the scratch folder and read from
there, so every format reader only deals with local files.
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.fs as pafs

from lakeworks.errors import InvalidInputError, NotFoundError, UnavailableError
from lakeworks.ingest.base import Extract, Plan, Source

if TYPE_CHECKING:
    from lakeworks.config import Settings

FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "json",
    ".ndjson": "json",
    ".json": "json",
}
_GLOB_CHARS = set("*?[")
_COPY_CHUNK = 8 << 20


@dataclass(frozen=True)
class FileRef:
    """One file of a source: its name as the user knows it, local path, size and mtime."""

    name: str
    local: Path | None
    size: int
    mtime_ns: int


def infer_format(source: str, format: str | None) -> str:
    if format is not None:
        fmt = {"jsonl": "json", "ndjson": "json"}.get(format.lower(), format.lower())
        if fmt not in {"csv", "parquet", "json"}:
            raise InvalidInputError(
                f"unknown format {format!r}",
                hint="use format='csv', 'parquet' or 'json' (JSON lines)",
            )
        return fmt
    suffix = Path(source.split("?")[0]).suffix.lower()
    if suffix == ".gz":
        suffix = Path(source[:-3]).suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInputError(
            f"cannot tell the format of {source!r} from its extension",
            hint="pass format='csv', 'parquet' or 'json'",
            source=source,
        )
    return FORMATS[suffix]


class FileSource(Source):
    """Files named by a path, glob, or s3:// URL; read by the format's module."""

    kind = "file"

    def __init__(self, source: str, format: str | None, settings: Settings) -> None:
        self.format = infer_format(source, format)
        self.settings = settings
        self.is_s3 = source.startswith("s3://")
        self.description = source if self.is_s3 else str(Path(source).expanduser().absolute())
        self._files: list[FileRef] | None = None
        self._scratch: Path | None = None

    @property
    def files(self) -> list[FileRef]:
        if self._files is None:
            self._files = (
                _s3_files(self.description, self.settings)
                if self.is_s3
                else _local_files(self.description)
            )
        return self._files

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for f in self.files:
            digest.update(f"{f.name}\0{f.size}\0{f.mtime_ns}\n".encode())
        return f"{self.format}:{digest.hexdigest()}"

    def extract(self, plan: Plan) -> Extract:
        empty = [f.name for f in self.files if f.size == 0]
        if empty:
            raise InvalidInputError(
                f"file {empty[0]} is empty",
                hint="a file to load needs at least one row (CSV: a header and a row)",
                path=empty[0],
            )
        paths = self._local_paths(plan.scratch)
        names = {str(p): f.name for p, f in zip(paths, self.files, strict=True)}
        if self.format == "csv":
            from lakeworks.ingest.delimited import read_csv

            return read_csv(paths, names, plan, self.settings)
        if self.format == "parquet":
            from lakeworks.ingest.parquet import read_parquet

            return read_parquet(paths, names, plan)
        from lakeworks.ingest.jsonlines import read_json

        return read_json(paths, names, plan)

    def cleanup(self) -> None:
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)

    def _local_paths(self, scratch: Path) -> list[Path]:
        if not self.is_s3:
            return [f.local for f in self.files]
        self._scratch = scratch / f"ingest-{uuid.uuid4().hex[:12]}"
        self._scratch.mkdir(parents=True)
        fs = _s3_filesystem(self.description, self.settings)
        return [
            _download(fs, f.name, self._scratch / f"{i}-{Path(f.name).name}")
            for i, f in enumerate(self.files)
        ]


def _local_files(pattern: str) -> list[FileRef]:
    if _GLOB_CHARS & set(pattern):
        paths = sorted(Path(p) for p in glob.glob(pattern, recursive=True))
        paths = [p for p in paths if p.is_file()]
        if not paths:
            raise NotFoundError(
                f"no files match {pattern}",
                hint="check the pattern and the working directory",
                path=pattern,
            )
    else:
        path = Path(pattern)
        if not path.is_file():
            raise NotFoundError(
                f"file {pattern} does not exist", hint="check the path", path=pattern
            )
        paths = [path]
    return [FileRef(str(p), p, (st := p.stat()).st_size, st.st_mtime_ns) for p in paths]


def _s3_filesystem(url: str, settings: Settings) -> pafs.FileSystem:
    from lakeworks.lake.storage.s3 import S3Storage

    bucket = url.removeprefix("s3://").split("/", 1)[0]
    return S3Storage.from_settings(f"s3://{bucket}", settings).filesystem()


def _s3_files(url: str, settings: Settings) -> list[FileRef]:
    fs, path = _s3_filesystem(url, settings), url.removeprefix("s3://")
    try:
        if _GLOB_CHARS & set(path):
            base = path[: min(path.find(c) for c in _GLOB_CHARS if c in path)].rsplit("/", 1)[0]
            infos = [
                i
                for i in fs.get_file_info(pafs.FileSelector(base, recursive=True))
                if i.type == pafs.FileType.File and fnmatch.fnmatchcase(i.path, path)
            ]
        else:
            infos = [i for i in [fs.get_file_info(path)] if i.type == pafs.FileType.File]
    except OSError as exc:
        raise UnavailableError(
            f"cannot list {url}: {exc}",
            hint="check the S3 endpoint, the keys and that the bucket exists",
            path=url,
        ) from exc
    if not infos:
        raise NotFoundError(
            f"no S3 object matches {url}", hint="check the bucket and key", path=url
        )
    return [
        FileRef(f"s3://{i.path}", None, i.size or 0, i.mtime_ns or 0)
        for i in sorted(infos, key=lambda i: i.path)
    ]


def _download(fs: pafs.FileSystem, url: str, target: Path) -> Path:
    try:
        with fs.open_input_stream(url.removeprefix("s3://")) as src, target.open("wb") as out:
            while chunk := src.read(_COPY_CHUNK):
                out.write(chunk)
    except OSError as exc:
        raise UnavailableError(f"cannot read {url}: {exc}", path=url) from exc
    return target
