"""tracking: experiments, runs, params, tags, metric history, inputs and artifact refs

Times are milliseconds since the epoch, as MLflow's protocol carries them. ``metrics`` is
keyed by the whole point so a retried point is ignored; ``latest_metrics`` holds the
latest point of each key (greatest step, then timestamp) for search.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _ms(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.BigInteger, nullable=nullable)


def _run_fk(primary_key: bool = True) -> sa.Column:
    fk = sa.ForeignKey("runs.id", ondelete="CASCADE")
    return sa.Column("run_id", sa.String(32), fk, primary_key=primary_key, nullable=False)


def _key_value(table: str, owner: sa.Column) -> None:
    op.create_table(
        table,
        owner,
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("artifact_location", sa.Text),
        sa.Column("lifecycle_stage", sa.String(16), nullable=False),
        _ms("created_at"),
        _ms("updated_at"),
        sa.Column("created_by", sa.String(256), nullable=False),
        sa.UniqueConstraint("workspace_id", "name", name="uq_experiments_name"),
    )
    experiment_fk = sa.ForeignKey("experiments.id", ondelete="CASCADE")
    _key_value(
        "experiment_tags", sa.Column("experiment_id", sa.Integer, experiment_fk, primary_key=True)
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("experiment_id", sa.Integer, sa.ForeignKey("experiments.id"), nullable=False),
        sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _ms("start_time"),
        _ms("end_time", nullable=True),
        sa.Column("lifecycle_stage", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(256), nullable=False),
        sa.Column("parent_run_id", sa.String(32)),
        _ms("heartbeat_at", nullable=True),
        _ms("deleted_time", nullable=True),
    )
    op.create_index(
        "ix_runs_experiment", "runs", ["experiment_id", "lifecycle_stage", "start_time"]
    )
    _key_value("params", _run_fk())
    _key_value("run_tags", _run_fk())
    op.create_table(
        "metrics",
        _run_fk(),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("step", sa.BigInteger, primary_key=True),
        sa.Column("timestamp", sa.BigInteger, primary_key=True),
        sa.Column("value", sa.Float, primary_key=True),
        sa.Column("is_nan", sa.Boolean, primary_key=True),
        sqlite_with_rowid=False,  # one b-tree: the key is the whole row
    )
    op.create_table(
        "latest_metrics",
        _run_fk(),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Float, nullable=False),
        _ms("step"),
        _ms("timestamp"),
        sa.Column("is_nan", sa.Boolean, nullable=False),
    )
    op.create_index("ix_latest_metrics_key_value", "latest_metrics", ["key", "value"])
    op.create_table(
        "run_inputs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _run_fk(primary_key=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("workspace", sa.String(128), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("version", sa.BigInteger),
        sa.Column("detail", sa.JSON),
    )
    op.create_index("ix_run_inputs_run_id", "run_inputs", ["run_id"])
    op.create_index("ix_run_inputs_source", "run_inputs", ["workspace", "kind", "name"])
    op.create_table(
        "artifact_objects",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        _ms("created_at"),
    )
    op.create_table(
        "artifact_refs",
        sa.Column("owner_kind", sa.String(16), primary_key=True),
        sa.Column("owner_id", sa.String(64), primary_key=True),
        sa.Column("path", sa.Text, primary_key=True),
        sa.Column(
            "digest", sa.String(64), sa.ForeignKey("artifact_objects.digest"), nullable=False
        ),
        sa.Column("size", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_artifact_refs_digest", "artifact_refs", ["digest"])


def downgrade() -> None:
    op.drop_index("ix_artifact_refs_digest", "artifact_refs")
    op.drop_table("artifact_refs")
    op.drop_table("artifact_objects")
    op.drop_index("ix_run_inputs_source", "run_inputs")
    op.drop_index("ix_run_inputs_run_id", "run_inputs")
    op.drop_table("run_inputs")
    op.drop_index("ix_latest_metrics_key_value", "latest_metrics")
    for table in ("latest_metrics", "metrics", "run_tags", "params"):
        op.drop_table(table)
    op.drop_index("ix_runs_experiment", "runs")
    op.drop_table("runs")
    op.drop_table("experiment_tags")
    op.drop_table("experiments")
