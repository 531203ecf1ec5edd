"""The county scorecard: every indicator of the four parts, the vetoes and the local targets, judged for one period."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy.engine import Connection

from junheng.policy import NATIONAL_CODES, Rule, part_of, rules_in_force
from junheng.settings import DEFAULT_COUNTY_CODE
from tasks.model.indicators_g import CountyValue, fitness_county, g11_county, myopia_change, school_rules
from tasks.model.units import MERGED_NOTE_PREFIX
from warehouse import schema as s
from warehouse.engine import bulk_insert, query_frame

STATUSES = ("met", "unmet", "not_reported", "evidence_pending")
VETO_CODES = ("V1", "V2", "V3", "V4", "V5", "V6")
SECTIONS = ("primary", "junior")


@dataclass
class Row:
    """One scorecard line (the columns of core.fct_county_scorecard without period/computed_at)."""

    part: str
    indicator_code: str
    name_zh: str
    kind: str
    measure: str | None
    scope: str | None
    section: str
    item: str
    value: float | None
    comparator: str | None
    threshold: float | None
    unit: str | None
    meets: bool | None
    status: str
    n_schools: int | None = None
    n_unmet: int | None = None
    note: str = ""
    policy: str | None = None
    source: str | None = None
    rule_valid_from: object = None


def _row(r: Rule, value: float | None, status: str, note: str = "", **extra: object) -> Row:
    meets = {"met": True, "unmet": False}.get(status)
    return Row(
        part=r.part or part_of(r.code),
        indicator_code=r.code,
        name_zh=r.name_zh,
        kind=r.kind,
        measure=r.measure,
        scope=r.scope,
        section=r.section,
        item=r.item,
        value=value,
        comparator=r.comparator,
        threshold=r.value,
        unit=r.unit,
        meets=meets,
        status=status,
        note=note,
        policy=r.policy,
        source=r.source,
        rule_valid_from=r.valid_from,
        **extra,  # type: ignore[arg-type]
    )


def judged(r: Rule, value: float | None, note: str = "") -> Row:
    """A single value against its rule; no value = not reported."""
    if value is None or pd.isna(value):
        return _row(r, None, "not_reported", note or "未报告")
    return _row(r, float(value), "met" if r.passes(float(value)) else "unmet", note)


# ------------------------------------------------------------------------------- parts


def in_school_rule(units: pd.DataFrame, private_in_school_rule: bool) -> pd.DataFrame:
    """The school units the school-rule line (R_MIN_MET) counts: public ones (no ownership counts as public),
    and 民办 ones only when ``private_in_school_rule`` (the stated choice; 民办 units are judged either way)."""
    return units if private_in_school_rule or units.empty else units[units["ownership"] != "民办"]


def resource_rows(
    rules: Sequence[Rule], cv: pd.DataFrame, compliance: pd.DataFrame, private_in_school_rule: bool = False
) -> list[Row]:
    """R1–R7: the CV of each section; and the school rule (6 of 7, rest ≥ 85 %) over the public units,
    or every unit when private_in_school_rule (``compliance`` carries each unit's ownership)."""
    out: list[Row] = []
    for r in rules:
        if r.code.startswith("R") and r.measure == "cv":
            hit = cv[(cv["indicator_code"] == r.code) & (cv["section"] == r.section)] if not cv.empty else cv
            if hit.empty or pd.isna(hit.iloc[0]["cv"]):
                out.append(_row(r, None, "not_reported", "本学段没有可计算差异系数的学校"))
            else:
                h = hit.iloc[0]
                out.append(judged(r, float(h["cv"]), f"{int(h['n_units'])} 个学校单元，{h['cv_method']}"))
                out[-1].n_schools = int(h["n_units"])
        if r.code == "R_MIN_MET":
            for section in SECTIONS:
                units = compliance[compliance["section"] == section] if not compliance.empty else compliance
                private = units[units["ownership"] == "民办"] if len(units) else units
                units = in_school_rule(units, private_in_school_rule)
                n = len(units)
                failing = int((units["passes"] == False).sum()) if n else 0  # noqa: E712 (NULL stays out)
                unknown = int(units["passes"].isna().sum()) if n else 0
                note = _count_note(n, failing, unknown, "学校单元")
                if len(private):
                    p_fail = int((private["passes"] == False).sum())  # noqa: E712
                    note += (
                        f"（含民办 {len(private)} 个）"
                        if private_in_school_rule
                        else f"；民办学校单元 {len(private)} 个已评价（{p_fail} 个未达标），按口径不计入"
                    )
                row = _row(r, float(failing), _status_of(n, failing, unknown), note, n_schools=n, n_unmet=failing)
                row.section, row.threshold, row.comparator, row.unit = section, 0.0, "le", "个未达标学校单元"
                out.append(row)
    return out


def _status_of(n: int, failing: int, unknown: int) -> str:
    if n == 0:
        return "not_reported"
    if failing:
        return "unmet"
    return "not_reported" if unknown else "met"


def _count_note(n: int, failing: int, unknown: int, what: str) -> str:
    if n == 0:
        return f"没有{what}"
    text = f"{n} 个{what}中 {failing} 个未达标"
    return text + (f"，{unknown} 个数据不全" if unknown else "")


def school_scope_rows(rules: Sequence[Rule], per_school: pd.DataFrame, schools: pd.DataFrame) -> list[Row]:
    """G3, G4, G5, G9, G12: a county line per rule; every evaluated school must meet it.

    value = the worst school's value (G3 rooms: the smallest surplus 实有 − 应有, judged ≥ 0).
    """
    out: list[Row] = []
    types = dict(zip(schools["school_code"], schools["school_type"], strict=True)) if not schools.empty else {}
    for r in rules:
        if r.scope not in ("school", "class") or r.kind != "computed":
            continue
        rows = per_school
        if not rows.empty:
            rows = rows[(rows["indicator_code"] == r.code) & (rows["measure"] == r.measure) & (rows["item"] == r.item)]
            if r.code == "G5":
                rows = rows[rows["section"] == r.section]
            if r.school_types:
                rows = rows[rows["school_code"].map(types).isin(r.school_types)]
        n = len(rows)
        failing = int((rows["meets"] == False).sum()) if n else 0  # noqa: E712
        unknown = int(rows["meets"].isna().sum()) if n else 0
        status = _status_of(n, failing, unknown)
        note = _count_note(n, failing, unknown, "学校")
        if r.measure == "rooms":
            gap = (rows["value"] - rows["threshold"]).dropna() if n else pd.Series(dtype=float)
            row = _row(r, float(gap.min()) if len(gap) else None, status, note, n_schools=n, n_unmet=failing)
            row.comparator, row.threshold, row.unit = "ge", 0.0, "间（实有−应有，最差学校）"
            row.note = f"每{r.value:g}个班至少1间；" + note
        else:
            vals = rows["value"].dropna() if n else pd.Series(dtype=float)
            worst = None
            if len(vals):
                worst = float(vals.min() if r.comparator in ("ge", "gt") else vals.max())
            row = _row(
                r, worst, status, note + ("；数值为最差学校" if worst is not None else ""), n_schools=n, n_unmet=failing
            )
        if r.school_types and not r.item:  # G4: one line per group of school types
            row.item = "、".join(r.school_types)
        out.append(row)
    return out


def county_computed_rows(rules: Sequence[Rule], values: Sequence[CountyValue]) -> list[Row]:
    """G11 and the 质量监测 local targets (L1–L3): county figures computed from school returns."""
    by_key = {(v.indicator_code, v.measure, v.item, v.section): v for v in values}
    out = []
    for r in rules:
        if r.scope != "county" or r.kind != "computed" or r.measure == "cv":  # CVs: resource_rows
            continue
        v = by_key.get((r.code, r.measure, r.item, r.section))
        out.append(judged(r, v.value if v else None, v.note if v else "无数据"))
    return out


def reported_rows(rules: Sequence[Rule], items: pd.DataFrame) -> list[Row]:
    """Reported figures, evidence reviews and vetoes from the loaded county return."""
    out: list[Row] = []
    for r in rules:
        if r.kind == "computed":
            continue
        rows = items[items["indicator_code"] == r.code] if not items.empty else items
        if r.kind == "evidence":
            v = rows["value_num"].dropna() if not rows.empty else pd.Series(dtype=float)
            if v.empty:
                out.append(_row(r, None, "evidence_pending", "佐证材料尚未审核"))
            else:
                rec = rows.dropna(subset=["value_num"]).iloc[0]
                who = f"审核人 {rec['reviewer']}，{rec['reviewed_on']}" + (f"；{rec['note']}" if rec["note"] else "")
                out.append(judged(r, float(v.iloc[0]), who))
            continue
        if r.kind == "veto":
            v = rows["value_num"].dropna() if not rows.empty else pd.Series(dtype=float)
            out.append(judged(r, float(v.iloc[0]) if len(v) else None, "是 = 存在，不予认定" if len(v) else "未填报"))
            continue
        if r.code == "G8":
            pay = dict(zip(rows["item_code"], rows["value_num"], strict=True)) if not rows.empty else {}
            teacher, civil = pay.get("g8_teacher_pay"), pay.get("g8_civil_pay")
            if teacher is None or civil is None or pd.isna(teacher) or pd.isna(civil) or civil <= 0:
                out.append(_row(r, None, "not_reported", "教师或公务员平均工资未填报"))
            else:
                out.append(judged(r, teacher / civil, f"教师 {teacher:g} 元，公务员 {civil:g} 元"))
            continue
        rows = rows[(rows["measure"] == r.measure) & (rows["section"] == r.section)] if not rows.empty else rows
        if r.item:
            rows = rows[rows["item"] == r.item]
        vals = rows.dropna(subset=["value_num"]) if not rows.empty else rows
        if vals.empty:
            out.append(_row(r, None, "not_reported", "县级报表未填报"))
            continue
        if len(vals) == 1 and not r.item and not vals.iloc[0]["item"]:
            out.append(judged(r, float(vals.iloc[0]["value_num"])))
            continue
        # One rule over several subjects (Q9): every one must pass; the value is the worst.
        passes = [(str(i), float(x), r.passes(float(x))) for i, x in zip(vals["item"], vals["value_num"], strict=True)]
        worst = min(x for _, x, _ in passes) if r.comparator in ("ge", "gt") else max(x for _, x, _ in passes)
        bad = [i for i, _, ok in passes if not ok]
        note = f"{len(passes)} 个学科" + (f"，未达标：{'、'.join(bad)}" if bad else "，全部达标")
        row = _row(r, worst, "unmet" if bad else "met", note, n_schools=None, n_unmet=len(bad))
        out.append(row)
    return out


def missing_rows(rows: list[Row], rules: Sequence[Rule]) -> list[Row]:
    """A not-reported line for every indicator of the 31 and every veto without any line (no rule in force)."""
    have = {r.indicator_code for r in rows}
    out = []
    for code in (*NATIONAL_CODES, *VETO_CODES):
        if code in have:
            continue
        names = [r.name_zh for r in rules if r.code == code]
        out.append(
            Row(
                part_of(code),
                code,
                names[0] if names else "",
                "",
                None,
                None,
                "all",
                "",
                None,
                None,
                None,
                None,
                None,
                "not_reported",
                note="本期没有生效的规则",
            )
        )
    return out


def build_scorecard(
    rules: Sequence[Rule],
    *,
    cv: pd.DataFrame,
    compliance: pd.DataFrame,
    per_school: pd.DataFrame,
    schools: pd.DataFrame,
    county_values: Sequence[CountyValue],
    items: pd.DataFrame,
    private_in_school_rule: bool = False,
) -> pd.DataFrame:
    rows = [
        *resource_rows(rules, cv, compliance, private_in_school_rule),
        *school_scope_rows(rules, per_school, schools),
        *county_computed_rows(rules, county_values),
        *reported_rows(rules, items),
    ]
    rows += missing_rows(rows, rules)
    card = pd.DataFrame([asdict(r) for r in rows])
    # Counts stay integers (COPY refuses "5.0"), missing ones NULL.
    return card.astype({"n_schools": "Int64", "n_unmet": "Int64"})


# ------------------------------------------------------------------------------- warehouse

SCHOOLS_SQL = """
SELECT u.school_code, MAX(d.school_type) AS school_type, MAX(u.file_id) AS file_id,
       MAX(d.parent_school_code) AS parent_school_code
FROM core.fct_school_section AS u
LEFT JOIN core.stg_school_asof AS d ON d.school_code = u.school_code AND d.period = u.period
WHERE u.county_code = :county_code AND u.period = :period
GROUP BY u.school_code
"""


def g_population(
    schools: pd.DataFrame, sections: pd.DataFrame, classes: pd.DataFrame, rooms: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Who the G checks judge: every school of the period, teaching points included (indicators.md:
    their exclusion is from R1–R7 and the CVs only).

    Under the teaching-point policy ``merge`` a teaching point's teachers are already in its parent's
    section rows (tasks/model/units.py): it is judged as part of its parent, so its own section rows
    leave the totals (counted once) and its classes and rooms go to the parent (G3, G5).
    """
    if sections.empty:
        return schools, sections, classes, rooms
    merged_rows = sections["scope_note"].fillna("").str.startswith(MERGED_NOTE_PREFIX)
    merged = set(sections.loc[merged_rows, "school_code"].astype(str))
    if not merged:
        return schools, sections, classes, rooms
    parent = {
        str(c): str(p)
        for c, p in zip(schools["school_code"], schools["parent_school_code"], strict=True)
        if str(c) in merged and isinstance(p, str)
    }

    def to_parent(frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty:
            return frame
        return frame.assign(school_code=frame["school_code"].astype(str).map(lambda c: parent.get(c, c)))

    return (
        schools[~schools["school_code"].astype(str).isin(merged)],
        sections[~merged_rows],
        to_parent(classes),
        to_parent(rooms),
    )


COMPLIANCE_SQL = """
SELECT c.*, d.ownership
FROM core.fct_school_compliance AS c
LEFT JOIN core.stg_school_asof AS d ON d.school_code = c.school_code AND d.period = c.period
WHERE c.county_code = :county_code AND c.period = :period
"""


def last_year(period: str) -> str:
    y, m = period.split("-")
    return f"{int(y) - 1:04d}-{m}"


def compute_scorecard(
    conn: Connection,
    period: str,
    computed_at: datetime,
    rules: Sequence[Rule] | None = None,
    county_code: str = DEFAULT_COUNTY_CODE,
    private_in_school_rule: bool = False,
) -> int:
    """Replace the county's period slices of core.fct_school_rule and core.fct_county_scorecard."""

    def _frame(sql: str, p: str = period) -> pd.DataFrame:
        return query_frame(conn, sql, {"period": p, "county_code": county_code})

    def _slice(cols: str, table: str, p: str = period) -> pd.DataFrame:
        """The county's slice of a table for period p."""
        return _frame(f"SELECT {cols} FROM {table} WHERE county_code = :county_code AND period = :period", p)

    rules = list(rules) if rules is not None else rules_in_force(period)
    sections = _slice("*", "core.fct_school_section")
    schools, sections, classes, rooms = g_population(
        _frame(SCHOOLS_SQL),
        sections,
        _slice("school_code, section, students", "core.fct_class"),
        _slice("school_code, room_type, area_m2", "raw.special_room"),
    )
    quality, quality_before = _slice("*", "raw.quality"), _slice("*", "raw.quality", last_year(period))
    per_school = school_rules(schools, sections, classes, rooms, rules)
    county_values = [*g11_county(sections), *fitness_county(quality), myopia_change(quality, quality_before)]
    card = build_scorecard(
        rules,
        cv=_slice("*", "core.fct_county_indicator"),
        compliance=_frame(COMPLIANCE_SQL),
        per_school=per_school,
        schools=schools,
        county_values=county_values,
        items=_slice("*", "raw.county_return"),
        private_in_school_rule=private_in_school_rule,
    )
    for table, frame in ((s.fct_school_rule, per_school), (s.fct_county_scorecard, card)):
        conn.execute(table.delete().where(table.c.county_code == county_code, table.c.period == period))
        bulk_insert(conn, table, frame.assign(county_code=county_code, period=period, computed_at=computed_at))
    return len(card)
