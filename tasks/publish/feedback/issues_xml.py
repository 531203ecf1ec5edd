"""The 问题清单 sheet as worksheet XML, for the zip path: the same rows, formats and print set-up as
issues.add_issues_sheet writes through openpyxl."""

from __future__ import annotations

from typing import Any

from openpyxl.utils import get_column_letter

from tasks.publish.feedback.issues import (
    FOOTER,
    HEADER_ROW,
    ISSUES_SHEET,
    MARGINS,
    ONE_PAGE_ROWS,
    SEVERITY_ZH,
    WIDTHS,
    row_height,
)
from tasks.publish.feedback.styles_xml import BORDER, LIST_FILL, MAIN_NS, Styles, solid_fill, xml_text

_WRAP_TOP = '<alignment vertical="top" wrapText="1"/>'


def _formats(styles: Styles) -> dict[str, int]:
    """The list's cell formats, appended to the workbook's styles."""
    title = styles.add("fonts", '<font><b val="1"/><sz val="13"/></font>')
    bold = styles.add("fonts", '<font><b val="1"/></font>')
    border = styles.add("borders", BORDER)
    head_fill = styles.add("fills", solid_fill("FFDDEBF7"))
    base = 'numFmtId="0" xfId="0"'
    body = f'<xf {base} fontId="0" fillId="0" borderId="{border}" applyBorder="1" applyAlignment="1">{_WRAP_TOP}</xf>'
    out = {
        "title": styles.add("cellXfs", f'<xf {base} fontId="{title}" fillId="0" borderId="0" applyFont="1"/>'),
        "hint": styles.add(
            "cellXfs", f'<xf {base} fontId="0" fillId="0" borderId="0" applyAlignment="1"><alignment/></xf>'
        ),
        "head": styles.add(
            "cellXfs",
            f'<xf {base} fontId="{bold}" fillId="{head_fill}" borderId="{border}" applyFont="1" applyFill="1"'
            ' applyBorder="1" applyAlignment="1"><alignment vertical="center" wrapText="1"/></xf>',
        ),
        "body": styles.add("cellXfs", body),
    }
    for sev, rgb in LIST_FILL.items():
        fill = styles.add("fills", solid_fill(rgb))
        out[sev] = styles.add(
            "cellXfs",
            f'<xf {base} fontId="0" fillId="{fill}" borderId="{border}" applyFill="1" applyBorder="1"'
            f' applyAlignment="1">{_WRAP_TOP}</xf>',
        )
    return out


def _cell(ref: str, value: Any, style: int | None) -> str:
    s = f' s="{style}"' if style is not None else ""
    if value is None or value == "":
        return f'<c r="{ref}"{s}/>'
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<c r="{ref}"{s} t="n"><v>{value}</v></c>'
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{xml_text(str(value))}</t></is></c>'


def _style(r: int, c: int, row: list[Any], fmt: dict[str, int]) -> int | None:
    if r == 1:
        return fmt["title"]
    if r == 2:
        return fmt["hint"]
    if r == HEADER_ROW:
        return fmt["head"]
    if r < HEADER_ROW:
        return None
    if c == 4 and row[3]:
        sev = next((k for k, v in SEVERITY_ZH.items() if v == row[3]), "")
        if sev in fmt:
            return fmt[sev]
    return fmt["body"]


def issues_sheet_xml(rows: list[list[Any]], header: str, styles: Styles) -> bytes:
    """The worksheet part of 问题清单 (rows from issues.issue_rows; ``header`` printed on every page)."""
    fmt = _formats(styles)
    last = max(HEADER_ROW, len(rows))
    fit_height = 1 if len(rows) - HEADER_ROW <= ONE_PAGE_ROWS else 0
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
        f'<worksheet xmlns="{MAIN_NS}"><sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>',
        f'<dimension ref="A1:G{last}"/><sheetViews><sheetView tabSelected="1" workbookViewId="0">',
        f'<pane ySplit="{HEADER_ROW}" topLeftCell="A{HEADER_ROW + 1}" activePane="bottomLeft" state="frozen"/>',
        '<selection pane="bottomLeft" activeCell="A1" sqref="A1"/></sheetView></sheetViews>',
        '<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/><cols>',
        *(f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>' for c, w in enumerate(WIDTHS, start=1)),
        "</cols><sheetData>",
    ]
    for r, row in enumerate(rows, start=1):
        if not row:
            continue
        height = f' ht="{row_height(row)}" customHeight="1"' if r > HEADER_ROW else ""
        out.append(f'<row r="{r}"{height}>')
        out += [_cell(f"{get_column_letter(c)}{r}", v, _style(r, c, row, fmt)) for c, v in enumerate(row, start=1)]
        out.append("</row>")
    m = MARGINS
    out += [
        f'</sheetData><autoFilter ref="A{HEADER_ROW}:G{last}"/><printOptions horizontalCentered="1"/>',
        f'<pageMargins left="{m["left"]}" right="{m["right"]}" top="{m["top"]}" bottom="{m["bottom"]}"',
        f' header="{m["header"]}" footer="{m["footer"]}"/>',
        f'<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="{fit_height}"/>',
        f"<headerFooter><oddHeader>{xml_text('&C' + header.replace('&', '&&'))}</oddHeader>",
        f"<oddFooter>{xml_text('&C' + FOOTER)}</oddFooter></headerFooter></worksheet>",
    ]
    return "".join(out).encode("utf-8")


def issues_names(last: int) -> str:
    """The list's defined names (local to sheet 0): the filter range and the header row printed on every page."""
    quoted = f"'{ISSUES_SHEET}'"
    return (
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
        f"{quoted}!$A${HEADER_ROW}:$G${last}</definedName>"
        f'<definedName name="_xlnm.Print_Titles" localSheetId="0">{quoted}!${HEADER_ROW}:${HEADER_ROW}</definedName>'
    )
