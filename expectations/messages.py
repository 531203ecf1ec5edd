"""Chinese message templates, one per rule id of the generated suites (data errors and policy)."""

from __future__ import annotations

# Data errors: what was found, what is expected and how to fix it. The location (file, sheet,
# cell) travels in the Finding's own fields, so the text does not repeat it.
DATA_MESSAGES: dict[str, str] = {
    "required": "「{label}」未填写。该项为必填项，请填写后重新报送。",
    "count.negative": "「{label}」为 {value}，不能为负数。请核对后填写不小于 0 的数。",
    "count.not_integer": "「{label}」为 {value}，应为整数。人数、间数等只能填整数，请核对后重新填写。",
    "subcount.exceeds_total": (
        "「{label}」为 {value}，大于「{total_label}」{total}。子项不能大于总数，请核对后重新填写。"
    ),
    "enum.unknown": "「{label}」为“{value}”，不是可选的值。请从 {choices} 中选择一项填写。",
    "school_code.format": (
        "「{label}」为“{value}”，应为 10 位数字的国家学校标识码。"
        "请核对后重新填写（把单元格设为文本格式，可避免开头的 0 丢失）。"
    ),
    "period.mismatch": (
        "「{label}」为 {value}，与本次收集的报表期 {expected} 不一致。请使用 {expected} 的报表重新报送。"
    ),
    "teaching_point.parent_missing": (
        "「{flag_label}」为“是”，但「{label}」未填写。教学点必须填写所属学校的 10 位标识码。"
    ),
    "senior.missing": (
        "办学类型为“{school_type}”，但「{label}」未填写。该类型学校须填写高中在校生数"
        "（用于分摊共用资源），没有高中学生请填 0。"
    ),
    "section.not_allowed": (
        "「{label}」为“{value}”，但办学类型为“{school_type}”的学校只能填报 {allowed}。"
        "请核对本行学段，或「基本信息」中的办学类型。"
    ),
    "classes.missing": "「班级学生」表没有任何班级行。请按班级逐行填写学段、年级、班级和学生数后重新报送。",
    "teachers.missing": (
        "「班级学生」中有{section}班级，但「教师」表没有{section}行。请在「教师」表补填{section}一行后重新报送。"
    ),
}

# Policy violations: they describe the school, never reject a return.
POLICY_MESSAGES: dict[str, str] = {
    "value.ge": "{section}「{indicator}」为 {value}，低于标准 {threshold}。",
    "value.gt": "{section}「{indicator}」为 {value}，未高于标准 {threshold}。",
    "value.le": "{section}「{indicator}」为 {value}，高于标准 {threshold}。",
    "value.lt": "{section}「{indicator}」为 {value}，未低于标准 {threshold}。",
    "G5": "{section}{klass}学生数为 {value} 人，超过标准班额 {threshold} 人。",
    "G4": "学校规模（义务教育在校生数）为 {value} 人，超过{school_type}的标准规模 {threshold} 人。",
}


def data_message(rule: str, **values: object) -> str:
    """The message of a data-error rule, filled in."""
    return DATA_MESSAGES[rule].format(**values)


def policy_message(key: str, **values: object) -> str:
    """The message of a policy violation: key is "G4", "G5" or "value.<comparator>"."""
    return POLICY_MESSAGES[key].format(**values)
