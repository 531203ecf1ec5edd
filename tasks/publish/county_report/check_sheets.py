"""The county workbook's sheets of things to check: changes since the last period and outliers."""

from __future__ import annotations

from typing import Any

from tasks.publish.cells import as_flag, as_text, num, yes_no
from tasks.publish.county_report.book import Page, filled
from tasks.publish.county_report.data import CountyData, rows_of
from tasks.publish.county_report.table_sheets import OUTLIER_HEADERS, by_section
from tasks.publish.county_report.text import (
    FMT_CV,
    FMT_PCT,
    METHOD_ZH,
    ind_label,
    section_key,
    section_zh,
    value_format,
)

NOTE: dict[str, Any] = {"font_color": "#555555"}


def sheet_changes(p: Page, data: CountyData) -> None:
    bound = num(data.variance["change_bound"].iloc[0]) if len(data.variance) else None
    p.title("与上一次报送期相比的变动")
    p.para(f"变动超过 ±{(bound or 0.2):.0%} 的标记为“是”（上期为 0 的变动也标记）。", **NOTE)
    p.skip()
    v = data.variance.assign(
        _f=~data.variance["flagged"].fillna(False).astype(bool), _s=data.variance["section"].map(section_key)
    ).sort_values(["_f", "level", "_s", "indicator_code", "school_code"], na_position="last")
    rows = []
    for r in rows_of(v):
        code, cv = as_text(r.indicator_code), as_text(r.measure) == "cv"
        fmt = FMT_CV if cv else value_format(code)
        county = as_text(r.level) == "county"
        rows.append(
            [
                "全县" if county else as_text(r.school_code),
                "" if county else data.names.get(as_text(r.school_code), ""),
                section_zh(r.section),
                ind_label(code),
                "差异系数" if cv else "指标值",
                as_text(r.prev_period),
                filled(num(r.prev_value), fmt, None),
                filled(num(r.value), fmt, None),
                filled(num(r.change_abs), fmt, None),
                num(r.change_pct),
                yes_no(as_flag(r.flagged), missing="—"),
            ]
        )
    p.table(
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
        num_formats={9: FMT_PCT},
        wrap={3},
        widths=[12, 20, 6, 28, 9, 9, 11, 11, 11, 9, 9],
    )


def sheet_outliers(p: Page, data: CountyData) -> None:
    p.title("异常值警告（请学校核对）")
    p.para(
        "与全县同学段比较：稳健 z 值（以中位数和中位数绝对偏差计）绝对值超过 3.5；与本校历史比较：超出本校此前各期的"
        "正常范围。异常值只是提醒，不影响达标判定。",
        **NOTE,
    )
    p.skip()
    rows = [
        [
            as_text(r.school_code),
            data.names.get(as_text(r.school_code), ""),
            section_zh(r.section),
            ind_label(as_text(r.indicator_code)),
            METHOD_ZH.get(as_text(r.method), "其他"),
            filled(num(r.value), value_format(as_text(r.indicator_code)), None),
            filled(num(r.center), value_format(as_text(r.indicator_code)), None),
            num(r.score),
            filled(num(r.band_low), value_format(as_text(r.indicator_code)), None),
            filled(num(r.band_high), value_format(as_text(r.indicator_code)), None),
            as_text(r.message),
        ]
        for r in rows_of(by_section(data.outliers, "indicator_code", "school_code"))
    ]
    p.table(
        OUTLIER_HEADERS,
        rows,
        num_formats={7: "0.0"},
        wrap={3, 10},
        widths=[12, 18, 6, 24, 12, 10, 10, 8, 10, 10, 50],
    )
