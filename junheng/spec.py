"""The school return contract (template JH-2026.1): sheets, labels, codes and value rules.

This module is the single source of truth for the template writer, the reader and the
generated data-error suite. Labels are the Chinese texts printed in the template; codes are
the canonical English column names used inside the pipeline and the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as Bound

TEMPLATE_VERSION = "JH-2026.1"
COUNTY_TEMPLATE_VERSION = "JH-2026.1-县级"

Kind = Literal["text", "int", "number", "enum", "period", "date", "code10", "yesno"]

SCHOOL_TYPES = ("小学", "初级中学", "九年一贯制学校", "十二年一贯制学校", "完全中学")
URBAN_RURAL = ("城区", "镇区", "乡村")
YES_NO = ("是", "否")
OWNERSHIP = ("公办", "民办")
SECTIONS = ("小学", "初中")
FACILITY_SECTIONS = ("小学", "初中", "共用")
ROOM_TYPES = ("音乐", "美术")

# Chinese section label -> warehouse section code.
SECTION_CODES = {"小学": "primary", "初中": "junior", "共用": "shared"}
SECTION_LABELS = {v: k for k, v in SECTION_CODES.items()}

# Which sections a school type may report (compulsory part only).
TYPE_SECTIONS: dict[str, tuple[str, ...]] = {
    "小学": ("小学",),
    "初级中学": ("初中",),
    "九年一贯制学校": ("小学", "初中"),
    "十二年一贯制学校": ("小学", "初中"),
    "完全中学": ("初中",),
}
# School types whose 共用 row includes a senior (高中) part and must report 高中在校生数.
TYPES_WITH_SENIOR = ("十二年一贯制学校", "完全中学")


@dataclass(frozen=True)
class Field:
    """One label of the template: where it is, what it means and how it is checked."""

    label: str
    code: str
    kind: Kind
    required: bool = True
    choices: tuple[str, ...] = ()
    # For counts: the column this count may not exceed (a sub-count of it).
    at_most: str | None = None
    # Multiplier given by the header unit; a label per unit so the header decides.
    note: str = ""
    # Longest text accepted (characters); 0 = the kind's default (TEXT_MAX_LENGTH for free text).
    max_length: int = 0
    # Largest number accepted; None = the kind's default (INT_MAX for counts, NUMBER_MAX otherwise).
    max_value: float | None = None
    # Largest value a real school can have (storable but impossible): above it is an error
    # (plausibility.impossible); None = no such bound.
    ceiling: float | None = None
    # Compared with the school's own previous loaded return (PREVIOUS_PERIOD_JUMP), summed per section and
    # shown in this unit; None = not compared.
    previous_unit: str | None = None

    @property
    def length_limit(self) -> int | None:
        """The longest value a text field may hold, or None for kinds checked by their own rule."""
        if self.kind != "text":
            return None
        return self.max_length or TEXT_MAX_LENGTH

    @property
    def value_limit(self) -> float | None:
        """The largest value a number field may hold (both kinds are also never negative)."""
        if self.kind not in ("int", "number"):
            return None
        if self.max_value is not None:
            return self.max_value
        return float(INT_MAX) if self.kind == "int" else NUMBER_MAX


# Limits of what the warehouse can store, checked at validation so no row is refused by the database:
# whole numbers go to INTEGER columns (PostgreSQL and DuckDB: 32-bit), other numbers to DOUBLE PRECISION
# (exact as whole numbers below 2**53; no finite bound beyond it means anything in a return); free text
# is bounded well above any real name. A cell holding a control character (NUL, written _x0000_ in
# the file's XML) is refused too: PostgreSQL's text cannot hold NUL, and none belongs in a return.
INT_MAX = 2_147_483_647
NUMBER_MAX = 1e15
TEXT_MAX_LENGTH = 200
CONTROL_CHARACTERS = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"

# Plausibility of a return (tasks/validate/plausibility.py). Impossible values are errors: no class
# holds more than CLASS_SIZE_CEILING students (the policy's 超大班额 starts at 66), no school has more
# than CLASS_ROWS_MAX classes. Unlikely ratios are 提醒 (warnings) for the school to confirm.
CLASS_SIZE_CEILING = 100
CLASS_ROWS_MAX = 500
STUDENTS_PER_TEACHER_MAX = 60.0  # students of a section per 专任教师 of that section
AREA_PER_STUDENT_RANGE = (0.5, 200.0)  # 教学及辅助用房面积 (m²) per student of the school, all rows


class PreviousPeriodJump(BaseModel):
    """Plausibility rule f (提醒, never blocking): a school's total of a field, per section, against the same
    total in its own latest earlier loaded return. Flagged when it is more than ``factor`` times the
    previous total or less than 1/``factor`` of it (an extra or a missing 0, a wrong unit, classes left
    out or pasted twice); a previous total of 0 has no ratio and is not judged."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    factor: float = Bound(gt=1.0)


