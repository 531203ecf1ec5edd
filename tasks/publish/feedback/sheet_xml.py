"""A school's worksheet XML edited as text: marked cells get a filled copy of their format, a sheet with
comments gets its <legacyDrawing>, every sheet prints one page wide and loses its tab selection; plus the
comments part and the VML drawing Excel and LibreOffice show the comments with.

Only sheets whose rows and cells all carry their reference (r="…") are edited; anything else is left to
openpyxl (NotPlain)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from openpyxl.utils import column_index_from_string

from tasks.publish.feedback.styles_xml import MAIN_NS, check, xml_attr, xml_text

DOC_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_ROOT = re.compile(r"<worksheet\b[^>]*>")
_CELL = re.compile(r"""<c\s[^>]*?\br\s*=\s*["']([A-Z]{1,3})(\d+)["'][^>]*?(/?)>""")
_ROW = re.compile(r"""<row\s[^>]*?\br\s*=\s*["'](\d+)["'][^>]*?(/?)>""")
# A cell or row tag without its r="…" (or with one _CELL/_ROW would not read): the sheet is left to openpyxl.
_UNREFERENCED = re.compile(
    r"""<c(?=[\s/>])(?![^>]*?\sr\s*=\s*["'][A-Z]{1,3}\d+["'])|<row(?=[\s/>])(?![^>]*?\sr\s*=\s*["']\d+["'])"""
)
_S_ATTR = re.compile(r"""\ss\s*=\s*["'](\d+)["']""")
_TAB_SELECTED = re.compile(r"""\s+tabSelected\s*=\s*(["'])[^"']*\1""")
_SHEET_VIEW = re.compile(r"<sheetView\b[^>]*>")
_SPANS = re.compile(r"""\s+spans\s*=\s*(["'])[^"']*\1""")
# Elements that follow <pageSetup> and <legacyDrawing> in a worksheet (ECMA-376 CT_Worksheet order).
_AFTER_PAGE_SETUP: tuple[str, ...] = (
    *("headerFooter", "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags"),
    *("drawing", "legacyDrawing", "legacyDrawingHF", "picture", "oleObjects", "controls", "webPublishItems"),
    *("tableParts", "extLst"),
)
_AFTER_LEGACY = _AFTER_PAGE_SETUP[_AFTER_PAGE_SETUP.index("legacyDrawingHF") :]


def check_sheet(text: str) -> None:
    """Only a plain worksheet in the default namespace, every row and cell referenced, no comments yet."""
    root = _ROOT.search(text)
    check(root is not None and f'xmlns="{MAIN_NS}"' in root.group(0))
    check(_UNREFERENCED.search(text) is None)
    check("<sheetData" in text and text.count("</worksheet>") == 1 and "<legacyDrawing " not in text)


def merged_origin(text: str) -> Callable[[str], str]:
    """Maps a cell inside a merged area to the area's first cell (where Excel keeps a comment)."""
    areas = []
    for m in re.finditer(r"""<mergeCell\s+ref\s*=\s*["']([A-Z]+)(\d+):([A-Z]+)(\d+)["']""", text):
        c1, r1, c2, r2 = column_index_from_string(m[1]), int(m[2]), column_index_from_string(m[3]), int(m[4])
        areas.append((r1, c1, r2, c2, f"{m[1]}{m[2]}"))

    def origin(ref: str) -> str:
        m = re.match(r"([A-Z]+)(\d+)$", ref)
        assert m is not None
        c, r = column_index_from_string(m[1]), int(m[2])
        return next((a[4] for a in areas if a[0] <= r <= a[2] and a[1] <= c <= a[3]), ref)

    return origin


def _insert_cell(text: str, col: str, row: int, cell: str) -> str:
    """``text`` with ``cell`` placed in its row, in column order (the row made when it is missing)."""
    want = column_index_from_string(col)
    for m in _ROW.finditer(text):
        r = int(m[1])
        if r < row:
            continue
        if r > row:
            return text[: m.start()] + f'<row r="{row}">{cell}</row>' + text[m.start() :]
        opening = _SPANS.sub("", m.group(0))  # the row's span hint would no longer cover the new cell
        if m[2] == "/":
            return text[: m.start()] + opening[:-2] + f">{cell}</row>" + text[m.end() :]
        end = text.index("</row>", m.end())
        at = end
        for c in _CELL.finditer(text, m.end(), end):
            if column_index_from_string(c[1]) > want:
                at = c.start()
                break
        return text[: m.start()] + opening + text[m.end() : at] + cell + text[at:]
    empty = re.search(r"<sheetData\s*/>", text)
    if empty is not None:
        return text[: empty.start()] + f'<sheetData><row r="{row}">{cell}</row></sheetData>' + text[empty.end() :]
    end = text.index("</sheetData>")
    return text[:end] + f'<row r="{row}">{cell}</row>' + text[end:]


def restyle(text: str, refs: Mapping[str, str], new_style: Callable[[int, str], int]) -> str:
    """Give each cell of ``refs`` (A1 → severity) ``new_style(its format, severity)``, making empty cells."""
    cells: dict[tuple[str, str], re.Match[str]] = {}
    for c in _CELL.finditer(text):  # one pass over the sheet, whatever the number of marks
        cells.setdefault((c[1], c[2]), c)
    edits: list[tuple[int, int, str]] = []
    missing: list[tuple[str, int, str]] = []
    for ref, severity in refs.items():
        col, row = re.match(r"([A-Z]+)(\d+)$", ref).groups()  # type: ignore[union-attr]
        m = cells.get((col, row))
        if m is None:
            missing.append((col, int(row), f'<c r="{ref}" s="{new_style(0, severity)}"/>'))
            continue
        tag = m.group(0)
        s = _S_ATTR.search(tag)
        style = new_style(int(s[1]) if s else 0, severity)
        if s:
            tag = tag[: s.start()] + f' s="{style}"' + tag[s.end() :]
        else:
            tag = re.sub(r"(/?>)$", f' s="{style}"\\1', tag)
        edits.append((m.start(), m.end(), tag))
    for start, end, tag in sorted(edits, reverse=True):  # from the end: earlier offsets stay valid
        text = text[:start] + tag + text[end:]
    for col, row, cell in missing:
        text = _insert_cell(text, col, row, cell)
    return text


def _insert_before(text: str, names: tuple[str, ...], xml: str) -> str:
    m = re.search(rf"<(?:{'|'.join(names)})[\s/>]", text)
    at = text.rindex("</worksheet>") if m is None else m.start()
    return text[:at] + xml + text[at:]


def add_legacy_drawing(text: str, rid: str) -> str:
    return _insert_before(text, _AFTER_LEGACY, f'<legacyDrawing xmlns:r="{DOC_REL_NS}" r:id="{rid}"/>')


def fit_to_width(text: str) -> str:
    """One page wide when printed (as add_issues_sheet sets on the school's sheets), unless already fitted."""
    pr = re.search(r"<sheetPr\b[^>]*?(/?)>", text)
    if pr is not None and re.search(r"""<pageSetUpPr\b[^>]*fitToPage\s*=\s*["'](1|true)["']""", text):
        return text
    if re.search(r"<pageSetUpPr\b", text):
        text = re.sub(r"""\s+fitToPage\s*=\s*(["'])[^"']*\1""", "", text)
        text = re.sub(r"<pageSetUpPr\b", '<pageSetUpPr fitToPage="1"', text, count=1)
    elif pr is None:
        root = _ROOT.search(text)
        assert root is not None
        text = text[: root.end()] + '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' + text[root.end() :]
    elif pr[1] == "/":
        text = text[: pr.start()] + pr.group(0)[:-2] + '><pageSetUpPr fitToPage="1"/></sheetPr>' + text[pr.end() :]
    else:
        end = text.index("</sheetPr>")
        text = text[:end] + '<pageSetUpPr fitToPage="1"/>' + text[end:]
    ps = re.search(r"<pageSetup\b[^>]*?/?>", text)
    if ps is None:
        return _insert_before(text, _AFTER_PAGE_SETUP, '<pageSetup fitToWidth="1" fitToHeight="0"/>')
    tag = re.sub(r"""\s+fitTo(?:Width|Height)\s*=\s*(["'])[^"']*\1""", "", ps.group(0))
    tag = tag.replace("<pageSetup", '<pageSetup fitToWidth="1" fitToHeight="0"', 1)
    return text[: ps.start()] + tag + text[ps.end() :]


def unselect(text: str) -> str:
    """The sheet's tab no longer selected (the list opens first; two selected tabs group the sheets)."""
    return _SHEET_VIEW.sub(lambda m: _TAB_SELECTED.sub("", m.group(0)), text)


def comments_xml(comments: Mapping[str, str], author: str) -> bytes:
    items = "".join(
        f'<comment ref="{ref}" authorId="0" shapeId="0"><text><t xml:space="preserve">{xml_text(t)}</t></text>'
        "</comment>"
        for ref, t in comments.items()
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{MAIN_NS}">'
        f"<authors><author>{xml_text(author)}</author></authors><commentList>{items}</commentList></comments>"
    ).encode()


def vml_xml(refs: list[str], block: int, width: int, height: int) -> bytes:
    """The note shapes of one sheet; ``block`` (1, 2, …) keeps shape ids apart between sheets."""
    shapes = []
    for i, ref in enumerate(refs):
        col, row = re.match(r"([A-Z]+)(\d+)$", ref).groups()  # type: ignore[union-attr]
        style = f"position:absolute;margin-left:59.25pt;margin-top:1.5pt;width:{width}px;height:{height}px;"
        shapes.append(
            f'<v:shape id="_x0000_s{block * 1024 + 1 + i}" type="#_x0000_t202" style="{style}'
            'z-index:1;visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
            '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
            '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
            '<div style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/>'
            f"<x:SizeWithCells/><x:AutoFill>False</x:AutoFill><x:Row>{int(row) - 1}</x:Row>"
            f"<x:Column>{column_index_from_string(col) - 1}</x:Column></x:ClientData></v:shape>"
        )
    return (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
        ' xmlns:x="urn:schemas-microsoft-com:office:excel">'
        f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{block}"/></o:shapelayout>'
        '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
        '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
        + "".join(shapes)
        + "</xml>"
    ).encode("utf-8")


def relationships(rels: list[tuple[str, str, str]]) -> str:
    """Relationship elements (id, type suffix, target)."""
    return "".join(
        f'<Relationship Id="{xml_attr(i)}" Type="{DOC_REL_NS}/{t}" Target="{xml_attr(target)}"/>'
        for i, t, target in rels
    )
