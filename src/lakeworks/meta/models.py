"""ORM models of the catalog. Change them only together with a new Alembic migration."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class WorkspaceRow(Base):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(String(256), nullable=False)
    # bumped in the transaction of every check added or removed (migration 0005)
    checks_revision: Mapped[int] = mapped_column(
        BigInteger, nullable=False, default=0, server_default="0"
    )


class TableRow(Base):
    __tablename__ = "tables"
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_tables_workspace_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    location: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32), nullable=False, default="table")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(String(256), nullable=False)


class LoadRow(Base):
    """One ingestion run: what was read from where, and what landed or was quarantined."""

    __tablename__ = "loads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    table_name: Mapped[str] = mapped_column(String(128), nullable=False, index=True)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    source_kind: Mapped[str] = mapped_column(String(32), nullable=False)
    mode: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    fingerprint: Mapped[str | None] = mapped_column(String(128), index=True)
    watermark_column: Mapped[str | None] = mapped_column(String(256))
    watermark: Mapped[str | None] = mapped_column(Text)
    rows_read: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    rows_written: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    rows_quarantined: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    table_version: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_by: Mapped[str] = mapped_column(String(256), nullable=False)


class PipelineRow(Base):
    """A registered pipeline: where its code lives and a summary of its definition."""

    __tablename__ = "pipelines"
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_pipelines_workspace_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    summary: Mapped[dict] = mapped_column(JSON, nullable=False)
    schedule: Mapped[str | None] = mapped_column(String(128))
    catchup: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    max_active_runs: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    start_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paused: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    trigger_state: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(String(256), nullable=False)
    # who registered or last changed it (``Principal.data``): its scheduled and event
    # runs act as this principal; None: registered in embedded mode
    principal: Mapped[dict | None] = mapped_column(JSON)


class PipelineRunRow(Base):
    """One run of a pipeline. ``run_key`` makes scheduled, backfill and event runs unique."""

    __tablename__ = "pipeline_runs"
    __table_args__ = (
        UniqueConstraint("pipeline_id", "run_key", name="uq_pipeline_runs_key"),
        Index("ix_pipeline_runs_state", "state", "pipeline_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    pipeline_id: Mapped[int] = mapped_column(
        ForeignKey("pipelines.id", ondelete="CASCADE"), nullable=False
    )
    pipeline: Mapped[str] = mapped_column(String(128), nullable=False)
    run_key: Mapped[str | None] = mapped_column(String(256))
    trigger: Mapped[str] = mapped_column(String(32), nullable=False)
    state: Mapped[str] = mapped_column(String(32), nullable=False)
    params: Mapped[dict | None] = mapped_column(JSON)
    interval_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    interval_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    backfill: Mapped[str | None] = mapped_column(String(64))
    owner: Mapped[str | None] = mapped_column(String(256))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    recoveries: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(String(256), nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    principal: Mapped[dict | None] = mapped_column(JSON)  # whom its tasks act as


class TaskRunRow(Base):
    """One task of a run: its state, attempts, captured log, costs and table lineage."""

    __tablename__ = "pipeline_task_runs"
    __table_args__ = (
        UniqueConstraint("run_id", "task", name="uq_pipeline_task_runs_task"),
        # the task CPU-seconds of today (a quota's current use) read only today's attempts
        Index("ix_pipeline_task_runs_finished", "finished_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("pipeline_runs.id", ondelete="CASCADE"), nullable=False
    )
    task: Mapped[str] = mapped_column(String(128), nullable=False)
    state: Mapped[str] = mapped_column(String(32), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_s: Mapped[float | None] = mapped_column(Float)
    cpu_seconds: Mapped[float | None] = mapped_column(Float)
    peak_memory_bytes: Mapped[int | None] = mapped_column(BigInteger)
    worker: Mapped[str | None] = mapped_column(String(256))
    error: Mapped[str | None] = mapped_column(Text)
    traceback: Mapped[str | None] = mapped_column(Text)
    log: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict | None] = mapped_column(JSON)
    reads: Mapped[list | None] = mapped_column(JSON)
    writes: Mapped[list | None] = mapped_column(JSON)


# quality and lineage (migration 0003) ------------------------------------------------------
class QualityCheckRow(Base):
    """A data quality check declared on a table."""

    __tablename__ = "quality_checks"
    __table_args__ = (
        UniqueConstraint("workspace_id", "table_name", "name", name="uq_quality_checks_name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    table_name: Mapped[str] = mapped_column(String(128), nullable=False)
    name: Mapped[str] = mapped_column(String(256), nullable=False)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    spec: Mapped[dict] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(String(256), nullable=False)
    # the workspace's checks_revision that added this check (migration 0005)
    revision: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, server_default="0")


class QualityResultRow(Base):
    """The outcome of one check on one table version."""

    __tablename__ = "quality_results"
    __table_args__ = (Index("ix_quality_results_table", "workspace_id", "table_name", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    table_name: Mapped[str] = mapped_column(String(128), nullable=False)
    table_version: Mapped[int | None] = mapped_column(BigInteger)
    run_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    trigger: Mapped[str] = mapped_column(String(32), nullable=False)
    check_name: Mapped[str] = mapped_column(String(256), nullable=False)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    severity: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    violating: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    total: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    observed: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    # no sample: SQL NULL, not the JSON text 'null' (nothing to encode for most rows)
    sample: Mapped[list | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class TableProfileRow(Base):
    """The profile of one table version: per-column statistics as compact JSON."""

    __tablename__ = "table_profiles"
    __table_args__ = (
        UniqueConstraint("workspace_id", "table_name", "table_version", name="uq_table_profiles"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    table_name: Mapped[str] = mapped_column(String(128), nullable=False)
    table_version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    rows: Mapped[int] = mapped_column(BigInteger, nullable=False)
    profile: Mapped[dict] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class LineageRunRow(Base):
    """One job run that wrote a table version: a SQL statement, a load, a pipeline task."""

    __tablename__ = "lineage_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    run_uuid: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    job: Mapped[str] = mapped_column(String(512), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    pipeline: Mapped[str | None] = mapped_column(String(128))
    pipeline_run_id: Mapped[int | None] = mapped_column(BigInteger)
    task: Mapped[str | None] = mapped_column(String(128))
    sql: Mapped[str | None] = mapped_column(Text)
    table_name: Mapped[str] = mapped_column(String(128), nullable=False)
    table_version: Mapped[int | None] = mapped_column(BigInteger)
    operation: Mapped[str] = mapped_column(String(32), nullable=False)
    user: Mapped[str] = mapped_column(String(256), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class LineageEdgeRow(Base):
    """An input of a lineage run: a table version, a file, a query or a URL."""

    __tablename__ = "lineage_edges"
    __table_args__ = (
        Index("ix_lineage_edges_source", "workspace_id", "source_kind", "source_name"),
        Index("ix_lineage_edges_target", "workspace_id", "target_table"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("lineage_runs.id", ondelete="CASCADE"), nullable=False
    )
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    source_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    source_name: Mapped[str] = mapped_column(Text, nullable=False)
    source_version: Mapped[int | None] = mapped_column(BigInteger)
    target_table: Mapped[str] = mapped_column(String(128), nullable=False)
    target_version: Mapped[int | None] = mapped_column(BigInteger)
    columns: Mapped[dict | None] = mapped_column(JSON)


class FeatureDefinitionRow(Base):
    """One version of a feature definition (entity, view or service); versions only grow."""

    __tablename__ = "feature_definitions"
    __table_args__ = (
        UniqueConstraint(
            "workspace_id", "kind", "name", "version", name="uq_feature_definitions_version"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    spec: Mapped[dict] = mapped_column(JSON, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(String(256), nullable=False)


class FeatureMaterializationRow(Base):
    """A materialization (or push) of a feature view into the online store."""

    __tablename__ = "feature_materializations"
    __table_args__ = (Index("ix_feature_materializations_view", "workspace_id", "view"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    view: Mapped[str] = mapped_column(String(128), nullable=False)
    view_version: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    start_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rows: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(String(256), nullable=False)


# tracking (migration 0006) ---------------------------------------------------------------
# Times are milliseconds since the epoch (BigInteger), as MLflow's protocol carries them.
class ExperimentRow(Base):
    """A named group of runs in a workspace."""

    __tablename__ = "experiments"
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_experiments_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(256), nullable=False)
    artifact_location: Mapped[str | None] = mapped_column(Text)
    lifecycle_stage: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_by: Mapped[str] = mapped_column(String(256), nullable=False)


class ExperimentTagRow(Base):
    __tablename__ = "experiment_tags"

    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)


class RunRow(Base):
    """One training run; ``id`` is a uuid4 hex, as MLflow's run_id."""

    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_experiment", "experiment_id", "lifecycle_stage", "start_time"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id"), nullable=False)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(256), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    start_time: Mapped[int] = mapped_column(BigInteger, nullable=False)
    end_time: Mapped[int | None] = mapped_column(BigInteger)
    lifecycle_stage: Mapped[str] = mapped_column(String(16), nullable=False)
    user_id: Mapped[str] = mapped_column(String(256), nullable=False)
    parent_run_id: Mapped[str | None] = mapped_column(String(32))
    heartbeat_at: Mapped[int | None] = mapped_column(BigInteger)
    deleted_time: Mapped[int | None] = mapped_column(BigInteger)


