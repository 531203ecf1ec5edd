"""core.fct_county_progress: each county of a city plan against its target year (issue 15).

The columns are frozen here as they were released: later changes to warehouse/schema.py need a
revision of their own.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fct_county_progress",
        sa.Column("city_code", sa.String(6), nullable=False),
        sa.Column("city_name", sa.Text, nullable=False),
        sa.Column("plan", sa.Text, nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("county_name", sa.Text, nullable=False),
        sa.Column("target_year", sa.Integer, nullable=False),
        sa.Column("indicators_met", sa.Integer),
        sa.Column("indicators_total", sa.Integer),
        sa.Column("cv_met", sa.Integer),
        sa.Column("cv_total", sa.Integer, nullable=False),
        sa.Column("units_passing", sa.Integer),
        sa.Column("units_judged", sa.Integer),
        sa.Column("share_units_passing", sa.Double),
        sa.Column("verdict", sa.String(8)),
        sa.Column("months_left", sa.Integer, nullable=False),
        sa.Column("trend", sa.Integer),
        sa.Column("trend_since", sa.String(7)),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("status_reason", sa.Text, nullable=False),
        sa.Column("unmet_items", sa.Text),
        sa.Column("computed_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("city_code", "county_code", "period"),
        schema="core",
    )


def downgrade() -> None:
    op.drop_table("fct_county_progress", schema="core")
