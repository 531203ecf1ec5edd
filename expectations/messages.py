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
    "number.out_of_range": (
        "「{label}」为 {value}，超过可以接受的上限 {limit}。请核对后重新填写（是否多输入了数字，或填错了单位）。"
    ),
    "text.too_long": (
        "「{label}」有 {length} 个字，超过 {limit} 个字的上限。请核对后重新填写（是否把多个单元格的内容粘贴到了一起）。"
    ),
    "text.control_char": (
        "「{label}」含有看不见的控制字符（从其他系统复制的文字常带有，文件中显示为 _x0000_ 一类的代码），"
        "无法入库。请清空这个单元格，重新输入文字后报送。"
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
    # School-level G rules judged in core.fct_school_rule (tasks/model/indicators_g.py): what to do in whole
    # rooms, square metres and people.
    "G3.rooms": (
        "全校共 {classes} 个班，按每 {per} 个班至少 1 间（最少 1 间）应有{item}教室 {need} 间，现有 {have} 间："
        "需增加 {add} 间{item}教室{size}。"
    ),
    "G3.area": (
        "{item}教室「{room}」使用面积为 {value} 平方米，小于标准 {threshold} 平方米：使用面积需增加 {add} 平方米，"
        "或改用一间不小于 {threshold} 平方米的教室作{item}教室。"
    ),
    "G9": (
        "全校专任教师 {teachers} 人，完成 5 年 360 学时培训的 {part} 人（{rate}%），低于标准 {threshold}%："
        "还需 {add} 名教师完成 5 年 360 学时培训。"
    ),
    "G12": (
        "全校专任教师 {teachers} 人，持有教师资格证的 {part} 人（{rate}%），低于标准 {threshold}%："
        "还有 {missing} 名专任教师未取得教师资格证{need}。"
    ),
}

# What the count of violations ("学校指标未达标记录") holds, as the terminal summary and the period report say it.
VIOLATIONS_COUNTED = "每个学校单元每项未达标指标一条，另含班额、学校规模、专用教室、教师培训和持证"

# Plausibility (tasks/validate/plausibility.py): impossible values are errors, unlikely ratios 提醒.
PLAUSIBILITY_MESSAGES: dict[str, str] = {
    "plausibility.impossible": (
        "「{label}」为 {value}，超过实际可能的上限 {limit}，不可能属实。"
        "请核对是否多输入了数字，或把几行的合计填进了一行，改正后重新报送。"
    ),
    "plausibility.duplicate_row": (
        "本行与第 {first} 行的{keys}完全相同，同一{what}填了两次（常见于整块复制粘贴）。"
        "请删除重复的行，或改正{keys}后重新报送。"
    ),
    "plausibility.too_many_rows": (
        "「{sheet}」有 {rows} 行数据，超过一所学校可能有的 {limit} 行，本行起超出。"
        "请删除多余的行（是否把多所学校或多个报表期的数据贴进了本表）后重新报送。"
    ),
    "plausibility.students_per_teacher": (
        "{section}「专任教师数」为 {teachers}，而「班级学生」中{section}学生共 {students} 人，{ratio}。"
        "请核对本单元格的教师数和「班级学生」中的学生数；数据属实的请在报送时说明。"
    ),
    "plausibility.area_per_student": (
        "全校「教学及辅助用房面积」合计 {area} 平方米，按 {students} 名学生计生均 {per} 平方米，"
        "{side}。请核对面积的数值和单位（平方米，是否多写或少写了 0）和学生数；数据属实的请在报送时说明。"
    ),
    "plausibility.previous_period": (
        "{what}为 {value} {unit}，本校上期（{prev_period}）为 {prev} {unit}，{change}，变化超过 {factor} 倍。"
        "请核对本单元格起该学段各行的数值和单位（是否多写或少写了 0、漏填或重复填了行）；"
        "数据属实的（如学校合并或分设、新建校舍、新购设备）请在报送时说明。"
    ),
}


