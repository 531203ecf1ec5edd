"""Tolerant matching of header/key labels and sheet names against junheng.spec (plus synonyms.yaml)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

from junheng import spec

SYNONYMS_PATH = Path(__file__).resolve().parents[2] / "expectations" / "synonyms.yaml"

# Units as written in headers or in a unit row, after normalise_label(); value = canonical unit.
UNITS: dict[str, str] = {
    "平方米": "平方米",
    "万元": "万元",
    "元": "元",
    "间": "间",
    "人": "人",
    "个": "个",
    "名": "人",
    "所": "所",
    "年": "年",
    "台": "台",
    "套": "套",
    "次": "次",
}
# Longest first, so 万元 wins over 元 when a unit is glued to the label without brackets.
_UNITS_LONGEST_FIRST = tuple(sorted(UNITS, key=len, reverse=True))

# NFKC already folds full-width brackets, colons, digits and spaces; these it leaves alone.
_BRACKETS = str.maketrans(
    {
        "【": "(",
        "】": ")",
        "〔": "(",
        "〕": ")",
        "[": "(",
        "]": ")",
        "{": "(",
        "}": ")",
        "<": "(",
        ">": ")",
        "《": "(",
        "》": ")",
    }
)
_SPACE_RE = re.compile(r"\s+")
_AREA_RE = re.compile(r"m\^?2|平方米|平米")
_TRAILING_UNIT_RE = re.compile(r"^(.+?)\(([^()]*)\)$")
# What an unlisted unit looks like: a short word ending in a unit character (千元, 亿元, 公顷, 平方公里).
_UNKNOWN_UNIT_RE = re.compile(r"(?:单位:?)?[^()]{0,3}(?:元|米|人|间|个|台|套|亩|顷|里)")
_PREFIX_MARKS = "*※#"
_SUFFIX_MARKS = ":*"


def normalise_label(text: object) -> str:
    """A comparable form of a label: NFKC, no spaces/line breaks, one bracket style and area unit."""
    s = unicodedata.normalize("NFKC", str(text))
    s = _SPACE_RE.sub("", s).lower().translate(_BRACKETS)
    s = _AREA_RE.sub("平方米", s)
    s = s.lstrip(_PREFIX_MARKS).rstrip(_SUFFIX_MARKS)
    # 「其中：」 is an optional prefix; 其中 without a colon is part of some official labels.
    if s.startswith("其中:"):
        s = s[3:]
    return s


def unit_of(text: object) -> str | None:
    """The canonical unit if a cell holds only a unit (e.g. `（人）`, `平方米`, `单位：万元`)."""
    if not isinstance(text, str) or not text.strip():
        return None
    s = normalise_label(text)
    if s.startswith("(") and s.endswith(")"):
        s = s[1:-1]
    s = s.removeprefix("单位:").removeprefix("单位")
    return UNITS.get(s)


def split_unit(norm: str) -> tuple[str, str | None]:
    """Split a normalised label into (base, unit) when it ends with a known unit.

    `教学仪器设备值(万元)` → (`教学仪器设备值`, `万元`); `所在乡镇(街道)` stays whole because
    街道 is not a unit.
    """
    m = _TRAILING_UNIT_RE.match(norm)
    if m:
        inner = m.group(2).removeprefix("单位:").removeprefix("单位")
        if inner in UNITS:
            return m.group(1), UNITS[inner]
    base, sep, inner = norm.rpartition("/")
    if sep and base and inner in UNITS:
        return base, UNITS[inner]
    return norm, None


@dataclass(frozen=True)
class LabelMatch:
    """A cell recognised as a label: which code it names and the unit written in it, if any."""

    code: str
    unit: str | None


def _keys(label: str) -> list[str]:
    """Index keys of one label: whole, without its unit, and without a leading 其中."""
    norm = normalise_label(label)
    base, _ = split_unit(norm)
    keys = [norm, base]
    for k in (norm, base):
        if k.startswith("其中") and len(k) > 2:
            keys.append(k[2:])
    return keys


class LabelIndex:
    """Matches cell texts to the codes of one sheet (official labels + synonyms)."""

    def __init__(self, sheet: spec.Sheet, synonyms: Mapping[str, Sequence[str]] | None = None) -> None:
        self.sheet = sheet
        self._key_to_code: dict[str, str] = {}
        for f in sheet.fields:
            for label in (f.label, *(synonyms or {}).get(f.code, ())):
                for key in _keys(label):
                    other = self._key_to_code.setdefault(key, f.code)
                    if other != f.code:
                        raise ValueError(f"标签「{label}」在工作表「{sheet.name}」中同时对应 {other} 和 {f.code}")
        self._cache: dict[str, LabelMatch | None] = {}

    def match(self, text: object) -> LabelMatch | None:
        """The code a header/key cell names, or None (non-text cells never match)."""
        if not isinstance(text, str):
            return None
        if text in self._cache:
            return self._cache[text]
        result = self._match(text)
        if len(self._cache) < 10_000:
            self._cache[text] = result
        return result

    def _match(self, text: str) -> LabelMatch | None:
        norm = normalise_label(text)
        if not norm:
            return None
        base, unit = split_unit(norm)
        for key in (norm, base):
            code = self._lookup(key)
            if code:
                return LabelMatch(code, unit)
        # A unit glued to the label without brackets, e.g. 教学仪器设备值万元.
        for u in _UNITS_LONGEST_FIRST:
            if base.endswith(u) and len(base) > len(u):
                code = self._lookup(base[: -len(u)])
                if code:
                    return LabelMatch(code, UNITS[u])
        # A unit nobody listed, e.g. 教学仪器设备值(千元): still this column, and the unit is kept
        # as written so the reader can say it is not understood instead of "column missing".
        m = _TRAILING_UNIT_RE.match(norm)
        if m and _UNKNOWN_UNIT_RE.fullmatch(m.group(2)):
            code = self._lookup(m.group(1))
            if code:
                return LabelMatch(code, m.group(2).removeprefix("单位:").removeprefix("单位"))
        return None

    def _lookup(self, key: str) -> str | None:
        code = self._key_to_code.get(key)
        if code is None and key.startswith("其中") and len(key) > 2:
            code = self._key_to_code.get(key[2:])
        return code


def load_synonyms(path: Path | None = None) -> dict[str, Any]:
    """The synonyms file as a dict with `sheets` and `labels` (empty parts when absent)."""
    with open(path or SYNONYMS_PATH, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    return {"sheets": data.get("sheets") or {}, "labels": data.get("labels") or {}}


@lru_cache(maxsize=1)
def _default_synonyms() -> dict[str, Any]:
    return load_synonyms()


@cache
def index_for(sheet_name: str) -> LabelIndex:
    """The label index of a spec sheet, built once with the synonyms from expectations/synonyms.yaml."""
    sheet = spec.SHEETS_BY_NAME[sheet_name]
    return LabelIndex(sheet, _default_synonyms()["labels"].get(sheet_name, {}))


def match_label(sheet: spec.Sheet, text: object) -> LabelMatch | None:
    """Match one cell text against the labels of a spec sheet."""
    return index_for(sheet.name).match(text)


@lru_cache(maxsize=1)
def _sheet_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for s in spec.SHEETS:
        names[normalise_label(s.name)] = s.name
    for name, alts in _default_synonyms()["sheets"].items():
        for alt in alts or ():
            names.setdefault(normalise_label(alt), name)
    return names


def match_sheet_name(name: str) -> str | None:
    """The spec sheet a workbook tab stands for (by name or a listed synonym), or None."""
    return _sheet_names().get(normalise_label(name))