# A school's enrolment, teachers, floor area or equipment value seldom triples or falls to a third in
# one reporting step; a merger or a new building that does is confirmed by the school, not rejected.
PREVIOUS_PERIOD_JUMP = PreviousPeriodJump(factor=3.0)


@dataclass(frozen=True)
class Sheet:
    """A sheet of the return: key/value form (info) or a table with one header row."""

    name: str
    form: Literal["keyvalue", "table"]
    fields: tuple[Field, ...]
    required: bool = True
    note: str = ""
    # Most rows a real return can hold in this sheet (more is an error); None = no bound.
    max_rows: int | None = None
    # Columns that identify a row: two rows of one file alike in all of them are one row entered twice.
    unique_by: tuple[str, ...] = ()
    codes: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "codes", tuple(f.code for f in self.fields))

    def by_code(self, code: str) -> Field:
        for f in self.fields:
            if f.code == code:
                return f
        raise KeyError(code)


INFO = Sheet(
    "基本信息",
    "keyvalue",
    (
        Field("学校标识码", "school_code", "code10", note="10位国家学校标识码"),
        Field("学校名称", "school_name", "text"),
        Field("办学类型", "school_type", "enum", choices=SCHOOL_TYPES),
        Field("所在乡镇（街道）", "township", "text"),
        Field("城乡分类", "urban_rural", "enum", choices=URBAN_RURAL),
        Field("是否寄宿制学校", "is_boarding", "yesno", choices=YES_NO),
        Field("办学性质", "ownership", "enum", choices=OWNERSHIP),
        Field("是否教学点", "is_teaching_point", "yesno", required=False, choices=YES_NO),
        Field("所属学校标识码", "parent_school_code", "code10", required=False, note="是否教学点为“是”时必填"),
        Field("建校年份", "founded_year", "int", required=False),
        Field("高中在校生数", "senior_students", "int", required=False, note="十二年一贯制学校、完全中学必填"),
        Field("报表期", "period", "period", note="如 2026-10"),
        Field("填报人", "reporter", "text", required=False),
        Field("填报日期", "submitted_on", "date", required=False),
    ),
)

CLASSES = Sheet(
    "班级学生",
    "table",
    (
        Field("学段", "section", "enum", choices=SECTIONS),
        Field("年级", "grade", "text"),
        Field("班级", "class_name", "text"),
        Field("学生数", "students", "int", ceiling=CLASS_SIZE_CEILING, previous_unit="人"),
        Field("其中随迁子女数", "migrant_students", "int", required=False, at_most="students"),
        Field("其中残疾学生数", "disabled_students", "int", required=False, at_most="students"),
    ),
    max_rows=CLASS_ROWS_MAX,
    unique_by=("section", "grade", "class_name"),
)

TEACHERS = Sheet(
    "教师",
    "table",
    (
        Field("学段", "section", "enum", choices=SECTIONS),
        Field("专任教师数", "teachers", "int", previous_unit="人"),
        Field("高于规定学历教师数", "teachers_above_required_degree", "int", at_most="teachers"),
        Field("县级及以上骨干教师数", "backbone_teachers", "int", at_most="teachers"),
        Field("体育专任教师数", "pe_teachers", "int", at_most="teachers"),
        Field("音乐专任教师数", "music_teachers", "int", at_most="teachers"),
        Field("美术专任教师数", "art_teachers", "int", at_most="teachers"),
        Field("持教师资格证专任教师数", "certified_teachers", "int", at_most="teachers"),
        Field("符合交流轮岗条件教师数", "rotation_eligible_teachers", "int", at_most="teachers"),
        Field("本年度交流轮岗教师数", "rotated_teachers", "int", at_most="teachers"),
        Field("其中骨干教师数", "rotated_backbone_teachers", "int", at_most="rotated_teachers"),
        Field("五年360学时培训完成教师数", "trained_360h_teachers", "int", at_most="teachers"),
        # Optional: counted in R3 only under the policy choice r3_art_teachers = "all_art".
        Field(
            "其他艺术专任教师数（舞蹈、戏剧、戏曲等）",
            "other_art_teachers",
            "int",
            required=False,
            at_most="teachers",
            note="音乐、美术以外的艺术学科；是否计入R3由县里的口径设置决定",
        ),
    ),
)

