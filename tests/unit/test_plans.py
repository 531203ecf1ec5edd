"""City plans: the shipped 玉溪 plan, strict loading with Chinese errors, a city's own plan folder."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from junheng.errors import ConfigError
from junheng.plans import PLAN_DIR, PLAN_DIR_ENV, load_divisions, load_plan, plan_names, read_plan_file

YUXI = yaml.safe_load((PLAN_DIR / "yuxi-2023.yaml").read_text(encoding="utf-8"))


def _write(folder: Path, doc: dict, name: str = "my-city") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_yuxi_plan_as_in_the_document() -> None:
    """The seed: 2023 澄江市、易门县; 2024 峨山县、新平县; 2025 通海县; 2026 华宁县、元江县."""
    plan = load_plan("yuxi-2023")
    assert (plan.city_code, plan.city_name) == ("530400", "玉溪市")
    years = {c.code: c.target_year for c in plan.counties}
    assert years == {
        "530481": 2023,
        "530425": 2023,
        "530426": 2024,
        "530427": 2024,
        "530423": 2025,
        "530424": 2026,
        "530428": 2026,
    }
    assert plan.in_force("2023-05") and not plan.in_force("2023-04")
    assert "yuxi-2023" in plan_names()
    # The issuing document (seed 001: "市人民政府办公室印发了《玉溪市推进全域义务教育优质均衡发展工作实施方案》",
    # the interpretation published 2023-05-29 at yuxi.gov.cn/yxszfxxgk/wjgk18/20230529/1447444.html).
    assert plan.title == "玉溪市推进全域义务教育优质均衡发展工作实施方案"
    assert (plan.issuer, plan.issued_on) == ("玉溪市人民政府办公室", date(2023, 5, 29))
    assert plan.source.endswith("/20230529/1447444.html")


# 玉溪市 (5304) in the national code table, copied by hand from modood/Administrative-divisions-of-China,
# dist/areas.csv at commit 0b7fd75e6bd8fef6c63d7f02cfaf0a39b33fc199 (国家统计局统计用区划代码), rows 530402–530481.
YUXI_NATIONAL = {
    "530402": "红塔区",
    "530403": "江川区",
    "530423": "通海县",
    "530424": "华宁县",
    "530425": "易门县",
    "530426": "峨山彝族自治县",
    "530427": "新平彝族傣族自治县",
    "530428": "元江哈尼族彝族傣族自治县",
    "530481": "澄江市",
}


def test_yuxi_codes_as_in_the_national_table() -> None:
    """The shipped code table and every county of the plan agree with the national table (codes and names)."""
    cities = load_divisions([PLAN_DIR])
    assert cities["530400"].name == "玉溪市" and cities["530400"].counties == YUXI_NATIONAL
    assert {c.code: c.name for c in load_plan("yuxi-2023").counties}.items() <= YUXI_NATIONAL.items()


def test_misspelt_key_is_a_chinese_error_with_the_right_key(tmp_path: Path) -> None:
    doc = {**YUXI, "plan": "my-city"}
    doc["counties"] = [dict(doc["counties"][0])]
    doc["counties"][0]["target_yaer"] = doc["counties"][0].pop("target_year")
    with pytest.raises(ConfigError) as err:
        read_plan_file(_write(tmp_path, doc))
    text = str(err.value)
    assert "未知的键 'target_yaer'" in text and "是不是 target_year" in text and "缺少必填项" in text


def test_misspelt_top_level_key(tmp_path: Path) -> None:
    doc = {**YUXI, "plan": "my-city", "countys": YUXI["counties"]}
    del doc["counties"]
    with pytest.raises(ConfigError, match="未知的键 'countys'，是不是 counties"):
        read_plan_file(_write(tmp_path, doc))


def test_unknown_county_code_is_refused(tmp_path: Path) -> None:
    """530422 was 澄江县's code before it became a city (now 530481): a plan with the old code fails."""
    doc = {**YUXI, "plan": "my-city", "counties": [{"code": "530422", "name": "澄江市", "target_year": 2023}]}
    with pytest.raises(ConfigError) as err:
        read_plan_file(_write(tmp_path, doc))
    assert "玉溪市没有县级代码 530422（澄江市）" in str(err.value) and "530481 澄江市" in str(err.value)


def test_county_name_must_match_its_code(tmp_path: Path) -> None:
    doc = {**YUXI, "plan": "my-city", "counties": [{"code": "530425", "name": "通海县", "target_year": 2025}]}
    with pytest.raises(ConfigError, match="县级代码 530425 是 易门县，文件写的是 通海县"):
        read_plan_file(_write(tmp_path, doc))


def test_code_written_as_a_number_is_refused(tmp_path: Path) -> None:
    doc = {**YUXI, "plan": "my-city", "counties": [{"code": 530425, "name": "易门县", "target_year": 2023}]}
    with pytest.raises(ConfigError, match=r"counties\.0\.code：应为文本"):
        read_plan_file(_write(tmp_path, doc))


def test_duplicate_county_and_file_name(tmp_path: Path) -> None:
    twice = [YUXI["counties"][0], YUXI["counties"][0]]
    with pytest.raises(ConfigError, match="县级代码重复：530481"):
        read_plan_file(_write(tmp_path, {**YUXI, "plan": "my-city", "counties": twice}))
    with pytest.raises(ConfigError, match="plan 应与文件名一致：other"):
        read_plan_file(_write(tmp_path, {**YUXI, "plan": "my-city"}, name="other"))


def test_a_city_adds_its_own_plan_and_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """JUNHENG_PLAN_DIR: a city's plan and its county codes (辽源市, 220400) outside the repository."""
    (tmp_path / "divisions.yaml").write_text(
        yaml.safe_dump(
            {
                "source": "民政部行政区划代码",
                "checked_on": date(2026, 12, 1),
                "cities": {"220400": {"name": "辽源市", "counties": {"220421": "东丰县", "220422": "东辽县"}}},
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    doc = {
        **YUXI,
        "plan": "liaoyuan-2027",
        "city_code": "220400",
        "city_name": "辽源市",
        "counties": [{"code": "220421", "name": "东丰县", "target_year": 2027}],
    }
    _write(tmp_path, doc, "liaoyuan-2027")
    monkeypatch.setenv(PLAN_DIR_ENV, str(tmp_path))
    plan = load_plan("liaoyuan-2027")
    assert [c.name for c in plan.counties] == ["东丰县"]
    assert load_plan("yuxi-2023").city_name == "玉溪市"  # the shipped plans stay available
    with pytest.raises(ConfigError, match="没有名为 'yuxi-2032' 的城市计划，是不是 yuxi-2023"):
        load_plan("yuxi-2032")
