"""Why the county does or does not reach 优质均衡: every failed line of the scorecard, with the schools behind it."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from tasks.model.analytics.labels import RESOURCE_UNITS
from tasks.publish.cells import as_flag, as_text, num
from tasks.publish.county_report.data import CountyData, plan_summaries, rows_of
from tasks.publish.county_report.text import (
    COMPARATOR,
    PART_ORDER,
    STATUS_ZH,
    code_key,
    fmt_cv,
    fmt_need,
    fmt_value,
    ind_label,
    plain,
    section_key,
    section_zh,
)


@dataclass
class SchoolFigure:
    """One school behind a failed line: its figure against the standard and what it needs."""

    code: str
    name: str
    section: str  # 小学 / 初中 / ""
    value: str
    standard: str
    todo: str
    note: str = ""


@dataclass
class Failure:
    """One scorecard line that is not met (未达标, 未报告 or 待审核)."""

    part: str
    code: str
    label: str  # "G3 音乐、美术专用教室（音乐教室间数）"
    section: str
    status: str
    value: str  # the county's figure in words ("最差学校少 1 间")
    standard: str
    why: str
    schools: list[SchoolFigure] = field(default_factory=list)
    number: float | None = None  # the same figure as a number, for the workbook (None: 是/否 or not reported)
    unit: str = ""


def _value_text(measure: str, unit: str, v: float | None) -> str:
    if v is None:
        return "—"
    if measure == "cv":
        return fmt_cv(v)
    if unit == "是/否":
        return "是" if v >= 0.5 else "否"
    if measure == "rooms":
        return f"最差学校{'少' if v < 0 else '多'} {plain(abs(v))} 间" if v else "最差学校刚好够"
    if measure == "count":
        return f"{plain(v)} 个学校单元未达标"
    return f"{plain(v)}{'' if unit == '%' else ' '}{unit}"


def _number(measure: str, unit: str, v: float | None) -> tuple[float | None, str]:
    """The county's figure as a number and its unit in words, for a spreadsheet column."""
    if v is None or unit == "是/否":
        return None, ""
    if measure == "cv":
        return v, "差异系数"
    if measure == "rooms":
        return v, "间（最差学校实有减应有）"
    if measure == "count":
        return v, "个学校单元未达标"
    return v, unit


def _standard_text(r: object) -> str:
    measure, unit = as_text(getattr(r, "measure", "")), as_text(getattr(r, "unit", ""))
    thr, cmp = num(getattr(r, "threshold", None)), COMPARATOR.get(as_text(getattr(r, "comparator", "")), "")
    if thr is None:
        return "—"
    if unit == "是/否":
        return "不存在" if as_text(getattr(r, "part", "")) == "否决" else "通过审核"
    if measure == "rooms":
        return "每所学校实有 ≥ 应有"
    if measure == "count":
        return "所有学校单元都达标（至少 6 项达标，其余不低于标准的 85%）"
    if measure == "cv":
        return f"≤ {thr:.2f}"
    return f"{cmp} {plain(thr)}{'' if unit == '%' else ' '}{unit}"


def _label(r: object) -> str:
    code, name = as_text(getattr(r, "indicator_code", "")), as_text(getattr(r, "name_zh", ""))
    item, measure = as_text(getattr(r, "item", "")), as_text(getattr(r, "measure", ""))
    if code == "R_MIN_MET":
        return "校级达标规则（每个学校单元至少 6 项达标）"
    extra = {"rooms": "间数", "area": "面积"}.get(measure, "")
    detail = f"{item}教室{extra}" if extra else item
    if code.startswith("R") and measure == "cv":
        return f"{ind_label(code)}（差异系数）"
    return f"{code} {name}" + (f"（{detail}）" if detail else "")


def _rule_schools(data: CountyData, r: object) -> list[SchoolFigure]:
    """The schools failing a school-level G line, from core.fct_school_rule."""
    rules = data.school_rules
    if rules.empty:
        return []
    code, measure, item = (as_text(getattr(r, k, "")) for k in ("indicator_code", "measure", "item"))
    rows = rules[(rules["indicator_code"] == code) & (rules["measure"] == measure)]
    section = as_text(getattr(r, "section", ""))
    if code == "G4":  # the line's item is the school types it covers
        rows = rows[rows["school_type"].isin(item.split("、"))]
    else:
        rows = rows[rows["item"].fillna("") == item]
    if section in ("primary", "junior"):
        rows = rows[rows["section"] == section]
    rows = rows[rows["meets"].map(as_flag) == False]  # noqa: E712 (unknown is not a failure)
    unit = as_text(getattr(r, "unit", ""))
    out = []
    for s in rows_of(rows.sort_values(["school_code"])):
        v, thr = num(s.value), num(s.threshold)
        value, standard, todo = _school_need(code, measure, item, unit, v, thr)
        out.append(
            SchoolFigure(
                as_text(s.school_code),
                as_text(s.school_name),
                section_zh(s.section) if s.section != "all" else "",
                value,
                standard,
                todo,
                as_text(s.note),
            )
        )
    return out


