"""Feedback schools can act on: their own workbook with each problem cell marked, and the bureau's 报送情况."""

from __future__ import annotations

import posixpath
import re
import struct
import xml.etree.ElementTree as ET
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from junheng import spec
from junheng.policy import period_start
from junheng.settings import DEFAULT_COUNTY_CODE
from tasks.publish.cells import safe_text
from tasks.publish.quarantine import quarantine_rejected
from tasks.read.labels import match_sheet_name

ISSUES_SHEET = "问题清单"
STATUS_ZH = {"loaded": "已入库", "rejected": "退回", "superseded": "已被替代", "missing": "未报送"}
SEVERITY_ZH = {"error": "错误（须修改）", "violation": "未达标", "warning": "提醒", "info": "说明"}
_FILLS = {
    "error": PatternFill("solid", fgColor="FFFFC7CE"),
    "violation": PatternFill("solid", fgColor="FFFFEB9C"),
    "warning": PatternFill("solid", fgColor="FFFFEB9C"),
}
_A1_RE = re.compile(r"^([A-Z]{1,3})([1-9]\d{0,6})$")
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
_SEND_INSTEAD = (
    f"请使用本县下发的 {spec.TEMPLATE_VERSION} 模板（Excel 文件，扩展名 .xlsx）填写，"
    "在 Excel 或 WPS 中“另存为 Excel 工作簿(.xlsx)”，不要加密码、不要压缩、不要改扩展名，然后重新发送。"
)
ISSUE_HEADERS = ("序号", "工作表", "单元格", "严重程度", "规则", "发现值", "说明及修改方法")


# --- one school's feedback --------------------------------------------------------------------


def _s(v: object) -> str:
    return "" if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA else str(v)


def _unopenable(findings: pd.DataFrame) -> bool:
    return any(str(r).startswith("file.") for r in findings["rule"].tolist())


