"""A city's counties against their target years: one row per county and period, from the counties' own marts.

The roll-up reads only what each county's marts say (mart.county_scorecard, county_cv, school_compliance,
county_verdict) and adds the plan: months left to the end of the target year, the trend of indicators met,
and a status. Rules (stated in the data dictionary and the city report, LAGGING_RULE):

- 本期未报送: no school return of the county was loaded for the period (no school units in its marts).
- 已达到: every line of the scorecard is met (mart.county_verdict.ready).
- 滞后: not reached, and the end of the target year has come (months_left ≤ 0); or indicators met did not
  increase over the last periods with data (up to 3); or at that pace the indicators still unmet would not
  all be met by the end of the target year (unmet × months of the window > increase × months_left).
- 按期推进: not reached, and none of the above (with a single period of data there is no pace yet).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from junheng.plans import CityPlan
from junheng.policy import code_order
from warehouse import schema as s
from warehouse.engine import bulk_insert, connected, init_warehouse, query_frame
from warehouse.locks import lock_period

REACHED, ON_TRACK, BEHIND, NOT_REPORTED = "已达到", "按期推进", "滞后", "本期未报送"
STATUSES = (REACHED, ON_TRACK, BEHIND, NOT_REPORTED)
CV_TOTAL = 14  # R1–R7 × 小学, 初中
TREND_PERIODS = 3

LAGGING_RULE = (
    "滞后：尚未达到，且（1）目标年度已经结束（距目标年底 0 个月或更少）；或（2）最近 3 个有数据的报表期内"
    "达标指标数没有增加；或（3）按这几个报表期的进度（每月新增达标指标数）推算，剩余未达标指标到目标年底"
    "仍完不成。按期推进：尚未达到，但以上三条都不成立（只有一期数据时还没有进度可算，暂列按期推进）。"
    "已达到：本期全部指标和否决项都达标。本期未报送：本期没有该县已入库的学校报表。"
)

# Per county and period, from the counties' marts (the contract analysts see, not the core tables).
INDICATORS_SQL = """
SELECT county_code, period, indicator_code, MIN(CASE WHEN status = 'met' THEN 1 ELSE 0 END) AS met
FROM mart.county_scorecard
WHERE part <> '地方目标' AND county_code IN :codes AND period <= :period
GROUP BY county_code, period, indicator_code
"""
CV_SQL = """
SELECT county_code, period, SUM(CASE WHEN meets THEN 1 ELSE 0 END) AS cv_met
FROM mart.county_cv WHERE county_code IN :codes AND period <= :period
GROUP BY county_code, period
"""
# The units counted are the school-rule line's (R_MIN_MET): public units only unless 民办 units count in the
# rule (PolicyChoices.private_in_school_rule), as tasks.model.scorecard.in_school_rule (no ownership = public).
# Every unit still marks the period as reported, so a county of 民办 schools only is not "not reported".
UNITS_SQL = """
SELECT county_code, period,
       SUM(CASE WHEN passes AND (:all_units = 1 OR ownership IS NULL OR ownership <> '民办')
                THEN 1 ELSE 0 END) AS units_passing,
       SUM(CASE WHEN passes IS NOT NULL AND (:all_units = 1 OR ownership IS NULL OR ownership <> '民办')
                THEN 1 ELSE 0 END) AS units_judged
