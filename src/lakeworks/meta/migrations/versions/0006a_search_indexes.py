"""run search: (key, value, run_id) indexes on params and run_tags, on SQLite only

SQLite joins with nested loops only: a search filtering on ``params.depth = '6'`` can start
from the few runs holding that value only through an index that begins with (key, value);
with run_id in it, the index alone answers the join. PostgreSQL needs none (it hashes the
join), and its btree could not take the long values params and tags may hold (over ~2.7 kB).

Revision ID: 0006a
Revises: 0006
"""

from alembic import op

revision = "0006a"
down_revision = "0006"
branch_labels = None
depends_on = None

_INDEXES = {"ix_params_key_value": "params", "ix_run_tags_key_value": "run_tags"}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, table in _INDEXES.items():
        op.create_index(name, table, ["key", "value", "run_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, table in _INDEXES.items():
        op.drop_index(name, table)
