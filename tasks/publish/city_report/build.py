"""What the city report shows, read from the warehouse: each county's progress, CVs, blocking items and schools."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from junheng.plans import CityPlan
from junheng.policy import INDICATOR_NAMES, R_CODES, code_order
from junheng.spec import SECTION_LABELS
from tasks.model.progress import BEHIND, LAGGING_RULE, STATUSES, read_progress
from tasks.model.scorecard import in_school_rule
from tasks.publish.cells import as_text, num

SCHOOL_RULE = "R_MIN_MET"
EXTRA_NAMES = {SCHOOL_RULE: "学校达标（至少6项达标、其余1项不低于标准的85%）"}
STATUS_TEXT = {"unmet": "未达标", "not_reported": "未报告", "evidence_pending": "佐证待审核"}
SECTIONS = ("primary", "junior")
UNITS_TEXT = {
    False: "学校单元达标比例与学校达标规则同一口径：只统计公办学校单元（民办学校单元也评价，但不计入）。",
    True: "学校单元达标比例与学校达标规则同一口径：统计公办和民办学校单元。",
}
MAX_SCHOOLS = 12  # per blocking item: enough to act on; the county's own report lists all


def item_name(code: str, names: dict[str, str] | None = None) -> str:
    """'R3 每百名学生拥有体育、艺术（美术、音乐）专任教师数' — code with its Chinese name, never the code alone."""
    if code == SCHOOL_RULE:
        return EXTRA_NAMES[code]
    name = (names or {}).get(code) or INDICATOR_NAMES.get(code, "")
    return f"{code} {name}".strip()


@dataclass
class CountyLine:
    code: str
    name: str
    target_year: int
    months_left: int
    status: str
    reason: str
    verdict: str
    met: int | None
    total: int | None
    cv_met: int | None
    share: float | None
    passing: int | None
    judged: int | None
    trend: int | None
    trend_since: str
    unmet: list[str]
    report_html: Path | None = None
    report_xlsx: Path | None = None


@dataclass
class Blocking:
    """One scorecard line a behind county has not met, and the schools behind it."""

    item: str
    section: str
    status: str
    detail: str
    schools: list[str] = field(default_factory=list)
    more: int = 0


@dataclass
class CityReport:
    plan: CityPlan
    period: str
    counties: list[CountyLine]
    periods: list[str]
    history: dict[str, dict[str, int]]  # county code -> period -> indicators met
    cv: dict[str, dict[tuple[str, str], tuple[float | None, float | None, bool | None]]]
    blocking: dict[str, list[Blocking]]
    private_in_school_rule: bool = False  # the school-rule line's population (PolicyChoices), stated in .rule

    @property
    def title(self) -> str:
        return f"{self.plan.city_name}县域义务教育优质均衡推进情况（{self.period}）"

    @property
    def counts(self) -> dict[str, int]:
        return {s: sum(c.status == s for c in self.counties) for s in STATUSES}

    @property
    def rule(self) -> str:
        return f"{LAGGING_RULE}{UNITS_TEXT[self.private_in_school_rule]}"


def _in(conn: Connection, sql: str, params: Mapping[str, object]) -> pd.DataFrame:
    stmt = sa.text(sql).bindparams(sa.bindparam("codes", expanding=True))
    res = conn.execute(stmt, params)
    return pd.DataFrame(res.fetchall(), columns=list(res.keys()))


def _int(x: object) -> int | None:
    v = num(x)
    return None if v is None else int(v)


def _schools(conn: Connection, county: str, period: str) -> dict[str, Any]:
    """Look-ups of the county's schools that fail: the school rule, an R indicator, a G rule."""
    p: dict[str, object] = {"codes": [county], "period": period}
    comp = _in(
        conn,
        "SELECT school_code, school_name, section, indicators_met, passes, ownership FROM mart.school_compliance "
        "WHERE county_code IN :codes AND period = :period",
        p,
    )
    units = _in(
        conn,
        "SELECT DISTINCT school_code, school_name FROM mart.school_units "
        "WHERE county_code IN :codes AND period = :period",
        p,
    )
    names = {
        str(r.school_code): as_text(r.school_name) or str(r.school_code)
        for frame in (units, comp)
        for r in frame.itertuples(index=False)
        if as_text(r.school_name)
    }
    ind = _in(
        conn,
        "SELECT school_code, section, indicator_code, value, threshold FROM mart.school_indicators "
        "WHERE county_code IN :codes AND period = :period AND meets = FALSE",
        p,
    )
    rules = _in(
        conn,
        "SELECT school_code, section, indicator_code, item, value, threshold FROM core.fct_school_rule "
        "WHERE county_code IN :codes AND period = :period AND meets = FALSE",
        p,
    )
    return {"names": names, "compliance": comp, "indicators": ind, "rules": rules}