FROM mart.school_compliance WHERE county_code IN :codes AND period <= :period
GROUP BY county_code, period
"""
VERDICT_SQL = """
SELECT county_code, period, ready FROM mart.county_verdict WHERE county_code IN :codes AND period <= :period
"""
FACT_COLUMNS = (
    "county_code",
    "period",
    "indicators_met",
    "indicators_total",
    "unmet_items",
    "cv_met",
    "units_passing",
    "units_judged",
    "ready",
)


def month_index(period: str) -> int:
    y, m = period.split("-")
    return int(y) * 12 + int(m)


def months_left(period: str, target_year: int) -> int:
    """Whole months after the period until the end of the target year (2026-10 → 2026: 2; 2026-12: 0)."""
    return (target_year * 12 + 12) - month_index(period)


@dataclass(frozen=True)
class Judgement:
    status: str
    reason: str
    trend: int | None
    trend_since: str | None


def judge(history: Sequence[tuple[str, int, int, bool]], period: str, target_year: int) -> Judgement:
    """Status of a county at ``period`` from its periods with data up to it: (period, met, total, ready), sorted."""
    window = [h for h in history if h[0] <= period][-TREND_PERIODS:]
    left = months_left(period, target_year)
    trend = window[-1][1] - window[0][1] if len(window) > 1 else None
    since = window[0][0] if len(window) > 1 else None
    if not window or window[-1][0] != period:
        return Judgement(NOT_REPORTED, f"{period} 没有该县已入库的学校报表（未运行或没有有效报表）", trend, since)
    _, met, total, ready = window[-1]
    if ready:
        return Judgement(REACHED, f"全部 {total} 项指标和否决项达标", trend, since)
    unmet = total - met
    if left <= 0:
        return Judgement(BEHIND, f"目标年度 {target_year} 年已结束，仍有 {unmet} 项未达标", trend, since)
    if trend is None or since is None:
        return Judgement(ON_TRACK, f"只有一期数据，尚无进度可算；{unmet} 项未达标，距目标年底 {left} 个月", None, None)
    span = month_index(period) - month_index(since)
    if trend <= 0:
        change = "减少" if trend < 0 else "没有增加"
        return Judgement(
            BEHIND, f"自 {since} 以来达标指标数{change}（{trend:+d}），仍有 {unmet} 项未达标", trend, since
        )
    # unmet / (trend / span) > left, in integers: compared exactly.
    if unmet * span > trend * left:
        need = -(-unmet * span // trend)  # months needed at this pace, rounded up
        return Judgement(
            BEHIND,
            f"按 {since} 以来每 {span} 个月新增 {trend} 项的进度，剩余 {unmet} 项约需 {need} 个月，"
            f"距目标年底只有 {left} 个月",
            trend,
            since,
        )
    return Judgement(
        ON_TRACK,
        f"按 {since} 以来每 {span} 个月新增 {trend} 项的进度，剩余 {unmet} 项可在目标年底（{left} 个月）前完成",
        trend,
        since,
    )


def progress_rows(plan: CityPlan, periods: Sequence[str], facts: pd.DataFrame, computed_at: datetime) -> pd.DataFrame:
    """Table rows of core.fct_county_progress: every county of the plan × every period in ``periods``.

    ``facts``: one row per county and period with data (FACT_COLUMNS).
    """
    by_key = {(str(r.county_code), str(r.period)): r for r in facts.itertuples(index=False)}
    rows: list[dict[str, object]] = []
    for c in plan.counties:
        history = sorted(
            (p, int(r.indicators_met), int(r.indicators_total), bool(r.ready))
            for (code, p), r in by_key.items()
            if code == c.code
        )
        for period in periods:
            j = judge(history, period, c.target_year)
            r = by_key.get((c.code, period))
            judged_units = None if r is None or pd.isna(r.units_judged) else int(r.units_judged)
            passing = None if r is None or pd.isna(r.units_passing) else int(r.units_passing)
            rows.append(
                {
                    "city_code": plan.city_code,
                    "city_name": plan.city_name,
                    "plan": plan.plan,
                    "period": period,
                    "county_code": c.code,
                    "county_name": c.name,
                    "target_year": c.target_year,
                    "indicators_met": None if r is None else int(r.indicators_met),
                    "indicators_total": None if r is None else int(r.indicators_total),
                    "cv_met": None if r is None or pd.isna(r.cv_met) else int(r.cv_met),
                    "cv_total": CV_TOTAL,
                    "units_passing": passing,
                    "units_judged": judged_units,
                    "share_units_passing": passing / judged_units if passing is not None and judged_units else None,
                    "verdict": None if r is None else ("达到" if bool(r.ready) else "未达到"),
                    "months_left": months_left(period, c.target_year),
                    "trend": j.trend,
                    "trend_since": j.trend_since,
                    "status": j.status,
                    "status_reason": j.reason,
                    "unmet_items": None if r is None or pd.isna(r.unmet_items) else str(r.unmet_items),
                    "computed_at": computed_at,
                }
            )
    frame = pd.DataFrame(rows, columns=[c.name for c in s.fct_county_progress.columns])
    ints = ["indicators_met", "indicators_total", "cv_met", "units_passing", "units_judged", "trend"]
    return frame.astype({k: "Int64" for k in ints})


def indicator_counts(per_indicator: pd.DataFrame) -> pd.DataFrame:
    """Indicators met, their number and the unmet codes (in the policy's order) per county and period."""
    rows = []
    for (code, period), g in per_indicator.groupby(["county_code", "period"], sort=True):
        unmet = sorted(
            (str(c) for c, m in zip(g["indicator_code"], g["met"], strict=True) if int(m) == 0), key=code_order
        )
        rows.append((code, period, int(g["met"].sum()), len(g), "、".join(unmet) or None))
    return pd.DataFrame(rows, columns=["county_code", "period", "indicators_met", "indicators_total", "unmet_items"])


def read_facts(conn: Connection, plan: CityPlan, period: str, private_in_school_rule: bool = False) -> pd.DataFrame:
    """What the counties' marts say, per county and period up to ``period`` (FACT_COLUMNS); the school units
    counted are those of the school-rule line (public only unless ``private_in_school_rule``)."""
    params: dict[str, object] = {
        "codes": [c.code for c in plan.counties],
        "period": period,
        "all_units": int(private_in_school_rule),
    }

    def q(sql: str) -> pd.DataFrame:
        stmt = sa.text(sql).bindparams(sa.bindparam("codes", expanding=True))
        res = conn.execute(stmt, params)
        return pd.DataFrame(res.fetchall(), columns=list(res.keys()))

    keys = ["county_code", "period"]
    # A county has data for a period when school returns of it were loaded (school units exist): a run whose
    # inbox held no valid return still writes a scorecard of "not reported" lines, but the county did not report.
    facts = indicator_counts(q(INDICATORS_SQL)).merge(q(VERDICT_SQL), on=keys, how="inner")
    facts = facts.merge(q(UNITS_SQL), on=keys, how="inner").merge(q(CV_SQL), on=keys, how="left")
    facts = facts[facts["period"].map(plan.in_force)] if not facts.empty else facts
    return facts.reindex(columns=list(FACT_COLUMNS))


def compute_progress(
    conn: Connection, plan: CityPlan, period: str, computed_at: datetime, private_in_school_rule: bool = False
) -> pd.DataFrame:
    """Replace the city's rows up to ``period`` with the roll-up of the counties' marts; returns the rows.
    ``private_in_school_rule``: the same population choice as the counties' school-rule line."""
    facts = read_facts(conn, plan, period, private_in_school_rule)
    periods = sorted({str(p) for p in facts["period"]} | {period})
    rows = progress_rows(plan, periods, facts, computed_at)
    t = s.fct_county_progress
    conn.execute(t.delete().where(t.c.city_code == plan.city_code, t.c.period <= period))
    bulk_insert(conn, t, rows)
    return rows


def read_progress(conn: Connection, city_code: str, period: str) -> pd.DataFrame:
    """The city's rows of mart.county_progress up to ``period``, oldest first."""
    return query_frame(
        conn,
        "SELECT * FROM mart.county_progress WHERE city_code = :c AND period <= :p ORDER BY period, county_code",
        {"c": city_code, "p": period},
    )


def rollup(
    url: str, plan: CityPlan, period: str, now: datetime | None = None, private_in_school_rule: bool = False
) -> dict[str, object]:
    """Recompute the city's roll-up up to ``period`` in one transaction; a summary of the period's statuses."""
    with connected(url) as engine:
        init_warehouse(engine)
        with engine.begin() as conn:
            lock_period(conn, plan.city_code, period)  # keyed by the city's code: never a county's key
            rows = compute_progress(conn, plan, period, now or datetime.now(), private_in_school_rule)
    current = rows[rows["period"] == period]
    # Names in the plan's order (the order of the document and of the city run's other lines), not code points.
    by_status = {st: list(current.loc[current["status"] == st, "county_name"]) for st in STATUSES}
    return {"city": plan.city_name, "period": period, "counties": len(current), "status": by_status}
