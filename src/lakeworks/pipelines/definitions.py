"""Pipeline definitions: tasks, their dependencies and parameters, checked before running.

A task is a Python function. Its arguments are bound by name: ``context`` receives the
TaskContext, the name of an upstream task receives that task's result (and makes it a
dependency), and the name of a pipeline parameter receives the parameter's value.

Example:
    >>> p = Pipeline("orders", schedule="@daily", params={"limit": Param(int, 10)})
    >>> @p.task
    ... def extract(limit):
    ...     return list(range(limit))
    >>> @p.task(retries=2, timeout=60)
    ... def count(extract):
    ...     return len(extract)
    >>> p.validate().order
    ('extract', 'count')
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from lakeworks.context import check_name
from lakeworks.errors import InvalidInputError
from lakeworks.pipelines.schedule import Schedule, utc
from lakeworks.pipelines.stream_triggers import StreamTrigger

CONTEXT_ARG = "context"
PARAM_TYPES: dict[type, str] = {
    str: "str",
    int: "int",
    float: "float",
    bool: "bool",
    date: "date",
    datetime: "datetime",
    list: "list",
    dict: "dict",
}


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Param:
    """A typed pipeline parameter, optionally with a default."""

    type: type
    default: Any = REQUIRED
    description: str | None = None

    def check(self, name: str, value: Any) -> Any:
        """The value if it has this parameter's type (ints pass as floats), else an error."""
        ok = isinstance(value, self.type) and not (
            self.type in (int, float) and isinstance(value, bool)
        )
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not ok:
            raise InvalidInputError(
                f"parameter {name!r} expects {PARAM_TYPES[self.type]}, "
                f"got {type(value).__name__} {value!r}",
                parameter=name,
                expected=PARAM_TYPES[self.type],
                found=type(value).__name__,
            )
        return value

    def parse(self, name: str, text: str) -> Any:
        """Convert command-line text (``--param limit=10``) to this parameter's type."""
        import json

        try:
            if self.type is bool:
                if text.lower() not in {"true", "false", "1", "0", "yes", "no"}:
                    raise ValueError(text)
                return text.lower() in {"true", "1", "yes"}
            if self.type in (date, datetime):
                return utc(text) if self.type is datetime else date.fromisoformat(text)
            if self.type in (list, dict):
                return self.check(name, json.loads(text))
            return self.type(text)
        except (ValueError, InvalidInputError) as exc:
            raise InvalidInputError(
                f"parameter {name!r} expects {PARAM_TYPES[self.type]}, got {text!r}",
                parameter=name,
                expected=PARAM_TYPES[self.type],
            ) from exc


