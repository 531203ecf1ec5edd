"""The school's .xlsx edited at the zip level: the same feedback as the openpyxl path (cells marked and
commented, 问题清单 first, every sheet one page wide) without parsing and rewriting the whole workbook.

Public zipfile calls only (infolist, read, writestr). Parts are edited as text so everything the school's
file carries stays as written. Anything this path does not know to be safe (a macro workbook, an
existing comment or VML drawing, a chartsheet, encrypted members, prefixed XML, an external link …)
raises NotPlain, and the caller falls back to openpyxl.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from tasks.publish.cells import as_text
from tasks.publish.feedback.advice import SchoolContext, advise
from tasks.publish.feedback.book import Book, LazyGrids
from tasks.publish.feedback.issues import HEADER_ROW, ISSUES_SHEET, issue_rows
from tasks.publish.feedback.issues_xml import issues_names, issues_sheet_xml
from tasks.publish.feedback.locate import target_sheet
from tasks.publish.feedback.marks import AUTHOR, COMMENT_SIZE, Records, by_cell, comment_text, worst
from tasks.publish.feedback.sheet_xml import (
    DOC_REL_NS,
    add_legacy_drawing,
    check_sheet,
    comments_xml,
    fit_to_width,
    merged_origin,
    relationships,
    restyle,
    unselect,
    vml_xml,
)
from tasks.publish.feedback.styles_xml import CACHED_PARTS, MAIN_NS, Styles, check, parse, wellformed
from tasks.publish.feedback.workbook_xml import add_sheet_first, decode
from tasks.publish.feedback.zip_out import ZipOut, raw_member

PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_WORKBOOK_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_COMMENTS_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
_VML_CT = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_NEEDED = ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml")


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return f"{folder}/_rels/{name}.rels"


def _part(target: str) -> str:
    return posixpath.normpath(target[1:] if target.startswith("/") else "xl/" + target)


def _free(names: set[str], pattern: str) -> str:
    k = 1
    while pattern.format(k).lower() in names:
        k += 1
    return pattern.format(k)


def _append(text: str, closing: str, xml: str) -> str:
    check(text.count(closing) == 1)
    return text.replace(closing, xml + closing)


def _sheet_parts(parts: dict[str, bytes], names: set[str]) -> tuple[dict[str, str], str]:
    """Sheet title → worksheet part, and the workbook's relationships text (checked plain)."""
    rels_text = decode(parts["xl/_rels/workbook.xml.rels"])
    rels = parse(rels_text.encode("utf-8"))
    check(rels.tag == f"{{{PKG_REL_NS}}}Relationships")
    types = {r.get("Id"): (r.get("Type", ""), r.get("Target", ""), r.get("TargetMode")) for r in rels}
    check(not any(t.endswith(("/chartsheet", "/externalLink", "/vbaProject")) for t, _, _ in types.values()))
    wb = parse(parts["xl/workbook.xml"])
    check(wb.tag == f"{{{MAIN_NS}}}workbook")
    out = {}
    for s in wb.iter(f"{{{MAIN_NS}}}sheet"):
        kind, target, mode = types.get(s.get(f"{{{DOC_REL_NS}}}id"), ("", "", None))
        check(kind == f"{DOC_REL_NS}/worksheet" and mode != "External" and _part(target) in names)
        out[s.get("name", "")] = _part(target)
    return out, rels_text


@dataclass
class Package:
    """The school's .xlsx in memory: its members in order, the parts an edit reads (decompressed) and the
    worksheets by title; the other members are copied as they are compressed."""

    data: bytes
    infos: list[zipfile.ZipInfo]
    parts: dict[str, bytes]
    sheet_part: dict[str, str]  # title → worksheet part, in tab order
    rels_text: str  # xl/_rels/workbook.xml.rels

    @property
    def names(self) -> list[str]:
        return [i.filename for i in self.infos]


