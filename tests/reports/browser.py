"""A minimal headless Chromium driver over the DevTools protocol (stdlib only).

Chromium is started with ``--remote-debugging-pipe``: protocol messages are NUL-terminated
JSON on file descriptors 3 (to the browser) and 4 (from it), so no WebSocket client, no port
and no network are needed.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.timing import Pace

CHROMIUM = "/usr/bin/chromium"
# Waits (tests/timing.py): on an idle 2-CPU machine Chromium starts in ~0.5 s, loads the sample
# report in ~0.1 s and answers a DevTools call in milliseconds (measured). The bounds are the
# fixed ones these waits had (10 s a page step, 30 s a call) on an idle machine, scaled by the
# slowdown measured when the wait starts.
STEP_IDLE_S = 0.5
CALL_IDLE_S = 1.5
STEP_MARGIN = 20.0
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--remote-debugging-pipe",
)


def chromium_path() -> str | None:
    """The Chromium executable, or None when it is not installed."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    return shutil.which("chromium")


def _pipes_to_3_and_4(reader: int, writer: int) -> None:
    """In the child: make ``reader`` fd 3 and ``writer`` fd 4 (via copies above 10, so the
    two moves cannot overwrite each other)."""
    reader = fcntl.fcntl(reader, fcntl.F_DUPFD_CLOEXEC, 10)
    writer = fcntl.fcntl(writer, fcntl.F_DUPFD_CLOEXEC, 10)
    os.dup2(reader, 3)
    os.dup2(writer, 4)


class BrowserError(RuntimeError):
    pass


class Browser:
    """One Chromium process with one page; records console errors, exceptions and dialogs."""

    def __init__(self, executable: str, width: int = 1280, height: int = 900):
        self.pace = Pace()  # waits scale with the machine's measured slowdown
        self._profile = tempfile.mkdtemp(prefix="nc-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        self._proc = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={self._profile}",
             f"--window-size={width},{height}", "about:blank"],
            close_fds=False,  # Python's own descriptors are not inheritable (PEP 446)
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=lambda: _pipes_to_3_and_4(to_browser_r, from_browser_w),
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self._session: str | None = None
        self.console_errors: list[str] = []
        self.dialogs: list[str] = []
        self.events: list[dict] = []
        target = self._call("Target.createTarget", {"url": "about:blank"}, session=False)
        attached = self._call("Target.attachToTarget",
                              {"targetId": target["targetId"], "flatten": True}, session=False)
        self._session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self._call(f"{domain}.enable")
        self._call("Emulation.setDeviceMetricsOverride",
                   {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    # -- protocol plumbing ------------------------------------------------------------
    def _send(self, method: str, params: dict, session: bool) -> int:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session and self._session:
            message["sessionId"] = self._session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            # select: a read would block past the deadline if Chromium said nothing
            if remaining <= 0 or not select.select([self._from_browser], [], [], remaining)[0]:
                raise BrowserError("timed out waiting for Chromium")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise BrowserError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message = json.loads(raw)
        if "method" in message:
            self._on_event(message)
        return message

    def _on_event(self, event: dict) -> None:
        self.events.append(event)
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.console_errors.append(
                details.get("exception", {}).get("description") or details.get("text", ""))
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            self.console_errors.append(" ".join(str(a.get("value")) for a in params["args"]))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            self.console_errors.append(params["entry"].get("text", ""))
        elif method == "Page.javascriptDialogOpening":
            self.dialogs.append(params.get("message", ""))
            self._send("Page.handleJavaScriptDialog", {"accept": True}, session=True)

    def _call(self, method: str, params: dict | None = None, session: bool = True,
              timeout: float | None = None) -> dict:
        timeout = timeout or self.pace.bound(CALL_IDLE_S, STEP_MARGIN)
        wanted = self._send(method, params or {}, session)
        deadline = time.monotonic() + timeout
        while True:
            message = self._read_message(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message.get("result", {})

    def _wait_event(self, method: str, timeout: float | None = None) -> dict:
        timeout = timeout or self.pace.bound(CALL_IDLE_S, STEP_MARGIN)
        deadline = time.monotonic() + timeout
        while True:
            message = self._read_message(deadline)
            if message.get("method") == method:
                return message

    # -- what a test uses ---------------------------------------------------------------
    def open(self, path: Path, timeout: float | None = None) -> float:
        """Load a file:// page; return seconds until its load event."""
        self.console_errors.clear()
        self.dialogs.clear()
        start = time.monotonic()
        self._call("Page.navigate", {"url": Path(path).resolve().as_uri()})
        self._wait_event("Page.loadEventFired", timeout)
        return time.monotonic() - start

    def evaluate(self, expression: str):
        """Evaluate JavaScript in the page and return its JSON value."""
        result = self._call("Runtime.evaluate", {"expression": expression,
                                                 "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float | None = None):
        """Poll a JavaScript expression until it is truthy; return its value.

        The value must be JSON (a DOM node arrives as {}, which is falsy here): compare
        with null instead.
        """
        deadline = time.monotonic() + (timeout or self.pace.bound(STEP_IDLE_S, STEP_MARGIN))
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out waiting for: {expression}")
            time.sleep(0.05)

    def click(self, selector: str) -> None:
        """Scroll an element into view and click its centre with the mouse."""
        point = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return null; e.scrollIntoView({block: 'center'});"
            " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2];"
            " })()")
        if point is None:
            raise BrowserError(f"no element matches {selector}")
        for kind in ("mousePressed", "mouseReleased"):
            self._call("Input.dispatchMouseEvent", {"type": kind, "x": point[0], "y": point[1],
                                                    "button": "left", "clickCount": 1})

    def type_text(self, selector: str, text: str) -> None:
        """Focus an input and type into it as a keyboard would (input events fire)."""
        self.click(selector)
        self._call("Input.insertText", {"text": text})

    def pump(self, seconds: float) -> None:
        """Let the page run for a while, collecting events (dialogs, errors)."""
        self.evaluate(f"new Promise(r => setTimeout(r, {int(seconds * 1000)}))")

    def screenshot(self, path: Path, full_page: bool = False) -> Path:
        params: dict = {"format": "png"}
        if full_page:
            width, height = self.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})
        data = self._call("Page.captureScreenshot", params)["data"]
        Path(path).write_bytes(base64.b64decode(data))
        return Path(path)

    def screenshot_of(self, selector: str, path: Path) -> Path:
        """A PNG of one element (scrolled into view), e.g. a failing test's details."""
        rect = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return null; e.scrollIntoView({block: 'start'});"
            " const r = e.getBoundingClientRect();"
            " return {x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height}; })()")
        if rect is None:
            raise BrowserError(f"no element matches {selector}")
        data = self._call("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True, "clip": dict(rect, scale=1)})["data"]
        Path(path).write_bytes(base64.b64decode(data))
        return Path(path)

    def close(self) -> None:
        try:
            self._send("Browser.close", {}, session=False)
            self._proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self._proc.kill()
            self._proc.wait()
        finally:
            os.close(self._to_browser)
            os.close(self._from_browser)
            shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
