"""Chinese names of the rules behind findings, as a school reads them (never a rule id)."""

from __future__ import annotations

from expectations import messages
from junheng.policy import INDICATOR_NAMES

# Used until expectations.messages carries RULE_NAMES_ZH (its entries win when present).
LOCAL_RULE_NAMES = {
    "required": "必填项未填",
    "value.required": "必填项未填",
    "count.negative": "人数或间数为负",
    "value.negative": "数值为负",
    "count.not_integer": "人数或间数不是整数",
    "subcount.exceeds_total": "分项大于总数",
    "enum.unknown": "不是可选的值",
    "value.not_in_list": "不是可选的值",
    "school_code.format": "学校标识码格式不对",
    "period.mismatch": "报表期不一致",
    "value.bad_period": "报表期格式不对",
    "value.bad_date": "日期格式不对",
    "value.not_a_number": "应填数字",
    "value.excel_error": "单元格为错误值",
    "value.formula_no_value": "公式没有计算结果",
    "value.pair": "两项须同时填写",
    "value.percent_range": "百分数超出范围",
    "value.ratio_range": "比例超出范围",
    "teaching_point.parent_missing": "教学点未填所属学校",
    "senior.missing": "高中在校生数未填",
    "section.not_allowed": "学段与办学类型不符",
    "classes.missing": "没有班级行",
    "teachers.missing": "缺少教师行",
    "total.mismatch": "合计与分项之和不符",
    "header.bad_unit": "表头单位无法识别",
    "header.unit_assumed": "表头未写单位",
    "sheet.missing": "缺少工作表",
    "sheet.renamed": "工作表改了名",
    "sheet.no_header": "找不到表头",
    "sheet.missing_column": "缺少列",
    "sheet.duplicate_column": "列重复",
    "sheet.extra_column": "模板以外的列",
    "sheet.missing_row": "缺少行",
    "template.version": "模板版本不对",
    "roster.unknown_school": "学校不在名册中",
    "review.incomplete": "审核信息不全",
    "file.unreadable": "文件无法打开",
    "plausibility.unit_slip": "疑似单位填错",
    "plausibility.outlier": "数值明显偏离全县",
    "outlier": "数值明显偏离全县",
}
_PREFIX_NAMES = {
    "file.": "文件无法打开",
    "sheet.": "工作表结构",
    "header.": "表头",
    "value.": "填写的值",
    "roster.": "学校名册",
    "plausibility.": "请核实的数值",
}


def rule_name(rule: str) -> str:
    """「R1 每百名学生拥有…」for an indicator, a short Chinese name for a data rule; never the rule id."""
    if rule in INDICATOR_NAMES:
        return f"{rule} {INDICATOR_NAMES[rule]}"
    shared: dict[str, str] = getattr(messages, "RULE_NAMES_ZH", {})
    if rule in shared:
        return shared[rule]
    if rule in LOCAL_RULE_NAMES:
        return LOCAL_RULE_NAMES[rule]
    for prefix, name in _PREFIX_NAMES.items():
        if rule.startswith(prefix):
            return name
    return "其他问题"
