"""Words and numbers as the report shows them: sheet names, Chinese labels, the run's choices, formats."""

from __future__ import annotations

from collections.abc import Mapping

from expectations.messages import RULE_NAMES_ZH, VIOLATIONS_COUNTED
from junheng.policy import INDICATOR_NAMES, R_CODES
from junheng.spec import SECTION_CODES, SECTION_LABELS
from tasks.publish.cells import as_text

SHEET_SUMMARY = "概要"
SHEET_SCHOOLS = "学校指标"
SHEET_CV = "差异系数"
SHEET_RETURNS = "报送情况"
SHEET_ISSUES = "问题清单"
SHEET_NAMES = (SHEET_SUMMARY, SHEET_SCHOOLS, SHEET_CV, SHEET_RETURNS, SHEET_ISSUES)
SHEET_OVERVIEW = "评估总览"  # all 31 indicators and the vetoes; only when the marts carry the county scorecard

SEVERITY_LABELS = {"error": "错误", "violation": "未达标", "warning": "警告", "info": "提示"}
STATUS_LABELS = {"loaded": "已入库", "rejected": "已拒收", "superseded": "已被新版本替换", "missing": "逾期未报"}

# Display decimals per indicator (R6 is in 元 per student).
DECIMALS = {code: (0 if code == "R6" else 2) for code in R_CODES}


def section_label(code: object) -> str:
    return SECTION_LABELS.get(as_text(code), as_text(code))


def section_order() -> list[str]:
    return [SECTION_CODES[s] for s in ("小学", "初中")]


def fmt(v: float | None, decimals: int) -> str:
    if v is None:
        return "—"
    return f"{v:,.{decimals}f}" if abs(v) >= 10000 else f"{v:.{decimals}f}"


def limit_text(limit: float | None) -> str:
    return "" if limit is None else f"≤{limit:.2f}"


def _flag_text(value: object, yes: str, no: str) -> str:
    """A yes/no choice as its sentence; a choice that already is a sentence (summary.choices_text) as it is."""
    word = as_text(value).lower()
    if isinstance(value, bool) or word in ("true", "false", "1", "0", "是", "否", "yes", "no"):
        flag = value if isinstance(value, bool) else word in ("true", "1", "是", "yes")
        return yes if flag else no
    return as_text(value)


def describe_choices(choices: Mapping[str, object]) -> list[tuple[str, str]]:
    """The policy choices of this run as (label, Chinese explanation) lines."""
    out: list[tuple[str, str]] = []
    rest = dict(choices)
    method = as_text(rest.pop("cv_method", "weighted"))
    out.append(
        (
            "差异系数计算方法",
            {
                "weighted": "差异系数按在校生数加权（教督〔2017〕6号口径）",
                "unweighted": "差异系数不加权（各校算术平均，非官方口径）",
            }.get(method, method),
        )
    )
    tp = rest.pop("teaching_point_policy", None)
    n_min = rest.pop("teaching_point_min_students", None)
    if tp is not None:
        n_txt = as_text(n_min) or "50"
        out.append(
            (
                "教学点处理",
                {
                    "exclude_under_50": f"在校生不足 {n_txt} 人的教学点不计入指标和差异系数，"
                    f"{n_txt} 人及以上的作为独立单元",
                    "merge": "教学点的学生和资源并入所属学校",
                }.get(as_text(tp), as_text(tp)),
            )
        )
    elif n_min is not None:
        out.append(("教学点最少学生数", as_text(n_min)))
    private = rest.pop("private_in_cv", None)
    if private is not None:
        out.append(("民办学校", _flag_text(private, "计入差异系数", "列出指标，但不计入差异系数")))
    in_rule = rest.pop("private_in_school_rule", None)
    if in_rule is not None:
        text = _flag_text(in_rule, "公办和民办学校单元", "公办学校单元（民办学校单元也评价并列出，但不计入）")
        out.append(("学校达标规则的统计范围", text))
    r3 = rest.pop("r3_art_teachers", None)
    if r3 is not None:
        art = {"music_art": "音乐、美术", "all_art": "音乐、美术及其他艺术学科"}.get(as_text(r3), as_text(r3))
        out.append(("R3 艺术教师口径", art))
    out.extend((k, as_text(v)) for k, v in rest.items())
    return out


def rule_name(rule: object) -> str:
    """A finding's rule as people call it: 分项大于总数, R3 每百名学生拥有…; never the rule id."""
    rule = as_text(rule)
    if rule in RULE_NAMES_ZH:
        return RULE_NAMES_ZH[rule]
    code = rule.split(".", 1)[0]
    if code in INDICATOR_NAMES:
        return indicator_label(code)
    return "其他问题"


def indicator_label(code: str) -> str:
    """'R3 每百名学生拥有体育、艺术（美术、音乐）专任教师数'."""
    return f"{code} {INDICATOR_NAMES[code]}" if code in INDICATOR_NAMES else code


def _n(summary: Mapping[str, object], key: str) -> int:
    v = summary.get(key)
    return int(v) if isinstance(v, int | float) and not isinstance(v, bool) else 0


def describe_summary(summary: Mapping[str, object]) -> list[tuple[str, str]]:
    """The run's counts as labelled lines that add up (收到 = 入库 + 退回 + 被替代); ids and lists never shown."""
    out: list[tuple[str, str]] = []
    has = summary.__contains__
    if has("files_received"):
        n, county = _n(summary, "files_received"), _n(summary, "files_county")
        loaded = _n(summary, "files_loaded")
        parts = [f"学校报表入库 {loaded - county} 份"] + ([f"县级报表入库 {county} 份"] if county else [])
        parts += [f"退回 {_n(summary, 'files_rejected')} 份", f"被新版本替代 {_n(summary, 'files_superseded')} 份"]
        out.append(("收到文件（本期累计）", f"{n} 份 = " + " + ".join(parts)))
    if has("files_read"):
        out.append(
            ("本次运行读取", f"{_n(summary, 'files_read')} 份学校报表（不含县级报表；重新运行时只读取新到的文件）")
        )
    if has("schools_missing"):
        out.append(("逾期未报学校", f"{_n(summary, 'schools_missing')} 所"))
    if has("units") and has("units_passing"):
        units, passing, unknown = _n(summary, "units"), _n(summary, "units_passing"), _n(summary, "units_not_reported")
        text = f"{units} 个 = 达标 {passing} 个 + 未达标 {units - passing - unknown} 个"
        out.append(("学校单元（学校×学段）", text + (f" + 缺少达标判定 {unknown} 个" if unknown else "")))
    if has("cv_indicators"):
        fails = summary.get("cv_fail")
        names = [as_text(x) for x in fails] if isinstance(fails, list | tuple) else []
        text = f"{_n(summary, 'cv_indicators')} 项，未达标 {len(names)} 项" + ("：" + "、".join(names) if names else "")
        out.append(("校际差异系数", text))
    if has("violations"):
        out.append(
            (
                "学校指标未达标记录",
                f"{_n(summary, 'violations')} 条（{VIOLATIONS_COUNTED}；明细见“{SHEET_ISSUES}”）",
            )
        )
    if has("alerts_opened"):
        out.append(
            (
                "预警",
                f"本次新增 {_n(summary, 'alerts_opened')} 条，有变化 {_n(summary, 'alerts_changed')} 条，"
                f"解除 {_n(summary, 'alerts_resolved')} 条；目前未解除 {_n(summary, 'alerts_open_total')} 条"
                "（含本次新增）",
            )
        )
    if summary.get("notifications_pending"):
        out.append(("待发送通知", f"{_n(summary, 'notifications_pending')} 条"))
    return out
