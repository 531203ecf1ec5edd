"""Persistence: a period's outlier and contribution frames, written to fct_outlier and fct_cv_contribution.

Run after the indicator models of a period (tasks.model.run.compute_period)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy.engine import Connection

from junheng.settings import DEFAULT_COUNTY_CODE
from tasks.model.analytics.config import AnalyticsConfig, config_from_env
from tasks.model.analytics.contribution import UnitValue, contributions, mean_cv
from tasks.model.analytics.outliers import HISTORY_PERIODS, OutlierFinding, cross_section_outliers, own_history_outlier
from tasks.model.analytics.plan import PlanStep, greedy_plan
from warehouse.engine import bulk_insert, query_frame
from warehouse.schema import fct_cv_contribution, fct_outlier

_INDICATORS_SQL = """
SELECT i.period, i.school_code, i.section, i.indicator_code, i.students, i.resource, i.value, i.threshold,
       i.in_cv, u.per_students
FROM core.fct_school_indicator AS i
JOIN core.stg_unit_resource AS u
  ON u.county_code = i.county_code AND u.period = i.period AND u.school_code = i.school_code
 AND u.section = i.section AND u.indicator_code = i.indicator_code
WHERE i.county_code = :county_code AND i.period <= :period AND i.value IS NOT NULL
"""


def outlier_frame(ind: pd.DataFrame, period: str, config: AnalyticsConfig) -> pd.DataFrame:
    """Cross-section and own-history outliers of ``period`` from indicator rows of it and earlier periods."""
    found: list[OutlierFinding] = []
    now = ind[ind["period"] == period]
    earlier = ind[ind["period"] < period]
    for (section, code), g in now.groupby(["section", "indicator_code"], sort=True):
        values = {str(r.school_code): float(r.value) for r in g.itertuples(index=False)}
        found += cross_section_outliers(str(section), str(code), values, threshold=config.outlier_threshold)
    hist = {
        key: [float(v) for v in h.sort_values("period")["value"].tail(HISTORY_PERIODS)]
        for key, h in earlier.groupby(["school_code", "section", "indicator_code"], sort=False)
    }
    for r in now.sort_values(["section", "indicator_code", "school_code"]).itertuples(index=False):
        key = (r.school_code, r.section, r.indicator_code)
        f = own_history_outlier(
            str(r.school_code),
            str(r.section),
            str(r.indicator_code),
            float(r.value),
            hist.get(key, []),
            threshold=config.outlier_threshold,
            change_bound=config.change_bound,
        )
        if f is not None:
            found.append(f)
    frame = pd.DataFrame([f.__dict__ for f in found])
    if frame.empty:
        return frame
    frame["n_ref"] = frame["n_ref"].astype("Int64")
    return frame.assign(period=period, severity="warning")


def contribution_frame(ind: pd.DataFrame, county: pd.DataFrame, period: str, config: AnalyticsConfig) -> pd.DataFrame:
    """Every in-CV unit's contribution, what-ifs and plan step (whole amounts) for ``period``."""
    rows: list[dict[str, object]] = []
    now = ind[(ind["period"] == period) & ind["in_cv"].astype(bool)]
    cty = {(str(r.section), str(r.indicator_code)): r for r in county.itertuples(index=False)}
    for (section, code), g in now.groupby(["section", "indicator_code"], sort=True):
        c = cty.get((str(section), str(code)))
        if c is None:
            continue
        method = str(c.cv_method)
        g = g.sort_values("school_code")
        units = [
            UnitValue(
                str(r.school_code),
                float(r.students),
                float(r.value),
                float(r.students) if method == "weighted" else 1.0,
                None if pd.isna(r.resource) else float(r.resource),
            )
            for r in g.itertuples(index=False)
        ]
        thr_raw = g["threshold"].dropna()
        threshold = float(thr_raw.iloc[0]) if len(thr_raw) else None
        mean, cv = mean_cv([u.weight for u in units], [u.value for u in units])
        limit = None if pd.isna(c.cv_limit) else float(c.cv_limit)
        steps: dict[str, PlanStep] = {}
        if limit is not None and cv is not None and cv > limit:
            plan = greedy_plan(
                units,
                threshold=threshold,
                limit=limit,
                per_students=float(g["per_students"].iloc[0]),
                max_steps=config.max_plan_steps,
                whole=True,
            )
            steps = {s.school_code: s for s in plan.steps}
        for u, k in zip(units, contributions(units, threshold), strict=True):
            s = steps.get(u.school_code)
            rows.append(
                {
                    "period": period,
                    "school_code": u.school_code,
                    "section": section,
                    "indicator_code": code,
                    "students": u.students,
                    "value": u.value,
                    "weight_share": k.weight_share,
                    "mean": mean,
                    "cv": cv,
                    "cv_limit": limit,
                    "contribution_share": k.contribution_share,
                    "cv_contribution": k.cv_contribution,
                    "cv_if_mean": k.cv_if_mean,
                    "cv_if_threshold": k.cv_if_threshold,
                    "threshold": threshold,
                    "plan_step": None if s is None else s.step,
                    "plan_target": None if s is None else s.target,
                    "plan_need": None if s is None else s.need,
                    "plan_cv_after": None if s is None else s.cv_after,
                    "cv_method": method,
                }
            )
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame["plan_step"] = frame["plan_step"].astype("Int64")
    return frame


def compute_analytics(
    conn: Connection,
    period: str,
    computed_at: datetime,
    config: AnalyticsConfig | None = None,
    county_code: str = DEFAULT_COUNTY_CODE,
) -> None:
    """Replace the (county, period) slice of fct_outlier and fct_cv_contribution (after the SQL models
    fct_variance and fct_remediation: tasks/model/run.py); they compare a unit with its own county only."""
    config = config or config_from_env()
    where: dict[str, object] = {"period": period, "county_code": county_code}
    ind = query_frame(conn, _INDICATORS_SQL, where)
    county = query_frame(
        conn,
        "SELECT section, indicator_code, cv_limit, cv_method FROM core.fct_county_indicator "
        "WHERE county_code = :county_code AND period = :period",
        where,
    )
    for table, frame in (
        (fct_outlier, outlier_frame(ind, period, config)),
        (fct_cv_contribution, contribution_frame(ind, county, period, config)),
    ):
        conn.execute(table.delete().where(table.c.county_code == county_code, table.c.period == period))
        if not frame.empty:
            bulk_insert(conn, table, frame.assign(county_code=county_code, computed_at=computed_at))
