"""wifi keys out of the database: the HMAC keys live in wifi.keystore

Revision ID: 9b7d21c4e5a0
Revises: 3f2a9c1d7e41
Create Date: 2026-11-24 08:20:00

A database keeps old values (PostgreSQL's old row versions and WAL, SQLite's free pages, every backup),
so a key set to NULL there was never destroyed. A migration cannot know the key folder, so open periods'
keys are not moved: such a period gets a new key file on its next ingest (audited as `wifi.key.created`,
replaced), which at worst counts a device seen before and after the upgrade twice in that period. No
deployment held keys when this revision was written.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '9b7d21c4e5a0'
down_revision: str | None = '3f2a9c1d7e41'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('wifi_key_period') as batch:
        batch.drop_column('secret')


def downgrade() -> None:
    with op.batch_alter_table('wifi_key_period') as batch:
        batch.add_column(sa.Column('secret', sa.LargeBinary(length=32), nullable=True))
