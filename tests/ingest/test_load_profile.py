"""A load returns when its data is committed: no profile is computed for it unasked."""

from __future__ import annotations

from pathlib import Path

import lakeworks as lw


def test_load_starts_no_profile_and_profile_is_computed_when_asked(
    ws: lw.Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("id,amount\n1,2.5\n2,3.5\n")
    result = ws.ingest(path, "orders", progress=False)
    quality = ws.platform.quality
    assert quality._profiler is None  # no background work queued for exit
    assert quality.store.profile(ws.name, "orders", result.version) is None
    profile = ws.quality.profile("orders")
    assert (profile.version, profile.rows) == (result.version, 2)
    assert quality.store.profile(ws.name, "orders", result.version) is not None
