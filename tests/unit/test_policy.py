"""Policy files: strict loading, overlapping validity, overlays (add/tighten, never loosen), dates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from junheng.errors import ConfigError
from junheng.policy import (
    NATIONAL_CODES,
    POLICY_DIR,
    Rule,
    clear_cache,
    load_rules,
    rules_in_force,
)

NATIONAL = (POLICY_DIR / "national-2017.yaml").read_text(encoding="utf-8")


def _dir(tmp_path: Path, **files: str) -> str:
    d = tmp_path / "policy"
    d.mkdir(exist_ok=True)
    for name, text in files.items():
        (d / f"{name}.yaml").write_text(text, encoding="utf-8")
    clear_cache()
    return str(d)


def _file(name: str, rules: str, overlay: bool = False) -> str:
    head = f"policy: {name}\nsource: 测试文件\n" + ("overlay: true\n" if overlay else "")
    return head + "rules:\n" + rules


G7 = "  - {{code: G7, kind: reported, measure: value, scope: county, section: all, comparator: ge, value: {v}, unit: 元/生, valid_from: {f}{to}}}\n"  # noqa: E501


def g7(v: float, f: str, to: str = "") -> str:
    return G7.format(v=v, f=f, to=f", valid_to: {to}" if to else "")


def test_national_file_covers_every_indicator_and_veto() -> None:
    rules = rules_in_force("2026-10", overlays=())
    codes = {r.code for r in rules}
    assert set(NATIONAL_CODES) <= codes
    assert len(NATIONAL_CODES) == 32  # 7 + 15 + 9 + 1: the "31 indicators" plus S1
    assert {"V1", "V2", "V3", "V4", "V5", "V6"} <= codes
    parts = {r.code: r.part for r in rules}
    assert (parts["R3"], parts["G11"], parts["Q9"], parts["S1"], parts["V2"]) == (
        "资源配置",
        "政府保障程度",
        "教育质量",
        "社会认可度",
        "否决",
    )
    kinds = {r.code: r.kind for r in rules}
    assert [kinds[c] for c in ("G3", "G7", "G1", "V1")] == ["computed", "reported", "evidence", "veto"]


def test_no_rule_before_the_2017_document() -> None:
    assert rules_in_force("2017-03", overlays=()) == []


def test_unknown_key_is_a_load_error(tmp_path: Path) -> None:
    bad = _file(
        "x",
        "  - {code: G7, measure: value, scope: county, section: all, comparator: ge, value: 1, "
        "unit: 元, valid_from: 2017-04-01, threshold: 6000}\n",
    )
    with pytest.raises(ConfigError, match="threshold"):
        load_rules(_dir(tmp_path, x=bad), overlays=())


def test_unknown_key_in_the_file_header_is_a_load_error(tmp_path: Path) -> None:
    bad = "policy: x\nsource: s\nregion: 汶上县\nrules: []\n"
    with pytest.raises(ConfigError, match="region"):
        load_rules(_dir(tmp_path, x=bad), overlays=())


def test_overlapping_validity_is_a_load_error(tmp_path: Path) -> None:
    text = _file("x", g7(6000, "2017-04-01") + g7(8000, "2026-01-01"))
    with pytest.raises(ConfigError, match="有效期重叠"):
        load_rules(_dir(tmp_path, x=text), overlays=())


def test_overlap_across_two_national_files_is_a_load_error(tmp_path: Path) -> None:
    d = _dir(tmp_path, a=_file("a", g7(6000, "2017-04-01")), b=_file("b", g7(8000, "2026-01-01")))
    with pytest.raises(ConfigError, match="有效期重叠"):
        load_rules(d, overlays=())


def test_successive_rules_switch_on_the_first_day_of_the_period(tmp_path: Path) -> None:
    d = _dir(tmp_path, x=_file("x", g7(6000, "2017-04-01", "2026-10-01") + g7(8000, "2026-10-01")))
    assert [r.value for r in rules_in_force("2026-09", d, overlays=())] == [6000]
    assert [r.value for r in rules_in_force("2026-10", d, overlays=())] == [8000]


def test_overlay_tightens_only_while_in_force(tmp_path: Path) -> None:
    d = _dir(
        tmp_path,
        national=_file("national", g7(6000, "2017-04-01")),
        local=_file("local", g7(8000, "2022-09-01", "2025-01-01"), overlay=True),
    )
    assert [r.value for r in rules_in_force("2022-08", d, overlays=("local",))] == [6000]
    [r] = rules_in_force("2023-05", d, overlays=("local",))
    assert (r.value, r.policy, r.overlay) == (8000, "local", True)
    assert [r.value for r in rules_in_force("2025-01", d, overlays=("local",))] == [6000]
    # Not selected: national only.
    assert [r.value for r in rules_in_force("2023-05", d, overlays=())] == [6000]


def test_overlay_may_not_loosen(tmp_path: Path) -> None:
    d = _dir(
        tmp_path,
        national=_file("national", g7(6000, "2017-04-01")),
        local=_file("local", g7(5999.99, "2022-09-01"), overlay=True),
    )
    assert [r.value for r in rules_in_force("2023-05", d, overlays=())] == [6000]  # harmless when not selected
    with pytest.raises(ConfigError, match="宽松"):
        load_rules(d, overlays=("local",))


def test_unknown_overlay_is_a_load_error(tmp_path: Path) -> None:
    d = _dir(tmp_path, national=_file("national", g7(6000, "2017-04-01")))
    with pytest.raises(ConfigError, match="不存在"):
        load_rules(d, overlays=("nowhere-2030",))


def test_overlay_selected_by_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = _dir(
        tmp_path,
        national=_file("national", g7(6000, "2017-04-01")),
        local=_file("local", g7(7000, "2022-09-01"), overlay=True),
    )
    monkeypatch.setenv("JUNHENG_POLICY_OVERLAYS", "local")
    assert [r.value for r in rules_in_force("2023-05", d)] == [7000]
    monkeypatch.setenv("JUNHENG_POLICY_DIR", d)
    monkeypatch.setenv("JUNHENG_POLICY_OVERLAYS", "")
    assert [r.value for r in rules_in_force("2023-05")] == [6000]


def test_wenshang_overlay_adds_local_targets_from_september_2022() -> None:
    before = {r.code for r in rules_in_force("2022-08", overlays=("wenshang-2022",))}
    after = {r.code: r for r in rules_in_force("2022-09", overlays=("wenshang-2022",))}
    assert not {"L1", "L2", "L3", "L4"} & before
    assert (after["L1"].value, after["L2"].value, after["L3"].value, after["L4"].value) == (55, 98, -0.5, 20)
    assert after["L3"].comparator == "le" and after["L1"].part == "地方目标"
    # Restated national rules come from the local plan now, with the same numbers.
    g15 = [r for r in rules_in_force("2022-09", overlays=("wenshang-2022",)) if r.code == "G15"]
    assert [(r.value, r.policy) for r in g15] == [(85, "wenshang-2022")]


def _rule(comparator: str, value: float) -> Rule:
    return Rule(
        code="G7",
        measure="value",
        scope="county",
        section="all",
        comparator=comparator,  # type: ignore[arg-type]
        value=value,
        unit="元",
        valid_from=date(2017, 4, 1),
    )


@pytest.mark.parametrize(
    ("a", "b", "stricter"),
    [
        (("ge", 8000), ("ge", 6000), True),
        (("ge", 6000), ("ge", 6000), True),
        (("gt", 6000), ("ge", 6000), True),
        (("ge", 6000), ("gt", 6000), False),
        (("ge", 5000), ("ge", 6000), False),
        (("le", 40), ("le", 45), True),
        (("le", 45), ("lt", 45), False),
        (("le", 45), ("ge", 45), False),
    ],
)
def test_at_least_as_strict(a: tuple[str, float], b: tuple[str, float], stricter: bool) -> None:
    assert _rule(*a).at_least_as_strict_as(_rule(*b)) is stricter


def test_threshold_itself_passes_and_the_next_value_does_not() -> None:
    assert _rule("ge", 6000).passes(6000.0) and not _rule("ge", 6000).passes(5999.999)
    assert _rule("lt", 0.15).passes(0.149) and not _rule("lt", 0.15).passes(0.15)


def test_name_is_required_for_codes_outside_the_31() -> None:
    with pytest.raises(ValueError, match="name_zh"):
        Rule(
            code="L9",
            measure="rate",
            scope="county",
            section="all",
            comparator="ge",
            value=1,
            unit="%",
            valid_from=date(2022, 9, 1),
        )


def test_cli_policy_show_prints_the_rules_in_force(capsys: pytest.CaptureFixture[str]) -> None:
    from cli import main

    assert main(["policy", "show", "--period", "2026-10"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "2026-10 生效的规则 69 条（地方政策：无）："
    assert "G7    政府保障程度 县级填报  全部  特殊教育学校生均公用经费：全县指标值 ≥ 6000 元/生" in out
    assert "R1    资源配置   计算    小学  每百名学生拥有高于规定学历教师数：全县校际差异系数 ≤ 0.5" in out
    # people's words: no measure ids, policy file names or confidence tokens (issue 12)
    for token in ("value", "cv", "national-2017", "corroborated", "likely", "R_MIN_MET", "R_FLOOR"):
        assert token not in out, token
    assert "依据：教督〔2017〕6号《县域义务教育优质均衡发展督导评估办法》，2017-04-01 起" in out
    assert main(["policy", "show", "--period", "2017-03"]) == 0
    assert capsys.readouterr().out.startswith("2017-03 生效的规则 0 条")


def test_cli_writes_the_county_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cli import main
    from tasks.read.sheets import county_sheet
    from tasks.read.workbook import load_sheets

    assert main(["template", "--county", str(tmp_path / "county.xlsx")]) == 0
    assert county_sheet(load_sheets(str(tmp_path / "county.xlsx"))) is not None