def open_package(data: bytes) -> Package:
    """The package's members, checked plain; NotPlain when the file is not one this edits safely."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        check(len(set(names)) == len(names) and all(p in names for p in _NEEDED))
        check(not any(i.flag_bits & 0x1 for i in infos))  # encrypted members
        lower = [n.lower() for n in names]
        check(not any(n.endswith(".vml") or "comments" in n or "vbaproject" in n for n in lower))
        parts = {n: zf.read(n) for n in _NEEDED}
        rels = parse(parts["_rels/.rels"])
        main = [r.get("Target", "") for r in rels if r.get("Type", "").endswith("/officeDocument")]
        check(len(main) == 1 and main[0].lstrip("/") == "xl/workbook.xml")
        sheet_part, rels_text = _sheet_parts(parts, set(names))
        check(ISSUES_SHEET not in sheet_part)
        for part in sheet_part.values():  # every sheet is edited (print set-up, tab selection), and its rels
            parts[part] = zf.read(part)
            if _rels_path(part) in names:
                parts[_rels_path(part)] = zf.read(_rels_path(part))
    return Package(data, infos, parts, sheet_part, rels_text)


@lru_cache(maxsize=CACHED_PARTS)
def _unmarked(data: bytes) -> bytes:
    """A sheet without marks: printed one page wide, its tab no longer selected."""
    text = decode(data)
    check_sheet(text)
    return unselect(fit_to_width(text)).encode("utf-8")


def edit(pkg: Package, rows: Records, listed: Records, name: str, status: str, header: str) -> bytes:
    """The feedback workbook's bytes; NotPlain when the file is not one this edits safely."""
    parts, names, book = pkg.parts, pkg.names, Book(dict.fromkeys(pkg.sheet_part, ()))
    lower = {n.lower() for n in names}
    types_text = decode(parts["[Content_Types].xml"])
    types = parse(types_text.encode("utf-8"))
    check(types.tag == f"{{{CT_NS}}}Types")
    check(
        [o.get("ContentType") for o in types if o.get("PartName", "").lower() == "/xl/workbook.xml"] == [_WORKBOOK_CT]
    )
    # The calculation chain names cells by sheet position; openpyxl drops it too and Excel rebuilds it.
    chain = [n for n in names if n.lower() == "xl/calcchain.xml"]
    rels_text = re.sub(r"""<Relationship\b[^>]*/calcChain["'][^>]*/>""", "", pkg.rels_text)
    types_text = re.sub(r"""<Override\b[^>]*PartName=["']/xl/calcChain\.xml["'][^>]*/>""", "", types_text, flags=re.I)

    styles = Styles(decode(parts["xl/styles.xml"]))
    marks: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for (sheet, ref), found in by_cell(rows).items():
        title = target_sheet(book, sheet)
        if title is not None:
            marks.setdefault(title, {})[ref] = found
    changed: dict[str, bytes] = {}
    block = 0
    for title, part in pkg.sheet_part.items():
        if title not in marks:
            changed[part] = _unmarked(parts[part])
            continue
        text = decode(parts[part])
        check_sheet(text)
        text = unselect(fit_to_width(text))
        comments: dict[str, str] = {}
        colours: dict[str, str] = {}
        origin = merged_origin(text)
        for ref, found in marks[title].items():  # later findings on a merged area win, as in openpyxl
            at = origin(ref)
            comments[at] = comment_text(found)
            colour = worst(found)
            if colour is not None:
                colours[at] = colour
            else:
                colours.pop(at, None)
        text = restyle(text, colours, styles.with_fill)
        if comments:
            block += 1
            text = _add_comments(parts, changed, lower, part, text, comments, block)
            types_text = _add_comment_types(types_text, changed)
        data = text.encode("utf-8")
        if colours or comments:  # cells or elements added: still well-formed (attribute edits alone are)
            wellformed(data)
        changed[part] = data

    rows_out = issue_rows(name, status, listed)
    sheet_name = _free(lower, "xl/worksheets/sheet{}.xml")
    rid = _free({i.lower() for i in re.findall(r"""\bId\s*=\s*["']([^"']+)""", rels_text)}, "rId{}")
    rels_text = _append(
        rels_text,
        "</Relationships>",
        relationships([(rid, "worksheet", "/" + sheet_name)]),
    )
    types_text = _append(types_text, "</Types>", f'<Override PartName="/{sheet_name}" ContentType="{_SHEET_CT}"/>')
    last = max(HEADER_ROW, len(rows_out))
    changed[sheet_name] = issues_sheet_xml(rows_out, header, styles)
    changed["xl/workbook.xml"] = add_sheet_first(decode(parts["xl/workbook.xml"]), rid, issues_names(last)).encode()
    changed["xl/styles.xml"] = styles.text().encode("utf-8")
    changed["xl/_rels/workbook.xml.rels"] = rels_text.encode("utf-8")
    changed["[Content_Types].xml"] = types_text.encode("utf-8")
    for n in (sheet_name, "xl/workbook.xml", "xl/styles.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
        wellformed(changed[n])
    dst = ZipOut()
    for info in pkg.infos:
        n = info.filename
        if n in chain:
            continue
        if n in changed:
            dst.deflate(n, changed.pop(n))
        else:
            dst.copy(info, raw_member(pkg.data, info))
    for n, data in changed.items():
        dst.deflate(n, data)
    return dst.getvalue()


def _add_comments(
    parts: dict[str, bytes],
    changed: dict[str, bytes],
    lower: set[str],
    part: str,
    text: str,
    comments: dict[str, str],
    block: int,
) -> str:
    """The sheet's comments part, its VML drawing and the relationships to both; returns the sheet's text."""
    comments_part = _free(lower | {n.lower() for n in changed}, "xl/comments{}.xml")
    vml_part = _free(lower | {n.lower() for n in changed}, "xl/drawings/vmlDrawing{}.vml")
    changed[comments_part] = comments_xml(comments, AUTHOR)
    changed[vml_part] = vml_xml(list(comments), block, *COMMENT_SIZE)
    rels_part = _rels_path(part)
    rels_text = decode(parts[rels_part]) if rels_part in parts else ""
    if rels_text:
        check(parse(rels_text.encode("utf-8")).tag == f"{{{PKG_REL_NS}}}Relationships")
    else:
        rels_text = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PKG_REL_NS}">'
        rels_text += "</Relationships>"
    ids = {i.lower() for i in re.findall(r"""\bId\s*=\s*["']([^"']+)""", rels_text)}
    c_id = _free(ids, "rIdFb{}")
    v_id = _free(ids | {c_id.lower()}, "rIdFb{}")
    new = relationships([(c_id, "comments", "/" + comments_part), (v_id, "vmlDrawing", "/" + vml_part)])
    changed[rels_part] = _append(rels_text, "</Relationships>", new).encode("utf-8")
    for n in (comments_part, vml_part, rels_part):
        wellformed(changed[n])
    return add_legacy_drawing(text, v_id)


