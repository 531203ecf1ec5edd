"""The checks service `junheng server start` keeps running (GX loaded once): a county's run sends its checks
there and gets exactly what it would find itself; a service that runs other code, has gone or answers to
another key is not used, and the run checks in its own processes instead (issue 14 item 1).

A real service process per module (expectations.checks_service on a loopback port, started as the CLI
starts it); its start-up is paid once here."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psutil
import pytest

from cli import main
from cli.city import _place_checks
from cli.commands import _start_checks_process
from cli.server import CHECKS_LOG_FILE, start_checks_service, stop_checks_service
from expectations import checks_remote, gx_suite
from expectations.checks_remote import KEY_FILE, STATE_FILE, Service, ServiceUnavailable
from expectations.checks_service import recent_periods
from junheng.policy import rules_in_force
from tests.unit.test_gx_checks_process import _policy_inputs
from tests.unit.test_gx_suite import PERIOD, TWINS, make_batch, school


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A Prefect home with a checks service running in it."""
    home = tmp_path_factory.mktemp("prefect-home")
    assert start_checks_service(home), (home / CHECKS_LOG_FILE).read_text(encoding="utf-8")
    yield home
    stop_checks_service(home)


@pytest.fixture
def no_service() -> Iterator[None]:
    """The run's choice of where to check, as it was before the test."""
    yield
    gx_suite._forget_checks_service()
    gx_suite._forget_checks_process()
    pool, gx_suite._POOL = gx_suite._POOL, None
    if pool is not None:
        pool.shutdown(cancel_futures=True)


def _pid(home: Path) -> int:
    return int(json.loads((home / STATE_FILE).read_text(encoding="utf-8"))["pid"])


def test_the_service_finds_what_this_process_finds(home: Path, no_service: None) -> None:
    batch = make_batch({"clean": school(), **{name: s for name, (s, _) in TWINS.items()}})
    units, classes, schools = _policy_inputs()
    rules = rules_in_force(PERIOD)
    service = Service.find(home)
    assert service is not None
    there = (
        service.call("validate_returns", batch, PERIOD),
        service.call("check_policy", PERIOD, rules, units, classes, schools),
    )
    here = gx_suite.validate_returns(batch, PERIOD), gx_suite.check_policy(PERIOD, rules, units, classes, schools)
    assert there == here
    # Every broken twin's finding and the three policy violations, so the comparison is not of two empty lists.
    assert {f.file_id for f in there[0]} == {name for name, (_, want) in TWINS.items() if want}
    assert sorted((f.file_id, f.rule) for f in there[1]) == [("below", "R1"), ("c", "G5"), ("s1", "G4")]


def test_the_rules_travel_with_the_call(home: Path) -> None:
    """The service holds no policy: a rule the run loaded (here R1's minimum raised to 4.5) is the rule it
    checks, so an edited policy file is never checked against the one the service started with."""
    service = Service.find(home)
    assert service is not None
    units, classes, schools = _policy_inputs()  # R1 3.81 and 4.2 against the 2017 minimum 4.2 (primary)
    stricter = [r.model_copy(update={"value": 4.5}) if r.code == "R1" else r for r in rules_in_force(PERIOD)]
    found = service.call("check_policy", PERIOD, stricter, units, classes, schools)
    assert sorted(f.file_id for f in found if f.rule == "R1") == ["at", "below"]


def test_a_county_run_sends_its_checks_to_the_service(
    home: Path, tmp_path: Path, no_service: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`junheng run` with the service up starts no checks process of its own, and its checks go there."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    monkeypatch.setenv("PREFECT_HOME", str(home))
    assert _start_checks_process(PERIOD, inbox, tmp_path)
    assert gx_suite._CHECKS is None
    assert gx_suite._checks_service(1) is not None
    assert gx_suite._checks_service(gx_suite.CHECKS_PROCESS_MAX_ROWS + 1) is None  # a province's batch stays here


def test_a_city_run_sends_each_countys_checks_to_the_service(
    home: Path, tmp_path: Path, no_service: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_HOME", str(home))
    assert _place_checks(tmp_path, PERIOD)
    assert gx_suite._checks_service(1) is not None
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "no-service-here"))
    assert not _place_checks(tmp_path, PERIOD)  # GX then loads in a thread of the run
    assert gx_suite._checks_service(1) is None


