"""Keep rejected returns in quarantine/[<county_code>/]<period>/ with their findings beside them."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd

from junheng.policy import period_start
from junheng.settings import DEFAULT_COUNTY_CODE, county_subdir
from tasks.ingest.archive import bounded_name
from tasks.publish.cells import as_text, safe_text
from tasks.publish.feedback.issues import SEVERITY_ZH
from tasks.publish.feedback.names import rule_name
from tasks.publish.files import write_atomic

FINDING_HEADERS = ("工作表", "单元格", "问题", "严重程度", "发现值", "说明及修改方法")


# The school's part of a quarantine name, in UTF-8 bytes: with the hash prefix, the CSV's suffix
# (".问题清单.csv") and the atomic writer's temporary name around it, still under the usual 255-byte limit.
NAME_BYTES = 150


def quarantine_name(file_id: str, file_name: str) -> str:
    """Two schools may send files of the same name: the hash prefix keeps them apart. Any legal name
    fits: the school's part is cut to NAME_BYTES, its extension kept."""
    return f"{file_id[:12]}-{bounded_name(Path(file_name).name, NAME_BYTES)}"


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
            # Short: the target's name may already be near the limit.
            tmp = target.with_name(f".{str(rec['file_id'])[:16]}.part")
            try:
                shutil.copy2(src, tmp)
                tmp.replace(target)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        mine = issues[issues["file_id"] == rec["file_id"]]
        write_atomic(target.with_name(target.name + ".问题清单.csv"), findings_csv(mine))
        out.append(target)
    return out


def findings_csv(findings: pd.DataFrame) -> bytes:
    """The findings as a CSV that Excel opens in UTF-8 (with the byte-order mark); text stays text."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(FINDING_HEADERS)
    for f in findings.to_dict("records"):
        texts = (
            as_text(f["sheet"]),
            as_text(f["cell"]),
            rule_name(as_text(f["rule"])),
            SEVERITY_ZH.get(as_text(f["severity"]), ""),
            as_text(f["value"]),
            as_text(f["message"]),
        )
        w.writerow([safe_text(t) for t in texts])
    return buf.getvalue().encode("utf-8-sig")
