"""The SQL model manifest (sql/models.yml): each model's layer, kind, keys, dependencies, grain and
columns, declared once beside its SQL. Read and checked here; the run order is derived from it in
the model layer (tasks/model/run.py)."""

from __future__ import annotations

from functools import lru_cache
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from junheng.errors import ConfigError
from warehouse.schema import metadata

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
MANIFEST = SQL_DIR / "models.yml"

Layer = Literal["staging", "indicators", "analytics", "marts"]


class Model(BaseModel):
    """One model as declared in the manifest (its name is the manifest key)."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    name: str = ""
    layer: Layer
    # view: rebuilt by CREATE OR REPLACE VIEW at set-up; table: its (county, period) slice replaced by each run
    kind: Literal["view", "table"]
    # None: built from sql/<layer>/<name>.sql; otherwise the Python step of tasks/model/run.py that fills it
    python: str | None = None
    # the slice a run replaces: a county's period (the model run) or a city's period (junheng city rollup)
    slice: Literal["county_period", "city_period"] = "county_period"
    description: str
    grain: str
    keys: list[str]
    depends_on: list[str] = []
    sources: list[str] = []  # loaded tables read (schema.table), not built by a model
    contract: list[str] = []  # columns the published reports rely on (README: "columns (at least)")
    columns: dict[str, str | None]  # name → description; empty: the shared description of that name

    @property
    def schema_name(self) -> str:
        return "mart" if self.layer == "marts" else "core"

    @property
    def relation(self) -> str:
        return f"{self.schema_name}.{self.name}"

    @property
    def sql_path(self) -> Path:
        return SQL_DIR / self.layer / f"{self.name}.sql"

    def sql(self) -> str:
        return self.sql_path.read_text(encoding="utf-8")


class Manifest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    columns: dict[str, str]  # shared column descriptions
    models: dict[str, Model]

    def description(self, model: str, column: str) -> str:
        """The column's own description, else that of the model it comes from (the first model in
        depends_on that has the column), else the shared one; "" when none."""
        m = self.models[model]
        own = m.columns.get(column)
        if own:
            return own
        for dep in m.depends_on:
            if dep in self.models and column in self.models[dep].columns:
                found = self.description(dep, column)
                if found:
                    return found
        return self.columns.get(column, "")


def _problems(m: Manifest) -> list[str]:
    """Everything that would make a model's declaration and its SQL or table disagree."""
    try:
        TopologicalSorter({n: set(mo.depends_on) for n, mo in m.models.items()}).prepare()
    except CycleError as exc:
        return [f"依赖关系有环：{' → '.join(exc.args[1])}"]
    out: list[str] = []
    for name, model in m.models.items():
        cols = model.columns
        out += [f"{name}.{col}: 没有中文说明" for col in cols if not m.description(name, col)]
        for what, listed in (("keys", model.keys), ("contract", model.contract)):
            out += [f"{name}.{what}: 列 {c} 未在 columns 中声明" for c in listed if c not in cols]
        out += [f"{name}.depends_on: 没有模型 {d}" for d in model.depends_on if d not in m.models]
        out += [f"{name}.sources: 没有表 {t}" for t in model.sources if t not in metadata.tables]
        if model.python is None and not model.sql_path.exists():
            out.append(f"{name}: 缺少 SQL 文件 {model.sql_path.relative_to(SQL_DIR.parent)}")
        if model.python is not None and (model.kind == "view" or model.sql_path.exists()):
            out.append(f"{name}: 由 Python 步骤 {model.python} 生成的模型只能是表，且不能另有 SQL 文件")
        if model.kind == "table":
            table = metadata.tables.get(model.relation)
            if table is None:
                out.append(f"{name}: warehouse/schema.py 中没有表 {model.relation}")
            elif [c.name for c in table.columns] != list(cols):
                out.append(f"{name}: columns 与 warehouse/schema.py 中 {model.relation} 的列（含顺序）不一致")
    declared = {p.relative_to(SQL_DIR) for p in SQL_DIR.glob("*/*.sql")}
    used = {mo.sql_path.relative_to(SQL_DIR) for mo in m.models.values() if mo.python is None}
    out += [f"sql/{p}: 未在 models.yml 中声明" for p in sorted(declared - used)]
    return out


@lru_cache(maxsize=1)
def manifest(path: Path = MANIFEST) -> Manifest:
    """The manifest, checked against the SQL files and warehouse/schema.py (a mistake stops set-up)."""
    hint = "按 sql/models.yml 开头的说明修改"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(raw, dict) and isinstance(raw.get("models"), dict):
            for name, spec in raw["models"].items():
                if isinstance(spec, dict):
                    spec["name"] = name
        parsed = Manifest.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"模型清单无法读取：{path}：{exc}", hint) from exc
    problems = _problems(parsed)
    if problems:
        raise ConfigError(f"模型清单 {path} 有 {len(problems)} 处问题：{'；'.join(problems)}", hint)
    return parsed


def models() -> dict[str, Model]:
    return manifest().models


def model(name: str) -> Model:
    return manifest().models[name]


def names(layer: str, kind: str | None = None) -> tuple[str, ...]:
    """The models of a layer (and kind), in manifest order."""
    return tuple(n for n, m in models().items() if m.layer == layer and (kind is None or m.kind == kind))


def contract_columns(name: str) -> tuple[str, ...]:
    """The columns of a mart that the published reports rely on."""
    return tuple(model(name).contract)


def view_order() -> list[str]:
    """Every view, each after the views it reads (CREATE VIEW needs them to exist)."""
    views = {n: m for n, m in models().items() if m.kind == "view"}
    graph = {n: {d for d in m.depends_on if d in views} for n, m in views.items()}
    return list(TopologicalSorter(graph).static_order())
