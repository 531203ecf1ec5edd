"""Analytics that tell a bureau what to do next: outliers, CV contribution, what-if and a greedy plan."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy.engine import Connection

from junheng.errors import ConfigError
from junheng.settings import DEFAULT_COUNTY_CODE

# Iglewicz & Hoaglin's modified z-score: M = 0.6745·(x − median)/MAD, outlier when |M| > 3.5.
MODIFIED_Z_FACTOR = 0.6745
OUTLIER_THRESHOLD = 3.5
# When MAD = 0 (more than half the values are equal) the score uses the mean absolute deviation
# from the median instead: M = (x − median)/(1.253314·MeanAD), 1.253314 = sqrt(π/2) being the
# ratio σ/MeanAD of a normal distribution (the fallback IBM SPSS and Iglewicz–Hoaglin use).
MEANAD_FACTOR = 1.253314
DEFAULT_CHANGE_BOUND = 0.20  # a change of more than ±20 % from the previous period is flagged
MIN_CROSS_SECTION = 3  # fewer schools than this: no median worth comparing against
MIN_HISTORY = 2  # earlier periods needed for an own-history band (≥ 3 periods with the current one)
HISTORY_PERIODS = 12  # the band looks at most this many earlier periods back

SECTION_ZH = {"primary": "小学", "junior": "初中"}
RESOURCE_UNITS = {"R1": "人", "R2": "人", "R3": "人", "R4": "平方米", "R5": "平方米", "R6": "元", "R7": "间"}
VALUE_UNITS = {
    "R1": "人/百名学生",
    "R2": "人/百名学生",
    "R3": "人/百名学生",
    "R4": "平方米/生",
    "R5": "平方米/生",
    "R6": "元/生",
    "R7": "间/百名学生",
}


@dataclass(frozen=True)
class AnalyticsConfig:
    """Bounds a county may tune: JUNHENG_CHANGE_BOUND (0.2 = ±20 %) and JUNHENG_OUTLIER_Z (3.5)."""

    change_bound: float = DEFAULT_CHANGE_BOUND
    outlier_threshold: float = OUTLIER_THRESHOLD
    max_plan_steps: int = 100


def config_from_env() -> AnalyticsConfig:
    """The analytics bounds, with JUNHENG_* environment variables overriding the defaults."""
    out: dict[str, float] = {}
    for env, key in (("JUNHENG_CHANGE_BOUND", "change_bound"), ("JUNHENG_OUTLIER_Z", "outlier_threshold")):
        raw = os.environ.get(env)
        if raw is None or raw == "":
            continue
        try:
            value = float(raw)
        except ValueError as exc:
            raise ConfigError(f"环境变量 {env} 应为正数，收到 {raw!r}", f"例如 {env}=0.2") from exc
        if not math.isfinite(value) or value <= 0:
            raise ConfigError(f"环境变量 {env} 应为正数，收到 {raw!r}", f"例如 {env}=0.2")
        out[key] = value
    return AnalyticsConfig(**out)  # type: ignore[arg-type]


def _fmt(v: float, code: str) -> str:
    decimals = 0 if code == "R6" else 2
    return f"{v:,.{decimals}f}"


# ---------------------------------------------------------------------------------------------
# robust statistics


def median(xs: Sequence[float]) -> float:
    """The median (mean of the two middle values for an even count)."""
    if not xs:
        raise ValueError("median of no values")
    s = sorted(xs)
    n = len(s)
    mid = n // 2
    return s[mid] if n % 2 else (s[mid - 1] + s[mid]) / 2


@dataclass(frozen=True)
class Spread:
    """Centre (median) and spread of reference values; kind says which spread was usable."""

    center: float
    spread: float
    kind: str  # "mad" | "meanad" | "none" (every reference value equal)


def robust_spread(xs: Sequence[float]) -> Spread:
    """Median and MAD; the mean absolute deviation from the median when MAD = 0."""
    c = median(xs)
    dev = [abs(x - c) for x in xs]
    mad = median(dev)
    if mad > 0:
        return Spread(c, mad, "mad")
    meanad = sum(dev) / len(dev)
    if meanad > 0:
        return Spread(c, meanad, "meanad")
    return Spread(c, 0.0, "none")


def modified_z(x: float, s: Spread) -> float:
    """0.6745·(x − median)/MAD, or (x − median)/(1.253314·MeanAD) when MAD = 0; 0 when all equal."""
    if s.kind == "mad":
        return MODIFIED_Z_FACTOR * (x - s.center) / s.spread
    if s.kind == "meanad":
        return (x - s.center) / (MEANAD_FACTOR * s.spread)
    return 0.0


@dataclass(frozen=True)
class Band:
    low: float
    high: float
    center: float
    spread: float
    kind: str  # "mad" | "meanad" | "bound"
    n_ref: int


def history_band(
    history: Sequence[float], *, threshold: float = OUTLIER_THRESHOLD, change_bound: float = DEFAULT_CHANGE_BOUND
) -> Band | None:
    """The unit's own normal range from its earlier periods: where |modified z| ≤ threshold.

    median ± threshold·MAD/0.6745 (or ± threshold·1.253314·MeanAD when MAD = 0), but never
    narrower than the period-over-period bound, median ± change_bound·|median|: two or three
    months of nearly equal values would otherwise make every ordinary change an outlier (and a
    constant history has no spread at all). None with fewer than MIN_HISTORY earlier periods.
    """
    if len(history) < MIN_HISTORY:
        return None
    s = robust_spread(history)
    floor = change_bound * abs(s.center)
    if s.kind == "mad":
        half, kind = threshold * s.spread / MODIFIED_Z_FACTOR, "mad"
    elif s.kind == "meanad":
        half, kind = threshold * MEANAD_FACTOR * s.spread, "meanad"
    else:
        half, kind = 0.0, "bound"
    if half < floor or kind == "bound":
        return Band(s.center - floor, s.center + floor, s.center, floor, "bound", len(history))
    return Band(s.center - half, s.center + half, s.center, s.spread, kind, len(history))


@dataclass(frozen=True)
class OutlierFinding:
    school_code: str
    section: str
    indicator_code: str
    method: str  # cross_section | own_history
    value: float
    center: float
    spread: float | None
    spread_kind: str
    score: float | None
    band_low: float | None
    band_high: float | None
    n_ref: int
    message: str


def cross_section_outliers(
    section: str, code: str, values: Mapping[str, float], *, threshold: float = OUTLIER_THRESHOLD
) -> list[OutlierFinding]:
    """Units whose |modified z| across the section's schools exceeds the threshold."""
    if len(values) < MIN_CROSS_SECTION:
        return []
    s = robust_spread(list(values.values()))
    out: list[OutlierFinding] = []
    for school, x in sorted(values.items()):
        z = modified_z(x, s)
        if abs(z) <= threshold:
            continue
        side = "高" if z > 0 else "低"
        basis = "" if s.kind == "mad" else "（过半学校数值相同，改用平均绝对偏差计算）"
        msg = (
            f"{SECTION_ZH.get(section, section)}{code} 本期为 {_fmt(x, code)} {VALUE_UNITS.get(code, '')}，"
            f"明显{side}于全县同学段 {len(values)} 个学校单元的中位数 {_fmt(s.center, code)}"
            f"（稳健 z 值 {z:.1f}，超过 ±{threshold:g}{basis}）。请核对报表是否填错"
            "（如万元与元、面积单位、学生数），数据属实的请说明原因。"
        )
        out.append(
            OutlierFinding(
                school, section, code, "cross_section", x, s.center, s.spread, s.kind, z, None, None, len(values), msg
            )
        )
    return out


