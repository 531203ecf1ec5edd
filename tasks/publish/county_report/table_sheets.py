"""The county workbook's table sheets: 改进方案与贡献, 达标差距, 本期变动, 异常值, 数据字典."""

from __future__ import annotations

from collections.abc import Sequence

from xlsxwriter.format import Format

from junheng.policy import INDICATOR_NAMES
from tasks.model.analytics import RESOURCE_UNITS, county_totals
from tasks.publish.cells import as_flag, as_text, num, yes_no
from tasks.publish.county_report.book import Sheet
from tasks.publish.county_report.data import CountyData, plan_summaries
from tasks.publish.county_report.text import (
    FMT_2,
    FMT_CV,
    FMT_INT,
    FMT_PCT,
    METHOD_ZH,
    SECTION_ZH,
    fmt_cv,
    ind_label,
    need_format,
    value_format,
)
from tasks.publish.dictionary import HEADERS_ZH

CONTRIBUTION_HEADERS = (
    *("学段", "指标", "学校标识码", "学校名称", "在校生数", "指标值", "权重占比", "贡献占比"),
    *("对差异系数的贡献", "差异系数", "若达到县均值", "若达到标准", "方案步骤"),
)
GAP_HEADERS = (
    *("学段", "指标", "学校标识码", "学校名称", "在校生数", "本期值", "标准", "低于85%"),
    *("现有量", "达到标准需增加", "达到85%需增加", "单位"),
)
CHANGE_HEADERS = (
    *("学校标识码", "学校名称", "学段", "指标", "比较的量", "上期", "上期值", "本期值", "变动量", "变动率"),
    "超出界限",
)
OUTLIER_HEADERS = (
    *("学校标识码", "学校名称", "学段", "指标", "方法", "本期值", "中位数", "稳健z值", "正常范围下限"),
    *("正常范围上限", "说明"),
)


def sheet_contribution(s: Sheet, data: CountyData) -> None:
    s.text("差异系数贡献、假设情形与改进方案", s.fmt.title, gap=2)
    s.text("改进方案（每步选择使差异系数下降最多的一所学校）", s.fmt.bold)
    plans = plan_summaries(data)
    for p in plans:
        s.text(
            f"{SECTION_ZH.get(p.section, '')}{ind_label(p.code)}：差异系数 {fmt_cv(p.cv)} → {fmt_cv(p.cv_after)}"
            f"（上限 {p.limit:.2f}，{'可以达标' if p.reached else '仅靠提高低值学校无法达标'}）"
        )
        rows = [
            [
                int(num(st["plan_step"]) or 0),
                as_text(st["school_code"]),
                data.names.get(as_text(st["school_code"]), ""),
                num(st["value"]),
                num(st["plan_target"]),
                num(st["plan_need"]),
                RESOURCE_UNITS.get(p.code, ""),
                num(st["plan_cv_after"]),
            ]
            for st in p.steps
        ]
        s.table(
            ["步骤", "学校标识码", "学校名称", "现值", "提高到", "需增加", "单位", "完成后差异系数"],
            rows,
            ["0", None, None, value_format(p.code), value_format(p.code), need_format(p.code), None, FMT_CV],
        )
    if not plans:
        s.text("本期各项差异系数均未超过上限，无需改进方案。", gap=2)
    s.text("各学校单元对差异系数的贡献", s.fmt.bold)
    c = data.contribution.sort_values(
        ["section", "indicator_code", "contribution_share"], ascending=[True, True, False]
    )
    rows = [
        [
            SECTION_ZH.get(as_text(r.section), ""),
            as_text(r.indicator_code),
            as_text(r.school_code),
            data.names.get(as_text(r.school_code), ""),
            num(r.students),
            num(r.value),
            num(r.weight_share),
            num(r.contribution_share),
            num(r.cv_contribution),
            num(r.cv),
            num(r.cv_if_mean),
            num(r.cv_if_threshold),
            None if num(r.plan_step) is None else int(num(r.plan_step) or 0),
        ]
        for r in c.itertuples(index=False)
    ]
    s.table(
        [
            "学段",
            "指标",
            "学校标识码",
            "学校名称",
            "在校生数",
            "指标值",
            "权重占比",
            "贡献占比",
            "对差异系数的贡献",
            "差异系数",
            "若达到县均值",
            "若达到标准",
            "方案步骤",
        ],
        rows,
        [None] * 4 + [FMT_INT, FMT_2, FMT_PCT, FMT_PCT, FMT_CV, FMT_CV, FMT_CV, FMT_CV, "0"],
    )
    s.widths([8, 12, 14, 30, 10, 12, 10, 10, 14, 10, 12, 12, 10])


