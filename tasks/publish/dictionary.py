"""The data dictionary of the marts: columns read from the warehouse, descriptions from sql/marts/dictionary.yaml."""

from __future__ import annotations

from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from sqlalchemy.engine import Connection

from junheng.errors import ConfigError

DICTIONARY_YAML = Path(__file__).resolve().parents[2] / "sql" / "marts" / "dictionary.yaml"
MISSING = "（未说明）"
COLUMNS = ["mart", "mart_description", "grain", "column", "type", "description"]
HEADERS_ZH = {
    "mart": "数据集",
    "mart_description": "数据集说明",
    "grain": "粒度（每行代表）",
    "column": "列名",
    "type": "类型",
    "description": "说明",
}


@lru_cache(maxsize=1)
def load_descriptions(path: Path = DICTIONARY_YAML) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"数据字典文件无法读取：{path}：{exc}", "检查 sql/marts/dictionary.yaml 的格式") from exc
    if not isinstance(data, dict) or "marts" not in data:
        raise ConfigError(f"数据字典文件缺少 marts 部分：{path}", "参照文件开头的说明补全")
    return data


def type_label(sql_type: str) -> str:
    """A plain Chinese type from information_schema.data_type (DuckDB and PostgreSQL spell them differently)."""
    t = sql_type.lower()
    if "bool" in t:
        return "是/否"
    if "timestamp" in t:
        return "时间"
    if t == "date":
        return "日期"
    if any(k in t for k in ("int", "double", "real", "numeric", "decimal", "float")):
        return "数值"
    return "文本"


def mart_columns(conn: Connection) -> pd.DataFrame:
    """Every column of every view in schema mart, in column order (information_schema works on both engines)."""
    from warehouse.engine import query_frame

    return query_frame(
        conn,
        "SELECT table_name AS mart, column_name AS column, data_type AS sql_type, ordinal_position AS pos "
        "FROM information_schema.columns WHERE table_schema = 'mart' ORDER BY table_name, ordinal_position",
    )


def build_dictionary(conn: Connection) -> pd.DataFrame:
    """One row per mart column: mart, its description and grain, column, type and description."""
    desc = load_descriptions()
    shared: dict[str, str] = desc.get("columns") or {}
    marts: dict[str, dict[str, Any]] = desc["marts"]
    cols = mart_columns(conn)
    rows = []
    for r in cols.itertuples(index=False):
        m = marts.get(str(r.mart)) or {}
        own: dict[str, str] = m.get("columns") or {}
        rows.append(
            {
                "mart": str(r.mart),
                "mart_description": m.get("description", MISSING),
                "grain": m.get("grain", MISSING),
                "column": str(r.column),
                "type": type_label(str(r.sql_type)),
                "description": own.get(str(r.column)) or shared.get(str(r.column)) or MISSING,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def undescribed(d: pd.DataFrame) -> list[str]:
    """'mart.column' of every column (or mart) without a description."""
    bad = d[(d["description"] == MISSING) | (d["mart_description"] == MISSING)]
    return [f"{r.mart}.{r.column}" for r in bad.itertuples(index=False)]


def dictionary_markdown(d: pd.DataFrame, title: str = "数据字典") -> str:
    def cell(x: object) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")

    lines = [f"# {title}", "", "每个数据集是数据仓库中的视图 mart.<数据集>，也随报告以 Parquet 文件发布。", ""]
    for mart, g in d.groupby("mart", sort=True):
        first = g.iloc[0]
        lines += [f"## mart.{mart}", "", cell(first["mart_description"]), "", f"粒度：{cell(first['grain'])}", ""]
        lines += ["| 列名 | 类型 | 说明 |", "|---|---|---|"]
        lines += [f"| `{cell(r.column)}` | {cell(r.type)} | {cell(r.description)} |" for r in g.itertuples()]
        lines.append("")
    return "\n".join(lines)


def dictionary_html(d: pd.DataFrame) -> str:
    """An HTML fragment (no page wrapper): one table per mart."""
    parts = []
    for mart, g in d.groupby("mart", sort=True):
        first = g.iloc[0]
        rows = "".join(
            f"<tr><td><code>{escape(str(r.column))}</code></td><td>{escape(str(r.type))}</td>"
            f"<td>{escape(str(r.description))}</td></tr>"
            for r in g.itertuples()
        )
        parts.append(
            f"<h3>mart.{escape(str(mart))}</h3><p>{escape(str(first['mart_description']))}"
            f"（粒度：{escape(str(first['grain']))}）</p>"
            f"<table><thead><tr><th>列名</th><th>类型</th><th>说明</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    return "\n".join(parts)