def own_history_outlier(
    school: str,
    section: str,
    code: str,
    value: float,
    history: Sequence[float],
    *,
    threshold: float = OUTLIER_THRESHOLD,
    change_bound: float = DEFAULT_CHANGE_BOUND,
) -> OutlierFinding | None:
    """A finding when the value lies outside the unit's own history band (strictly)."""
    band = history_band(history, threshold=threshold, change_bound=change_bound)
    if band is None or band.low <= value <= band.high:
        return None
    how = {
        "mad": f"中位数 ±{threshold:g} 个稳健标准差",
        "meanad": f"中位数 ±{threshold:g} 个稳健标准差（按平均绝对偏差）",
        "bound": f"以往各期变化很小，按 ±{change_bound:.0%} 计",
    }[band.kind]
    msg = (
        f"{SECTION_ZH.get(section, section)}{code} 本期为 {_fmt(value, code)} {VALUE_UNITS.get(code, '')}，"
        f"超出本校此前 {band.n_ref} 期的正常范围 {_fmt(band.low, code)}～{_fmt(band.high, code)}（{how}）。"
        "请核对是否填报有误，或说明变化原因。"
    )
    return OutlierFinding(
        school,
        section,
        code,
        "own_history",
        value,
        band.center,
        band.spread,
        band.kind,
        None,
        band.low,
        band.high,
        band.n_ref,
        msg,
    )


# ---------------------------------------------------------------------------------------------
# CV contribution, what-if and the greedy plan


@dataclass(frozen=True)
class UnitValue:
    """One school unit in a county CV: weight is its students (weighted CV) or 1 (unweighted)."""

    school_code: str
    students: float
    value: float
    weight: float
    # The numerator in its own unit (teachers, m², 元, rooms), when known: plans then add whole amounts.
    resource: float | None = None


