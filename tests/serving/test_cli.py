"""``lakeworks endpoints ...`` in-process against an embedded home."""

from __future__ import annotations

import pandas as pd

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.platform import Platform
from tests.cli.conftest import Cli
from tests.serving.conftest import _fit


def test_endpoints_commands(cli: Cli, frame: pd.DataFrame) -> None:
    platform = Platform.open(Settings.load(home=cli.home, progress=False))
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    ctx = Context(workspace="default", user="tester")
    for flip in (False, True):
        platform.registry.register(ctx, "churn", model=_fit(frame, flip), training_data=frame)
    platform.close()

    out = cli("endpoints", "deploy", "churn", "--model", "churn/1")
    assert out.exit_code == 0, out.output
    assert "endpoint churn v1 (blue-green): live=churn/1" in out.output
    out = cli("endpoints", "deploy", "churn", "--model", "churn/2", "--strategy", "canary")
    assert "candidate=churn/2 candidate share 5%" in out.output
    assert "share 25%" in cli("endpoints", "promote", "churn").output
    assert "v4" in cli("endpoints", "rollback", "churn").output
    assert "churn" in cli("endpoints", "list").output
    assert "rollback" in cli("endpoints", "history", "churn").output
    bad = cli("endpoints", "deploy", "churn", "--model", "churn/2", "--strategy", "linear")
    assert bad.exit_code != 0 and "unknown serving strategy 'linear'" in bad.output
    steps = cli("endpoints", "deploy", "churn", "--model", "churn/2", "--steps", "a,b")
    assert steps.exit_code != 0 and "whole percents" in steps.output
    assert cli("endpoints", "delete", "churn").exit_code == 0
    missing = cli("endpoints", "show", "churn")
    assert missing.exit_code != 0 and "endpoint 'churn' does not exist" in missing.output