FACILITIES = Sheet(
    "办学条件",
    "table",
    (
        Field("学段", "section", "enum", choices=FACILITY_SECTIONS),
        Field("教学及辅助用房面积（平方米）", "teaching_aux_area_m2", "number", previous_unit="平方米"),
        Field("其中：室内体育用房面积（平方米）", "indoor_sports_area_m2", "number", at_most="teaching_aux_area_m2"),
        Field("运动场地面积（平方米）", "sports_ground_area_m2", "number"),
        Field(
            "教学仪器设备值（万元）",
            "equipment_value_yuan",
            "number",
            note="表头单位决定换算：万元×10000，元×1",
            previous_unit="元",
        ),
        Field("网络多媒体教室数（间）", "multimedia_classrooms", "int"),
    ),
)

ROOMS = Sheet(
    "专用教室",
    "table",
    (
        Field("学段", "section", "enum", choices=FACILITY_SECTIONS),
        Field("教室类型", "room_type", "enum", choices=ROOM_TYPES),
        Field("教室名称", "room_name", "text"),
        Field("使用面积（平方米）", "area_m2", "number"),
    ),
    required=False,
)

QUALITY = Sheet(
    "质量监测",
    "table",
    (
        Field("学段", "section", "enum", choices=SECTIONS),
        Field("体质健康测试人数", "fitness_tested", "int", required=False),
        Field("体质健康及格人数", "fitness_passed", "int", required=False, at_most="fitness_tested"),
        Field("体质健康优良人数", "fitness_good", "int", required=False, at_most="fitness_passed"),
        Field("视力筛查人数", "vision_screened", "int", required=False),
        Field("近视人数", "myopic", "int", required=False, at_most="vision_screened"),
    ),
    required=False,
)

TABLE_SHEETS: tuple[Sheet, ...] = (CLASSES, TEACHERS, FACILITIES, ROOMS, QUALITY)
SHEETS: tuple[Sheet, ...] = (INFO, *TABLE_SHEETS)
SHEETS_BY_NAME = {s.name: s for s in SHEETS}

# Frame names used inside the pipeline for each sheet's rows.
FRAME_OF_SHEET = {
    "基本信息": "info",
    "班级学生": "classes",
    "教师": "teachers",
    "办学条件": "facilities",
    "专用教室": "rooms",
    "质量监测": "quality",
}

# Header units that convert a money column to 元.
MONEY_UNITS = {"万元": 10000.0, "元": 1.0}


# --- The county return (县级报表): one workbook per period from the bureau itself ---------------

COUNTY_SHEET = "县级指标"
COUNTY_TITLE = "XX县义务教育优质均衡发展县级指标报表"
# Columns of 县级指标 besides A (label) and B (value): the review of an evidence item, and notes.
COUNTY_REVIEW_COLUMNS = ("审核人", "审核日期", "备注")
COUNTY_HEADER = ("指标", "填报值", *COUNTY_REVIEW_COLUMNS, "填写说明")
Q9_LEVELS = ("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ")  # national monitoring levels, Ⅲ and above meet Q9
Q9_SUBJECTS = {
    "chinese": "语文",
    "math": "数学",
    "science": "科学",
    "pe": "体育与健康",
    "arts": "艺术",
    "moral": "德育",
}


@dataclass(frozen=True)
class CountyItem:
    """What one 县级指标 row reports: the policy rule key it feeds (indicator, measure, section, item)."""

    code: str
    indicator: str
    measure: str
    section: str = "all"
    item: str = ""
    kind: Literal["value", "percent", "ratio", "level", "veto", "evidence"] = "value"


