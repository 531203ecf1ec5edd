"""Deriving alerts: every alert condition of a county's period (violations, CV misses, missing returns)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy.engine import Connection

from junheng.policy import INDICATOR_NAMES, rules_in_force
from junheng.settings import DEFAULT_COUNTY_CODE
from tasks.notify.facts import AlertFact, num_text, section_zh
from warehouse.engine import query_frame

MISSING_RULE = "return.missing"

VIOLATIONS_SQL = """
SELECT school_code, section, rule, value, message
FROM audit.validation_issue
WHERE county_code = :county_code AND period = :period AND severity = 'violation'
ORDER BY school_code, section, rule, cell
"""
CV_SQL = """
SELECT section, indicator_code, cv, cv_limit
FROM core.fct_county_indicator
WHERE county_code = :county_code AND period = :period AND meets = FALSE
ORDER BY section, indicator_code
"""
MISSING_SQL = """
SELECT school_code, school_name, deadline FROM audit.missing_return
WHERE county_code = :county_code AND period = :period ORDER BY school_code
"""


def _thresholds(period: str) -> dict[tuple[str, str], str]:
    """(rule, section) → threshold text of the value rules in force; several (G4 by school type) joined."""
    out: dict[tuple[str, str], list[str]] = {}
    for r in rules_in_force(period):
        if r.measure == "value":
            out.setdefault((r.code, r.section), []).append(num_text(r.value) or "")
    return {k: "/".join(dict.fromkeys(v)) for k, v in out.items()}


def derive_alerts(conn: Connection, period: str, county_code: str = DEFAULT_COUNTY_CODE) -> list[AlertFact]:
    """Every alert condition of the county's period, from the warehouse as it is after this run."""
    facts: list[AlertFact] = []
    thresholds = _thresholds(period)
    params: dict[str, object] = {"period": period, "county_code": county_code}
    viol = query_frame(conn, VIOLATIONS_SQL, params)
    for (code, section, rule), g in viol.groupby(["school_code", "section", "rule"], dropna=False, sort=True):
        sec = None if pd.isna(section) else str(section)
        values = [str(v) for v in g["value"]]
        n = len(g)
        message = str(g["message"].iloc[0]) if n == 1 else f"{n} 处未达标，例如：{g['message'].iloc[0]}"
        facts.append(
            AlertFact(
                period=period,
                scope="school",
                school_code=None if pd.isna(code) else str(code),
                section=sec,
                rule=str(rule),
                severity="violation",
                value="、".join(values),
                threshold=thresholds.get((str(rule), sec or "all")) or thresholds.get((str(rule), "all")),
                message=message,
                county_code=county_code,
            )
        )
    cv = query_frame(conn, CV_SQL, params)
    for r in cv.itertuples(index=False):
        name = INDICATOR_NAMES.get(str(r.indicator_code), str(r.indicator_code))
        facts.append(
            AlertFact(
                period=period,
                scope="county",
                school_code=None,
                section=str(r.section),
                rule=f"cv.{r.indicator_code}",
                severity="violation",
                value=num_text(r.cv),
                threshold=num_text(r.cv_limit),
                message=f"{section_zh(str(r.section))}{name}校际差异系数 {float(r.cv):.4f} 超过 {float(r.cv_limit):g}",
                county_code=county_code,
            )
        )
    missing = query_frame(conn, MISSING_SQL, params)
    for r in missing.itertuples(index=False):
        facts.append(
            AlertFact(
                period=period,
                scope="school",
                school_code=str(r.school_code),
                section=None,
                rule=MISSING_RULE,
                severity="warning",
                value=None,
                threshold=str(r.deadline),
                message=f"{r.school_name or ''}（{r.school_code}）截至 {r.deadline} 未报送 {period} 报表",
                county_code=county_code,
            )
        )
    return facts
