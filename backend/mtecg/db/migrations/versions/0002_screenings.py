"""Screenings: one row per acknowledged upload, with its results and stored image paths."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mtecg.db.models import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screenings",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("organisation", sa.String(128), nullable=False, index=True),
        sa.Column("upload_sha256", sa.String(64), nullable=False),
        sa.Column("patient_ref_hmac", sa.String(64), nullable=True, index=True),
        sa.Column("layout", sa.JSON(), nullable=False),
        sa.Column("model_id", sa.String(128), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("weights_sha256", sa.String(64), nullable=False),
        sa.Column("model_synthetic", sa.Boolean(), nullable=False),
        sa.Column("clinical", sa.JSON(), nullable=True),
        sa.Column("outputs", sa.JSON(), nullable=False),
        sa.Column("timings_ms", sa.JSON(), nullable=False),
        sa.Column("images", sa.JSON(), nullable=False),
        sa.Column("scar_probability", sa.Float(), nullable=False),
        sa.Column("scar_band", sa.String(16), nullable=False),
        sa.Column("lvef_probability", sa.Float(), nullable=False),
        sa.Column("lvef_band", sa.String(16), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("screenings")
