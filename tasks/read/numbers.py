"""Parsing values as people type them: numbers (`1,234`, `１２３`, `45人`, `3.5万`, `—`), periods, dates."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, timedelta

# Cells that mean "nothing to report" (zero or not applicable): stored as missing.
MISSING_MARKS = frozenset({"", "—", "——", "-", "--", "－", "/", "\\", "–", "─", "无", "n/a", "na"})

# Excel error values as calamine/openpyxl/HTML exports show them.
EXCEL_ERRORS = frozenset(
    {
        "#REF!",
        "#DIV/0!",
        "#VALUE!",
        "#N/A",
        "#NAME?",
        "#NUM!",
        "#NULL!",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#UNKNOWN!",
        "#BUSY!",
        "#CONNECT!",
        "#EXTERNAL!",
        "#PYTHON!",
    }
)

# Typed suffix → multiplier when the column has no money unit (万 and 万元 scale by 10000;
# unit words such as 人, 间, 平方米 are dropped).
_MONEY_SUFFIX_IN_YUAN = {"万元": 10000.0, "万": 10000.0, "元": 1.0}
# Column unit → how many 元 one unit is (only money needs this; other units are plain counts).
_UNIT_IN_YUAN = {"元": 1.0, "万元": 10000.0}

_NUMBER_RE = re.compile(
    r"^([+-]?)([0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?|[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(万元|元|万|人|名|个|间|所|台|套|次|年|平方米|平米|m\^?2)?$"
)


class NumberError(ValueError):
    """A cell that should hold a number but does not; `rule` names the finding to raise."""

    def __init__(self, rule: str, text: str, reason: str, fix: str) -> None:
        self.rule = rule  # "value.not_a_number" | "value.excel_error"
        self.text = text
        self.reason = reason
        self.fix = fix
        super().__init__(f"{reason}；{fix}")


def _not_a_number(text: str) -> NumberError:
    return NumberError(
        "value.not_a_number",
        text,
        f"「{text}」不是数字",
        "请填写数字（如 45 或 1234.5），不要带单位或文字；为零请填 0，不要留空或填“—”“/”",
    )


def is_excel_error(x: object) -> bool:
    """True for Excel error values such as `#REF!` (text as exported)."""
    return isinstance(x, str) and x.strip().upper() in EXCEL_ERRORS


def parse_number(x: object, unit: str | None = None) -> float | None:
    """The number in a cell, None when the cell is empty or a dash; raises NumberError otherwise.

    ``unit`` is the column's unit from its header (e.g. 万元): a suffix equal to it is just
    dropped, while a different money suffix converts (3.5万 in a 元 column = 35000, 5000元 in a
    万元 column = 0.5).
    """
    # Fast path: real numbers straight from the workbook (bool is an int subclass, not a number).
    if isinstance(x, float):
        if math.isfinite(x):
            return x
        raise _not_a_number(str(x))
    if isinstance(x, int) and not isinstance(x, bool):
        return float(x)
    if x is None:
        return None
    if not isinstance(x, str):  # bool, date, time, ...: a number was expected
        raise _not_a_number(str(x))
    s = x.strip()
    if not s:
        return None
    if s.isascii():  # float() would also take ٣٠ or ３０: other digits go through the text rules
        try:
            v = float(s)  # plain "45", "1234.5": no regex needed
        except ValueError:
            pass
        else:
            if math.isfinite(v):
                return v
            raise _not_a_number(s)
    return _parse_text(s, unit)


def _parse_text(s: str, unit: str | None) -> float | None:
    n = unicodedata.normalize("NFKC", s)
    n = "".join(n.split()).lower()
    n = n.replace("，", ",")
    if n in MISSING_MARKS:
        return None
    if n.upper() in EXCEL_ERRORS:
        raise NumberError(
            "value.excel_error",
            s,
            f"是 Excel 错误值「{s}」",
            "请检查该单元格的公式或引用，改为填写数字",
        )
    m = _NUMBER_RE.match(n)
    if not m:
        raise _not_a_number(s)
    sign, digits, suffix = m.groups()
    v = float(digits.replace(",", ""))
    if sign == "-":
        v = -v
    if suffix:
        v *= _suffix_factor(suffix, unit)
    return v


def _suffix_factor(suffix: str, unit: str | None) -> float:
    """Multiplier for a typed suffix given the column unit (万 in a 万元 column is the unit itself)."""
    typed_in_yuan = _MONEY_SUFFIX_IN_YUAN.get(suffix)
    if typed_in_yuan is None:
        return 1.0
    if unit in _UNIT_IN_YUAN:
        return typed_in_yuan / _UNIT_IN_YUAN[unit]
    # 元 typed in a count column is a plain suffix; 万 means ten thousand.
    return typed_in_yuan


# --- periods and dates (key/value cells of 基本信息) -----------------------------------------

_EXCEL_EPOCH = date(1899, 12, 30)
_PERIOD_RE = re.compile(r"^([0-9]{4})[-/.年]([0-9]{1,2})(?:月份?|月)?(?:[-/.]([0-9]{1,2})日?|([0-9]{1,2})日)?$")
_COMPACT_PERIOD_RE = re.compile(r"^([0-9]{4})([0-9]{2})$")
_DATE_RE = re.compile(
    r"^([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?(?:[t ]*[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?$"
)
_COMPACT_DATE_RE = re.compile(r"^([0-9]{4})([0-9]{2})([0-9]{2})$")


class ValueFormatError(ValueError):
    """A period or date cell that cannot be understood; `rule` names the finding to raise."""

    def __init__(self, rule: str, text: str, reason: str, fix: str) -> None:
        self.rule = rule  # "value.bad_period" | "value.bad_date"
        self.text = text
        self.reason = reason
        self.fix = fix
        super().__init__(f"{reason}；{fix}")


def _bad_period(text: str, reason: str = "") -> ValueFormatError:
    return ValueFormatError(
        "value.bad_period",
        text,
        reason or f"「{text}」不是有效的年月",
        "请按“年-月”填写，如 2026-10 或 2026年10月",
    )


def _excel_serial_date(v: float) -> date | None:
    # 1982-01-01 .. 2173-10-14: serials outside this window are not plausible return dates.
    if 29952 <= v <= 99999:
        return _EXCEL_EPOCH + timedelta(days=int(v))
    return None


def parse_period(x: object) -> str | None:
    """A reporting period as "YYYY-MM" from `2026-10`, `2026年10月`, `2026.10`, `202610` or a date cell.

    None when empty; raises ValueFormatError otherwise. A number 2026.1 is refused because
    Excel turns a typed `2026.10` into it (January or October cannot be told apart).
    """
    if x is None:
        return None
    if isinstance(x, datetime | date):
        return f"{x.year:04d}-{x.month:02d}"
    if isinstance(x, bool):
        raise _bad_period(str(x))
    if isinstance(x, int | float):
        return _period_from_number(float(x))
    s0 = unicodedata.normalize("NFKC", str(x)).strip().lstrip("'").lower()
    s = "".join(s0.split())
    if not s:
        return None
    m = _DATE_RE.match(s0) or _PERIOD_RE.match(s) or _COMPACT_PERIOD_RE.match(s)
    if not m:
        raise _bad_period(str(x))
    year, month = int(m.group(1)), int(m.group(2))
    if not (1900 <= year <= 2200 and 1 <= month <= 12):
        raise _bad_period(str(x), f"「{x}」的年份或月份不存在")
    return f"{year:04d}-{month:02d}"


def _period_from_number(v: float) -> str:
    text = f"{v:g}"
    if v.is_integer():
        iv = int(v)
        if 190001 <= iv <= 220012 and 1 <= iv % 100 <= 12:
            return f"{iv // 100:04d}-{iv % 100:02d}"
        d = _excel_serial_date(v)
        if d is not None:
            return f"{d.year:04d}-{d.month:02d}"
        raise _bad_period(text)
    year = int(v)
    frac = f"{v:.6f}".split(".")[1].rstrip("0")
    if not 1900 <= year <= 2200 or len(frac) > 2:
        raise _bad_period(text)
    if frac == "1":
        raise _bad_period(text, f"「{text}」被 Excel 存成了数字，无法区分是 1 月还是 10 月")
    month = int(frac)  # 2026.2 → 2 (2026.20 cannot be a month), 2026.11 → 11
    if not 1 <= month <= 12:
        raise _bad_period(text)
    return f"{year:04d}-{month:02d}"


def parse_date(x: object) -> date | None:
    """A date from a date cell, `2026-10-05`, `2026/10/5`, `2026年10月5日`, `20261005` or an Excel serial.

    None when empty; raises ValueFormatError otherwise.
    """
    if x is None:
        return None
    if isinstance(x, datetime):
        return x.date()
    if isinstance(x, date):
        return x
    text = str(x)
    if isinstance(x, int | float) and not isinstance(x, bool):
        d = _excel_serial_date(float(x)) if float(x).is_integer() else None
        if d is None:
            raise _bad_date(text)
        return d
    s = unicodedata.normalize("NFKC", text).strip().lstrip("'").lower()
    if not s:
        return None
    m = _DATE_RE.match(s) or _COMPACT_DATE_RE.match(s)
    if not m:
        raise _bad_date(text)
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise _bad_date(text, f"「{text}」这一天不存在") from None


def _bad_date(text: str, reason: str = "") -> ValueFormatError:
    return ValueFormatError(
        "value.bad_date",
        text,
        reason or f"「{text}」不是有效的日期",
        "请按“年-月-日”填写，如 2026-10-05，或使用 Excel 日期格式",
    )
