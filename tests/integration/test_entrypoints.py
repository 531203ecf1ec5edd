"""Every prefect.yaml entrypoint imports and names a flow; the schedule is the 5th, 02:00 Beijing."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml
from prefect import Flow

ROOT = Path(__file__).resolve().parents[2]


def test_every_entrypoint_imports_a_flow() -> None:
    doc = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    assert doc["deployments"], "no deployments"
    for dep in doc["deployments"]:
        path, func = dep["entrypoint"].split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert isinstance(getattr(module, func), Flow), dep["name"]


def test_monthly_schedule() -> None:
    doc = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    monthly = next(d for d in doc["deployments"] if d["name"] == "monthly")
    assert monthly["schedules"][0]["cron"] == "0 2 5 * *"
    assert monthly["schedules"][0]["timezone"] == "Asia/Shanghai"
    assert set(monthly["parameters"]) <= {"period", "inbox", "warehouse_url", "data_dir", "out_dir"}


def test_city_schedule_runs_after_the_counties() -> None:
    """#15 item 4: the city deployment on the 8th at 03:00 Beijing (the counties' monthly run is the 5th, 02:00),
    for the previous month by default, with parameters city_monthly takes."""
    import inspect

    from flows.city import city_monthly

    doc = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    city = next(d for d in doc["deployments"] if d["name"] == "city")
    assert city["entrypoint"] == "flows/city.py:city_monthly"
    assert city["schedules"][0]["cron"] == "0 3 8 * *"
    assert city["schedules"][0]["timezone"] == "Asia/Shanghai"
    assert city["parameters"]["period"] is None and city["parameters"]["plan"] == "yuxi-2023"
    assert set(city["parameters"]) <= set(inspect.signature(city_monthly.fn).parameters)
