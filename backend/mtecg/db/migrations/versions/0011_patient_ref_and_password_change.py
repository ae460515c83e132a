"""Encrypted patient reference on screenings; forced password change on users.

Rows stored before keep `patient_ref_ciphertext` NULL: they show the hash only. Users that
exist keep working (`must_change_password` false); new one-time passwords set it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("screenings") as batch:
        batch.add_column(sa.Column("patient_ref_ciphertext", sa.String(512), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("must_change_password")
    with op.batch_alter_table("screenings") as batch:
        batch.drop_column("patient_ref_ciphertext")