def _open_copy(path: Path) -> Workbook | None:
    """The school's own workbook: as is when it is an .xlsx/.xlsm, else rebuilt from its cells (.xls, HTML)."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head == b"PK\x03\x04":
        try:
            return load_workbook(path)
        except Exception:  # noqa: S110 - openpyxl is stricter than calamine: fall back to the cells
            pass
    from tasks.read.returns import load_sheets

    try:
        sheets = load_sheets(str(path))
    except Exception:
        return None
    wb = Workbook()
    if wb.active is not None:
        wb.remove(wb.active)
    used: set[str] = set()
    for raw in sheets:
        title = _sheet_title(raw.name, used)
        ws = wb.create_sheet(title)
        for r, row in enumerate(raw.rows, start=1):
            for c, v in enumerate(row, start=1):
                if v is None or v == "":
                    continue
                ws.cell(r, c).value = safe_text(v) if isinstance(v, str) else _plain(v)
    return wb


def _plain(v: object) -> Any:
    if isinstance(v, bool | int | float):
        return v
    if hasattr(v, "isoformat"):
        return v
    return safe_text(str(v))


def _sheet_title(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "Sheet"
    title, i = base, 1
    while title in used:
        i += 1
        title = f"{base[:28]}_{i}"
    used.add(title)
    return title


def _target_sheet(wb: Workbook, sheet: str) -> Worksheet | None:
    if sheet in wb.sheetnames:
        return wb[sheet]
    # A finding named by the spec sheet while the school renamed the tab (教师 → 教师情况).
    for name in wb.sheetnames:
        if match_sheet_name(name) == sheet:
            return wb[name]
    return None


def _comment_text(rows: list[dict[str, Any]]) -> str:
    parts = []
    for f in rows:
        found = _s(f["value"])
        parts.append(
            f"【{SEVERITY_ZH.get(_s(f['severity']), _s(f['severity']))}】规则：{_s(f['rule'])}\n"
            + (f"发现：{found}\n" if found else "")
            + f"问题及修改：{_s(f['message'])}"
        )
    return "\n\n".join(parts)[:30000]


def _issues_sheet(wb: Workbook, file_name: str, status: str, findings: pd.DataFrame) -> None:
    if ISSUES_SHEET in wb.sheetnames:
        del wb[ISSUES_SHEET]
    ws = wb.create_sheet(ISSUES_SHEET, 0)
    for r, row in enumerate(_issue_rows(file_name, status, findings), start=1):
        for c, v in enumerate(row, start=1):
            cell = ws.cell(r, c, v)
            if r == 1:
                cell.font = Font(bold=True, size=13)
            elif r == 4:
                cell.font = _BOLD
            elif r > 4:
                cell.alignment = _WRAP
    for c, width in enumerate(_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "A5"
    # The list opens first; the tab selected before must be released, or Excel groups the two
    # sheets and an edit goes to both.
    for other in wb.worksheets:
        other.sheet_view.tabSelected = other is ws
    for chart in wb.chartsheets:
        for view in chart.sheetViews.sheetView:
            view.tabSelected = None
    wb.active = 0


# --- the fast path: the school's .xlsx unchanged plus a 问题清单 sheet, at the zip level -----------
#
# Most files with findings have none with a cell to mark (indicator violations): their feedback is
# the school's workbook as it is plus the list. openpyxl would load and save the whole workbook for
# that (~50 ms a file); here every part is copied and four small XML parts get textual edits
# (workbook, its rels, content types, styles), so whatever openpyxl does not understand survives.
# Anything unusual returns False and the openpyxl path runs instead.

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DOC_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_WORKBOOK_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_SHEET_TYPES = {f"{_DOC_REL_NS}/worksheet", f"{_DOC_REL_NS}/chartsheet"}
_CALC_CHAIN_TYPE = f"{_DOC_REL_NS}/calcChain"
_FAST_PARTS = ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml")
# XML 1.0 forbids these even as character references; safe_text drops only the C0 controls.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TAB_SELECTED = re.compile(rb"""\s+tabSelected\s*=\s*(["'])(?:1|true)\1""")
_SHEET_VIEW_TAG = re.compile(rb"<(?:[\w.-]+:)?sheetView\b[^>]*>")
_WIDTHS = (6, 12, 8, 14, 22, 18, 90)


class _NotPlain(Exception):
    """The workbook is not one the fast path edits safely: use openpyxl."""


def _check(ok: object) -> None:
    if not ok:
        raise _NotPlain


def _xml_text(text: str) -> str:
    # A bare \r is left to XML line-end normalisation (it reads back as \n), as openpyxl writes it.
    return _XML_FORBIDDEN.sub("", text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _records(findings: pd.DataFrame) -> list[dict[str, Any]]:
    """findings.to_dict("records") for the columns used here, without its per-call cost (~ms)."""
    cols = ["sheet", "cell", "rule", "severity", "value", "message"]
    return [dict(zip(cols, row, strict=True)) for row in zip(*(findings[c].tolist() for c in cols), strict=True)]


def _issue_rows(file_name: str, status: str, findings: pd.DataFrame) -> list[list[Any]]:
    """The 问题清单 rows (row 1 = title, 2 = hint, 4 = headers, 5… = findings), as both paths write them."""
    order = {"error": 0, "violation": 1, "warning": 2, "info": 3}
    recs = sorted(_records(findings), key=lambda f: (order.get(_s(f["severity"]), 9), _s(f["sheet"])))
    rows: list[list[Any]] = [
        [safe_text(f"文件「{file_name}」的问题清单（处理结果：{STATUS_ZH.get(status, status)}）")],
        ["标为红色的单元格必须修改后重新报送；黄色为提醒或未达标项。把鼠标移到单元格上可看到批注。"],
        [],
        list(ISSUE_HEADERS),
    ]
    for i, f in enumerate(recs, start=1):
        sev = _s(f["severity"])
        texts = (_s(f["sheet"]), _s(f["cell"]), SEVERITY_ZH.get(sev, sev), _s(f["rule"]), _s(f["value"]))
        rows.append([i, *(safe_text(t) for t in texts), safe_text(_s(f["message"]))])
    return rows


def _issues_sheet_xml(rows: list[list[Any]], title_xf: int, bold_xf: int, wrap_xf: int) -> bytes:
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
        f'<worksheet xmlns="{_MAIN_NS}"><dimension ref="A1:G{len(rows)}"/>',
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
        '<pane ySplit="4" topLeftCell="A5" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A5" sqref="A5"/></sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/><cols>',
        *(f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>' for c, w in enumerate(_WIDTHS, start=1)),
        "</cols><sheetData>",
    ]
    for r, row in enumerate(rows, start=1):
        if not row:
            continue
        style = title_xf if r == 1 else bold_xf if r == 4 else wrap_xf if r > 4 else None
        s = f' s="{style}"' if style is not None else ""
        out.append(f'<row r="{r}">')
        for c, v in enumerate(row):
            ref = f"{'ABCDEFG'[c]}{r}"
            if isinstance(v, int):
                out.append(f'<c r="{ref}"{s}><v>{v}</v></c>')
            elif v != "":
                out.append(f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{_xml_text(v)}</t></is></c>')
            elif style is not None:  # openpyxl keeps the styled empty cell
                out.append(f'<c r="{ref}"{s}/>')
        out.append("</row>")
    out.append("</sheetData></worksheet>")
    return "".join(out).encode("utf-8")


def _parse(data: bytes) -> ET.Element:
    # The bundled expat (>= 2.4) refuses entity-expansion bombs and ElementTree fetches no external
    # entities; a DTD at all is refused first, so the textual edits and the parsed view cannot differ.
    _check(b"<!DOCTYPE" not in data and b"<!ENTITY" not in data)
    return ET.fromstring(data)  # noqa: S314


def _decode(data: bytes) -> str:
    """UTF-8 XML text, BOM dropped; anything else (UTF-16, another declared encoding) is unusual."""
    text = data.decode("utf-8-sig")
    decl = re.match(r"<\?xml[^>]*?encoding\s*=\s*[\"']([\w.-]+)[\"']", text)
    _check(decl is None or decl.group(1).lower() in ("utf-8", "utf8"))
    return text


def _append_to(text: str, tag: str, items: list[str], have: int) -> str:
    """Append ``items`` to the <tag count=…> list of styles.xml; ``have`` = its children now."""
    m = re.search(rf"<{tag}\b([^>]*)>", text)
    _check(m is not None and not m.group(1).endswith("/") and text.count(f"<{tag}") == 1)
    assert m is not None
    end = text.find(f"</{tag}>", m.end())
    _check(end > 0)
    attrs = re.sub(r"""\s+count\s*=\s*(["'])\d*\1""", "", m.group(1))
    open_tag = f'<{tag} count="{have + len(items)}"{attrs}>'
    return text[: m.start()] + open_tag + text[m.end() : end] + "".join(items) + text[end:]


def _add_styles(text: str) -> tuple[str, int, int, int]:
    """styles.xml with two fonts (bold 13, bold) and three cell formats (title, header, wrapped)
    appended; returns the indexes of the formats."""
    root = _parse(text.encode("utf-8"))
    _check(root.tag == f"{{{_MAIN_NS}}}styleSheet")
    count = {
        k: len(root.findall(f"{{{_MAIN_NS}}}{k}/*")) for k in ("fonts", "fills", "borders", "cellStyleXfs", "cellXfs")
    }
    _check(all(count.values()))  # fontId/fillId/borderId/xfId 0 must exist
    f13, fb, xf = count["fonts"], count["fonts"] + 1, count["cellXfs"]
    text = _append_to(text, "fonts", ['<font><b val="1"/><sz val="13"/></font>', '<font><b val="1"/></font>'], f13)
    base = 'numFmtId="0" fillId="0" borderId="0" xfId="0"'
    text = _append_to(
        text,
        "cellXfs",
        [
            f'<xf {base} fontId="{f13}" applyFont="1"/>',
            f'<xf {base} fontId="{fb}" applyFont="1"/>',
            f'<xf {base} fontId="0" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>',
        ],
        xf,
    )
    return text, xf, xf + 1, xf + 2


def _shift_attr(tag: str, attr: str, fn: Any) -> str:
    return re.sub(
        rf"""(\s{attr}\s*=\s*)(["'])(\d+)\2""",
        lambda m: f"{m.group(1)}{m.group(2)}{fn(int(m.group(3)))}{m.group(2)}",
        tag,
    )


def _add_to_workbook(text: str, rid: str) -> str:
    """workbook.xml with 问题清单 as the first sheet and the active tab; indexes that count sheets
    (definedName localSheetId, the views' activeTab/firstSheet) move one along."""
    root = _parse(text.encode("utf-8"))
    _check(root.tag == f"{{{_MAIN_NS}}}workbook")
    sheets = root.findall(f"{{{_MAIN_NS}}}sheets/{{{_MAIN_NS}}}sheet")
    _check(sheets and all(s.get("name") != ISSUES_SHEET for s in sheets))
    ids = [s.get("sheetId", "") for s in sheets]
    _check(all(i.isdigit() for i in ids))
    # Textual edits keep every namespace declaration and mc:Ignorable prefix exactly as written.
    start = re.search(r"<workbook\b[^>]*>", text)
    _check(start is not None and f'xmlns="{_MAIN_NS}"' in start.group(0))
    assert start is not None
    prefix = re.search(rf"""\sxmlns:([\w.-]+)\s*=\s*["']{re.escape(_DOC_REL_NS)}["']""", start.group(0))
    _check(prefix is not None and text.count("<sheets>") == 1)
    assert prefix is not None
    sheet = f'<sheet name="{ISSUES_SHEET}" sheetId="{max(map(int, ids)) + 1}" {prefix.group(1)}:id="{rid}"/>'
    text = text.replace("<sheets>", "<sheets>" + sheet, 1)
    text = re.sub(r"<definedName\b[^>]*>", lambda m: _shift_attr(m.group(0), "localSheetId", lambda i: i + 1), text)
    seen = [0]

    def view(m: re.Match[str]) -> str:
        seen[0] += 1
        if seen[0] == 1:  # the first view opens on 问题清单 (default activeTab/firstSheet = 0)
            return re.sub(r"""\s+(?:activeTab|firstSheet)\s*=\s*(["'])\d*\1""", "", m.group(0))
        tag = _shift_attr(m.group(0), "activeTab", lambda i: i + 1)
        return _shift_attr(tag, "firstSheet", lambda i: i + 1)

    return re.sub(r"<workbookView\b[^>]*>", view, text)


def _part_path(target: str) -> str:
    return posixpath.normpath(target[1:] if target.startswith("/") else "xl/" + target)


def _fast_issues_copy(src: Path, out: Path, file_name: str, status: str, findings: pd.DataFrame) -> bool:
    """Write ``out`` = the school's .xlsx with 问题清单 added first, without openpyxl; False (and
    nothing written) when the file is not a plain .xlsx this can edit safely."""
    from tasks.read.returns import MAX_UNPACKED_BYTES, MAX_ZIP_MEMBERS

    try:
        with zipfile.ZipFile(src) as zf:
            infos = zf.infolist()
            names = [i.filename for i in infos]
            _check(len(infos) <= MAX_ZIP_MEMBERS and sum(i.file_size for i in infos) <= MAX_UNPACKED_BYTES)
            _check(len(set(names)) == len(names) and all(p in names for p in _FAST_PARTS))
            _check(not any(i.flag_bits & 0x1 for i in infos))  # encrypted members
            _check(not any("vbaproject" in n.lower() for n in names))

            def read(info: zipfile.ZipInfo) -> bytes:
                with zf.open(info) as fh:  # bounded: a lying size field cannot inflate more
                    data = fh.read(info.file_size + 1)
                _check(len(data) == info.file_size)
                return data

            by_name = dict(zip(names, infos, strict=True))
            root_rels = _parse(read(by_name["_rels/.rels"]))
            main = [r.get("Target", "") for r in root_rels if r.get("Type", "").endswith("/officeDocument")]
            _check(len(main) == 1 and main[0].lstrip("/") == "xl/workbook.xml")

            types_text = _decode(read(by_name["[Content_Types].xml"]))
            types = _parse(types_text.encode("utf-8"))
            _check(types.tag == f"{{{_CT_NS}}}Types")
            wb_type = [o.get("ContentType") for o in types if o.get("PartName", "").lower() == "/xl/workbook.xml"]
            _check(wb_type == [_WORKBOOK_CT])  # not .xlsm / .xltx / .xlam

            rels_text = _decode(read(by_name["xl/_rels/workbook.xml.rels"]))
            rels = _parse(rels_text.encode("utf-8"))
            _check(rels.tag == f"{{{_PKG_REL_NS}}}Relationships")
            rel_ids = {r.get("Id", "") for r in rels}
            n = len(rel_ids) + 1
            while f"rId{n}" in rel_ids:
                n += 1
            rid = f"rId{n}"
            sheet_parts = {
                _part_path(r.get("Target", ""))
                for r in rels
                if r.get("Type") in _SHEET_TYPES and r.get("TargetMode") != "External"
            }
            _check(sheet_parts and sheet_parts <= set(names))
            # openpyxl drops the calculation chain too; Excel rebuilds it. Kept, it could name cells of
            # sheets by their position.
            chain = {_part_path(r.get("Target", "")) for r in rels if r.get("Type") == _CALC_CHAIN_TYPE}
            if chain:
                rels_text = re.sub(
                    rf"""<Relationship\b[^>]*["']{re.escape(_CALC_CHAIN_TYPE)}["'][^>]*/>""", "", rels_text
                )
                types_text = re.sub(r"""<Override\b[^>]*PartName=["']/xl/calcChain\.xml["'][^>]*/>""", "", types_text)
                _check(chain == {"xl/calcChain.xml"} and "calcChain" not in rels_text + types_text)

            lower = {n.lower() for n in names}
            k = len(sheet_parts) + 1
            while f"xl/worksheets/sheet{k}.xml" in lower:
                k += 1
            part = f"xl/worksheets/sheet{k}.xml"
            _check(rels_text.count("</Relationships>") == 1 and types_text.count("</Types>") == 1)
            rels_text = rels_text.replace(
                "</Relationships>",
                f'<Relationship Id="{rid}" Type="{_DOC_REL_NS}/worksheet" Target="worksheets/sheet{k}.xml"/>'
                "</Relationships>",
            )
            types_text = types_text.replace(
                "</Types>", f'<Override PartName="/{part}" ContentType="{_SHEET_CT}"/></Types>'
            )
            wb_text = _add_to_workbook(_decode(read(by_name["xl/workbook.xml"])), rid)
            styles_text, title_xf, bold_xf, wrap_xf = _add_styles(_decode(read(by_name["xl/styles.xml"])))
            sheet_xml = _issues_sheet_xml(_issue_rows(file_name, status, findings), title_xf, bold_xf, wrap_xf)
            changed = {
                "[Content_Types].xml": types_text.encode("utf-8"),
                "xl/_rels/workbook.xml.rels": rels_text.encode("utf-8"),
                "xl/workbook.xml": wb_text.encode("utf-8"),
                "xl/styles.xml": styles_text.encode("utf-8"),
            }
            for data in (*changed.values(), sheet_xml):
                _parse(data)  # still well-formed

            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_name(out.name + ".part")
            try:
                # Level 1: half the time of the default for ~8 % more bytes on these XML parts.
                with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
                    for info in infos:
                        if info.filename in chain:
                            continue
                        new: bytes | None = changed.get(info.filename)
                        if new is None and info.filename in sheet_parts:
                            original = read(info)
                            unselected = _unselect(original)
                            new = None if unselected is original else unselected
                        if new is None and info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                            _copy_raw(zf, info, dst)  # unchanged: its compressed bytes as they are
                            continue
                        dst.writestr(_member(info.filename, info.date_time), new if new is not None else read(info))
                    dst.writestr(_member(part, infos[0].date_time), sheet_xml)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
    except Exception:  # _NotPlain, a broken zip, XML or encoding, or anything unforeseen: openpyxl decides
        return False
    tmp.replace(out)
    return True


_LOCAL_HEADER = 30  # bytes of a zip local file header before the name and the extra field


def _copy_raw(src: zipfile.ZipFile, info: zipfile.ZipInfo, dst: zipfile.ZipFile) -> None:
    """Copy one member's compressed bytes into ``dst`` without inflating and deflating them again (about
    half of this path's time went there). zipfile has no public call for it: the local header is written
    from the central directory's sizes and CRC (no data descriptor), and dst's member list and write
    position are kept as writestr keeps them."""
    fp = src.fp
    _check(fp is not None and dst.fp is not None and info.compress_size < 1 << 31 and info.file_size < 1 << 31)
    assert fp is not None and dst.fp is not None
    fp.seek(info.header_offset)
    head = fp.read(_LOCAL_HEADER)
    _check(len(head) == _LOCAL_HEADER and head[:4] == b"PK\x03\x04")
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    fp.seek(info.header_offset + _LOCAL_HEADER + name_len + extra_len)
    payload = fp.read(info.compress_size)
    _check(len(payload) == info.compress_size)
    out = _member(info.filename, info.date_time)
    out.compress_type = info.compress_type
    out.CRC, out.compress_size, out.file_size = info.CRC, info.compress_size, info.file_size
    out.external_attr = info.external_attr or 0o600 << 16
    out.header_offset = dst.fp.tell()
    dst.fp.write(out.FileHeader(zip64=False))
    dst.fp.write(payload)
    dst.filelist.append(out)
    dst.NameToInfo[out.filename] = out
    dst.start_dir = dst.fp.tell()
    setattr(dst, "_didModify", True)  # noqa: B010 - private flag: the central directory must be written


def _member(name: str, when: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, when if when[0] >= 1980 else (1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _unselect(data: bytes) -> bytes:
    """A sheet part with its tab no longer selected: with 问题清单 active, a second selected tab
    would group the two sheets in Excel (an edit would go to both)."""
    head_end = data.find(b"sheetData")
    head = data[: head_end if head_end > 0 else len(data)]
    if b"tabSelected" not in head:
        return data
    new = _SHEET_VIEW_TAG.sub(lambda m: _TAB_SELECTED.sub(b"", m.group(0)), head)
    return new + data[len(head) :]


def _has_cells(findings: pd.DataFrame) -> bool:
    """Whether any finding names a cell _mark_cells would mark."""
    return any(
        _A1_RE.match(_s(c)) and _s(s)
        for s, c in zip(findings["sheet"].tolist(), findings["cell"].tolist(), strict=True)
    )


def _mark_cells(wb: Workbook, findings: pd.DataFrame) -> int:
    """Fill and comment every located cell; returns how many cells were marked."""
    by_cell: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for f in findings.to_dict("records"):
        cell = _s(f["cell"])
        if _A1_RE.match(cell) and _s(f["sheet"]):
            by_cell[(_s(f["sheet"]), cell)].append(f)
    marked = 0
    for (sheet, ref), rows in by_cell.items():
        ws = _target_sheet(wb, sheet)
        if ws is None:
            continue
        c = ws[ref]
        if type(c).__name__ == "MergedCell":  # a comment belongs to the merged area's first cell
            for rng in ws.merged_cells.ranges:
                if ref in rng:
                    c = ws.cell(rng.min_row, rng.min_col)
                    break
        severities = [_s(f["severity"]) for f in rows]
        worst = next((s for s in ("error", "violation", "warning") if s in severities), None)
        if worst is not None:
            c.fill = _FILLS[worst]
        comment = Comment(_comment_text(rows), "县教育局")
        comment.width, comment.height = 360, 160
        c.comment = comment
        marked += 1
    return marked


def _cannot_open(path: Path, file_name: str, findings: pd.DataFrame) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "反馈"
    ws["A1"] = safe_text(f"文件「{file_name}」无法打开，本次报送未被受理")
    ws["A1"].font = Font(bold=True, size=13)
    reasons = [safe_text(_s(m)) for m in findings["message"]] or ["文件无法读取。"]
    ws["A3"], ws["A3"].font = "原因：", _BOLD
    for i, r in enumerate(reasons, start=4):
        ws.cell(i, 1, r).alignment = _WRAP
    n = 4 + len(reasons) + 1
    ws.cell(n, 1, "请这样重新发送：").font = _BOLD
    ws.cell(n + 1, 1, _SEND_INSTEAD).alignment = _WRAP
    ws.column_dimensions["A"].width = 110
    _save(wb, path)


def _save(wb: Workbook, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    wb.save(tmp)
    tmp.replace(path)


def school_feedback(archive_path: Path, file_name: str, status: str, findings: pd.DataFrame, out: Path) -> Path:
    """Write ``out``: the school's workbook marked up with its findings, or a short sheet saying why
    the file could not be opened and what to send instead."""
    if _unopenable(findings) or not archive_path.is_file():
        _cannot_open(out, file_name, findings)
        return out
    if not _has_cells(findings) and _fast_issues_copy(archive_path, out, file_name, status, findings):
        return out
    wb = _open_copy(archive_path)
    if wb is None:
        _cannot_open(out, file_name, findings)
        return out
    try:
        _mark_cells(wb, findings)
        _issues_sheet(wb, file_name, status, findings)
        _save(wb, out)
    except Exception:  # one odd workbook must not stop the feedback of the others: list only
        wb = Workbook()
        _issues_sheet(wb, file_name, status, findings)
        del wb[wb.sheetnames[1]]
        _save(wb, out)
    return out


# --- the bureau's overview ---------------------------------------------------------------------


def _feedback_name(code: str, file_name: str, taken: set[str], file_id: str) -> str:
    stem = code or Path(file_name).stem
    stem = re.sub(r'[\\/:*?"<>|\s]+', "_", stem)[:80] or file_id[:12]
    name = f"{stem}-反馈.xlsx"
    if name in taken:
        name = f"{stem}-{file_id[:8]}-反馈.xlsx"
    taken.add(name)
    return name


def _write_overview(path: Path, period: str, status: pd.DataFrame, issues: pd.DataFrame, sent: dict[str, str]) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "报送情况"
    headers = ("文件名", "学校标识码", "处理结果", "错误数", "未达标数", "提醒数", "填报日期", "接收时间", "反馈文件")
    for c, h in enumerate(headers, start=1):
        ws.cell(1, c, h).font = _BOLD
    order = {"rejected": 0, "missing": 1, "loaded": 2, "superseded": 3}
    recs = sorted(
        status.to_dict("records"),
        key=lambda r: (order.get(_s(r["status"]), 9), _s(r["school_code"]), _s(r["file_name"])),
    )
    for i, r in enumerate(recs, start=2):
        values: list[Any] = [
            _s(r["file_name"]),
            _s(r["school_code"]),
            STATUS_ZH.get(_s(r["status"]), _s(r["status"])),
            _count(r["n_errors"]),
            _count(r["n_violations"]),
            _count(r["n_warnings"]),
            _s(r["submitted_on"])[:10],
            _s(r["received_at"])[:19],
            sent.get(_s(r["file_id"]), ""),
        ]
        for c, v in enumerate(values, start=1):
            ws.cell(i, c, safe_text(v) if isinstance(v, str) else v)
    for c, width in enumerate((36, 14, 10, 8, 10, 8, 12, 20, 30), start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:I{max(1, len(recs) + 1)}"

    # Problems no school can be told about through its own file: unreadable files whose school is
    # unknown, and returns from schools not on the roster.
    ws2 = wb.create_sheet("未对应学校的问题")
    lone = issues[issues["school_code"].isna() | issues["rule"].astype(str).str.startswith("roster.")]
    for c, h in enumerate(("文件名", "学校标识码", "规则", "说明及修改方法"), start=1):
        ws2.cell(1, c, h).font = _BOLD
    for i, f in enumerate(lone.to_dict("records"), start=2):
        for c, v in enumerate((f["file_name"], f["school_code"], f["rule"], f["message"]), start=1):
            ws2.cell(i, c, safe_text(_s(v))).alignment = _WRAP
    for c, width in enumerate((36, 14, 22, 90), start=1):
        ws2.column_dimensions[get_column_letter(c)].width = width
    ws.title = "报送情况"
    wb.properties.title = f"{period} 报送情况"
    _save(wb, path)


def _count(v: object) -> int | str:
    text = _s(v)
    return int(float(text)) if text else ""


# --- the flow step -----------------------------------------------------------------------------

STATUS_SQL = "SELECT * FROM mart.return_status WHERE county_code = :county_code AND period = :period"
ISSUES_SQL = "SELECT * FROM mart.validation_issues WHERE county_code = :county_code AND period = :period"


def write_feedback(
    url: str, period: str, out_dir: Path, data_dir: Path, county_code: str = DEFAULT_COUNTY_CODE
) -> dict[str, Path]:
    """Quarantine the period's rejected files, write one feedback workbook per file with findings
    (superseded files excepted: their school has sent a newer one) and the bureau's 报送情况.

    Reads mart.return_status and mart.validation_issues, so it covers every run of the period.
    Returns {"overview": path, <file_id>: feedback path, ...}.
    """
    from warehouse.engine import connected, query_frame

    period_start(period)  # a malformed period must not become a path
    with connected(url) as engine:
        params: dict[str, object] = {"period": period, "county_code": county_code}
        status = query_frame(engine, STATUS_SQL, params)
        issues = query_frame(engine, ISSUES_SQL, params)
    quarantine_rejected(data_dir, period, status[status["file_id"].notna()], issues, county_code)
    folder = Path(out_dir) / period / "feedback"
    out: dict[str, Path] = {}
    sent: dict[str, str] = {}
    taken: set[str] = set()
    files = status[status["file_id"].notna() & (status["status"] != "superseded")]
    # One grouping instead of a scan of every finding per file; clean files cost one dict look-up.
    by_file = {str(k): g for k, g in issues.groupby("file_id", sort=False)} if not issues.empty else {}
    for rec in files.to_dict("records"):
        fid = str(rec["file_id"])
        mine = by_file.get(fid)
        if mine is None or mine.empty:
            continue
        name = _feedback_name(_s(rec["school_code"]), _s(rec["file_name"]), taken, fid)
        out[fid] = school_feedback(
            Path(_s(rec["archive_path"])), _s(rec["file_name"]), _s(rec["status"]), mine, folder / name
        )
        sent[fid] = name
    # Feedback of an earlier run for a file since superseded or corrected is no longer current.
    if folder.is_dir():
        for stale in folder.glob("*-反馈.xlsx"):
            if stale.name not in taken:
                stale.unlink()
    overview = Path(out_dir) / period / f"报送情况-{period}.xlsx"
    _write_overview(overview, period, status, issues, sent)
    out["overview"] = overview
    return out
