"""run search: (key, value, run_id) indexes on params and run_tags

A search filtering on ``params.depth = '6'`` can start from the few runs holding that value
only through an index that begins with (key, value); with run_id in it, the index alone
answers the join. SQLite joins with nested loops only and needs it from the first
thousands of runs; PostgreSQL hashes the join but scans the whole table without it. A
PostgreSQL btree cannot hold an entry over ~2.7 kB, which params and tags may exceed, so
there the index is partial: values of at most 1,024 bytes (run search adds the same
condition to an equality with a short value, so the planner may use it).

Revision ID: 0006a
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0006a"
down_revision = "0006"
branch_labels = None
depends_on = None

_INDEXES = {"ix_params_key_value": "params", "ix_run_tags_key_value": "run_tags"}
_SHORT = sa.text("octet_length(value) <= 1024")  # models.SEARCH_INDEX_BYTES


def upgrade() -> None:
    for name, table in _INDEXES.items():
        op.create_index(name, table, ["key", "value", "run_id"], postgresql_where=_SHORT)


def downgrade() -> None:
    for name, table in _INDEXES.items():
        op.drop_index(name, table)
