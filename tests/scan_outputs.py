"""Scan what junheng publishes for words people should never read there.

    python -m tests.scan_outputs REPORT_DIR [REPORT_DIR ...]

Every workbook (.xlsx) and HTML page under the folders is read as a person would read it — cell
values, comments, sheet names, headers and footers, chart titles; the text of the HTML page — and
checked for internal tokens (English codes, rule ids, policy and method ids, column names), Python
reprs (lists, dicts, None, nan, Timestamp …) and formulas. In a school's feedback workbook only what
junheng added is checked (the 问题清单 sheet and the comments on the school's cells); the school's own
cells are theirs. Prints one line per finding and exits 1 when there is any.
"""

from __future__ import annotations

import re
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from openpyxl import load_workbook

ISSUES_SHEET = "问题清单"

# Words of the code base that mean nothing to a bureau or a school.
INTERNAL_WORDS = (
    "primary",
    "junior",
    "senior",
    "weighted",
    "unweighted",
    "cross_section",
    "own_history",
    "county_code",
    "school_code",
    "indicator_code",
    "R_MIN_MET",
    "national-2017",
    "music_art",
    "all_art",
    "exclude_under_50",
    "evidence_pending",
    "not_reported",
    "corroborated",
    "superseded",
    "rejected",
    "loaded",
    "violation",
    "warning",
    "error",
    "True",
    "False",
    "None",
    "nan",
    "NaN",
    "NaT",
    "<NA>",
)
_WORD = re.compile(r"(?<![A-Za-z0-9_\-])(" + "|".join(re.escape(w) for w in INTERNAL_WORDS) + r")(?![A-Za-z0-9_\-])")
# Rule ids (count.negative, roster.unknown_school, file.unreadable …) and snake_case identifiers.
_RULE_ID = re.compile(r"(?<![A-Za-z0-9_./\-@])[a-z][a-z0-9]*(?:_[a-z0-9]+)*\.[a-z][a-z0-9_]*(?![A-Za-z0-9_./\-@])")
_SNAKE = re.compile(r"(?<![A-Za-z0-9_./\-])[a-z][a-z0-9]*_[a-z0-9_]+(?![A-Za-z0-9_./\-])")
# Python reprs: ['a', …], {'k': …}, Timestamp(…), datetime.date(…), Decimal('…').
_REPR = re.compile(r"\[['\"]|\{['\"]|['\"]\]|['\"]\}|\b(?:Timestamp|datetime\.\w+|Decimal|np\.\w+)\(")
# What may look like the above but is ours to show: file names people sent, web addresses, versions.
_ALLOWED = re.compile(r"[\w\-（）()\u4e00-\u9fff]+\.(?:xlsx|xls|xlsm|html|md|parquet|csv)\b|https?://\S+|JH-[\w.\-]+")


@dataclass(frozen=True)
class Finding:
    file: Path
    where: str
    text: str
    why: str

    def __str__(self) -> str:
        return f"{self.file} {self.where}: {self.why}: {self.text[:120]!r}"


def problems(text: str) -> list[str]:
    """Why ``text`` should not reach a person; empty when it is fine."""
    clean = _ALLOWED.sub(" ", text)
    out = []
    if m := _WORD.search(clean):
        out.append(f"内部代码 {m.group(1)}")
    if m := _RULE_ID.search(clean):
        out.append(f"规则编号 {m.group(0)}")
    if m := _SNAKE.search(clean):
        out.append(f"英文列名/代码 {m.group(0)}")
    if _REPR.search(clean):
        out.append("Python 表示")
    return out


def _is_feedback(path: Path) -> bool:
    return path.name.endswith("-反馈.xlsx") or "feedback" in path.parts


def scan_workbook(path: Path) -> Iterator[Finding]:
    wb = load_workbook(path)  # formulas as written, not cached values
    feedback = _is_feedback(path)
    for ws in wb.worksheets:
        ours = not feedback or ws.title == ISSUES_SHEET
        if ours:
            for why in problems(ws.title):
                yield Finding(path, f"工作表名「{ws.title}」", ws.title, why)
            for part in (ws.oddHeader, ws.oddFooter):
                for side in (part.left, part.center, part.right):
                    if side.text:
                        for why in problems(side.text):
                            yield Finding(path, f"{ws.title} 页眉页脚", side.text, why)
        for row in ws.iter_rows():
            for c in row:
                if c.comment is not None:  # our comments on the school's cells are ours to check
                    for why in problems(c.comment.text):
                        yield Finding(path, f"{ws.title}!{c.coordinate} 批注", c.comment.text, why)
                if not ours or c.value is None:
                    continue
                if c.data_type == "f":
                    yield Finding(path, f"{ws.title}!{c.coordinate}", str(c.value), "公式")
                    continue
                if isinstance(c.value, str):
                    for why in problems(c.value):
                        yield Finding(path, f"{ws.title}!{c.coordinate}", c.value, why)
    if not feedback:
        yield from _scan_chart_text(path)


def _scan_chart_text(path: Path) -> Iterator[Finding]:
    """Chart titles and series names, read from the chart parts (openpyxl does not read charts back)."""
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/charts/chart") and name.endswith(".xml"):
                xml = z.read(name).decode("utf-8", "replace")
                for text in re.findall(r"<a:t>([^<]*)</a:t>|<c:v>([^<]*)</c:v>", xml):
                    t = text[0] or text[1]
                    for why in problems(t):
                        yield Finding(path, name, t, why)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._skip += 1
        for k, v in attrs:
            if k in ("title", "alt", "aria-label") and v:
                self.parts.append(v)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def scan_html(path: Path) -> Iterator[Finding]:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    for text in parser.parts:
        for why in problems(text):
            yield Finding(path, "页面文字", text, why)


def scan(folders: list[Path]) -> list[Finding]:
    found: list[Finding] = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.suffix == ".xlsx" and not path.name.startswith("~$"):
                found.extend(scan_workbook(path))
            elif path.suffix == ".html":
                found.extend(scan_html(path))
    return found


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    found = scan([Path(a) for a in argv])
    for f in found:
        print(f)
    print(f"{len(found)} 处问题" if found else "未发现内部代码、Python 表示或公式")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
