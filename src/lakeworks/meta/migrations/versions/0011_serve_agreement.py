"""serving health: a shadow slot's agreement with the live answers (rows compared, equal)
in each per-process window of endpoint traffic

Revision ID: 0011_serve_agreement
Revises: 0011_run_principal
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_serve_agreement"
down_revision = "0011_run_principal"
branch_labels = None
depends_on = None

COLUMNS = ("compared", "equal")


def upgrade() -> None:
    # existing rows are traffic of slots that were never compared: 0 of 0
    with op.batch_alter_table("endpoint_windows") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("endpoint_windows") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