def _school_need(code: str, measure: str, item: str, unit: str, v: float | None, thr: float | None) -> tuple[str, ...]:
    if v is None or thr is None:
        return ("—", "—", "请补报数据")
    if measure == "rooms":
        return (f"{plain(v)} 间", f"应有 {plain(thr)} 间", f"需增加 {plain(thr - v)} 间{item}教室")
    if measure == "area":
        return (f"{plain(v)} 平方米/间", f"≥ {plain(thr)} 平方米/间", f"每间需扩大到 {plain(thr)} 平方米")
    if code == "G4":
        return (f"{plain(v)} 人", f"≤ {plain(thr)} 人", f"超出 {plain(v - thr)} 人，需分流或控制招生规模")
    if code == "G5":
        return (f"最大班额 {plain(v)} 人", f"≤ {plain(thr)} 人/班", f"最大的班超出 {plain(v - thr)} 人，需调整分班")
    if unit == "%":
        return (f"{plain(v)}%", f"≥ {plain(thr)}%", f"差 {plain(thr - v)} 个百分点")
    return (f"{plain(v)} {unit}", f"{plain(thr)} {unit}", "")


def _cv_schools(data: CountyData, section: str, code: str) -> list[SchoolFigure]:
    """The schools of the plan for this CV (whole amounts), else those below the standard."""
    unit = RESOURCE_UNITS.get(code, "")
    for p in plan_summaries(data):
        if (p.section, p.code) == (section, code) and p.steps:
            return [
                SchoolFigure(
                    as_text(s["school_code"]),
                    data.names.get(as_text(s["school_code"]), ""),
                    section_zh(section),
                    fmt_value(num(s["value"]), code),
                    f"提高到 {fmt_value(num(s['plan_target']), code)}",
                    f"需增加 {fmt_need(num(s['plan_need']), code)} {unit}",
                    f"改进方案第 {int(num(s['plan_step']) or 0)} 步",
                )
                for s in p.steps
            ]
    return _gap_schools(data, section, code)


def _gap_schools(data: CountyData, section: str, code: str) -> list[SchoolFigure]:
    rem = data.remediation
    rows = rem[(rem["section"] == section) & (rem["indicator_code"] == code)].sort_values("school_code")
    return [
        SchoolFigure(
            as_text(g.school_code),
            data.names.get(as_text(g.school_code), ""),
            section_zh(section),
            fmt_value(num(g.value), code),
            f"≥ {fmt_value(num(g.threshold), code)}",
            f"需增加 {fmt_need(num(g.need_to_threshold_whole), code)} {as_text(g.resource_unit)}",
            "低于标准的 85%" if as_flag(g.below_floor) else "",
        )
        for g in rows_of(rows)
    ]


def _need_text(g: object) -> str:
    code = as_text(getattr(g, "indicator_code", ""))
    need = fmt_need(num(getattr(g, "need_to_threshold_whole", None)), code)
    return f"{ind_label(code)} 需增加 {need} {as_text(getattr(g, 'resource_unit', ''))}"


def _unit_schools(data: CountyData, section: str) -> list[SchoolFigure]:
    """School units that fail the school rule (at least 6 of 7, the rest ≥ 85 %), with their shortfalls."""
    comp = data.compliance
    bad = comp[(comp["section"] == section) & (comp["passes"].map(as_flag) == False)]  # noqa: E712
    if bad.empty:
        return []
    rem = data.remediation[data.remediation["section"] == section].sort_values("indicator_code")
    short: dict[str, list[str]] = {}
    low: dict[str, list[str]] = {}  # the indicators below 85 % of the standard: why 6 met can still fail
    for g in rows_of(rem):
        short.setdefault(as_text(g.school_code), []).append(_need_text(g))
        if as_flag(g.below_floor):
            low.setdefault(as_text(g.school_code), []).append(as_text(g.indicator_code))
    ind = data.indicators[data.indicators["section"] == section]
    met = ind.assign(_m=ind["meets"].map(as_flag).fillna(False).astype(bool)).groupby("school_code")["_m"].sum()
    return [
        SchoolFigure(
            as_text(u.school_code),
            as_text(u.school_name),
            section_zh(section),
            f"{int(met.get(u.school_code, 0))} 项达标"
            + (f"，{'、'.join(low[as_text(u.school_code)])} 低于标准的 85%" if as_text(u.school_code) in low else ""),
            "至少 6 项达标，其余不低于标准的 85%",
            "；".join(short.get(as_text(u.school_code), [])) or "请补报数据",
        )
        for u in rows_of(bad.sort_values("school_code"))
    ]