# Every rule id a finding can carry, as people call the rule (问题清单, 问题统计, summaries). Policy
# findings carry the indicator code instead (R1 … G5); reports name those by the indicator.
RULE_NAMES_ZH: dict[str, str] = {
    # reading the file
    "file.unreadable": "文件无法打开",
    "file.not_regular": "链接或特殊文件，未读取",
    "file.too_large_sheet": "工作表超出报表范围，未读取",
    "file.reader_crashed": "读取中止，文件未读取",
    "file.run_interrupted": "运行中断，文件未处理",
    "file.duplicate": "与另一份收到的文件完全相同（只读取一次）",
    "school_code.file_name_mismatch": "文件名中的学校标识码与表内不一致",
    "template.version": "模板版本不符",
    "sheet.missing": "缺少工作表",
    "sheet.renamed": "工作表名称被改动",
    "sheet.no_header": "找不到表头",
    "sheet.missing_column": "缺少列",
    "sheet.extra_column": "多出的列",
    "sheet.duplicate_column": "列重复",
    "sheet.missing_row": "缺少行",
    "header.bad_unit": "表头单位有误",
    "header.unit_assumed": "表头单位按默认处理",
    "value.excel_error": "单元格是 Excel 错误值",
    "value.formula_no_value": "公式没有计算结果",
    "value.not_a_number": "不是数字",
    "value.negative": "不能为负数",
    "value.bad_date": "日期无法识别",
    "value.bad_period": "报表期无法识别",
    "value.required": "必填项未填写",
    "value.not_in_list": "不是可选的值",
    "value.percent_range": "百分数超出范围",
    "value.ratio_range": "比值超出范围",
    "value.pair": "成对数据只填了一项",
    "review.incomplete": "审核信息不完整",
    "total.mismatch": "合计与明细不符",
    # the data rules of the template
    "required": "必填项未填写",
    "count.negative": "人数不能为负数",
    "count.not_integer": "人数应为整数",
    "subcount.exceeds_total": "分项大于总数",
    "number.out_of_range": "数值超出上限",
    "text.too_long": "文字过长",
    "text.control_char": "含有控制字符",
    "db.refused": "数据无法入库",
    "enum.unknown": "不是可选的值",
    "school_code.format": "学校标识码格式有误",
    "period.mismatch": "报表期不符",
    "teaching_point.parent_missing": "教学点缺少所属学校",
    "senior.missing": "缺少高中在校生数",
    "section.not_allowed": "学段与办学类型不符",
    "classes.missing": "没有班级行",
    "teachers.missing": "缺少教师行",
    # the roster and the deadline
    "roster.unknown_school": "名册中没有这所学校",
    "return.missing": "逾期未报",
    # plausibility of a school's own values
    "raw.quality": "数据需核实",
    "raw.special_room": "专用教室数据需核实",
    "raw.county_return": "县级报表数据需核实",
    "plausibility.unit_slip": "疑似单位填错",
    "plausibility.outlier": "数值明显偏离全县",
    "plausibility.impossible": "数值不可能属实",
    "plausibility.duplicate_row": "班级行重复",
    "plausibility.too_many_rows": "行数超出可能",
    "plausibility.students_per_teacher": "师生比需核实",
    "plausibility.area_per_student": "生均校舍面积需核实",
    "plausibility.previous_period": "与本校上期相比变化过大",
}


def data_message(rule: str, **values: object) -> str:
    """The message of a data-error rule, filled in."""
    return DATA_MESSAGES[rule].format(**values)


def plausibility_message(rule: str, **values: object) -> str:
    """The message of a plausibility rule, filled in."""
    return PLAUSIBILITY_MESSAGES[rule].format(**values)


def policy_message(key: str, **values: object) -> str:
    """The message of a policy violation: key is "G3.rooms", "G3.area", "G4", "G5", "G9", "G12" or
    "value.<comparator>"."""
    return POLICY_MESSAGES[key].format(**values)
