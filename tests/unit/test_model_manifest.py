"""The SQL model manifest (sql/models.yml) and the run order derived from it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from junheng.errors import ConfigError
from tasks.model.run import PYTHON_STEPS, run_order
from warehouse.engine import MART_VIEWS, STAGING_VIEWS
from warehouse.models import MANIFEST, SQL_DIR, Model, manifest, models, view_order


def test_every_sql_file_is_a_declared_model_and_every_view_is_created() -> None:
    files = {p.stem for p in SQL_DIR.glob("*/*.sql")}
    sql_models = {n for n, m in models().items() if m.python is None}
    assert files == sql_models
    assert set(view_order()) == set(STAGING_VIEWS) | set(MART_VIEWS)
    assert "stg_school_asof" in STAGING_VIEWS and "county_cv" in MART_VIEWS


def test_the_run_order_puts_every_table_after_the_tables_it_reads() -> None:
    order = run_order()
    position = {step: i for i, step in enumerate(order)}
    # By hand from sql/models.yml: stg_unit_resource (a view) → fct_school_indicator → compliance and the
    # county CV → variance, remediation, the Python analytics and the scorecard.
    assert order[0] == "fct_school_indicator"
    assert position["fct_school_compliance"] < position["python:scorecard"]
    assert position["fct_county_indicator"] < position["fct_variance"]
    assert position["fct_county_indicator"] < position["python:analytics"]
    assert "python:progress" not in position  # the city roll-up is not part of a county's run
    assert {s.removeprefix("python:") for s in order if s.startswith("python:")} == set(PYTHON_STEPS)


def _model(**kw: object) -> Model:
    spec: dict[str, object] = {
        "layer": "indicators",
        "kind": "table",
        "description": "d",
        "grain": "g",
        "keys": ["k"],
        "columns": {"k": "键"},
    }
    return Model.model_validate({**spec, **kw})


def test_run_order_of_a_small_chain_through_a_view() -> None:
    # c reads the view v, which reads b; b reads a; a and p (Python) read nothing; p2 shares p's step.
    chain = {
        "a": _model(name="a"),
        "b": _model(name="b", depends_on=["a"]),
        "v": _model(name="v", kind="view", layer="staging", depends_on=["b"]),
        "c": _model(name="c", python="p", depends_on=["v"]),
        "c2": _model(name="c2", python="p", depends_on=["a"]),
    }
    assert run_order(chain) == ["a", "b", "python:p"]


def _broken(tmp_path: Path, edit: str, new: str) -> Path:
    text = MANIFEST.read_text(encoding="utf-8")
    assert edit in text
    path = tmp_path / "models.yml"
    path.write_text(text.replace(edit, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "new", "message"),
    [
        ("      above_floor:\n", "", "fct_school_indicator: columns 与 warehouse/schema.py"),
        ("    keys: [county_code, period, section, indicator_code]\n", "    keys: [county_code, nope]\n", "列 nope"),
        ("    depends_on: [fct_school_indicator]\n", "    depends_on: [fct_school_compliance]\n", "依赖关系有环"),
        ("    kind: view\n", "    kind: veiw\n", "模型清单无法读取"),
        ("  reasons: 未达标、未报告或待审核的评估项清单\n", "", "reasons: 没有中文说明"),
    ],
)
def test_a_broken_manifest_is_refused_with_what_is_wrong(tmp_path: Path, edit: str, new: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        manifest.__wrapped__(_broken(tmp_path, edit, new))


def test_the_manifest_is_strict_yaml() -> None:
    raw = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert set(raw) == {"columns", "models"}
    assert all(isinstance(m["keys"], list) for m in raw["models"].values())
