"""Keep rejected returns in quarantine/[<county_code>/]<period>/ with their findings beside them."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd

from junheng.policy import period_start
from junheng.settings import DEFAULT_COUNTY_CODE, county_subdir
from tasks.publish.cells import as_text, safe_text
from tasks.publish.feedback.issues import SEVERITY_ZH
from tasks.publish.feedback.names import rule_name

FINDING_HEADERS = ("工作表", "单元格", "问题", "严重程度", "发现值", "说明及修改方法")


def quarantine_name(file_id: str, file_name: str) -> str:
    """Two schools may send files of the same name: the hash prefix keeps them apart."""
    return f"{file_id[:12]}-{Path(file_name).name}"


def quarantine_rejected(
    data_dir: Path, period: str, status: pd.DataFrame, issues: pd.DataFrame, county_code: str = DEFAULT_COUNTY_CODE
) -> list[Path]:
    """Copy every rejected file of the period (from the archive) to <data_dir>/quarantine/<period>/
    (…/quarantine/<county_code>/<period>/ when a county code is set), with <name>.问题清单.csv
    beside it. Files stay there when a corrected return supersedes them later: the quarantine is
    the record of what was refused and why."""
    period_start(period)  # a malformed period must not become a path
    folder = county_subdir(Path(data_dir) / "quarantine", county_code) / period
    rejected = status[status["status"] == "rejected"]
    out: list[Path] = []
    for rec in rejected.to_dict("records"):
        src = Path(str(rec["archive_path"]))
        target = folder / quarantine_name(str(rec["file_id"]), str(rec["file_name"]))
        folder.mkdir(parents=True, exist_ok=True)
        if src.is_file() and not target.exists():
            tmp = target.with_name(target.name + ".part")
            shutil.copy2(src, tmp)
            tmp.replace(target)
        mine = issues[issues["file_id"] == rec["file_id"]]
        report = target.with_name(target.name + ".问题清单.csv")
        with open(report, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(FINDING_HEADERS)
            for f in mine.to_dict("records"):
                texts = (
                    as_text(f["sheet"]),
                    as_text(f["cell"]),
                    rule_name(as_text(f["rule"])),
                    SEVERITY_ZH.get(as_text(f["severity"]), ""),
                    as_text(f["value"]),
                    as_text(f["message"]),
                )
                w.writerow([safe_text(t) for t in texts])
        out.append(target)
    return out
