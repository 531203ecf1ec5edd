"""audit.received_file: every file a run received, recorded before it is read (issue 13 item 1).

The columns are frozen here as they were released: later changes to warehouse/schema.py need a
revision of their own.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "received_file",
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("file_id", sa.String(64), nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("archive_path", sa.Text, nullable=False),
        sa.Column("size_bytes", sa.BigInteger),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("county_code", "period", "file_id"),
        schema="audit",
    )


def downgrade() -> None:
    op.drop_table("received_file", schema="audit")
