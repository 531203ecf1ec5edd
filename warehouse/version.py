"""The warehouse's schema version: Alembic revisions in warehouse/migrations, recorded in
audit.alembic_version. A warehouse is recognised as new, current, behind (upgrade it), newer than this
program, or older than the first release junheng can upgrade from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from junheng.errors import ConfigError
from warehouse.schema import metadata

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_SCHEMA = "audit"
VERSION_TABLE = "alembic_version"

# What each revision brought, in the words of the upgrade message.
REVISION_ZH = {
    "0001": "多县共用一个仓库的首个版本",
    "0002": "增加市级推进进度",
    "0003": "读取前登记收到的文件",
}


@dataclass(frozen=True)
class SchemaState:
    """kind: empty | current | behind | ahead | pre_county; revision: recorded (or recognised) version."""

    kind: str
    revision: str | None = None
    versioned: bool = False
    lacking: tuple[str, ...] = ()


def _config(conn: Connection | None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config(None))


def head_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None  # the migrations folder ships with its revisions
    return head


def _frame(conn: Connection, sql: str) -> list[sa.Row]:
    return list(conn.execute(sa.text(sql)))


def schema_state(conn: Connection) -> SchemaState:
    """Read the warehouse's version from its catalog (information_schema: duckdb_engine's inspector
    trips on pg_catalog.pg_collation)."""
    rows = _frame(
        conn,
        "SELECT table_schema, table_name, MAX(CASE WHEN column_name = 'county_code' THEN 1 ELSE 0 END) AS has_code "
        "FROM information_schema.columns WHERE table_schema IN ('raw', 'core', 'audit') "
        "GROUP BY table_schema, table_name",
    )
    if not rows:
        return SchemaState("empty")
    has_code = {(str(r.table_schema), str(r.table_name)): bool(r.has_code) for r in rows}
    lacking = tuple(
        f"{t.schema}.{t.name}"
        for t in metadata.sorted_tables
        if "county_code" in t.c and has_code.get((str(t.schema), t.name)) is False
    )
    if lacking:
        return SchemaState("pre_county", lacking=lacking)
    versioned = (VERSION_SCHEMA, VERSION_TABLE) in has_code
    if versioned:
        got = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_SCHEMA}.{VERSION_TABLE}")).scalars().all()
        revision = str(got[0]) if got else None
    else:
        # Released before the version was recorded: recognised by the tables each release added.
        revision = (
            "0003"
            if ("audit", "received_file") in has_code
            else "0002"
            if ("core", "fct_county_progress") in has_code
            else "0001"
        )
    head = head_revision()
    if revision == head:
        return SchemaState("current", revision, versioned)
    known = {s.revision for s in _scripts().walk_revisions()}
    return SchemaState("behind" if revision in known else "ahead", revision, versioned)


def describe(revision: str | None) -> str:
    return f"{revision}（{REVISION_ZH[revision]}）" if revision in REVISION_ZH else str(revision)


def refuse_unusable(state: SchemaState, url: str) -> None:
    """A run never works on a warehouse of another schema version: say why and what to run."""
    if state.kind == "pre_county":
        lacking = state.lacking
        raise ConfigError(
            f"数据仓库 {url} 建于支持多县之前，{len(lacking)} 张表缺少 county_code 列（{'、'.join(lacking[:5])}"
            f"{' 等' if len(lacking) > 5 else ''}），不能继续使用",
            "用 `junheng warehouse init --warehouse <新仓库>` 在新的数据库文件（或新的 PostgreSQL 库）上重建，"
            "再重新运行各报表期；或手工为每张表加列，例如 "
            "ALTER TABLE core.fct_class ADD COLUMN county_code VARCHAR(6) DEFAULT '000000'，"
            "并把 county_code 加进 audit.ingest_file、audit.missing_return 和 core.roster 的主键",
        )
    if state.kind == "behind":
        raise ConfigError(
            f"数据仓库 {url} 的结构是较早版本 {describe(state.revision)}，本程序需要结构版本 "
            f"{describe(head_revision())}；仓库中已有的数据都在，升级结构后即可继续使用",
            f"先运行 `junheng warehouse upgrade --warehouse {url}`（保留全部数据），再重新运行本命令",
        )
    if state.kind == "ahead":
        raise ConfigError(
            f"数据仓库 {url} 的结构版本 {state.revision} 比本程序新（由更新版本的 junheng 建立或升级）",
            "请用与之相同或更新版本的 junheng 运行；不要用旧版本写入这个仓库",
        )


def stamp_head(conn: Connection) -> None:
    """Record a warehouse built from today's metadata as being at the newest revision."""
    command.stamp(_config(conn), "head")


def upgrade_schema(conn: Connection, state: SchemaState) -> None:
    """Run the revisions after the warehouse's own, in the caller's transaction."""
    cfg = _config(conn)
    if not state.versioned:
        command.stamp(cfg, str(state.revision))
    command.upgrade(cfg, "head")
