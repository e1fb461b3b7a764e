"""``lakeworks pipelines ...`` and ``lakeworks scheduler``."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.cli.conftest import Cli

SOURCE = """
from lakeworks.pipelines import Param, Pipeline, steps

p = Pipeline("daily_sums", schedule="@daily", params={"n": Param(int, 3)})
p.add("numbers", steps.sql("select range as x from range(10)", table="numbers"))


@p.task(deps=["numbers"])
def check(n, context):
    print("checking", n)
    if n < 0:
        raise ValueError("n must not be negative")
    return n
"""


def write(tmp_path: Path, source: str = SOURCE) -> Path:
    path = tmp_path / "daily.py"
    path.write_text(textwrap.dedent(source))
    return path


def test_register_run_inspect_and_control(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path)
    done = cli("pipelines", "register", str(path))
    assert done.exit_code == 0, done.output
    assert "registered daily_sums: 2 tasks, schedule @daily" in done.output
    assert "daily_sums" in cli("pipelines", "list").output
    shown = cli("pipelines", "show", "daily_sums").output
    assert "param n: int, default 3" in shown and "numbers" in shown and "sql" in shown

    run = cli("pipelines", "run", "daily_sums", "--param", "n=5")
    assert run.exit_code == 0, run.output
    assert "run 1 of daily_sums succeeded" in run.output
    assert "CPU s" in run.output and "peak MB" in run.output
    info = cli("pipelines", "run-info", "1")
    assert "check" in info.output and "succeeded" in info.output
    assert cli("pipelines", "logs", "1", "check").output == "checking 5\n"
    assert "wrote 10 rows to numbers" in cli("pipelines", "logs", "1", "numbers").output

    failed = cli("pipelines", "run", "daily_sums", "-p", "n=-1")
    assert failed.exit_code == 1
    assert "error: run 2 of daily_sums failed" in failed.output
    assert "n must not be negative" in cli("pipelines", "run-info", "2").output
    assert cli("pipelines", "resume", "2").exit_code == 1  # it fails again, same params
    assert "run 2: failed" in cli("pipelines", "cancel", "2").output

    runs = cli("pipelines", "runs", "daily_sums", "--state", "failed").output
    assert " 2 " in runs and " 1 " not in runs
    started = cli("pipelines", "run", "daily_sums", "--no-wait")
    assert "started run 3 of daily_sums" in started.output

    backfill = cli(
        "pipelines", "backfill", "daily_sums", "--start", "2026-01-01", "--end", "2026-01-04"
    )
    assert backfill.exit_code == 0, backfill.output
    assert "3 intervals, 3 created" in backfill.output and "3 succeeded" in backfill.output
    again = cli(
        "pipelines", "backfill", "daily_sums", "--start", "2026-01-01", "--end", "2026-01-04"
    )
    assert "0 created, 0 resumed, 3 already succeeded" in again.output
    assert cli("pipelines", "pause", "daily_sums").output == "paused daily_sums\n"
    assert "True" in cli("pipelines", "list").output
    assert cli("pipelines", "unpause", "daily_sums").exit_code == 0


def test_bad_input_is_one_line_error(cli: Cli, tmp_path: Path) -> None:
    bad_cron = write(
        tmp_path, "from lakeworks.pipelines import Pipeline\np = Pipeline('c', schedule='61 * *')\n"
    )
    done = cli("pipelines", "register", str(bad_cron))
    assert done.exit_code == 1 and done.output.startswith("error: ") and "61 * *" in done.output
    cycle = write(
        tmp_path,
        """
        from lakeworks.pipelines import Pipeline
        p = Pipeline("loop")
        p.add("a", lambda: 1, deps=["b"])
        p.add("b", lambda: 2, deps=["a"])
        """,
    )
    assert "dependency cycle" in cli("pipelines", "register", str(cycle)).output
    assert cli("pipelines", "run", "nope").exit_code == 1
    cli("pipelines", "register", str(write(tmp_path)))
    bad = cli("pipelines", "run", "daily_sums", "-p", "n=many")
    assert bad.exit_code == 1 and "parameter 'n' expects int, got 'many'" in bad.output
    assert cli("pipelines", "run", "daily_sums", "-p", "n").exit_code == 1
    missing = cli("pipelines", "run-info", "99")
    assert missing.exit_code == 1 and "pipeline run 99" in missing.output


def test_scheduler_runs_due_runs_and_stops_on_sigterm(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "lakeworks"
    home = tmp_path / "lw"
    path = write(
        tmp_path,
        """
        from lakeworks.pipelines import Pipeline
        p = Pipeline("often", schedule="1s", start="2020-01-01")

        @p.task
        def tick(context):
            return str(context.interval_start)
        """,
    )
    base = [str(exe), "--home", str(home)]
    subprocess.run([*base, "pipelines", "register", str(path)], check=True, capture_output=True)
    proc = subprocess.Popen(
        [*base, "scheduler", "--tick-seconds", "0.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        runs = ""
        while time.monotonic() < deadline and "succeeded" not in runs:
            time.sleep(0.5)
            runs = subprocess.run(
                [*base, "pipelines", "runs", "often", "--state", "succeeded"],
                capture_output=True,
                text=True,
            ).stdout
        assert "schedule" in runs and "succeeded" in runs
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "scheduler stopped (" in out and "started " in out


def test_server_no_scheduler_flag(cli: Cli, monkeypatch) -> None:  # noqa: ANN001
    from lakeworks.server import shutdown

    seen = {}
    monkeypatch.setattr(shutdown, "serve", lambda app, *args, **kw: seen.update(app=app))
    assert cli("server", "--no-scheduler").exit_code == 0
    assert seen["app"].state.settings.scheduler is False
    seen["app"].state.platform.close()
    assert cli("server").exit_code == 0
    assert seen["app"].state.settings.scheduler is True
    seen["app"].state.platform.close()