# PostgreSQL's btree cannot hold an entry over ~2.7 kB, and params and tags may be longer:
# there the index holds the values of at most SEARCH_INDEX_BYTES bytes (migrations 0006a, 0006b)
SEARCH_INDEX_BYTES = 1024


def _search_index(name: str) -> Index:
    """(key, value, run_id) for run search: the index alone answers a key = value join."""
    short = text(f"octet_length(value) <= {SEARCH_INDEX_BYTES}")
    return Index(name, "key", "value", "run_id", postgresql_where=short)


class ParamRow(Base):
    __tablename__ = "params"
    __table_args__ = (_search_index("ix_params_key_value"),)

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)


class RunTagRow(Base):
    __tablename__ = "run_tags"
    __table_args__ = (_search_index("ix_run_tags_key_value"),)

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)


class MetricRow(Base):
    """One point of a metric's history. The whole point is the key, so a client's retry of
    the same point is ignored (insert ... on conflict do nothing). NaN is value 0, is_nan."""

    __tablename__ = "metrics"
    __table_args__ = {"sqlite_with_rowid": False}  # one b-tree: the key is the whole row

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    step: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    timestamp: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    value: Mapped[float] = mapped_column(Float, primary_key=True)
    is_nan: Mapped[bool] = mapped_column(Boolean, primary_key=True)


