"""styles.xml of the school's workbook, edited as text: formats are only appended (the school's own keep
their indexes), and a marked cell gets a copy of its own format with the fill changed."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from xml.parsers import expat

from tasks.publish.feedback.issues import SEVERITY_FILL
from tasks.publish.feedback.marks import MARK_COLOURS

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
# XML 1.0 forbids these even as character references; safe_text drops only the C0 controls.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XF = re.compile(r"<xf\b[^>]*?/>|<xf\b[^>]*[^/]>.*?</xf>", re.S)
_LISTS = ("fonts", "fills", "borders", "cellXfs")
_THIN = '<color rgb="FF999999"/>'
BORDER = "<border>" + "".join(f'<{s} style="thin">{_THIN}</{s}>' for s in ("left", "right", "top", "bottom"))
BORDER += "<diagonal/></border>"
LIST_FILL = {k: str(v.fgColor.rgb) for k, v in SEVERITY_FILL.items()}  # the list's severity column


class NotPlain(Exception):
    """The workbook is not one the zip path edits safely: openpyxl writes the feedback instead."""


def check(ok: object) -> None:
    if not ok:
        raise NotPlain


def xml_text(text: str) -> str:
    return _XML_FORBIDDEN.sub("", text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_attr(text: str) -> str:
    return xml_text(text).replace('"', "&quot;").replace("\n", "&#10;")


# The schools' files come from one template: most package parts (workbook, relationships, styles, the
# instructions sheet) are byte for byte the same in every file, and so are their checks and edits. Caches
# of a few hundred parts keep each worked out once per process; the trees are only ever read.
CACHED_PARTS = 256


@lru_cache(maxsize=CACHED_PARTS)
def parse(data: bytes) -> ET.Element:
    """The part's tree (read only: it may be shared with the next file's identical part)."""
    # A DTD at all is refused, so entities cannot make the parsed view and the textual edits differ.
    check(b"<!DOCTYPE" not in data and b"<!ENTITY" not in data)
    try:
        return ET.fromstring(data)  # noqa: S314 - no DTD (checked above); expat refuses entity bombs
    except ET.ParseError as e:
        raise NotPlain from e


@lru_cache(maxsize=CACHED_PARTS)
def wellformed(data: bytes) -> None:
    """NotPlain unless ``data`` is well-formed XML (no DTD): a check of an edit, without building a tree."""
    check(b"<!DOCTYPE" not in data and b"<!ENTITY" not in data)
    try:
        expat.ParserCreate().Parse(data, True)
    except expat.ExpatError as e:
        raise NotPlain from e


def solid_fill(rgb: str) -> str:
    return f'<fill><patternFill patternType="solid"><fgColor rgb="{rgb}"/></patternFill></fill>'


@lru_cache(maxsize=CACHED_PARTS)
def _lists(text: str) -> tuple[tuple[tuple[str, int], ...], tuple[str, ...]]:
    """How many fonts, fills, borders and cell formats styles.xml has, and its cell formats' XML."""
    root = parse(text.encode("utf-8"))
    check(root.tag == f"{{{MAIN_NS}}}styleSheet")
    have = {k: len(root.findall(f"{{{MAIN_NS}}}{k}/*")) for k in _LISTS}
    check(all(have.values()))  # fontId/fillId/borderId/xf 0 must exist
    for k in _LISTS:
        check(len(re.findall(rf"<{k}\b", text)) == 1 and f"</{k}>" in text)
    inner = text[text.index("<cellXfs") : text.index("</cellXfs>")]
    xfs = tuple(_XF.findall(inner[inner.index(">") + 1 :]))
    check(len(xfs) == have["cellXfs"])
    return tuple(have.items()), xfs


class Styles:
    """Appends fonts, fills, borders and cell formats to styles.xml; ``text()`` gives the edited part."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._added: dict[str, list[str]] = {k: [] for k in _LISTS}
        have, self._xfs = _lists(text)
        self._have = dict(have)
        self._filled: dict[tuple[int, str], int] = {}

    def add(self, kind: str, xml: str) -> int:
        self._added[kind].append(xml)
        return self._have[kind] + len(self._added[kind]) - 1

    def with_fill(self, xf: int, severity: str) -> int:
        """A copy of cell format ``xf`` (0 when out of range, as Excel reads it) with the severity's fill."""
        key = (xf if 0 <= xf < len(self._xfs) else 0, severity)
        if key not in self._filled:
            fill = self.add("fills", solid_fill(MARK_COLOURS[severity]))
            tag_end = self._xfs[key[0]].index(">")
            head, rest = self._xfs[key[0]][:tag_end], self._xfs[key[0]][tag_end:]
            head = re.sub(r"""\s(?:fillId|applyFill)\s*=\s*(["'])[^"']*\1""", "", head)
            if head.endswith("/"):
                head, rest = head[:-1], "/" + rest
            self._filled[key] = self.add("cellXfs", f'{head} fillId="{fill}" applyFill="1"{rest}')
        return self._filled[key]

    def text(self) -> str:
        text = self._text
        for k in _LISTS:
            if not self._added[k]:
                continue
            m = re.search(rf"<{k}\b([^>]*)>", text)
            check(m is not None and not m.group(1).endswith("/"))
            assert m is not None
            end = text.index(f"</{k}>", m.end())
            attrs = re.sub(r"""\s+count\s*=\s*(["'])\d*\1""", "", m.group(1))
            opening = f'<{k} count="{self._have[k] + len(self._added[k])}"{attrs}>'
            text = text[: m.start()] + opening + text[m.end() : end] + "".join(self._added[k]) + text[end:]
        return text
