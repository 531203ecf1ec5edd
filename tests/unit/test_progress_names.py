"""Every pipeline stage the command prints has a Chinese name (a new task without one printed its id)."""

from __future__ import annotations

import importlib
import pkgutil

from prefect import Task

import tasks
from cli.progress import STAGES


def _task_names() -> set[str]:
    names = set()
    for stage in pkgutil.iter_modules(tasks.__path__):
        try:
            module = importlib.import_module(f"tasks.{stage.name}.prefect_tasks")
        except ModuleNotFoundError:
            continue
        names |= {obj.name for obj in vars(module).values() if isinstance(obj, Task)}
    return names


def test_every_task_has_a_chinese_stage_name() -> None:
    names = _task_names()
    assert "read-returns" in names and "record-received" in names  # the scan sees the stages' tasks
    assert sorted(names - STAGES.keys()) == []


def test_stage_names_are_chinese() -> None:
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in label) for label in STAGES.values())
