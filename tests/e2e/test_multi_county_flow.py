"""Two counties run the monthly flow into one data folder and one warehouse: their inboxes, reports
and quarantines are separate folders, and neither run touches the other's files."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flows.monthly import monthly_returns
from tasks.demo.returns import COUNTY_CODE as DEMO_PREFIX
from tasks.demo.returns import make_demo_returns
from tasks.publish.template import write_return
from warehouse.engine import make_engine, query_frame

PERIOD = "2026-10"
A, B = "370830", "370831"


def _inbox(data: Path, code: str, schools: int, seed: int) -> None:
    """The county's returns in its default inbox, <data>/inbox/<county_code>/<period>/."""
    inbox = data / "inbox" / code / PERIOD
    inbox.mkdir(parents=True)
    for name, ret in make_demo_returns(schools=schools, period=PERIOD, seed=seed, broken=True):
        info = ret["info"]
        info["school_code"] = code + str(info["school_code"])[6:]
        if info.get("parent_school_code"):
            info["parent_school_code"] = code + str(info["parent_school_code"])[6:]
        write_return(inbox / name.replace(DEMO_PREFIX, code, 1), ret)


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*.*")}


def test_two_counties_in_one_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    url = f"duckdb:///{data / 'junheng.duckdb'}"
    _inbox(data, A, schools=8, seed=5)
    _inbox(data, B, schools=8, seed=11)

    rb = monthly_returns(period=PERIOD, warehouse_url=url, data_dir=str(data), county_code=B)
    b_files = _digests(data / "reports" / B)
    ra = monthly_returns(period=PERIOD, warehouse_url=url, data_dir=str(data), county_code=A)

    assert (rb["county_code"], ra["county_code"]) == (B, A)
    for result, code in ((ra, A), (rb, B)):
        reports = result["reports"]
        assert isinstance(reports, dict)
        for kind in ("xlsx", "html", "county_xlsx", "feedback"):
            path = Path(reports[kind])
            assert path.is_file() and path.is_relative_to(data / "reports" / code / PERIOD), (kind, path)
        assert result["files_loaded"] == 8 and result["files_rejected"] == 2
        # The two broken returns of each county are quarantined in its own folder.
        assert len(list((data / "quarantine" / code / PERIOD).glob("*.xlsx"))) == 2
    assert not (data / "reports" / PERIOD).exists()  # nothing at the single-county place
    assert _digests(data / "reports" / B) == b_files  # A's run rewrote none of B's files

    eng = make_engine(url)
    per_county = query_frame(
        eng, "SELECT county_code, COUNT(DISTINCT school_code) AS n FROM mart.school_units GROUP BY county_code"
    )
    eng.dispose()
    assert dict(zip(per_county["county_code"], per_county["n"], strict=True)) == {A: 8, B: 8}
