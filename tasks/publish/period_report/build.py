"""The period report as one model, read once from the marts and shared by Excel, HTML and Markdown."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from junheng.errors import ConfigError
from junheng.policy import INDICATOR_NAMES, R_CODES, rules_in_force
from tasks.publish.cells import as_flag, as_text, num
from tasks.publish.period_report.labels import (
    SEVERITY_LABELS,
    describe_choices,
    describe_summary,
    fmt,
    section_label,
    section_order,
)
from tasks.publish.period_report.marts import mart


def _indicator_units(period: str) -> dict[str, str]:
    """Units of R1–R7 from the policy in force (labels are data, not code)."""
    try:
        rules = rules_in_force(period)
    except ConfigError:
        return {}
    return {r.code: r.unit for r in rules if r.measure == "value" and r.code in R_CODES}


@dataclass
class Unit:
    """One school unit (school × section) with its R values and the school rule's outcome."""

    school_code: str
    school_name: str
    section: str
    students: float | None = None
    values: dict[str, float | None] = field(default_factory=dict)
    meets: dict[str, bool | None] = field(default_factory=dict)
    below_floor: dict[str, bool] = field(default_factory=dict)
    indicators_met: int | None = None
    passes: bool | None = None

    @property
    def failed_codes(self) -> list[str]:
        return [c for c in R_CODES if self.meets.get(c) is False]


@dataclass
class CvRow:
    section: str
    code: str
    cv: float | None
    limit: float | None
    meets: bool | None
    n_units: int | None
    mean: float | None
    n_missing: int | None = None  # units left out because their value is missing (when the mart says)
    missing_units: list[str] = field(default_factory=list)

    @property
    def missing_text(self) -> str:
        """'2 个学校单元未报告，未计入：甲小学、乙小学' (empty when none are left out or the mart does not say)."""
        if not self.n_missing:
            return ""
        names = "、".join(self.missing_units)
        return f"{self.n_missing} 个学校单元未报告，未计入" + (f"：{names}" if names else "")


@dataclass
class Report:
    period: str
    county: str
    units: list[Unit]
    cv: list[CvRow]
    # thresholds[section][code] = (threshold, floor)
    thresholds: dict[str, dict[str, tuple[float | None, float | None]]]
    units_of_measure: dict[str, str]
    choices: list[tuple[str, str]]
    summary: list[tuple[str, str]]
    verdict: bool | None
    verdict_text: str
    reasons: list[str]
    returns: pd.DataFrame
    issues: pd.DataFrame
    cv_method: str
    overview: pd.DataFrame | None = None  # mart.county_scorecard (tasks.model.scorecard)
    no_valid_returns: bool = False  # nothing to judge: the reports say so and give no verdict

    @property
    def title(self) -> str:
        return f"{self.county} {self.period} 义务教育优质均衡监测报告"

    def sections(self) -> list[str]:
        present = {u.section for u in self.units} | {r.section for r in self.cv}
        known = [s for s in section_order() if s in present]
        return known + sorted(present - set(known))

    @property
    def cv_names_missing(self) -> bool:
        """The CV mart says which units it left out for a missing value (columns n_missing, missing_units)."""
        return any(r.n_missing is not None for r in self.cv)

    def mean_label(self) -> str:
        return "加权平均值" if self.cv_method == "weighted" else "平均值"

    def indicator_header(self, code: str) -> str:
        """'R1 每百名学生拥有高于规定学历教师数（人/百名学生；标准：小学≥4.2，初中≥5.3）'."""
        parts = []
        for sec in self.sections():
            thr = self.thresholds.get(sec, {}).get(code, (None, None))[0]
            if thr is not None:
                parts.append(f"{section_label(sec)}≥{thr:g}")
        unit = self.units_of_measure.get(code, "")
        inner = "；".join(p for p in (unit, "标准：" + "，".join(parts) if parts else "") if p)
        return f"{code} {INDICATOR_NAMES.get(code, code)}" + (f"（{inner}）" if inner else "")


def _units(ind: pd.DataFrame, comp: pd.DataFrame) -> list[Unit]:
    units: dict[tuple[str, str], Unit] = {}

    def get(code: object, name: object, section: object) -> Unit:
        key = (as_text(section), as_text(code))
        if key not in units:
            units[key] = Unit(school_code=key[1], school_name=as_text(name), section=key[0])
        return units[key]

    for r in ind.itertuples(index=False):
        u = get(r.school_code, r.school_name, r.section)
        code = as_text(r.indicator_code)
        value = num(r.value)
        u.values[code] = value
        u.meets[code] = as_flag(r.meets) if value is not None else None
        floor = num(r.floor)
        u.below_floor[code] = value is not None and floor is not None and value < floor
        if u.students is None:
            u.students = num(r.students)
    for r in comp.itertuples(index=False):
        u = get(r.school_code, r.school_name, r.section)
        met = num(r.indicators_met)
        u.indicators_met = None if met is None else int(met)
        u.passes = as_flag(r.passes)
    order = {s: i for i, s in enumerate(section_order())}
    return sorted(units.values(), key=lambda u: (order.get(u.section, 9), u.section, u.school_code))


def _names(x: object) -> list[str]:
    """The missing units' names as the mart gives them: a list/array, or one text joined by 、 or ,."""
    if x is None or isinstance(x, float):
        return []
    if isinstance(x, str):
        return [p.strip() for p in x.replace(",", "、").replace("，", "、").split("、") if p.strip()]
    try:
        return [as_text(v) for v in x if as_text(v)]  # type: ignore[attr-defined]
    except TypeError:
        return [as_text(x)]


