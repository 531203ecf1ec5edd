"""The county return (县级报表, sheet 县级指标): reader and validation (the sheet is found by tasks.read.sheets)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

from junheng import spec
from junheng.contract import Finding, ReceivedFile, Severity
from junheng.errors import FileRejected
from junheng.settings import DEFAULT_COUNTY_CODE
from tasks.read.grid import RawSheet
from tasks.read.labels import LabelIndex
from tasks.read.numbers import NumberError, ValueFormatError, is_excel_error, parse_date, parse_number, parse_period
from tasks.read.sheets import VERSION_SCAN_ROWS, county_sheet, has_county_version
from tasks.read.workbook import load_sheets

VERSION_LINE = f"模板版本：{spec.COUNTY_TEMPLATE_VERSION}"
FIRST_ROW = 4  # row 3 is the header (指标, 填报值, 审核人, 审核日期, 备注, 填写说明)
_RESEND = f"请用本县 {spec.COUNTY_TEMPLATE_VERSION} 县级报表模板（junheng template --county）填写后重新提交"
_CONTROL = re.compile(spec.CONTROL_CHARACTERS)
# Columns of a row besides the value (B): what the reader keeps of them.
_REVIEWER_COL, _NOTE_COL = 2, 4
_LEVELS = {"1": 1, "2": 2, "3": 3, "4": 4, "i": 1, "ii": 2, "iii": 3, "iv": 4, "ⅰ": 1, "ⅱ": 2, "ⅲ": 3, "ⅳ": 4}

ITEM_COLUMNS = [
    "item_code",
    "indicator_code",
    "measure",
    "section",
    "item",
    "value_num",
    "value_text",
    "reviewer",
    "reviewed_on",
    "note",
    "cell",
    "source_row",
]


@dataclass
class CountyReturn:
    """One county workbook as read: its header values, one row per reported item, and its findings."""

    file: ReceivedFile
    county_name: str | None = None
    period: str | None = None
    reporter: str | None = None
    submitted_on: date | None = None
    items: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ITEM_COLUMNS))
    findings: list[Finding] = field(default_factory=list)

    @property
    def n_errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    def add(self, cell: str, rule: str, severity: Severity, value: object, what: str, fix: str) -> None:
        where = f"文件「{self.file.file_name}」工作表「{spec.COUNTY_SHEET}」" + (f"{cell} 单元格" if cell else "")
        self.findings.append(
            Finding(
                file_id=self.file.file_id,
                file_name=self.file.file_name,
                sheet=spec.COUNTY_SHEET,
                cell=cell,
                rule=rule,
                severity=severity,
                value=_shown(value),
                message=_CONTROL.sub("\ufffd", f"{where}：{what}。{fix}"),
            )
        )


def _shown(value: object) -> str:
    """A found value as a finding shows it: a control character as � (PostgreSQL cannot store NUL)."""
    return "" if value is None else _CONTROL.sub("\ufffd", str(value))


def _storable(label: str, value: Any, addr: str, res: CountyReturn) -> bool:
    """Whether a text cell can be kept as it is, as in a school return: no control character (NUL is
    written _x0000_ in the file; PostgreSQL's text cannot hold it) and at most spec.TEXT_MAX_LENGTH
    characters. Otherwise a located error, and the cell is not kept."""
    if not isinstance(value, str):
        return True
    if _CONTROL.search(value):
        res.add(
            addr,
            "text.control_char",
            "error",
            value,
            f"「{label}」含有看不见的控制字符（从其他系统复制的文字常带有，文件中显示为 _x0000_ 一类的代码），无法入库",
            "请清空这个单元格，重新输入文字后重新提交",
        )
        return False
    length = len(_text(value) or "")
    if length > spec.TEXT_MAX_LENGTH:
        res.add(
            addr,
            "text.too_long",
            "error",
            value,
            f"「{label}」有 {length} 个字，超过 {spec.TEXT_MAX_LENGTH} 个字的上限",
            "请核对后重新填写（是否把多个单元格的内容粘贴到了一起）",
        )
        return False
    return True


def _a1(r: int, c: int) -> str:
    return f"{chr(ord('A') + c)}{r + 1}"


def _cell(row: list[Any], c: int) -> Any:
    return row[c] if c < len(row) else None


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _text(v: Any) -> str | None:
    if _blank(v):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return " ".join(str(v).split())


def _index() -> LabelIndex:
    """Official labels, and each label without its leading code (G7 …) for files that dropped it."""
    synonyms: dict[str, list[str]] = {}
    for f in spec.COUNTY.fields:
        head, _, rest = f.label.partition(" ")
        if rest and head[:1] in "GQSLV" and head[1:].isdigit():
            synonyms[f.code] = [rest]
    return LabelIndex(spec.COUNTY, synonyms)


def read_county_return(rf: ReceivedFile, period: str | None = None) -> CountyReturn:
    """Read and validate one county workbook; problems become located findings, never exceptions."""
    res = CountyReturn(rf)
    try:
        sheets = load_sheets(rf.archive_path)
    except FileRejected as e:
        res.add("", e.rule, "error", "", e.reason, e.fix)
        return res
    raw = county_sheet(sheets)
    if raw is None:
        res.add("", "sheet.missing", "error", "", f"缺少工作表「{spec.COUNTY_SHEET}」", _RESEND)
        return res
    _check_version(raw, res)
    idx = _index()
    found: dict[str, tuple[int, list[Any]]] = {}
    for r, row in enumerate(raw.rows):
        m = idx.match(_cell(row, 0))
        if m is not None and m.code not in found:
            found[m.code] = (r, row)
    items: list[dict[str, Any]] = []
    for f in spec.COUNTY.fields:
        if f.code not in found:
            if f.required:
                res.add(
                    "",
                    "sheet.missing_column",
                    "error",
                    "",
                    f"缺少「{f.label}」一行",
                    f"请按模板在 A 列填写“{f.label}”，B 列填写其内容",
                )
            elif f.code in spec.COUNTY_ITEMS_BY_CODE:
                res.add("", "sheet.missing_row", "warning", "", f"缺少「{f.label}」一行，按未报告处理", _RESEND)
            continue
        r, row = found[f.code]
        value, addr = _cell(row, 1), _a1(r, 1)
        if f.code in spec.COUNTY_ITEMS_BY_CODE:
            item = _item(spec.COUNTY_ITEMS_BY_CODE[f.code], f, value, addr, row, r, res)
            if item is not None:
                items.append(item)
        else:
            _header_value(f, value, addr, res)
    if period and res.period and res.period != period:
        addr = _a1(found["period"][0], 1) if "period" in found else ""
        res.add(
            addr,
            "period.mismatch",
            "error",
            res.period,
            f"报表期是 {res.period}，不是本期 {period}",
            "请填写本期报表期后重新提交",
        )
    _cross_checks(res, items)
    res.items = pd.DataFrame(items, columns=ITEM_COLUMNS)
    return res


def _check_version(raw: RawSheet, res: CountyReturn) -> None:
    for r, row in enumerate(raw.rows[:VERSION_SCAN_ROWS]):
        for c, cell in enumerate(row):
            if isinstance(cell, str) and "版本" in cell:
                if not has_county_version(cell):
                    res.add(
                        _a1(r, c),
                        "template.version",
                        "error",
                        cell.strip(),
                        f"模板版本不是 {spec.COUNTY_TEMPLATE_VERSION}",
                        _RESEND,
                    )
                return
    res.add(
        "", "template.version", "warning", "", f"未找到模板版本（应为“{VERSION_LINE}”）", "不要删除第 2 行的版本说明"
    )


def _header_value(f: spec.Field, value: Any, addr: str, res: CountyReturn) -> None:
    if not _storable(f.label, value, addr, res):
        return
    try:
        if f.kind == "period":
            res.period = parse_period(value)
        elif f.kind == "date":
            res.submitted_on = parse_date(value)
        elif f.code == "county_name":
            res.county_name = _text(value)
        elif f.code == "reporter":
            res.reporter = _text(value)
    except (NumberError, ValueFormatError) as e:
        res.add(addr, e.rule, "error", value, f"「{f.label}」：{e.reason}", e.fix)
        return
    if f.required and _blank(value):
        res.add(addr, "value.required", "error", "", f"「{f.label}」未填写", f"请在 {addr} 填写{f.label}")


def _item(
    ci: spec.CountyItem, f: spec.Field, value: Any, addr: str, row: list[Any], r: int, res: CountyReturn
) -> dict[str, Any] | None:
    """One reported item, checked; None when the cell is blank and nothing else was said (not reported)."""
    cells = (
        (f.label, value, addr),
        (f"{f.label}（审核人）", _cell(row, _REVIEWER_COL), _a1(r, _REVIEWER_COL)),
        (f"{f.label}（备注）", _cell(row, _NOTE_COL), _a1(r, _NOTE_COL)),
    )
    if not all([_storable(label, v, a, res) for label, v, a in cells]):  # every cell checked, each located
        return None
    out: dict[str, Any] = {
        "item_code": ci.code,
        "indicator_code": ci.indicator,
        "measure": ci.measure,
        "section": ci.section,
        "item": ci.item,
        "value_num": None,
        "value_text": _text(value),
        "reviewer": _text(_cell(row, _REVIEWER_COL)),
        "reviewed_on": None,
        "note": _text(_cell(row, _NOTE_COL)),
        "cell": addr,
        "source_row": r + 1,
    }
    if isinstance(value, str) and is_excel_error(value):
        res.add(addr, "value.excel_error", "error", value, f"「{f.label}」是 Excel 错误值", "请直接填写数值")
        return None
    if ci.kind in ("veto", "evidence"):
        text = _text(value)
        if text is not None:
            yn = text.removesuffix("。")
            if yn not in spec.YES_NO:
                res.add(
                    addr,
                    "value.not_in_list",
                    "error",
                    value,
                    f"「{f.label}」应填“是”或“否”",
                    "请从下拉列表中选择 是/否",
                )
                return None
            out["value_num"] = 1.0 if yn == "是" else 0.0
            out["value_text"] = yn
        if ci.kind == "evidence":
            return _review(ci, f, out, row, r, res)
        return out if text is not None else None
    if ci.kind == "level":
        text = _text(value)
        if text is None:
            return None
        key = "".join(unicodedata.normalize("NFKC", text).split()).lower().removesuffix("级").removeprefix("水平")
        level = _LEVELS.get(key)
        if level is None:
            res.add(
                addr,
                "value.not_in_list",
                "error",
                value,
                f"「{f.label}」应为等级 Ⅰ、Ⅱ、Ⅲ 或 Ⅳ",
                "请从下拉列表中选择等级",
            )
            return None
        out["value_num"] = float(level)
        out["value_text"] = spec.Q9_LEVELS[level - 1]
        return out
    try:
        v = parse_number(value)
    except NumberError as e:
        res.add(addr, e.rule, "error", value, f"「{f.label}」不是数字", e.fix)
        return None
    if v is None:
        return None
    if v < 0:
        res.add(addr, "value.negative", "error", value, f"「{f.label}」为负数 {v:g}", "请填写不小于 0 的数值")
        return None
    if ci.kind == "percent" and v > 100:
        res.add(
            addr,
            "value.percent_range",
            "error",
            value,
            f"「{f.label}」为 {v:g}，超过 100%",
            "比例按百分数填写（0–100），请核对",
        )
        return None
    if ci.kind == "ratio" and v > 1:
        res.add(
            addr,
            "value.ratio_range",
            "error",
            value,
            f"「{f.label}」为 {v:g}，大于 1",
            "校际差异率按比例填写（如 0.12），不要填百分数",
        )
        return None
    out["value_num"] = v
    return out


def _review(
    ci: spec.CountyItem, f: spec.Field, out: dict[str, Any], row: list[Any], r: int, res: CountyReturn
) -> dict[str, Any] | None:
    """An evidence item: a conclusion needs its reviewer and review date; none at all = pending."""
    raw_date = _cell(row, 3)
    try:
        out["reviewed_on"] = parse_date(raw_date)
    except ValueFormatError as e:
        res.add(_a1(r, 3), e.rule, "error", raw_date, f"「{f.label}」的审核日期格式错误", e.fix)
        return None
    if out["value_num"] is None:
        if out["reviewer"] or out["reviewed_on"]:
            res.add(
                out["cell"],
                "review.incomplete",
                "error",
                "",
                f"「{f.label}」填了审核人或日期，但没有审核结论",
                "请在 B 列填写审核结论 是/否；尚未审核则三项都留空",
            )
            return None
        return out  # kept (value NULL): the scorecard shows it as evidence pending
    missing = [name for name, v in (("审核人", out["reviewer"]), ("审核日期", out["reviewed_on"])) if not v]
    if missing:
        res.add(
            out["cell"],
            "review.incomplete",
            "error",
            out["value_text"],
            f"「{f.label}」有审核结论，但缺少{'、'.join(missing)}",
            "佐证材料的审核结论须写明审核人和审核日期（C、D 列）",
        )
        return None
    return out


def _cross_checks(res: CountyReturn, items: list[dict[str, Any]]) -> None:
    """G8 needs both pay figures: one alone cannot be judged."""
    g8 = [i for i in items if i["indicator_code"] == "G8"]
    if len(g8) == 1:
        res.add(
            g8[0]["cell"],
            "value.pair",
            "warning",
            g8[0]["value_num"],
            "G8 只填了教师或公务员平均工资中的一项，无法比较",
            "请同时填写两项平均工资收入",
        )


def county_items_frame(
    ret: CountyReturn, period: str, loaded_at: datetime, county_code: str = DEFAULT_COUNTY_CODE
) -> pd.DataFrame:
    """Rows for raw.county_return."""
    return ret.items.assign(
        county_code=county_code,
        period=period,
        file_id=ret.file.file_id,
        county_name=ret.county_name,
        source_sheet=spec.COUNTY_SHEET,
        loaded_at=loaded_at,
    )


def pick_county_return(returns: list[CountyReturn]) -> CountyReturn | None:
    """The county return to load: without errors, latest 填报日期, then latest received."""
    ok = [r for r in returns if r.n_errors == 0]
    if not ok:
        return None
    return max(ok, key=lambda r: (r.submitted_on or date.min, r.file.received_at, r.file.file_name))
