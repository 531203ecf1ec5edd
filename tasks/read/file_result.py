"""What one file contributes to the batch, and the findings it collects on the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from junheng import spec
from junheng.contract import Finding, ReceivedFile, Severity
from tasks.read.numbers import NumberError, ValueFormatError

NUMERIC_KINDS = frozenset({"int", "number"})
ENUM_KINDS = frozenset({"enum", "yesno"})
# `<code>__raw` marker for a column the sheet lacks (same text as expectations.gx_suite.COLUMN_ABSENT):
# the reader reports the missing header once, so validation must not call every row empty.
COLUMN_ABSENT = "(列缺失)"
RESEND = "请用本县下发的 JH-2026.1 模板重新填写，在 Excel/WPS 中“另存为 .xlsx”后重新发送"


@dataclass
class FileResult:
    """What one file contributes to the batch; merged only when the file was read to the end."""

    rf: ReceivedFile
    findings: list[Finding] = field(default_factory=list)
    info: dict[str, Any] | None = None
    info_cells: dict[str, str] = field(default_factory=dict)
    tables: dict[str, list[list[Any]]] = field(default_factory=dict)
    columns: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    school_code: str | None = None
    county: bool = False  # the county's own return (县级报表), not a school's

    def add(self, sheet: str, cell: str, rule: str, severity: Severity, value: object, what: str, fix: str) -> None:
        where = f"文件「{self.rf.file_name}」" + (f"工作表「{sheet}」" if sheet else "")
        where += f"{cell} 单元格" if cell else ""
        self.findings.append(
            Finding(
                file_id=self.rf.file_id,
                file_name=self.rf.file_name,
                sheet=sheet,
                cell=cell,
                rule=rule,
                severity=severity,
                value="" if value is None else str(value),
                message=f"{where}：{what}。{fix}",
            )
        )


def field_error(f: spec.Field, e: NumberError | ValueFormatError) -> str:
    """「学生数」填写的「abc」不是数字 / 「学生数」是 Excel 错误值「#REF!」."""
    joiner = "" if e.rule == "value.excel_error" else "填写的"
    return f"「{f.label}」{joiner}{e.reason}"