def _cv_rows(cv: pd.DataFrame) -> list[CvRow]:
    has_missing = "n_missing" in cv.columns
    rows = []
    for r in cv.to_dict("records"):
        n_missing = num(r.get("n_missing")) if has_missing else None
        rows.append(
            CvRow(
                section=as_text(r["section"]),
                code=as_text(r["indicator_code"]),
                cv=num(r["cv"]),
                limit=num(r["cv_limit"]),
                meets=as_flag(r["meets"]),
                n_units=None if num(r["n_units"]) is None else int(r["n_units"]),
                mean=num(r["mean"]),
                n_missing=None if n_missing is None else int(n_missing),
                missing_units=_names(r.get("missing_units")),
            )
        )
    order = {s: i for i, s in enumerate(section_order())}
    codes = {c: i for i, c in enumerate(R_CODES)}
    return sorted(rows, key=lambda r: (order.get(r.section, 9), codes.get(r.code, 99), r.code))


def _thresholds(ind: pd.DataFrame) -> dict[str, dict[str, tuple[float | None, float | None]]]:
    out: dict[str, dict[str, tuple[float | None, float | None]]] = {}
    for r in ind.itertuples(index=False):
        sec = out.setdefault(as_text(r.section), {})
        code = as_text(r.indicator_code)
        if code not in sec or sec[code][0] is None:
            sec[code] = (num(r.threshold), num(r.floor))
    return out


def _cv_figure(r: CvRow) -> str:
    if r.cv is None or r.limit is None:
        return "（无法计算）"
    return f"（{fmt(r.cv, 3)}，标准≤{r.limit:.2f}）"


NO_VALID_TEXT = "无有效报表：本期没有可用于计算的学校报表，不作达标判定"


def _verdict(
    units: list[Unit], cv: list[CvRow], summary: Mapping[str, object], no_valid: bool
) -> tuple[bool | None, str, list[str]]:
    """The county verdict: every school unit passes the school rule and every CV is within its limit."""
    if no_valid:
        return None, NO_VALID_TEXT, ["请检查收件目录是否正确、学校报表是否已放入，或查看“报送情况”中被退回的原因"]
    failing = [u for u in units if u.passes is False]
    over = [r for r in cv if r.meets is False]
    reasons: list[str] = []
    if failing:
        reasons.append(f"{len(failing)} 个学校单元未达到“至少6项达标、其余1项不低于标准85%”的要求")
    if over:
        named = (f"{section_label(r.section)} {r.code} {INDICATOR_NAMES.get(r.code, '')}{_cv_figure(r)}" for r in over)
        reasons.append("差异系数超标：" + "、".join(named))
    undecided = [u for u in units if u.passes is None]
    if undecided:
        reasons.append(f"{len(undecided)} 个学校单元缺少达标判定（没有学校达标结果），按未达标处理")
    given = summary.get("county_passes")
    if pd.api.types.is_bool(given):
        verdict: bool | None = bool(given)
    elif not units and not cv:
        verdict = None
    else:
        verdict = not failing and not over and not undecided
    text = {
        True: "县域义务教育资源配置达到优质均衡要求",
        False: "县域义务教育资源配置未达到优质均衡要求",
        None: "本期没有可计算的指标，无法判定",
    }[verdict]
    return verdict, text, reasons


def build_report(
    period: str,
    marts: Mapping[str, pd.DataFrame],
    *,
    county: str,
    choices: Mapping[str, object],
    summary: Mapping[str, object],
) -> Report:
    """Everything the three renderers need, read once from the marts."""
    ind = mart(marts, "school_indicators")
    comp = mart(marts, "school_compliance")
    units = _units(ind, comp)
    cv = _cv_rows(mart(marts, "county_cv"))
    no_valid = bool(summary.get("no_valid_returns")) or (not units and not cv)
    verdict, text, reasons = _verdict(units, cv, summary, no_valid)
    return Report(
        period=period,
        county=county,
        units=units,
        cv=cv,
        thresholds=_thresholds(ind),
        units_of_measure=_indicator_units(period),
        choices=describe_choices(choices),
        summary=describe_summary(summary),
        verdict=verdict,
        verdict_text=text,
        reasons=reasons,
        returns=mart(marts, "return_status"),
        issues=mart(marts, "validation_issues"),
        cv_method=as_text(choices.get("cv_method", "weighted")),
        overview=marts.get("county_scorecard"),
        no_valid_returns=no_valid,
    )


def findings_by_rule(issues: pd.DataFrame) -> pd.DataFrame:
    """Findings counted by rule and severity, most severe and most frequent first."""
    if issues.empty:
        return pd.DataFrame({"rule": [], "severity": [], "n": [], "files": []})
    g = (
        issues.assign(rule=issues["rule"].astype(str), severity=issues["severity"].astype(str))
        .groupby(["rule", "severity"], sort=False)
        .agg(n=("message", "size"), files=("file_name", "nunique"))
        .reset_index()
    )
    rank = {s: i for i, s in enumerate(SEVERITY_LABELS)}
    g["_rank"] = g["severity"].map(lambda s: rank.get(s, 9))
    return g.sort_values(["_rank", "n", "rule"], ascending=[True, False, True]).drop(columns="_rank")