def _add_comment_types(types_text: str, changed: dict[str, bytes]) -> str:
    for n in changed:
        if n.endswith(".xml") and posixpath.basename(n).startswith("comments") and f'"/{n}"' not in types_text:
            types_text = _append(types_text, "</Types>", f'<Override PartName="/{n}" ContentType="{_COMMENTS_CT}"/>')
    if not re.search(r"""<Default\b[^>]*Extension\s*=\s*["']vml["']""", types_text, re.I):
        types_text = _append(types_text, "</Types>", f'<Default Extension="vml" ContentType="{_VML_CT}"/>')
    return types_text


def fast_feedback(
    src: Path,
    name: str,
    status: str,
    findings: pd.DataFrame | Records,
    header: str,
    context: SchoolContext | None,
) -> tuple[bytes, int] | None:
    """The feedback's bytes and how many 提醒 it lists, or None when openpyxl must write it."""
    try:
        data = src.read_bytes()
        if not data.startswith(b"PK"):  # .xls, HTML saved as .xls: openpyxl rebuilds them from their cells
            return None
        pkg = open_package(data)
        grids = LazyGrids(data, list(pkg.sheet_part))
        try:
            rows = advise(Book(grids), findings, context)
        finally:
            grids.close()
        listed = [r for r in rows if r["listed"]]
        out = edit(pkg, rows, listed, name, status, header)
    except Exception:  # unreadable here, NotPlain, a broken part or anything unforeseen: openpyxl decides
        return None
    return out, sum(as_text(r["severity"]) == "warning" for r in listed)
