"""Collects pytest reports (from this process or from xdist workers) into results.json.

The schema (``netconform-results/1``) is described in DESIGN.md and rendered by ``reports/``.
Everything stored is JSON-safe: workers send their per-test evidence as a JSON string in the
report's ``user_properties`` under the key ``netconform``.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = "netconform-results/1"
OUTCOMES = ("passed", "failed", "xfailed", "xpassed", "skipped", "error")
PROPERTY_KEY = "netconform"
PROJECT_DIR = Path(__file__).resolve().parents[2]  # the checkout that runs (holds conformance/)
GIT_TIMEOUT_S = 5.0


def checkout_of(directory: Path = PROJECT_DIR) -> dict[str, Any] | None:
    """The git commit checked out at ``directory`` and whether its work tree differs from it
    (``git status --porcelain``: a file changed, staged or untracked): ``{"commit", "dirty"}``.
    None when ``directory`` is not the top of a git checkout (an installed package, or a
    folder inside some other repository), or git is missing or fails."""

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(directory), *args], capture_output=True,
                              text=True, check=True, timeout=GIT_TIMEOUT_S).stdout.strip()

    try:
        if Path(git("rev-parse", "--show-toplevel")).resolve() != directory.resolve():
            return None
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}
    except (OSError, subprocess.SubprocessError):
        return None


def _message(report: Any) -> str | None:
    if report.longrepr is None:
        return None
    if isinstance(report.longrepr, tuple):  # skip: (file, line, reason)
        return str(report.longrepr[2])
    text = getattr(report, "longreprtext", None) or str(report.longrepr)
    return text[-20000:]


class ResultsCollector:
    def __init__(self, target: str, command: list[str], harness_version: str) -> None:
        self.target = target
        self.command = shlex.join(command)
        self.harness_version = harness_version
        self.checkout = checkout_of()  # (once, at the start: what the run's code came from)
        self.started = datetime.now(UTC)
        self.t0 = time.monotonic()
        self.tests: dict[str, dict[str, Any]] = {}
        self.environment: dict[str, Any] = {}
        # False when the run stopped early (a signal, a session error): counts cover only the
        # tests that ran, and the report and gate say so.
        self.complete = True
        self.incomplete_reason: str | None = None
        self.torn_down: set[str] = set()  # tests whose every phase was reported

    def add_unavailable(self, lines: list[str]) -> None:
        """What a worker could not do (a fallback barrier, no drop reasons): one line each in
        ``environment.unavailable``, whichever worker said it first (reports.banners)."""
        known = self.environment.setdefault("unavailable", [])
        known.extend(line for line in lines if line not in known)

    def mark_incomplete(self, reason: str) -> None:
        """The run stopped early: a test it stopped in (no teardown report) is an error."""
        self.complete = False
        self.incomplete_reason = reason
        for nodeid, entry in self.tests.items():
            if nodeid not in self.torn_down and entry["outcome"] in ("passed", "skipped"):
                entry["outcome"] = "error"
                entry["message"] = f"not finished: the run was {reason} during this test"

    def _entry(self, nodeid: str) -> dict[str, Any]:
        if nodeid not in self.tests:
            self.tests[nodeid] = {
                "id": nodeid, "requirements": [], "outcome": "passed", "duration_s": 0.0,
                "message": None, "xfail_reason": None, "xfail_link": None,
                "xfail_intermittent": None, "divergences": [],
                "frames": [], "diff": [], "oracle": [], "mib_deltas": {}, "drop_reasons": [],
                "behaviour": [],
                "pcap": None, "rerun": None,
            }
        return self.tests[nodeid]

    def add_report(self, report: Any) -> None:
        entry = self._entry(report.nodeid)
        if report.when == "teardown":
            self.torn_down.add(report.nodeid)
        entry["duration_s"] = round(entry["duration_s"] + report.duration, 6)
        for key, value in report.user_properties:
            if key == PROPERTY_KEY:
                data = json.loads(value)
                self.add_unavailable(data.pop("unavailable", []))
                for key, fact in data.pop("target_environment", {}).items():
                    self.environment.setdefault(key, fact)  # the first worker's word
                entry.update(data)
        wasxfail = getattr(report, "wasxfail", None)
        message = _message(report)
        if report.when == "call":
            if wasxfail is not None:
                entry["outcome"] = "xfailed" if report.skipped else "xpassed"
                entry["xfail_reason"] = wasxfail
            elif report.failed and (message or "").startswith("[XPASS(strict)]"):
                entry["outcome"] = "xpassed"
            elif report.failed:
                entry["outcome"] = "failed"
            elif report.skipped:
                entry["outcome"] = "skipped"
            if report.failed or report.skipped:
                entry["message"] = message
        elif report.failed:
            if entry["outcome"] in ("passed", "skipped"):
                entry["outcome"] = "error"
                entry["message"] = f"error in {report.when}: {message}"
        elif report.skipped and report.when == "setup":
            entry["outcome"] = "xfailed" if wasxfail is not None else "skipped"
            entry["xfail_reason"] = wasxfail
            entry["message"] = message

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for test in self.tests.values():
            counts[test["outcome"]] += 1
        return counts

    def to_dict(self, requirements: dict[str, dict[str, str]],
                findings: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        env = {
            "kernel": platform.release(),
            "python": platform.python_version(),
            "hostname": socket.gethostname(),
        }
        env.update(self.environment)
        return {
            "schema": SCHEMA,
            "target": self.target,
            "started": self.started.isoformat(timespec="seconds"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "duration_s": round(time.monotonic() - self.t0, 3),
            "harness_version": self.harness_version,
            "checkout": self.checkout,
            "command": self.command,
            "environment": env,
            "requirements": requirements,
            "tests": list(self.tests.values()),
            "summary": self.summary(),
            "findings": findings or [],
            "complete": self.complete,
            "incomplete_reason": self.incomplete_reason,
        }

    def write(self, path: str, requirements: dict[str, dict[str, str]],
              findings: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        data = self.to_dict(requirements, findings)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:  # one line: json's C encoder (indent would take ~3x longer)
            f.write(json.dumps(data))
        os.replace(tmp, path)
        return data


PROGRAM_NAMES = {"cli.py": "netconform", "__main__.py": "pytest", "py.test": "pytest"}


def command_line() -> list[str]:
    """The command as the user would type it again (``python -m`` entry points named)."""
    program = os.path.basename(sys.argv[0])
    return [PROGRAM_NAMES.get(program, program)] + sys.argv[1:]
