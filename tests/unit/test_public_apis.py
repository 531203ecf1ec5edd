"""Product code uses libraries through their public APIs: no private attribute of openpyxl, zipfile or XlsxWriter."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("cli", "junheng", "flows", "tasks", "warehouse", "expectations")
# Internals the report writers once reached into (issue 11), and their kin.
FORBIDDEN = {
    "_sheets",
    "_archive",
    "_write_worksheets",
    "NameToInfo",
    "filelist",
    "start_dir",
    "_didModify",
    "_fileRefCnt",
    "_writecheck",
    "_worksheets",
    "_named_styles",
    "_cell_styles",
    "_fills",
    "_fonts",
}
# Names with a leading underscore that the library documents as public API.
DOCUMENTED = {"os._exit"}  # https://docs.python.org/3/library/os.html#os._exit


def private_uses(source: str) -> list[tuple[int, str]]:
    """Attribute accesses of a forbidden name, and any `obj._x` where obj is not self/cls (a library's internals)."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute):
            continue
        owner = node.value.id if isinstance(node.value, ast.Name) else None
        if node.attr in FORBIDDEN:
            out.append((node.lineno, node.attr))
        elif (
            node.attr.startswith("_")
            and not node.attr.startswith("__")
            and owner not in ("self", "cls")
            and f"{owner}.{node.attr}" not in DOCUMENTED
        ):
            out.append((node.lineno, f"{owner}.{node.attr}" if owner else node.attr))
    return sorted(out)


def test_no_private_attribute_of_a_library() -> None:
    found = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            uses = private_uses(path.read_text(encoding="utf-8"))
            if uses:
                found[str(path.relative_to(ROOT))] = uses
    assert found == {}


def test_the_check_sees_a_private_attribute() -> None:
    assert private_uses("wb._sheets.append(ws)\nzf.NameToInfo[n] = i\nx = self._cache") == [
        (1, "_sheets"),
        (2, "NameToInfo"),
    ]
    assert private_uses("import m\nm._helper()") == [(2, "m._helper")]
