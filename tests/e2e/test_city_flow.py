"""A city run where one county's inbox is broken: the others finish, the summary names the failed one,
and the roll-up equals, row for row, what each county's own marts say."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import pandas as pd

from flows.city import city_monthly
from tasks.demo.city import BEHIND, ON_TRACK, REACHED, write_county_inbox
from warehouse.engine import make_engine, query_frame

PERIOD = "2026-10"


def _county_runs(data: Path) -> dict[str, tuple[Any, Any]]:
    """county code -> (start, end) of its monthly-returns flow run with this data folder, from the Prefect API."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["monthly-returns"])), limit=200)
    return {
        str(r.parameters["county_code"]): (r.start_time, r.end_time)
        for r in runs
        if r.parameters.get("data_dir") == str(data) and r.parent_task_run_id is not None
    }


def test_broken_county_does_not_stop_the_others(tmp_path: Path, warehouse_url: str) -> None:
    """On DuckDB the counties run one after the other, on PostgreSQL side by side (three at once here)."""
    data = tmp_path / "data"
    write_county_inbox(data, REACHED, PERIOD, 6, 1.0, True)
    write_county_inbox(data, BEHIND, PERIOD, 6, 0.0, False)
    broken = data / "inbox" / ON_TRACK / PERIOD
    broken.mkdir(parents=True)
    (broken / "坏文件.xlsx").write_bytes(b"not a workbook")  # the only file: no valid return
    url = warehouse_url

    result = city_monthly(plan="yuxi-2023", period=PERIOD, warehouse_url=url, data_dir=str(data), concurrency=3)

    assert list(result["failed"]) == ["华宁县"]
    assert sorted(result["ran"]) == sorted(["澄江市", "通海县"])
    assert result["status"]["已达到"] == ["澄江市"] and result["status"]["滞后"] == ["通海县"]
    assert "华宁县" in result["status"]["本期未报送"]
    assert Path(result["reports"]["city_xlsx"]).is_file() and Path(result["reports"]["city_html"]).is_file()
    # The counties' runs as Prefect recorded them (subflows of this city run). DuckDB has one writer: there they
    # run one after the other. (On PostgreSQL they run side by side, but whether two short runs overlap depends
    # on the machine's load: not asserted.)
    spans = _county_runs(data)
    assert sorted(spans) == sorted([REACHED, ON_TRACK, BEHIND])
    if url.startswith("duckdb"):
        ordered = sorted(spans.values())
        assert all(a[1] <= b[0] for a, b in pairwise(ordered)), spans

    eng = make_engine(url)
    try:
        progress = query_frame(eng, "SELECT * FROM mart.county_progress WHERE period = :p", {"p": PERIOD})
        for code in (REACHED, BEHIND):
            row = progress[progress["county_code"] == code].iloc[0]
            verdict = query_frame(
                eng,
                "SELECT ready FROM mart.county_verdict WHERE county_code = :c AND period = :p",
                {"c": code, "p": PERIOD},
            )
            card = query_frame(
                eng,
                "SELECT indicator_code, status FROM mart.county_scorecard "
                "WHERE county_code = :c AND period = :p AND part <> '地方目标'",
                {"c": code, "p": PERIOD},
            )
            met = card.groupby("indicator_code")["status"].apply(lambda s: bool((s == "met").all()))
            # The units the county's school-rule line counts: public ones (民办 judged, not counted; #12's default).
            units = query_frame(
                eng,
                "SELECT passes, ownership FROM mart.school_compliance WHERE county_code = :c AND period = :p",
                {"c": code, "p": PERIOD},
            )
            private = units["ownership"] == "民办"
            assert private.any()  # the demo county has a 民办 school: the population matters here
            units = units[~private]
            cv = query_frame(
                eng, "SELECT meets FROM mart.county_cv WHERE county_code = :c AND period = :p", {"c": code, "p": PERIOD}
            )
            assert row["verdict"] == ("达到" if bool(verdict["ready"].iloc[0]) else "未达到")
            assert (int(row["indicators_met"]), int(row["indicators_total"])) == (int(met.sum()), len(met))
            assert int(row["units_passing"]) == int((units["passes"] == True).sum())  # noqa: E712
            assert int(row["units_judged"]) == int(units["passes"].notna().sum())
            assert int(row["cv_met"]) == int((cv["meets"] == True).sum())  # noqa: E712
        assert pd.isna(progress.loc[progress["county_code"] == ON_TRACK, "indicators_met"].iloc[0])
    finally:
        eng.dispose()


def test_a_county_that_raises_is_named_with_its_reason_in_chinese(tmp_path: Path, monkeypatch: Any) -> None:
    """A county's monthly flow that fails with our own error shows that error's Chinese words (what and how to
    fix); any other exception its first line inside a Chinese sentence — never Prefect's English state message.
    The other county still runs (its flow here stands in for the real one)."""
    from prefect import flow

    import flows.city as city_flows
    from junheng.errors import ConfigError

    @flow(name="monthly-returns")
    def fake_county(period: str, warehouse_url: str, data_dir: str, county_code: str) -> dict[str, bool]:
        if county_code == ON_TRACK:
            raise ConfigError("华宁县的设置有误", "改正后重新运行")
        if county_code == BEHIND:
            raise RuntimeError("disk on fire\nsecond line")
        return {"no_valid_returns": False}

    monkeypatch.setattr(city_flows, "monthly_returns", fake_county)
    data = tmp_path / "data"
    for code in (REACHED, ON_TRACK, BEHIND):
        (data / "inbox" / code / PERIOD).mkdir(parents=True)
        (data / "inbox" / code / PERIOD / "x.xlsx").write_bytes(b"x")
    result = city_monthly(
        plan="yuxi-2023", period=PERIOD, warehouse_url=f"duckdb:///{tmp_path / 'wh.duckdb'}", data_dir=str(data)
    )
    assert result["ran"] == ["澄江市"]
    assert result["failed"] == {
        "华宁县": "华宁县的设置有误；处理办法：改正后重新运行",
        "通海县": "运行出错（RuntimeError：disk on fire）；详情见该县本次运行的日志",
    }
