"""Publish the period's reports and the run summary as Prefect artifacts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from junheng.policy import code_order
from junheng.settings import DEFAULT_COUNTY_CODE, Settings
from junheng.spec import SECTION_LABELS
from tasks.publish.cells import as_flag, num, yes_no
from tasks.publish.period_report import publish_reports, summary_markdown
from tasks.publish.period_report.labels import indicator_label
from tasks.publish.summary import choices_text


def publish(
    period: str, marts: dict[str, pd.DataFrame], out_dir: Path, settings: Settings, summary: dict[str, object]
) -> dict[str, Path]:
    return publish_reports(
        period, marts, out_dir, county=settings.county, choices=choices_text(settings), summary=summary
    )


def publish_artifacts(period: str, marts: dict[str, pd.DataFrame], summary: dict[str, object]) -> None:
    """Artifact keys may hold only lowercase letters, digits and dashes; with a county code set, each
    county keeps its own latest artifact (the keys of a single county stay as they were)."""
    code = str(summary.get("county_code") or DEFAULT_COUNTY_CODE)
    scope = period if code == DEFAULT_COUNTY_CODE else f"{code}-{period}"
    create_markdown_artifact(
        key=f"junheng-summary-{scope}",
        markdown=summary_markdown(period, marts, summary),
        description=f"{period} 运行概要",
    )
    create_table_artifact(
        key=f"junheng-cv-{scope}", table=cv_table(marts["county_cv"]), description=f"{period} 校际差异系数"
    )


def cv_table(cv: pd.DataFrame) -> list[dict[str, object]]:
    """The CVs as people read them: Chinese column names, 小学 before 初中, the CV rounded only for display."""
    order = {"primary": 0, "junior": 1}
    rows = sorted(
        cv.to_dict("records"), key=lambda r: (order.get(str(r["section"]), 9), code_order(str(r["indicator_code"])))
    )
    return [
        {
            "学段": SECTION_LABELS.get(str(r["section"]), str(r["section"])),
            "指标": indicator_label(str(r["indicator_code"])),
            "差异系数": "" if num(r["cv"]) is None else f"{num(r['cv']):.3f}",
            "标准": "" if num(r["cv_limit"]) is None else f"≤{num(r['cv_limit']):.2f}",
            "是否达标": yes_no(as_flag(r["meets"]), "未计算"),
            "学校数": "" if num(r["n_units"]) is None else f"{num(r['n_units']):.0f}",
        }
        for r in rows
    ]


def publish_with_artifacts(
    period: str, marts: dict[str, pd.DataFrame], out_dir: Path, settings: Settings, summary: dict[str, object]
) -> dict[str, Path]:
    paths = publish(period, marts, out_dir, settings, summary)
    publish_artifacts(period, marts, summary)
    return paths
