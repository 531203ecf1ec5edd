"""What a file's name says against what the return inside says: a 学校标识码 in the name that is not
the one filled in is worth a word to the school (a copied return, or a typo in one of the two)."""

from __future__ import annotations

import re

import pandas as pd

from junheng.contract import Finding, ReturnBatch

# Ten ASCII digits standing alone (not part of a longer number such as a phone number or a date).
_CODE_IN_NAME = re.compile(r"(?<![0-9])[0-9]{10}(?![0-9])")


def name_code_findings(batch: ReturnBatch) -> list[Finding]:
    """A warning for every read return whose file name carries school codes, none of them its own."""
    if batch.info.empty or "school_code" not in batch.info:
        return []
    names = {f.file_id: f.file_name for f in batch.files}
    out: list[Finding] = []
    for fid, code in zip(batch.info["file_id"], batch.info["school_code"], strict=True):
        name = names.get(str(fid), "")
        in_name = _CODE_IN_NAME.findall(name)
        if not in_name or code is None or pd.isna(code) or str(code) in in_name:
            continue
        cell = batch.info_cells.get(str(fid), {}).get("school_code", "")
        where = f"文件「{name}」工作表「基本信息」" + (f"{cell} 单元格" if cell else "")
        out.append(
            Finding(
                file_id=str(fid),
                file_name=name,
                sheet="基本信息",
                cell=cell,
                rule="school_code.file_name_mismatch",
                severity="warning",
                value=str(code),
                message=f"{where}：文件名中的学校标识码 {'、'.join(in_name)} 与报表中填写的 {code} 不一致，"
                f"本报表按 {code} 入库。请核对：若报表中的学校标识码填错，请改正后重新发送；"
                "若只是文件名写错，无需处理",
                school_code=str(code),
            )
        )
    return out