class LatestMetricRow(Base):
    """The latest point of each metric of a run (greatest step, then timestamp)."""

    __tablename__ = "latest_metrics"
    __table_args__ = (Index("ix_latest_metrics_key_value", "key", "value"),)

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    step: Mapped[int] = mapped_column(BigInteger, nullable=False)
    timestamp: Mapped[int] = mapped_column(BigInteger, nullable=False)
    is_nan: Mapped[bool] = mapped_column(Boolean, nullable=False)


class RunInputRow(Base):
    """What a run read (lineage): a table version, a training set, ..."""

    __tablename__ = "run_inputs"
    __table_args__ = (Index("ix_run_inputs_source", "workspace", "kind", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    workspace: Mapped[str] = mapped_column(String(128), nullable=False)
    name: Mapped[str] = mapped_column(String(256), nullable=False)
    version: Mapped[int | None] = mapped_column(BigInteger)
    detail: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))


class ArtifactObjectRow(Base):
    """A stored artifact file, named by the sha256 of its bytes (stored once)."""

    __tablename__ = "artifact_objects"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ArtifactRefRow(Base):
    """A path in a run's (or model version's) artifacts, pointing at a stored object."""

    __tablename__ = "artifact_refs"
    __table_args__ = (Index("ix_artifact_refs_digest", "digest"),)

    owner_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(Text, primary_key=True)
    digest: Mapped[str] = mapped_column(ForeignKey("artifact_objects.digest"), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)