# An exact need such as 4.2 × 500 / 100 − 20 = 1.0000000000000036 stays 1 (the same slack as the
# gap table, sql/analytics/fct_remediation.sql).
WHOLE_SLACK = 1e-6


def whole_need(resource: float, students: float, per_students: float, target: float) -> int:
    """The fewest whole units (teachers, rooms, m², 元) that bring resource × per_students / students to
    ``target`` or above: rounded up, then checked unrounded — adding it meets the target, one less does not."""
    raw = target * students / per_students - resource
    if raw <= WHOLE_SLACK:
        return 0
    n = math.ceil(raw - WHOLE_SLACK)
    while (resource + n) * per_students / students < target:
        n += 1
    while n > 0 and (resource + n - 1) * per_students / students >= target:
        n -= 1
    return n


def mean_cv(weights: Sequence[float], values: Sequence[float]) -> tuple[float, float | None]:
    """Weighted mean and CV = sqrt(Σw(x − mean)²/Σw)/mean (None when the mean is not positive)."""
    total = sum(weights)
    m = sum(w * x for w, x in zip(weights, values, strict=True)) / total
    var = sum(w * (x - m) ** 2 for w, x in zip(weights, values, strict=True)) / total
    return m, (math.sqrt(var) / m if m > 0 else None)


def cv_with(units: Sequence[UnitValue], index: int, new_value: float) -> float | None:
    """The CV if unit ``index`` had ``new_value`` (everything else unchanged)."""
    values = [new_value if i == index else u.value for i, u in enumerate(units)]
    return mean_cv([u.weight for u in units], values)[1]


class _Moments:
    """Σw, the weighted mean and the centred sums of one set of units: the CV with any one value
    replaced in O(1) instead of O(n), so what-ifs and plans stay linear in the number of units.

    Centred (Σw(x − m), Σw(x − m)²) rather than raw power sums (Σwx²): no cancellation, so the
    answers agree with ``mean_cv`` on the changed list to rounding."""

    def __init__(self, weights: Sequence[float], values: Sequence[float]) -> None:
        self.weights, self.values = weights, values
        self.total = sum(weights)
        self.mean = sum(w * x for w, x in zip(weights, values, strict=True)) / self.total
        dev = [x - self.mean for x in values]
        self.s1 = sum(w * d for w, d in zip(weights, dev, strict=True))  # 0 up to rounding
        self.s2 = sum(w * d * d for w, d in zip(weights, dev, strict=True))

    def cv(self) -> float | None:
        return math.sqrt(self.s2 / self.total) / self.mean if self.mean > 0 else None

    def cv_replacing(self, index: int, new_value: float) -> float | None:
        """The CV if value ``index`` were ``new_value``: Σ_j w_j(x'_j − m')² from the centred sums."""
        w, x = self.weights[index], self.values[index]
        dx, dy = x - self.mean, new_value - self.mean
        shift = w * (new_value - x) / self.total  # m' − m
        rest_s1 = self.s1 - w * dx  # Σ_{j≠i} w_j(x_j − m)
        rest_s2 = self.s2 - w * dx * dx
        s2 = rest_s2 - 2 * shift * rest_s1 + shift * shift * (self.total - w) + w * (dy - shift) ** 2
        m = self.mean + shift
        return math.sqrt(max(s2, 0.0) / self.total) / m if m > 0 else None


@dataclass(frozen=True)
class Contribution:
    school_code: str
    weight_share: float  # w_i / Σw
    contribution_share: float  # w_i(x_i − mean)² / Σ w(x − mean)²: its share of the variance
    cv_contribution: float | None  # contribution_share × CV (they add up to the CV)
    cv_if_mean: float | None  # CV if this unit were raised to the county mean (None when at/above it)
    cv_if_threshold: float | None  # CV if raised to the threshold (None when it already meets it)


def contributions(units: Sequence[UnitValue], threshold: float | None) -> list[Contribution]:
    """Each unit's share of the county CV and the CV if it alone reached the mean or the threshold."""
    weights = [u.weight for u in units]
    m, cv = mean_cv(weights, [u.value for u in units])
    total_w = sum(weights)
    sq = [u.weight * (u.value - m) ** 2 for u in units]
    total_sq = sum(sq)
    moments = _Moments(weights, [u.value for u in units])
    out: list[Contribution] = []
    for i, u in enumerate(units):
        share = sq[i] / total_sq if total_sq > 0 else 0.0
        out.append(
            Contribution(
                school_code=u.school_code,
                weight_share=u.weight / total_w,
                contribution_share=share,
                cv_contribution=None if cv is None else share * cv,
                cv_if_mean=moments.cv_replacing(i, m) if u.value < m else None,
                cv_if_threshold=(
                    moments.cv_replacing(i, threshold) if threshold is not None and u.value < threshold else None
                ),
            )
        )
    return out


