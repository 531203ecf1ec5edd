"""What a school must do about a shortfall, in the indicator's own unit: how many teachers (人), rooms (间),
square metres or how much equipment value (元 / 万元) reach the standard, and the 85 % floor.

People and rooms come whole: the amount is rounded up and checked (adding it meets the standard, one
less does not) with the same comparison the indicator uses, resource × per_students / students.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from junheng.policy import INDICATOR_NAMES
from tasks.model.analytics.labels import VALUE_UNITS
from tasks.publish.cells import num

# What to add: (measure word, what).
ADD = {
    "R1": ("名", "高于规定学历的专任教师"),
    "R2": ("名", "县级及以上骨干教师"),
    "R3": ("名", "体育或艺术（音乐、美术）专任教师"),
    "R4": ("平方米", "教学及辅助用房面积（不含室内体育用房）"),
    "R5": ("平方米", "体育运动场馆面积（运动场地或室内体育用房）"),
    "R6": ("元", "教学仪器设备值"),
    "R7": ("间", "网络多媒体教室"),
}
# The resource as the school reported it, for "…共 32 人".
RESOURCE_WORDS = {
    "R1": ("高于规定学历教师", "人"),
    "R2": ("县级及以上骨干教师", "人"),
    "R3": ("体育、音乐、美术专任教师", "人"),
    "R4": ("教学及辅助用房面积（不含室内体育用房）", "平方米"),
    "R5": ("运动场地和室内体育用房面积", "平方米"),
    "R6": ("教学仪器设备值", "元"),
    "R7": ("网络多媒体教室", "间"),
}


def meets(resource: float, students: float, per_students: float, target: float) -> bool:
    """The indicator's own comparison (multiply before dividing, compare unrounded)."""
    return resource * per_students / students >= target


def smallest_whole(resource: float, students: float, per_students: float, target: float, start: float = 0) -> int:
    """The smallest whole n ≥ 0 with (resource + n) reaching ``target``; ``start`` (the warehouse's rounded-up
    need) is only where the search begins: the answer is checked both ways."""
    n = max(0, int(start)) if math.isfinite(start) else 0
    while not meets(resource + n, students, per_students, target):
        n += 1
    while n > 0 and meets(resource + n - 1, students, per_students, target):
        n -= 1
    return n


def fmt(x: float, digits: int = 2) -> str:
    """A figure for reading: thousands separators, at most ``digits`` decimals, no trailing zeros."""
    s = f"{x:,.{digits}f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def money(yuan: int) -> str:
    """元 as the template asks for them (万元), with the exact 元 beside: the 万元 figure is rounded up."""
    if yuan < 10000:
        return f"{fmt(yuan, 0)} 元"
    wan = math.ceil(yuan / 100) / 100
    return f"{fmt(wan)} 万元（{fmt(yuan, 0)} 元）"


def amount(indicator: str, n: int) -> str:
    word, what = ADD[indicator]
    if indicator == "R6":
        return f"{money(n)}{what}"
    return f"{fmt(n, 0)} {word}{what}"


def shortfall(indicator: str, section: str, row: Mapping[str, object]) -> tuple[str, str]:
    """(发现值, what to do) for a missed R indicator from its mart.remediation row (students, resource,
    value, threshold, floor, per_students, need_to_threshold_whole, need_to_floor_whole)."""
    students, resource = num(row.get("students")), num(row.get("resource"))
    threshold, floor, per = num(row.get("threshold")), num(row.get("floor")), num(row.get("per_students"))
    value = num(row.get("value"))
    unit = VALUE_UNITS.get(indicator, "")
    found = f"{fmt(value)} {unit}" if value is not None else ""
    name = INDICATOR_NAMES.get(indicator, indicator)
    if None in (students, resource, threshold, per) or not students:
        return found, f"{section}「{name}」未达到标准。"
    assert students is not None and resource is not None and threshold is not None and per is not None
    what, res_unit = RESOURCE_WORDS[indicator]
    head = (
        f"{section}「{name}」为 {found}，低于标准 {fmt(threshold, 3)} {unit}。"
        f"{section}在校生 {fmt(students, 0)} 人，{what}共 {fmt(resource)} {res_unit}。"
    )
    n = smallest_whole(resource, students, per, threshold, num(row.get("need_to_threshold_whole")) or 0)
    text = f"需增加 {amount(indicator, n)}可达到标准"
    if floor is not None and value is not None and value < floor:
        m = smallest_whole(resource, students, per, floor, num(row.get("need_to_floor_whole")) or 0)
        word = ADD[indicator][0]
        least = money(m) if indicator == "R6" else f"{fmt(m, 0)} {word}"
        text += f"；至少增加 {least}可达到标准的 85%（{fmt(floor, 3)} {unit}）"
    elif floor is not None:
        text += f"（已达到标准的 85%，即 {fmt(floor, 3)} {unit}）"
    return found, head + text + "。"


def class_over(students: float, limit: float) -> str:
    """What to do about an oversized class: how many students over the limit."""
    over = math.ceil(students - limit)
    return (
        f"多 {over} 人：需减少 {over} 名学生，使该班不超过 {fmt(limit, 0)} 人（可增设班级或调整到其他班级）；"
        "数据填错的请改正。"
    )


def school_over(students: float, limit: float) -> str:
    """What to do about a school above the standard size."""
    over = math.ceil(students - limit)
    return (
        f"多 {over} 人：需减少 {over} 名学生才不超过标准规模 {fmt(limit, 0)} 人"
        "（可在学校布局调整中通过新建、扩建学校或调整招生范围分流）。"
    )
