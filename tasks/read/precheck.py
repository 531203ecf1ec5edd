"""Whether a small inbox can be parsed in the run's own process instead of capped worker processes.

Worker processes guard the run against a file that aborts, balloons or spins its parser; starting
them (forkserver, imports in each worker) costs seconds, far more than parsing a county's few dozen
returns. Issue 13 allows either guard: workers with limits, or a check of each sheet's extent before
anything is allocated. So a file is parsed here only when it passes that check with room to spare:
an .xlsx of ordinary size whose zip is intact and whose sheets together ask for a grid no larger
than a return ever needs. Anything else (a .xls, an HTML table, a damaged or oversized workbook)
sends the whole batch to the workers, where the same checks name what is wrong.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from junheng.contract import ReceivedFile
from tasks.read.extent import sheet_extent
from tasks.read.zip_checks import ZIP_MAGIC, check_zip

# A county's inbox is a few dozen files; beyond this many the workers' start-up is a small share.
IN_PROCESS_MAX_FILES = int(os.environ.get("JUNHENG_READ_IN_PROCESS_MAX", "200"))
# A return is a few hundred KB, its sheets a few thousand cells and well under a few MB of XML:
# these bounds are far above that and far below what could hurt the run's process.
IN_PROCESS_MAX_BYTES = 4 << 20
IN_PROCESS_MAX_XML_BYTES = 32 << 20
IN_PROCESS_MAX_CELLS = 200_000  # all sheets of one file together


def fits_in_process(rf: ReceivedFile) -> bool:
    """True when parsing this file cannot allocate more than a return needs (checked on its bytes)."""
    if rf.isolate_parse:
        return False  # an earlier run died with this file undecided (tasks.ingest.received): workers only
    if rf.refused or not rf.archive_path:
        return True  # never opened: the reader only records why
    try:
        if os.path.getsize(rf.archive_path) > IN_PROCESS_MAX_BYTES:
            return False
        with open(rf.archive_path, "rb") as fh:
            if not fh.read(len(ZIP_MAGIC)).startswith(ZIP_MAGIC):
                return False  # .xls, HTML, anything else: the workers' reader sniffs it
        parts = check_zip(rf.archive_path)  # every part inflated in bounded steps: bombs and damage raise
    except Exception:  # unreadable, damaged, a zip bomb: the workers' reader reports it
        return False
    if parts is None or sum(len(v) for v in parts.values()) > IN_PROCESS_MAX_XML_BYTES:
        return False
    sheets = [v for k, v in parts.items() if k.startswith("xl/worksheets/")]
    return bool(sheets) and sum(sheet_extent(xml).cells for xml in sheets) <= IN_PROCESS_MAX_CELLS


def small_and_safe(files: Sequence[ReceivedFile]) -> bool:
    """A batch small enough that workers cost more than they save, every file passing fits_in_process."""
    return len(files) <= IN_PROCESS_MAX_FILES and all(fits_in_process(rf) for rf in files)
