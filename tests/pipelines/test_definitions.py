"""Definitions are checked when built or registered: each bad input is a clear error."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lakeworks.errors import InvalidInputError, NotFoundError, UserCodeError
from lakeworks.pipelines import Param, Pipeline


def noop() -> None:
    return None


def test_dependencies_come_from_arguments_and_deps() -> None:
    p = Pipeline("p", params={"n": int})

    @p.task
    def extract(n):  # noqa: ANN001, ANN202
        return n

    p.add("load", noop, deps=["extract"])

    @p.task
    def report(extract, load, context):  # noqa: ANN001, ANN202
        return extract

    graph = p.validate()
    assert graph.order == ("extract", "load", "report")
    assert graph.tasks["report"].deps == ("extract", "load")
    assert graph.tasks["report"].args == ("extract", "load", "context")
    assert graph.downstream["extract"] == ("load", "report")


def test_a_cycle_is_refused_naming_it() -> None:
    p = Pipeline("p")
    p.add("a", noop, deps=["c"])
    p.add("b", noop, deps=["a"])
    p.add("c", noop, deps=["b"])
    with pytest.raises(InvalidInputError, match="dependency cycle: a -> b -> c -> a"):
        p.validate()


def test_an_unknown_dependency_is_refused() -> None:
    p = Pipeline("p")
    p.add("a", noop, deps=["missing"])
    with pytest.raises(InvalidInputError, match="depends on unknown task 'missing'") as info:
        p.validate()
    assert "tasks in this pipeline: ['a']" in info.value.hint


def test_an_unbindable_argument_is_refused() -> None:
    p = Pipeline("p")

    @p.task
    def a(mystery):  # noqa: ANN001, ANN202
        return mystery

    with pytest.raises(InvalidInputError, match="argument 'mystery' is not a task"):
        p.validate()


@pytest.mark.parametrize("cron", ["61 * * * *", "every day", "* * *"])
def test_an_invalid_cron_expression_is_refused(cron: str) -> None:
    with pytest.raises(InvalidInputError, match="invalid cron expression") as info:
        Pipeline("p", schedule=cron)
    assert "minute hour" in info.value.hint


def test_schedules_accept_cron_periods_and_timedeltas() -> None:
    assert Pipeline("p", schedule="@daily").schedule.cron == "@daily"
    assert Pipeline("p", schedule="15m").schedule.every == timedelta(minutes=15)
    assert Pipeline("p", schedule=timedelta(hours=2)).schedule.text == "7200s"
    with pytest.raises(InvalidInputError, match="must be positive"):
        Pipeline("p", schedule=timedelta(0))


def test_parameters_are_typed() -> None:
    p = Pipeline("p", params={"n": Param(int, 3), "day": str, "ratio": float})
    with pytest.raises(InvalidInputError, match="needs parameter 'ratio'"):
        p.bind_params({"day": "mon"})
    assert p.bind_params({"day": "mon", "ratio": 1}) == {"n": 3, "day": "mon", "ratio": 1.0}
    with pytest.raises(InvalidInputError, match="parameter 'n' expects int, got str '3'"):
        p.bind_params({"n": "3", "day": "x", "ratio": 1.0})
    with pytest.raises(InvalidInputError, match="expects int, got bool"):
        p.bind_params({"n": True, "day": "x", "ratio": 1.0})
    with pytest.raises(InvalidInputError, match="has no parameter"):
        p.bind_params({"nope": 1})
    assert p.parse_params({"n": "7", "ratio": "0.5"}) == {"n": 7, "ratio": 0.5}
    with pytest.raises(InvalidInputError, match="expects int, got 'seven'"):
        p.parse_params({"n": "seven"})


def test_bad_parameter_declarations_fail_at_definition() -> None:
    with pytest.raises(InvalidInputError, match="expects int"):
        Pipeline("p", params={"n": Param(int, "three")})
    with pytest.raises(InvalidInputError, match="unsupported type"):
        Pipeline("p", params={"n": set})


def test_bad_task_options_fail_at_definition() -> None:
    p = Pipeline("p")
    with pytest.raises(InvalidInputError, match="timeout must be positive"):
        p.add("a", noop, timeout=0)
    with pytest.raises(InvalidInputError, match="retries"):
        p.add("a", noop, retries=-1)
    p.add("a", noop)
    with pytest.raises(InvalidInputError, match="defined twice"):
        p.add("a", noop)
    with pytest.raises(InvalidInputError, match="invalid task name"):
        p.add("Bad Name", noop)
    with pytest.raises(InvalidInputError, match="has no tasks"):
        Pipeline("empty").validate()


def test_registration_refuses_a_file_with_a_cycle(pipelines, ctx, define) -> None:  # noqa: ANN001
    path = define(
        """
        p = Pipeline("cyclic")
        p.add("a", lambda: 1, deps=["b"])
        p.add("b", lambda: 1, deps=["a"])
        """
    )
    with pytest.raises(InvalidInputError, match="dependency cycle"):
        pipelines.register(ctx, path)
    assert pipelines.list(ctx) == []


def test_registration_refuses_an_invalid_cron(pipelines, ctx, define) -> None:  # noqa: ANN001
    path = define('p = Pipeline("bad", schedule="0 25 * * *")\np.add("a", lambda: 1)\n')
    with pytest.raises(InvalidInputError, match="invalid cron expression '0 25"):
        pipelines.register(ctx, path)


def test_registration_reports_import_errors_and_missing_files(
    pipelines,
    ctx,
    define,
    tmp_path,  # noqa: ANN001
) -> None:
    with pytest.raises(UserCodeError, match="ZeroDivisionError"):
        pipelines.register(ctx, define("x = 1 / 0\n"))
    with pytest.raises(InvalidInputError, match="defines no pipeline"):
        pipelines.register(ctx, define("x = 1\n"))
    with pytest.raises(NotFoundError, match="does not exist"):
        pipelines.register(ctx, tmp_path / "nope.py")
    with pytest.raises(NotFoundError, match="no module or file named 'no_such_module_x'"):
        pipelines.register(ctx, "no_such_module_x")


def test_registration_stores_a_summary_and_loads_back(pipelines, ctx, define) -> None:  # noqa: ANN001
    path = define(
        """
        p = Pipeline("daily", schedule="@daily", params={"n": Param(int, 2)}, catchup=True)
        p.add("extract", lambda n: n)
        p.add("totals", steps.sql("select 1 as x", table="totals"), deps=["extract"])
        """
    )
    [info] = pipelines.register(ctx, path)
    assert info.source == f"file:{path.resolve()}"
    assert info.schedule == "@daily" and info.catchup and info.start_at is not None
    assert info.summary["params"] == {"n": {"type": "int", "default": 2, "required": False}}
    kinds = {t["name"]: t["kind"] for t in info.summary["tasks"]}
    assert kinds == {"extract": "python", "totals": "sql"}
    assert pipelines.definition(ctx, "daily").validate().order == ("extract", "totals")
    with pytest.raises(NotFoundError, match="pipeline 'nope' is not registered"):
        pipelines.get(ctx, "nope")
