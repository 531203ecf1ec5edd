"""The first release with several counties in one warehouse (county_code on every period row): the baseline.

A warehouse of that release already holds this schema, so there is nothing to create: an unversioned
warehouse with county_code everywhere and no core.fct_county_progress is stamped here, then upgraded.
A new warehouse is built from today's metadata and stamped at head (warehouse.version.setup_schema).
"""

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    raise NotImplementedError("the first release is the oldest schema junheng upgrades from")
