"""The line-end check before DuckDB reads a CSV: windows, boundaries and memory."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lakeworks.ingest import csvrepair


@pytest.mark.parametrize(
    ("data", "found"),
    [
        (b"a,b\r\n1,2\r\n3,4\r\n", None),  # CRLF split over the window boundary: not mixed
        (b"a,b\r\n1,2\n3,4\r\n", "mixed line ends (CRLF and LF)"),
        (b"a,b\n1,2\n3,4\n", None),
        (b"a,b\r\n1,22\n34\r\n", "mixed line ends (CRLF and LF)"),  # the lone LF at a boundary
    ],
)
def test_line_ends_are_found_across_window_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes, found: str | None
) -> None:
    monkeypatch.setattr(csvrepair, "_WINDOW", 4)
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    assert csvrepair.needs_repair(path, "utf-8") == found


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    raise AssertionError(key)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_checking_a_large_file_does_not_raise_peak_memory_by_its_size(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("wb") as f:
        line = b"1,some text,2.5\n" * 65536
        for _ in range(256):  # 256 MiB
            f.write(line)
    Path("/proc/self/clear_refs").write_text("5")  # peak RSS := current RSS
    before = _status("VmHWM:")
    assert csvrepair.needs_repair(path, "utf-8") is None
    assert _status("VmHWM:") - before < 160 << 20  # whole file mapped at once: +256 MiB
