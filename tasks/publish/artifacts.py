"""Publish the period's reports and the run summary as Prefect artifacts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from junheng.settings import DEFAULT_COUNTY_CODE, Settings
from tasks.publish.period_report import publish_reports, summary_markdown
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
    cv = marts["county_cv"][["section", "indicator_code", "cv", "cv_limit", "meets", "n_units"]]
    create_table_artifact(
        key=f"junheng-cv-{scope}", table=cv.to_dict(orient="records"), description=f"{period} 校际差异系数"
    )


def publish_with_artifacts(
    period: str, marts: dict[str, pd.DataFrame], out_dir: Path, settings: Settings, summary: dict[str, object]
) -> dict[str, Path]:
    paths = publish(period, marts, out_dir, settings, summary)
    publish_artifacts(period, marts, summary)
    return paths
