"""`junheng …` with a pause inside the load transaction, for tests/integration/test_failures.py.

Usage: python paused_run.py MARKER_FILE junheng-arguments…  The model run of the load is wrapped:
once it has run (the transaction still open), the process writes its pid to MARKER_FILE and sleeps,
so the test can SIGKILL it mid-load. Production code carries no test hook for this.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout, as pytest's pythonpath = ["."]

import tasks.model.load as load
from cli import main

_compute_period = load.compute_period


def _compute_then_pause(*args: Any, **kwargs: Any) -> None:
    _compute_period(*args, **kwargs)
    Path(sys.argv[1]).write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(600)


if __name__ == "__main__":
    load.compute_period = _compute_then_pause  # type: ignore[assignment]
    sys.exit(main(sys.argv[2:]))