def failures(data: CountyData) -> list[Failure]:
    """Every scorecard line of the four parts and the vetoes that is not met, 资源配置 first, 小学 before 初中."""
    frames = (data.scorecard, data.indicators, data.compliance, data.remediation, data.contribution, data.school_rules)
    key = data.memo("failures", *frames)
    if key not in data.derived:
        data.derived[key] = _failures(data)
    return data.derived[key]  # type: ignore[return-value]


def _failures(data: CountyData) -> list[Failure]:
    card = data.scorecard
    if card.empty or not data.has_data:  # no valid return: nothing was judged, so nothing failed
        return []
    card = card[(card["part"] != "地方目标") & (card["status"] != "met")]
    card = card.assign(
        _p=card["part"].map(PART_ORDER).fillna(9),
        _s=card["section"].map(section_key),
        _c=card["indicator_code"].map(code_key),
    ).sort_values(["_p", "_c", "_s", "item"], kind="stable")
    out = []
    for r in rows_of(card):
        code, measure, section = as_text(r.indicator_code), as_text(r.measure), as_text(r.section)
        status = STATUS_ZH.get(as_text(r.status), as_text(r.status))
        schools: list[SchoolFigure] = []
        if status == "未达标":
            if code.startswith("R") and measure == "cv":
                schools = _cv_schools(data, section, code)
            elif code == "R_MIN_MET":
                schools = _unit_schools(data, section)
            elif as_text(r.scope) in ("school", "class"):
                schools = _rule_schools(data, r)
        out.append(
            Failure(
                as_text(r.part),
                code,
                _label(r),
                section_zh(section) if section in ("primary", "junior") else "",
                status,
                _value_text(measure, as_text(r.unit), num(r.value)),
                _standard_text(r),
                _why(r, status),
                schools,
                *_number(measure, as_text(r.unit), num(r.value)),
            )
        )
    return out


def _why(r: object, status: str) -> str:
    if status == "待审核":
        return "佐证材料尚未审核"
    if status == "未报告":
        return "县级报表未填报或没有可计算的数据"
    if as_text(getattr(r, "measure", "")) == "cv":
        v, thr = num(getattr(r, "value", None)), num(getattr(r, "threshold", None))
        return f"差异系数 {fmt_cv(v)} 超过上限 {thr or 0:.2f}"
    n, bad = num(getattr(r, "n_schools", None)), num(getattr(r, "n_unmet", None))
    if n is not None and bad is not None and as_text(getattr(r, "measure", "")) != "cv":
        what = "学校单元" if as_text(getattr(r, "indicator_code", "")) == "R_MIN_MET" else "学校"
        return f"{int(n)} 个{what}中 {int(bad)} 个未达标"
    if as_text(getattr(r, "part", "")) == "否决":
        return "存在否决情形"
    return "本县数值未达到标准"


def verdict(data: CountyData, found: list[Failure]) -> tuple[str, str]:
    """(达到 / 未达到 / 无有效报表, the sentence saying why)."""
    if not data.has_data or data.scorecard.empty:
        return "无有效报表", "本期没有有效的学校报表，未作评判。请检查收件目录与报表期，收齐报表后重新运行。"
    if not found:
        return "达到", "本期各项指标均达到县域义务教育优质均衡发展要求。"
    counts = pd.Series([f.status for f in found]).value_counts()
    parts = [f"{int(counts[s])} 项{s}" for s in ("未达标", "未报告", "待审核") if s in counts]
    veto = sum(1 for f in found if f.part == "否决" and f.status == "未达标")
    lead = "存在否决情形，" if veto else ""
    return "未达到", f"{lead}共有 {'、'.join(parts)}（见下表）。"
