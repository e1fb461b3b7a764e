from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import lakeworks as lw


def frames(rows: int, seed: int = 3) -> tuple[pa.Table, pa.Table]:
    """A reference and a current sample: ``shifted`` and ``city`` drifted, ``steady`` and
    ``level`` did not."""
    rng = np.random.default_rng(seed)
    reference = pa.table(
        {
            "steady": rng.normal(10, 2, rows),
            "shifted": rng.normal(0, 1, rows),
            "city": rng.choice(["oslo", "rome", "lima"], rows, p=[0.5, 0.3, 0.2]),
            "level": rng.integers(0, 4, rows),
        }
    )
    current = pa.table(
        {
            "steady": rng.normal(10, 2, rows),
            "shifted": rng.normal(1.0, 1, rows),
            "city": rng.choice(["oslo", "rome", "kyiv"], rows, p=[0.2, 0.3, 0.5]),
            "level": rng.integers(0, 4, rows),
        }
    )
    return reference, current


@pytest.fixture
def orders(ws: lw.Workspace) -> lw.Workspace:
    """Table ``orders``: version 0 the reference sample, version 1 the drifted one."""
    reference, current = frames(2000)
    ws.write("orders", reference)
    ws.write("orders", current, mode="overwrite")
    return ws
