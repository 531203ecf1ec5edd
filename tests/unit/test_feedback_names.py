"""Names of what the feedback step writes: quarantine copies, their CSVs and the schools' workbooks stay
within the file system's 255-byte limit whatever the name a school gave its file (issue 13 item 6)."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook

from tasks.publish.feedback import write_feedback
from tasks.publish.feedback.quarantine import quarantine_name
from tasks.publish.feedback.run import feedback_name
from tests.fixtures import messy
from tests.unit.test_feedback import BAD, GOOD, PERIOD, run, touch

NAME_MAX = 255  # bytes, ext4 and most file systems


def _bytes(name: str) -> int:
    return len(name.encode("utf-8"))


def long_name(n_bytes: int, fill: str = "城", ext: str = ".xlsx") -> str:
    """A file name of exactly ``n_bytes`` UTF-8 bytes: ``fill`` (3 bytes) repeated, padded with "a"."""
    body = n_bytes - _bytes(ext)
    name = fill * (body // 3) + "a" * (body % 3) + ext
    assert _bytes(name) == n_bytes
    return name


def test_quarantine_names_are_bounded_and_keep_the_hash_and_extension() -> None:
    fid = "0123456789abcdef" * 4
    name = long_name(250)
    q = quarantine_name(fid, name)
    # 12 hex + "-" + at most 150 bytes; the CSV beside it adds 16 bytes.
    assert q.startswith("0123456789ab-城城") and q.endswith(".xlsx")
    assert _bytes(q) <= 12 + 1 + 150 and _bytes(q + ".问题清单.csv") <= NAME_MAX
    # A short name is kept as it is.
    assert quarantine_name(fid, "城关第一学校.xlsx") == "0123456789ab-城关第一学校.xlsx"


def test_a_rejected_file_with_a_250_byte_name_is_quarantined_and_every_school_gets_its_feedback(
    warehouse_url: str, tmp_path: Path
) -> None:
    data, out, box = tmp_path / "data", tmp_path / "out", tmp_path / "inbox"
    first = datetime(2026, 11, 2, 9, 0)
    good = messy.write_clean(box / "城关第一学校.xlsx", messy.clean_return(GOOD, 0))
    bad_ret = messy.clean_return(BAD, 1)
    broken = messy.BROKEN[[b.case for b in messy.BROKEN].index("total_row_mismatch")]
    built = broken.build(messy.write_clean(tmp_path / "src" / "bad.xlsx", bad_ret), bad_ret, tmp_path / "b" / "x")
    bad = built.rename(box / long_name(250))
    run(warehouse_url, data, [touch(good, first), touch(bad, first)])

    paths = write_feedback(warehouse_url, PERIOD, out, data)

    q = data / "quarantine" / PERIOD
    kept = [p for p in q.iterdir() if not p.name.endswith(".csv")]
    assert len(kept) == 1 and kept[0].read_bytes() == bad.read_bytes()
    assert kept[0].name.endswith(".xlsx") and _bytes(kept[0].name) <= 163
    report = q / (kept[0].name + ".问题清单.csv")
    with open(report, encoding="utf-8-sig") as fh:
        lines = list(csv.reader(fh))
    assert any(r[1] == "D9" and "合计" in r[2] for r in lines[1:])
    assert not [p for p in q.iterdir() if p.name.endswith(".part")]
    # The school's feedback and the bureau's 报送情况 are written.
    assert (out / PERIOD / "feedback" / f"{BAD}-反馈.xlsx").is_file()
    rows = {r[0]: r for r in load_workbook(paths["overview"])["报送情况"].iter_rows(min_row=2, values_only=True)}
    assert rows[bad.name][2] == "退回" and rows[good.name][2] == "已入库"


def test_feedback_names_are_bounded_in_bytes_and_stay_readable() -> None:
    fid = "fedcba9876543210" * 4
    taken: set[str] = set()
    # 62 four-byte characters (CJK Extension B) + ".xlsx" = 253 bytes, a legal name; 80 characters of
    # it would be 320 bytes.
    wide = "𠀀" * 62 + ".xlsx"
    assert _bytes(wide) == 253
    first = feedback_name("", wide, taken, fid)
    again = feedback_name("", wide, taken, "0" * 64)
    for name in (first, again):
        # The atomic writer's temporary name (".<name>.<pid>.<8 hex>.tmp") must fit as well.
        assert _bytes(name) <= 200 and name.endswith("-反馈.xlsx") and name.startswith("𠀀𠀀𠀀")
    assert again != first and "-00000000-反馈.xlsx" in again
    # A school code is the name, as before; the second file of the school gets its hash.
    assert feedback_name(BAD, long_name(250), taken, fid) == f"{BAD}-反馈.xlsx"
    assert feedback_name(BAD, "x.xlsx", taken, fid) == f"{BAD}-fedcba98-反馈.xlsx"
    # Characters no file system takes are replaced; a name never becomes a hidden file.
    assert feedback_name("", ".隐藏:文件?.xlsx", set(), fid) == "隐藏_文件_-反馈.xlsx"


def test_unreadable_files_with_long_names_get_their_feedback(warehouse_url: str, tmp_path: Path) -> None:
    """Two files a school cannot have meant as returns (not workbooks), of the same 250-byte name in two
    folders: no school code, so the feedback is named after the file, cut, and the second one hashed."""
    data, out, box = tmp_path / "data", tmp_path / "out", tmp_path / "inbox"
    name = long_name(250)
    files = []
    for i, folder in enumerate(("甲", "乙")):
        p = box / folder / name
        p.parent.mkdir(parents=True)
        p.write_bytes(f"这不是报表 {i}".encode())
        files.append(touch(p, datetime(2026, 11, 2, 9, i)))
    run(warehouse_url, data, files)

    paths = write_feedback(warehouse_url, PERIOD, out, data)

    written = sorted(p.name for p in (out / PERIOD / "feedback").iterdir())
    assert len(written) == 2 and all(n.startswith("城城城") and _bytes(n) <= 200 for n in written)
    rows = list(load_workbook(paths["overview"])["报送情况"].iter_rows(min_row=2, values_only=True))
    assert sorted(r[8] for r in rows if r[0] == name) == written
