"""`junheng run` finds the local Prefect server `junheng server start` left running, and falls back
to Prefect's ephemeral server when there is none; telemetry is off either way (issue 14 item 1)."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from cli.commands import _prefect_env
from cli.server import STATE_FILE, healthy, running_api_url

SET_BY_PREFECT_ENV = (
    "PREFECT_API_URL",
    "PREFECT_HOME",
    "PREFECT_SERVER_ANALYTICS_ENABLED",
    "DO_NOT_TRACK",
    "PREFECT_LOGGING_LEVEL",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS",
)


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        ok = self.path == "/api/health"
        self.send_response(200 if ok else 404)
        self.end_headers()
        self.wfile.write(b"true" if ok else b"")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    """Something that answers Prefect's health check on loopback (the API of a running server)."""
    server = HTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()
    server.server_close()


@pytest.fixture
def clean_env() -> Iterator[None]:
    """None of the keys _prefect_env sets, and afterwards the environment as it was: _prefect_env writes
    os.environ itself, and monkeypatch.delenv of an absent key records nothing to undo (a dead test API's
    URL then reached every later test's runs)."""
    saved = {key: os.environ.pop(key, None) for key in SET_BY_PREFECT_ENV}
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _leave_state(data_dir: Path, api_url: str) -> Path:
    home = data_dir / ".prefect"
    home.mkdir(parents=True)
    (home / STATE_FILE).write_text(json.dumps({"pid": 0, "api_url": api_url}), encoding="utf-8")
    return home


@pytest.mark.usefixtures("clean_env")
def test_a_running_local_server_is_used(tmp_path: Path, api: str) -> None:
    home = _leave_state(tmp_path, api)
    _prefect_env(tmp_path)
    assert os.environ["PREFECT_API_URL"] == api
    assert os.environ["PREFECT_HOME"] == str(home.resolve())
    assert os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert os.environ["DO_NOT_TRACK"] == "1"


@pytest.mark.usefixtures("clean_env")
def test_without_a_server_the_run_starts_the_ephemeral_one(tmp_path: Path) -> None:
    _prefect_env(tmp_path)
    assert "PREFECT_API_URL" not in os.environ  # Prefect then starts its ephemeral server
    assert os.environ["PREFECT_HOME"] == str((tmp_path / ".prefect").resolve())
    assert os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert os.environ["DO_NOT_TRACK"] == "1"


@pytest.mark.usefixtures("clean_env")
def test_a_server_that_has_gone_is_not_used(tmp_path: Path, api: str) -> None:
    port = int(api.rsplit(":", 1)[1].split("/")[0])
    gone = f"http://127.0.0.1:{port}/elsewhere"  # answers 404: not a Prefect API
    _leave_state(tmp_path, gone)
    assert running_api_url(tmp_path / ".prefect") is None
    _prefect_env(tmp_path)
    assert "PREFECT_API_URL" not in os.environ


@pytest.mark.usefixtures("clean_env")
def test_a_configured_api_url_wins(tmp_path: Path, api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _leave_state(tmp_path, api)
    monkeypatch.setenv("PREFECT_API_URL", "http://prefect.example:4200/api")
    _prefect_env(tmp_path)
    assert os.environ["PREFECT_API_URL"] == "http://prefect.example:4200/api"


def test_health_check_answers_false_for_anything_but_a_prefect_api(api: str) -> None:
    assert healthy(api)
    assert not healthy("http://127.0.0.1:1/api", timeout=0.2)  # nothing listens on port 1
    assert not healthy("not a url")
