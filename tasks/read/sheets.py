"""Which workbook sheet is which sheet of the template: by name, by header content; the county sheet; the version."""

from __future__ import annotations

import re
import unicodedata

from junheng import spec
from tasks.read.file_result import FileResult
from tasks.read.grid import RawSheet, a1, blank
from tasks.read.headers import find_header
from tasks.read.info import KV_LABEL_COLUMNS
from tasks.read.labels import index_for, match_sheet_name, normalise_label

VERSION_SCAN_ROWS = 6


def county_sheet(sheets: list[RawSheet]) -> RawSheet | None:
    """The 县级指标 sheet: by name, or any sheet whose top rows carry the county template version."""
    for s in sheets:
        if normalise_label(s.name) == normalise_label(spec.COUNTY_SHEET):
            return s
    for s in sheets:
        for row in s.rows[:VERSION_SCAN_ROWS]:
            for c in row:
                if isinstance(c, str) and has_county_version(c):
                    return s
    return None


def has_county_version(text: str) -> bool:
    t = "".join(unicodedata.normalize("NFKC", text).split()).upper()
    return spec.COUNTY_TEMPLATE_VERSION.upper() in t


# Tabs that explain the template (they list every label) are never taken for a data sheet.
_NOT_DATA_SHEET_RE = re.compile(r"说明|readme|目录|封面")


def assign_sheets(sheets: list[RawSheet], res: FileResult) -> dict[str, RawSheet]:
    """Spec sheet name → workbook sheet: by (tolerant) name first, then by header content."""
    assigned: dict[str, RawSheet] = {}
    left: list[RawSheet] = []
    for raw in sheets:
        name = match_sheet_name(raw.name)
        if name is not None and name not in assigned:
            assigned[name] = raw
        else:
            left.append(raw)
    left = [raw for raw in left if not _NOT_DATA_SHEET_RE.search(normalise_label(raw.name))]
    missing = [s for s in spec.SHEETS if s.name not in assigned]
    if not missing or not left:
        return assigned
    # Content fallback (renamed tabs, HTML tables without names): best header score wins.
    scored = sorted(
        ((_content_score(s, raw), i, s, raw) for s in missing for i, raw in enumerate(left)),
        key=lambda t: (-t[0], t[1]),
    )
    used: set[int] = set()
    for score, i, s, raw in scored:
        # Named tabs need a clear match; unnamed HTML tables only need a header.
        if s.name in assigned or i in used or score < (2 if raw.from_html else 3):
            continue
        assigned[s.name] = raw
        used.add(i)
        if not raw.from_html:
            res.add(
                raw.name,
                "",
                "sheet.renamed",
                "info",
                raw.name,
                f"工作表「{raw.name}」按表头内容识别为「{s.name}」",
                f"建议把工作表名称改回模板中的「{s.name}」",
            )
    return assigned


def _content_score(s: spec.Sheet, raw: RawSheet) -> int:
    if s.form == "keyvalue":
        idx = index_for(s.name)
        codes = {m.code for row in raw.rows[:40] for c in row[:KV_LABEL_COLUMNS] if (m := idx.match(c)) is not None}
        return len(codes)
    return find_header(s, raw.rows)[1]


_VERSION_RE = re.compile(r"JH-[0-9A-Za-z.\-_]+[^\s,，;；)）]*", re.IGNORECASE)


def check_version(raw: RawSheet, res: FileResult) -> None:
    found: tuple[str, str] | None = None  # (version text, cell)
    for r, row in enumerate(raw.rows[:VERSION_SCAN_ROWS]):
        for c, cell in enumerate(row):
            if not isinstance(cell, str) or "版本" not in cell:
                continue
            text = unicodedata.normalize("NFKC", cell)
            after = text.split(":", 1)[1] if ":" in text else ""
            m = _VERSION_RE.search(text)
            version = m.group(0) if m else after.strip()
            addr = a1(r, c)
            if not version:  # label and value in two cells
                nxt = next(((j, v) for j, v in enumerate(row[c + 1 :], c + 1) if not blank(v)), None)
                if nxt is not None:
                    version, addr = str(nxt[1]).strip(), a1(r, nxt[0])
            found = (version, addr)
            break
        if found:
            break
    if found is None:
        res.add(
            raw.name,
            "",
            "template.version",
            "warning",
            "",
            f"未找到模板版本（应为“模板版本：{spec.TEMPLATE_VERSION}”）",
            f"请使用本县下发的 {spec.TEMPLATE_VERSION} 模板填写，不要删除第 2 行的版本说明",
        )
        return
    version, addr = found
    if "".join(version.split()).upper() != spec.TEMPLATE_VERSION.upper():
        res.add(
            raw.name,
            addr,
            "template.version",
            "error",
            version,
            f"模板版本是「{version}」，不是本期要求的 {spec.TEMPLATE_VERSION}",
            f"请下载 {spec.TEMPLATE_VERSION} 模板，把数据填入新模板后重新发送",
        )
