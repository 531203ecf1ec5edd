"""Read-only analyst role on the PostgreSQL warehouse: the mart views and nothing else."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from junheng.errors import JunhengError
from warehouse.engine import init_warehouse, is_duckdb

# An unquoted PostgreSQL identifier: identifiers cannot be bound parameters, so only this shape
# is ever put into the statements below.
ROLE_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
ANALYST_SCHEMA = "mart"
DUCKDB_NO_ROLES = (
    "DuckDB 没有数据库角色和权限，无法创建分析员角色。"
    "只读访问 DuckDB 仓库的方法是以只读方式打开仓库文件，例如 "
    "duckdb.connect('data/junheng.duckdb', read_only=True)（此时不能有其他进程在写入）；"
    "需要多人只读访问时请使用 PostgreSQL 仓库（--warehouse postgresql+psycopg://…）"
)


class RoleError(JunhengError):
    """The analyst role cannot be created as asked."""


def create_analyst_role(engine: Engine, role: str) -> None:
    """Create (or update) ``role``: LOGIN, read-only, USAGE on schema mart and SELECT on its views.

    A PostgreSQL view runs with its owner's rights, so the marts read core/audit tables that the
    role itself cannot touch. Default privileges make marts created later readable too. Idempotent.
    """
    if is_duckdb(engine):
        raise RoleError(DUCKDB_NO_ROLES)
    if not ROLE_RE.match(role):
        raise RoleError(f"角色名「{role}」不合法：请只用小写字母、数字和下划线，以字母或下划线开头，最长 63 个字符")
    init_warehouse(engine)  # the marts must exist before they are granted
    with engine.begin() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        if exists is None:
            conn.execute(sa.text(f'CREATE ROLE "{role}" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE'))
        db = _quoted(conn.execute(sa.text("SELECT current_database()")).scalar_one())
        owner = _quoted(conn.execute(sa.text("SELECT current_user")).scalar_one())
        for stmt in (
            f'GRANT CONNECT ON DATABASE {db} TO "{role}"',
            f'GRANT USAGE ON SCHEMA {ANALYST_SCHEMA} TO "{role}"',
            f'GRANT SELECT ON ALL TABLES IN SCHEMA {ANALYST_SCHEMA} TO "{role}"',
            # Marts the warehouse owner creates later (new views, rebuilt views) are readable too.
            f'ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {ANALYST_SCHEMA} GRANT SELECT ON TABLES TO "{role}"',
        ):
            conn.execute(sa.text(stmt))
        # Nothing else is granted: raw, core and audit give PUBLIC no rights, and PostgreSQL ≥ 15 gives
        # PUBLIC no CREATE on schema public (older servers: REVOKE CREATE ON SCHEMA public FROM PUBLIC).


def _quoted(name: str) -> str:
    """A name PostgreSQL gave us (database, current user) as a quoted identifier."""
    return '"' + name.replace('"', '""') + '"'