def _county_fields_and_items() -> tuple[tuple[Field, ...], tuple[CountyItem, ...]]:
    pct = "百分数：96.5 表示 96.5%"
    rows: list[tuple[Field, CountyItem | None]] = [
        (Field("县（市、区）名称", "county_name", "text"), None),
        (Field("报表期", "period", "period", note="如 2026-10"), None),
        (Field("填报人", "reporter", "text", required=False), None),
        (Field("填报日期", "submitted_on", "date", required=False), None),
        (
            Field("G6 按100名学生核定公用经费的不足100人村小学和教学点比例（%）", "g6_rate", "number", False, note=pct),
            CountyItem("g6_rate", "G6", "rate", kind="percent"),
        ),
        (
            Field("G7 特殊教育学校生均公用经费（元）", "g7_special_funding", "number", False),
            CountyItem("g7_special_funding", "G7", "value"),
        ),
        (
            Field("G8 教师平均工资收入（元/年）", "g8_teacher_pay", "number", False),
            CountyItem("g8_teacher_pay", "G8", "ratio"),
        ),
        (
            Field("G8 当地公务员平均工资收入（元/年）", "g8_civil_pay", "number", False),
            CountyItem("g8_civil_pay", "G8", "ratio"),
        ),
        (
            Field("G13 城区和镇区公办小学就近划片入学比例（%）", "g13_primary", "number", False, note=pct),
            CountyItem("g13_primary", "G13", "rate", "primary", kind="percent"),
        ),
        (
            Field("G13 城区和镇区公办初中就近划片入学比例（%）", "g13_junior", "number", False, note=pct),
            CountyItem("g13_junior", "G13", "rate", "junior", kind="percent"),
        ),
        (
            Field("G14 优质高中招生名额分配到校比例（%）", "g14_quota", "number", False, note=pct),
            CountyItem("g14_quota", "G14", "rate", kind="percent"),
        ),
        (
            Field("G15 随迁子女在公办学校及政府购买学位就读比例（%）", "g15_migrant", "number", False, note=pct),
            CountyItem("g15_migrant", "G15", "rate", kind="percent"),
        ),
        (
            Field("Q1 初中三年巩固率（%）", "q1_retention", "number", False, note=pct),
            CountyItem("q1_retention", "Q1", "rate", "junior", kind="percent"),
        ),
        (
            Field("Q2 残疾儿童少年入学率（%）", "q2_disabled", "number", False, note=pct),
            CountyItem("q2_disabled", "Q2", "rate", kind="percent"),
        ),
        (
            Field("Q4 教师培训经费占年度公用经费预算比例（各校最低值，%）", "q4_training", "number", False, note=pct),
            CountyItem("q4_training", "Q4", "rate", kind="percent"),
        ),
    ]
    for key, subject in Q9_SUBJECTS.items():
        rows.append(
            (
                Field(
                    f"Q9 {subject}学业水平等级",
                    f"q9_level_{key}",
                    "enum",
                    False,
                    choices=Q9_LEVELS,
                    note="国家质量监测报告中的等级 Ⅰ–Ⅳ；未监测的学科留空",
                ),
                CountyItem(f"q9_level_{key}", "Q9", "level", item=subject, kind="level"),
            )
        )
        rows.append(
            (
                Field(f"Q9 {subject}校际差异率", f"q9_diff_{key}", "number", False, note="比例，如 0.12；未监测留空"),
                CountyItem(f"q9_diff_{key}", "Q9", "ratio", item=subject, kind="ratio"),
            )
        )
    rows += [
        (
            Field("S1 社会认可度（%）", "s1_recognition", "number", False, note=pct),
            CountyItem("s1_recognition", "S1", "rate", kind="percent"),
        ),
        (
            Field("L4 音体美等乡村紧缺学科教师招录比例（%）", "l4_art_hires", "number", False, note="地方目标；" + pct),
            CountyItem("l4_art_hires", "L4", "rate", kind="percent"),
        ),
    ]
    vetoes = {
        "V1": "存在以考试方式招生",
        "V2": "存在违规择校行为",
        "V3": "存在重点学校或重点班",
        "V4": "存在“有编不补”或长期聘用编外教师",
        "V5": "教育系统存在重大安全责任事故或严重违纪违规事件",
        "V6": "有弄虚作假行为",
    }
    for code, text in vetoes.items():
        c = f"{code.lower()}_veto"
        rows.append(
            (
                Field(f"{code} {text}", c, "yesno", False, choices=YES_NO, note="是/否；“是”即不予认定"),
                CountyItem(c, code, "flag", kind="veto"),
            )
        )
    evidence = {
        "G1": "县域内义务教育学校规划布局合理，符合国家规定要求",
        "G2": "城乡学校建设标准、教师编制标准、生均公用经费基准定额、基本装备配置标准统一",
        "G10": "县级教育行政部门统筹分配各校教职工编制和岗位",
        "Q3": "所有学校制定章程，实现学校管理与教学信息化",
        "Q5": "教师能熟练运用信息化手段组织教学，设施设备利用率较高",
        "Q6": "所有学校德育工作、校园文化建设水平达到良好以上",
        "Q7": "课程开齐开足，教学秩序规范，综合实践活动有效开展",
        "Q8": "无过重课业负担",
    }
    for code, text in evidence.items():
        c = f"{code.lower()}_review"
        rows.append(
            (
                Field(
                    f"{code} {text}（佐证审核结论）",
                    c,
                    "yesno",
                    False,
                    choices=YES_NO,
                    note="佐证材料审核结论 是/否，并填审核人、审核日期；未审核留空",
                ),
                CountyItem(c, code, "review", kind="evidence"),
            )
        )
    return tuple(f for f, _ in rows), tuple(i for _, i in rows if i is not None)


_COUNTY_FIELDS, COUNTY_ITEMS = _county_fields_and_items()
COUNTY = Sheet(COUNTY_SHEET, "keyvalue", _COUNTY_FIELDS, note="县教育行政部门每期填报一份")
COUNTY_ITEMS_BY_CODE = {i.code: i for i in COUNTY_ITEMS}