def sheet_remediation(s: Sheet, data: CountyData) -> None:
    s.text("达标差距：达到标准、达到标准85%各需增加的资源（向上取整）", s.fmt.title, gap=2)
    s.text("全县合计", s.fmt.bold)
    trows = [
        [
            SECTION_ZH.get(as_text(r.section), ""),
            as_text(r.indicator_code),
            INDICATOR_NAMES.get(as_text(r.indicator_code), ""),
            int(r.units),
            int(r.units_below_floor),
            num(r.need_to_threshold),
            num(r.need_to_floor),
            as_text(r.resource_unit),
        ]
        for r in county_totals(data.remediation).itertuples(index=False)
    ]
    s.table(
        ["学段", "指标", "名称", "未达标单元数", "其中低于85%", "达到标准需增加", "达到85%需增加", "单位"],
        trows,
        [None, None, None, "0", "0", FMT_INT, FMT_INT],
    )
    s.text("逐校差距", s.fmt.bold)
    rem = data.remediation.sort_values(["section", "indicator_code", "school_code"])
    rows = [
        [
            SECTION_ZH.get(as_text(r.section), ""),
            as_text(r.indicator_code),
            as_text(r.school_code),
            data.names.get(as_text(r.school_code), ""),
            num(r.students),
            num(r.value),
            num(r.threshold),
            yes_no(as_flag(r.below_floor), missing="—"),
            num(r.resource),
            num(r.need_to_threshold_whole),
            num(r.need_to_floor_whole),
            as_text(r.resource_unit),
        ]
        for r in rem.itertuples(index=False)
    ]
    by_code: dict[tuple[str, bool], tuple[Format | None, ...]] = {}

    def style(r: Sequence[object]) -> tuple[Format | None, ...]:
        """本期值 filled (darker below 85%); value and need formats by indicator, set on empty cells too."""
        key = (str(r[1]), r[7] == "是")
        st = by_code.get(key)
        if st is None:
            vf, nf = value_format(key[0]), s.fmt.num(need_format(key[0]))
            fill = s.fmt.num(vf, "floor" if key[1] else "below")
            st = by_code[key] = (None, None, None, None, None, fill, s.fmt.num(vf), None, nf, nf, nf)
        return st

    s.table(
        [
            "学段",
            "指标",
            "学校标识码",
            "学校名称",
            "在校生数",
            "本期值",
            "标准",
            "低于85%",
            "现有量",
            "达到标准需增加",
            "达到85%需增加",
            "单位",
        ],
        rows,
        [None, None, None, None, FMT_INT, FMT_2, FMT_2, None, FMT_INT, FMT_INT, FMT_INT],
        [style(r) for r in rows],
    )
    s.widths([6, 6, 12, 30, 10, 12, 10, 8, 14, 14, 14, 8])


def sheet_changes(s: Sheet, data: CountyData) -> None:
    s.text("与上一次报送期相比的变动（超过变动界限的标记为“是”）", s.fmt.title, gap=2)
    v = data.variance.sort_values(
        ["flagged", "level", "section", "indicator_code", "school_code"],
        ascending=[False, True, True, True, True],
        na_position="last",
    )
    rows = [
        [
            "县域" if as_text(r.level) == "county" else as_text(r.school_code),
            "" if as_text(r.level) == "county" else data.names.get(as_text(r.school_code), ""),
            SECTION_ZH.get(as_text(r.section), as_text(r.section)),
            as_text(r.indicator_code),
            "差异系数" if as_text(r.measure) == "cv" else "指标值",
            as_text(r.prev_period),
            num(r.prev_value),
            num(r.value),
            num(r.change_abs),
            num(r.change_pct),
            yes_no(as_flag(r.flagged), missing="—"),
        ]
        for r in v.itertuples(index=False)
    ]
    s.table(
        [
            "学校标识码",
            "学校名称",
            "学段",
            "指标",
            "比较的量",
            "上期",
            "上期值",
            "本期值",
            "变动量",
            "变动率",
            "超出界限",
        ],
        rows,
        [None] * 6 + [FMT_2, FMT_2, FMT_2, FMT_PCT],
    )
    s.widths([12, 30, 6, 6, 10, 10, 12, 12, 12, 10, 10])


def sheet_outliers(s: Sheet, data: CountyData) -> None:
    s.text("异常值警告（稳健 z 值绝对值超过 3.5，或超出本校历史正常范围）", s.fmt.title, gap=2)
    rows = [
        [
            as_text(r.school_code),
            data.names.get(as_text(r.school_code), ""),
            SECTION_ZH.get(as_text(r.section), ""),
            as_text(r.indicator_code),
            METHOD_ZH.get(as_text(r.method), as_text(r.method)),
            num(r.value),
            num(r.center),
            num(r.score),
            num(r.band_low),
            num(r.band_high),
            as_text(r.message),
        ]
        for r in data.outliers.sort_values(["section", "indicator_code", "school_code"]).itertuples(index=False)
    ]
    s.table(
        [
            "学校标识码",
            "学校名称",
            "学段",
            "指标",
            "方法",
            "本期值",
            "中位数",
            "稳健z值",
            "正常范围下限",
            "正常范围上限",
            "说明",
        ],
        rows,
        [None] * 5 + [FMT_2, FMT_2, "0.0", FMT_2, FMT_2],
    )
    s.widths([12, 30, 6, 6, 16, 12, 12, 10, 12, 12, 90])


def sheet_dictionary(s: Sheet, data: CountyData) -> None:
    s.text("数据字典：每个数据集（mart.<名称>）的每一列", s.fmt.title, gap=2)
    d = data.dictionary
    rows = [[f"mart.{r.mart}", r.mart_description, r.grain, r.column, r.type, r.description] for r in d.itertuples()]
    s.table([HEADERS_ZH[c] for c in d.columns], rows)
    s.widths([22, 40, 30, 24, 8, 80])
