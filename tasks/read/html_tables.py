"""HTML tables saved as .xls (web exports): every <table> becomes a sheet."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from junheng.errors import FileRejected
from tasks.read.file_result import RESEND
from tasks.read.grid import RawSheet


class _TableParser(HTMLParser):
    """Collects every <table> as a grid (colspan/rowspan padded) with its caption or heading."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[str, list[list[str]], list[tuple[int, int, int, int]]]] = []
        self._stack: list[dict[str, Any]] = []
        self._heading: list[str] | None = None
        self._last_heading = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self._stack.append(
                {
                    "rows": [],
                    "row": None,
                    "cell": None,
                    "caption": None,
                    "spans": {},
                    "merged": [],
                    "title": self._last_heading,
                }
            )
            self._last_heading = ""
        elif not self._stack:
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6", "title"):
                self._heading = []
            return
        t = self._stack[-1]
        if tag == "tr":
            t["row"] = []
        elif tag in ("td", "th"):
            if t["row"] is None:
                t["row"] = []
            self._fill_spans(t)
            t["cell"] = []
            t["colspan"] = _span(a.get("colspan"))
            t["rowspan"] = _span(a.get("rowspan"))
        elif tag == "caption":
            t["caption"] = []
        elif tag == "br" and t["cell"] is not None:
            t["cell"].append("\n")

    def handle_endtag(self, tag: str) -> None:
        if not self._stack:
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6", "title") and self._heading is not None:
                self._last_heading = "".join(self._heading).strip()
                self._heading = None
            return
        t = self._stack[-1]
        if tag in ("td", "th") and t["cell"] is not None:
            self._end_cell(t)
        elif tag == "tr" and t["row"] is not None:
            if t["cell"] is not None:
                self._end_cell(t)
            self._fill_spans(t, to_end=True)
            t["rows"].append(t["row"])
            t["row"] = None
        elif tag == "caption" and isinstance(t["caption"], list):
            t["caption"] = "".join(t["caption"]).strip()
        elif tag == "table":
            if t["row"]:
                t["rows"].append(t["row"])
            self._stack.pop()
            name = t["caption"] if isinstance(t["caption"], str) and t["caption"] else t["title"]
            self.tables.append((name, t["rows"], t["merged"]))

    def handle_data(self, data: str) -> None:
        if self._stack:
            t = self._stack[-1]
            if t["cell"] is not None:
                t["cell"].append(data)
            elif isinstance(t["caption"], list):
                t["caption"].append(data)
        elif self._heading is not None:
            self._heading.append(data)

    def _end_cell(self, t: dict[str, Any]) -> None:
        text = "".join(t["cell"]).replace("\xa0", " ").strip()
        col = len(t["row"])
        t["row"].append(text)
        for k in range(1, t["colspan"]):
            t["row"].append("")
            if t["rowspan"] > 1:
                t["spans"][col + k] = t["rowspan"] - 1
        if t["rowspan"] > 1:
            t["spans"][col] = t["rowspan"] - 1
            r0 = len(t["rows"])
            t["merged"].append((r0, col, r0 + t["rowspan"] - 1, col + t["colspan"] - 1))
        t["cell"] = None

    @staticmethod
    def _fill_spans(t: dict[str, Any], to_end: bool = False) -> None:
        """Pad the cells that a rowspan from a row above covers."""
        spans: dict[int, int] = t["spans"]
        row: list[str] = t["row"]
        while spans:
            col = len(row)
            if col not in spans:
                if not to_end or col > max(spans):
                    break
                row.append("")
                continue
            row.append("")
            spans[col] -= 1
            if spans[col] <= 0:
                del spans[col]


def _span(v: str | None) -> int:
    try:
        return max(1, min(int(v or 1), 200))
    except ValueError:
        return 1


def html_sheets(path: str) -> list[RawSheet]:
    with open(path, "rb") as fh:
        data = fh.read()
    parser = _TableParser()
    parser.feed(_decode_html(data))
    parser.close()
    sheets = [
        RawSheet(name or f"表{i + 1}", [list(r) for r in rows], from_html=True, merged=merged)
        for i, (name, rows, merged) in enumerate(parser.tables)
    ]
    if not sheets:
        raise FileRejected("这是网页（HTML）文件，但里面没有表格", RESEND)
    return sheets


def _decode_html(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    m = re.search(rb"charset\s*=\s*[\"']?([A-Za-z0-9_-]+)", data[:4096], re.IGNORECASE)
    declared = m.group(1).decode("ascii").lower() if m else "utf-8"
    if declared in ("gb2312", "gbk"):
        declared = "gb18030"  # GB2312 declared, GBK/GB18030 characters used: common in exports
    try:
        return data.decode(declared)
    except (LookupError, UnicodeDecodeError):
        pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")