def _fmt(v: object) -> str:
    x = num(v)
    return "—" if x is None else f"{x:,.2f}".rstrip("0").rstrip(".")


def _blocking(conn: Connection, county: str, period: str, private_in_school_rule: bool = False) -> list[Blocking]:
    card = _in(
        conn,
        "SELECT indicator_code, name_zh, section, item, status, value, threshold, note FROM mart.county_scorecard "
        "WHERE county_code IN :codes AND period = :period AND part <> '地方目标' AND status <> 'met'",
        {"codes": [county], "period": period},
    )
    look = _schools(conn, county, period)
    names: dict[str, str] = look["names"]
    out: list[Blocking] = []
    for r in sorted(card.itertuples(index=False), key=lambda r: code_order(str(r.indicator_code))):
        code, section = str(r.indicator_code), str(r.section)
        schools: list[str] = []
        if code == SCHOOL_RULE:
            comp: pd.DataFrame = look["compliance"]
            bad = comp[(comp["section"] == section) & (comp["passes"] == False)]  # noqa: E712
            bad = in_school_rule(bad, private_in_school_rule)  # the units the line counts
            schools = [
                f"{names.get(str(s), s)}（{int(m)} 项达标）"
                for s, m in zip(bad["school_code"], bad["indicators_met"], strict=True)
            ]
        elif code in R_CODES:
            ind: pd.DataFrame = look["indicators"]
            bad = ind[(ind["indicator_code"] == code) & (ind["section"] == section)]
            schools = [
                f"{names.get(str(s), s)}（{_fmt(v)}，标准 {_fmt(t)}）"
                for s, v, t in zip(bad["school_code"], bad["value"], bad["threshold"], strict=True)
            ]
        else:
            rules: pd.DataFrame = look["rules"]
            bad = rules[rules["indicator_code"] == code]
            if section in SECTIONS:  # G5: the class-size line of one section
                bad = bad[bad["section"] == section]
            if as_text(r.item) in set(bad["item"]):  # G3: one room type; G4's type groups are not items there
                bad = bad[bad["item"] == as_text(r.item)]
            shown = "（实有 {v} 间，应有 {t} 间）" if code == "G3" else "（{v}，标准 {t}）"
            schools = [
                names.get(str(s), str(s)) + shown.format(v=_fmt(v), t=_fmt(t))
                for s, v, t in zip(bad["school_code"], bad["value"], bad["threshold"], strict=True)
            ]
        label = item_name(code, {code: as_text(r.name_zh)}) + (f"（{r.item}）" if as_text(r.item) else "")
        detail = as_text(r.note)
        if num(r.value) is not None and code != "G3":  # G3's county value is the worst school's surplus
            detail = f"本县 {_fmt(r.value)}，标准 {_fmt(r.threshold)}" + (f"；{detail}" if detail else "")
        if not schools and code[:1] in "GQSV" and code not in ("G3", "G4", "G5", "G9", "G12"):
            detail = (detail + "；" if detail else "") + "县级报表项目，请县教育局补报或整改"
        out.append(
            Blocking(
                item=label,
                section=SECTION_LABELS.get(section, "全县"),
                status=STATUS_TEXT.get(str(r.status), str(r.status)),
                detail=detail,
                schools=schools[:MAX_SCHOOLS],
                more=max(0, len(schools) - MAX_SCHOOLS),
            )
        )
    return out