# registry (migration 0007) ----------------------------------------------------------------
# Times are epoch milliseconds (BigInteger), as the MLflow registry protocol shows them.
def _model_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("registered_models.id", ondelete="CASCADE"), nullable=False)


def _version_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("model_versions.id", ondelete="CASCADE"), nullable=False)


class RegisteredModelRow(Base):
    """A registered model: a name in a workspace whose versions are the trained models."""

    __tablename__ = "registered_models"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name", name="uq_registered_models_workspace_name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(256), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    created_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_by: Mapped[str] = mapped_column(String(256), nullable=False)


class RegisteredModelTagRow(Base):
    __tablename__ = "registered_model_tags"
    __table_args__ = (UniqueConstraint("model_id", "key", name="uq_registered_model_tags_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = _model_fk()
    key: Mapped[str] = mapped_column(String(250), nullable=False)
    value: Mapped[str] = mapped_column(Text, nullable=False)


class ModelVersionRow(Base):
    """One version of a registered model: its files (artifacts owned by the version), format,
    signature and the run it came from. ``run_id`` has no foreign key: MLflow clients
    register models from any source."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("model_id", "version", name="uq_model_versions_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = _model_fk()
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    run_id: Mapped[str | None] = mapped_column(String(32), index=True)
    source: Mapped[str | None] = mapped_column(Text)
    format: Mapped[str | None] = mapped_column(String(32))
    info: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    signature: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    stage: Mapped[str | None] = mapped_column(String(32))
    created_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_by: Mapped[str] = mapped_column(String(256), nullable=False)


class ModelVersionTagRow(Base):
    __tablename__ = "model_version_tags"
    __table_args__ = (UniqueConstraint("version_id", "key", name="uq_model_version_tags_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = _version_fk()
    key: Mapped[str] = mapped_column(String(250), nullable=False)
    value: Mapped[str] = mapped_column(Text, nullable=False)


class ModelAliasRow(Base):
    __tablename__ = "model_aliases"
    __table_args__ = (UniqueConstraint("model_id", "alias", name="uq_model_aliases_alias"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = _model_fk()
    alias: Mapped[str] = mapped_column(String(256), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)


class ModelApprovalRow(Base):
    """A stage of approval given to a version, with who and when."""

    __tablename__ = "model_approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = _version_fk()
    stage: Mapped[str] = mapped_column(String(32), nullable=False)
    approved_by: Mapped[str] = mapped_column(String(256), nullable=False)
    at_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    comment: Mapped[str | None] = mapped_column(Text)


class ModelAliasEventRow(Base):
    """An alias set, moved or deleted: the audit of who moved what, and whether forced."""

    __tablename__ = "model_alias_events"
    __table_args__ = (Index("ix_model_alias_events_model", "model_id", "alias"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = _model_fk()
    alias: Mapped[str] = mapped_column(String(256), nullable=False)
    from_version: Mapped[int | None] = mapped_column(Integer)
    to_version: Mapped[int | None] = mapped_column(Integer)
    forced: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    moved_by: Mapped[str] = mapped_column(String(256), nullable=False)
    at_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ModelReportRow(Base):
    """A governance report of a version: 'card', 'fairness', 'explanation' or 'evaluation'.
    ``passed`` is None for reports that do not gate (a card)."""

    __tablename__ = "model_reports"
    __table_args__ = (UniqueConstraint("version_id", "kind", name="uq_model_reports_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = _version_fk()
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    body: Mapped[dict] = mapped_column(JSON, nullable=False)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    created_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)


# MLflow 3 logged models (migration 0008) ------------------------------------------------
class LoggedModelRow(Base):
    """An MLflow 3 logged model: files under artifact refs of kind ``model``, its params and
    tags as JSON objects (read and written whole, never searched inside)."""

    __tablename__ = "logged_models"
    __table_args__ = (
        Index("ix_logged_models_experiment", "experiment_id", "created_at"),
        Index("ix_logged_models_source_run", "source_run_id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(256), nullable=False)
    source_run_id: Mapped[str | None] = mapped_column(String(32))
    model_type: Mapped[str | None] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    status_message: Mapped[str | None] = mapped_column(Text)
    lifecycle_stage: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_by: Mapped[str] = mapped_column(String(256), nullable=False)
    tags: Mapped[dict] = mapped_column(JSON, nullable=False)
    params: Mapped[dict] = mapped_column(JSON, nullable=False)


# serving


class EndpointRow(Base):
    """A serving endpoint of a workspace; ``version`` is its current configuration."""

    __tablename__ = "endpoints"
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_endpoints_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_by: Mapped[str] = mapped_column(String(256), nullable=False)


class EndpointConfigRow(Base):
    """One configuration of an endpoint (slots and traffic policy), never changed."""

    __tablename__ = "endpoint_configs"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "version", name="uq_endpoint_configs_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("endpoints.id", ondelete="CASCADE"), nullable=False
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    body: Mapped[dict] = mapped_column(JSON, nullable=False)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    created_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_by: Mapped[str] = mapped_column(String(256), nullable=False)


# quotas and usage (migration 0010_sec_quota) ----------------------------------------------


class QuotaRow(Base):
    """A workspace's limit of one quota (``lakeworks.limits.QUOTAS``)."""

    __tablename__ = "quotas"
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_quotas_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    limit: Mapped[float] = mapped_column(Float, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_by: Mapped[str] = mapped_column(String(256), nullable=False)


class UsageRow(Base):
    """What a workspace used: ``amount`` of ``kind`` for a user (and pipeline, object) over
    a batch ending at ``recorded_at``; storage kinds are samples of the bytes held."""

    __tablename__ = "usage"
    __table_args__ = (Index("ix_usage_workspace_time", "workspace_id", "recorded_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    user: Mapped[str] = mapped_column(String(256), nullable=False)
    pipeline: Mapped[str | None] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    obj: Mapped[str | None] = mapped_column(String(256))
    amount: Mapped[float] = mapped_column(Float, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class UsageDayRow(Base):
    """The usage of one UTC day per (workspace, user, pipeline, kind): the sum and the
    largest record, kept by ``Ledger.add_usage`` in the transaction that writes the batch,
    so a cost report reads whole days from here instead of every batch. Two writers
    racing on a new group may leave two rows of it; every read sums (and maxes) them."""

    __tablename__ = "usage_days"
    __table_args__ = (Index("ix_usage_days_workspace_day", "workspace_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    user: Mapped[str] = mapped_column(String(256), nullable=False)
    pipeline: Mapped[str | None] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    total: Mapped[float] = mapped_column(Float, nullable=False)
    largest: Mapped[float] = mapped_column(Float, nullable=False)


# the security tables, in their own module (imported here so Base.metadata holds them)
from lakeworks.meta import protection as _protection  # noqa: E402, F401 - data protection's rows
from lakeworks.meta import security_models  # noqa: E402, F401


class EndpointWindowRow(Base):
    """One process's traffic of one endpoint slot since its previous flush (``at_ms``):
    health is judged on the sum over every process's rows in a window."""

    __tablename__ = "endpoint_windows"
    __table_args__ = (Index("ix_endpoint_windows_endpoint", "workspace_id", "endpoint", "at_ms"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), nullable=False)
    endpoint: Mapped[str] = mapped_column(String(128), nullable=False)
    slot: Mapped[str] = mapped_column(String(32), nullable=False)
    model: Mapped[str] = mapped_column(String(300), nullable=False)
    process: Mapped[str] = mapped_column(String(64), nullable=False)
    at_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    requests: Mapped[int] = mapped_column(Integer, nullable=False)
    errors: Mapped[int] = mapped_column(Integer, nullable=False)
    buckets: Mapped[list] = mapped_column(JSON, nullable=False)
    label_n: Mapped[int] = mapped_column(Integer, nullable=False)
    label_sum: Mapped[float] = mapped_column(Float, nullable=False)
    # a shadow slot's answer rows compared with the live answers, and those equal
    compared: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    equal: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
