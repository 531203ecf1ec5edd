"""`junheng city run` as a city bureau runs it (#15 item 4, "Done when"): one county's inbox broken, the other
county finishes, the summary names the failed county and where the city report is, and the exit code is 5."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tasks.demo.city import ON_TRACK, REACHED, write_county_inbox

PERIOD = "2026-10"


def test_city_run_exit_code_and_summary_name_the_failed_county(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_county_inbox(data, REACHED, PERIOD, 6, 1.0, True)  # 澄江市: compliant, 6 schools
    broken = data / "inbox" / ON_TRACK / PERIOD  # 华宁县: its only file is not a workbook
    broken.mkdir(parents=True)
    (broken / "坏文件.xlsx").write_bytes(b"not a workbook")
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "city",
            "run",
            "--plan",
            "yuxi-2023",
            "--period",
            PERIOD,
            "--data-dir",
            str(data),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ),
        check=False,
    )
    out = res.stdout
    assert res.returncode == 5, (res.returncode, out[-3000:], res.stderr[-3000:])
    lines = out.splitlines()
    assert "玉溪市 2026-10：计划内 7 个县（市、区）" in lines
    assert "  已达到：1 个（澄江市）" in lines
    assert "  本次运行的县：澄江市" in lines
    failed = [line for line in lines if line.startswith("  运行失败：")]
    assert len(failed) == 1 and failed[0].startswith("  运行失败：华宁县——"), out
    # 华宁县 made no judgement this period: counted with the counties not reported (7 − 1 reached = 6).
    assert any(line.startswith("  本期未报送：6 个（") and "华宁县" in line for line in lines), out
    xlsx = next(line.split("：", 1)[1] for line in lines if line.startswith("  城市报告（Excel）："))
    html = next(line.split("：", 1)[1] for line in lines if line.startswith("  城市报告（网页）："))
    assert Path(xlsx) == data / "reports" / "530400" / PERIOD / f"junheng-city-{PERIOD}.xlsx" and Path(xlsx).is_file()
    assert Path(html).is_file()
    assert "Traceback" not in out + res.stderr
