"""Numbers, periods and dates as people type them into returns (tasks/numbers.py)."""

from __future__ import annotations

import math
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tasks.read.numbers import (
    NumberError,
    ValueFormatError,
    is_excel_error,
    parse_date,
    parse_number,
    parse_period,
)

FULL_WIDTH = str.maketrans("0123456789,", "０１２３４５６７８９，")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (45, 45.0),
        (45.5, 45.5),
        ("45", 45.0),
        (" 45 ", 45.0),
        ("1,234", 1234.0),
        ("1,234,567.5", 1234567.5),
        ("１２３", 123.0),
        ("１，２３４", 1234.0),
        ("45人", 45.0),
        ("45 人", 45.0),
        ("3.5万", 35000.0),
        ("12间", 12.0),
        ("300平方米", 300.0),
        ("300㎡", 300.0),
        ("300m2", 300.0),
        ("0", 0.0),
        ("-5", -5.0),  # negative counts are a validation matter, not a reading one
    ],
)
def test_numbers_typed_as_text(cell: object, expected: float) -> None:
    assert parse_number(cell) == expected


@pytest.mark.parametrize("cell", [None, "", "   ", "—", "——", "-", "－", "/", "--"])
def test_dashes_and_blanks_are_missing(cell: object) -> None:
    assert parse_number(cell) is None


@pytest.mark.parametrize("cell", ["#REF!", "#DIV/0!", "#VALUE!", "#N/A", " #ref! "])
def test_excel_errors(cell: str) -> None:
    with pytest.raises(NumberError) as e:
        parse_number(cell)
    assert e.value.rule == "value.excel_error"
    assert is_excel_error(cell)


@pytest.mark.parametrize("cell", ["abc", "四十五", "1,2", "12..5", "nan", "inf", "45%", True, date(2026, 1, 1)])
def test_not_a_number(cell: object) -> None:
    with pytest.raises(NumberError) as e:
        parse_number(cell)
    assert e.value.rule == "value.not_a_number"
    assert "请填写数字" in e.value.fix
    assert str(cell).strip() in e.value.reason


def test_money_suffix_follows_the_column_unit() -> None:
    # In a 万元 column "3.5万" and "3.5万元" are 3.5 (the unit itself); 5000元 is 0.5 万元.
    assert parse_number("3.5万", "万元") == 3.5
    assert parse_number("3.5万元", "万元") == 3.5
    assert parse_number("5000元", "万元") == 0.5
    # In a 元 column "3.5万" is 35000.
    assert parse_number("3.5万", "元") == 35000.0
    assert parse_number("3.5万元", "元") == 35000.0
    assert parse_number("800元", "元") == 800.0


@given(st.integers(min_value=0, max_value=10**12))
def test_thousands_separators_parse_back(n: int) -> None:
    assert parse_number(f"{n:,}") == n


@given(st.integers(min_value=0, max_value=10**12))
def test_full_width_digits_parse_back(n: int) -> None:
    assert parse_number(f"{n:,}".translate(FULL_WIDTH)) == n
    assert parse_number(str(n).translate(FULL_WIDTH)) == n


@given(
    st.integers(min_value=0, max_value=10**9),
    st.text(alphabet=" \t\u3000", max_size=3),
    st.text(alphabet=" \t\u3000", max_size=3),
    st.sampled_from(["", "人", "名", "个", "间", "平方米", "㎡"]),
)
def test_spaces_and_unit_words_parse_back(n: int, left: str, right: str, unit: str) -> None:
    assert parse_number(f"{left}{n}{unit}{right}") == n


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False).map(lambda v: round(v, 2)))
def test_wan_scales_by_ten_thousand(v: float) -> None:
    assert math.isclose(parse_number(f"{v}万") or 0.0, v * 10000, rel_tol=1e-12, abs_tol=1e-9)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2026-10", "2026-10"),
        ("2026-9", "2026-09"),
        ("2026年10月", "2026-10"),
        ("2026 年 10 月", "2026-10"),
        ("2026.10", "2026-10"),
        ("2026/10", "2026-10"),
        ("202610", "2026-10"),
        ("２０２６－１０", "2026-10"),
        ("2026-10-01", "2026-10"),
        (date(2026, 10, 1), "2026-10"),
        (datetime(2026, 10, 15, 8, 30), "2026-10"),
        (2026.11, "2026-11"),
        (202610, "2026-10"),
        (46296, "2026-10"),  # Excel serial of 2026-10-01 in a General-formatted cell
        (None, None),
        ("", None),
    ],
)
def test_periods(cell: object, expected: str | None) -> None:
    assert parse_period(cell) == expected


