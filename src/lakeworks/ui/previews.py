"""What an artifact looks like on a run's page: an image (inline, as a data URL), the
start of a text file, or the first rows of a table (CSV, TSV, Parquet, JSON lines).

Only the first ``LIMIT`` bytes are read; a bigger image or table says it is too big to
preview rather than reading it whole.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import mimetypes
from dataclasses import dataclass, field
from typing import IO

LIMIT = 2_000_000
TEXT_LIMIT = 64_000
ROWS = 50
IMAGES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
TEXT = {".txt", ".log", ".md", ".json", ".yaml", ".yml", ".py", ".sql", ".html", ".xml", ".toml"}
TABLES = {".csv": ",", ".tsv": "\t"}


@dataclass(frozen=True)
class Preview:
    """``kind``: image | text | table | none; ``note`` says what was cut or why nothing."""

    kind: str
    path: str
    image: str | None = None  # a data: URL
    text: str | None = None
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    note: str | None = None


def preview(path: str, stream: IO[bytes]) -> Preview:
    suffix = "." + path.rsplit(".", 1)[-1].lower() if "." in path else ""
    head = stream.read(LIMIT + 1)
    cut = len(head) > LIMIT
    if suffix in IMAGES:
        return _image(path, head, cut)
    if suffix in TABLES or suffix in (".parquet", ".jsonl"):
        return _table(path, suffix, head, cut)
    if suffix in TEXT or _looks_like_text(head[:4096]):
        text = head[:TEXT_LIMIT].decode("utf-8", errors="replace")
        note = "the first 64 kB" if len(head) > TEXT_LIMIT else None
        return Preview("text", path, text=text, note=note)
    return Preview("none", path, note="no preview for this kind of file: download it")


def _image(path: str, head: bytes, cut: bool) -> Preview:
    if cut:
        return Preview("none", path, note="the image is over 2 MB: download it")
    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    encoded = base64.b64encode(head).decode("ascii")
    return Preview("image", path, image=f"data:{kind};base64,{encoded}")


def _table(path: str, suffix: str, head: bytes, cut: bool) -> Preview:
    if suffix == ".parquet":
        if cut:
            return Preview("none", path, note="the Parquet file is over 2 MB: download it")
        import pyarrow.parquet as pq

        table = pq.read_table(io.BytesIO(head))
        rows = [[_text(v) for v in row.values()] for row in table.slice(0, ROWS).to_pylist()]
        note = f"the first {ROWS} of {table.num_rows} rows" if table.num_rows > ROWS else None
        return Preview("table", path, header=table.column_names, rows=rows, note=note)
    lines = head.decode("utf-8", errors="replace").splitlines()[: ROWS + 1]
    if suffix == ".jsonl":
        records = [json.loads(line) for line in lines[:ROWS] if line.strip()]
        header = list(dict.fromkeys(k for r in records for k in r))
        return Preview("table", path, header=header,
                       rows=[[_text(r.get(k)) for k in header] for r in records])  # fmt: skip
    parsed = list(csv.reader(lines, delimiter=TABLES[suffix]))
    note = f"the first {ROWS} rows" if len(parsed) > ROWS or cut else None
    return Preview("table", path, header=parsed[0] if parsed else [], rows=parsed[1 : ROWS + 1],
                   note=note)  # fmt: skip


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in head


def _text(value: object) -> str:
    return "" if value is None else str(value)
