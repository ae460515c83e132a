"""Keyed audit chain (key_version per row) and an index for purging expired sessions.

Rows already in the trail keep their plain SHA-256 hashes and are marked key_version 0; the
service writes every new row with HMAC (key_version 1), so the first keyed row anchors them.
Downgrading drops the marker: the keyed rows then no longer verify with the old code, which is
the point of the key.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(
            sa.Column("key_version", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
    op.create_index("ix_sessions_idle_expires_at", "sessions", ["idle_expires_at"])


def downgrade() -> None:
    op.drop_index("ix_sessions_idle_expires_at", table_name="sessions")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("key_version")
