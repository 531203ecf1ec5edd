"""Open an HTML file in headless Chromium over the DevTools protocol: errors, SVG sizes, a screenshot."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from websockets.sync.client import connect

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")

# Every SVG element, its rendered size and how many drawn marks it holds; the text of the first screen.
_MEASURE_JS = """JSON.stringify({
  ready: document.readyState,
  title: document.title,
  svgs: Array.from(document.querySelectorAll('svg')).map(s => {
    const r = s.getBoundingClientRect();
    return {w: r.width, h: r.height, marks: s.querySelectorAll('rect,circle,polyline,line,path').length,
            label: s.getAttribute('aria-label') || ''};
  }),
  firstScreen: Array.from(document.querySelectorAll('h1,h2,h3,p,th,td'))
    .filter(e => e.getBoundingClientRect().top < FIRST_SCREEN)
    .map(e => e.innerText).join(' ')
})"""
# What a reader sees without scrolling (CSS pixels from the top of the page).
FIRST_SCREEN = 900


def find_chromium() -> str | None:
    for path in (os.environ.get("CHROMIUM"), *CHROMIUM_CANDIDATES):
        if path and Path(path).exists():
            return path
    return shutil.which("chromium")


@dataclass
class PageCheck:
    ready: str = ""
    title: str = ""
    svgs: list[dict[str, object]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    screenshot: Path | None = None
    first_screen: str = ""  # the text of the page's first screen (FIRST_SCREEN pixels), top to bottom


class _Cdp:
    """A minimal DevTools client: commands with ids, events collected while waiting."""

    def __init__(self, ws_url: str) -> None:
        self.ws = connect(ws_url, max_size=None, open_timeout=30)
        self.next_id = 0
        self.events: list[dict] = []

    def call(self, method: str, params: dict | None = None, timeout: float = 60) -> dict:
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout
        while True:
            msg = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 60) -> dict:
        for i, e in enumerate(self.events):
            if e.get("method") == method:
                return self.events.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            msg = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if msg.get("method") == method:
                return msg
            self.events.append(msg)

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                self.events.append(json.loads(self.ws.recv(timeout=left)))
            except TimeoutError:
                return

    def close(self) -> None:
        self.ws.close()


def _errors(events: list[dict]) -> list[str]:
    out: list[str] = []
    for e in events:
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.exceptionThrown":
            out.append(f"exception: {p.get('exceptionDetails', {}).get('text', '')}")
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            out.append(f"log: {p['entry'].get('text', '')} {p['entry'].get('url', '')}".strip())
    return out


def check_page(html: Path, screenshot: Path, *, width: int = 1280, height: int = 3000) -> PageCheck:
    """Load ``html`` in headless Chromium; return console/JS errors, SVG sizes and a PNG of the top."""
    chromium = find_chromium()
    if chromium is None:
        raise FileNotFoundError("chromium not found")
    # Chromium's helpers (zygote, crashpad) outlive the browser process for a moment and keep writing to the
    # profile: run it in its own process group, stop the whole group, and let a leftover file not fail the check.
    with tempfile.TemporaryDirectory(prefix="jh-chromium-", ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + 60
            while not (port_file.exists() and port_file.read_text().strip()):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"chromium did not start (exit code {proc.poll()})")
                time.sleep(0.1)
            port = int(port_file.read_text().split()[0])
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as r:
                targets = json.loads(r.read())
            page = next(t for t in targets if t.get("type") == "page")
            cdp = _Cdp(page["webSocketDebuggerUrl"])
            try:
                for domain in ("Runtime", "Log", "Page"):
                    cdp.call(f"{domain}.enable")
                nav = cdp.call("Page.navigate", {"url": html.resolve().as_uri()})
                if nav.get("errorText"):
                    raise RuntimeError(f"chromium could not open {html}: {nav['errorText']}")
                cdp.wait_for("Page.loadEventFired")
                cdp.drain(0.5)  # late console messages
                js = _MEASURE_JS.replace("FIRST_SCREEN", str(FIRST_SCREEN))
                result = cdp.call("Runtime.evaluate", {"expression": js, "returnByValue": True})
                measured = json.loads(result["result"]["value"])
                shot = cdp.call(
                    "Page.captureScreenshot",
                    {"format": "png", "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}},
                )
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                screenshot.write_bytes(base64.b64decode(shot["data"]))
                return PageCheck(
                    ready=measured["ready"],
                    title=measured["title"],
                    svgs=measured["svgs"],
                    errors=_errors(cdp.events),
                    screenshot=screenshot,
                    first_screen=measured["firstScreen"],
                )
            finally:
                cdp.close()
        finally:
            _stop_group(proc)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop the browser and every helper it started (they share its process group)."""
    for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 15.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # the browser is gone; give its helpers a moment to leave the group
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