@pytest.mark.parametrize("cell", ["下个月", "2026-13", "10月", "2026", 2026.1])
def test_bad_periods(cell: object) -> None:
    with pytest.raises(ValueFormatError) as e:
        parse_period(cell)
    assert e.value.rule == "value.bad_period"
    assert "2026-10" in e.value.fix


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2026-10-05", date(2026, 10, 5)),
        ("2026/10/5", date(2026, 10, 5)),
        ("2026年10月5日", date(2026, 10, 5)),
        ("2026.10.05", date(2026, 10, 5)),
        ("20261005", date(2026, 10, 5)),
        (datetime(2026, 10, 5, 9, 0), date(2026, 10, 5)),
        (date(2026, 10, 5), date(2026, 10, 5)),
        (46300, date(2026, 10, 5)),  # 46296 = 2026-10-01, +4 days
        (None, None),
        ("  ", None),
    ],
)
def test_dates(cell: object, expected: date | None) -> None:
    assert parse_date(cell) == expected


@pytest.mark.parametrize("cell", ["昨天", "2026-02-30", "10/5", 3.5])
def test_bad_dates(cell: object) -> None:
    with pytest.raises(ValueFormatError) as e:
        parse_date(cell)
    assert e.value.rule == "value.bad_date"


# --- properties: any cell gives a number, "empty", or a NumberError — never anything else ------


@given(st.one_of(st.text(max_size=30), st.integers(), st.floats(), st.booleans(), st.none(), st.dates()))
def test_any_cell_reads_or_raises_a_number_error(cell: object) -> None:
    try:
        v = parse_number(cell)
    except NumberError as e:
        assert e.rule in ("value.not_a_number", "value.excel_error") and e.fix
        return
    assert v is None or (isinstance(v, float) and math.isfinite(v))


@given(
    st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.booleans(),
)
def test_typed_decimals_parse_back(d: object, full_width: bool, grouped: bool) -> None:
    from decimal import Decimal

    assert isinstance(d, Decimal)
    text = f"{d:,.2f}" if grouped else f"{d:.2f}"
    if full_width:
        text = text.translate(FULL_WIDTH)
    assert parse_number(text) == float(f"{d:.2f}")


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(["万元", "元"]))
def test_money_in_the_columns_unit_is_unchanged(n: int, unit: str) -> None:
    assert parse_number(f"{n}{unit}", unit) == float(n)


@pytest.mark.parametrize("cell", ["٣٠", "४५", "٢٠٢٦-١٠"])
def test_only_ascii_or_full_width_digits_are_numbers(cell: str) -> None:
    """Arabic-Indic or Devanagari digits pass \\d and float(); a return never means them (issue 13)."""
    with pytest.raises(NumberError):
        parse_number(cell)


def test_full_width_digits_still_read_as_typed_with_a_chinese_input_method() -> None:
    assert parse_number("４５") == 45.0
    assert parse_period("２０２６-１０") == "2026-10"


@pytest.mark.parametrize("cell", ["٢٠٢٦-١٠", "2026-1٠", "２０２６年١٠月"])
def test_periods_take_ascii_digits_only(cell: str) -> None:
    with pytest.raises(ValueFormatError):
        parse_period(cell)