def county_report_paths(out_dir: Path, county: str, period: str) -> tuple[Path | None, Path | None]:
    """The county's own reports, where its monthly run wrote them (<out>/<county_code>/<period>/)."""
    folder = out_dir / county / period
    html, xlsx = folder / f"junheng-county-{period}.html", folder / f"junheng-county-{period}.xlsx"
    return (html if html.is_file() else None, xlsx if xlsx.is_file() else None)


def build_city_report(
    conn: Connection, plan: CityPlan, period: str, out_dir: Path, private_in_school_rule: bool = False
) -> CityReport:
    rows = read_progress(conn, plan.city_code, period)
    now = rows[rows["period"] == period]
    codes = [c.code for c in plan.counties]
    names = {c.code: c.name for c in plan.counties}
    scorecard_names = _in(
        conn,
        "SELECT DISTINCT indicator_code, name_zh FROM mart.county_scorecard "
        "WHERE county_code IN :codes AND period = :p",
        {"codes": codes, "p": period},
    )
    code_names = {
        str(a): as_text(b) for a, b in zip(scorecard_names["indicator_code"], scorecard_names["name_zh"], strict=True)
    }
    counties: list[CountyLine] = []
    for r in now.itertuples(index=False):
        unmet = [item_name(c, code_names) for c in as_text(r.unmet_items).split("、") if c]
        html, xlsx = county_report_paths(out_dir, str(r.county_code), period)
        counties.append(
            CountyLine(
                code=str(r.county_code),
                name=names.get(str(r.county_code), str(r.county_name)),
                target_year=int(r.target_year),
                months_left=int(r.months_left),
                status=str(r.status),
                reason=str(r.status_reason),
                verdict=as_text(r.verdict) or "无数据",
                met=_int(r.indicators_met),
                total=_int(r.indicators_total),
                cv_met=_int(r.cv_met),
                share=num(r.share_units_passing),
                passing=_int(r.units_passing),
                judged=_int(r.units_judged),
                trend=_int(r.trend),
                trend_since=as_text(r.trend_since),
                unmet=unmet,
                report_html=html,
                report_xlsx=xlsx,
            )
        )
    order = {s: i for i, s in enumerate((BEHIND, *[s for s in STATUSES if s != BEHIND]))}
    counties.sort(key=lambda c: (order[c.status], c.target_year, c.code))
    history: dict[str, dict[str, int]] = {}
    for r in rows.itertuples(index=False):
        if _int(r.indicators_met) is not None:
            history.setdefault(str(r.county_code), {})[str(r.period)] = int(r.indicators_met)
    cv_rows = _in(
        conn,
        "SELECT county_code, section, indicator_code, cv, cv_limit, meets FROM mart.county_cv "
        "WHERE county_code IN :codes AND period = :p",
        {"codes": codes, "p": period},
    )
    cv: dict[str, dict[tuple[str, str], tuple[float | None, float | None, bool | None]]] = {}
    for r in cv_rows.itertuples(index=False):
        meets = None if r.meets is None or pd.isna(r.meets) else bool(r.meets)
        cv.setdefault(str(r.county_code), {})[(str(r.section), str(r.indicator_code))] = (
            num(r.cv),
            num(r.cv_limit),
            meets,
        )
    blocking = {c.code: _blocking(conn, c.code, period, private_in_school_rule) for c in counties if c.status == BEHIND}
    periods = sorted({p for h in history.values() for p in h})
    return CityReport(plan, period, counties, periods, history, cv, blocking, private_in_school_rule)


def cv_legend() -> list[str]:
    """What R1–R7 in the CV grid's headers stand for (a reader of the grid never sees a bare code)."""
    return [f"{c} {INDICATOR_NAMES[c]}" for c in R_CODES]


def months_text(months_left: int) -> str:
    """距目标年底（月）as a reader says it: '2', '0', or '已过 10' once the target year has ended."""
    return f"已过 {-months_left}" if months_left < 0 else str(months_left)


def cv_columns() -> Sequence[tuple[str, str]]:
    """(section, indicator) in report order: 小学 R1–R7, then 初中 R1–R7."""
    return [(s, c) for s in SECTIONS for c in R_CODES]