@dataclass(frozen=True, eq=False)
class Task:
    """One node of a pipeline: a function, its upstream tasks and how to retry it."""

    name: str
    fn: Callable[..., Any]
    deps: tuple[str, ...] = ()
    retries: int = 0
    retry_delay: float = 1.0
    backoff: float = 2.0
    max_retry_delay: float = 300.0
    timeout: float | None = None
    kind: str = "python"
    spec: dict[str, Any] = field(default_factory=dict)
    args: tuple[str, ...] = ()

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (exponential back-off)."""
        return min(self.retry_delay * self.backoff ** (attempt - 1), self.max_retry_delay)

    @property
    def max_attempts(self) -> int:
        return self.retries + 1


@dataclass(frozen=True)
class Graph:
    """A validated pipeline: tasks in a topological order and who depends on whom."""

    tasks: dict[str, Task]
    order: tuple[str, ...]
    downstream: dict[str, tuple[str, ...]]


class Pipeline:
    """A named DAG of tasks with parameters and an optional schedule.

    Args:
        name: unique in a workspace (lower-case letters, digits, underscores).
        schedule: a cron expression, ``"@daily"``, a period (``"15m"``) or a timedelta.
        params: parameter name -> ``Param`` or a bare type (a required parameter).
        catchup: after downtime, run every missed interval (True) or only the latest.
        start: the first interval a schedule may cover (default: registration time).
        max_active_runs: scheduled, backfill and event runs allowed at the same time.
        triggers: table names; a new version of any of them starts a run.
        stream_triggers: ``StreamTrigger(stream, events=N, seconds=T)``: events on a
            stream start a run, at most one per N events or T seconds.
    """

    def __init__(
        self,
        name: str,
        *,
        schedule: str | timedelta | None = None,
        params: dict[str, Param | type] | None = None,
        catchup: bool = False,
        start: datetime | str | None = None,
        max_active_runs: int = 1,
        triggers: Iterable[str] = (),
        stream_triggers: Iterable[StreamTrigger] = (),
        description: str | None = None,
    ) -> None:
        self.name = check_name("pipeline", name)
        self.schedule = Schedule.parse(schedule) if schedule is not None else None
        self.params = {k: _param(name, k, v) for k, v in (params or {}).items()}
        self.catchup = catchup
        self.start = utc(start) if start is not None else None
        if max_active_runs < 1:
            raise InvalidInputError(f"pipeline {name!r}: max_active_runs must be at least 1")
        self.max_active_runs = max_active_runs
        self.triggers = tuple(check_name("table", t) for t in triggers)
        self.stream_triggers = tuple(stream_triggers)
        if not all(isinstance(t, StreamTrigger) for t in self.stream_triggers):
            raise InvalidInputError(
                f"pipeline {name!r}: stream_triggers takes StreamTrigger(stream, events, seconds)"
            )
        self.description = description
        self.tasks: dict[str, Task] = {}
        self._graph: Graph | None = None

    def task(
        self,
        fn: Callable[..., Any] | None = None,
        *,
        name: str | None = None,
        deps: Iterable[str] = (),
        retries: int = 0,
        retry_delay: float = 1.0,
        backoff: float = 2.0,
        timeout: float | None = None,
    ) -> Any:
        """Decorator adding a function as a task (``@p.task`` or ``@p.task(retries=3)``)."""

        def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
            self.add(
                name or f.__name__,
                f,
                deps=deps,
                retries=retries,
                retry_delay=retry_delay,
                backoff=backoff,
                timeout=timeout,
            )
            return f

        return decorate(fn) if fn is not None else decorate

    def add(
        self,
        name: str,
        fn: Callable[..., Any],
        *,
        deps: Iterable[str] = (),
        retries: int = 0,
        retry_delay: float = 1.0,
        backoff: float = 2.0,
        timeout: float | None = None,
    ) -> Task:
        """Add a task (the builder form); ``fn`` may be a step from ``pipelines.steps``."""
        check_name("task", name)
        where = f"task {name!r} of pipeline {self.name!r}"
        if name in self.tasks:
            raise InvalidInputError(f"{where} is defined twice", task=name)
        if not callable(fn):
            raise InvalidInputError(f"{where} needs a callable, got {type(fn).__name__}")
        if retries < 0 or retry_delay < 0 or backoff < 1:
            raise InvalidInputError(
                f"{where}: retries and retry_delay must be >= 0 and backoff >= 1", task=name
            )
        if timeout is not None and timeout <= 0:
            raise InvalidInputError(f"{where}: timeout must be positive seconds", task=name)
        step = getattr(fn, "__lakeworks_step__", {})
        task = Task(
            name=name,
            fn=fn,
            deps=tuple(dict.fromkeys(deps)),
            retries=retries,
            retry_delay=retry_delay,
            backoff=backoff,
            timeout=timeout,
            kind=step.get("kind", "python"),
            spec=dict(step),
        )
        self.tasks[name] = task
        self._graph = None
        return task

    def validate(self) -> Graph:
        """Check the DAG: known dependencies, no cycle, every argument bindable."""
        if self._graph is not None:
            return self._graph
        if not self.tasks:
            raise InvalidInputError(f"pipeline {self.name!r} has no tasks", pipeline=self.name)
        tasks = {name: self._bound(task) for name, task in self.tasks.items()}
        order = _topological(self.name, tasks)
        downstream: dict[str, list[str]] = {name: [] for name in tasks}
        for task in tasks.values():
            for dep in task.deps:
                downstream[dep].append(task.name)
        self.tasks = tasks
        self._graph = Graph(tasks, order, {k: tuple(v) for k, v in downstream.items()})
        return self._graph

    def bind_params(self, given: dict[str, Any] | None) -> dict[str, Any]:
        """The parameters of one run: ``given`` checked against the declared types."""
        given = dict(given or {})
        unknown = sorted(set(given) - set(self.params))
        if unknown:
            raise InvalidInputError(
                f"pipeline {self.name!r} has no parameter(s) {unknown}",
                hint=f"its parameters: {sorted(self.params)}",
                pipeline=self.name,
            )
        values = {}
        for name, param in self.params.items():
            if name in given:
                values[name] = param.check(name, given[name])
            elif param.default is REQUIRED:
                raise InvalidInputError(
                    f"pipeline {self.name!r} needs parameter {name!r}",
                    hint=f"pass params={{{name!r}: ...}}",
                    pipeline=self.name,
                    parameter=name,
                )
            else:
                values[name] = param.default
        return values

    def parse_params(self, texts: dict[str, str]) -> dict[str, Any]:
        """Typed values from ``name=text`` pairs (what a command line gives); not bound."""
        unknown = sorted(set(texts) - set(self.params))
        if unknown:
            raise InvalidInputError(
                f"pipeline {self.name!r} has no parameter(s) {unknown}",
                hint=f"its parameters: {sorted(self.params)}",
            )
        return {k: self.params[k].parse(k, v) for k, v in texts.items()}

    def encode_params(self, values: dict[str, Any]) -> dict[str, Any]:
        """Parameters as JSON for the catalog (dates become ISO strings)."""
        return {k: _jsonable(v) for k, v in values.items()}

    def decode_params(self, stored: dict[str, Any] | None) -> dict[str, Any]:
        """Parameters read back from the catalog; defaults fill in ones added since."""
        values = {k: p.default for k, p in self.params.items() if p.default is not REQUIRED}
        for name, value in (stored or {}).items():
            param = self.params.get(name)
            if param is not None and param.type in (date, datetime) and isinstance(value, str):
                value = param.parse(name, value)
            values[name] = value
        return values

    def summary(self) -> dict[str, Any]:
        """A JSON description for the catalog: tasks, dependencies, parameters, schedule."""
        graph = self.validate()
        return {
            "description": self.description,
            "schedule": self.schedule.text if self.schedule else None,
            "catchup": self.catchup,
            "max_active_runs": self.max_active_runs,
            "triggers": list(self.triggers),
            **(
                {"stream_triggers": [t.spec() for t in self.stream_triggers]}
                if self.stream_triggers
                else {}
            ),
            "params": {
                k: {
                    "type": PARAM_TYPES[p.type],
                    "default": None if p.default is REQUIRED else _jsonable(p.default),
                    "required": p.default is REQUIRED,
                }
                for k, p in self.params.items()
            },
            "tasks": [
                {
                    "name": t.name,
                    "kind": t.kind,
                    "deps": list(t.deps),
                    "retries": t.retries,
                    "timeout": t.timeout,
                    **{k: v for k, v in t.spec.items() if k != "kind"},
                }
                for t in (graph.tasks[n] for n in graph.order)
            ],
        }

    def _bound(self, task: Task) -> Task:
        """The task with its argument names resolved and inferred dependencies added."""
        where = f"task {task.name!r} of pipeline {self.name!r}"
        deps = list(task.deps)
        args = []
        for arg in inspect.signature(task.fn).parameters.values():
            if arg.kind in (arg.VAR_POSITIONAL, arg.VAR_KEYWORD):
                continue
            if arg.name in self.tasks and arg.name != task.name:
                deps.append(arg.name)
            elif arg.name not in self.params and arg.name != CONTEXT_ARG:
                if arg.default is inspect.Parameter.empty:
                    raise InvalidInputError(
                        f"{where}: argument {arg.name!r} is not a task, a parameter or "
                        f"'{CONTEXT_ARG}'",
                        hint="name an upstream task, declare it in params=, or give a default",
                        task=task.name,
                        argument=arg.name,
                    )
                continue
            args.append(arg.name)
        for dep in deps:
            if dep not in self.tasks:
                raise InvalidInputError(
                    f"{where} depends on unknown task {dep!r}",
                    hint=f"tasks in this pipeline: {sorted(self.tasks)}",
                    task=task.name,
                    dependency=dep,
                )
        return Task(**{**task.__dict__, "deps": tuple(dict.fromkeys(deps)), "args": tuple(args)})

    def __repr__(self) -> str:
        return f"<Pipeline {self.name!r} tasks={list(self.tasks)}>"


def _param(pipeline: str, name: str, value: Param | type) -> Param:
    param = value if isinstance(value, Param) else Param(value)
    if param.type not in PARAM_TYPES:
        raise InvalidInputError(
            f"parameter {name!r} of pipeline {pipeline!r} has unsupported type {param.type!r}",
            hint=f"use one of {sorted(PARAM_TYPES.values())}",
        )
    if param.default is not REQUIRED:
        param.check(name, param.default)
    return param


def _topological(pipeline: str, tasks: dict[str, Task]) -> tuple[str, ...]:
    waiting = {name: len(task.deps) for name, task in tasks.items()}
    downstream: dict[str, list[str]] = {name: [] for name in tasks}
    for task in tasks.values():
        for dep in task.deps:
            downstream[dep].append(task.name)
    ready = [name for name, n in waiting.items() if n == 0]
    order = []
    while ready:
        name = ready.pop(0)
        order.append(name)
        for child in downstream[name]:
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    if len(order) < len(tasks):
        cycle = _cycle({n: tasks[n].deps for n in tasks if n not in order})
        raise InvalidInputError(
            f"pipeline {pipeline!r} has a dependency cycle: {' -> '.join(cycle)}",
            hint="remove one of these dependencies",
            pipeline=pipeline,
        )
    return tuple(order)


def _cycle(deps: dict[str, tuple[str, ...]]) -> list[str]:
    """One cycle among tasks that could not be ordered."""
    path: list[str] = []
    node = next(iter(deps))
    while node not in path:
        path.append(node)
        node = next(d for d in deps[node] if d in deps)
    cycle = path[path.index(node) :] + [node]
    return list(reversed(cycle))


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
