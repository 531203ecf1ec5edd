"""xl/workbook.xml edited as text: 问题清单 becomes the first and active sheet, its defined names are added,
and every index that counts sheets moves one along."""

from __future__ import annotations

import re
from collections.abc import Callable

from tasks.publish.feedback.issues import ISSUES_SHEET
from tasks.publish.feedback.sheet_xml import DOC_REL_NS
from tasks.publish.feedback.styles_xml import MAIN_NS, check, parse


def decode(data: bytes) -> str:
    """UTF-8 XML text, BOM dropped; anything else (UTF-16, another declared encoding) is unusual."""
    text = data.decode("utf-8-sig")
    decl = re.match(r"<\?xml[^>]*?encoding\s*=\s*[\"']([\w.-]+)[\"']", text)
    check(decl is None or decl.group(1).lower() in ("utf-8", "utf8"))
    return text


def _shift(tag: str, attr: str, fn: Callable[[int], int]) -> str:
    return re.sub(
        rf"""(\s{attr}\s*=\s*)(["'])(\d+)\2""",
        lambda m: f"{m.group(1)}{m.group(2)}{fn(int(m.group(3)))}{m.group(2)}",
        tag,
    )


def add_sheet_first(text: str, rid: str, names: str) -> str:
    """The workbook with 问题清单 (relationship ``rid``) first and active, and ``names`` (definedName
    elements local to sheet 0) added; localSheetId, activeTab and firstSheet of the others move one along."""
    root = parse(text.encode("utf-8"))
    check(root.tag == f"{{{MAIN_NS}}}workbook")
    sheets = root.findall(f"{{{MAIN_NS}}}sheets/{{{MAIN_NS}}}sheet")
    ids = [s.get("sheetId", "") for s in sheets]
    check(sheets and all(i.isdigit() for i in ids))
    check(root.find(f"{{{MAIN_NS}}}externalReferences") is None and root.find(f"{{{MAIN_NS}}}functionGroups") is None)
    # Textual edits keep every namespace declaration and mc:Ignorable prefix exactly as written.
    start = re.search(r"<workbook\b[^>]*>", text)
    check(start is not None and f'xmlns="{MAIN_NS}"' in start.group(0))
    assert start is not None
    prefix = re.search(rf"""\sxmlns:([\w.-]+)\s*=\s*["']{re.escape(DOC_REL_NS)}["']""", start.group(0))
    opening = re.findall(r"<sheets\s*>", text)
    check(prefix is not None and len(opening) == 1 and text.count("</sheets>") == 1)
    assert prefix is not None
    sheet = f'<sheet name="{ISSUES_SHEET}" sheetId="{max(map(int, ids)) + 1}" {prefix.group(1)}:id="{rid}"/>'
    text = text.replace(opening[0], "<sheets>" + sheet, 1)
    text = re.sub(r"<definedName\b[^>]*>", lambda m: _shift(m.group(0), "localSheetId", lambda i: i + 1), text)
    names_tag = re.findall(r"<definedNames\s*/?>", text)
    check(len(names_tag) <= 1 and text.count("<definedNames") == len(names_tag))
    if not names_tag:
        text = text.replace("</sheets>", f"</sheets><definedNames>{names}</definedNames>", 1)
    elif names_tag[0].endswith("/>"):
        text = text.replace(names_tag[0], f"<definedNames>{names}</definedNames>", 1)
    else:
        text = text.replace(names_tag[0], "<definedNames>" + names, 1)
    seen = [0]

    def view(m: re.Match[str]) -> str:
        seen[0] += 1
        if seen[0] == 1:  # the first view opens on 问题清单 (default activeTab/firstSheet = 0)
            return re.sub(r"""\s+(?:activeTab|firstSheet)\s*=\s*(["'])\d*\1""", "", m.group(0))
        return _shift(_shift(m.group(0), "activeTab", lambda i: i + 1), "firstSheet", lambda i: i + 1)

    return re.sub(r"<workbookView\b[^>]*>", view, text)
