"""Alembic environment: migrations run on the connection (and inside the transaction) the caller passes
in ``config.attributes["connection"]`` (warehouse.version.upgrade_schema); no alembic.ini, no URL here."""

from __future__ import annotations

from alembic import context
from alembic.ddl.impl import DefaultImpl

from warehouse.schema import metadata


class AlembicDuckDBImpl(DefaultImpl):
    """Alembic has no DuckDB dialect of its own; DuckDB's DDL is PostgreSQL-like and transactional."""

    __dialect__ = "duckdb"
    transactional_ddl = True


VERSION_TABLE = "alembic_version"
VERSION_SCHEMA = "audit"

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    version_table_schema=VERSION_SCHEMA,
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
