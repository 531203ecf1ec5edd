"""The school return contract (template JH-2026.1): sheets, labels, codes and value rules.

This module is the single source of truth for the template writer, the reader and the
generated data-error suite. Labels are the Chinese texts printed in the template; codes are
the canonical English column names used inside the pipeline and the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

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


@dataclass(frozen=True)
class Sheet:
    """A sheet of the return: key/value form (info) or a table with one header row."""

    name: str
    form: Literal["keyvalue", "table"]
    fields: tuple[Field, ...]
    required: bool = True
    note: str = ""
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
        Field("学生数", "students", "int"),
        Field("其中随迁子女数", "migrant_students", "int", required=False, at_most="students"),
        Field("其中残疾学生数", "disabled_students", "int", required=False, at_most="students"),
    ),
)

TEACHERS = Sheet(
    "教师",
    "table",
    (
        Field("学段", "section", "enum", choices=SECTIONS),
        Field("专任教师数", "teachers", "int"),
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
    ),
)

FACILITIES = Sheet(
    "办学条件",
    "table",
    (
        Field("学段", "section", "enum", choices=FACILITY_SECTIONS),
        Field("教学及辅助用房面积（平方米）", "teaching_aux_area_m2", "number"),
        Field("其中：室内体育用房面积（平方米）", "indoor_sports_area_m2", "number", at_most="teaching_aux_area_m2"),
        Field("运动场地面积（平方米）", "sports_ground_area_m2", "number"),
        Field("教学仪器设备值（万元）", "equipment_value_yuan", "number", note="表头单位决定换算：万元×10000，元×1"),
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
