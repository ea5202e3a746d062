"""wifi release: the k and the domain a release was published with

Revision ID: 3f2a9c1d7e41
Revises: 8654faf56330
Create Date: 2026-11-24 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '3f2a9c1d7e41'
down_revision: str | None = '8654faf56330'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Releases made before this revision recorded both in their audit entry only: 0 means "not recorded".
    with op.batch_alter_table('wifi_dp_release') as batch:
        batch.add_column(sa.Column('k', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('domain_cells', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('wifi_dp_release') as batch:
        batch.drop_column('domain_cells')
        batch.drop_column('k')