def test_a_service_running_other_code_is_not_used(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    service = Service.find(home)
    assert service is not None
    monkeypatch.setattr(checks_remote, "fingerprint", lambda: "another version of junheng")
    assert Service.find(home) is None  # the state file says which code the service runs
    with pytest.raises(ServiceUnavailable, match="版本"):  # and the service itself refuses the call
        service.call("ping")


def test_a_caller_without_the_key_gets_nothing(home: Path) -> None:
    service = Service.find(home)
    assert service is not None
    with pytest.raises(ServiceUnavailable):
        Service(service.port, b"not the key").call("ping")
    assert service.call("ping") is None  # and the service goes on serving


def test_an_error_there_is_raised_here(home: Path) -> None:
    service = Service.find(home)
    assert service is not None
    with pytest.raises(TypeError):
        service.call("ping", "an argument ping does not take")


def test_status_says_when_the_service_runs_another_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    (data / ".prefect").mkdir(parents=True)
    state = {"pid": 0, "port": 1, "fingerprint": "an older junheng"}
    (data / ".prefect" / STATE_FILE).write_text(json.dumps(state), encoding="utf-8")
    monkeypatch.delenv("PREFECT_HOME", raising=False)
    assert main(["server", "status", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "数据校验服务不可用：它运行的是另一版本的程序" in out and "重新运行 junheng server start" in out


def test_the_key_is_for_this_account_only(home: Path) -> None:
    assert (home / KEY_FILE).stat().st_mode & 0o077 == 0


def test_january_warms_december() -> None:
    assert recent_periods(date(2027, 1, 5)) == ["2027-01", "2026-12"]
    assert recent_periods(date(2026, 12, 7)) == ["2026-12", "2026-11"]


def test_a_service_that_dies_mid_run_leaves_the_run_checking_here(tmp_path: Path, no_service: None) -> None:
    home = tmp_path / "home"
    assert start_checks_service(home)
    assert gx_suite.use_checks_service(home)
    service = psutil.Process(_pid(home))
    sheet_processes = _sheet_processes(service)
    os.kill(service.pid, signal.SIGKILL)
    batch = make_batch({"clean": school(), **{name: s for name, (s, _) in TWINS.items()}})
    found = gx_suite.validate_returns(batch, PERIOD)
    assert {f.file_id for f in found} == {name for name, (_, want) in TWINS.items() if want}
    assert gx_suite._checks_service(1) is None  # forgotten for the rest of the run
    assert not gx_suite.use_checks_service(home)
    # Its validation processes, each holding GX, do not outlive it.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_running(p) for p in sheet_processes):
        time.sleep(0.2)
    assert not any(_running(p) for p in sheet_processes)


def test_server_stop_stops_the_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    home = data / ".prefect"
    assert start_checks_service(home)
    pid = _pid(home)
    monkeypatch.delenv("PREFECT_HOME", raising=False)  # the home is then <data-dir>/.prefect
    assert main(["server", "status", "--data-dir", str(data)]) == 0
    assert "数据校验服务正在运行" in capsys.readouterr().out
    assert main(["server", "stop", "--data-dir", str(data)]) == 0
    assert "数据校验服务已停止" in capsys.readouterr().out
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _running(pid):
        time.sleep(0.1)
    assert not _running(pid)
    assert not (home / STATE_FILE).exists() and not (home / KEY_FILE).exists()
    assert main(["server", "status", "--data-dir", str(data)]) == 0
    assert "数据校验服务没有运行" in capsys.readouterr().out


def _running(pid: int) -> bool:
    """Alive and not a zombie (this machine's init reaps orphans only every second or two)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_checks_in_two_processes_give_what_one_process_gives(no_service: None) -> None:
    """The service runs a run's validations in two processes of its own, each suite in two parts; the
    findings, and their order, are those of one process. A validation process that dies leaves the
    checks to this process."""
    batch = make_batch({"clean": school(), **{name: s for name, (s, _) in TWINS.items()}})
    units, classes, schools = _policy_inputs()
    rules = rules_in_force(PERIOD)
    here = gx_suite.validate_returns(batch, PERIOD), gx_suite.check_policy(PERIOD, rules, units, classes, schools)
    gx_suite.validate_in_processes(2, [PERIOD])
    pool = gx_suite._POOL
    assert pool is not None
    there = gx_suite.validate_returns(batch, PERIOD), gx_suite.check_policy(PERIOD, rules, units, classes, schools)
    assert there == here
    assert {f.file_id for f in here[0]} == {name for name, (_, want) in TWINS.items() if want}
    assert sorted((f.file_id, f.rule) for f in here[1]) == [("below", "R1"), ("c", "G5"), ("s1", "G4")]
    os.kill(pool.submit(os.getpid).result(), signal.SIGKILL)
    assert gx_suite.validate_returns(batch, PERIOD) == here[0]
    assert gx_suite._POOL is None


def test_server_stop_stops_the_validation_processes_too(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert start_checks_service(home)
    pid = _pid(home)
    group = _sheet_processes(psutil.Process(pid))
    assert stop_checks_service(home)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_running(p) for p in [pid, *group]):
        time.sleep(0.1)
    assert not any(_running(p) for p in [pid, *group])


def _sheet_processes(service: psutil.Process) -> list[int]:
    """The service's two validation processes, once started (and the resource tracker that their queue starts)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(service.children(recursive=True)) < 3:
        time.sleep(0.2)
    group = [p.pid for p in service.children(recursive=True)]
    assert len(group) >= 3
    return group
