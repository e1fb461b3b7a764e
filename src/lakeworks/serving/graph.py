"""Lineage from any node: tables, tracking runs, model versions, feature views, endpoints
and single predictions, in one graph (``serving.lineage``; the lineage page and
``GET /api/v1/workspaces/<ws>/lineage?node=<kind>:<name>``).

A node is named ``<kind>:<name>``: ``table:orders``, ``run:<run id>``,
``model:churn/2``, ``view:rider_stats``, ``endpoint:churn_api``, ``prediction:<request
id>`` (and the ``file:``, ``query:``, ``url:``, ``stream:`` sources the table graph
records). Edges point the way data flows: table -> run -> model -> endpoint ->
prediction; feature view -> run (a training set), -> endpoint (its feature service) and
-> prediction (online features). The walk goes ``depth`` steps upstream and downstream
of the start, one direction at a time, as the table graph does; between tables it hands
over to the table graph's batched walk (``Lineage.graph``), which reaches a thousand
tables in one store query per level. From a table start, the tracking runs that table
graph reaches downstream walk on (model -> endpoint) with the steps they have left.

A prediction's upstream is its own chain, not the endpoint's current state: the
endpoint configuration version that answered it, the model version that answered, the
run that trained that version, and the training set and table versions the run read.

Serving sits above the other services (layers in ``pyproject.toml``), so this walk lives
here; each collaborator is the guarded service, so every read is authorized again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakeworks.errors import InvalidInputError

if TYPE_CHECKING:
    from lakeworks.context import Context
    from lakeworks.features.service import Features
    from lakeworks.lineage.service import Lineage, LineageGraph
    from lakeworks.registry.service import Registry
    from lakeworks.serving.endpoints import EndpointConfig
    from lakeworks.serving.trace import PredictionTrace

KINDS = ("table", "run", "model", "view", "endpoint", "prediction")
MAX_LINKS = 5000  # a walk stops adding levels past this many edges


@dataclass
class Link:
    """``source`` -> ``target`` (``kind:name`` ids) and what made it: one record per job
    run, read or deployment (``operation``, ``user``, ``at``, ``job``, ...)."""

    source: str
    target: str
    runs: list[dict[str, Any]] = field(default_factory=list)
    columns: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "runs": self.runs,
                "columns": self.columns}  # fmt: skip


@dataclass(frozen=True)
class ObjectGraph:
    """The edges around ``root``; one edge per (source, target), records merged."""

    root: str
    links: tuple[Link, ...]

    def nodes(self) -> list[str]:
        """Every node id, the root first, then in the order the edges reach them."""
        found = dict.fromkeys([self.root])
        for link in self.links:
            found.update(dict.fromkeys((link.source, link.target)))
        return list(found)

    def to_dict(self) -> dict[str, Any]:
        return {"root": self.root, "edges": [link.to_dict() for link in self.links]}


def parse(node: str) -> tuple[str, str]:
    """``"model:churn/2"`` -> ``("model", "churn/2")``; an unknown kind is an error."""
    kind, colon, name = node.partition(":")
    if not colon or not name or kind not in KINDS:
        raise InvalidInputError(
            f"invalid lineage node {node!r}: expected <kind>:<name> with kind one of "
            f"{', '.join(KINDS)}",
            hint="for example table:orders, model:churn/2 or prediction:<request id>",
            node=node,
        )
    return kind, name


def model_ref(name: str) -> tuple[str, int]:
    """``"churn/2"`` -> ``("churn", 2)``."""
    model, slash, version = name.rpartition("/")
    if not slash or not model or not version.isdigit():
        raise InvalidInputError(
            f"invalid model version {name!r} in a lineage node: expected <model>/<version>",
            hint="for example model:churn/2",
            node=f"model:{name}",
        )
    return model, int(version)


class Links:
    """The edges found so far, merged per (source, target)."""

    def __init__(self) -> None:
        self.by_pair: dict[tuple[str, str], Link] = {}

    def add(self, source: str, target: str, **record: Any) -> None:
        link = self.by_pair.setdefault((source, target), Link(source, target))
        link.runs.append(record)

    def table_graph(self, graph: LineageGraph, upstream: bool, downstream: bool) -> list[str]:
        """The table graph's edges at table level (versions merged, each write's record
        and column mapping kept); returns the nodes they reach."""
        reached = []
        edges = (*(graph.upstream if upstream else ()), *(graph.downstream if downstream else ()))
        for edge in edges:
            found = edge.to_dict()
            source = f"{edge.source.kind}:{edge.source.name}"
            target = f"{edge.target.kind}:{edge.target.name}"
            link = self.by_pair.setdefault((source, target), Link(source, target))
            link.runs.append({k: found[k] for k in _EDGE_FIELDS})
            for column, sources in (edge.columns or {}).items():
                known = link.columns.setdefault(column, [])
                known.extend(s for s in sources if s not in known)
            reached += [source, target]
        return reached

    def __len__(self) -> int:
        return len(self.by_pair)


_EDGE_FIELDS = ("job", "kind", "operation", "user", "at", "pipeline", "pipeline_run_id",
                "task", "sql")  # fmt: skip


class ObjectLineage:
    """The walk over every kind of node; built by ``Serving`` with its collaborators."""

    def __init__(
        self,
        lineage: Lineage,
        registry: Registry,
        features: Features | None,
        endpoints: Callable[[Context], list[EndpointConfig]],
        endpoint: Callable[[Context, str], EndpointConfig],
        trace: Callable[[Context, str], PredictionTrace],
    ) -> None:
        self.lineage = lineage
        self.registry = registry
        self.tracking = registry.tracking
        self.features = features
        self.endpoints = endpoints
        self.endpoint = endpoint
        self.trace = trace

    def graph(self, ctx: Context, node: str, depth: int = 3) -> ObjectGraph:
        """The edges within ``depth`` steps upstream and downstream of ``node``."""
        kind, name = parse(node)
        if not 1 <= depth <= 50:
            raise InvalidInputError(f"invalid lineage depth {depth}: expected 1 to 50")
        links = Links()
        if kind == "table":  # the table graph as it always was, then views reading it
            tables = self.lineage.graph(ctx, name, None, depth)
            links.table_graph(tables, True, True)
            self._views_of(ctx, name, links)
            # the runs that read a table walk on downstream (model -> endpoint) with the
            # steps they have left, as a run start does
            for run, hops in _runs_below(node, tables).items():
                self._walk(ctx, run, False, depth - hops, links)
            return ObjectGraph(node, tuple(links.by_pair.values()))
        self._check(ctx, kind, name)
        for upstream in (True, False):
            self._walk(ctx, node, upstream, depth, links)
        return ObjectGraph(node, tuple(links.by_pair.values()))

    def _walk(self, ctx: Context, node: str, upstream: bool, depth: int, links: Links) -> None:
        """Add the edges within ``depth`` steps of ``node`` in one direction, a level at a
        time, until nothing new is reached or ``MAX_LINKS`` is passed."""
        seen, frontier = {node}, [node]
        for level in range(depth):
            following = []
            for here in frontier:
                reached = self._step(ctx, here, upstream, depth - level, links)
                following += [n for n in reached if n not in seen]
                seen.update(reached)
            frontier = following
            if not frontier or len(links) > MAX_LINKS:
                break

    def _check(self, ctx: Context, kind: str, name: str) -> None:
        """A start that does not exist is a NotFoundError from its own service."""
        if kind == "run":
            self.tracking.get_run_info(ctx, name)
        elif kind == "model":
            self.registry.get_version(ctx, *model_ref(name))
        elif kind == "view":
            self._features().get(ctx, name)
        elif kind == "endpoint":
            self.endpoint(ctx, name)

    def _step(self, ctx: Context, node: str, upstream: bool, left: int, links: Links) -> list[str]:
        """Add the edges one step from ``node`` in one direction; returns the nodes to walk
        on from (a table hands over to the table graph, which walks ``left`` steps)."""
        kind, name = node.split(":", 1)
        if kind == "table":
            graph = self.lineage.graph(ctx, name, None, left)
            links.table_graph(graph, upstream, not upstream)
            return []  # the table walk went ``left`` steps already
        step = _STEPS.get((kind, upstream))
        return step(self, ctx, name, links) if step else []

    # upstream -----------------------------------------------------------------------
    def _run_inputs(self, ctx: Context, run_id: str, links: Links) -> list[str]:
        reached = []
        target = f"run:{run_id}"
        for read in self.tracking.list_inputs(ctx, run_id):
            if read.kind == "table":
                at = f"v{read.version}" if read.version is not None else "latest"
                links.add(f"table:{read.name}", target, operation=f"read {read.name}@{at}",
                          version=read.version, job="tracking run")  # fmt: skip
                reached.append(f"table:{read.name}")
            elif read.kind == "training_set":
                for view, version in ((read.detail or {}).get("views") or {}).items():
                    links.add(f"view:{view}", target, operation=f"training set {view}@v{version}",
                              version=version, job="training set")  # fmt: skip
                    reached.append(f"view:{view}")
        return reached

    def _model_run(self, ctx: Context, name: str, links: Links) -> list[str]:
        found = self.registry.get_version(ctx, *model_ref(name))
        if not found.run_id:
            return []
        links.add(f"run:{found.run_id}", f"model:{name}", operation="trained",
                  user=found.created_by, at=_iso(found.created_ms), job="registry")  # fmt: skip
        return [f"run:{found.run_id}"]

    def _view_source(self, ctx: Context, name: str, links: Links) -> list[str]:
        view = self._features().get(ctx, name)
        source = f"query:{view.source}" if view.source_is_query else f"table:{view.source}"
        links.add(source, f"view:{name}", operation="feature view source", job="features")
        return [source] if source.startswith("table:") else []

    def _endpoint_models(self, ctx: Context, name: str, links: Links) -> list[str]:
        config = self.endpoint(ctx, name)
        for slot in config.slots:
            self._endpoint_link(config, slot.name, slot.ref, links)
        views = self._served_views(ctx, config)
        for view in views:
            links.add(f"view:{view}", f"endpoint:{name}", operation=f"online features via "
                      f"{config.features}", job="features")  # fmt: skip
        return [f"model:{slot.ref}" for slot in config.slots] + [f"view:{v}" for v in views]

    def _served_views(self, ctx: Context, config: EndpointConfig) -> list[str]:
        """The feature views of the feature service an endpoint reads for requests by key."""
        if not config.features or self.features is None:
            return []
        service = self.features.get(ctx, config.features, "service")
        return list(dict.fromkeys(ref.split(":")[0] for ref in service.features))

    def _prediction_chain(self, ctx: Context, request_id: str, links: Links) -> list[str]:
        """prediction <- endpoint (the configuration that answered) <- model version <-
        run <- training sets and table versions: the trace, not the endpoint of today."""
        found = self.trace(ctx, request_id)
        here, endpoint = f"prediction:{request_id}", f"endpoint:{found.endpoint}"
        config = found.configuration or {}
        links.add(endpoint, here, operation=f"answered with config v{config.get('version', '?')}",
                  at=found.time, job=config.get("strategy", "endpoint"))  # fmt: skip
        model = f"model:{found.model['ref']}"
        links.add(model, endpoint, operation="answered the request", at=found.time,
                  job="serving")  # fmt: skip
        for view, version in found.feature_views.items():
            links.add(f"view:{view}", here, operation=f"online features {view}@v{version}",
                      version=version, job="features")  # fmt: skip
        if not found.run_id:
            return []
        links.add(f"run:{found.run_id}", model, operation="trained",
                  user=found.model.get("created_by", ""), at=_iso(found.model.get("created_ms")),
                  job="registry")  # fmt: skip
        return self._run_inputs(ctx, found.run_id, links)

    # downstream ---------------------------------------------------------------------
    def _run_models(self, ctx: Context, run_id: str, links: Links) -> list[str]:
        found = self.registry.search_versions(ctx, filter=f"run_id = '{run_id}'")
        reached = []
        for v in found.items:
            model = f"model:{v.name}/{v.version}"
            links.add(f"run:{run_id}", model, operation="trained", user=v.created_by,
                      at=_iso(v.created_ms), job="registry")  # fmt: skip
            reached.append(model)
        return reached

    def _view_readers(self, ctx: Context, view: str, links: Links) -> list[str]:
        """Runs that built a training set from the view; endpoints serving its features."""
        reached = []
        for config in self.endpoints(ctx):
            if view in self._served_views(ctx, config):
                links.add(f"view:{view}", f"endpoint:{config.endpoint}",
                          operation=f"online features via {config.features}",
                          job="features")  # fmt: skip
                reached.append(f"endpoint:{config.endpoint}")
        for edge in self.lineage.view_readers(ctx, view):
            run = f"run:{edge.target.name}"
            links.add(f"view:{view}", run, operation=f"training set {view}@v{edge.source.version}",
                      version=edge.source.version, user=edge.user, at=edge.at.isoformat(),
                      job=edge.job)  # fmt: skip
            reached.append(run)
        return reached

    def _model_endpoints(self, ctx: Context, name: str, links: Links) -> list[str]:
        reached = []
        for config in self.endpoints(ctx):
            for slot in config.slots:
                if f"{slot.model}/{slot.version}" == name:
                    self._endpoint_link(config, slot.name, name, links)
                    reached.append(f"endpoint:{config.endpoint}")
        return reached

    @staticmethod
    def _endpoint_link(config: EndpointConfig, slot: str, model: str, links: Links) -> None:
        links.add(f"model:{model}", f"endpoint:{config.endpoint}",
                  operation=f"{slot} in config v{config.version}", user=config.created_by,
                  at=_iso(config.created_ms), job=config.strategy)  # fmt: skip

    def _views_of(self, ctx: Context, table: str, links: Links) -> list[str]:
        """Feature views whose source is ``table``."""
        if self.features is None:
            return []
        reached = []
        for view in self.features.list(ctx, "view"):
            if view.spec.get("source", "").strip() == table:
                links.add(f"table:{table}", f"view:{view.name}", operation="feature view source",
                          user=view.created_by, at=view.created_at.isoformat(),
                          job=f"feature view v{view.version}")  # fmt: skip
                reached.append(f"view:{view.name}")
        return reached

    def _features(self) -> Features:
        if self.features is None:
            raise InvalidInputError("this serving service was built without a feature store")
        return self.features


def _iso(ms: int | None) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, UTC).isoformat() if ms else ""


_Step = Callable[[ObjectLineage, "Context", str, Links], Iterable[str]]


def _runs_below(start: str, tables: LineageGraph) -> dict[str, int]:
    """Each tracking run in the table graph's downstream edges, with its fewest hops from
    ``start`` (``table:<name>``): the steps a walk on from it has already used."""
    below: dict[str, list[str]] = {}
    for edge in tables.downstream:
        source = f"{edge.source.kind}:{edge.source.name}"
        below.setdefault(source, []).append(f"{edge.target.kind}:{edge.target.name}")
    hops, frontier = {start: 0}, [start]
    while frontier:
        following = []
        for here in frontier:
            for there in below.get(here, []):
                if there not in hops:
                    hops[there] = hops[here] + 1
                    following.append(there)
        frontier = following
    return {node: n for node, n in hops.items() if node.startswith("run:")}


_STEPS: dict[tuple[str, bool], _Step] = {  # (kind, upstream) -> the step
    ("run", True): ObjectLineage._run_inputs,
    ("model", True): ObjectLineage._model_run,
    ("view", True): ObjectLineage._view_source,
    ("endpoint", True): ObjectLineage._endpoint_models,
    ("prediction", True): ObjectLineage._prediction_chain,
    ("run", False): ObjectLineage._run_models,
    ("model", False): ObjectLineage._model_endpoints,
    ("view", False): ObjectLineage._view_readers,
}
