"""The data dictionary of the marts, from the model manifest (sql/models.yml); column types from the warehouse."""

from __future__ import annotations

from html import escape

import pandas as pd
from sqlalchemy.engine import Connection

from warehouse.engine import query_frame
from warehouse.models import manifest, names

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
    return query_frame(
        conn,
        "SELECT table_name AS mart, column_name AS column, data_type AS sql_type, ordinal_position AS pos "
        "FROM information_schema.columns WHERE table_schema = 'mart' ORDER BY table_name, ordinal_position",
    )


def build_dictionary(conn: Connection) -> pd.DataFrame:
    """One row per declared mart column: mart, its description and grain, column, type and description.

    Names, order and descriptions come from the manifest; the type is the warehouse's (a column the
    warehouse lacks shows MISSING as its type, so undescribed() names it)."""
    m = manifest()
    cols = mart_columns(conn)
    types = {(str(r.mart), str(r.column)): str(r.sql_type) for r in cols.itertuples(index=False)}
    rows = []
    for name in sorted(names("marts")):
        model = m.models[name]
        for col in model.columns:
            sql_type = types.get((name, col))
            rows.append(
                {
                    "mart": name,
                    "mart_description": model.description,
                    "grain": model.grain,
                    "column": col,
                    "type": type_label(sql_type) if sql_type else MISSING,
                    "description": m.description(name, col) or MISSING,
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def undescribed(d: pd.DataFrame) -> list[str]:
    """'mart.column' of every declared column without a description or not in the warehouse."""
    bad = d[(d["description"] == MISSING) | (d["mart_description"] == MISSING) | (d["type"] == MISSING)]
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
