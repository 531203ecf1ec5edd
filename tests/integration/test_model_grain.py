"""Every model of sql/models.yml, on DuckDB and PostgreSQL, after the demo county's three periods:
its declared keys are unique (the grain holds), and its relation has exactly the declared columns."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from junheng.settings import AlertChannels, load_settings
from tasks.demo.returns import make_demo_county
from tasks.ingest.archive import archive_inbox
from tasks.model.county_load import load_county_returns
from tasks.model.load import check_policy_run, load_run
from tasks.notify.run import run_alerts
from tasks.read.returns import read_returns
from tasks.validate.gx import validate
from warehouse.engine import make_engine, query_frame
from warehouse.models import models

PERIODS = ("2026-08", "2026-09", "2026-10")
MODELS = sorted(models())

pytestmark = pytest.mark.timeout(600)


def _load_period(url: str, tmp: Path, period: str) -> None:
    """What the monthly flow does to the warehouse for one period of the demo county (as `make demo`)."""
    inbox = tmp / "inbox" / period
    last = period == PERIODS[-1]
    make_demo_county(inbox, schools=24, period=period, drift=0.08, broken=last, county_return=last)
    settings = load_settings(warehouse_url=url, data_dir=tmp / "data")
    batch = read_returns(archive_inbox(inbox, settings.archive_dir))
    run_id = str(uuid.uuid4())
    now = datetime(2026, int(period[-2:]) + 1, 5, 2, 0)
    load_county_returns(url, period, batch.county_files, run_id, now=now)
    load_run(url, period, batch, validate(batch, period), settings, run_id, now=now)
    check_policy_run(url, period, run_id)
    run_alerts(url, period, run_id, channels=AlertChannels(), now=now)


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgresql", marks=pytest.mark.pg)])
def demo_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo county's 2026-08 to 2026-10 in a warehouse of each engine (built once per engine)."""
    tmp = tmp_path_factory.mktemp(f"grain-{request.param}")
    if request.param == "duckdb":
        url = f"duckdb:///{tmp / 'wh.duckdb'}"
    else:
        url = request.getfixturevalue("pg_database")
        eng = sa.create_engine(url)
        with eng.begin() as c:
            c.execute(sa.text("DROP SCHEMA IF EXISTS raw, core, mart, audit CASCADE"))
        eng.dispose()
    for period in PERIODS:
        _load_period(url, tmp, period)
    yield url


def _city_rollup(name: str) -> bool:
    m = models()[name]
    return m.slice == "city_period" or any(_city_rollup(d) for d in m.depends_on if models()[d].kind == "table")


@pytest.mark.parametrize("name", MODELS)
def test_grain_is_unique(demo_url: str, name: str) -> None:
    m = models()[name]
    keys = ", ".join(m.keys)
    engine = make_engine(demo_url)
    try:
        total = int(query_frame(engine, f"SELECT COUNT(*) AS n FROM {m.relation}")["n"].iloc[0])
        dupes = query_frame(
            engine, f"SELECT {keys}, COUNT(*) AS n FROM {m.relation} GROUP BY {keys} HAVING COUNT(*) > 1"
        )
    finally:
        engine.dispose()
    assert dupes.empty, f"{m.relation}: {len(dupes)} key(s) repeated, e.g. {dupes.head(3).to_dict('records')}"
    if not _city_rollup(name):  # the city roll-up (junheng city rollup) is not part of a county's run
        assert total > 0, f"{m.relation} is empty after the demo: the grain test would prove nothing"


def test_relations_have_the_declared_columns(demo_url: str) -> None:
    engine = make_engine(demo_url)
    try:
        cols = query_frame(
            engine,
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE table_schema IN ('core', 'mart') ORDER BY table_schema, table_name, ordinal_position",
        )
    finally:
        engine.dispose()
    have: dict[str, list[str]] = {}
    for r in cols.itertuples(index=False):
        have.setdefault(f"{r.table_schema}.{r.table_name}", []).append(str(r.column_name))
    for m in models().values():
        assert have.get(m.relation) == list(m.columns), m.relation