@dataclass(frozen=True)
class PlanStep:
    step: int
    school_code: str
    from_value: float
    target: float
    need: float  # resource to add, in the indicator's own terms: (target − x)·P / per_students (whole: rounded up)
    cv_after: float
    value_after: float = 0.0  # the unit's value once ``need`` is added (≥ target; above it when need is whole)


@dataclass(frozen=True)
class Plan:
    cv_before: float | None
    limit: float
    steps: tuple[PlanStep, ...]
    cv_after: float | None
    reached: bool


def greedy_plan(
    units: Sequence[UnitValue],
    *,
    threshold: float | None,
    limit: float,
    per_students: float,
    max_steps: int = 100,
    whole: bool = False,
) -> Plan:
    """The fewest unit improvements, chosen greedily, that bring the CV within its limit.

    An improvement raises one unit's value to the target max(current mean, threshold): the county
    mean is what lowers dispersion, the threshold is what the school rule asks for anyway. Each
    step takes the improvement that lowers the CV most (ties: the lower school code); a unit is
    improved at most once. It stops when CV ≤ limit (compared unrounded), when no improvement
    lowers the CV (then only reducing the high values would help, which is not a plan), or after
    max_steps. Greedy is a heuristic: it is optimal for one step and near the fewest in practice.

    whole=True (units with a known resource): people, rooms, m² and 元 come whole, so a step adds
    whole_need(...) and the unit's value becomes (resource + need) × per_students / P, at or a little
    above the target; the CVs are those of the values actually reached.
    """
    weights = [u.weight for u in units]
    values = [u.value for u in units]
    _, cv = mean_cv(weights, values)
    cv_before = cv
    steps: list[PlanStep] = []
    improved: set[int] = set()
    while cv is not None and cv > limit and len(steps) < max_steps:
        moments = _Moments(weights, values)  # O(n) once per step; each trial below is O(1)
        m = moments.mean
        target = m if threshold is None else max(m, threshold)
        best: tuple[float, str, int, float, float] | None = None
        for i, u in enumerate(units):
            if i in improved or values[i] >= target:
                continue
            if whole and u.resource is not None:
                need = float(whole_need(u.resource, u.students, per_students, target))
                reached = (u.resource + need) * per_students / u.students
            else:
                need, reached = (target - values[i]) * u.students / per_students, target
            c = moments.cv_replacing(i, reached)
            if c is None:
                continue
            if best is None or (c, u.school_code) < (best[0], best[1]):
                best = (c, u.school_code, i, need, reached)
        if best is None or best[0] >= cv:
            break
        c, code, i, need, reached = best
        steps.append(PlanStep(len(steps) + 1, code, values[i], target, need, c, reached))
        values[i] = reached
        improved.add(i)
        cv = c
    return Plan(cv_before, limit, tuple(steps), cv, cv is not None and cv <= limit)


# ---------------------------------------------------------------------------------------------
# remediation totals


def county_totals(remediation: pd.DataFrame) -> pd.DataFrame:
    """Per section and indicator: units short, whole resource needed to the threshold and the floor."""
    cols = [
        "section",
        "indicator_code",
        "resource_unit",
        "units",
        "units_below_floor",
        "need_to_threshold",
        "need_to_floor",
    ]
    if remediation.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    g = (
        remediation.assign(below=remediation["below_floor"].astype(bool))
        .groupby(["section", "indicator_code", "resource_unit"], sort=True)
        .agg(
            units=("school_code", "size"),
            units_below_floor=("below", "sum"),
            need_to_threshold=("need_to_threshold_whole", "sum"),
            need_to_floor=("need_to_floor_whole", "sum"),
        )
        .reset_index()
    )
    order = g["section"].map({"primary": 0, "junior": 1}).fillna(9)
    return g.assign(_o=order).sort_values(["_o", "indicator_code"], kind="stable")[cols].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# persistence: run after the indicator models of a period (tasks.model.run.compute_period)

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
    from warehouse import schema as s
    from warehouse.engine import bulk_insert, query_frame

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
        (s.fct_outlier, outlier_frame(ind, period, config)),
        (s.fct_cv_contribution, contribution_frame(ind, county, period, config)),
    ):
        conn.execute(table.delete().where(table.c.county_code == county_code, table.c.period == period))
        if not frame.empty:
            bulk_insert(conn, table, frame.assign(county_code=county_code, computed_at=computed_at))
