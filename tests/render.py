"""Print a workbook as a person would: LibreOffice headless → PDF, one sheet at a time, pages read back.

Each sheet is printed alone by hiding the workbook's other sheets (LibreOffice does not print hidden
sheets), so charts and page set-up stay exactly as written. All copies go through one LibreOffice
start. Needs `soffice` (libreoffice-calc-nogui), `pdfinfo` and `pdftotext` (poppler-utils).
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook

_SHEET_TAG = re.compile(r"<sheet\b[^>]*/>")
_NAME = re.compile(r'\bname="([^"]*)"')


def tools_missing() -> list[str]:
    return [t for t in ("soffice", "pdfinfo", "pdftotext") if shutil.which(t) is None]


@dataclass
class PrintedSheet:
    workbook: Path
    sheet: str
    pages: list[str]  # the text of each printed page
    title_text: str | None  # the leftmost text of the repeated header rows, when there are any


def _only_sheet(src: Path, keep: str, out: Path) -> None:
    """A copy of ``src`` in which every sheet but ``keep`` is hidden and ``keep`` is the active one."""
    with zipfile.ZipFile(src) as zin:
        names = zin.namelist()
        workbook = zin.read("xl/workbook.xml").decode("utf-8")
        tags = _SHEET_TAG.findall(workbook)
        index = [html.unescape(_NAME.search(t).group(1)) for t in tags].index(keep)  # type: ignore[union-attr]
        for i, tag in enumerate(tags):
            plain = re.sub(r'\s+state="[^"]*"', "", tag)
            new = plain if i == index else plain.replace("<sheet ", '<sheet state="hidden" ', 1)
            workbook = workbook.replace(tag, new, 1)
        # LibreOffice prints a hidden sheet's print range anyway: the other sheets' print areas go from the copy.
        workbook = re.sub(
            r'<definedName name="_xlnm\.Print_Area" localSheetId="(\d+)"[^>]*>[^<]*</definedName>',
            lambda m: m.group(0) if int(m.group(1)) == index else "",
            workbook,
        )
        workbook = re.sub(r'\bactiveTab="\d+"', f'activeTab="{index}"', workbook)
        workbook = re.sub(r'\bfirstSheet="\d+"', f'firstSheet="{index}"', workbook)
        if "activeTab=" not in workbook:
            workbook = re.sub(r"<workbookView\b", f'<workbookView activeTab="{index}"', workbook, count=1)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for name in names:
                data = workbook.encode("utf-8") if name == "xl/workbook.xml" else zin.read(name)
                zout.writestr(name, data)


def _title_text(path: Path, sheet: str) -> str | None:
    ws = load_workbook(path)[sheet]
    rows = ws.print_title_rows  # e.g. "1:3"
    if not rows:
        return None
    first, last = (int(x) for x in rows.replace("$", "").split(":"))
    for r in range(first, last + 1):
        for c in ws[r]:
            if c.value not in (None, ""):
                return str(c.value).strip()
    return None


def print_sheets(workbooks: dict[Path, list[str]], work: Path) -> list[PrintedSheet]:
    """Print the named sheets of each workbook, each alone; the text of every page."""
    work.mkdir(parents=True, exist_ok=True)
    copies: list[tuple[Path, str, Path]] = []
    for path, sheets in workbooks.items():
        for i, sheet in enumerate(sheets):
            copy = work / f"{path.stem}--{i}.xlsx"
            _only_sheet(path, sheet, copy)
            copies.append((path, sheet, copy))
    subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work),
            *[str(c) for _, _, c in copies],
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    out = []
    for path, sheet, copy in copies:
        pdf = copy.with_suffix(".pdf")
        info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
        n = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))  # type: ignore[union-attr]
        pages = [
            subprocess.run(
                ["pdftotext", "-f", str(p), "-l", str(p), "-layout", str(pdf), "-"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            for p in range(1, n + 1)
        ]
        out.append(PrintedSheet(path, sheet, pages, _title_text(path, sheet)))
    return out


def too_wide(printed: PrintedSheet) -> str | None:
    """Why the sheet does not print one page wide, or None.

    A sheet one page wide repeats its header rows, leftmost cell included, on every page; a sheet
    split across pages has pages without that cell (or, without repeated header rows, is only
    accepted when it fits on one page).
    """
    if len(printed.pages) <= 1:
        return None
    if printed.title_text is None:
        return f"{len(printed.pages)} 页，但没有设置每页重复的标题行"
    squash = printed.title_text.replace(" ", "")
    for i, text in enumerate(printed.pages, start=1):
        if squash not in text.replace(" ", ""):
            return f"第 {i} 页没有标题行的第一列「{printed.title_text}」：表格宽于一页"
    return None
