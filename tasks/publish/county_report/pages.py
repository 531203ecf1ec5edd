"""One page per school: its indicators, gaps, changes, contribution, plan step and findings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from tasks.model.analytics.labels import RESOURCE_UNITS
from tasks.publish.cells import as_flag, as_text, num
from tasks.publish.county_report.data import CountyData, rows_of
from tasks.publish.county_report.text import SECTIONS, SEVERITY_ZH


@dataclass
class SchoolPage:
    code: str
    name: str
    sections: dict[str, list[dict[str, object]]]  # section -> rows per indicator
    passes: dict[str, bool | None]
    findings: list[tuple[str, str]]  # (kind, text)


def _keyed(df: pd.DataFrame, keys: Sequence[str], cols: Sequence[str]) -> dict[tuple[str, ...], dict[str, object]]:
    """Rows by their key (as text), with only the columns ``cols``: one dict look-up per school instead of
    a .loc per cell, and no whole rows kept for thousands of schools."""
    values = {c: df[c].tolist() for c in (*keys, *cols)}
    return {tuple(str(values[k][i]) for k in keys): {c: values[c][i] for c in cols} for i in range(len(df))}


def _by_school(df: pd.DataFrame) -> dict[str, list[object]]:
    out: dict[str, list[object]] = {}
    for r in rows_of(df):
        if isinstance(r.school_code, str):  # a missing school code belongs to no school's page
            out.setdefault(r.school_code, []).append(r)
    return out


def _row(code: str, sec: str, r: object, g: dict | None, v: dict | None, c: dict | None) -> dict[str, object]:
    ic = str(r.indicator_code)  # type: ignore[attr-defined]
    return {
        "code": ic,
        "value": num(r.value),  # type: ignore[attr-defined]
        "threshold": num(r.threshold),  # type: ignore[attr-defined]
        "meets": as_flag(r.meets),  # type: ignore[attr-defined]
        "below_floor": bool(g is not None and as_flag(g["below_floor"])),
        "need": None if g is None else num(g["need_to_threshold_whole"]),
        "need_floor": None if g is None else num(g["need_to_floor_whole"]),
        "unit": RESOURCE_UNITS.get(ic, ""),
        "prev": None if v is None else num(v["prev_value"]),
        "change": None if v is None else num(v["change_pct"]),
        "flagged": None if v is None else as_flag(v["flagged"]),
        "share": None if c is None else num(c["contribution_share"]),
        "plan_step": None if c is None else num(c["plan_step"]),
    }


def school_pages(data: CountyData) -> list[SchoolPage]:
    """One page per school (one pass over each mart)."""
    ind = data.indicators
    keys = ["school_code", "section", "indicator_code"]
    rem = _keyed(data.remediation, keys, ["below_floor", "need_to_threshold_whole", "need_to_floor_whole"])
    var = _keyed(data.variance[data.variance["level"] == "school_unit"], keys, ["prev_value", "change_pct", "flagged"])
    con = _keyed(data.contribution, keys, ["contribution_share", "plan_step"])
    comp = _keyed(data.compliance, ["school_code", "section"], ["passes"])
    outliers, issues = _by_school(data.outliers), _by_school(data.issues)
    mine_by: dict[str, dict[str, list[object]]] = {}
    order = ind.assign(_code=ind["school_code"].astype(str)).sort_values(["_code", "indicator_code"], kind="stable")
    for r in rows_of(order):
        mine_by.setdefault(str(r.school_code), {}).setdefault(str(r.section), []).append(r)
    pages = []
    for code in sorted(mine_by):
        mine = mine_by[code]
        sections: dict[str, list[dict[str, object]]] = {}
        passes: dict[str, bool | None] = {}
        for sec in [s for s in SECTIONS if s in mine]:
            rows = []
            for r in mine[sec]:
                k = (code, sec, str(r.indicator_code))  # type: ignore[attr-defined]
                rows.append(_row(code, sec, r, rem.get(k), var.get(k), con.get(k)))
            sections[sec] = rows
            p = comp.get((code, sec))
            passes[sec] = as_flag(p["passes"]) if p is not None else None
        findings: list[tuple[str, str]] = []
        for o in outliers.get(code, []):
            findings.append(("异常值", as_text(o.message)))  # type: ignore[attr-defined]
        for f in issues.get(code, []):
            where = "".join(x for x in (as_text(f.sheet), as_text(f.cell)) if x)  # type: ignore[attr-defined]
            sev = as_text(f.severity)  # type: ignore[attr-defined]
            findings.append((SEVERITY_ZH.get(sev, sev), f"{where} {as_text(f.message)}".strip()))  # type: ignore[attr-defined]
        pages.append(SchoolPage(code, data.names.get(code, ""), sections, passes, findings))
    return pages
