"""quality: a revision of each workspace's checks, bumped with every check added or removed

The quality store keeps a workspace's checks between runs and reads them again only when
``workspaces.checks_revision`` moved; each check records the revision that added it, so a
check that re-uses a removed check's id (SQLite does) is still told apart from it. Existing
workspaces and checks start at revision 0: nothing is lost or rewritten.

Revision ID: 0005
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def _revision(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger, nullable=False, server_default="0")


def upgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(_revision("checks_revision"))
    with op.batch_alter_table("quality_checks") as batch:
        batch.add_column(_revision("revision"))


def downgrade() -> None:
    with op.batch_alter_table("quality_checks") as batch:
        batch.drop_column("revision")
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("checks_revision")
